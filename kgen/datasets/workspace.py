"""Which class list a custom list's knowledge folder belongs to.

A custom list (``--classes FILE``) keeps its knowledge in ``knowledge/<name>/``, where ``<name>`` is
``--name`` or the file's stem. Two different lists can have the same stem (``x/mine.txt`` and
``y/mine.txt``), so the folder records the list it belongs to in ``class-list.json`` (format
``kgen.class-list``): the class file's path, the list's hash and its classes. A command that reads
a custom list's knowledge checks the record; one that writes knowledge also writes it. A list
that is not the recorded one is refused, naming the recorded list and a free ``--name``, so a
crawl or build never replaces another list's knowledge; the same file, edited since, is allowed
with a warning that names the classes added and removed.

A folder made before kgen wrote records (no ``class-list.json``) is checked against the class
names its knowledge files hold.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field

from kgen import paths
from kgen.console import warn
from kgen.datasets.names import name_key, slugify
from kgen.datasets.registry import Dataset, builtin_names
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError
from kgen.fileformat import VersionedFile
from kgen.hashing import sha256_json

RECORD_FILE = "class-list.json"


class ClassListRecord(VersionedFile):
    """``knowledge/<name>/class-list.json``: the class list this folder's knowledge was made for."""

    FORMAT = "kgen.class-list"
    VERSION = 1

    name: str
    origin: str = Field(description="absolute path of the class file")
    classes_sha256: str = Field(description="class_list_sha256 of the classes")
    classes: list[ClassEntry]


def class_list_sha256(classes: tuple[ClassEntry, ...] | list[ClassEntry]) -> str:
    """The identity of a class list: its ids and readable names, in order."""
    return sha256_json([[entry.id, entry.name] for entry in classes])


def record_path(name: str) -> Path:
    return paths.knowledge_dir(name) / RECORD_FILE


def check_workspace(dataset: Dataset) -> None:
    """Refuse a custom list whose knowledge folder belongs to another list (reads only)."""
    _verdict(dataset)


def claim_workspace(dataset: Dataset) -> None:
    """Check, then record that ``knowledge/<name>/`` is this list's (before anything is written)."""
    from kgen.storage import check_writable_dir

    if dataset.is_builtin:
        check_writable_dir(paths.knowledge_dir(dataset.name), "the knowledge folder")
        return
    current = _verdict(dataset)
    check_writable_dir(paths.knowledge_dir(dataset.name), "the knowledge folder")
    digest = class_list_sha256(dataset.classes)
    if current is None or current.classes_sha256 != digest or current.origin != dataset.origin:
        ClassListRecord(
            name=dataset.name, origin=dataset.origin, classes_sha256=digest, classes=list(dataset.classes)
        ).save(record_path(dataset.name))


def _verdict(dataset: Dataset) -> ClassListRecord | None:
    """The folder's record (None when there is none); raises when the folder is another list's."""
    if dataset.is_builtin:
        return None
    record_file = record_path(dataset.name)
    if not record_file.is_file():
        _check_unrecorded_folder(dataset)
        return None
    record = ClassListRecord.load(record_file)
    if record.classes_sha256 == class_list_sha256(dataset.classes):
        return record
    added, removed = _difference([entry.name for entry in record.classes], dataset.class_names)
    change = _describe_change(added, removed, len(record.classes), len(dataset.classes))
    if record.origin == dataset.origin:
        warn(
            f"{dataset.origin} changed since knowledge/{dataset.name}/ was made from it ({change}); "
            "that folder now serves the list as it is (rebuild knowledge that classes lack)"
        )
        return record
    raise _refusal(dataset, f"the class list {record.origin} ({len(record.classes)} classes)", change)


def _check_unrecorded_folder(dataset: Dataset) -> None:
    """A folder of an older kgen: its knowledge files must name this list's classes."""
    folder = paths.knowledge_dir(dataset.name)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        names = _class_names_in(path)
        if names is None:
            continue
        added, removed = _difference(names, dataset.class_names)
        if added or removed:
            change = _describe_change(added, removed, len(names), len(dataset.classes))
            raise _refusal(dataset, f"another class list ({path.name} there names {len(names)} classes)", change)


def _class_names_in(path: Path) -> list[str] | None:
    """The class names a knowledge file holds (None for a file that is not one)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    classes = raw.get("classes") if isinstance(raw, dict) else None
    if not isinstance(classes, list):
        return None
    names = [item.get("class_name") for item in classes if isinstance(item, dict)]
    return [name for name in names if isinstance(name, str)] or None


def _difference(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    old_keys = {name_key(name) for name in old}
    new_keys = {name_key(name) for name in new}
    added = [name for name in new if name_key(name) not in old_keys]
    removed = [name for name in old if name_key(name) not in new_keys]
    return added, removed


def _describe_change(added: list[str], removed: list[str], old_count: int, new_count: int) -> str:
    def shown(names: list[str]) -> str:
        return ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")

    parts = []
    if added:
        parts.append(f"{len(added)} class(es) only in the new list: {shown(added)}")
    if removed:
        parts.append(f"{len(removed)} only in the recorded one: {shown(removed)}")
    if not parts:
        parts.append(f"the same {new_count} class names with other ids or order" if old_count == new_count
                     else "the same class names, counted differently")
    return "; ".join(parts)


def _refusal(dataset: Dataset, owner: str, change: str) -> InputError:
    folder = paths.knowledge_dir(dataset.name)
    return InputError(
        f"knowledge/{dataset.name}/ belongs to {owner}, not to {dataset.origin} ({change})",
        hint=f"give this list its own name, e.g. --name {free_name(dataset)}; or move {folder} away to start it over",
    )


def free_name(dataset: Dataset) -> str:
    """A dataset name for ``dataset`` whose knowledge folder is free or already this list's."""
    parent = Path(dataset.origin).parent.name
    base = slugify(f"{parent}-{dataset.name}") if parent else dataset.name
    digest = class_list_sha256(dataset.classes)
    for candidate in [base, *(f"{base}-{n}" for n in range(2, 100))]:
        if candidate in builtin_names():
            continue
        record = record_path(candidate)
        if not paths.knowledge_dir(candidate).exists():
            return candidate
        if record.is_file():
            try:
                if ClassListRecord.load(record).classes_sha256 == digest:
                    return candidate
            except Exception:  # noqa: BLE001 - a broken record: not a free name
                continue
    return f"{base}-{digest[:8]}"
