"""What a class name says: its words, the chunks a dictionary defines, the titles to try.

"brush hair" is a verb and its object; "cutting in kitchen" a gerund and a place; "shake hands" and
"high jump" are WordNet collocations; "pushup" is WordNet's "push-up". The crawler looks up:

* the whole name, as a Wikipedia title and as a dictionary headword;
* each *chunk* (the longest WordNet collocation at each position, else one word; function words
  such as "in" or "the" are never a chunk of their own and never start or end one; a collocation
  WordNet has only written closed, as a word of another kind than its last word, is none: "side
  kick" is no "sidekick", a friend), for the
  word-by-word description ER-ZSAR falls back to ("brushing teeth" -> the definition of "brush"
  followed by that of "teeth"). A closed word WordNet lacks in every form is cut in two only
  where WordNet's data says how: a verb and its object ("dodgeball"), a kind and its head
  ("slacklining": a slack is a kind of line), a noun and a gerund of motion shaped as WordNet's
  closed verbs of motion ("kitesurfing" as "windsurf"), a noun the gerund's verb acts on in an
  example ("faceplanting": "planted a knee").

The first content chunk and every gerund are the *action*; the other chunks are its *objects*
(what is acted on, where, with what). Dictionaries define the action chunk as a verb when they can
(or as a noun naming an act, e.g. "fencing"), the objects as nouns.

A bracketed part of a name is a *qualifier*, never a chunk: "hurling (sport)" says which hurling,
"punching person (boxing)" in which domain; "(not on a tie)", "(not cat)" exclude something. Sense
choice uses a qualifier as context (``senses.py``); an excluding one is only recorded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from kgen.crawl.textclean import words_of
from kgen.crawl.wordnet import TRANSITIVE_FRAMES, Pos, WordNet

# Function words: never a chunk of their own, never at the edge of a collocation.
STOPWORDS = frozenset(
    """a an the of in on at to into onto from with without by for and or up down off out over under
    about around through across along against between behind before after while as one one's ones
    someone someone's somebody something something's his her their its your my our some any""".split()
)
# Particles of phrasal verbs ("blow out", "wake up", "stick out"): a collocation may end with one.
# Those that are mostly prepositions ("cutting in kitchen", "running on treadmill") only at the
# end of the name.
PARTICLES = frozenset("up down out off away back over in on around through".split())
_PREPOSITION_PARTICLES = frozenset("over in on around through".split())
_ARTICLES = frozenset("a an the".split())
# MediaWiki titles may not contain these characters (Manual:Page title).
_ILLEGAL_TITLE_CHARS = re.compile(r"[#<>\[\]|{}_\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Chunk:
    """A word or collocation a dictionary is asked to define."""

    text: str  # lower-case surface form, e.g. "brushing", "shake hands"
    position: int  # index of its first word in the name
    action: bool  # the action (head or gerund) rather than an object
    gerund: bool = False  # its first word is the -ing form of a verb ("brushing", not "swing")
    lookup: str = ""  # the form WordNet lists, when not the text ("hula hoop" for "hula hooping")
    derivation: str = ""  # how ``lookup`` was derived when WordNet lacks the word ("trapezing")
    compound: str = ""  # the closed compound WordNet lacks this chunk was cut from ("dodgeball")

    @property
    def entry(self) -> str:
        """What to look up in a dictionary."""
        return self.lookup or self.text


@dataclass(frozen=True)
class Qualifier:
    """A bracketed part of a class name: "(sport)", "(in game)", "(not on a tie)"."""

    text: str  # without brackets, lower case: "sport", "not on a tie"
    words: tuple[str, ...]  # its content words ("tie" for "not on a tie")
    excludes: bool  # "(not ...)": names what the class is not


@dataclass(frozen=True)
class Phrase:
    """A class name, analysed."""

    name: str
    words: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    whole_is_entry: bool  # the whole name is one dictionary entry (one chunk)
    qualifiers: tuple[Qualifier, ...] = ()

    @property
    def content_words(self) -> list[str]:
        return [w for w in self.words if w not in STOPWORDS]

    @property
    def dictionary_forms(self) -> list[str]:
        """The headwords to look up: the whole name, then each chunk (no duplicates)."""
        forms = [" ".join(self.words)] if self.words else []
        for chunk in self.chunks:
            if chunk.text not in forms:
                forms.append(chunk.text)
        return forms


def title_case_first(text: str) -> str:
    """MediaWiki's first-letter capitalisation ('brush hair' -> 'Brush hair'; the rest is kept)."""
    return text[:1].upper() + text[1:] if text else text


