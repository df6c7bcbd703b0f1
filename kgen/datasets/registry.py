"""The dataset registry: built-in datasets by name or alias, and users' own class lists."""

from __future__ import annotations

import csv
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kgen import paths
from kgen.datasets.names import name_key, slugify
from kgen.datasets.spec import ClassEntry, ClassSplit, DatasetSpec, VideoList
from kgen.datasets.user_lists import read_class_file
from kgen.errors import FormatError, InputError


@dataclass(frozen=True)
class Dataset:
    """A named, ordered list of action classes, with the splits and video lists that come with it."""

    name: str
    title: str
    classes: tuple[ClassEntry, ...]
    origin: str
    spec: DatasetSpec | None = None
    directory: Path | None = None
    _by_key: dict[str, ClassEntry] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for entry in self.classes:
            self._by_key.setdefault(name_key(entry.name), entry)
            self._by_key.setdefault(name_key(entry.label), entry)

    @property
    def is_builtin(self) -> bool:
        return self.spec is not None

    @property
    def class_names(self) -> list[str]:
        return [entry.name for entry in self.classes]

    def find_class(self, query: str) -> ClassEntry:
        """A class by readable name, raw label or id."""
        entry = self._by_key.get(name_key(query))
        if entry is None and query.strip().isdigit():
            entry = next((c for c in self.classes if c.id == int(query)), None)
        if entry is None:
            from kgen.suggest import close_matches

            names = [c.name for c in self.classes]
            close = [n for n in names if name_key(query) in name_key(n)][:8] or close_matches(query, names)
            hint = (f"did you mean {' or '.join(repr(n) for n in close)}? (`{self.show_command}` lists them)" if close
                    else f"run `{self.show_command}` for its classes")
            raise InputError(f"no class {query!r} in {self.name}", hint=hint)
        return entry

    @property
    def selector(self) -> str:
        """The command-line options that select this dataset again (for hints that name commands).

        ``--dataset k400`` for a built-in dataset; ``--classes FILE`` (plus ``--name NAME`` when
        the name is not the file's default) for a custom list.
        """
        if self.is_builtin:
            return f"--dataset {self.name}"
        options = f"--classes {shlex.quote(self.origin)}"
        if self.name != default_list_name(Path(self.origin)):
            options += f" --name {shlex.quote(self.name)}"
        return options

    @property
    def show_command(self) -> str:
        """The command that lists this dataset's classes."""
        return f"kgen datasets show {self.name}" if self.is_builtin else f"kgen datasets show --classes {shlex.quote(self.origin)}"

    @property
    def split_names(self) -> list[str]:
        return [split.name for split in self.spec.class_splits] if self.spec else []

    def class_split(self, name: str) -> ClassSplit:
        for split in self.spec.class_splits if self.spec else []:
            if split.name == name:
                return split
        known = ", ".join(self.split_names) or "none"
        raise InputError(f"{self.name} has no class split {name!r}", hint=f"known splits: {known}")

    def split_classes(self, name: str) -> list[ClassEntry]:
        """The classes of a split, in the split's own label order."""
        by_id = {entry.id: entry for entry in self.classes}
        return [by_id[class_id] for class_id in self.class_split(name).class_ids]

    def video_list(self, name: str) -> VideoList:
        for video_list in self.spec.video_lists if self.spec else []:
            if video_list.name == name:
                return video_list
        known = ", ".join(v.name for v in self.spec.video_lists) if self.spec else "none"
        raise InputError(f"{self.name} has no video list {name!r}", hint=f"known video lists: {known}")

    def video_list_path(self, name: str) -> Path:
        assert self.directory is not None
        return self.directory / self.video_list(name).file


def builtin_dir() -> Path:
    return paths.BUILTIN_DATASETS_DIR


@cache
def builtin_names() -> tuple[str, ...]:
    directory = builtin_dir()
    if not directory.is_dir():
        return ()
    return tuple(sorted(p.name for p in directory.iterdir() if (p / "dataset.json").is_file()))


@cache
def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in builtin_names():
        spec = DatasetSpec.load(builtin_dir() / name / "dataset.json")
        for alias in [name, *spec.aliases]:
            table[_alias_key(alias)] = name
    return table


def _alias_key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@cache
def load_builtin(name: str) -> Dataset:
    canonical = _alias_table().get(_alias_key(name))
    if canonical is None:
        from kgen.suggest import close_matches

        known = ", ".join(builtin_names()) or "none (the knowledge/datasets folder is missing)"
        table = _alias_table()
        close = list(dict.fromkeys(table[key] for key in close_matches(_alias_key(name), table)))
        suggestion = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None
        raise InputError(
            f"unknown dataset {name!r}",
            hint=(f"{suggestion} " if suggestion else "") + f"known datasets: {known} (`kgen datasets list`); or give your own list with --classes FILE",
        )
    directory = builtin_dir() / canonical
    spec = DatasetSpec.load(directory / "dataset.json")
    classes = tuple(_read_classes_csv(directory / "classes.csv"))
    if len(classes) != spec.num_classes or [c.id for c in classes] != list(range(len(classes))):
        raise FormatError(f"{directory / 'classes.csv'} does not hold ids 0..{spec.num_classes - 1} in order")
    return Dataset(name=canonical, title=spec.title, classes=classes, origin="built-in", spec=spec, directory=directory)


def _read_classes_csv(path: Path) -> list[ClassEntry]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [ClassEntry(id=int(row["id"]), label=row["label"], name=row["name"]) for row in csv.DictReader(handle)]


# A custom list's name becomes a folder name and the start of its bank ids (which add the kind,
# the model and a hash): kept well under the 255 bytes a file system allows per name.
MAX_NAME_LENGTH = 100


def default_list_name(path: Path) -> str:
    """The dataset name of a class file given without ``--name``: its stem (``-custom`` if taken)."""
    name = slugify(Path(path).stem)
    return f"{name}-custom" if name in builtin_names() else name


def load_user_list(path: Path, name: str | None = None) -> Dataset:
    classes = tuple(read_class_file(path))
    if name is not None:
        dataset_name = slugify(name)
        if _alias_table().get(_alias_key(name)) is not None or dataset_name in builtin_names():
            raise InputError(
                f"--name {name!r} is the name of a built-in dataset; its knowledge folder is not for other lists",
                hint=f"choose another --name, e.g. --name {dataset_name}-custom",
            )
    else:
        dataset_name = default_list_name(path)
    if len(dataset_name) > MAX_NAME_LENGTH:
        what = "--name" if name is not None else f"the file name of {path}"
        raise InputError(
            f"{what} gives a dataset name of {len(dataset_name)} characters; at most {MAX_NAME_LENGTH} are allowed "
            "(it names folders and bank ids)",
            hint="give a shorter --name",
        )
    origin = str(Path(path).expanduser().resolve())
    return Dataset(name=dataset_name, title=f"classes from {path}", classes=classes, origin=origin)
