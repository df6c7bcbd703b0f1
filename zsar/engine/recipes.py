"""Recipes: the YAML run configs in ``zsar/recipes/``, composed from shared pieces with ``_base_``.

A recipe file holds a run config, or the part of one that differs from its bases.
``_base_: PATH`` (or a list of paths) names the files it builds on, each a path relative to the
file or the name of a built-in recipe. The bases merge left to right, then the file's own keys,
with mmaction2's semantics:

* mappings merge key by key (``optim: {lr: 1.0e-3}`` changes the learning rate and keeps the
  rest of the inherited ``optim``);
* lists and scalars replace what was inherited, whole (``jitter_scales: [224, 256]`` is never
  spliced into another list);
* ``_delete_: true`` in a mapping drops what was inherited there: the mapping replaces it;
* ``name`` is never inherited: every recipe names itself (a built-in recipe's name is its file
  stem).

The built-in recipes are the ``*.yaml`` files under ``zsar/recipes/`` and its folders, except the
pieces: files under a ``_base_/`` folder and files whose name starts with ``_`` are only ever
bases, never listed or run. A recipe's name is unique across folders.

What is validated, printed (``kgen recipes NAME --print``, ``kgen train --print-config``) and
hashed (:meth:`~zsar.engine.config.RunConfig.training_fingerprint`) is the resolved config, so
the same values reached by another composition are the same run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kgen.errors import FormatError, InputError
from zsar.engine.config import RunConfig, config_from_dict

RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"
BASE_KEY = "_base_"
DELETE_KEY = "_delete_"
PIECES_DIR = "_base_"


def is_piece(relative: Path) -> bool:
    """Whether a file under ``zsar/recipes/`` is a piece (only ever a base), not a recipe."""
    return relative.name.startswith("_") or PIECES_DIR in relative.parts[:-1]


def list_recipes() -> dict[str, Path]:
    """The built-in recipes by name, in name order."""
    found: dict[str, Path] = {}
    for path in sorted(RECIPES_DIR.rglob("*.yaml")):
        if is_piece(path.relative_to(RECIPES_DIR)):
            continue
        if path.stem in found:
            raise FormatError(f"two built-in recipes are named {path.stem!r}: {found[path.stem]} and {path}",
                              hint="recipe names are file stems and must be unique across the folders of zsar/recipes/")
        found[path.stem] = path
    return dict(sorted(found.items()))


def recipe_path(name_or_path: str | Path) -> Path:
    """The file of a built-in recipe (by name) or of a YAML file of one's own."""
    recipes = list_recipes()
    path = recipes.get(str(name_or_path)) or Path(name_or_path).expanduser()
    if not path.is_file():
        raise InputError(
            f"no recipe {str(name_or_path)!r}",
            hint=f"built-in recipes: {', '.join(recipes)}; or give the path of a YAML file",
        )
    return path


def load_recipe(name_or_path: str | Path) -> RunConfig:
    """A built-in recipe by name (``kgen recipes``) or a YAML file, its bases merged in, validated."""
    path = recipe_path(name_or_path)
    raw, _ = resolve_recipe_file(path)
    return config_from_dict(raw, origin=str(path))


def resolve_recipe_file(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """The raw config of a recipe file with its bases merged in (not yet validated), and the files merged, in order."""
    files: list[Path] = []
    return _resolve(Path(path).resolve(), (), files), files


@dataclass(frozen=True)
class ValueSource:
    """Where a resolved value was set: the recipe file and the comment on its line (its citation)."""

    file: Path
    comment: str


def recipe_sources(files: list[Path]) -> dict[str, ValueSource]:
    """Which file set each dotted key (``optim.lr``) of a recipe merged from ``files`` (in merge order), with its comment.

    The last file that sets a key wins, as in the merge; a mapping with ``_delete_: true`` forgets
    what earlier files set below it. A comment is the text after ``#`` on the key's line and on the
    comment-only lines indented under it.
    """
    sources: dict[str, ValueSource] = {}
    for number, path in enumerate(files):
        is_top = number == len(files) - 1
        for key, comment in _commented_keys(path.read_text(encoding="utf-8")):
            if key == "name" and not is_top:
                continue
            if key.endswith("." + DELETE_KEY) or key == DELETE_KEY:
                prefix = key[: -len(DELETE_KEY)]
                sources = {k: v for k, v in sources.items() if not k.startswith(prefix)}
                continue
            sources[key] = ValueSource(path, comment)
    return sources


_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):(?P<rest>.*)$")
_COMMENT_LINE = re.compile(r"^(?P<indent> *)#\s?(?P<text>.*)$")


