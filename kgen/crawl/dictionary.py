"""Dictionary definitions of a chunk of a class name: which sense, from WordNet or Wiktionary.

* WordNet: the senses of all chunks of a name are chosen together, every candidate scored and the
  score explained (``senses.py``); :func:`wordnet_definition` turns a choice into the definition
  the refined description is made of. A very short gloss ("exhale hard", "cover with wax",
  "propel") is followed by the sense's usage example when one uses the word ('exhale hard, as in
  "blow on the soup to cool it down"'), else by its hypernym's gloss, within the CLIP length
  budget of the refined description (``refine.py``).
* Wiktionary: the first sense of the chunk's part of speech (an action chunk as a verb first,
  or as a noun naming an act for a gerund alone; objects as nouns) that is not vacuous and not
  labelled obsolete, archaic, rare, slang ...; for an action noun, a sense labelled as a sport,
  game or exercise first; a form-of sense ("present participle of brush") is followed to its lemma.
* *vacuous*: a definition that only restates the word ("do a somersault", "play golf", "the act
  of brushing your teeth"): it mentions the word and adds fewer than two other content words, or
  reads "the act of <word>". WordNet scores such a sense down (it no longer drops it: that dropped
  right senses such as "cover with wax"); Wiktionary skips it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kgen.crawl.descriptions import SenseCandidate, SenseChoice
from kgen.crawl.gloss import is_vacuous
from kgen.crawl.roles import mostly_verb
from kgen.crawl.senses import ChunkChoice
from kgen.crawl.textclean import words_of
from kgen.crawl.wikitext import WiktionaryDefinition
from kgen.crawl.wiktionary import WiktionaryEntry
from kgen.crawl.wordnet import Synset, WordNet

__all__ = [
    "Definition",
    "form_of_targets",
    "is_vacuous",
    "mostly_verb",
    "sense_record",
    "wiktionary_definition",
    "wordnet_definition",
]

ACTIVITY_LABELS = frozenset(
    """sports sport games ball games gymnastics athletics martial arts dance dancing exercise fitness
    swimming wrestling boxing fencing archery climbing skiing skating cycling golf tennis cricket baseball
    basketball football soccer volleyball hockey weightlifting bodybuilding yoga""".split()
)
SHORT_GLOSS_WORDS = 4  # a gloss of fewer content words is followed by an example or its hypernym's
MAX_EXTENSION_WORDS = 14  # the most words such an addition may have


@dataclass(frozen=True)
class Definition:
    """One definition chosen for a headword, with where it came from."""

    source: Literal["wordnet", "wiktionary"]
    query: str  # what the class name asked for ("brushing")
    headword: str  # the entry that answered ("brush")
    pos: str
    sense: str  # "brush.v.01" (WordNet) or "verb 1" (Wiktionary)
    text: str
    url: str | None = None
    revision_id: int | None = None
    retrieved_at: str | None = None
    note: str | None = None
    extension: str | None = None  # what follows a very short gloss, when the budget allows
    choice: SenseChoice | None = None  # WordNet: why this sense


def _forms(text: str, lemma: str) -> set[str]:
    return {text.lower(), lemma.lower()}


def sense_record(choice: ChunkChoice) -> SenseChoice | None:
    """The file's record of a chooser's choice (score, runners-up, evidence)."""
    chosen = choice.chosen
    if chosen is None:
        return None
    return SenseChoice(
        chunk=choice.chunk.text,
        role=choice.role,
        sense_id=chosen.id,
        score=chosen.score,
        margin=None if choice.margin is None else round(choice.margin, 3),
        decided_by=choice.decided_by,
        low_confidence=choice.low_confidence,
        evidence=[f"{e.points:+.2f} {e.kind}: {e.why}" for e in chosen.evidence if e.points],
        runners_up=[
            SenseCandidate(sense=r.name, id=r.id, score=r.score, definition=r.definition)
            for r in choice.runners_up
        ],
        candidates=choice.candidates,
        pinned=choice.pinned,
    )


def short_gloss_extension(wordnet: WordNet, synset: Synset, word: str) -> str | None:
    """What to add after a gloss of fewer than SHORT_GLOSS_WORDS content words: the first usage
    example that uses the word ('as in "wax the car"'), else the hypernym's gloss."""
    content = [w for w in words_of(synset.definition) if len(w) > 2]
    if len(content) >= SHORT_GLOSS_WORDS:
        return None
    forms = {word.lower(), *(lemma.lower() for lemma in synset.lemmas)}
    own = {f.split()[0][:4] for f in (word.lower(), synset.lemmas[0].lower()) if f}
    stems = {f.split()[0][:4] for f in forms if f}
    usable = [e for e in synset.examples if len(words_of(e)) <= MAX_EXTENSION_WORDS]
    # an example with the word itself ("dribble the ball"), else with a synonym ("carry the ball")
    for wanted in (own, stems):
        for example in usable:
            if any(w[:4] in wanted for w in words_of(example)):
                return f'as in "{example}"'
    hypernyms = wordnet.hypernym_synsets(synset)
    if hypernyms:
        parent = hypernyms[0]
        gloss = parent.definition
        if gloss and len(words_of(gloss)) <= MAX_EXTENSION_WORDS and not is_vacuous(gloss, forms):
            kind = "a way to" if synset.pos == "verb" else "a kind of"
            return f"{kind} {parent.lemmas[0]}: {gloss}"
    return None


