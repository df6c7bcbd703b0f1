"""The dataset a command works on: ``--dataset NAME`` or ``--classes FILE [--name NAME]``.

Apart from :mod:`kgen.datasets.registry` (which reads datasets) because it also checks or claims
the list's knowledge folder (:mod:`kgen.datasets.workspace`), which needs the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from kgen.datasets.registry import Dataset, builtin_names, load_builtin, load_user_list
from kgen.datasets.workspace import check_workspace, claim_workspace
from kgen.errors import InputError


def resolve_dataset(
    dataset: str | None,
    classes_file: Path | None = None,
    name: str | None = None,
    *,
    workspace: Literal["ignore", "check", "claim"] = "ignore",
) -> Dataset:
    """The dataset the user asked for: ``--dataset NAME`` or ``--classes FILE [--name NAME]``.

    ``workspace``: what the command does with ``knowledge/<name>/``. ``check`` (it reads
    knowledge) refuses a custom list whose folder belongs to another list; ``claim`` (it writes
    knowledge) also checks that the folder is writable and records the list there, before any
    expensive work (see :mod:`kgen.datasets.workspace`).
    """
    if dataset and classes_file:
        raise InputError("give either --dataset or --classes, not both")
    if classes_file is not None:
        resolved = load_user_list(classes_file, name)
    else:
        if not dataset:
            known = ", ".join(builtin_names())
            raise InputError("no dataset given", hint=f"use --dataset NAME (one of: {known}) or --classes FILE")
        resolved = load_builtin(dataset)
    if workspace != "ignore":
        (claim_workspace if workspace == "claim" else check_workspace)(resolved)
    return resolved
