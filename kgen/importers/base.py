"""What every import format shares: reading a released file (with its SHA-256), matching released
class names to a dataset's classes, and logging what was dropped or flagged.

Class names are matched by a *match key* (:func:`match_key`): Unicode NFKC, case folded, the
articles "a", "an" and "the" dropped as words, then everything but letters and digits dropped. So
"Driving a car" (FROSTER) finds ``driving car``, "hand stand pushups" (ER-ZSAR) finds
``handstand pushups`` and "Skiing (not slalom or cross-country)" finds ``skiing (not slalom or
crosscountry)``. Two classes of one dataset with the same key match only by their exact names.
What the key cannot absorb is a real rename; each format lists its own in an explicit table
(:mod:`kgen.importers.renames`), checked against the released files.
"""

from __future__ import annotations

import json
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgen.datasets import ClassEntry, Dataset
from kgen.datasets.names import name_key
from kgen.errors import FormatError, InputError
from kgen.knowledge.imported import ImportProblem, SourceFile

_ARTICLE_WORDS = re.compile(r"\b(a|an|the)\b")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
SHORT = 160  # released entries are quoted in problems up to this many characters


def match_key(name: str) -> str:
    """The key under which a released class name and a dataset class name are the same class."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _ARTICLE_WORDS.sub(" ", text)
    return _NOT_ALNUM.sub("", text)


def json_type(value: Any) -> str:
    """What a parsed JSON/YAML value is, in the words of the format: "an object", "a list", ..."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "nothing" if value is None else names.get(type(value), f"a {type(value).__name__}")


def shorten(text: str, limit: int = SHORT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ReleasedFile:
    """A released file as read: its bytes, SHA-256 and (when recognisable) its path in the repository."""

    role: str
    path: Path
    data: bytes
    sha256: str
    repo_path: str | None

    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{self.path} is not UTF-8 text: {exc}", hint="give the released file itself") from exc

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.text())
        except json.JSONDecodeError as exc:
            raise FormatError(f"{self.path} is not JSON ({exc}), so it is not {what}", hint="give the released file itself") from exc

    def yaml(self, what: str) -> Any:
        import yaml

        try:
            return yaml.safe_load(self.text())
        except yaml.YAMLError as exc:
            raise FormatError(f"{self.path} is not YAML ({shorten(str(exc), 200)}), so it is not {what}",
                              hint="give the released file itself") from exc

    def record(self) -> SourceFile:
        return SourceFile(role=self.role, path=str(self.path), repo_path=self.repo_path, sha256=self.sha256)


def read_released(path: Path, role: str, markers: Sequence[str] = ()) -> ReleasedFile:
    """Read ``path``; ``markers`` are the repository folders whose name starts the repo path."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path} does not exist", hint="give the path of the released file")
    if not path.is_file():
        raise InputError(f"{path} is not a file", hint="give the released file itself, not its folder")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    import hashlib

    parts = path.resolve().parts
    repo_path = None
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] in markers:
            repo_path = "/".join(parts[index:])
            break
    return ReleasedFile(role=role, path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), repo_path=repo_path)


@dataclass(frozen=True)
class Match:
    entry: ClassEntry
    renamed_from: str | None = None  # the released name, when the rename table matched it


class ClassMatcher:
    """Released class names -> classes of a dataset (exact name or label, then match key, then renames)."""

    def __init__(self, classes: Sequence[ClassEntry], renames: Mapping[str, str] | None = None) -> None:
        self.classes = list(classes)
        self._exact: dict[str, ClassEntry] = {}
        keyed: dict[str, list[ClassEntry]] = {}
        for entry in self.classes:
            for name in (entry.name, entry.label):
                self._exact.setdefault(name_key(name), entry)
                found = keyed.setdefault(match_key(name), [])
                if entry not in found:
                    found.append(entry)
        # A key two classes share is ambiguous: those classes match only by their exact names.
        self._keyed = {key: entries[0] for key, entries in keyed.items() if len(entries) == 1 and key}
        self._renames: dict[str, ClassEntry] = {}
        for released, target in (renames or {}).items():
            entry = self._exact.get(name_key(target)) or self._keyed.get(match_key(target))
            if entry is not None:
                self._renames[match_key(released)] = entry

    def match(self, name: str) -> Match | None:
        entry = self._exact.get(name_key(name)) or self._keyed.get(match_key(name))
        if entry is not None:
            return Match(entry)
        renamed = self._renames.get(match_key(name))
        return Match(renamed, renamed_from=name) if renamed is not None else None


@dataclass
class ImportLog:
    """Everything an import drops or flags, in the order found."""

    problems: list[ImportProblem] = field(default_factory=list)

    def add(self, action: str, class_name: str | None, code: str, entry: Any, reason: str) -> None:
        self.problems.append(
            ImportProblem(class_name=class_name, code=code, entry=shorten(entry), action=action, reason=reason)  # type: ignore[arg-type]
        )

    def drop(self, class_name: str | None, code: str, entry: Any, reason: str) -> None:
        self.add("dropped", class_name, code, entry, reason)

    def flag(self, class_name: str | None, code: str, entry: Any, reason: str) -> None:
        self.add("kept", class_name, code, entry, reason)

    def renamed(self, class_name: str, released: str) -> None:
        self.add("renamed", class_name, "renamed", released, f"the released name {released!r} is this class (rename table)")


@dataclass
class BuildResult:
    """What a format read from the released files, before kgen validates and writes it.

    ``fields`` are the knowledge file's fields but ``dataset`` and ``provenance`` (the importer adds
    those and validates the whole with the kind's pydantic model). ``matched`` are the classes that
    got an entry, ``unmatched`` the released names that name no class.
    """

    fields: dict[str, Any]
    matched: list[ClassEntry]
    unmatched: list[str] = field(default_factory=list)
    variant: str | None = None  # the format's default variant name when it depends on the content


@dataclass
class ImportContext:
    """The classes to match against and the log to write to."""

    dataset: Dataset  # restricted to --split when given (label order of the split)
    log: ImportLog
    split: str | None = None


class ImportFormat(ABC):
    """One released format: what it reads, and how it becomes a kgen knowledge file."""

    name: str
    kind: str  # the kgen knowledge kind it becomes
    paper: str
    repository: str  # https URL of the authors' repository
    files: str  # which released files, for --list-formats and the docs
    example: str  # a command line
    markers: tuple[str, ...] = ()  # repository folders that start a released file's repo path
    matches_by_name: bool = True  # False: released entries are matched by position (OST)

    @abstractmethod
    def collect(self, paths: list[Path]) -> list[ReleasedFile]:
        """Read the files of one import (finding the companion files a path implies)."""

    @abstractmethod
    def build(self, files: list[ReleasedFile], context: ImportContext) -> BuildResult:
        """Parse, match and check the released entries; raise FormatError when the files are not of this format."""

    def extra_files(self, knowledge: Any, folder: Path) -> list[Path]:
        """Files written beside the knowledge file (graphs); default none."""
        return []

