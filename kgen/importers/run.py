"""One import: read the released files, match them to the classes, validate the knowledge file with
its kind's model, report what was dropped or flagged per class, then write it (nothing is written
when anything fails).

The file goes to ``knowledge/<dataset>/imported/<variant>/<kind file name>`` (see
:func:`kgen.knowledge.base.knowledge_path`), beside and never over kgen's own knowledge of the kind.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgen.banks.texts import split_dataset
from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.importers import import_format
from kgen.importers.base import ImportContext, ImportFormat, ImportLog, ReleasedFile
from kgen.knowledge.base import GENERATED_VARIANTS, KnowledgeFile, kind_info, knowledge_path
from kgen.knowledge.identity import class_list_info
from kgen.knowledge.imported import ImportProblem, ImportProvenance
from kgen.text.clip_tokens import CONTEXT_LENGTH, count_tokens

_VARIANT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class ClassReport:
    class_id: int
    class_name: str
    texts: int
    problems: list[ImportProblem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(p.action == action for p in self.problems)

    def reasons(self) -> str:
        """The problems' codes with counts, e.g. 'unlisted-entity x2 (dropped), object-count (kept)'."""
        counts = Counter((p.code, p.action) for p in self.problems)
        return ", ".join(f"{code}{f' x{n}' if n > 1 else ''} ({action})" for (code, action), n in counts.items())


@dataclass
class ImportOutcome:
    format: ImportFormat
    dataset: Dataset
    split: str | None
    variant: str
    path: Path
    written: list[Path]
    replaced: bool  # an earlier import of the variant, with other content, was replaced
    knowledge: KnowledgeFile
    files: list[ReleasedFile]
    classes: list[ClassReport]
    missing: list[str]  # classes (of the split) the files have nothing for
    unmatched: list[str]  # released names that name no class
    file_problems: list[ImportProblem]  # problems of no class

    @property
    def problems(self) -> list[ImportProblem]:
        return self.knowledge.provenance.problems  # type: ignore[attr-defined,no-any-return]

    @property
    def texts(self) -> int:
        return sum(c.texts for c in self.classes)

    def totals(self) -> dict[str, int]:
        counts = Counter(p.action for p in self.problems)
        return {"dropped": counts["dropped"], "kept": counts["kept"], "renamed": counts["renamed"]}

    def encode_command(self) -> str:
        split = f" --split {self.split}" if self.split else ""
        return f"kgen encode-bank {self.dataset.selector}{split} --kind {self.format.kind} --variant {self.variant}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format.name,
            "kind": self.format.kind,
            "dataset": self.dataset.name,
            "split": self.split,
            "variant": self.variant,
            "path": str(self.path),
            "written": [str(p) for p in self.written],
        "replaced": self.replaced,
            "files": [f.record().model_dump() for f in self.files],
            "classes_in_scope": len(self.dataset.classes) if self.split is None else len(split_dataset(self.dataset, self.split).classes),
            "classes_imported": len(self.classes),
            "texts": self.texts,
            "totals": self.totals(),
            "missing_classes": self.missing,
            "unmatched_names": self.unmatched,
            "classes": [
                {"class_id": c.class_id, "class_name": c.class_name, "texts": c.texts,
                 "problems": [p.model_dump() for p in c.problems]}
                for c in self.classes
            ],
            "file_problems": [p.model_dump() for p in self.file_problems],
        }


def check_variant(name: str) -> str:
    if name in GENERATED_VARIANTS or not _VARIANT.match(name):
        raise InputError(
            f"{name!r} cannot name an imported variant",
            hint="use lowercase letters, digits, '.', '_' and '-' (and not 'kgen', the name of kgen's own knowledge)",
        )
    return name