def sanitize_title(text: str) -> str:
    """``text`` without characters MediaWiki forbids in titles (a '|' would split a batch)."""
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", _ILLEGAL_TITLE_CHARS.sub(" ", text)).strip()


def gerund(verb: str, wordnet: WordNet | None = None) -> str:
    """The -ing form of ``verb``: WordNet's irregular forms first, else English spelling rules
    (ride -> riding, tie -> tying, run -> running, see -> seeing, visit -> visiting)."""
    v = verb.lower()
    if wordnet is not None:
        irregular = [form for form in wordnet.inflections_of(v, "verb") if form.endswith("ing")]
        if irregular:
            return irregular[0]
    if v.endswith("ing") and len(v) > 5:
        return v
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")) and len(v) > 2:
        return v[:-1] + "ing"
    vowel_groups = re.findall(r"[aeiou]+", v)
    if (
        len(vowel_groups) == 1
        and re.search(r"[^aeiou][aeiou][^aeiouwxy]$", v)
        and not re.search(r"[aeiou]{2}[^aeiou]$", v)
    ):
        return v + v[-1] + "ing"
    return v + "ing"


_BRACKETED = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_NEGATION = frozenset({"not", "no", "non", "except", "excluding", "without"})


def split_qualifiers(name: str) -> tuple[str, tuple[Qualifier, ...]]:
    """``name`` without its bracketed parts, and those parts as qualifiers:
    "tying knot (not on a tie)" -> ("tying knot", (Qualifier("not on a tie", ("tie",), True),))."""
    qualifiers: list[Qualifier] = []
    for match in _BRACKETED.finditer(name):
        inner = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        words = words_of(inner)
        if not words:
            continue
        excludes = words[0] in _NEGATION
        content = tuple(w for w in words if w not in STOPWORDS and w not in _NEGATION)
        qualifiers.append(Qualifier(" ".join(words), content, excludes))
    rest = re.sub(r"\s+", " ", _BRACKETED.sub(" ", name)).strip()
    return rest, tuple(qualifiers)


