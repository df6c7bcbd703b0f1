"""Checkpoints: everything needed to resume a run exactly, or to evaluate its model.

A training checkpoint (``<run>/checkpoints/last.pt``, written atomically: a temporary file,
fsync, rename) holds

* ``config``: the run's :class:`~zsar.config.RunConfig` and ``architecture`` (backbone name,
  QuickGELU), so the model can be rebuilt without its pretrained weights;
* ``model``: the model's whole state dict; ``optimizer``, ``scheduler``, ``scaler`` states;
* ``rng``: every process's Python, NumPy, torch and CUDA generator states;
* ``progress``: epoch, step within the epoch, global step, whether training finished (the data
  order is a function of the seed and the epoch, so the position is all it needs);
* ``text``: the bank id and content hash, dataset, label space and class names it was trained on;
* ``text_embeddings``: with a tuned text tower (``model.text_tower: tuned``), the class-text
  embeddings of the last re-encoding (a float tensor ``[P, D]``, or ``None``), which the steps
  between two re-encodings reuse, so a resumed run continues exactly.

Epoch weights (``epoch_NNN.pt``, with ``train.save_epoch_weights``) hold only config,
architecture and model: enough for evaluation and weight averaging.

Files are read with ``torch.load(weights_only=False)`` because they hold generator states and
configs: load only checkpoints you or your colleagues wrote.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kgen import __version__
from kgen.errors import FormatError, InputError
from zsar.config import RunConfig, config_from_dict

FORMAT = "kgen.zsar.checkpoint"
VERSION = 1


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (stamped with the format) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "format_version": VERSION, "kgen_version": __version__, **payload}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint; a missing, foreign or corrupt file is a clear error."""
    path = Path(path).expanduser()
    if path.is_dir():
        candidate = path / "checkpoints" / "last.pt"
        if not candidate.is_file():
            raise InputError(f"{path} is a folder without checkpoints/last.pt", hint="give a run folder or a .pt checkpoint")
        path = candidate
    if not path.is_file():
        raise InputError(f"no checkpoint at {path}", hint="give the .pt file or the run folder written by kgen train")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise FormatError(f"{path} is not a readable checkpoint: {exc}", hint="the file is corrupt or not a torch file") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FormatError(f"{path} is not a kgen video-model checkpoint", hint="give a checkpoint written by kgen train")
    if int(payload.get("format_version", 0)) > VERSION:
        raise FormatError(f"{path} is checkpoint format version {payload['format_version']}, newer than this kgen reads", hint="upgrade kgen")
    payload["path"] = str(path)
    return payload


def checkpoint_config(payload: dict[str, Any]) -> RunConfig:
    return config_from_dict(payload["config"], origin=payload.get("path", "the checkpoint"))


def rebuild_model(payload: dict[str, Any], device: str | torch.device = "cpu", config: RunConfig | None = None):
    """The trained model of a checkpoint, on ``device``, in eval mode (no pretrained weights needed).

    ``config``: the checkpoint's config with evaluation-time changes (``kgen eval --set``); its
    weights must still fit.
    """
    from zsar.models.registry import build_model

    config = config or checkpoint_config(payload)
    architecture = payload.get("architecture", {})
    model = build_model(
        config.model.name,
        config.model,
        pretrained="random",
        quick_gelu=architecture.get("quick_gelu", config.model.quick_gelu),
        init_checkpoint=None,
    )
    try:
        model.load_state_dict(payload["model"], strict=True)
    except RuntimeError as exc:
        raise FormatError(f"{payload.get('path')}: the weights do not fit {config.model.name}: {exc}") from exc
    return model.to(device).eval(), config


def load_model_weights(model: torch.nn.Module, path: Path | str) -> None:
    """Load an earlier run's weights into ``model`` (``model.init_checkpoint``).

    The backbone must load completely (same architecture); the model's other parameters load
    where the names match and keep their initialisation otherwise (e.g. AP-CLIP started from a
    ViFi-CLIP run). The logit scale is loaded when present.
    """
    payload = load_checkpoint(path)
    state = payload["model"]
    result = model.load_state_dict(state, strict=False)
    missing_backbone = [key for key in result.missing_keys if key.startswith("backbone.")]
    if missing_backbone:
        raise InputError(
            f"{path}: its weights do not cover the backbone ({len(missing_backbone)} tensors missing, e.g. {missing_backbone[0]})",
            hint="start from a checkpoint of the same backbone architecture",
        )


def capture_rng() -> dict[str, Any]:
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
