"""Where kgen reads and writes.

* The *workspace* holds ``knowledge/`` (generated text knowledge) and ``banks/`` (embedding
  banks). It is ``$KGEN_ROOT`` when set, else the current directory; ``kgen --root DIR``
  overrides both.
* Built-in dataset class lists ship with the source tree under ``knowledge/datasets/``.
* The response cache (crawls, LLM answers) lives in ``$KGEN_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/kgen``, else ``~/.cache/kgen``: it is shared by every workspace, so the same
  question is never paid for twice.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_DATASETS_DIR = SOURCE_ROOT / "knowledge" / "datasets"

_root_override: Path | None = None
_cache_override: Path | None = None


def set_workspace_root(path: Path | None) -> None:
    global _root_override
    _root_override = path.resolve() if path is not None else None


def set_cache_dir(path: Path | None) -> None:
    global _cache_override
    _cache_override = path.resolve() if path is not None else None


def workspace_root() -> Path:
    if _root_override is not None:
        return _warn_if_new(_root_override, "--root")
    env = os.environ.get("KGEN_ROOT")
    return _warn_if_new(Path(env).resolve(), "$KGEN_ROOT") if env else Path.cwd()


def _warn_if_new(root: Path, given_by: str) -> Path:
    """A workspace that does not exist yet is most often a mistyped path: say so (once)."""
    if not root.exists():
        from kgen.console import warn_once

        warn_once(
            f"new-workspace:{root}",
            f"the workspace {root} ({given_by}) does not exist yet: a new, empty one is started there "
            "(check the path for a typo if you meant an existing workspace)",
        )
    return root


def knowledge_dir(dataset: str | None = None) -> Path:
    base = workspace_root() / "knowledge"
    return base / dataset if dataset else base


def banks_dir() -> Path:
    return workspace_root() / "banks"


def cache_dir() -> Path:
    if _cache_override is not None:
        return _cache_override
    env = os.environ.get("KGEN_CACHE_DIR")
    if env:
        return Path(env).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "kgen"