def analyse(name: str, wordnet: WordNet | None = None) -> Phrase:
    """Split ``name`` into the chunks a dictionary can define (WordNet knows collocations;
    without it, every content word is a chunk); bracketed parts become qualifiers."""
    bare, qualifiers = split_qualifiers(name)
    words = tuple(words_of(bare))
    if not words:
        return Phrase(name=name, words=(), chunks=(), whole_is_entry=False, qualifiers=qualifiers)
    whole = " ".join(words)
    if wordnet is not None and _is_entry(wordnet, whole):
        chunk = Chunk(whole, 0, action=True, gerund=is_gerund(words[0], wordnet))
        return Phrase(
            name=name, words=words, chunks=(chunk,), whole_is_entry=True, qualifiers=qualifiers
        )
    chunks: list[Chunk] = []
    i = 0
    while i < len(words):
        if words[i] in STOPWORDS:
            i += 1
            continue
        length = 1
        lookup = ""
        gerund_head = False
        if wordnet is not None:
            for span in range(min(4, len(words) - i), 1, -1):
                piece = words[i : i + span]
                text = " ".join(piece)
                if piece[-1] in STOPWORDS:
                    # a phrasal verb ("blowing out", "waking up") may end with its particle
                    at_end = i + span == len(words)
                    before_article = not at_end and words[i + span] in _ARTICLES
                    if (
                        piece[-1] in PARTICLES
                        and (at_end or piece[-1] not in _PREPOSITION_PARTICLES)
                        and not before_article  # "climbing up the stairs": a preposition
                        and wordnet.lemmas_for(text, "verb")
                    ):
                        length = span
                        break
                    continue
                if _is_entry(wordnet, text):
                    if _swallows_action(wordnet, words, i, span):
                        break  # "playing field hockey": playing + field hockey, not playing field + hockey
                    length = span
                    break
                compound = _gerund_compound(wordnet, piece)
                if compound:
                    # "hula hooping" is the act of the noun "hula hoop"
                    length, lookup, gerund_head = span, compound, True
                    break
        text = " ".join(words[i : i + length])
        gerund = gerund_head or is_gerund(words[i], wordnet)
        derivation = ""
        if wordnet is not None and length == 1 and not lookup and not _is_known(wordnet, text):
            lookup, derivation = derived_noun(wordnet, text)
            parts = split_compound(wordnet, text) if not lookup else []
            if not parts and not lookup:
                parts = (
                    split_kind_compound(wordnet, text, i)
                    or split_motion_compound(wordnet, text, i)
                    or split_object_gerund(wordnet, text, i)
                )
            if parts:
                chunks.extend(parts)
                i += length
                continue
        chunks.append(
            Chunk(text=text, position=i, action=False, gerund=gerund, lookup=lookup, derivation=derivation)
        )
        i += length
    # A phrasal verb split by its object ("sticking tongue out"): the particle joins the verb.
    if wordnet is not None and len(chunks) > 1 and words[-1] in PARTICLES:
        first = chunks[0]
        joined = f"{first.text} {words[-1]}"
        if len(first.text.split()) == 1 and wordnet.lemmas_for(joined, "verb"):
            chunks[0] = Chunk(joined, first.position, False, first.gerund, lookup=joined)
    # The action: the gerunds when there are any ("baby crawling", "horse riding"), else the first
    # chunk ("brush hair", "golf swing").
    has_gerund = any(chunk.gerund for chunk in chunks)
    marked = []
    for index, chunk in enumerate(chunks):
        is_action = chunk.gerund if has_gerund else index == 0
        marked.append(
            Chunk(
                text=chunk.text,
                position=chunk.position,
                action=is_action,
                gerund=chunk.gerund,
                lookup=chunk.lookup,
                derivation=chunk.derivation,
                compound=chunk.compound,
            )
        )
    # A name whose content is one chunk is a single entry too ("golf", "the golf").
    whole_is_entry = len(marked) == 1
    return Phrase(
        name=name,
        words=words,
        chunks=tuple(marked),
        whole_is_entry=whole_is_entry,
        qualifiers=qualifiers,
    )


def is_gerund(word: str, wordnet: WordNet | None = None) -> bool:
    """Whether ``word`` is the -ing form of a verb: 'brushing', 'diving'; not 'swing', 'ceiling'.
    WordNet decides when present (a verb lemma other than the word itself); otherwise what precedes
    '-ing' must hold a vowel ('sw-ing' does not)."""
    if not word.endswith("ing") or len(word) < 5:
        return False
    if wordnet is not None:
        return any(lemma != word for lemma in wordnet.morphy(word, "verb"))
    return re.search(r"[aeiouy]", word[:-3]) is not None


def _gerund_compound(wordnet: WordNet, piece: list[str]) -> str:
    """"hula hoop" for ("hula", "hooping"): a noun entry whose last word is the gerund's verb."""
    if len(piece) < 2 or not is_gerund(piece[-1], wordnet):
        return ""
    for base in wordnet.morphy(piece[-1], "verb"):
        candidate = " ".join([*piece[:-1], base])
        if base != piece[-1] and wordnet.lemmas_for(candidate, "noun"):
            return wordnet.lemmas_for(candidate, "noun")[0]
    return ""


# What a noun behind an -ing word WordNet lacks must be: the equipment or product of the activity
# ("trapezing": trapeze, "scrapbooking": scrapbook), or the person who does it ("bartending":
# bartender). A noun of another kind says something else ("texting" is no "text").
_DERIVED_NOUN_FILES = frozenset({"noun.artifact", "noun.act"})


