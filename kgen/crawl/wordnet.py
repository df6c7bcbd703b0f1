"""WordNet 3.0, read straight from the Princeton database files (Debian's ``wordnet-base``).

A small reader of the documented file formats (``wndb(5WN)``, ``morphy(7WN)``):

* ``index.<pos>``: ``lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offset...``,
  the offsets in sense order (most frequent sense first);
* ``data.<pos>``: at byte ``offset``, ``offset lex_filenum ss_type w_cnt word lex_id ... | gloss``;
* ``<pos>.exc``: irregular inflections (``ran run``);
* ``cntlist.rev`` (optional): ``sense_key sense_number tag_cnt``, how often each sense of each word
  was tagged in the semantic concordance (``cntlist(5WN)``, ``senseidx(5WN)`` for the key);
* the detachment rules of ``morphy`` (``-ies`` -> ``-y``, ``-ing`` -> ``-e`` / ``''`` ...).

Written here rather than taken from nltk because nltk's reader refuses paths outside its own data
folders and wants a ``lexnames`` file that Debian's package does not ship (the 45 lexicographer file
names are fixed by the WordNet 3.0 documentation, ``lexnames(5WN)``, and listed below).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import BinaryIO, Literal

from kgen.crawl.textclean import clean_gloss
from kgen.errors import SourceUnavailable

Pos = Literal["noun", "verb", "adj", "adv"]
POS_ORDER: tuple[Pos, ...] = ("noun", "verb", "adj", "adv")
_POS_LETTER: dict[Pos, str] = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")
WORDNET_DIR_ENV = "KGEN_WORDNET_DIR"
INSTALL_HINT = (
    "install Debian's WordNet 3.0 files (`sudo apt-get install wordnet-base`), or point "
    f"--wordnet-dir / ${WORDNET_DIR_ENV} at a folder holding index.noun, data.noun, ... (WordNet 3.0 dict/)"
)

# lexnames(5WN): lexicographer file number -> name.
LEXFILE_NAMES = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)

# morphy(7WN): suffix detachment rules, tried in this order.
_DETACHMENT_RULES: dict[Pos, tuple[tuple[str, str], ...]] = {
    "noun": (
        ("s", ""),
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ),
    "verb": (
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ),
    "adj": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "adv": (),
}

_REQUIRED_FILES = tuple(
    f"{kind}.{pos}" for pos in ("noun", "verb", "adj", "adv") for kind in ("index", "data")
)


_SS_TYPE_NUMBER = {"n": 1, "v": 2, "a": 3, "r": 4, "s": 5}
_LETTER_POS: dict[str, Pos] = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
# Pointer symbols kgen follows (wninput(5WN)): hypernyms, instance hypernyms, topic domains.
HYPERNYM = "@"
INSTANCE_HYPERNYM = "@i"
PART_HOLONYM = "#p"  # "keyboard" is a part of "piano"
TOPIC_DOMAIN = ";c"
# frames(5WN): the verb frames that take an object ("Somebody ----s something" ...)
TRANSITIVE_FRAMES = frozenset({8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 24, 25, 30, 31})
TOPIC_MEMBER = "-c"
# A sense id as users write it: "play.v.07" (the 7th verb sense of "play"), or WordNet's own
# "01725069-v" (offset and part of speech).
_SENSE_NAME = re.compile(r"^(?P<lemma>.+)\.(?P<pos>[nvasr])\.(?P<number>\d{1,3})$")
_SENSE_OFFSET = re.compile(r"^(?P<offset>\d{8})-(?P<pos>[nvasr])$")


@dataclass(frozen=True)
class Pointer:
    """A relation to another synset (``@`` hypernym, ``;c`` topic domain ...)."""

    symbol: str
    offset: int
    pos: Pos


@dataclass(frozen=True)
class Synset:
    """One WordNet sense: its lemmas, lexicographer file, gloss, relations and (verbs) frames."""

    offset: int
    pos: Pos
    lexfile: str
    lemmas: tuple[str, ...]
    definition: str
    gloss: str
    name: str  # nltk-style "brush.v.01": first lemma, pos letter, sense number of that lemma
    lex_ids: tuple[int, ...] = ()  # per lemma, for its sense key
    pointers: tuple[Pointer, ...] = ()
    frames: tuple[int, ...] = ()  # verb frame numbers (frames(5WN)), "8": "Somebody ----s something"

    @cached_property
    def id(self) -> str:
        """WordNet's own id, ``01725069-v``: stable whatever the lemma order."""
        return f"{self.offset:08d}-{_POS_LETTER[self.pos]}"

    @cached_property
    def examples(self) -> list[str]:
        """The quoted usage examples of the gloss ('"She waved to her friends"')."""
        return [m.strip() for m in _QUOTED.findall(self.gloss)]

    def related(self, *symbols: str) -> list[Pointer]:
        return [p for p in self.pointers if p.symbol in symbols]


