"""STDD's Multi-scale Channel Mixing (MCM, eq. 5-6): channels borrowed from neighbouring frames.

Tokens are ``[B, T, N', D]`` (the kept patch tokens of each frame; the class token is never
mixed). ``frame_shifted(x, k)[:, t] = x[:, t + k]``, zero where ``t + k`` is outside the clip
(zero padding in time, as the authors' code does; the paper does not say how ends are padded).
With ``d = d_delta`` (``gamma * D``; the authors use ``gamma = 1 / channel_fold`` with the same
``d`` for every scale, 24 channels for ViT-B with fold 32):

* separate mixing, eq. (5): ``[z_{t-δ}(0:d); z_{t+δ}(d:2d); z_t(2d:D)]``;
* continual mixing, eq. (6) (written for δ = 2; generalised here to bands of ``d/δ`` channels
  from ``t-δ, ..., t-1`` then ``t+1, ..., t+δ``): for δ = 2,
  ``[z_{t-2}(0:d/2); z_{t-1}(d/2:d); z_{t+1}(d:3d/2); z_{t+2}(3d/2:2d); z_t(2d:D)]``.
  For δ = 1 both are the same.
"""

from __future__ import annotations

from typing import Literal

import torch

from kgen.errors import InputError

MixingMode = Literal["separate", "continual"]


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


def check_mixing(width: int, mixed_channels: int, scales: list[int], mode: MixingMode) -> None:
    """Refuse channel counts eq. (5)/(6) cannot index (``2d <= D``; ``d`` divisible by δ for continual)."""
    if mixed_channels < 1 or 2 * mixed_channels > width:
        raise InputError(
            f"channel mixing takes 2 x {mixed_channels} channels of {width}",
            hint="choose model.channel_fold with 2 <= channel_fold <= width (the authors: 32)",
        )
    for scale in scales:
        if scale < 1:
            raise InputError(f"temporal scale {scale} is not a positive frame offset", hint="the paper: [1, 2]")
        if mode == "continual" and mixed_channels % scale:
            raise InputError(
                f"continual mixing at scale {scale} splits {mixed_channels} channels into bands of d/{scale}",
                hint="choose a channel_fold that makes width/channel_fold divisible by every temporal scale",
            )


def mix_channels(x: torch.Tensor, scale: int, mixed_channels: int, mode: MixingMode) -> torch.Tensor:
    """Eq. (5) (``separate``) or eq. (6) (``continual``) on ``x`` ``[B, T, N', D]`` at temporal scale ``scale``."""
    d = mixed_channels
    if mode == "separate":
        pieces = [frame_shifted(x[..., :d], -scale), frame_shifted(x[..., d : 2 * d], scale)]
    elif mode == "continual":
        band = d // scale
        offsets = list(range(-scale, 0)) + list(range(1, scale + 1))  # t-δ, ..., t-1, t+1, ..., t+δ
        pieces = [frame_shifted(x[..., i * band : (i + 1) * band], offset) for i, offset in enumerate(offsets)]
    else:
        raise ValueError(f"unknown mixing mode {mode!r}")
    return torch.cat([*pieces, x[..., 2 * d :]], dim=-1)
