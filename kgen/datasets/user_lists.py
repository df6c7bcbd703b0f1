"""A user's own class list: ``--classes FILE``.

Accepted forms (UTF-8, a byte-order mark is fine):

* ``.txt`` (or any other suffix): one class name per line; blank lines and lines starting with
  ``#`` are skipped; ids follow line order.
* ``.csv``: a header naming an ``id`` column and a ``name`` (or ``label``/``class``) column; or no
  header, with rows ``id,name`` or just ``name``.
* ``.json``: a list of names, a list of ``{"id": .., "name": ..}`` objects, or an object mapping
  ids to names (``{"0": "brush hair"}``) or names to ids.

Raw labels are turned into readable names (``brush_hair`` -> ``brush hair``) and the original
label is kept. Duplicate names (case and spacing ignored) are dropped with a warning, keeping the
first. An empty or unreadable file, and a class name holding a control character (NUL, a line
break inside a JSON or CSV value, ...) or a lone surrogate, is an :class:`~kgen.errors.InputError`.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

from kgen.console import warn
from kgen.datasets.names import name_key, readable_name
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError

_NAME_COLUMNS = ("name", "label", "class", "class_name", "classname", "action")


def read_class_file(path: Path) -> list[ClassEntry]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"class file {path} does not exist", hint="give a path to a text, CSV or JSON file")
    if path.is_dir():
        raise InputError(f"class file {path} is a directory", hint="give a path to a text, CSV or JSON file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"class file {path} is not UTF-8 text ({exc.reason})", hint="save it as UTF-8") from exc
    except OSError as exc:
        raise InputError(f"cannot read class file {path}: {exc.strerror}") from exc
    suffix = path.suffix.lower()
    if suffix == ".json":
        pairs = _pairs_from_json(text, path)
    elif suffix == ".csv":
        pairs = _pairs_from_csv(text, path)
    else:
        pairs = _pairs_from_lines(text)
    if not pairs:
        raise InputError(f"class file {path} holds no class names", hint="write one class name per line")
    return _entries(pairs, origin=str(path))


def entries_from_names(names: list[str], origin: str = "<list>") -> list[ClassEntry]:
    """Class entries for plain names, ids in list order (duplicates dropped with a warning)."""
    return _entries([(None, name) for name in names], origin)


def _pairs_from_lines(text: str) -> list[tuple[int | None, str]]:
    pairs: list[tuple[int | None, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            pairs.append((None, stripped))
    return pairs


def _pairs_from_csv(text: str, path: Path) -> list[tuple[int | None, str]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    name_col = next((header.index(c) for c in _NAME_COLUMNS if c in header), None)
    if name_col is not None:
        id_col = header.index("id") if "id" in header else None
        body = rows[1:]
    else:
        first = rows[0]
        if len(first) >= 2 and _as_int(first[0]) is not None:
            id_col, name_col = 0, 1
        elif len(first) == 1:
            id_col, name_col = None, 0
        else:
            raise InputError(
                f"cannot tell which column of {path} holds the class names",
                hint="add a header row with 'id' and 'name' columns",
            )
        body = rows
    pairs: list[tuple[int | None, str]] = []
    for number, row in enumerate(body, start=2 if body is not rows else 1):
        if name_col >= len(row) or not row[name_col].strip():
            raise InputError(f"{path} line {number} has no class name")
        ident = None
        if id_col is not None:
            ident = _as_int(row[id_col]) if id_col < len(row) else None
            if ident is None:
                raise InputError(f"{path} line {number}: id {row[id_col]!r} is not a non-negative integer")
        pairs.append((ident, row[name_col].strip()))
    return pairs


def _pairs_from_json(text: str, path: Path) -> list[tuple[int | None, str]]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from exc
    pairs: list[tuple[int | None, str]] = []
    if isinstance(data, list):
        for item in data:
            if isinstance(item, str):
                pairs.append((None, item.strip()))
            elif isinstance(item, dict):
                name = next((item[c] for c in _NAME_COLUMNS if isinstance(item.get(c), str)), None)
                if name is None:
                    raise InputError(f"{path}: an entry has no 'name': {item!r}")
                ident = item.get("id")
                if ident is not None and _as_int(ident) is None:
                    raise InputError(f"{path}: id {ident!r} is not a non-negative integer")
                pairs.append((_as_int(ident) if ident is not None else None, name.strip()))
            else:
                raise InputError(f"{path}: entries must be names or objects, got {item!r}")
    elif isinstance(data, dict):
        for key, value in data.items():
            if _as_int(key) is not None and isinstance(value, str):
                pairs.append((_as_int(key), value.strip()))
            elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                pairs.append((value, str(key).strip()))
            else:
                raise InputError(f"{path}: cannot read {key!r}: {value!r} as an id and a class name")
        pairs.sort(key=lambda pair: pair[0] if pair[0] is not None else -1)
    else:
        raise InputError(f"{path}: expected a list or an object of class names")
    return [pair for pair in pairs if pair[1]]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _refuse_control_characters(label: str, position: int, origin: str) -> None:
    """Class names become file contents, prompts and table cells: printable text only (a tab is spacing)."""
    for char in label:
        category = unicodedata.category(char)
        if (category == "Cc" and char != "\t") or category == "Cs":
            what = unicodedata.name(char, "control character" if category == "Cc" else "lone surrogate")
            raise InputError(
                f"{origin}: class {position} ({label!r}) holds the character U+{ord(char):04X} ({what})",
                hint="class names must be printable text: remove that character from the file",
            )


def _entries(pairs: list[tuple[int | None, str]], origin: str) -> list[ClassEntry]:
    explicit = [ident for ident, _ in pairs if ident is not None]
    if explicit and len(explicit) != len(pairs):
        raise InputError(f"{origin}: some classes have ids and some do not", hint="give every class an id, or none")
    seen_names: dict[str, str] = {}
    seen_ids: set[int] = set()
    entries: list[ClassEntry] = []
    duplicates: list[str] = []
    for position, (ident, label) in enumerate(pairs, start=1):
        _refuse_control_characters(label, position, origin)
        name = readable_name(label)
        key = name_key(name)
        if key in seen_names:
            duplicates.append(label)
            continue
        class_id = ident if ident is not None else len(entries)
        if class_id in seen_ids:
            raise InputError(f"{origin}: id {class_id} is used twice", hint="give each class its own id")
        seen_names[key] = label
        seen_ids.add(class_id)
        entries.append(ClassEntry(id=class_id, label=label, name=name))
    if duplicates:
        shown = ", ".join(repr(d) for d in duplicates[:10]) + (" ..." if len(duplicates) > 10 else "")
        warn(f"{origin}: dropped {len(duplicates)} duplicate class name(s), keeping the first: {shown}")
    return sorted(entries, key=lambda entry: entry.id)
