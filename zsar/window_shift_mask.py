"""STDD's Window Shift Masking (WSM, eq. 3-4): which patch tokens of each frame stay on the space-time path.

Every frame's ``H x W`` patch grid is cut into ``w1 x w2`` windows (2 x 2 in the paper). Inside a
window the positions are numbered row-major (``0 = top-left, 1 = top-right, 2 = bottom-left,
3 = bottom-right`` for 2 x 2). The base masking pattern drops the first ``round(r * w1 * w2)``
positions (``[1, 1, 0, 0]`` for r = 0.5, 1 = dropped) and frame ``t`` uses it rolled by
``(t + i) mod (w1 * w2)``: the masking map is periodic in time with period ``w1 * w2``
(the paper's φ of eq. 3 leaves the period open; this is the authors' code, see
``docs/papers/stdd.md``), so within one period every position is kept in
``(1 - r) * w1 * w2`` frames. All windows of a frame share the frame's pattern.

The kept tokens are returned in window-major order (windows row-major over the grid, then the
kept positions of each window in ascending order), as the authors' code orders them: kept token
``j`` of frame ``t`` and of frame ``t +- 1`` lie in the same window at different positions, which
is what lets channel mixing (eq. 5-6) exchange information across positions and time.

``i`` (the start of the roll) is 0 at test; in training the authors draw it per video
("spatial repeat"). They also permute the frames' masks over time ("temporal shuffle"), in
training and, as released, at test too; here the test-time shuffle is an option that is off by
default so that evaluation is deterministic. The class token is never masked (it is not a patch).
"""

from __future__ import annotations

import torch

from kgen.errors import InputError


def dropped_per_window(mask_ratio: float, window: tuple[int, int]) -> int:
    """How many of a window's ``w1 * w2`` positions are dropped: ``round(r * w1 * w2)``, at least 1 and at most all but 1."""
    size = window[0] * window[1]
    dropped = round(mask_ratio * size)
    if not 1 <= dropped <= size - 1:
        raise InputError(
            f"mask ratio {mask_ratio} drops {dropped} of the {size} positions of a {window[0]}x{window[1]} window",
            hint="choose a ratio that drops at least one position and keeps at least one (the paper: r = 0.5 on 2x2 windows)",
        )
    return dropped


def window_keep_table(grid: tuple[int, int], window: tuple[int, int], mask_ratio: float) -> torch.Tensor:
    """``[P, N']`` long tensor: for each roll ``s`` in ``0..P-1`` (``P = w1 * w2``) the kept patch indices.

    Patch indices count row-major over the ``grid`` (0 is the top-left patch; the class token is
    not counted). Row ``s`` is the frame whose pattern is the base pattern rolled by ``s``.
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


def frame_shifts(
    batch: int,
    num_frames: int,
    period: int,
    *,
    random_start: bool,
    shuffle: bool,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``[B, T]`` rolls ``(t + i) mod P`` of the masking pattern for each video and frame.

    ``random_start``: ``i`` uniform in ``0..P-1`` per video (the authors' training "spatial
    repeat"), else 0. ``shuffle``: the frames' rolls are permuted randomly per video (the
    authors' "temporal shuffle").
    """
    frames = torch.arange(num_frames).expand(batch, num_frames)
    if shuffle:
        frames = torch.argsort(torch.rand(batch, num_frames, generator=generator), dim=1)
    start = torch.randint(period, (batch, 1), generator=generator) if random_start else torch.zeros(batch, 1, dtype=torch.long)
    return ((frames + start) % period).to(device)


def keep_indices(table: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """``[B, T, N']`` kept patch indices from a :func:`window_keep_table` and :func:`frame_shifts`."""
    return table.to(shifts.device)[shifts]
