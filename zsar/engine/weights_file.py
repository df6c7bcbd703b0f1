"""Trained weights as a plain safetensors file: what a run hands to other people and other code.

A checkpoint (``last.pt``, format ``kgen.zsar.checkpoint`` 2) is already a safetensors file, but
made for resuming: it holds the optimizer's moments and the generators' states, and its tensors are
named by their place in the payload (``model/backbone.visual.conv1.weight``). A *weights file*
(format ``kgen.zsar.weights`` 1) holds only the model's state dict, under the model's own names, so
that any program reads it with safetensors alone::

    from safetensors.torch import load_file
    model.load_state_dict(load_file("runs/ap-clip/checkpoints/model.safetensors"))

Its header metadata says what the weights are for (JSON in ``payload``: the run's config, the
model's architecture, the training progress, the classes and bank it was trained with, and for an
average the epochs and coefficients), so ``kgen eval --checkpoint FILE`` and
``model.init_checkpoint`` read it too (``load_checkpoint``, through :func:`payload_of_weights`),
without any pickle; ``export_weights`` (in :mod:`zsar.engine.checkpoint`) writes one from a checkpoint.

Written: ``checkpoints/model.safetensors`` when a training run finishes, ``averaged.safetensors``
next to every averaged checkpoint (``train.weight_average``, ``kgen average-weights``), and by
``kgen export-weights`` from any checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from kgen import __version__
from kgen.errors import FormatError
from kgen.filemode import make_shareable
from kgen.storage import check_free_space

FORMAT = "kgen.zsar.weights"
VERSION = 1
FINAL_WEIGHTS_FILE = "model.safetensors"
# What a weights file keeps of a checkpoint besides the model's tensors (no optimizer, no RNG states).
KEPT = ("config", "architecture", "progress", "text", "weight_average")


def weights_path_for(checkpoint: Path) -> Path:
    """Where the weights of ``checkpoint`` go by default: the same name with ``.safetensors``."""
    return Path(checkpoint).with_suffix(".safetensors")


def save_weights(payload: dict[str, Any], path: Path) -> Path:
    """Write ``payload["model"]`` (a state dict) and the descriptive parts of ``payload`` to ``path``, atomically."""
    path = Path(path)
    model = payload.get("model")
    if not isinstance(model, dict) or not model:
        raise FormatError("this checkpoint holds no model weights to export", hint="give a checkpoint written by kgen train")
    # clone(): safetensors refuses tensors that share memory (tied weights, views of one buffer).
    tensors = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in model.items()}
    described = {key: payload[key] for key in KEPT if key in payload}
    metadata = {
        "format": FORMAT,
        "format_version": str(VERSION),
        "kgen_version": __version__,
        "payload": json.dumps(described, allow_nan=False, ensure_ascii=False, separators=(",", ":")),
    }
    check_free_space(path.parent if path.parent.exists() else Path.cwd(), sum(t.numel() * t.element_size() for t in tensors.values()),
                     f"the weights file {path.name}")
    return save_safetensors_atomically(tensors, path, metadata)


def save_safetensors_atomically(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> Path:
    """Write a safetensors file all or nothing: a temporary file beside ``path``, given the mode the
    umask allows, synced, then renamed over ``path``; on any failure the temporary file is removed."""
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        save_file(tensors, tmp_name, metadata=metadata)
        make_shareable(tmp_name)  # mkstemp's 0600 -> what the umask allows
        with open(tmp_name, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = str(path)
        raise
    return path


def payload_of_weights(path: Path, metadata: dict[str, str], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    """What a weights file holds, as the parts of a checkpoint payload (``load_checkpoint`` stamps it)."""
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > VERSION:
        raise FormatError(f"{path} is weights format version {version or '?'}, newer than this kgen reads", hint="upgrade kgen")

    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    try:
        described = json.loads(metadata.get("payload", "{}"), parse_constant=refuse)
    except ValueError as exc:
        raise FormatError(f"{path} is a damaged weights file: {exc}", hint="export it again (kgen export-weights)") from exc
    if not isinstance(described, dict) or not isinstance(described.get("config"), dict):
        raise FormatError(f"{path} is a weights file without its run's config", hint="export it again (kgen export-weights)")
    return {**{key: described[key] for key in KEPT if key in described}, "model": tensors}
