"""STDD's equations on hand-built tensors: masking (eq. 3-4), channel mixing (eq. 5-6), the block (eq. 1-2, 7)."""

from __future__ import annotations

import pytest
import torch
from open_clip.transformer import ResidualAttentionBlock
from zsar_helpers import tiny_clip

from kgen.errors import InputError
from zsar.channel_mixing import mix_channels
from zsar.spacetime_attention import SpaceTimeCrossAttentionBlock, SpaceTimeOptions
from zsar.window_shift_mask import frame_shifts, keep_indices, window_keep_table

GRID = (4, 6)  # 24 patches, 6 windows of 2x2


def _position_in_window(patch: int, cols: int) -> int:
    row, col = divmod(patch, cols)
    return (row % 2) * 2 + (col % 2)


def _window_of(patch: int, cols: int) -> tuple[int, int]:
    row, col = divmod(patch, cols)
    return row // 2, col // 2


def test_mask_keeps_half_of_every_window_and_rolls_one_position_per_frame() -> None:
    table = window_keep_table(GRID, (2, 2), 0.5)
    assert table.shape == (4, 12)  # period 4, N' = r * N = 12
    for shift, kept in enumerate(table.tolist()):
        # window-major order: two kept tokens per window, windows row-major
        windows = [_window_of(p, GRID[1]) for p in kept]
        assert windows == [(a, b) for a in range(2) for b in range(3) for _ in range(2)]
        # the base pattern [1, 1, 0, 0] (1 = dropped) rolled by `shift`: kept positions (2+s, 3+s) mod 4
        positions = {_position_in_window(p, GRID[1]) for p in kept}
        assert positions == {(2 + shift) % 4, (3 + shift) % 4}
        # the same positions in every window
        assert [_position_in_window(p, GRID[1]) for p in kept[:2]] * 6 == [_position_in_window(p, GRID[1]) for p in kept]


def test_every_position_is_kept_within_one_period_and_test_masks_are_fixed() -> None:
    table = window_keep_table(GRID, (2, 2), 0.5)
    shifts = frame_shifts(3, 8, 4, random_start=False, shuffle=False)
    assert shifts.tolist() == [[t % 4 for t in range(8)]] * 3  # test: roll t mod 4, no shuffle
    index = keep_indices(table, shifts)
    assert index.shape == (3, 8, 12)
    for start in range(0, 5):  # any 4 consecutive frames see every patch, each exactly twice
        seen = torch.cat([index[0, t] for t in range(start, start + 4)])
        assert torch.bincount(seen, minlength=24).tolist() == [2] * 24


def test_training_shifts_are_a_random_start_plus_a_permutation() -> None:
    generator = torch.Generator().manual_seed(0)
    shifts = frame_shifts(16, 4, 4, random_start=True, shuffle=True, generator=generator)
    # with 4 frames and period 4, each video's rolls are a permutation of 0..3
    assert all(sorted(row) == [0, 1, 2, 3] for row in shifts.tolist())
    assert len({tuple(row) for row in shifts.tolist()}) > 1
    plain = frame_shifts(16, 4, 4, random_start=True, shuffle=False, generator=generator)
    assert all(row == [(row[0] + t) % 4 for t in range(4)] for row in plain.tolist())


def test_masking_refuses_grids_and_ratios_it_cannot_cut() -> None:
    with pytest.raises(InputError, match="cannot be cut"):
        window_keep_table((7, 7), (2, 2), 0.5)
    with pytest.raises(InputError, match="mask ratio"):
        window_keep_table((4, 4), (2, 2), 0.05)


def _coded(frames: int = 5, tokens: int = 3, width: int = 64) -> torch.Tensor:
    """x[0, t, j, c] = 1000 * (t + 1) + c (+ 0.01 j): every value names its frame and channel."""
    t = torch.arange(frames).view(1, frames, 1, 1)
    j = torch.arange(tokens).view(1, 1, tokens, 1)
    c = torch.arange(width).view(1, 1, 1, width)
    return (1000.0 * (t + 1) + c + 0.01 * j).float()


@pytest.mark.parametrize(("mode", "scale", "bands"), [
    # eq. (5), d = 8: [0,8) from t-δ, [8,16) from t+δ, the rest from t
    ("separate", 1, [(0, 8, -1), (8, 16, 1)]),
    ("separate", 2, [(0, 8, -2), (8, 16, 2)]),
    # eq. (6), d = 8, δ = 2: [0,4) t-2, [4,8) t-1, [8,12) t+1, [12,16) t+2
    ("continual", 2, [(0, 4, -2), (4, 8, -1), (8, 12, 1), (12, 16, 2)]),
    ("continual", 1, [(0, 8, -1), (8, 16, 1)]),
])
def test_channel_mixing_takes_exactly_the_channels_the_equations_name(mode: str, scale: int, bands: list) -> None:
    x = _coded()
    mixed = mix_channels(x, scale, 8, mode)  # type: ignore[arg-type]
    assert mixed.shape == x.shape
    frames, tokens, width = x.shape[1:]
    expected_offset = {c: 0 for c in range(width)}
    for start, stop, offset in bands:
        for c in range(start, stop):
            expected_offset[c] = offset
    for t in range(frames):
        for j in range(tokens):
            for c in range(width):
                value = float(mixed[0, t, j, c])
                source = t + expected_offset[c]
                if 0 <= source < frames:
                    assert value == pytest.approx(1000 * (source + 1) + c + 0.01 * j), (t, j, c)
                else:
                    assert value == 0.0, (t, j, c)


