"""Sentence normalisation: "elimination of superfluous spaces and standardization of punctuation"
(AP-CLIP §3.2.2), applied to every generated sentence of every kind.

The choices (the paper names the goal, not the rules):

* Unicode NFKC; curly quotes become straight ones, hyphens become ``-`` and dashes ``" - "``, ``…`` becomes ``...``;
* markdown emphasis and code marks, leading bullets or numbers, and quotes around the whole text
  are removed;
* runs of whitespace become one space; no space before ``, . ; : ! ?``; one space after
  ``, ; :`` when a word follows;
* repeated punctuation is collapsed (``!!`` -> ``!``, ``,,`` -> ``,``, ``..`` -> ``.``);
* the first letter is capitalised and the text ends with ``.``, ``!`` or ``?`` (a ``.`` is added).
"""

from __future__ import annotations

import re
import unicodedata

from kgen.llm.lenient import _LIST_MARKER, straighten_quotes

_HYPHENS = re.compile(r"[\u2010\u2011\u2212]")
_DASHES = re.compile(r"\s*[\u2012-\u2015]\s*")
_MARKDOWN = re.compile(r"(\*\*|__|`|(?<!\w)\*|\*(?!\w))")
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?])")
_SPACE_AFTER = re.compile(r"([,;:])(?=[A-Za-z])")
_REPEATS = re.compile(r"([,;:!?])\1+|\.{2,}")
_SPACES = re.compile(r"\s+")


def normalize_sentence(text: str) -> str:
    """``text`` with spaces and punctuation normalised (see the module docstring)."""
    text = unicodedata.normalize("NFKC", straighten_quotes(text)).replace("\u2026", "...")
    text = _HYPHENS.sub("-", text)
    text = _DASHES.sub(" - ", text)
    text = _MARKDOWN.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = _LIST_MARKER.sub("", text, count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER.sub(r"\1 ", text)
    text = _REPEATS.sub(lambda m: m.group(1) or ".", text)
    text = text.strip(" ,;:-")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    return text


def normalize_phrase(text: str) -> str:
    """A short phrase (a clause, an entity, a predicate): like :func:`normalize_sentence` but
    neither capitalised nor closed with a full stop."""
    sentence = normalize_sentence(text)
    return sentence.rstrip(".!?").strip()