def derived_noun(wordnet: WordNet, word: str) -> tuple[str, str]:
    """(noun, how) for an -ing word WordNet lacks whose stem is a noun WordNet has: "trapezing" ->
    ("trapeze", ...), "bartending" -> ("bartender", ...); ("", "") when there is none."""
    if not word.endswith("ing") or len(word) < 7 or " " in word:
        return "", ""
    stem = word[:-3]
    stems = [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        stems.append(stem[:-1])  # "shopping" -> "shop"
    for base in stems:
        if wordnet.has(base, "verb"):
            return "", ""  # a verb's gerund is no derivation (morphy finds it)
        senses = wordnet.synsets(base, "noun") if wordnet.has(base, "noun") else []
        if senses and senses[0].lexfile in _DERIVED_NOUN_FILES:
            return base, f"WordNet lacks {word!r}: the noun {base!r} + -ing (what the activity uses or makes)"
    for base in stems:
        agent = base + "er"
        senses = wordnet.synsets(agent, "noun") if wordnet.has(agent, "noun") else []
        if senses and senses[0].lexfile == "noun.person":
            return agent, f"WordNet lacks {word!r}: the activity of a {agent!r}"
    return "", ""


# A closed compound WordNet lacks in every form is cut into its two words only where they are a
# verb and its object, the verb first and the object a tangible thing: "dodgeball" (dodge a ball),
# as WordNet's own "pickpocket" or "breakwater". Tried and dropped: the object first before a gerund
# ("faceplanting" -> face + planting) gained 1 tuned Kinetics-400 class and lost 1 held-out
# Kinetics-400 and 1 blind Kinetics-600 one. Not tried (round 7): a thing and the gerund of a sport
# ("kitesurfing" -> kite + surfing, "snowkiting"), since WordNet gives "jetskiing" (jet + skiing,
# an airplane and the sport) and "beatboxing" (beat + boxing) the same shape and neither is that.
# Where another action acts on the compound ("playing kickball"), its parts are left out by the
# sense choice (``senses.py``): the compound then names a thing, the game.
TANGIBLE_NOUN_FILES = frozenset(
    {"noun.artifact", "noun.body", "noun.object", "noun.food", "noun.plant", "noun.animal", "noun.substance"}
)
MIN_COMPOUND_PART = 3  # letters: "zumba" is no "zu" + "mba"


def split_compound(wordnet: WordNet, word: str) -> list[Chunk]:
    """The two chunks of a closed compound WordNet lacks in every form, where it is a verb and its
    object: "dodgeball" -> "dodge" + "ball". The verb is mostly used as a verb and has a sense
    tagged in WordNet's concordance that takes an object; the object is mostly a noun, tagged, whose
    first sense is a tangible thing (not "jumpstyle": a style is no thing). [] otherwise, and where
    the word splits into two WordNet words more than one way."""
    if " " in word or _is_known(wordnet, word):
        return []
    splits = [
        (word[:k], word[k:])
        for k in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_PART + 1)
        if _is_known(wordnet, word[:k]) and _is_known(wordnet, word[k:])
    ]
    if len(splits) != 1:
        return []
    verb, thing = splits[0]
    if not (_mostly(wordnet, verb, "verb") and _tagged_transitive_verb(wordnet, verb)):
        return []
    if not _tangible_noun(wordnet, thing):
        return []
    note = f"WordNet lacks {word!r}: the verb {verb!r} and its object {thing!r}"
    return [
        Chunk(verb, 0, action=False, gerund=False, derivation=note, compound=word),
        Chunk(thing, 0, action=False, gerund=False, derivation=note, compound=word),
    ]


def _mostly(wordnet: WordNet, word: str, pos: Pos) -> bool:
    """Whether ``word`` is tagged under ``pos`` at least once and at least as often as under any other."""
    others = [_tag_count(wordnet, word, p) for p in ("noun", "verb", "adj", "adv") if p != pos]
    return _tag_count(wordnet, word, pos) >= max(1, *others)


