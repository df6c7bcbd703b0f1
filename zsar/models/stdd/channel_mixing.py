"""STDD's Multi-scale Channel Mixing (MCM, eq. 5-6): channels borrowed from neighbouring frames.

Tokens are ``[B, T, N', D]`` (the kept patch tokens of each frame; the class token is never
mixed). With ``d = d_δ`` (``γ D``; the authors use ``γ = 1 / channel_fold`` and the same ``d``
for every scale: 24 channels for ViT-B with fold 32), channels ``2d..D`` stay the frame's own
and channels ``0..2d`` are written by a sequence of *passes*. A pass ``(lo, hi, k)`` copies
channels ``lo:hi`` of frame ``t + k`` into frame ``t``:

* separate mixing, eq. (5), at scale δ: one pass ``(0, d, -δ)`` and one ``(d, 2d, +δ)``:
  ``[z_{t-δ}(0:d); z_{t+δ}(d:2d); z_t(2d:D)]``;
* continual mixing, eq. (6), at scale δ: for ``i = 0 .. δ-1`` (in this order) the passes
  ``(0, d_i, -(i+1))`` and ``(2d - d_i, 2d, +(i+1))`` with ``d_0 = d`` and ``d_{i+1} = d_i // 2``
  (the authors' loop). Each later pass overwrites the outer part of the earlier one, so for
  δ = 2: ``[z_{t-2}(0:d/2); z_{t-1}(d/2:d); z_{t+1}(d:3d/2); z_{t+2}(3d/2:2d); z_t(2d:D)]``,
  eq. (6) exactly. For δ = 1 both modes are the same; for δ > 2 the bands halve (``d/2, d/4,
  ...``), as the authors' loop does (the paper writes eq. 6 for δ = 2 only).

**Clip borders** (frame ``t + k`` outside ``0..T-1``; the paper does not say), ``border``:

* ``"release"`` (default): the authors' code. Their buffer starts at zero and each pass writes
  only the frames whose source frame exists, so a band whose source is out of range keeps what
  an earlier pass wrote there: in continual mixing at δ = 2, frame 1 keeps frame 0 in its
  ``t-2`` band and frame ``T-2`` keeps frame ``T-1`` in its ``t+2`` band; frame 0 has zeros in
  every ``t-k`` band and frame ``T-1`` in every ``t+k`` band. In general band ``t-k`` of frame
  ``t >= 1`` reads frame ``max(t-k, 0)`` and band ``t+k`` of frame ``t <= T-2`` reads frame
  ``min(t+k, T-1)``. Separate mixing has one pass per side, so it zero-pads under either option.
* ``"zeros"``: every band whose own source frame is outside the clip is zero (plain zero padding
  in time).

The release's weights and numbers were made with ``"release"``.
"""

from __future__ import annotations

from typing import Literal

import torch

from kgen.errors import InputError

MixingMode = Literal["separate", "continual"]
Border = Literal["release", "zeros"]
Pass = tuple[int, int, int]  # (first channel, end channel, frame offset k: source frame t + k)


def frame_shifted(x: torch.Tensor, offset: int) -> torch.Tensor:
    """``y[:, t] = x[:, t + offset]`` along dim 1 (frames), zeros where ``t + offset`` leaves the clip."""
    frames = x.shape[1]
    if offset == 0:
        return x
    if abs(offset) >= frames:
        return torch.zeros_like(x)
    pad = torch.zeros_like(x[:, : abs(offset)])
    if offset > 0:
        return torch.cat([x[:, offset:], pad], dim=1)
    return torch.cat([pad, x[:, :offset]], dim=1)


def mixing_passes(scale: int, mixed_channels: int, mode: MixingMode) -> list[Pass]:
    """The passes of eq. (5) (``separate``) or eq. (6) (``continual``) at ``scale``, in the order they are written."""
    d = mixed_channels
    if mode == "separate":
        return [(0, d, -scale), (d, 2 * d, scale)]
    if mode != "continual":
        raise ValueError(f"unknown mixing mode {mode!r}")
    passes: list[Pass] = []
    width = d
    for i in range(scale):
        passes.append((0, width, -(i + 1)))
        passes.append((2 * d - width, 2 * d, i + 1))
        width //= 2
    return passes


def check_mixing(width: int, mixed_channels: int, scales: list[int], mode: MixingMode) -> None:
    """Refuse channel counts eq. (5)/(6) cannot index (``2d <= D``; continual: a band of ``d / 2^(δ-1)`` channels)."""
    if mixed_channels < 1 or 2 * mixed_channels > width:
        raise InputError(
            f"channel mixing takes 2 x {mixed_channels} channels of {width}",
            hint="choose model.channel_fold with 2 <= channel_fold <= width (the authors: 32)",
        )
    for scale in scales:
        if scale < 1:
            raise InputError(f"temporal scale {scale} is not a positive frame offset", hint="the paper: [1, 2]")
        if mode == "continual" and mixed_channels >> (scale - 1) < 1:
            raise InputError(
                f"continual mixing at scale {scale} halves {mixed_channels} channels {scale - 1} times and leaves none",
                hint="choose a smaller model.channel_fold or smaller temporal scales",
            )


def mix_channels(
    x: torch.Tensor, scale: int, mixed_channels: int, mode: MixingMode, border: Border = "release"
) -> torch.Tensor:
    """Eq. (5) (``separate``) or eq. (6) (``continual``) on ``x`` ``[B, T, N', D]`` at temporal scale ``scale``.

    ``border`` says what a band whose source frame is outside the clip holds (module docstring).
    """
    if border not in ("release", "zeros"):
        raise ValueError(f"unknown border {border!r}")
    frames = x.shape[1]
    d = mixed_channels
    mixed = torch.zeros_like(x)
    mixed[..., 2 * d :] = x[..., 2 * d :]
    for lo, hi, offset in mixing_passes(scale, d, mode):
        if lo >= hi:
            continue
        span = frames - abs(offset)  # frames whose source t + offset exists
        if offset > 0:
            if span > 0:
                mixed[:, :span, ..., lo:hi] = x[:, offset:, ..., lo:hi]
            if border == "zeros":
                mixed[:, max(span, 0) :, ..., lo:hi] = 0
        else:
            if span > 0:
                mixed[:, -offset:, ..., lo:hi] = x[:, :span, ..., lo:hi]
            if border == "zeros":
                mixed[:, : min(-offset, frames), ..., lo:hi] = 0
    return mixed