def wordnet_definition(wordnet: WordNet, choice: ChunkChoice) -> Definition | None:
    """The definition a chooser's choice stands for (None when no sense was found)."""
    chosen = choice.chosen
    if chosen is None or not chosen.definition:
        return None
    synset = wordnet.sense(chosen.id)
    return Definition(
        source="wordnet",
        query=choice.chunk.text,
        headword=chosen.lemma,
        pos=chosen.pos,
        sense=chosen.name,
        text=chosen.definition,
        note=chosen.lexfile,
        extension=short_gloss_extension(wordnet, synset, choice.chunk.text),
        choice=sense_record(choice),
    )


def pinned_definition(wordnet: WordNet, synset: Synset, query: str, pinned_from: str) -> Definition:
    """A WordNet sense a user pinned for a whole class name."""
    return Definition(
        source="wordnet",
        query=query,
        headword=synset.lemmas[0],
        pos=synset.pos,
        sense=synset.name,
        text=synset.definition,
        note=synset.lexfile,
        extension=short_gloss_extension(wordnet, synset, query),
        choice=SenseChoice(
            chunk=query,
            role="alone",
            sense_id=synset.id,
            score=0.0,
            decided_by="pinned",
            candidates=1,
            pinned=pinned_from,
        ),
    )


def _pos_options(
    action: bool, gerund: bool, verb_first: bool = True, alone: bool = False
) -> list[tuple[str, str]]:
    """(option, part of speech) in the order Wiktionary's senses are tried; 'act' is a noun of act.

    A gerund that is the whole name ("fencing", "bowling") names an activity: a noun of act first.
    A gerund with objects ("brushing teeth") is a verb, as ER-ZSAR defines it. Another action chunk
    is a verb first when it is the whole name ("wave") or mostly a verb (``verb_first``)."""
    if action and gerund and alone:
        return [("act", "noun"), ("verb", "verb"), ("noun", "noun"), ("adj", "adj")]
    if action and (gerund or verb_first or alone):
        return [("verb", "verb"), ("act", "noun"), ("noun", "noun"), ("adj", "adj")]
    return [("noun", "noun"), ("verb", "verb"), ("adj", "adj"), ("adv", "adv")]


EntryLookup = Callable[[str], WiktionaryEntry | None]


def wiktionary_definition(
    lookup: EntryLookup,
    text: str,
    lemmas: list[str],
    *,
    action: bool,
    gerund: bool,
    alone: bool = False,
    verb_first: bool = True,
) -> Definition | None:
    """The Wiktionary sense that defines ``text`` (looked up as ``text``, then as each lemma)."""
    headwords = list(dict.fromkeys([text, *lemmas]))
    for option, pos in _pos_options(action, gerund, verb_first=verb_first, alone=alone):
        for headword in headwords:
            entry = lookup(headword)
            if entry is None or not entry.exists:
                continue
            found = _pick(lookup, entry, text, option, pos, depth=0)
            if found is not None:
                return found
    # A phrase section ("shake hands" is sometimes filed as a phrase) as a last resort.
    for headword in headwords:
        entry = lookup(headword)
        if entry is not None and entry.exists:
            found = _pick(lookup, entry, text, "phrase", "phrase", depth=0)
            if found is not None:
                return found
    return None


def _pick(
    lookup: EntryLookup, entry: WiktionaryEntry, query: str, option: str, pos: str, depth: int
) -> Definition | None:
    senses = [d for d in entry.definitions() if d.pos == pos and not d.skipped]
    forms = _forms(query, entry.title)
    if option == "act":
        senses = [d for d in senses if ACTIVITY_LABELS & {label.lower() for label in d.labels}]
    for sense in senses:
        if sense.form_of:
            if depth == 0:
                target = lookup(sense.form_of)
                if target is not None and target.exists:
                    found = _pick(lookup, target, query, option, pos, depth=1)
                    if found is not None:
                        return found
            continue
        if is_vacuous(sense.text, forms):
            continue
        return _from_wiktionary(query, entry, sense)
    return None


def _from_wiktionary(query: str, entry: WiktionaryEntry, sense: WiktionaryDefinition) -> Definition:
    return Definition(
        source="wiktionary",
        query=query,
        headword=entry.title,
        pos=sense.pos,
        sense=f"{sense.pos} {sense.number}",
        text=sense.text,
        url=entry.url,
        revision_id=entry.revision_id,
        retrieved_at=entry.retrieved_at,
        note=("labels: " + ", ".join(sense.labels)) if sense.labels else None,
    )


def form_of_targets(entry: WiktionaryEntry) -> list[str]:
    """The lemmas an entry's form-of senses point to (fetched in a second round)."""
    return list(dict.fromkeys(d.form_of for d in entry.definitions() if d.form_of))
