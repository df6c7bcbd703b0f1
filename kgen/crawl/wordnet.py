"""WordNet 3.0, read straight from the Princeton database files (Debian's ``wordnet-base``).

A small reader of the documented file formats (``wndb(5WN)``, ``morphy(7WN)``):

* ``index.<pos>``: ``lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offset...``,
  the offsets in sense order (most frequent sense first);
* ``data.<pos>``: at byte ``offset``, ``offset lex_filenum ss_type w_cnt word lex_id ... | gloss``;
* ``<pos>.exc``: irregular inflections (``ran run``);
* the detachment rules of ``morphy`` (``-ies`` -> ``-y``, ``-ing`` -> ``-e`` / ``''`` ...).

Written here rather than taken from nltk because nltk's reader refuses paths outside its own data
folders and wants a ``lexnames`` file that Debian's package does not ship (the 45 lexicographer file
names are fixed by the WordNet 3.0 documentation, ``lexnames(5WN)``, and listed below).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
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


@dataclass(frozen=True)
class Synset:
    """One WordNet sense: its lemmas, lexicographer file and gloss."""

    offset: int
    pos: Pos
    lexfile: str
    lemmas: tuple[str, ...]
    definition: str
    gloss: str
    name: str  # nltk-style "brush.v.01": first lemma, pos letter, sense number of that lemma


def compact_key(text: str) -> str:
    """'push-up', 'push up', 'pushup' -> 'pushup': the key under which spelling variants meet."""
    return re.sub(r"[\s_\-'’.]+", "", text.lower())


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

    # -- lookups -------------------------------------------------------------------------------

    def tagged_count(self, lemma: str, pos: Pos) -> int:
        """How many of ``lemma``'s senses under ``pos`` occur in WordNet's semantic concordance: a
        frequency signal ('ride' is mostly a verb, 'baby' mostly a noun)."""
        self._index_of(pos)
        return self._tagged[pos].get(_key(lemma), 0)

    def has(self, lemma: str, pos: Pos) -> bool:
        return _key(lemma) in self._index_of(pos)

    def morphy(self, word: str, pos: Pos) -> list[str]:
        """Base forms of ``word`` that WordNet lists under ``pos``, the word itself first when listed.

        WordNet's own algorithm: the exception list, else the detachment rules applied repeatedly;
        a collocation ("shaking hands") is tried with its first word (verbs) or last word (nouns) reduced.
        """
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
        """Everything ``text`` may be listed as under ``pos``: morphy's forms, then spelling variants.

        A word written closed ("pullup") is not taken for a verb written open ("pull up": "come to a
        halt"): closed compounds are nouns; verbs are written apart."""
        result = self.morphy(text, pos)
        for variant in self.spelling_variants(text, pos):
            if pos == "verb" and len(text.split()) == 1 and len(variant.split()) > 1:
                continue
            if variant not in result:
                result.append(variant)
        return result

    def synsets(self, lemma: str, pos: Pos) -> list[Synset]:
        """The senses of exactly ``lemma`` under ``pos``, most frequent first."""
        offsets = self._index_of(pos).get(_key(lemma), ())
        return [self._synset(pos, offset) for offset in offsets]

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
        for i in range(word_count):
            word = fields[4 + 2 * i]
            word = re.sub(r"\([a-z]+\)$", "", word)  # adjective markers: (a), (p), (ip)
            lemmas.append(word.replace("_", " "))
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


def _key(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip().lower())