def _tag_count(wordnet: WordNet, word: str, pos: Pos) -> int:
    """How often ``word`` is tagged under ``pos`` in WordNet's concordance (all its base forms)."""
    total = 0
    for lemma in wordnet.lemmas_for(word, pos):
        if wordnet.has_sense_counts():
            total += sum(wordnet.sense_count(lemma, s) for s in wordnet.synsets(lemma, pos))
        else:
            total += wordnet.tagged_count(lemma, pos)
    return total


def _tangible_noun(wordnet: WordNet, word: str) -> bool:
    """Mostly a noun, tagged, whose first sense is a tangible thing (a body part, an artifact ...)."""
    if not _mostly(wordnet, word, "noun"):
        return False
    lemmas = wordnet.lemmas_for(word, "noun")
    senses = wordnet.synsets(lemmas[0], "noun") if lemmas else []
    return bool(senses) and senses[0].lexfile in TANGIBLE_NOUN_FILES


def _tagged_transitive_verb(wordnet: WordNet, word: str) -> bool:
    """A verb with a sense tagged in the concordance that takes an object (a frame "Somebody ----s
    something")."""
    for lemma in wordnet.lemmas_for(word, "verb"):
        for synset in wordnet.synsets(lemma, "verb"):
            if wordnet.sense_count(lemma, synset) > 0 and set(synset.frames) & TRANSITIVE_FRAMES:
                return True
    return False


# Two more shapes of a closed compound WordNet lacks in every form, each cut only where WordNet's
# own data says the two parts go together that way (round 8):
# * a kind before its head, as a noun or its -ing activity: an English compound names a kind of its
#   last word, so where a noun sense of the first part is already, in WordNet, a kind of a noun
#   sense of the second (at most KIND_COMPOUND_STEPS up), the compound is that kind ("slackline":
#   slack.n.06, "a cord or rope or cable that is hanging loosely", is a kind of line.n.18, so
#   "slacklining" is slack + line);
# * a noun and the gerund of a verb of motion, the shape of WordNet's closed verbs of motion
#   ("windsurf", "snowboard", "skydive", "sleepwalk"): cut only where such a closed verb of motion
#   starts with the same noun or ends with the same verb ("snowkiting": snowboard, snowshoe;
#   "kitesurfing": windsurf), and the noun is used as a noun at least as often as as anything else.
#   Not "jetskiing" (no closed verb of motion starts with "jet" or ends with "ski": WordNet writes
#   "water ski" apart), "beatboxing" ("box" is no verb of motion, "beat" mostly a verb),
#   "headbanging" ("headbutt" is a verb of contact).
KIND_COMPOUND_STEPS = 3


def split_kind_compound(wordnet: WordNet, word: str, position: int = 0) -> list[Chunk]:
    """A closed compound WordNet lacks whose first part names, in WordNet, a kind of its second:
    "slackline", "slacklining" -> "slack" + "line". [] where there is none or more than one cut."""
    if " " in word or _is_known(wordnet, word):
        return []
    stems = [word]
    if word.endswith("ing") and len(word) > 6:
        stem = word[:-3]
        stems += [stem, stem + "e"] + ([stem[:-1]] if stem[-1] == stem[-2] else [])
    cuts = {
        (stem[:k], stem[k:])
        for stem in stems
        for k in range(MIN_COMPOUND_PART, len(stem) - MIN_COMPOUND_PART + 1)
        if _names_a_kind_of(wordnet, stem[:k], stem[k:])
    }
    if len(cuts) != 1:
        return []
    ((modifier, head),) = cuts
    note = f"WordNet lacks {word!r}: {modifier!r} names a kind of {head!r} (the compound {modifier} {head})"
    return [
        Chunk(modifier, position, action=False, gerund=False, derivation=note),
        Chunk(head, position, action=False, gerund=False, derivation=note),
    ]


