"""``froster``: FROSTER's GPT-3.5 class descriptions (Visual-AI/FROSTER, ``label_rephrase/`` and
``zs_label_db/``).

Every entry reads ``Name: sentence`` ("Brush hair: A person is using a brush to style their
hair"), the name with every word capitalised as FROSTER writes it. Two layouts:

* JSON ``{"index": "Name: sentence"}``: ``label_rephrase/<dataset>_rephrased_classes.json``
  (cross-dataset, every class) and ``zs_label_db/B2N_<dataset>/{train,test}_rephrased.json``
  (base and novel halves). These are what FROSTER's code reads (``DATA.INDEX_LABEL_MAPPING_FILE``);
  its ``process.py`` made them from the text files by cutting each line at its first full stop, so
  a second sentence is not in them;
* text ``index. Name: sentence`` a line (``label_rephrase/<dataset>_rephrased.txt``), the LLM's
  answer before that cut, the name sometimes in quotes.

They become the ``action-descriptions`` kind (one description a class, the sentence after the
name, as written). Names are matched by the match key plus FROSTER's renames; several files (a
base and a novel half) are read into one knowledge file. A class given twice with the same
sentence is read once; with another sentence, the first is kept and the second reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from kgen.errors import FormatError, InputError
from kgen.importers.base import (
    BuildResult,
    ClassMatcher,
    ImportContext,
    ImportFormat,
    ReleasedFile,
    json_type,
    read_released,
)
from kgen.importers.renames import renames_for
from kgen.knowledge.action_descriptions import ClassActionDescriptions

_LINE = re.compile(r"^\s*(\d+)\s*\.\s+(.*\S)\s*$")


def split_entry(value: str) -> tuple[str, str] | None:
    """``(name, sentence)`` of a ``Name: sentence`` entry (quotes around the name removed)."""
    if ":" not in value:
        return None
    name, sentence = value.split(":", 1)
    name = name.strip().strip('"').strip()
    sentence = " ".join(sentence.split())
    if not name or not sentence:
        return None
    return name, sentence


class FrosterFormat(ImportFormat):
    name = "froster"
    kind = "action-descriptions"
    paper = "FROSTER (Huang et al., ICLR 2024)"
    repository = "https://github.com/Visual-AI/FROSTER"
    files = ("label_rephrase/<dataset>_rephrased_classes.json (or _rephrased.txt), "
             "zs_label_db/B2N_<dataset>/{train,test}_rephrased.json")
    example = "kgen import froster FROSTER/label_rephrase/hmdb_rephrased_classes.json --dataset hmdb51"
    markers = ("label_rephrase", "zs_label_db")

    def collect(self, paths: list[Path]) -> list[ReleasedFile]:
        if not paths:
            raise InputError("froster needs at least one file", hint=self.example)
        return [read_released(path, "descriptions", self.markers) for path in paths]

    def _entries(self, file: ReleasedFile) -> list[tuple[str, str]]:
        """``(index, value)`` pairs of one file, in file order."""
        what = "a FROSTER description file"
        if file.path.suffix.casefold() == ".json":
            raw = file.json(what)
            if not isinstance(raw, dict) or not raw:
                raise FormatError(f"{file.path} holds {json_type(raw)} in JSON, not {what} ({{\"index\": \"Name: sentence\"}})",
                                  hint="give label_rephrase/<dataset>_rephrased_classes.json or zs_label_db/B2N_<dataset>/*_rephrased.json")
            if not all(isinstance(v, str) for v in raw.values()):
                raise FormatError(f"{file.path} is not {what}: its values are not all strings",
                                  hint="FROSTER's files map an index to 'Name: sentence'")
            return [(str(k), v) for k, v in raw.items()]
        entries = []
        for number, line in enumerate(file.text().splitlines(), start=1):
            if not line.strip():
                continue
            found = _LINE.match(line)
            if found is None:
                raise FormatError(f"{file.path}:{number} is not 'index. Name: sentence', so the file is not {what}",
                                  hint=f"line {number}: {line[:80]!r}")
            entries.append((found.group(1), found.group(2)))
        if not entries:
            raise FormatError(f"{file.path} holds no entries", hint="give a FROSTER description file")
        return entries

    def build(self, files: list[ReleasedFile], context: ImportContext) -> BuildResult:
        dataset, log = context.dataset, context.log
        matcher = ClassMatcher(dataset.classes, renames_for(self.name, dataset.name))
        by_class: dict[int, ClassActionDescriptions] = {}
        matched, unmatched = [], []
        for file in files:
            entries = self._entries(file)
            parsed = [(index, value, split_entry(value)) for index, value in entries]
            if sum(p is None for _, _, p in parsed) * 2 > len(parsed):
                raise FormatError(f"{file.path} is not a FROSTER description file: most entries are not 'Name: sentence'",
                                  hint=f"e.g. {entries[0][1][:80]!r}")
            for index, value, split in parsed:
                if split is None:
                    log.drop(None, "malformed-entry", value, f"{file.path.name} [{index}]: not 'Name: sentence'")
                    continue
                name, sentence = split
                found = matcher.match(name)
                if found is None:
                    unmatched.append(name)
                    log.drop(None, "no-class", value, f"{file.path.name} [{index}]: {name!r} names no class of {dataset.name}")
                    continue
                entry = found.entry
                previous = by_class.get(entry.id)
                if previous is not None:
                    if previous.descriptions[0] != sentence:
                        log.drop(entry.name, "duplicate-class", value,
                                 f"{file.path.name} [{index}]: a second, different description of the class; the first is kept")
                    continue
                if found.renamed_from:
                    log.renamed(entry.name, found.renamed_from)
                matched.append(entry)
                by_class[entry.id] = ClassActionDescriptions(
                    class_id=entry.id, class_name=entry.name, label=name, descriptions=[sentence], raw=[value], truncated=[False],
                )
        order = [entry.id for entry in dataset.classes]
        classes = [by_class[i].model_dump() for i in order if i in by_class]
        return BuildResult(fields={"count": 1, "classes": classes}, matched=matched, unmatched=unmatched)
