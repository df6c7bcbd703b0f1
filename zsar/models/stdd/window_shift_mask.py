"""STDD's Window Shift Masking (WSM, eq. 3-4): which patch tokens of each frame stay on the space-time path.

Every frame's ``H x W`` patch grid is cut into ``w1 x w2`` windows (2 x 2 in the paper). Inside a
window the positions are numbered row-major (``0 = top-left, 1 = top-right, 2 = bottom-left,
3 = bottom-right`` for 2 x 2). The base masking pattern drops the first ``floor(r * w1 * w2)``
positions (``[1, 1, 0, 0]`` for r = 0.5, 1 = dropped) and frame ``t`` uses it rolled by
``(t + i) mod (w1 * w2)``: the masking map is periodic in time with period ``w1 * w2``
(the paper's φ of eq. 3 leaves the period open; this is the authors' code, see
``docs/papers/stdd.md``), so within one period every position is kept in
``(1 - r) * w1 * w2`` frames. All windows of a frame share the frame's pattern (unless the
start is drawn per window, below).

The kept tokens are returned in window-major order (windows row-major over the grid, then the
kept positions of each window in ascending order), as the authors' code orders them: kept token
``j`` of frame ``t`` and of frame ``t +- 1`` lie in the same window at different positions, which
is what lets channel mixing (eq. 5-6) exchange information across positions and time.

``i`` (the start of the roll) is 0 at test. In training the authors draw it at random (``i``
uniform in ``0..P-1``): once per video with ``SPATIAL_REPEAT True`` (their default; kgen
``mask_start: per-video``), or once per window with ``SPATIAL_REPEAT False`` (``per-window``);
``mask_start: zero`` keeps ``i = 0`` in training too. They also permute the frames' masks over
time ("temporal shuffle"; one permutation per video, shared by its windows), in training and, as
released, at test too; here the test-time shuffle is an option that is off by default so that
evaluation is deterministic. Random draws are made in the authors' order (the start, then the
permutation) on the tokens' device, so a seeded run draws the same masks as theirs. The class
token is never masked (it is not a patch).

Dropped positions per window: ``floor(r * w1 * w2)`` (the authors' ``mask_num // (T * cells)``
with ``mask_num = int(r * T * H * W)``): 2 of 4 for r = 0.5.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from kgen.errors import InputError


def dropped_per_window(mask_ratio: float, window: tuple[int, int]) -> int:
    """How many of a window's ``w1 * w2`` positions are dropped: ``floor(r * w1 * w2)``, at least 1 and at most all but 1."""
    size = window[0] * window[1]
    dropped = math.floor(mask_ratio * size + 1e-9)
    if not 1 <= dropped <= size - 1:
        raise InputError(
            f"mask ratio {mask_ratio} drops {dropped} of the {size} positions of a {window[0]}x{window[1]} window",
            hint="choose a ratio that drops at least one position and keeps at least one (the paper: r = 0.5 on 2x2 windows)",
        )
    return dropped


def window_keep_table(grid: tuple[int, int], window: tuple[int, int], mask_ratio: float) -> torch.Tensor:
    """``[P, N']`` long tensor: for each roll ``s`` in ``0..P-1`` (``P = w1 * w2``) the kept patch indices.

    Patch indices count row-major over the ``grid`` (0 is the top-left patch; the class token is
    not counted). Row ``s`` is every window under the base pattern rolled by ``s``, window-major
    (``N' = windows x kept per window``).
    """
    rows, cols = grid
    w1, w2 = window
    if rows % w1 or cols % w2:
        raise InputError(
            f"the {rows}x{cols} patch grid cannot be cut into {w1}x{w2} windows",
            hint="STDD's window shift masking needs a grid divisible by the window (ViT-B/16 and ViT-L/14 at 224 px: 14x14 "
            "and 16x16 with 2x2 windows); choose another backbone or input size, or set model.window_shift_masking=false",
        )
    period = w1 * w2
    base = torch.zeros(period, dtype=torch.bool)
    base[: dropped_per_window(mask_ratio, window)] = True  # True = dropped: [1, 1, 0, 0] for r = 0.5
    # Patch index of position p of window (a, b): row a*w1 + p // w2, column b*w2 + p % w2.
    window_rows = torch.arange(rows // w1).repeat_interleave(cols // w2)
    window_cols = torch.arange(cols // w2).repeat(rows // w1)
    positions = torch.arange(period)
    patch = (window_rows[:, None] * w1 + positions[None] // w2) * cols + window_cols[:, None] * w2 + positions[None] % w2
    table = []
    for shift in range(period):
        kept = ~torch.roll(base, shift)
        table.append(patch[:, kept].reshape(-1))  # window-major, kept positions ascending
    return torch.stack(table)


MaskStart = Literal["per-video", "per-window", "zero"]


def mask_rolls(
    batch: int,
    num_frames: int,
    period: int,
    num_windows: int,
    *,
    start: MaskStart,
    shuffle: bool,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``[B, T, W]`` rolls ``(t + i) mod P`` of the masking pattern for each video, frame and window.

    ``start``: ``i`` uniform in ``0..P-1`` per video (``per-video``, the authors' training default),
    per window (``per-window``), or 0 (``zero``; always at test). ``shuffle``: the frames' rolls
    are permuted randomly per video (the authors' "temporal shuffle"). Draws: the start first,
    then the permutation, on ``device`` (or on the CPU with ``generator``).
    """
    draw_device = "cpu" if generator is not None else device
    if start == "per-video":
        offsets = torch.randint(period, (batch, 1), generator=generator, device=draw_device).expand(batch, num_windows)
    elif start == "per-window":
        offsets = torch.randint(period, (batch, num_windows), generator=generator, device=draw_device)
    elif start == "zero":
        offsets = torch.zeros(batch, num_windows, dtype=torch.long, device=draw_device)
    else:
        raise ValueError(f"unknown mask start {start!r}")
    frames = torch.arange(num_frames, device=draw_device).expand(batch, num_frames)
    if shuffle:
        frames = torch.argsort(torch.rand(batch, num_frames, generator=generator, device=draw_device), dim=1)
    return ((frames[:, :, None] + offsets[:, None, :]) % period).to(device)


def keep_indices(table: torch.Tensor, rolls: torch.Tensor) -> torch.Tensor:
    """``[B, T, N']`` kept patch indices (window-major) from a :func:`window_keep_table` and :func:`mask_rolls`."""
    period, kept = table.shape
    windows = rolls.shape[-1]
    per_window = table.to(rolls.device).view(period, windows, kept // windows)
    window_index = torch.arange(windows, device=rolls.device)
    return per_window[rolls, window_index].flatten(-2)  # [B, T, W, k] -> [B, T, W*k]
