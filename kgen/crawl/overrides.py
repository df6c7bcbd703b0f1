"""A dataset's crawl overrides: the definitions a user pins by hand (``crawl-overrides.yaml``).

``knowledge/<dataset>/crawl-overrides.yaml`` (or ``.yml``, ``.json``; ``kgen crawl --overrides
FILE`` names another) maps class names to one of three pins::

    classes:
      catch:
        wordnet: catch.v.04            # a WordNet sense (lemma.pos.NN or 01439208-v) ...
        note: the ball, not the blow   # optional: why (kept in descriptions.json)
      playing daf:
        wordnet: {playing: play.v.07}  # ... or one per chunk of the name
      hurling (sport):
        wikipedia: Hurling             # a Wikipedia article title (needs the network or the cache)
      flic flac:
        text: a back handspring       # a hand-written definition

The crawl applies a pin instead of its own choice and records it (``source: manual`` for a text,
the pinned source otherwise, with the file in ``override``). Data, never code: the file is parsed
as YAML or JSON and validated; an unknown class name, chunk or sense is an error that says what
was wrong and what to write instead.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kgen import paths
from kgen.errors import InputError

OVERRIDES_FILE_NAMES = ("crawl-overrides.yaml", "crawl-overrides.yml", "crawl-overrides.json")
OverrideKind = Literal["wordnet", "wikipedia", "text"]


class ClassOverride(BaseModel):
    """The pin of one class: exactly one of ``wordnet``, ``wikipedia``, ``text``."""

    model_config = ConfigDict(extra="forbid")

    wordnet: str | dict[str, str] | None = Field(
        default=None, description="a sense id, or {chunk: sense id} for names of several chunks"
    )
    wikipedia: str | None = Field(default=None, description="a Wikipedia article title")
    text: str | None = Field(default=None, description="a hand-written definition")
    note: str | None = Field(default=None, description="why (kept with the class)")

    @model_validator(mode="after")
    def _exactly_one(self) -> ClassOverride:
        given = [k for k in ("wordnet", "wikipedia", "text") if getattr(self, k) not in (None, "", {})]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of wordnet (a sense id), wikipedia (a title) or text (a definition)"
                + (f"; got {', '.join(given)}" if given else "")
            )
        return self

    @property
    def kind(self) -> OverrideKind:
        if self.wordnet not in (None, "", {}):
            return "wordnet"
        return "wikipedia" if self.wikipedia else "text"

    @property
    def value(self) -> str:
        if self.kind == "wordnet":
            if isinstance(self.wordnet, dict):
                return ", ".join(f"{chunk}: {sense}" for chunk, sense in self.wordnet.items())
            return str(self.wordnet)
        return str(self.wikipedia if self.kind == "wikipedia" else self.text)


class OverridesFile(BaseModel):
    """The whole file. ``format``/``format_version`` are optional (a hand-written file may omit them)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["kgen.crawl-overrides"] = "kgen.crawl-overrides"
    format_version: Literal[1] = 1
    classes: dict[str, ClassOverride] = {}


class Overrides:
    """The overrides of one dataset, checked against its class names."""

    def __init__(self, path: Path | None, by_class: dict[str, ClassOverride]) -> None:
        self.path = path
        self.by_class = by_class

    def __len__(self) -> int:
        return len(self.by_class)

    def get(self, class_name: str) -> ClassOverride | None:
        return self.by_class.get(class_name)


def default_overrides_path(dataset_name: str) -> Path | None:
    """The dataset's overrides file in the workspace, if there is one."""
    folder = paths.knowledge_dir(dataset_name)
    for name in OVERRIDES_FILE_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def load_overrides(path: Path, class_names: list[str]) -> Overrides:
    """Read and validate ``path`` against ``class_names`` (InputError on any problem)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"overrides file {path} does not exist",
            hint="create it (see docs/crawl.md, 'Overrides'), or drop --overrides",
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            f"{path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}",
            hint="fix the syntax (docs/crawl.md, 'Overrides', has an example)",
        ) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{path} must hold a mapping with a 'classes:' key", hint="see docs/crawl.md, 'Overrides'")
    try:
        parsed = OverridesFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise InputError(
            f"{path}: {where or 'file'}: {first.get('msg')}",
            hint="each class takes exactly one of wordnet, wikipedia, text (and an optional note)",
        ) from exc
    known = {name.lower(): name for name in class_names}
    by_class: dict[str, ClassOverride] = {}
    for name, override in parsed.classes.items():
        actual = known.get(name.strip().lower())
        if actual is None:
            raise InputError(
                f"{path}: {name!r} is not a class of this dataset",
                hint=_did_you_mean(name, class_names),
            )
        by_class[actual] = override
    return Overrides(path, by_class)


def _did_you_mean(name: str, class_names: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), [c.lower() for c in class_names], n=3, cutoff=0.5)
    lookup = {c.lower(): c for c in class_names}
    if close:
        return "did you mean " + " or ".join(repr(lookup[c]) for c in close) + "?"
    return "write the class name as `kgen datasets` lists it"
