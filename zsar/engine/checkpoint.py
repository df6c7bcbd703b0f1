"""Checkpoints: everything needed to resume a run exactly, or to evaluate its model.

A training checkpoint (``<run>/checkpoints/last.pt``, written atomically: a temporary file,
fsync, rename) holds

* ``config``: the run's :class:`~zsar.engine.config.RunConfig` and ``architecture`` (backbone name,
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

Format 2 (this kgen) is a :mod:`safetensors` file (the name keeps the ``.pt`` suffix): the tensors
in its tensor table, everything else as JSON in its metadata (``payload``, see
:mod:`zsar.engine.tensor_tree`). Reading it never unpickles anything, so a tampered checkpoint can be
refused but cannot run code.

Format 1 (kgen before it) was a ``torch.save`` pickle. It is still read, but only with
``torch.load(weights_only=True)`` (torch's restricted unpickler, no arbitrary objects) plus the
three NumPy names its generator state needs; anything else in such a file is refused with a
clear message, before any of it runs. A run resumed from a format-1 checkpoint writes format 2.
"""

from __future__ import annotations

import json
import pickle
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open

from kgen import __version__
from kgen.console import warn_once
from kgen.errors import FormatError, InputError
from kgen.storage import check_free_space, check_writable_dir
from zsar.engine.tensor_tree import TreeError, join_tree, split_tree
from zsar.engine.weights_file import (
    FINAL_WEIGHTS_FILE,
    payload_of_weights,
    save_safetensors_atomically,
    save_weights,
    weights_path_for,
)
from zsar.engine.weights_file import FORMAT as WEIGHTS_FORMAT

FORMAT = "kgen.zsar.checkpoint"
VERSION = 2
LEGACY_VERSION = 1  # torch.save pickles, read with the restricted unpickler only
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL_2_OR_LATER = b"\x80"
# What a format-1 checkpoint needs beyond torch's own allow-list: NumPy's generator state (an
# ndarray of uint32). These rebuild plain number arrays; they call nothing else.
_LEGACY_NUMPY_GLOBALS: list[Any] = [np.ndarray, np.dtype, np.dtypes.UInt32DType]
try:
    from numpy._core.multiarray import _reconstruct  # NumPy 2
except ImportError:  # pragma: no cover - NumPy 1
    from numpy.core.multiarray import _reconstruct
_LEGACY_NUMPY_GLOBALS.append(_reconstruct)


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (stamped with the format) to ``path`` atomically, as format 2."""
    path = Path(path)
    stamped = {"format": FORMAT, "format_version": VERSION, "kgen_version": __version__, **payload}
    skeleton, tensors = split_tree(stamped)
    check_free_space(path.parent, sum(t.numel() * t.element_size() for t in tensors.values()), f"the checkpoint {path.name}")
    metadata = {
        "format": FORMAT,
        "format_version": str(VERSION),
        "kgen_version": __version__,
        "payload": json.dumps(skeleton, allow_nan=False, ensure_ascii=False, separators=(",", ":")),
    }
    return save_safetensors_atomically(tensors, path, metadata)


def estimated_checkpoint_bytes(model: torch.nn.Module) -> int:
    """About the size of a training checkpoint of ``model``: its weights and AdamW's two fp32 moments."""
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    moments = sum(2 * 4 * p.numel() for p in model.parameters() if p.requires_grad)
    return weights + moments