def test_channel_mixing_matches_the_authors_values_for_vit_b() -> None:
    # ViT-B, fold 32: d = 24; scale 2 continual: [0,12) t-2, [12,24) t-1, [24,36) t+1, [36,48) t+2, >= 48 untouched
    x = _coded(frames=5, tokens=1, width=768)
    mixed = mix_channels(x, 2, 768 // 32, "continual")
    t = 2
    for c, source in [(0, 0), (11, 0), (12, 1), (23, 1), (24, 3), (35, 3), (36, 4), (47, 4), (48, 2), (767, 2)]:
        assert float(mixed[0, t, 0, c]) == pytest.approx(1000 * (source + 1) + c)


def _plain_and_stdd(options: SpaceTimeOptions) -> tuple[ResidualAttentionBlock, SpaceTimeCrossAttentionBlock]:
    old = tiny_clip().model.visual.transformer.resblocks[1]
    new = SpaceTimeCrossAttentionBlock(old, options, (8, 8))
    new.load_state_dict(old.state_dict(), strict=True)
    return old, new


def test_with_masking_and_mixing_off_the_block_is_open_clips_block() -> None:
    old, new = _plain_and_stdd(SpaceTimeOptions(window_shift_masking=False, channel_mixing="off"))
    x = torch.randn(2 * 4, 65, 64)
    torch.testing.assert_close(new(x, num_frames=4), old(x))
    assert sum(p.numel() for p in new.parameters()) == sum(p.numel() for p in old.parameters())


def test_block_follows_equations_1_2_4_7_and_padding() -> None:
    """A hand computation of the block with open_clip's own modules, for masking + continual mixing."""
    options = SpaceTimeOptions(temporal_scales=(1, 2), channel_fold=8, channel_mixing="continual")
    old, new = _plain_and_stdd(options)
    new.eval()
    batch, frames = 2, 4
    x = torch.randn(batch * frames, 65, 64)
    with torch.no_grad():
        got = new(x, num_frames=frames)
        attend = lambda z: old.attn(old.ln_1(z), old.ln_1(z), old.ln_1(z), need_weights=False)[0]  # noqa: E731
        spatial = x + attend(x)  # eq. (1)
        table = window_keep_table((8, 8), (2, 2), 0.5)
        expected = spatial.clone()
        for b in range(batch):
            clip = x[b * frames : (b + 1) * frames]
            kept = torch.stack([clip[t, 1:][table[t % 4]] for t in range(frames)])  # eq. (4), test roll t mod 4
            outs = []
            for scale in (1, 2):
                mixed = mix_channels(kept[None], scale, 8, "continual")[0]
                seq = torch.cat([clip[:, :1], mixed], dim=1)
                outs.append(seq + attend(seq))  # eq. (7), the authors' shortcut
            average = torch.stack(outs).mean(0)
            for t in range(frames):
                row = b * frames + t
                expected[row, 0] = average[t, 0]
                expected[row, 1 + table[t % 4]] = average[t, 1:]
        expected = expected + old.mlp(old.ln_2(spatial))  # eq. (2), MLP on the spatial path
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_masked_positions_keep_the_spatial_path() -> None:
    old, new = _plain_and_stdd(SpaceTimeOptions(channel_mixing="off"))
    new.eval()
    x = torch.randn(4, 65, 64)
    with torch.no_grad():
        got = new(x, num_frames=4)
        plain = old(x)
    table = window_keep_table((8, 8), (2, 2), 0.5)
    for t in range(4):
        dropped = sorted(set(range(64)) - set(table[t % 4].tolist()))
        torch.testing.assert_close(got[t, 1:][dropped], plain[t, 1:][dropped])
        assert not torch.allclose(got[t, 0], plain[t, 0])  # the class token comes from the space-time path


def test_unmixed_shortcut_option_uses_the_window_shifted_tokens() -> None:
    mixed_options = SpaceTimeOptions(temporal_scales=(1,), channel_fold=8, shortcut="mixed")
    _, with_mixed = _plain_and_stdd(mixed_options)
    _, with_unmixed = _plain_and_stdd(SpaceTimeOptions(temporal_scales=(1,), channel_fold=8, shortcut="unmixed"))
    x = torch.randn(4, 65, 64)
    with torch.no_grad():
        a = with_mixed.eval()(x, num_frames=4)
        b = with_unmixed.eval()(x, num_frames=4)
    table = window_keep_table((8, 8), (2, 2), 0.5)
    kept = torch.stack([x[t, 1:][table[t % 4]] for t in range(4)])
    mixed = mix_channels(kept[None], 1, 8, "separate")[0]
    # the outputs differ exactly by the shortcut's difference at the kept positions
    for t in range(4):
        torch.testing.assert_close(a[t, 1:][table[t % 4]] - b[t, 1:][table[t % 4]], mixed[t] - kept[t], rtol=1e-4, atol=1e-4)
