"""The contract every kind of knowledge file meets.

Each kind (crawled ``descriptions``, AP-CLIP ``prompts``, STDD ``askg``, Kim et al.'s
``attributes``, SC-CLIP's ``action-descriptions``) is a :class:`KnowledgeFile` subclass stored at
``knowledge/<dataset>/<file name>`` and registered with :func:`register_kind`. The bank builder
never needs to know a kind's internals: it calls :meth:`KnowledgeFile.bank_texts`, which returns,
for every class in label order, the texts to encode (already templated: exactly the strings that
go into the CLIP tokenizer).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kgen import __version__, paths
from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.fileformat import VersionedFile


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Provenance(BaseModel):
    """How a knowledge file was made. Kinds add their own fields (LLM backend, model, prompts...)."""

    model_config = ConfigDict(extra="forbid")

    kgen_version: str = __version__
    created_at: str = Field(default_factory=utc_now)
    parameters: dict[str, Any] = {}


class ClassTexts(BaseModel):
    """The texts of one class, ready for the CLIP tokenizer."""

    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    texts: list[str]
    # Optional per-text tags, same length as ``texts`` (e.g. "spatial"/"temporal" for ASKG prompts).
    text_types: list[str] | None = None


class ClassListInfo(BaseModel):
    """The class list a knowledge file was built for (see :mod:`kgen.knowledge.identity`)."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(description="SHA-256 of the class list: canonical JSON of [[id, name], ...] in label order")
    count: int = Field(ge=0, description="number of classes in the list")


class KnowledgeFile(VersionedFile):
    """Base of every ``knowledge/<dataset>/<kind>.json`` file."""

    KIND: ClassVar[str] = ""  # set by register_kind (a ClassVar: not a field written into every file)

    dataset: str
    # The class list the file was built for (None in files written before kgen recorded it).
    class_list: ClassListInfo | None = None

    def class_entries(self) -> list[tuple[int, str]] | None:
        """``(class_id, class_name)`` of every class entry the file holds, in file order; None for a
        kind without per-class entries. Kinds keep their entries in ``classes``; others override."""
        entries = getattr(self, "classes", None)
        if not isinstance(entries, list):
            return None
        return [(int(e.class_id), str(e.class_name)) for e in entries]

    @abstractmethod
    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """Texts to encode for every class of ``dataset``, in label order.

        Raises :class:`~kgen.errors.InputError` naming the classes that have no knowledge yet.
        """


@dataclass(frozen=True)
class KindInfo:
    name: str
    file_name: str
    model: type[KnowledgeFile]
    description: str


_KINDS: dict[str, KindInfo] = {}

K = TypeVar("K", bound=type[KnowledgeFile])


def register_kind(name: str, file_name: str, description: str) -> Callable[[K], K]:
    """Class decorator: make a KnowledgeFile subclass the model of kind ``name``."""

    def decorate(model: K) -> K:
        model.KIND = name
        _KINDS[name] = KindInfo(name=name, file_name=file_name, model=model, description=description)
        return model

    return decorate


def known_kinds() -> dict[str, KindInfo]:
    _import_builtin_kinds()
    return dict(_KINDS)


def kind_info(name: str) -> KindInfo:
    return known_kinds()[canonical_kind(name)]


# Other names a user may type for a kind. "descriptions" (the file of crawled definitions) is easy to
# confuse with "action-descriptions" (the LLM's sentences): "definitions" names it too.
KIND_ALIASES = {"definitions": "descriptions"}


def canonical_kind(name: str, extra: tuple[str, ...] = ()) -> str:
    """The kind ``name`` stands for (an alias resolved), or an InputError with "did you mean".

    ``extra``: names that are kinds for the caller without being knowledge kinds (``names``).
    """
    from kgen.suggest import unknown_name_hint

    kinds = known_kinds()
    key = name.strip().lower()
    key = KIND_ALIASES.get(key, key)
    if key in kinds or key in extra:
        return key
    choices = sorted([*extra, *kinds])
    raise InputError(
        f"unknown knowledge kind {name!r}",
        hint=unknown_name_hint(name, [*choices, *KIND_ALIASES], f"kinds: {', '.join(choices)}"),
    )