_QUOTED = re.compile(r'"([^"]+)"')
_ADJECTIVE_MARKER = re.compile(r"\([a-z]+\)$")
_COMPACT = str.maketrans("", "", " \t\n_-'’.")


def compact_key(text: str) -> str:
    """'push-up', 'push up', 'pushup' -> 'pushup': the key under which spelling variants meet."""
    return text.lower().translate(_COMPACT)


def locate_wordnet_dir(directory: Path | None = None) -> Path:
    """The WordNet folder: ``directory``, else ``$KGEN_WORDNET_DIR``, else /usr/share/wordnet."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(WORDNET_DIR_ENV)
    return Path(env) if env else DEFAULT_WORDNET_DIR


def missing_wordnet_files(directory: Path) -> list[str]:
    return [name for name in _REQUIRED_FILES if not (directory / name).is_file()]


class WordNet:
    """Read-only access to a WordNet 3.0 database folder."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = locate_wordnet_dir(directory)
        missing = missing_wordnet_files(self.directory)
        if missing:
            where = (
                f"{self.directory}"
                if self.directory.is_dir()
                else f"{self.directory} (no such folder)"
            )
            raise SourceUnavailable(
                f"WordNet is not installed at {where}: missing {', '.join(missing[:4])}"
                + (" ..." if len(missing) > 4 else ""),
                hint=INSTALL_HINT,
            )
        self._index: dict[Pos, dict[str, tuple[int, ...]]] = {}
        self._tagged: dict[Pos, dict[str, int]] = {}
        self._compact: dict[Pos, dict[str, list[str]]] = {}
        self._exceptions: dict[Pos, dict[str, tuple[str, ...]]] = {}
        self._data_files: dict[Pos, BinaryIO] = {}
        self._synsets: dict[tuple[Pos, int], Synset] = {}
        self._sense_counts: dict[str, int] | None = None
        self._lemmas_cache: dict[tuple[str, Pos], list[str]] = {}
        self._synsets_of: dict[tuple[str, Pos], tuple[Synset, ...]] = {}
        self._morphy_cache: dict[tuple[str, Pos], list[str]] = {}
        self._ancestors: dict[tuple[Pos, int], dict[tuple[Pos, int], int]] = {}
        self._closed: dict[Pos, tuple[str, ...]] = {}

    @cached_property
    def version(self) -> str:
        """'3.0' (from the licence header of index.noun), or 'unknown'."""
        with open(self.directory / "index.noun", "rb") as handle:
            head = handle.read(4096).decode("latin-1")
        match = re.search(r"WordNet (\d+(?:\.\d+)*) Copyright", head)
        return match.group(1) if match else "unknown"

    def close(self) -> None:
        for handle in self._data_files.values():
            handle.close()
        self._data_files.clear()

    def __enter__(self) -> WordNet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- index and exceptions -------------------------------------------------------------------

    def _index_of(self, pos: Pos) -> dict[str, tuple[int, ...]]:
        table = self._index.get(pos)
        if table is None:
            table = {}
            tagged: dict[str, int] = {}
            with open(self.directory / f"index.{pos}", "rb") as handle:
                for raw in handle:
                    if raw.startswith(b"  "):
                        continue  # licence header lines start with two spaces
                    fields = raw.decode("latin-1").split()
                    if len(fields) < 6:
                        continue
                    pointer_count = int(fields[3])
                    offsets_start = 4 + pointer_count + 2
                    table[fields[0]] = tuple(int(offset) for offset in fields[offsets_start:])
                    tagged[fields[0]] = int(fields[offsets_start - 1])
            self._index[pos] = table
            self._tagged[pos] = tagged
        return table

    def _compact_of(self, pos: Pos) -> dict[str, list[str]]:
        table = self._compact.get(pos)
        if table is None:
            table = {}
            for lemma in self._index_of(pos):
                table.setdefault(compact_key(lemma), []).append(lemma)
            self._compact[pos] = table
        return table

    def _exceptions_of(self, pos: Pos) -> dict[str, tuple[str, ...]]:
        table = self._exceptions.get(pos)
        if table is None:
            table = {}
            path = self.directory / f"{pos}.exc"
            if path.is_file():
                with open(path, "rb") as handle:
                    for raw in handle:
                        fields = raw.decode("latin-1").split()
                        if len(fields) >= 2:
                            table[fields[0]] = tuple(fields[1:])
            self._exceptions[pos] = table
        return table

    def inflections_of(self, lemma: str, pos: Pos) -> list[str]:
        """Irregular inflected forms listed for ``lemma`` in ``<pos>.exc`` ('run' -> 'ran', 'running', ...)."""
        key = lemma.lower().replace(" ", "_")
        return [
            form.replace("_", " ")
            for form, bases in self._exceptions_of(pos).items()
            if key in bases
        ]

    def irregular_bases(self, form: str, pos: Pos) -> tuple[str, ...]:
        """The base forms ``<pos>.exc`` lists for an irregular inflected ``form`` ('flown' -> 'fly'), else ()."""
        return tuple(b.replace("_", " ") for b in self._exceptions_of(pos).get(_key(form), ()))

    # -- lookups -------------------------------------------------------------------------------

    def tagged_count(self, lemma: str, pos: Pos) -> int:
        """How many of ``lemma``'s senses under ``pos`` occur in WordNet's semantic concordance: a
        frequency signal ('ride' is mostly a verb, 'baby' mostly a noun)."""
        self._index_of(pos)
        return self._tagged[pos].get(_key(lemma), 0)

    def _counts(self) -> dict[str, int]:
        """``cntlist.rev``: tag count per sense key without its head part (``play%2:36:12``)."""
        if self._sense_counts is None:
            counts: dict[str, int] = {}
            path = self.directory / "cntlist.rev"
            if path.is_file():
                with open(path, "rb") as handle:
                    for raw in handle:
                        fields = raw.decode("latin-1").split()
                        if len(fields) == 3 and fields[2].isdigit():
                            key = ":".join(fields[0].split(":")[:3])
                            counts[key] = counts.get(key, 0) + int(fields[2])
            self._sense_counts = counts
        return self._sense_counts

    def has_sense_counts(self) -> bool:
        """Whether ``cntlist.rev`` is there (without it, sense order is the only frequency signal)."""
        return bool(self._counts())

    def sense_count(self, lemma: str, synset: Synset) -> int:
        """How often ``lemma`` was tagged with ``synset`` in WordNet's semantic concordance."""
        key = _key(lemma)
        for word, lex_id in zip(synset.lemmas, synset.lex_ids, strict=False):
            if _key(word) == key:
                lexfile_number = (
                    LEXFILE_NAMES.index(synset.lexfile) if synset.lexfile in LEXFILE_NAMES else 0
                )
                ss_type = _SS_TYPE_NUMBER[_POS_LETTER[synset.pos]]
                counts = self._counts()
                found = counts.get(f"{key}%{ss_type}:{lexfile_number:02d}:{lex_id:02d}")
                if found is None and synset.pos == "adj":
                    found = counts.get(f"{key}%5:{lexfile_number:02d}:{lex_id:02d}", 0)
                return found or 0
        return 0

    def sense_number(self, lemma: str, synset: Synset) -> int:
        """The rank of ``synset`` among ``lemma``'s senses (1: most frequent), 0 if not among them."""
        offsets = self._index_of(synset.pos).get(_key(lemma), ())
        return offsets.index(synset.offset) + 1 if synset.offset in offsets else 0

    def sense(self, name: str) -> Synset:
        """The synset a user names: ``play.v.07`` (7th verb sense of "play") or ``01725069-v``.

        Raises ``KeyError`` with a readable message when there is no such sense."""
        text = name.strip()
        by_offset = _SENSE_OFFSET.match(text)
        if by_offset:
            pos = _LETTER_POS[by_offset.group("pos")]
            offset = int(by_offset.group("offset"))
            try:
                return self._synset(pos, offset)
            except (SourceUnavailable, ValueError, IndexError) as exc:
                raise KeyError(f"WordNet has no {pos} synset at offset {offset}") from exc
        by_name = _SENSE_NAME.match(text)
        if not by_name:
            raise KeyError(
                f"{name!r} is not a WordNet sense id (write it as lemma.pos.NN, e.g. play.v.07, "
                "or as offset-pos, e.g. 01725069-v)"
            )
        pos = _LETTER_POS[by_name.group("pos")]
        lemma = by_name.group("lemma")
        number = int(by_name.group("number"))
        senses = self.synsets(lemma, pos)
        if not senses:
            raise KeyError(f"WordNet has no {pos} {lemma!r}")
        if not 1 <= number <= len(senses):
            raise KeyError(f"{lemma!r} has {len(senses)} {pos} sense(s), not {number}")
        return senses[number - 1]

    def synset_at(self, pos: Pos, offset: int) -> Synset:
        return self._synset(pos, offset)

    def ancestors(self, synset: Synset) -> dict[tuple[Pos, int], int]:
        """Every hypernym (and instance hypernym) of ``synset``, transitively, with its distance
        (1: the direct hypernym); the synset itself at distance 0."""
        key = (synset.pos, synset.offset)
        cached = self._ancestors.get(key)
        if cached is not None:
            return cached
        found: dict[tuple[Pos, int], int] = {key: 0}
        frontier = [synset]
        depth = 0
        while frontier and depth < 30:
            depth += 1
            following = []
            for current in frontier:
                for pointer in current.related(HYPERNYM, INSTANCE_HYPERNYM):
                    target = (pointer.pos, pointer.offset)
                    if target not in found:
                        found[target] = depth
                        following.append(self._synset(pointer.pos, pointer.offset))
            frontier = following
        self._ancestors[key] = found
        return found

    def hypernym_synsets(self, synset: Synset) -> list[Synset]:
        """The ancestors of ``synset`` (without itself), nearest first."""
        ancestors = sorted(self.ancestors(synset).items(), key=lambda item: item[1])
        return [self._synset(pos, offset) for (pos, offset), depth in ancestors if depth > 0]

    def has(self, lemma: str, pos: Pos) -> bool:
        return _key(lemma) in self._index_of(pos)

    def morphy(self, word: str, pos: Pos) -> list[str]:
        """Base forms of ``word`` that WordNet lists under ``pos``, the word itself first when listed.

        WordNet's own algorithm: the exception list first, then the detachment rules ("dying" is
        "die" by the exception list and "dye" by the rules; the sense chooser weighs both); a
        collocation ("shaking hands") is tried with its first word (verbs) or last word (nouns)
        reduced.
        """
        memo = (word, pos)
        cached = self._morphy_cache.get(memo)
        if cached is None:
            cached = self._morphy(word, pos)
            self._morphy_cache[memo] = cached
        return list(cached)

    def _morphy(self, word: str, pos: Pos) -> list[str]:
        key = _key(word)
        index = self._index_of(pos)
        found: list[str] = []

        def add(candidate: str) -> None:
            if candidate in index and candidate not in found:
                found.append(candidate)

        add(key)
        exceptions = self._exceptions_of(pos)
        if key in exceptions:
            for base in exceptions[key]:
                add(base)
            for candidate in _detach([key], pos):
                add(candidate)
            return [f.replace("_", " ") for f in found]
        if "_" in key:
            # A collocation: reduce its head (first word of a verb, last of a noun) by the exception
            # list and the detachment rules, and keep the collocations the index lists.
            parts = key.split("_")
            head_at = 0 if pos == "verb" else len(parts) - 1
            head = parts[head_at]
            candidates = list(exceptions.get(head, ())) + _detach([head], pos)
            for base in candidates:
                add("_".join([*parts[:head_at], base, *parts[head_at + 1 :]]))
            return [f.replace("_", " ") for f in found]
        # Apply the rules once; keep every form the index lists (the word itself included). When
        # none is listed, keep applying the rules to what they produced until one is (or none is left).
        forms = _detach([key], pos)
        for candidate in forms:
            add(candidate)
        rounds = 0
        while not found and forms and rounds < 3:
            forms = _detach(forms, pos)
            for candidate in forms:
                add(candidate)
            rounds += 1
        return [f.replace("_", " ") for f in found]

    def spelling_variants(self, text: str, pos: Pos) -> list[str]:
        """Lemmas that differ from ``text`` only in spaces, hyphens and case ('pushup' -> 'push-up'),
        for nouns also in a plural -s ('push ups' -> 'push-up')."""
        table = self._compact_of(pos)
        key = compact_key(text)
        keys = [key]
        if pos == "noun" and key.endswith("s") and not key.endswith("ss"):
            keys.append(key[:-1])
        result: list[str] = []
        for candidate in keys:
            for lemma in table.get(candidate, []):
                if lemma.replace("_", " ") not in result:
                    result.append(lemma.replace("_", " "))
        return result

    def lemmas_for(self, text: str, pos: Pos) -> list[str]:
        key = (text, pos)
        cached = self._lemmas_cache.get(key)
        if cached is None:
            cached = self._lemmas_for(text, pos)
            self._lemmas_cache[key] = cached
        return list(cached)

    def _lemmas_for(self, text: str, pos: Pos) -> list[str]:
        """Everything ``text`` may be listed as under ``pos``: morphy's forms, then spelling variants.

        A word written closed ("pullup") is not taken for a verb written open ("pull up": "come to a
        halt"): closed compounds are nouns; verbs are written apart."""
        result = self.morphy(text, pos)
        for variant in self.spelling_variants(text, pos):
            if pos == "verb" and len(text.split()) == 1 and len(variant.split()) > 1:
                continue
            if variant not in result:
                result.append(variant)
        if not result and pos == "verb" and len(text.split()) == 1:
            # an inflected form of a hyphenated verb written closed: "blowdrying" -> "blow-dry"
            for base in _detach([text], "verb"):
                for variant in self.spelling_variants(base, pos):
                    if len(variant.split()) == 1 and variant not in result:
                        result.append(variant)
        return result

    def closed_lemmas(self, pos: Pos) -> tuple[str, ...]:
        """Every lemma ``index.<pos>`` lists written as one word (no space, hyphen or period), in
        index order: the closed compounds among them ("windsurf", "snowboard") show how English
        writes such words."""
        cached = self._closed.get(pos)
        if cached is None:
            cached = tuple(lemma for lemma in self._index_of(pos) if lemma.isalpha())
            self._closed[pos] = cached
        return cached

    def synsets(self, lemma: str, pos: Pos) -> list[Synset]:
        """The senses of exactly ``lemma`` under ``pos``, most frequent first."""
        memo = (lemma, pos)
        cached = self._synsets_of.get(memo)
        if cached is None:
            offsets = self._index_of(pos).get(_key(lemma), ())
            cached = tuple(self._synset(pos, offset) for offset in offsets)
            self._synsets_of[memo] = cached
        return list(cached)

    def lookup(self, text: str, pos: Pos) -> list[tuple[str, list[Synset]]]:
        """``(lemma, senses)`` for every lemma ``text`` may stand for under ``pos``."""
        return [(lemma, self.synsets(lemma, pos)) for lemma in self.lemmas_for(text, pos)]

    # -- data ----------------------------------------------------------------------------------

    def _data_file(self, pos: Pos) -> BinaryIO:
        handle = self._data_files.get(pos)
        if handle is None:
            handle = open(self.directory / f"data.{pos}", "rb")  # noqa: SIM115 (closed in close())
            self._data_files[pos] = handle
        return handle

    def _synset(self, pos: Pos, offset: int) -> Synset:
        cached = self._synsets.get((pos, offset))
        if cached is not None:
            return cached
        handle = self._data_file(pos)
        handle.seek(offset)
        line = handle.readline().decode("latin-1")
        synset = self._parse_data_line(pos, offset, line)
        self._synsets[(pos, offset)] = synset
        return synset

    def _parse_data_line(self, pos: Pos, offset: int, line: str) -> Synset:
        head, _, gloss = line.partition(" | ")
        fields = head.split()
        if not fields or int(fields[0]) != offset:
            raise SourceUnavailable(
                f"WordNet file {self.directory / ('data.' + pos)} is corrupt at byte {offset}",
                hint="reinstall it (`sudo apt-get install --reinstall wordnet-base`)",
            )
        lexfile_number = int(fields[1])
        word_count = int(fields[3], 16)
        lemmas = []
        lex_ids = []
        for i in range(word_count):
            word = fields[4 + 2 * i]
            word = _ADJECTIVE_MARKER.sub("", word)  # adjective markers: (a), (p), (ip)
            lemmas.append(word.replace("_", " "))
            lex_ids.append(int(fields[5 + 2 * i], 16))
        at = 4 + 2 * word_count
        pointers: list[Pointer] = []
        frames: list[int] = []
        if at < len(fields):
            pointer_count = int(fields[at])
            at += 1
            for _ in range(pointer_count):
                symbol, target, letter = fields[at], fields[at + 1], fields[at + 2]
                pointers.append(Pointer(symbol, int(target), _LETTER_POS.get(letter, pos)))
                at += 4
            if pos == "verb" and at < len(fields) and fields[at].isdigit():
                frame_count = int(fields[at])
                at += 1
                for _ in range(frame_count):
                    if at + 2 < len(fields) + 1 and fields[at] == "+":
                        frames.append(int(fields[at + 1]))
                    at += 3
        gloss = gloss.strip()
        first = lemmas[0] if lemmas else ""
        senses = self._index_of(pos).get(_key(first), ())
        number = senses.index(offset) + 1 if offset in senses else 1
        letter = _POS_LETTER[pos]
        name = f"{_key(first)}.{letter}.{number:02d}"
        lexfile = (
            LEXFILE_NAMES[lexfile_number]
            if lexfile_number < len(LEXFILE_NAMES)
            else str(lexfile_number)
        )
        return Synset(
            offset=offset,
            pos=pos,
            lexfile=lexfile,
            lemmas=tuple(lemmas),
            definition=clean_gloss(gloss),
            gloss=gloss,
            name=name,
            lex_ids=tuple(lex_ids),
            pointers=tuple(pointers),
            frames=tuple(dict.fromkeys(frames)),
        )


def _detach(forms: list[str], pos: Pos) -> list[str]:
    result: list[str] = []
    for form in forms:
        for suffix, ending in _DETACHMENT_RULES[pos]:
            if form.endswith(suffix) and len(form) > len(suffix):
                candidate = form[: len(form) - len(suffix)] + ending
                if candidate not in result:
                    result.append(candidate)
    return result


@lru_cache(maxsize=131072)
def _key(text: str) -> str:
    return "_".join(text.lower().split())