def _names_a_kind_of(wordnet: WordNet, modifier: str, head: str) -> bool:
    """Whether a noun sense of ``modifier`` is a kind of a noun sense of ``head`` (both exactly as
    WordNet lists them), at most ``KIND_COMPOUND_STEPS`` up."""
    heads = {(s.pos, s.offset) for s in wordnet.synsets(head, "noun")}
    if not heads:
        return False
    for synset in wordnet.synsets(modifier, "noun"):
        ancestors = wordnet.ancestors(synset)
        if any(0 < ancestors.get(h, 0) <= KIND_COMPOUND_STEPS for h in heads):
            return True
    return False


def split_motion_compound(wordnet: WordNet, word: str, position: int = 0) -> list[Chunk]:
    """A closed compound WordNet lacks that is a noun and the gerund of a verb of motion, cut where
    WordNet has a closed verb of motion with the same first noun or the same last verb:
    "kitesurfing" -> "kite" + "surfing" (as "windsurf"), "snowkiting" -> "snow" + "kiting" (as
    "snowboard"). [] otherwise, and where more than one cut qualifies."""
    if " " in word or not word.endswith("ing") or _is_known(wordnet, word):
        return []

    def moves_with(noun: str, tail: str) -> bool:
        if not wordnet.has(noun, "noun") or not _not_mostly_other_than_noun(wordnet, noun):
            return False
        if not is_gerund(tail, wordnet):
            return False
        verbs = [v for v in wordnet.morphy(tail, "verb") if v != tail and _has_motion_sense(wordnet, v)]
        return bool(verbs) and bool(_closed_motion_verb_like(wordnet, noun, verbs))

    return _one_noun_gerund_cut(
        word,
        position,
        moves_with,
        lambda noun, tail: f"WordNet lacks {word!r}: the noun {noun!r} and the gerund {tail!r} of a verb of motion",
    )


def _one_noun_gerund_cut(
    word: str, position: int, accepts: Callable[[str, str], bool], note: Callable[[str, str], str]
) -> list[Chunk]:
    """The chunks of the one cut of ``word`` into a noun and a gerund that ``accepts`` takes (each
    part at least MIN_COMPOUND_PART letters); [] where none or more than one qualifies."""
    cuts = [
        (word[:k], word[k:])
        for k in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_PART - 2)
        if accepts(word[:k], word[k:])
    ]
    if len(cuts) != 1:
        return []
    noun, tail = cuts[0]
    derivation = note(noun, tail)
    return [
        Chunk(noun, position, action=False, gerund=False, derivation=derivation),
        Chunk(tail, position, action=False, gerund=True, derivation=derivation),
    ]


def _not_mostly_other_than_noun(wordnet: WordNet, word: str) -> bool:
    """Whether ``word`` is tagged as a noun at least as often as under any other part of speech."""
    noun = _tag_count(wordnet, word, "noun")
    return all(_tag_count(wordnet, word, pos) <= noun for pos in ("verb", "adj", "adv"))


def _has_motion_sense(wordnet: WordNet, verb: str) -> bool:
    return any(s.lexfile == "verb.motion" for s in wordnet.synsets(verb, "verb"))


def _closed_motion_verb_like(wordnet: WordNet, noun: str, verbs: list[str]) -> str:
    """A closed verb of motion WordNet lists that starts with ``noun`` and goes on with another
    WordNet word ("snowboard", "snowshoe" for "snow"), or that ends with one of ``verbs`` after a
    noun and is a kind of it ("windsurf", a kind of surf.v.01: for "surf"; not "snowboard" for
    "board", which is no kind of boarding a ship), else ""."""
    for lemma in wordnet.closed_lemmas("verb"):
        if len(lemma) < 2 * MIN_COMPOUND_PART or not (lemma.startswith(noun) or lemma.endswith(tuple(verbs))):
            continue
        rest = lemma[len(noun) :]
        same_noun = (
            lemma.startswith(noun)
            and len(rest) >= MIN_COMPOUND_PART
            and (wordnet.has(rest, "verb") or wordnet.has(rest, "noun"))
        )
        if same_noun and _has_motion_sense(wordnet, lemma):
            return lemma
        for verb in verbs:
            first = lemma[: -len(verb)]
            if lemma.endswith(verb) and len(first) >= MIN_COMPOUND_PART and wordnet.has(first, "noun"):
                if _kind_of_verb(wordnet, lemma, verb):
                    return lemma
    return ""


