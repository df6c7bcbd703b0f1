"""The English stopword list used to clean keyword attributes (see ``stopwords_en.txt``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

STOPWORDS_FILE = Path(__file__).with_name("stopwords_en.txt")


@cache
def english_stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))
