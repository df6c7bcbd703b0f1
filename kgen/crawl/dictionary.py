"""Dictionary definitions of a chunk of a class name: which sense, from WordNet or Wiktionary.

Sense choice (kgen's rules; ER-ZSAR does not say how it picked dictionary senses):

* an *action* chunk (the head of the name, or a gerund) is defined as a verb when it is mostly a
  verb (WordNet's concordance counts) or the whole name, and as a noun naming an act when it is the
  whole name and a gerund ("fencing") or a word whose verb senses are empty ("golf": "play golf");
  *object* chunks ("hair", "kitchen") and first words that are mostly nouns ("floor" in "floor
  gymnastics", "head" in "head massage") as nouns;
* WordNet: among the senses of that part of speech, most frequent first, the first one that is not
  *vacuous*; for an action verb, the first in a lexicographer file of bodily action (verb.body,
  verb.contact, verb.motion, verb.competition, verb.consumption) when there is one; for an action
  noun, the first in noun.act ("fencing": "the art or sport of fighting with swords", not "a barrier
  that serves to enclose an area");
* WordNet, *in context* (a name of several chunks): the senses of a chunk are also scored against
  the rest of the name, a simplified Lesk (Lesk 1986) restricted to the name's own words: two
  points for each word of the other chunks that the sense's definition or lemmas mention ("bow" in
  "shoot bow": "a weapon for *shooting* arrows", not "a knot with two loops"; "swing" in "golf
  swing": "the act of swinging a *golf* club"; "pitch" in "baseball pitch"), one point when an
  object's gloss names the action as a participle ("a publication on *folded* sheets" for "paper"
  in "folding paper"). A sense replaces the one the rules above pick only when it scores at least
  ``MIN_CONTEXT_SCORE`` (2) and more than that one; among equal scores the rules' order stands.
  Generic words ("act", "someone", "used") never count; a person never replaces a thing, and a
  sense whose gloss says informal, slang or dated is never brought in by context. (Scoring gloss
  against gloss, as Lesk's original does, was tried on HMDB51/UCF101/K400 and picked more wrong
  senses than it fixed: "back and forth" made "swing" in "tennis swing" a plaything.) This is
  kgen's choice: the papers do not say how senses were picked;
* Wiktionary: the first sense of that part of speech that is not vacuous and not labelled obsolete,
  archaic, rare, slang ...; for an action noun, a sense labelled as a sport, game or exercise first;
  a form-of sense ("present participle of brush") is followed to its lemma;
* *vacuous*: a definition that only restates the word ("do a somersault", "play golf", "the act of
  brushing your teeth"): it mentions the word and adds fewer than two other content words, or reads
  "the act of <word>".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kgen.crawl.phrase import STOPWORDS, Chunk
from kgen.crawl.textclean import stem, words_of
from kgen.crawl.wikitext import WiktionaryDefinition
from kgen.crawl.wiktionary import WiktionaryEntry
from kgen.crawl.wordnet import Pos, Synset, WordNet

PHYSICAL_VERB_LEXFILES = frozenset(
    {"verb.body", "verb.contact", "verb.motion", "verb.competition", "verb.consumption"}
)
ACTIVITY_LABELS = frozenset(
    """sports sport games ball games gymnastics athletics martial arts dance dancing exercise fitness
    swimming wrestling boxing fencing archery climbing skiing skating cycling golf tennis cricket baseball
    basketball football soccer volleyball hockey weightlifting bodybuilding yoga""".split()
)
# Words too common in glosses to tell senses apart (they never score in context).
GENERIC_GLOSS_WORDS = frozenset(
    """act action activity process practice something someone somebody person people thing things
    part use used using make made making usually especially often esp etc e g i.e one two several
    various kind type form way manner move moving cause causing become having being get take give
    also very small large long short particular purpose another other others""".split()
)
MIN_CONTEXT_SCORE = 2
_REGISTER_NOTE = re.compile(r"\b(?:informal|slang|obsolete|archaic|dated|vulgar)\b", re.IGNORECASE)
_ACT_OF = re.compile(r"^(?:the |an? )?(?:act|action|activity|process|practice) of (\w+)")


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


def is_vacuous(text: str, forms: set[str]) -> bool:
    """Whether ``text`` only restates one of ``forms``: it mentions the word and adds fewer than two
    other content words ('play golf', 'do a somersault', 'compete in a horse race'), or reads
    'the act of <word>' ('the act of brushing your teeth')."""
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


def _forms(text: str, lemma: str) -> set[str]:
    return {text.lower(), lemma.lower()}


def _pos_options(
    action: bool, gerund: bool, verb_first: bool = True, alone: bool = False
) -> list[tuple[str, Pos]]:
    """(option, part of speech) in the order tried; 'act' is a noun restricted to acts.

    A gerund that is the whole name ("fencing", "bowling") names an activity: a noun of act first.
    A gerund with objects ("brushing teeth", "juggling balls") is a verb, as ER-ZSAR defines it.
    Another action chunk is a verb first when it is the whole name ("wave", "laugh") or mostly a verb
    (``verb_first``: "kick" in "kick ball", but not "floor" in "floor gymnastics")."""
    if action and gerund and alone:
        return [("act", "noun"), ("verb", "verb"), ("noun", "noun"), ("adj", "adj")]
    if action and (gerund or verb_first or alone):
        return [("verb", "verb"), ("act", "noun"), ("noun", "noun"), ("adj", "adj")]
    # An object, or a first word that is mostly a noun: it modifies the action ("head massage").
    return [("noun", "noun"), ("verb", "verb"), ("adj", "adj"), ("adv", "adv")]


def mostly_verb(wordnet: WordNet, text: str) -> bool:
    """Whether WordNet's concordance counts ``text`` as a verb at least as often as anything else."""
    word = text.split()[0]
    verb = wordnet.tagged_count(word, "verb")
    if not wordnet.has(word, "verb"):
        lemmas = wordnet.morphy(word, "verb")
        if not lemmas:
            return False
        verb = wordnet.tagged_count(lemmas[0], "verb")
    others = max(wordnet.tagged_count(word, pos) for pos in ("noun", "adj", "adv"))
    return verb >= max(1, others)


