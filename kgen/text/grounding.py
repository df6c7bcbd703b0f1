"""Whether a short phrase is drawn from a given text: the check behind "extract keywords from
{description}" (Kim et al. §3.2).

A phrase is *grounded* in a text when each of its content words (not a stopword or function word)
shares a stem with some word of the text: "hugging" is in "to hug someone", "stairs" in "a flight
of stairs"; "carrot" is not in "a gymnastic feat done by rotating sideways". The stem test is a
prefix one (the first five letters, or the whole of a shorter word, with at most four letters of
ending between the two: "hug"/"hugging", not "sit"/"situation"), kgen's choice: cheap, needs no
dictionary, and forgiving of the inflections an extraction rightly changes.
"""

from __future__ import annotations

from kgen.text.lexicon import FUNCTION_WORDS, words_of
from kgen.text.stopwords import english_stopwords

STEM_LETTERS = 5
MAX_ENDING_GAP = 4  # a shorter stem may differ from the longer word by this many letters of ending


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry content, lowercased, in order, repeats included; the parts
    of a hyphenated word count one by one ("thrower-thou-thrower": thrower, thou, thrower)."""
    stop = english_stopwords()
    parts = [p for w in words_of(text) for p in w.split("-")]
    return [w for w in parts if len(w) > 1 and w not in stop and w not in FUNCTION_WORDS]


def same_stem(a: str, b: str) -> bool:
    """Whether two lowercased words share a stem (see the module docstring)."""
    k = min(STEM_LETTERS, len(a), len(b))
    if k < 3:
        return a == b
    return a[:k] == b[:k] and (k == STEM_LETTERS or abs(len(a) - len(b)) <= MAX_ENDING_GAP)


class Grounding:
    """The words of a source text, to tell which phrases are drawn from it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._words = content_words(text)

    def words(self) -> list[str]:
        """The text's distinct content words, one per stem, in order of first use."""
        out: list[str] = []
        for word in self._words:
            if not any(same_stem(word, kept) for kept in out):
                out.append(word)
        return out

    def ungrounded(self, phrase: str) -> list[str]:
        """The content words of ``phrase`` that the text does not hold (by stem)."""
        return [w for w in content_words(phrase) if not any(same_stem(w, own) for own in self._words)]
