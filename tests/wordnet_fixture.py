"""A small WordNet 3.0 database written in the real file formats (wndb(5WN)), for tests.

``write_wordnet(folder, synsets)`` writes ``index.*``, ``data.*`` (with the licence header and exact
byte offsets) and ``*.exc`` files, so the reader is tested against the format, not against whatever
Debian's package happens to contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kgen.crawl.wordnet import LEXFILE_NAMES

_HEADER = [
    "  1 This software and database is being provided to you, the LICENSEE, by  ",
    "  2 Princeton University under the following license.  By obtaining, using  ",
    "  3 WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.  ",
]
_POS_LETTER = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_SS_TYPE = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


@dataclass
class FakeSynset:
    pos: str
    lexfile: str
    lemmas: list[str]
    gloss: str
    tagged: int = 0  # tag count of this sense (index.* tagsense_cnt and cntlist.rev)
    key: str = ""  # a name other synsets' pointers refer to
    hypernyms: tuple[str, ...] = ()  # keys of its hypernyms ("@")
    domain: str = ""  # key of its topic domain (";c")
    derived: tuple[str, ...] = ()  # keys of derivationally related synsets ("+")
    frames: tuple[int, ...] = ()  # verb frames (frames(5WN)); verbs default to (2, 8)
    instance_of: str = ""  # key of the synset it is an instance of ("@i": a proper noun)


def write_wordnet(
    folder: Path, synsets: list[FakeSynset], exceptions: dict[str, list[str]] | None = None
) -> Path:
    """Write a WordNet database of ``synsets`` (sense order = list order) into ``folder``: the
    ``index.*``, ``data.*`` (exact byte offsets, pointers, verb frames), ``*.exc`` and
    ``cntlist.rev`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    by_key = {s.key: n for n, s in enumerate(synsets) if s.key}
    lex_ids: dict[int, list[int]] = {}
    seen: dict[tuple[str, str], int] = {}
    for n, synset in enumerate(synsets):
        ids = []
        for lemma in synset.lemmas:
            slot = (lemma.lower().replace(" ", "_"), synset.lexfile)
            ids.append(seen.get(slot, 0))
            seen[slot] = seen.get(slot, 0) + 1
        lex_ids[n] = ids

    def pointers(synset: FakeSynset) -> list[tuple[str, int]]:
        found = [("@", by_key[k]) for k in synset.hypernyms]
        if synset.instance_of:
            found.append(("@i", by_key[synset.instance_of]))
        if synset.domain:
            found.append((";c", by_key[synset.domain]))
        found += [("+", by_key[k]) for k in synset.derived]
        return found

    def line(n: int, offsets: dict[int, int], offset: int) -> str:
        synset = synsets[n]
        words = " ".join(
            f"{lemma.replace(' ', '_')} {lex_id:x}" for lemma, lex_id in zip(synset.lemmas, lex_ids[n], strict=True)
        )
        ptrs = pointers(synset)
        ptr_text = "".join(
            f" {symbol} {offsets.get(target, 0):08d} {_POS_LETTER[synsets[target].pos]} 0000"
            for symbol, target in ptrs
        )
        frames = ""
        if synset.pos == "verb":
            numbers = synset.frames or (2, 8)
            frames = f" {len(numbers):02d}" + "".join(f" + {f:02d} 00" for f in numbers)
        return (
            f"{offset:08d} {LEXFILE_NAMES.index(synset.lexfile):02d} {_POS_LETTER[synset.pos]} "
            f"{len(synset.lemmas):02x} {words} {len(ptrs):03d}{ptr_text}{frames} | {synset.gloss}  \n"
        )

    # Offsets are fixed-width, so a first pass with dummy targets gives every line's length.
    offsets: dict[int, int] = {}
    header = "".join(h + "\n" for h in _HEADER).encode("latin-1")
    for pos in _POS_LETTER:
        at = len(header)
        for n, synset in enumerate(synsets):
            if synset.pos == pos:
                offsets[n] = at
                at += len(line(n, {}, at).encode("latin-1"))
    senses: dict[str, dict[str, list[int]]] = {pos: {} for pos in _POS_LETTER}
    tagged: dict[str, dict[str, int]] = {pos: {} for pos in _POS_LETTER}
    counts: list[str] = []
    for pos in _POS_LETTER:
        body = header
        for n, synset in enumerate(synsets):
            if synset.pos != pos:
                continue
            assert len(body) == offsets[n]
            body += line(n, offsets, offsets[n]).encode("latin-1")
            for lemma, lex_id in zip(synset.lemmas, lex_ids[n], strict=True):
                key = lemma.lower().replace(" ", "_")
                senses[pos].setdefault(key, []).append(offsets[n])
                tagged[pos][key] = tagged[pos].get(key, 0) + synset.tagged
                if synset.tagged:
                    number = len(senses[pos][key])
                    ss_type = _SS_TYPE[pos]
                    lexfile = LEXFILE_NAMES.index(synset.lexfile)
                    counts.append(f"{key}%{ss_type}:{lexfile:02d}:{lex_id:02d}:: {number} {synset.tagged}")
        (folder / f"data.{pos}").write_bytes(body)
        lines = list(_HEADER)
        for lemma in sorted(senses[pos]):
            found = senses[pos][lemma]
            count = len(found)
            offsets_text = " ".join(f"{o:08d}" for o in found)
            lines.append(
                f"{lemma} {_POS_LETTER[pos]} {count} 1 @ {count} {tagged[pos][lemma]} {offsets_text}  "
            )
        (folder / f"index.{pos}").write_text("\n".join(lines) + "\n", encoding="latin-1")
        exc = (exceptions or {}).get(pos, [])
        (folder / f"{pos}.exc").write_text("".join(line + "\n" for line in exc), encoding="latin-1")
    (folder / "cntlist.rev").write_text("".join(c + "\n" for c in sorted(counts)), encoding="latin-1")
    return folder


# A vocabulary for the crawler's tests: senses in WordNet's order, with its lexicographer files.
SMALL_VOCABULARY = [
    FakeSynset(
        "verb",
        "verb.contact",
        ["brush"],
        'rub with a brush, or as if with a brush; "Johnson brushed the hairs from his jacket"',
        5,
    ),
    FakeSynset("verb", "verb.contact", ["brush"], "clean with a brush"),
    FakeSynset(
        "noun",
        "noun.artifact",
        ["brush"],
        "an implement that has hairs or bristles firmly set into a handle",
        3,
    ),
    FakeSynset(
        "noun",
        "noun.body",
        ["hair", "tomentum"],
        "a covering for the body (or parts of it) consisting of a dense growth of threadlike structures (as on the human head); helps to prevent heat loss",
        9,
    ),
    FakeSynset(
        "noun", "noun.artifact", ["fencing", "fence"], "a barrier that serves to enclose an area", 2
    ),
    FakeSynset(
        "noun",
        "noun.act",
        ["fencing"],
        "the art or sport of fighting with swords (especially the use of foils or epees or sabres to score points under a set of rules)",
        1,
    ),
    FakeSynset("verb", "verb.contact", ["fence"], "enclose with a fence", 2),
    FakeSynset("verb", "verb.competition", ["fence"], "fight with fencing swords", 1),
    FakeSynset(
        "noun",
        "noun.act",
        ["golf", "golf game"],
        "a game played on a large open course with 9 or 18 holes",
        4,
    ),
    FakeSynset("verb", "verb.competition", ["golf"], "play golf"),
    FakeSynset(
        "verb",
        "verb.communication",
        ["wave", "beckon"],
        'signal with the hands or nod; "She waved to her friends"',
        21,
        frames=(2, 8, 27),
    ),
    FakeSynset(
        "verb", "verb.contact", ["wave", "brandish"], "move or swing back and forth", 5, frames=(8,)
    ),
    FakeSynset(
        "noun",
        "noun.event",
        ["wave", "moving ridge"],
        "one of a series of ridges that moves across the surface of a liquid",
        6,
    ),
    FakeSynset(
        "verb",
        "verb.body",
        ["shake hands"],
        "take someone's hands and shake them as a gesture of greeting or congratulation",
        1,
    ),
    FakeSynset(
        "noun",
        "noun.act",
        ["push-up", "pushup", "press-up"],
        "an arm exercise performed lying face to the floor and pushing the body up and down with the arms",
        1,
    ),
    FakeSynset("verb", "verb.motion", ["pull up"], "come to a halt after driving somewhere", 2),
    FakeSynset(
        "noun",
        "noun.act",
        ["pull-up", "chin-up"],
        "an arm exercise performed by pulling yourself up on a horizontal bar until your chin is level with the bar",
        1,
    ),
    FakeSynset(
        "verb",
        "verb.motion",
        ["run"],
        "move fast by using one's feet, with one foot off the ground at any given time",
        9,
    ),
    FakeSynset(
        "verb",
        "verb.motion",
        ["ride"],
        "sit and travel on the back of animal, usually while controlling its motions",
        6,
    ),
    FakeSynset(
        "noun",
        "noun.animal",
        ["horse", "Equus caballus"],
        "solid-hoofed herbivorous quadruped domesticated since prehistoric times",
        8,
    ),
    FakeSynset(
        "noun",
        "noun.artifact",
        ["floor", "flooring"],
        "the inside lower horizontal surface (as of a room, hallway, tent, or other structure)",
        9,
    ),
    FakeSynset("verb", "verb.contact", ["floor", "deck"], "knock down with force", 1),
    FakeSynset(
        "noun",
        "noun.act",
        ["gymnastics", "gymnastic exercise"],
        "a sport that involves exercises intended to display strength and balance and agility",
        1,
    ),
    FakeSynset(
        "noun",
        "noun.act",
        ["kiss", "buss"],
        "the act of caressing with the lips (or an instance thereof)",
        2,
    ),
    FakeSynset(
        "verb",
        "verb.contact",
        ["kiss", "buss"],
        "touch with the lips or press the lips (against someone's mouth or other body part) as an expression of love, greeting, etc.",
        4,
    ),
    FakeSynset(
        "verb",
        "verb.contact",
        ["climb", "climb up"],
        "go upward with gradual or continuous progress",
        5,
    ),
    FakeSynset(
        "noun",
        "noun.artifact",
        ["stairs", "steps"],
        "a way of access consisting of a set of steps",
        15,
    ),
    FakeSynset(
        "noun",
        "noun.artifact",
        ["stair", "step"],
        "support consisting of a place to rest the foot while ascending or descending a stairway",
        1,
    ),
    FakeSynset("noun", "noun.act", ["dive", "diving"], "a headlong plunge into water", 1),
    FakeSynset("verb", "verb.motion", ["dive"], "drop steeply", 3),
    FakeSynset("verb", "verb.motion", ["dive", "plunge"], "plunge into water", 2),
]
SMALL_EXCEPTIONS = {"verb": ["ran run", "running run", "rode ride"], "noun": ["teeth tooth"]}


def small_wordnet(folder: Path) -> Path:
    return write_wordnet(folder, SMALL_VOCABULARY, SMALL_EXCEPTIONS)