@dataclass(frozen=True)
class SenseContext:
    """The rest of a class name, as a simplified Lesk sees it (stems of its content words)."""

    mentioned: frozenset[str]  # the other chunks' words ("golf" for "swing" in "golf swing")
    action: frozenset[str]  # of those, the action's words, when the chunk scored is an object

    def score(self, synset: Synset, own: set[str]) -> int:
        """Two points per word of the rest of the name that ``synset``'s definition or lemmas
        mention, one when it is the action named as a participle in an object's gloss ("a
        publication on *folded* sheets"); the chunk's own words (``own``) never count."""
        points: dict[str, int] = {}
        for text in (synset.definition, *synset.lemmas):
            for word in _content_words(text):
                key = stem(word)
                if key in own or key not in self.mentioned:
                    continue
                weak = key in self.action and word.endswith(("ed", "en"))
                points[key] = max(points.get(key, 0), 1 if weak else 2)
        return sum(points.values())


def _content_words(text: str) -> list[str]:
    words = (re.sub(r"['’]s$", "", w) for w in words_of(text))  # "person's" -> "person"
    return [w for w in words if w and w not in STOPWORDS and w not in GENERIC_GLOSS_WORDS]


def _content_stems(text: str) -> set[str]:
    return {stem(w) for w in _content_words(text)}


def sense_context(chunks: tuple[Chunk, ...], chunk: Chunk) -> SenseContext | None:
    """The context of ``chunk`` among a name's ``chunks`` (None when it is the whole name)."""
    others = [c for c in chunks if c != chunk]
    if not others:
        return None
    own = _content_stems(chunk.text)
    mentioned: set[str] = set()
    action: set[str] = set()
    for other in others:
        words = _content_stems(other.text)
        mentioned |= words
        if other.action and not chunk.action:
            action |= words
    return SenseContext(frozenset(mentioned - own), frozenset(action - own))


def _in_context(
    default: Synset, senses: list[Synset], context: SenseContext | None, text: str, lemma: str
) -> Synset:
    """``default`` unless another of ``senses`` fits the context clearly better (module docstring).
    Never a person for a thing ("a person who shoots a gun" for "gun" in "shoot gun") nor a sense
    its gloss marks as informal, slang or dated ("blow": "leave; informal or rude")."""
    if context is None:
        return default
    own = _content_stems(text) | _content_stems(lemma)
    best, best_score = default, context.score(default, own)
    for synset in senses:
        if synset.lexfile == "noun.person" and default.lexfile != "noun.person":
            continue
        if _REGISTER_NOTE.search(synset.definition):
            continue
        score = context.score(synset, own)
        if score > best_score and score >= MIN_CONTEXT_SCORE:
            best, best_score = synset, score
    return best


def wordnet_definition(
    wordnet: WordNet,
    text: str,
    *,
    action: bool,
    gerund: bool,
    alone: bool = False,
    context: SenseContext | None = None,
) -> Definition | None:
    """The WordNet sense that defines ``text`` in its role (see the module docstring);
    ``alone``: the chunk is the whole class name; ``context``: the rest of the name."""
    fallback: tuple[str, Synset] | None = None
    options = _pos_options(
        action, gerund, verb_first=alone or mostly_verb(wordnet, text), alone=alone
    )
    for option, pos in options:
        for lemma, senses in wordnet.lookup(text, pos):
            if senses and fallback is None:
                fallback = (lemma, senses[0])
            candidates = [
                s
                for s in senses
                if s.definition and not is_vacuous(s.definition, _forms(text, lemma))
            ]
            if option == "act":
                candidates = [s for s in candidates if s.lexfile == "noun.act"]
            preferred = candidates
            if option == "verb" and action:
                preferred = [
                    s for s in candidates if s.lexfile in PHYSICAL_VERB_LEXFILES
                ] or candidates
            if preferred:
                chosen = _in_context(preferred[0], candidates, context, text, lemma)
                return _from_synset(text, lemma, chosen)
    if fallback is not None and fallback[1].definition:
        return _from_synset(text, fallback[0], fallback[1], note="only a circular sense")
    return None


def _from_synset(query: str, lemma: str, synset: Synset, note: str | None = None) -> Definition:
    return Definition(
        source="wordnet",
        query=query,
        headword=lemma,
        pos=synset.pos,
        sense=synset.name,
        text=synset.definition,
        note=note if note else (f"{synset.lexfile}" if synset.lexfile else None),
    )


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