# Imported variants of a kind (``kgen import``) live apart from kgen's own file:
# ``knowledge/<dataset>/imported/<variant>/<file name>``; kgen's own is the variant "kgen" (or None).
IMPORTED_DIR = "imported"
GENERATED_VARIANTS = (None, "kgen")


def knowledge_path(dataset_name: str, kind: str, variant: str | None = None) -> Path:
    file_name = kind_info(kind).file_name
    if variant in GENERATED_VARIANTS:
        return paths.knowledge_dir(dataset_name) / file_name
    return paths.knowledge_dir(dataset_name) / IMPORTED_DIR / str(variant) / file_name


def imported_variants(dataset_name: str, kind: str) -> list[str]:
    """The names of the imported variants of ``kind`` that exist for a dataset, sorted."""
    folder = paths.knowledge_dir(dataset_name) / IMPORTED_DIR
    file_name = kind_info(kind).file_name
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / file_name).is_file())


def resolve_variant(dataset_name: str, kind: str, variant: str | None) -> str | None:
    """The variant to use: the one asked for; else kgen's own file; else the only imported one.

    Returns None for kgen's own file. Several imported variants and no file of kgen's own is an
    error that names them.
    """
    if variant is not None:
        return None if variant in GENERATED_VARIANTS else variant
    if knowledge_path(dataset_name, kind).exists():
        return None
    found = imported_variants(dataset_name, kind)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise InputError(
            f"{dataset_name} has no {kind} knowledge of kgen's own but {len(found)} imported variants: {', '.join(found)}",
            hint="choose one with --variant NAME",
        )
    return None


def load_knowledge(dataset_name: str, kind: str, variant: str | None = None) -> KnowledgeFile:
    """The knowledge file of ``kind`` (and ``variant``) for a dataset, with a hint on how to make it if it is missing."""
    info = kind_info(kind)
    path = knowledge_path(dataset_name, kind, variant)
    if not path.exists():
        if variant not in GENERATED_VARIANTS:
            known = imported_variants(dataset_name, kind)
            raise InputError(
                f"no imported {kind} variant {variant!r} for {dataset_name} at {path}",
                hint=f"imported variants: {', '.join(known)}" if known else "import it first (`kgen import --list-formats`)",
            )
        raise InputError(
            f"no {kind} knowledge for {dataset_name} at {path}",
            hint=f"{_make_command(dataset_name, kind)}, or import a paper's (`kgen import --list-formats`), or pass --root to the workspace that holds it",
        )
    return info.model.load(path)


def _import_builtin_kinds() -> None:
    """Import the modules that register the built-in kinds (each registers on import)."""
    from importlib import import_module

    for module in BUILTIN_KIND_MODULES:
        import_module(module)


# The modules that define the built-in kinds (each registers its kind on import). A new kind
# adds its module here.
BUILTIN_KIND_MODULES: list[str] = [
    "kgen.crawl.descriptions",
    "kgen.knowledge.apclip",
    "kgen.knowledge.askg",
    "kgen.knowledge.attributes",
    "kgen.knowledge.action_descriptions",
    "kgen.knowledge.descriptors",
]


def _make_command(dataset_name: str, kind: str) -> str:
    """The command that makes ``kind``'s file for a dataset, as a hint."""
    from kgen.datasets import builtin_names

    selector = f"--dataset {dataset_name}" if dataset_name in builtin_names() else f"--classes FILE --name {dataset_name}"
    if kind == "descriptions":
        return f"make it with `kgen crawl {selector}`"
    if kind in ("prompts", "askg", "attributes", "action-descriptions"):
        return f"make it with `kgen build {kind} {selector}`"
    return f"make it (`kgen build --help` lists the kinds kgen builds; {kind} comes from `kgen import`)"