def run_import(
    format_name: str,
    paths: list[Path],
    dataset: Dataset,
    *,
    split: str | None = None,
    variant: str | None = None,
    source_ref: str | None = None,
    repository: str | None = None,
    dry_run: bool = False,
) -> ImportOutcome:
    fmt = import_format(format_name)
    if variant is not None:
        check_variant(variant)
    scope = split_dataset(dataset, split)
    files = fmt.collect(list(paths))
    log = ImportLog()
    result = fmt.build(files, ImportContext(dataset=scope, log=log, split=split))
    if fmt.matches_by_name:
        _check_coverage(fmt, files, scope, len(result.matched), result.unmatched)
    chosen = check_variant(variant or result.variant or fmt.name)

    model = kind_info(fmt.kind).model
    provenance = ImportProvenance(
        import_format=fmt.name, variant=chosen, repository=repository or fmt.repository, ref=source_ref, paper=fmt.paper,
        files=[f.record() for f in files], problems=log.problems, parameters={"split": split} if split else {},
    )
    raw = {"format": model.FORMAT, "format_version": model.VERSION, "dataset": dataset.name,
           "class_list": class_list_info(dataset.classes).model_dump(), "provenance": provenance.model_dump(mode="json"),
           **result.fields}
    knowledge = model.from_dict(raw, origin=f"the {fmt.name} import of {', '.join(str(f.path) for f in files)}")

    reports = []
    for entry in scope.classes:
        if entry not in result.matched:
            continue
        texts = _class_texts(knowledge, scope, entry)
        for text in texts:
            tokens = count_tokens(text) + 2
            if tokens > CONTEXT_LENGTH:
                log.flag(entry.name, "over-77-tokens", text,
                         f"{tokens} CLIP tokens with start and end: encode-bank truncates it to {CONTEXT_LENGTH} (and records it)")
        reports.append(ClassReport(class_id=entry.id, class_name=entry.name, texts=len(texts)))
    # Validate again with every problem in the provenance: what is written is what the model accepts.
    raw["provenance"] = ImportProvenance(**{**provenance.model_dump(), "problems": log.problems}).model_dump(mode="json")
    knowledge = model.from_dict(json.loads(json.dumps(raw)), origin=f"the {fmt.name} import")
    by_name = {r.class_name: r for r in reports}
    for problem in log.problems:
        if problem.class_name in by_name:
            by_name[problem.class_name].problems.append(problem)
    matched_ids = {e.id for e in result.matched}
    path = knowledge_path(dataset.name, fmt.kind, chosen)
    outcome = ImportOutcome(
        format=fmt, dataset=dataset, split=split, variant=chosen, path=path, written=[],
        replaced=path.is_file() and _content(path) != _content_of(knowledge),
        knowledge=knowledge, files=files, classes=reports,
        missing=[e.name for e in scope.classes if e.id not in matched_ids], unmatched=list(result.unmatched),
        file_problems=[p for p in log.problems if p.class_name not in by_name],
    )
    if not dry_run:
        from kgen.datasets.workspace import claim_workspace

        claim_workspace(dataset)  # a custom list's folder is recorded as its own (and checked writable) only now
        outcome.written = [*fmt.extra_files(knowledge, outcome.path.parent), knowledge.save(outcome.path)]
    return outcome


def _content(path: Path) -> object:
    """A knowledge file's content without the time it was written (None when unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(raw, dict) and isinstance(raw.get("provenance"), dict):
        raw["provenance"].pop("created_at", None)
    return raw


def _content_of(knowledge: KnowledgeFile) -> object:
    raw = json.loads(knowledge.to_json())
    raw["provenance"].pop("created_at", None)
    return raw


def _class_texts(knowledge: KnowledgeFile, scope: Dataset, entry) -> list[str]:
    """The texts the bank will encode for one class ([] when the kind has none for it)."""
    one = Dataset(name=scope.name, title=scope.title, classes=(entry,), origin=scope.origin)
    try:
        found = knowledge.bank_texts(one)
    except InputError:
        return []
    return [t for c in found for t in c.texts]


def _check_coverage(fmt: ImportFormat, files: list[ReleasedFile], scope: Dataset, matched: int, unmatched: list[str]) -> None:
    """Refuse files whose class names are mostly not the dataset's: the wrong dataset or list was given."""
    if matched and len(unmatched) <= matched:
        return
    names = ", ".join(repr(n) for n in unmatched[:6]) + (" ..." if len(unmatched) > 6 else "")
    given = ", ".join(str(f.path) for f in files)
    raise InputError(
        f"{given} does not match the classes of {scope.name}: {len(unmatched)} of {len(unmatched) + matched} released "
        f"class names name no class of it ({names})",
        hint=f"check --dataset/--classes/--split (`kgen datasets show {scope.name}`); kgen matches names ignoring case, "
        "spaces, punctuation and articles, plus the format's rename table",
    )
