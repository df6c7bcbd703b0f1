"""What a WordNet gloss says, word by word: the facts the sense chooser compares, computed once
per synset.

Two spellings of the gloss are kept: *stems* (``textclean.stem``: "playing", "played" and "play"
meet), for names of another chunk's word, which may be a verb in any form; and *words* with their
noun base forms (morphy: "people" -> "person", "feet" -> "foot"), for the lemmas of hypernyms,
which are nouns and must not meet a verb by a shared stem ("fastening" is no "fasten").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, cached_property

from kgen.crawl.phrase import STOPWORDS
from kgen.crawl.textclean import stem, words_of
from kgen.crawl.wordnet import Synset

# Words too common in glosses to tell senses apart (never count as a mention).
GENERIC_WORDS = frozenset(
    """act action activity process practice something someone somebody thing things part
    use used using make made making usually especially often esp etc e g i.e one two several
    various kind type form way manner move moving cause causing become having being get take give
    also very small large long short particular purpose another other others""".split()
)
_POSSESSIVE = re.compile(r"['’]s$")
# Plurals WordNet lists as lemmas of their own, so that morphy does not reduce them.
IRREGULAR_PLURALS = {"people": "person", "persons": "person"}
# Words before a noun ("a *set* of data": no verb) and before a verb ("to *set*": no noun).
_NOUN_MARKERS = frozenset("a an the this that each every any one his her their your my our its".split())
_VERB_MARKERS = frozenset(["to"])


@cache
def gloss_words(text: str) -> tuple[str, ...]:
    """The content words of ``text``, lower case, possessives dropped."""
    words = (_POSSESSIVE.sub("", w) for w in words_of(text))
    return tuple(w for w in words if w and w not in STOPWORDS)


@cache
def word_phrase(text: str) -> tuple[str, ...]:
    """A lemma as a tuple of its content words, unstemmed ('musical instrument'); () if generic."""
    words = gloss_words(text.replace("_", " "))
    if len(words) == 1 and words[0] in GENERIC_WORDS:
        return ()
    return words


@cache
def stem_phrase(text: str) -> tuple[str, ...]:
    """A word or lemma as a tuple of stems ('playing' -> ('play',)); () if generic."""
    words = gloss_words(text.replace("_", " "))
    if len(words) == 1 and words[0] in GENERIC_WORDS:
        return ()
    return tuple(stem(w) for w in words)


class Gloss:
    """The gloss of one synset, prepared for comparisons. ``noun_bases(word)`` gives the noun base
    forms of a word (morphy)."""

    def __init__(self, synset: Synset, noun_bases: Callable[[str], tuple[str, ...]]) -> None:
        self.synset = synset
        self._noun_bases = noun_bases

    @cached_property
    def raw_tokens(self) -> tuple[tuple[str, str], ...]:
        """(word, stem) of every word of the gloss, function words included."""
        words = (_POSSESSIVE.sub("", w) for w in words_of(self.synset.gloss))
        return tuple((w, stem(w)) for w in words if w)

    @cached_property
    def text_stems(self) -> tuple[str, ...]:
        """Stems of the content words of the definition and examples, in order."""
        return tuple(s for w, s in self.raw_tokens if w not in STOPWORDS)

    @cached_property
    def content_words(self) -> tuple[str, ...]:
        return tuple(w for w, _ in self.raw_tokens if w not in STOPWORDS)

    @cached_property
    def definition_words(self) -> tuple[str, ...]:
        return gloss_words(self.synset.definition)

    @cached_property
    def definition_stems(self) -> tuple[str, ...]:
        return tuple(stem(w) for w in self.definition_words)

    def _bases(self, words: tuple[str, ...]) -> frozenset[str]:
        found = {base for w in words for base in self._noun_bases(w)}
        found.update(IRREGULAR_PLURALS[w] for w in words if w in IRREGULAR_PLURALS)
        return frozenset(found)

    @cached_property
    def noun_forms(self) -> frozenset[str]:
        """Noun base forms of the gloss's words ("animals" -> "animal", "people" -> "person")."""
        return self._bases(self.content_words)

    @cached_property
    def definition_noun_forms(self) -> frozenset[str]:
        return self._bases(self.definition_words)

    @cached_property
    def stem_set(self) -> frozenset[str]:
        return frozenset(self.text_stems) | {stem(b) for b in self.noun_forms}

    @cached_property
    def definition_stem_bases(self) -> frozenset[str]:
        return frozenset(stem(b) for b in self.definition_noun_forms)

    @cached_property
    def definition_word_set(self) -> frozenset[str]:
        return frozenset(self.definition_words) | self.definition_noun_forms

    @cached_property
    def word_set(self) -> frozenset[str]:
        return frozenset(self.content_words) | self.noun_forms

    def mentions(self, phrase: tuple[str, ...]) -> bool:
        """Whether the gloss holds ``phrase`` (stems) as consecutive content words."""
        if not phrase or phrase[0] not in self.stem_set:
            return False
        if len(phrase) == 1:
            return True
        return _holds(self.text_stems, phrase)

    def defines_with(self, phrase: tuple[str, ...]) -> bool:
        """Whether the definition (not the examples) holds ``phrase`` (stems)."""
        if len(phrase) == 1 and phrase[0] in self.definition_stem_bases:
            return True
        return bool(phrase) and _holds(self.definition_stems, phrase)

    def mentions_as(self, word_stem: str, pos: str) -> bool:
        """Whether the gloss uses ``word_stem`` as fits ``pos``: a verb not after an article or a
        possessive ("a *set* of data" is no verb), a noun not after "to"."""
        markers = _NOUN_MARKERS if pos == "verb" else _VERB_MARKERS
        previous = ""
        for word, stemmed in self.raw_tokens:
            if stemmed == word_stem and previous not in markers:
                return True
            previous = word
        return False

    def has_words(self, phrase: tuple[str, ...], definition_only: bool) -> bool:
        """Whether the definition (or the whole gloss) holds ``phrase`` word for word; a single noun
        also in an inflected form ("people" for "person")."""
        if not phrase:
            return False
        words_set = self.definition_word_set if definition_only else self.word_set
        if phrase[0] not in words_set:
            return False
        if len(phrase) == 1:
            return True
        return _holds(self.definition_words if definition_only else self.content_words, phrase)


