"""Readable class names from raw dataset labels.

``ApplyEyeMakeup`` -> ``apply eye makeup``, ``brush_hair`` -> ``brush hair``. Labels that
already contain spaces (Kinetics, SSv2 templates) are kept as they are, apart from whitespace, so
that proper nouns such as "American football" keep their case.
"""

from __future__ import annotations

import re
import unicodedata

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_SEPARATORS = re.compile(r"[_\-]+")
_SPACES = re.compile(r"\s+")


def readable_name(label: str) -> str:
    """The readable form of a raw class label."""
    text = unicodedata.normalize("NFC", label).strip()
    if " " in text:
        return _SPACES.sub(" ", text)
    text = _SEPARATORS.sub(" ", text)
    text = _CAMEL_BOUNDARY.sub(" ", text)
    return _SPACES.sub(" ", text).strip().lower()


def name_key(name: str) -> str:
    """The key under which two class names count as the same (case and spacing ignored)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def slugify(text: str) -> str:
    """A file-system-safe identifier: lowercase letters, digits, '-' and '_'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9_\-]+", "-", text).strip("-_").lower()
    return text or "classes"
