"""Weight averaging of epoch checkpoints (Open-VCLIP's ``weight_average_tool.py``, used by FROSTER and STDD).

Training with ``train.save_epoch_weights`` keeps ``checkpoints/epoch_NNN.pt`` after every epoch.
The averaged model is a weighted mean of the floating-point tensors of epochs ``start..end``
(Open-VCLIP: epochs 2..22, the raw CLIP of epoch 0 excluded), written as a checkpoint that
``kgen eval`` reads like any other (``checkpoints/averaged.pt`` when training does it, with
``train.weight_average``). Methods:

* ``uniform``: equal weights (Open-VCLIP's default "swa");
* ``gaussian``: weight of epoch ``e`` proportional to ``exp(-(e - mu)^2 / (2 sigma^2))``
  (Open-VCLIP's "gwa", mu = 15, sigma = 10);
* ``ema``: exponential moving average over the epochs in order, ``w <- decay w + (1 - decay) w_e``
  starting from the first epoch (Open-VCLIP's "ewa", decay 0.9).

Integer tensors (none in CLIP) are taken from the last epoch.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import torch

from kgen.errors import InputError
from zsar.engine.checkpoint import load_checkpoint, save_checkpoint
from zsar.engine.weights_file import save_weights, weights_path_for

AveragingMethod = Literal["uniform", "gaussian", "ema"]
EPOCH_FILE = re.compile(r"^epoch_(\d+)\.pt$")


def epoch_weight_files(run_dir: Path) -> dict[int, Path]:
    """Epoch number -> ``checkpoints/epoch_NNN.pt`` of a run folder."""
    folder = Path(run_dir) / "checkpoints"
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            match = EPOCH_FILE.match(path.name)
            if match:
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def averaging_coefficients(
    epochs: list[int], method: AveragingMethod, *, mu: float = 15.0, sigma: float = 10.0, decay: float = 0.9
) -> list[float]:
    """Weights (summing to 1) of ``epochs`` (in increasing order) for ``method``."""
    if not epochs:
        raise InputError("no epochs to average")
    if method == "uniform":
        raw = [1.0] * len(epochs)
    elif method == "gaussian":
        raw = [math.exp(-((e - mu) ** 2) / (2 * sigma**2)) for e in epochs]
    elif method == "ema":
        # w_1 = x_1; w_k = decay w_{k-1} + (1 - decay) x_k  ->  coefficient of x_k.
        raw = [decay ** (len(epochs) - 1)] + [(1 - decay) * decay ** (len(epochs) - 1 - k) for k in range(1, len(epochs))]
    else:
        raise InputError(f"unknown averaging method {method!r}", hint="uniform, gaussian or ema")
    total = sum(raw)
    return [w / total for w in raw]


def average_state_dicts(states: list[dict[str, torch.Tensor]], coefficients: list[float]) -> dict[str, torch.Tensor]:
    """``sum_k c_k state_k`` for floating-point tensors (accumulated in float64), the last state's value otherwise."""
    keys = list(states[-1])
    for index, state in enumerate(states):
        if list(state) != keys:
            raise InputError(f"checkpoint {index + 1} of the average holds other tensors than the last one",
                             hint="average epochs of one run only")
    averaged = {}
    for key in keys:
        last = states[-1][key]
        if not last.is_floating_point():
            averaged[key] = last.clone()
            continue
        total = torch.zeros_like(last, dtype=torch.float64)
        for state, weight in zip(states, coefficients, strict=True):
            total += weight * state[key].to(torch.float64)
        averaged[key] = total.to(last.dtype)
    return averaged


def average_run(
    run_dir: Path,
    *,
    start: int = 2,
    end: int | None = None,
    method: AveragingMethod = "uniform",
    out: Path | None = None,
) -> Path:
    """Average the epoch weights ``start..end`` of ``run_dir`` into ``out`` (default ``checkpoints/averaged.pt``)."""
    files = epoch_weight_files(run_dir)
    chosen = {e: p for e, p in files.items() if e >= start and (end is None or e <= end)}
    if not chosen:
        have = ", ".join(str(e) for e in files) or "none"
        raise InputError(
            f"{run_dir} has no epoch weights in epochs {start}..{end if end is not None else 'last'} (it has: {have})",
            hint="train with train.save_epoch_weights=true, and choose --start/--end among the saved epochs",
        )
    epochs = list(chosen)
    coefficients = averaging_coefficients(epochs, method)
    payloads: list[dict[str, Any]] = [load_checkpoint(chosen[e]) for e in epochs]
    averaged = average_state_dicts([p["model"] for p in payloads], coefficients)
    last = payloads[-1]
    target = Path(out) if out is not None else Path(run_dir) / "checkpoints" / "averaged.pt"
    payload = {
        "config": last["config"],
        "architecture": last.get("architecture", {}),
        "model": averaged,
        "progress": last.get("progress", {}),
        "text": last.get("text", {}),
        "weight_average": {"method": method, "epochs": epochs, "coefficients": coefficients},
    }
    save_checkpoint(target, payload)
    if target.suffix != ".safetensors":  # and the plain weights file beside it (zsar/weights_file.py)
        save_weights(payload, weights_path_for(target))
    return target