_ACT_OF = re.compile(r"^(?:the |an? )?(?:act|action|activity|process|practice) of (\w+)")


# Light verbs and nouns: a gloss of one of these and the word itself says nothing ("play golf", "do a
# somersault", "the act of sliding"); a gloss with another content word ("compete in a race") does.
LIGHT_WORDS = frozenset(
    """play plays do does make makes perform performs engage engages practice practise practices
    go goes take takes have has give gives get gets be is act acts action activity process""".split()
)


def only_restates(text: str, forms: set[str]) -> bool:
    """Whether ``text`` restates one of ``forms`` with nothing but light words besides ("play golf",
    "pour out"): a stricter :func:`is_vacuous`, which also counts "compete in a race" (a gloss that
    names the word and one other content word) as restating."""
    if not is_vacuous(text, forms):
        return False
    words = words_of(text)
    form_words = {w for form in forms for w in words_of(form)}
    others = {w for w in words if w not in form_words and w not in STOPWORDS}
    return others <= LIGHT_WORDS


def is_vacuous(text: str, forms: set[str]) -> bool:
    """Whether ``text`` only restates one of ``forms``: it mentions the word and adds fewer than two
    other content words ('play golf', 'do a somersault'), or reads 'the act of <word>'."""
    words = words_of(text)
    if not words:
        return True
    form_words = {w for form in forms for w in words_of(form)}
    if not form_words & set(words):
        return False
    others = [w for w in words if w not in form_words and w not in STOPWORDS]
    if len(others) < 2:
        return True
    match = _ACT_OF.match(text.lower())
    return bool(match and match.group(1) in form_words)


def _holds(sequence: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(sequence[i : i + n] == phrase for i in range(len(sequence) - n + 1))