def check_room_for_checkpoints(run_dir: Path, model: torch.nn.Module, *, epoch_weights: int = 0) -> None:
    """Before training: ``run_dir`` is writable and its disk holds the checkpoints the run will write.

    ``last.pt`` is written next to the previous one (atomic replace), so twice its size; plus
    ``epoch_weights`` files of the model's weights (``train.save_epoch_weights``).
    """
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    need = 2 * estimated_checkpoint_bytes(model) + (epoch_weights + 1) * weights  # + 1: model.safetensors at the end
    check_writable_dir(run_dir, "the run folder", need_bytes=need)


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint; a missing, foreign, corrupt or unsafe file is a clear error (nothing runs)."""
    path = Path(path).expanduser()
    if path.is_dir():
        candidate = path / "checkpoints" / "last.pt"
        if not candidate.is_file():
            raise InputError(f"{path} is a folder without checkpoints/last.pt", hint="give a run folder or a .pt checkpoint")
        path = candidate
    if not path.is_file():
        raise InputError(f"no checkpoint at {path}", hint="give the .pt file or the run folder written by kgen train")
    with open(path, "rb") as handle:
        head = handle.read(9)
    # safetensors: an 8-byte header length, then the JSON header; its first byte can be anything.
    is_safetensors = head[8:9] == b"{" and not head.startswith(_ZIP_MAGIC)
    if not is_safetensors and (head.startswith(_ZIP_MAGIC) or head.startswith(_PICKLE_PROTOCOL_2_OR_LATER)):
        payload = _load_legacy(path, map_location)
    else:
        payload = _load_safetensors(path, map_location)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FormatError(f"{path} is not a kgen video-model checkpoint", hint="give a checkpoint written by kgen train")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > VERSION:
        raise FormatError(f"{path} is checkpoint format version {version}, newer than this kgen reads", hint="upgrade kgen")
    payload["path"] = str(path)
    return payload


def export_weights(checkpoint: Path | str, out: Path | None = None) -> Path:
    """The weights file (weights_file.py) of a checkpoint file or run folder; ``out`` defaults to
    ``model.safetensors`` beside ``last.pt``, else the checkpoint's name with ``.safetensors``."""
    payload = load_checkpoint(checkpoint)
    source = Path(payload["path"])
    target = Path(out) if out is not None else (source.parent / FINAL_WEIGHTS_FILE if source.name == "last.pt" else weights_path_for(source))
    if target.resolve() == source.resolve():
        raise FormatError(f"{target} is the checkpoint itself", hint="give --out another file")
    return save_weights(payload, target)


def _load_safetensors(path: Path, map_location: str | torch.device) -> Any:
    try:
        with safe_open(str(path), framework="pt", device="cpu") as reader:
            metadata = reader.metadata() or {}
            # clone(): safetensors maps the file; a file replaced in place later (cp over it) would
            # turn every access to a mapped tensor into a bus error.
            tensors = {name: reader.get_tensor(name).clone() for name in reader.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise FormatError(f"{path} is not a readable checkpoint: {exc}", hint="the file is corrupt, or not a kgen checkpoint") from exc
    if metadata.get("format") == WEIGHTS_FORMAT:  # a weights file (weights_file.py): the model, no training state
        payload = {"format": FORMAT, "format_version": VERSION, "weights_file": True, **payload_of_weights(path, metadata, tensors)}
        device = torch.device(map_location)
        return _to_device(payload, device) if device.type != "cpu" else payload
    if metadata.get("format") != FORMAT or "payload" not in metadata:
        raise FormatError(f"{path} is not a kgen video-model checkpoint", hint="give a checkpoint written by kgen train")

    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    try:
        skeleton = json.loads(metadata["payload"], parse_constant=refuse)
        payload = join_tree(skeleton, tensors)
    except (ValueError, TreeError) as exc:
        raise FormatError(f"{path} is a damaged checkpoint: {exc}", hint="use another checkpoint, or retrain") from exc
    if not isinstance(payload, dict) or str(payload.get("format_version")) != metadata.get("format_version"):
        raise FormatError(f"{path} is a damaged checkpoint: its payload and header disagree", hint="use another checkpoint, or retrain")
    device = torch.device(map_location)
    if device.type != "cpu":
        payload = _to_device(payload, device)
    return payload


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_device(item, device) for item in value]
    if isinstance(value, tuple):
        return tuple(_to_device(item, device) for item in value)
    return value


def _load_legacy(path: Path, map_location: str | torch.device) -> Any:
    """A format-1 (pickle) checkpoint, through torch's restricted unpickler only."""
    try:
        with torch.serialization.safe_globals(_LEGACY_NUMPY_GLOBALS):
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise FormatError(
            f"{path} holds Python objects that kgen does not load ({_first_line(exc)})",
            hint="kgen never unpickles arbitrary objects (that could run code); give a checkpoint written by kgen train",
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise FormatError(f"{path} is not a readable checkpoint: {_first_line(exc)}", hint="the file is corrupt or not a torch file") from exc
    if isinstance(payload, dict) and payload.get("format") == FORMAT and payload.get("format_version") == LEGACY_VERSION:
        warn_once(
            f"legacy-checkpoint:{path}",
            f"{path} is a checkpoint of an older kgen (format {LEGACY_VERSION}); it was read safely "
            f"(restricted loader), and a resumed run writes format {VERSION}",
        )
    return payload


def _first_line(exc: BaseException) -> str:
    """The useful part of torch's message (it also suggests allow-listing the global: kgen never does)."""
    text = str(exc).strip()
    unsupported = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if unsupported:
        return f"it asks for {unsupported.group(1)}"
    return text.splitlines()[0] if text else type(exc).__name__


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
