"""Is a word English? WordNet's lemmas, their inflections, and English's closed word classes.

Answers of small language models sometimes hold "words" that are not words: letters run together
("topfivevaluableobjectsfromactionlist"), invented compounds ("bowdance") or letter soup
("jonsc"). A short phrase in an answer (an object, a sub-action, a keyword, a predicate) is checked
word by word against this lexicon:

* a word is known when WordNet lists it, or a form of it, under any part of speech (``morphy``:
  "brushes" -> "brush", "ran" -> "run"), also written closed or hyphenated ("trapdoor" for
  "trap door");
* WordNet has no function words, so English's closed classes (articles, pronouns, prepositions,
  conjunctions, auxiliaries) are listed here, with kgen's stopword list;
* a hyphenated word is known when it is itself a lemma ("t-shirt") or when each part is;
  a possessive ``'s`` is ignored;
* the caller may allow more words (those of the question itself: a class name such as "tabla" or
  "flic flac" is not in WordNet, and the model may repeat it).

Without WordNet (Debian's ``wordnet-base``) there is no lexicon and no word is rejected:
:func:`english_lexicon` returns ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from kgen.crawl.wordnet import POS_ORDER, WordNet, locate_wordnet_dir
from kgen.errors import SourceUnavailable
from kgen.text.stopwords import english_stopwords

# English's closed word classes that kgen's stopword list does not already hold.
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those some any each every either neither both all no none
    i me my mine you your yours he him his she her hers it its we us our ours they them their theirs
    someone somebody something anyone anybody anything everyone everybody everything nobody nothing
    oneself himself herself itself themselves myself yourself ourselves yourselves
    about above across after against along alongside amid among amongst around as at before behind below
    beneath beside besides between beyond by despite down during except for from in inside into like near
    of off on onto opposite out outside over past per round since than through throughout till to toward
    towards under underneath unlike until up upon via with within without
    and or but nor so yet because although though while whereas if unless whether
    am is are was were be been being do does did doing done have has had having
    can could may might must shall should will would
    not very too also just then there here where when how why what which who whom whose
    """.split()
)
# Words a finished phrase does not end with (articles, possessive determiners, conjunctions and
# prepositions that are never a verb's particle): "eating a piece of", "stand on the other side of".
# Particles ("pick up", "put the glass down") and a predicate's preposition ("stands on") are fine.
DANGLING_WORDS = frozenset("a an the my your his her its our their and or nor but of with from for than whose".split())
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*", re.UNICODE)


def words_of(text: str) -> list[str]:
    """The words of ``text``, lowercased (letters with inner hyphens or apostrophes)."""
    return [w.casefold() for w in _WORD.findall(text)]


class Lexicon:
    """English words as WordNet (plus the closed word classes) knows them."""

    def __init__(self, wordnet: WordNet) -> None:
        self.wordnet = wordnet
        self._known: dict[str, bool] = {}

    def knows(self, word: str) -> bool:
        word = word.casefold().strip("'-")
        if word.endswith(("'s", "s'")):
            word = word[:-2] if word.endswith("'s") else word[:-1]
        if not word:
            return False
        found = self._known.get(word)
        if found is None:
            found = self._lookup(word)
            self._known[word] = found
        return found

    def is_entry(self, word: str) -> bool:
        """Whether WordNet has ``word`` as one entry (not only its hyphenated parts): "mother-in-law"."""
        word = word.casefold()
        return any(self.wordnet.morphy(word, pos) for pos in POS_ORDER) or any(
            self.wordnet.spelling_variants(word, pos) for pos in POS_ORDER  # "trapdoor" = "trap door"
        )

    def is_name(self, word: str) -> bool:
        """Whether WordNet knows ``word`` only as a name (every entry spelt with a capital:
        "johnson", "aurora" no: it is also the common noun)."""
        word = word.casefold()
        spellings = [
            lemma for pos in POS_ORDER for synset in self.wordnet.synsets(word, pos) for lemma in synset.lemmas
            if lemma.casefold() == word
        ]
        return bool(spellings) and all(lemma[:1].isupper() for lemma in spellings)

    def _lookup(self, word: str) -> bool:
        if word in FUNCTION_WORDS or word in english_stopwords():
            return True
        if self.is_entry(word):
            return True
        parts = [p for p in re.split(r"[-']", word) if p]
        return len(parts) > 1 and all(self._lookup(p) for p in parts)

    def unknown_words(self, text: str, allowed: Iterable[str] = ()) -> list[str]:
        """The words of ``text`` that are neither English (as known here) nor in ``allowed``."""
        extra = set(allowed)
        return [w for w in words_of(text) if w not in extra and not self.knows(w)]


def english_lexicon() -> Lexicon | None:
    """The lexicon on the system's WordNet (``$KGEN_WORDNET_DIR`` or /usr/share/wordnet), or
    ``None`` when WordNet is not installed (then no word is checked). One lexicon per folder, so a
    changed ``$KGEN_WORDNET_DIR`` is honoured."""
    return _lexicon_at(locate_wordnet_dir().resolve())


@cache
def _lexicon_at(directory: Path) -> Lexicon | None:
    try:
        wordnet = WordNet(directory)
    except SourceUnavailable:
        return None
    for pos in POS_ORDER:
        wordnet.has("word", pos)  # load the four indexes now, not inside the first answer's check
    return Lexicon(wordnet)