def _kind_of_verb(wordnet: WordNet, compound: str, verb: str) -> bool:
    """Whether a verb-of-motion sense of ``compound`` is a kind of a sense of ``verb``, at most
    ``KIND_COMPOUND_STEPS`` up."""
    senses = {(s.pos, s.offset) for s in wordnet.synsets(verb, "verb")}
    return any(
        synset.lexfile == "verb.motion"
        and any(0 < wordnet.ancestors(synset).get(key, 0) <= KIND_COMPOUND_STEPS for key in senses)
        for synset in wordnet.synsets(compound, "verb")
    )


# Round 8: a closed compound WordNet lacks that is a noun and a gerund, the noun what the verb acts
# on (object incorporation: "faceplanting" is planting one's face, as "headbutt" is butting with
# the head), cut only where WordNet shows the verb acting on such a thing: a sense of the verb
# tagged in the concordance that takes an object has an example whose object is filed, in its
# first sense, where the noun's first sense is, a tangible thing ("He planted a *knee* in the back
# of his opponent": a body part, as the face). The noun is mostly used as a noun, and the word is
# no -ing form of a compound WordNet has ("breadcrumbing": breadcrumb). Not "headbanging": "bang"
# acts on balls, doors and sashes in its examples, no body part. (The sixth round's object-first
# cut without the example lost a held-out Kinetics-400 and a blind Kinetics-600 class.)
_EXAMPLE_DETERMINERS = frozenset("a an the his her their its my your our one's some".split())


def split_object_gerund(wordnet: WordNet, word: str, position: int = 0) -> list[Chunk]:
    """A closed compound WordNet lacks that is a noun and a gerund whose verb acts on things of
    the noun's kind in its examples: "faceplanting" -> "face" + "planting". [] otherwise, and where
    more than one cut qualifies."""
    if " " in word or not word.endswith("ing") or _is_known(wordnet, word):
        return []
    stem = word[:-3]
    if any(_is_known(wordnet, s) for s in (stem, stem + "e")):
        return []  # the -ing form of a compound WordNet has

    def acts_on(noun: str, tail: str) -> bool:
        if not is_gerund(tail, wordnet) or not _mostly(wordnet, noun, "noun"):
            return False
        firsts = wordnet.synsets(noun, "noun")[:1]
        if not firsts or firsts[0].lexfile not in TANGIBLE_NOUN_FILES:
            return False
        verbs = [v for v in wordnet.morphy(tail, "verb") if v != tail]
        return any(_acts_in_example_on(wordnet, v, firsts[0].lexfile) for v in verbs)

    return _one_noun_gerund_cut(
        word,
        position,
        acts_on,
        lambda noun, tail: f"WordNet lacks {word!r}: the gerund {tail!r} and what it acts on, {noun!r}",
    )


def _acts_in_example_on(wordnet: WordNet, verb: str, lexfile: str) -> bool:
    """Whether a tagged sense of ``verb`` that takes an object has an example whose object (the
    first noun after the verb's form, past determiners) is, in its first sense, filed in ``lexfile``."""
    for synset in wordnet.synsets(verb, "verb"):
        if wordnet.sense_count(verb, synset) == 0 or not set(synset.frames) & TRANSITIVE_FRAMES:
            continue
        for example in synset.examples:
            words = words_of(example)
            at = [i for i, w in enumerate(words) if verb in wordnet.morphy(w, "verb")]
            for i in at[:1]:
                rest = [w for w in words[i + 1 :] if w not in _EXAMPLE_DETERMINERS]
                nouns = wordnet.morphy(rest[0], "noun") if rest else []
                first = wordnet.synsets(nouns[0], "noun")[:1] if nouns else []
                if first and first[0].lexfile == lexfile:
                    return True
    return False


