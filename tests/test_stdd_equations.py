"""STDD's equations on hand-built tensors: masking (eq. 3-4), channel mixing (eq. 5-6), the block (eq. 1-2, 7)."""

from __future__ import annotations

import pytest
import torch
from open_clip.transformer import ResidualAttentionBlock
from zsar_helpers import tiny_clip

from kgen.errors import InputError
from zsar.models.stdd.channel_mixing import mix_channels
from zsar.models.stdd.spacetime_attention import SpaceTimeCrossAttentionBlock, SpaceTimeOptions
from zsar.models.stdd.window_shift_mask import (
    dropped_per_window,
    keep_indices,
    mask_rolls,
    window_keep_table,
)

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
    rolls = mask_rolls(3, 8, 4, 6, start="zero", shuffle=False)
    assert rolls.shape == (3, 8, 6)
    assert rolls[..., 0].tolist() == [[t % 4 for t in range(8)]] * 3  # test: roll t mod 4, no shuffle
    index = keep_indices(table, rolls)
    assert index.shape == (3, 8, 12)
    for start in range(0, 5):  # any 4 consecutive frames see every patch, each exactly twice
        seen = torch.cat([index[0, t] for t in range(start, start + 4)])
        assert torch.bincount(seen, minlength=24).tolist() == [2] * 24


def test_training_rolls_are_a_random_start_plus_a_permutation() -> None:
    generator = torch.Generator().manual_seed(0)
    rolls = mask_rolls(16, 4, 4, 6, start="per-video", shuffle=True, generator=generator)
    # with 4 frames and period 4, each video's rolls are a permutation of 0..3, the same in every window
    assert all(sorted(row) == [0, 1, 2, 3] for row in rolls[..., 0].tolist())
    assert torch.equal(rolls, rolls[..., :1].expand_as(rolls))
    assert len({tuple(row) for row in rolls[..., 0].tolist()}) > 1
    plain = mask_rolls(16, 4, 4, 6, start="per-video", shuffle=False, generator=generator)[..., 0]
    assert all(row == [(row[0] + t) % 4 for t in range(4)] for row in plain.tolist())


def test_random_draws_follow_the_authors_order() -> None:
    # The start first (one per video, or one per window), then the frame permutation: the same
    # numbers the release draws from the same seed.
    torch.manual_seed(7)
    rolls = mask_rolls(2, 8, 4, 6, start="per-window", shuffle=True)
    torch.manual_seed(7)
    starts = torch.randint(4, (2, 6))
    order = torch.rand(2, 8).argsort(dim=-1)
    for b in range(2):
        for t in range(8):
            assert rolls[b, t].tolist() == [(int(order[b, t]) + int(starts[b, w])) % 4 for w in range(6)]
    # per-window starts: the windows of one frame may use different rolls
    assert any(len(set(rolls[b, t].tolist())) > 1 for b in range(2) for t in range(8))


def test_per_window_rolls_pick_each_windows_own_pattern() -> None:
    table = window_keep_table(GRID, (2, 2), 0.5)
    rolls = torch.tensor([[[0, 1, 2, 3, 0, 1]]])  # one video, one frame, six windows
    kept = keep_indices(table, rolls)[0, 0].tolist()
    for w in range(6):
        pair = kept[2 * w : 2 * w + 2]
        assert {_window_of(p, GRID[1]) for p in pair} == {divmod(w, 3)}
        assert {_position_in_window(p, GRID[1]) for p in pair} == {(2 + rolls[0, 0, w].item()) % 4, (3 + rolls[0, 0, w].item()) % 4}


def test_dropped_positions_are_floor_of_ratio_times_window() -> None:
    # the authors' count: int(r * T * H * W) // (T * cells) = floor(r * 4) on 2x2 windows
    assert [dropped_per_window(r, (2, 2)) for r in (0.25, 0.4, 0.5, 0.6, 0.75)] == [1, 1, 2, 2, 3]


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
    # δ = 3, the authors' halving bands: [0,2) t-3, [2,4) t-2, [4,8) t-1, [8,12) t+1, [12,14) t+2, [14,16) t+3
    ("continual", 3, [(0, 2, -3), (2, 4, -2), (4, 8, -1), (8, 12, 1), (12, 14, 2), (14, 16, 3)]),
])
def test_channel_mixing_with_zero_padding_takes_exactly_the_channels_the_equations_name(
    mode: str, scale: int, bands: list
) -> None:
    x = _coded(frames=7)
    mixed = mix_channels(x, scale, 8, mode, border="zeros")  # type: ignore[arg-type]
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


def _frame_of(value: float) -> int | None:
    """The frame a coded value came from (None for a zero)."""
    return None if value == 0.0 else int(value // 1000) - 1


def test_continual_shift_2_at_the_clip_borders_as_the_authors_code_by_hand() -> None:
    # T = 6, d = 8, δ = 2: bands [0,4) t-2, [4,8) t-1, [8,12) t+1, [12,16) t+2. The authors write
    # the t±1 bands first (16 channels) and then overwrite the outer halves with t±2 only where
    # that frame exists, so frame 1 keeps frame 0 in its t-2 band and frame T-2 = 4 keeps frame
    # T-1 = 5 in its t+2 band.
    x = _coded(frames=6, tokens=1, width=20)
    mixed = mix_channels(x, 2, 8, "continual")  # the default border: the authors' code
    by_band = {t: [_frame_of(float(mixed[0, t, 0, c])) for c in (0, 3, 4, 7, 8, 11, 12, 15, 16, 19)] for t in range(6)}
    #              t-2 band    t-1 band    t+1 band    t+2 band    own
    assert by_band[0] == [None, None, None, None, 1, 1, 2, 2, 0, 0]
    assert by_band[1] == [0, 0, 0, 0, 2, 2, 3, 3, 1, 1]  # t-2 band: frame 0 (the t-1 pass), not zero
    assert by_band[2] == [0, 0, 1, 1, 3, 3, 4, 4, 2, 2]
    assert by_band[3] == [1, 1, 2, 2, 4, 4, 5, 5, 3, 3]
    assert by_band[4] == [2, 2, 3, 3, 5, 5, 5, 5, 4, 4]  # t+2 band: frame 5 = T-1 (the t+1 pass), not zero
    assert by_band[5] == [3, 3, 4, 4, None, None, None, None, 5, 5]
    # the values are the source frames' own channels
    assert float(mixed[0, 1, 0, 2]) == 1000 * 1 + 2 and float(mixed[0, 4, 0, 13]) == 1000 * 6 + 13
    # zero padding (the named option) empties exactly those two bands and nothing else
    zeros = mix_channels(x, 2, 8, "continual", border="zeros")
    assert float(zeros[0, 1, 0, :4].abs().sum()) == 0.0 and float(zeros[0, 4, 0, 12:16].abs().sum()) == 0.0
    differ = (zeros != mixed).nonzero()[:, 1:].tolist()
    assert sorted({(t, c // 4) for t, _, c in differ}) == [(1, 0), (4, 3)]


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