def _commented_keys(text: str) -> list[tuple[str, str]]:
    """``(dotted key, comment)`` of every leaf key of a recipe file written in block style, in file order."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []  # (indent, key) of the mappings the current line is in
    last: tuple[int, int] | None = None  # (index in found, indent) of the last leaf, for continued comments
    for line in text.splitlines():
        comment_line = _COMMENT_LINE.match(line)
        if comment_line:
            indent = len(comment_line["indent"])
            if last is not None and indent > last[1]:
                index = last[0]
                key, comment = found[index]
                found[index] = (key, f"{comment} {comment_line['text'].strip()}".strip())
            else:
                last = None
            continue
        match = _KEY_LINE.match(line)
        if not match:
            last = None
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        value, _, comment = match["rest"].partition(" #")
        dotted = ".".join([*(key for _, key in stack), match["key"]])
        if value.strip() or match["key"] in (BASE_KEY,):
            found.append((dotted, comment.strip()))
            last = (len(found) - 1, indent)
        else:
            stack.append((indent, match["key"]))
            last = None
    return found


def print_resolved(name_or_path: str | Path) -> str:
    """The resolved recipe as YAML, every value followed by its citation and the file that set it.

    A value no file sets is the run config's default (``kgen default``).
    """
    path = recipe_path(name_or_path)
    raw, files = resolve_recipe_file(path)
    config = config_from_dict(raw, origin=str(path))
    sources = recipe_sources(files)
    text = yaml.dump(config.model_dump(mode="json"), Dumper=_LeafListDumper, sort_keys=False, allow_unicode=True,
                     width=1000)
    names = {file: _short_name(file) for file in files}
    lines = [f"# {config.name}, resolved from: {' <- '.join(names[file] for file in reversed(files))}"]
    for key, line in _dotted_lines(text):
        if key is None:
            lines.append(line)
            continue
        source = sources.get(key)
        citation = f"{source.comment}  [{names[source.file]}]" if source and source.comment else (
            f"[{names[source.file]}]" if source else "kgen default")
        lines.append(f"{line:<40} # {citation}")
    return "\n".join(lines) + "\n"


class _LeafListDumper(yaml.SafeDumper):
    """Block-style mappings, one key a line, with lists written inline (``betas: [0.9, 0.98]``)."""


_LeafListDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))


def _dotted_lines(text: str) -> list[tuple[str | None, str]]:
    """Each line of a block-style YAML dump with the dotted key of its leaf value (``None``: a mapping's line)."""
    out: list[tuple[str | None, str]] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = _KEY_LINE.match(line)
        if not match:
            out.append((None, line))
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([*(key for _, key in stack), match["key"]])
        if match["rest"].strip():
            out.append((dotted, line))
        else:
            stack.append((indent, match["key"]))
            out.append((None, line))
    return out


def _short_name(file: Path) -> str:
    try:
        return file.resolve().relative_to(RECIPES_DIR).as_posix()
    except ValueError:
        return str(file)


def merge_config(base: dict[str, Any], override: dict[str, Any], origin: str = "<config>") -> dict[str, Any]:
    """``override`` merged into ``base`` (see the module docstring); neither is changed, ``_delete_`` keys are gone."""
    delete = override.get(DELETE_KEY, False)
    if not isinstance(delete, bool):
        raise FormatError(f"{origin}: {DELETE_KEY} must be true or false, not {delete!r}")
    merged = {} if delete else dict(base)
    for key, value in override.items():
        if key == DELETE_KEY:
            continue
        if isinstance(value, dict):
            inherited = merged.get(key)
            merged[key] = merge_config(inherited if isinstance(inherited, dict) else {}, value, origin)
        else:
            merged[key] = value
    return merged


def _resolve(path: Path, chain: tuple[Path, ...], files: list[Path]) -> dict[str, Any]:
    if path in chain:
        loop = " -> ".join(p.name for p in (*chain, path))
        raise FormatError(f"{path} is its own base ({loop})", hint=f"remove the loop from the {BASE_KEY} entries")
    raw = _read_yaml(path)
    merged: dict[str, Any] = {}
    for base in _base_entries(path, raw.pop(BASE_KEY, [])):
        inherited = _resolve(_base_path(path, base), (*chain, path), files)
        inherited.pop("name", None)
        merged = merge_config(merged, inherited, str(path))
    files.append(path)
    return merge_config(merged, raw, str(path))


def _base_entries(path: Path, entries: Any) -> list[str]:
    entries = [entries] if isinstance(entries, str) else entries
    if not isinstance(entries, list) or not all(isinstance(entry, str) and entry.strip() for entry in entries):
        raise FormatError(f"{path}: {BASE_KEY} must be a file path or a list of them, not {entries!r}",
                          hint=f"e.g. {BASE_KEY}: [../{PIECES_DIR}/runtime.yaml, _model.yaml]")
    return entries


def _base_path(path: Path, base: str) -> Path:
    candidate = (path.parent / base).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    builtin = list_recipes().get(base)
    if builtin is not None:
        return builtin.resolve()
    raise InputError(f"{path}: its base {base!r} is neither a file ({candidate}) nor a built-in recipe",
                     hint="a base is a path relative to the file that names it, or a built-in recipe's name (kgen recipes)")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise FormatError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise FormatError(f"{path} does not hold a YAML mapping")
    return raw
