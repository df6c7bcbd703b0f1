"""Knowledge keyed by class identity, not by position.

A knowledge file holds one entry per class, each with the class id and the class name it was
built for. Every consumer (``kgen encode-bank``, ``kgen show``, ``kgen build attributes`` reading
the crawled descriptions, a rerun keeping earlier entries) checks that these agree with the class
list it is given, matching entries by **normalised class name** (case, spacing and Unicode forms
ignored: :func:`kgen.datasets.names.name_key`) and then checking the **id**. It refuses, listing
every mismatch, when

* an entry's name is a class of the list under another id (the list was reordered);
* an entry's id is a class of the list under another name (the class was renamed, or the list is
  another one);
* an entry's name and id are both unknown to the list (an extra entry);
* two entries name the same class, or carry the same id (duplicates);
* classes of the list have no entry *and* the file records that it was built for another class
  list (the list gained classes). Without that record (files of older kgen), or when the list is
  the one recorded, a class without an entry is a class whose build failed: each kind says so
  itself (an LLM kind asks to rerun its build, the crawl encodes the name alone).

A knowledge file records the class list it was built for (:class:`~kgen.knowledge.base.ClassListInfo`:
the SHA-256 of ``[[id, name], ...]`` and the count) beside its ``dataset``; files without it still
load. The hash is the one ``knowledge/<name>/class-list.json`` records for a custom list's folder
(:mod:`kgen.datasets.workspace`, which refuses a folder of another list); this check is what stops
a *changed* list (the same file, reordered or edited) from using the entries by position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from kgen.datasets.names import name_key
from kgen.datasets.spec import ClassEntry
from kgen.datasets.workspace import class_list_sha256
from kgen.errors import InputError
from kgen.knowledge.base import ClassListInfo, KnowledgeFile

SHOWN = 8  # mismatches listed per category


__all__ = ["IdentityReport", "check_class_identity", "class_list_info", "class_list_sha256", "compare_classes", "stamped"]


def class_list_info(classes: Sequence[ClassEntry]) -> ClassListInfo:
    return ClassListInfo(sha256=class_list_sha256(classes), count=len(classes))


def stamped(knowledge: KnowledgeFile, classes: Sequence[ClassEntry]) -> KnowledgeFile:
    """``knowledge`` recording the class list it was built for (what every writer saves)."""
    return knowledge.model_copy(update={"class_list": class_list_info(classes)})


@dataclass
class IdentityReport:
    """How a knowledge file's entries disagree with a class list."""

    reordered: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    list_changed: bool = False  # the file records another class list than this one

    @property
    def refused(self) -> bool:
        return bool(self.reordered or self.renamed or self.extra or self.duplicate or (self.missing and self.list_changed))

    def lines(self) -> list[str]:
        out = []
        for label, items in (
            ("under another id (the class list was reordered?)", self.reordered),
            ("renamed (the same id names another class)", self.renamed),
            ("extra (not in the class list)", self.extra),
            ("duplicate", self.duplicate),
            ("missing (classes of the list without an entry)", self.missing if self.list_changed or self.refused else []),
        ):
            if items:
                shown = "; ".join(items[:SHOWN]) + (f"; ... ({len(items) - SHOWN} more)" if len(items) > SHOWN else "")
                out.append(f"{len(items)} {label}: {shown}")
        return out


def compare_classes(entries: Sequence[tuple[int, str]], classes: Sequence[ClassEntry], recorded: ClassListInfo | None = None) -> IdentityReport:
    """Match knowledge ``entries`` ``(id, name)`` to ``classes`` by normalised name, then by id."""
    report = IdentityReport(list_changed=recorded is not None and recorded.sha256 != class_list_sha256(classes))
    by_key = {name_key(c.name): c for c in classes}
    by_id = {c.id: c for c in classes}
    key_counts = Counter(name_key(name) for _cid, name in entries)
    id_counts = Counter(cid for cid, _name in entries)
    covered: set[int] = set()
    reported_duplicates: set[str] = set()
    for cid, name in entries:
        key = name_key(name)
        if key_counts[key] > 1 and key not in reported_duplicates:
            reported_duplicates.add(key)
            report.duplicate.append(f"{key_counts[key]} entries for {name!r}")
        if id_counts[cid] > 1 and f"id:{cid}" not in reported_duplicates:
            reported_duplicates.add(f"id:{cid}")
            report.duplicate.append(f"{id_counts[cid]} entries with id {cid}")
        match = by_key.get(key)
        if match is not None:
            covered.add(match.id)
            if match.id != cid:
                report.reordered.append(f"{name!r} is id {cid} in the knowledge file, id {match.id} in the class list")
            continue
        same_id = by_id.get(cid)
        if same_id is not None:
            covered.add(same_id.id)
            report.renamed.append(f"id {cid} is {name!r} in the knowledge file, {same_id.name!r} in the class list")
        else:
            report.extra.append(f"{name!r} (id {cid})")
    report.missing = [f"{c.name!r} (id {c.id})" for c in classes if c.id not in covered]
    return report


def check_class_identity(knowledge: KnowledgeFile, classes: Sequence[ClassEntry], dataset_name: str, *, path: object = None,
                         rebuild_hint: str | None = None) -> IdentityReport:
    """Refuse (InputError, every mismatch listed) when ``knowledge`` was built for another class list
    than ``classes``; return the report otherwise (it may list missing classes of a partial build)."""
    entries = knowledge.class_entries()
    if entries is None:
        return IdentityReport()
    report = compare_classes(entries, classes, knowledge.class_list)
    if not report.refused:
        return report
    where = str(path) if path is not None else f"the {knowledge.KIND} knowledge of {knowledge.dataset}"
    built_for = f" (it was built for dataset {knowledge.dataset!r}" + (
        f", a list of {knowledge.class_list.count} classes" if knowledge.class_list else "") + ")"
    lines = "\n  - ".join(report.lines())
    raise InputError(
        f"{where} does not match the classes of {dataset_name} ({len(classes)} classes){built_for}; its entries are "
        f"matched by class name and id, and:\n  - {lines}",
        hint=rebuild_hint or (
            "the class list changed after the knowledge was built: restore the list it was built for, or rebuild the "
            f"knowledge for this list (rerun the command that made {where})"
        ),
    )
