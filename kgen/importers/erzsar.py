"""``er-zsar``: ER-ZSAR's curated class definitions (DeLightCMU/ElaborativeRehearsal,
``datasets/<dataset>/classes_label_defn.json``; Kinetics: ``datasets/Kinetics/zsl220/classes620_label_defn.json``).

A JSON list of ``{"word": class name, "defn": definition, "cleaned_defn": the same text split
into tokens for BERT[, "cleaned_word": ...]}``. The Kinetics file lists the 400 Kinetics-400
classes, then the 220 Kinetics-600 classes that Kinetics-400 lacks (ER-ZSAR's zero-shot pool).

It becomes the crawled ``descriptions`` kind: each class's refined description is ``defn`` as
given (``refined_rule: imported``), kept also as a source text of source ``imported``. ER-ZSAR's
own code reads ``cleaned_defn``; kgen keeps the readable ``defn`` (the two differ only in spacing,
which the import checks). Entries are matched by name (``word``, else ``cleaned_word``), not by
position: the UCF101 file lists "hammer throw" before "hammering" and "jump rope" before
"jumping jack", the reverse of the class order.

Known faults of the released files are listed in :data:`KNOWN_FAULTS` and reported, with the
text kept as released: kgen does not correct a paper's knowledge, it says where it is wrong.
Each fault is tied to the released text (its first words), so a corrected file is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kgen.errors import FormatError, InputError
from kgen.importers.base import (
    BuildResult,
    ClassMatcher,
    ImportContext,
    ImportFormat,
    ReleasedFile,
    json_type,
    match_key,
    read_released,
)
from kgen.importers.renames import renames_for
from kgen.knowledge.base import utc_now


@dataclass(frozen=True)
class KnownFault:
    word: str
    text_starts: str
    reason: str


KNOWN_FAULTS = (
    KnownFault(
        word="table tennis shot",
        text_starts="put (food) into the mouth",
        reason="wrong definition: it is the definition of 'eat' (HMDB51's 'eat' has the same text), not of a table-tennis shot",
    ),
)


class ERZSARFormat(ImportFormat):
    name = "er-zsar"
    kind = "descriptions"
    paper = "ER-ZSAR (Chen & Huang, ICCV 2021)"
    repository = "https://github.com/DeLightCMU/ElaborativeRehearsal"
    files = "datasets/{UCF101,HMDB51}/classes_label_defn.json, datasets/Kinetics/zsl220/classes620_label_defn.json"
    example = "kgen import er-zsar ElaborativeRehearsal/datasets/UCF101/classes_label_defn.json --dataset ucf101"
    markers = ("datasets", "resource")

    def collect(self, paths: list[Path]) -> list[ReleasedFile]:
        if len(paths) != 1:
            raise InputError(f"er-zsar reads one classes_label_defn.json; got {len(paths)} path(s)", hint=self.example)
        return [read_released(paths[0], "definitions", self.markers)]

    def build(self, files: list[ReleasedFile], context: ImportContext) -> BuildResult:
        (file,) = files
        what = "an ER-ZSAR definition file"
        raw = file.json(what)
        shape_hint = 'a JSON list of {"word": ..., "defn": ..., "cleaned_defn": ...}'
        if not isinstance(raw, list) or not raw:
            raise FormatError(f"{file.path} holds {json_type(raw)} in JSON, not {what} ({shape_hint})",
                              hint="give ER-ZSAR's datasets/<dataset>/classes_label_defn.json")
        usable = {i for i, x in enumerate(raw) if isinstance(x, dict) and isinstance(x.get("word"), str) and isinstance(x.get("defn"), str)}
        if len(usable) * 2 <= len(raw):
            raise FormatError(f"{file.path} is not {what}: most entries lack a 'word' and a 'defn' string",
                              hint=f"expected {shape_hint}")
        dataset, log = context.dataset, context.log
        matcher = ClassMatcher(dataset.classes, renames_for(self.name, dataset.name))
        now = utc_now()
        where = file.repo_path or file.path.name
        by_class: dict[int, dict] = {}
        matched, unmatched = [], []
        for position, item in enumerate(raw):
            if position not in usable:
                log.drop(None, "malformed-entry", item, f"entry {position}: no 'word' and 'defn' strings")
                continue
            word = item["word"].strip()
            found = matcher.match(word)
            if found is None and isinstance(item.get("cleaned_word"), str):
                found = matcher.match(item["cleaned_word"])
            if found is None:
                unmatched.append(word)
                log.drop(None, "no-class", word, f"entry {position}: {word!r} names no class of {dataset.name}")
                continue
            entry = found.entry
            if entry.id in by_class:
                log.drop(entry.name, "duplicate-class", word, f"entry {position}: a second definition of the class; the first is kept")
                continue
            text = item["defn"].strip()
            if not text:
                log.drop(entry.name, "empty-text", word, f"entry {position}: the definition is empty")
                continue
            if found.renamed_from:
                log.renamed(entry.name, found.renamed_from)
            problems = []
            cleaned = item.get("cleaned_defn")
            if isinstance(cleaned, str) and re.sub(r"\s+", "", cleaned.casefold()) != re.sub(r"\s+", "", text.casefold()):
                log.flag(entry.name, "cleaned-differs", cleaned, "cleaned_defn (what ER-ZSAR's code reads) differs from defn beyond spacing")
                problems.append("ER-ZSAR's cleaned_defn differs from defn beyond spacing")
            for fault in KNOWN_FAULTS:
                if match_key(fault.word) == match_key(word) and text.casefold().startswith(fault.text_starts.casefold()):
                    log.flag(entry.name, "known-fault", text, fault.reason)
                    problems.append(f"released with a known fault: {fault.reason}")
            matched.append(entry)
            by_class[entry.id] = {
                "class_id": entry.id,
                "class_name": entry.name,
                "label": word,
                "texts": [{
                    "source": "imported", "query": word, "title": word, "url": None, "revision_id": None,
                    "retrieved_at": now, "text": text, "note": f"ER-ZSAR {where}, entry {position} ('defn')", "used": True,
                }],
                "refined": text,
                "refined_rule": "imported",
                "problems": problems,
            }
        classes = [by_class[e.id] for e in dataset.classes if e.id in by_class]
        return BuildResult(fields={"classes": classes}, matched=matched, unmatched=unmatched)