def _is_known(wordnet: WordNet, text: str) -> bool:
    return any(wordnet.lemmas_for(text, pos) for pos in ("noun", "verb", "adj", "adv"))


def _swallows_action(wordnet: WordNet, words: tuple[str, ...], i: int, span: int) -> bool:
    """Whether the noun collocation ``words[i:i+span]`` takes in a gerund that is rather the
    action of a longer collocation after it: the gerund is no verb of the collocation, and words
    ``i+1`` onwards form an entry that reaches past it."""
    text = " ".join(words[i : i + span])
    if not is_gerund(words[i], wordnet) or wordnet.lemmas_for(text, "verb"):
        return False
    for longer in range(min(4, len(words) - i - 1), span - 1, -1):
        piece = words[i + 1 : i + 1 + longer]
        if i + 1 + longer > i + span and piece[-1] not in STOPWORDS and _is_entry(wordnet, " ".join(piece)):
            return True
    return False


def _is_entry(wordnet: WordNet, text: str) -> bool:
    return any(wordnet.lemmas_for(text, pos) for pos in ("noun", "verb")) and not _closed_word_of_another_kind(
        wordnet, text
    )


def _closed_word_of_another_kind(wordnet: WordNet, text: str) -> bool:
    """Whether WordNet has the words of ``text`` only written closed, as a word of another kind than
    its last word: "side kick" is no "sidekick" (a friend, noun.person; every noun "kick" is an
    act, a feeling, an event ...). An English compound names a kind of its last word, its head, so
    its closed form is the same compound only where some sense of it is filed where a sense of the
    head is ("skate boarding" = "skateboarding", noun.act, as "boarding" is; "breast stroke" =
    "breaststroke"). A head with no sense of that part of speech ("push up": "up" is no noun) says
    nothing, nor does a form with the spaces or hyphens ("bow tie", "push-up")."""
    words = text.split()
    if len(words) < 2:
        return False
    kinds: list[bool] = []
    for pos in ("noun", "verb"):
        lemmas = wordnet.lemmas_for(text, pos)
        if not lemmas:
            continue
        if any(" " in lemma or "-" in lemma for lemma in lemmas):
            return False
        head = {s.lexfile for lemma in wordnet.lemmas_for(words[-1], pos) for s in wordnet.synsets(lemma, pos)}
        if not head:
            return False
        closed = {s.lexfile for lemma in lemmas for s in wordnet.synsets(lemma, pos)}
        kinds.append(bool(closed & head))
    return bool(kinds) and not any(kinds)


def wikipedia_titles(phrase: Phrase, original: str, wordnet: WordNet | None = None) -> list[str]:
    """Titles to try for a class, best first: the name as written, then with its leading verb as a
    gerund ("ride horse" -> "Riding horse", "run" -> "Running"), which is how Wikipedia names
    activities. Characters MediaWiki forbids are removed."""
    titles: list[str] = []
    base = sanitize_title(original)
    if base:
        titles.append(title_case_first(base))
    if phrase.words and not (phrase.whole_is_entry and len(phrase.words) > 1):
        first = phrase.words[0]
        known = wordnet is not None and any(
            wordnet.has(first, pos) for pos in ("noun", "verb", "adj", "adv")
        )
        if wordnet is not None and known:
            # Only a word that is mostly a verb: "ride horse" -> "Riding horse", not "Babying crawling".
            others = max(wordnet.tagged_count(first, pos) for pos in ("noun", "adj", "adv"))
            is_verb = wordnet.has(first, "verb") and wordnet.tagged_count(first, "verb") >= max(
                1, others
            )
        else:
            is_verb = (
                True  # no dictionary to ask: try the gerund too (one title more in a batch of 50)
            )
        if is_verb and not is_gerund(first, wordnet) and first not in STOPWORDS:
            rest = base.split(" ", 1)[1] if " " in base else ""
            variant = title_case_first(
                (gerund(first, wordnet) + (" " + rest if rest else "")).strip()
            )
            if variant and variant not in titles:
                titles.append(variant)
    return titles
