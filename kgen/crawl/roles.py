"""What each chunk of a class name plays: the action, its objects, a noun compound's head and
modifiers, or a name alone (``senses.py`` weighs senses by role)."""

from __future__ import annotations

from kgen.crawl.phrase import Chunk, Phrase, is_gerund
from kgen.crawl.wordnet import Pos, WordNet


def pos_counts(wordnet: WordNet, text: str) -> dict[Pos, int]:
    """Tag counts of ``text`` per part of speech, over every lemma it may stand for."""
    counts: dict[Pos, int] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        total = 0
        for lemma in wordnet.lemmas_for(text, pos):
            total += sum(wordnet.sense_count(lemma, s) for s in wordnet.synsets(lemma, pos))
            if not wordnet.has_sense_counts():
                total += wordnet.tagged_count(lemma, pos)
        counts[pos] = total
    return counts


def mostly_verb(wordnet: WordNet, text: str) -> bool:
    """Whether ``text`` is used as a verb at least as often as as anything else (and is a verb)."""
    counts = pos_counts(wordnet, text.split()[0]) if text.split() else {}
    verb = counts.get("verb", 0)
    if not wordnet.lemmas_for(text.split()[0], "verb"):
        return False
    return verb >= max(1, *(counts.get(p, 0) for p in ("noun", "adj", "adv")))


PREPOSITIONS = frozenset(
    "in on at to into onto from with without by for over under about around through across along "
    "against between behind before after off out up down".split()
)


def after_preposition(phrase: Phrase, chunk: Chunk) -> bool:
    """Whether a preposition stands between the name's action and ``chunk`` ("running *on*
    treadmill", "exercising *with* an exercise ball"): then the chunk is no direct object."""
    start = 0
    for other in phrase.chunks:
        if other.action and other.position < chunk.position:
            start = other.position + len(other.text.split())
    return any(word in PREPOSITIONS for word in phrase.words[start : chunk.position])


def chunk_roles(wordnet: WordNet, phrase: Phrase) -> list[str]:
    """The role of each chunk: ``alone`` / ``gerund-alone`` (the whole name), ``action`` (gerunds, or
    the first chunk of a name that starts with a verb), ``object`` (after the action),
    ``modifier`` (before it, or before the head of a noun compound), ``head`` (the last chunk of a
    noun compound such as "golf swing", or of a name that ends with an activity's collocation:
    "snatch *weight lifting*")."""
    chunks = phrase.chunks
    if not chunks:
        return []
    if len(chunks) == 1:
        return ["gerund-alone" if chunks[0].gerund else "alone"]
    gerunds = [i for i, c in enumerate(chunks) if c.gerund]
    if gerunds:
        first = gerunds[0]
        return [
            "action" if i in gerunds else ("modifier" if i < first else "object")
            for i in range(len(chunks))
        ]
    if names_an_activity(wordnet, chunks[-1]):
        # "snatch weight lifting": the snatch of weightlifting, not snatching a weightlift
        return ["modifier"] * (len(chunks) - 1) + ["head"]
    if mostly_verb(wordnet, chunks[0].entry):
        return ["action"] + ["object"] * (len(chunks) - 1)
    return ["modifier"] * (len(chunks) - 1) + ["head"]


def names_an_activity(wordnet: WordNet, chunk: Chunk) -> bool:
    """Whether ``chunk`` is a noun collocation that ends with an -ing form ("weight lifting", "rock
    climbing", "ski jumping"): the name of an activity, so a name that ends with it is a noun
    compound with it as head, the words before it modifiers (a kind of the activity), not a verb
    and its object."""
    words = chunk.entry.split()
    return len(words) > 1 and is_gerund(words[-1], wordnet) and bool(wordnet.lemmas_for(chunk.entry, "noun"))


