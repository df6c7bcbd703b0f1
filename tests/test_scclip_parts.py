"""SC-CLIP's parts against hand computations: seeds (eq. 2), K-means, fusion, pooling (eq. 3), SCCA (eq. 5), adapter."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from open_clip.transformer import ResidualAttentionBlock

from zsar.models.sc_clip.semantic_attention import region_bias, semantic_cross_attention
from zsar.models.sc_clip.semantic_masks import (
    cap_regions,
    connected_components,
    fuse_clusters,
    kmeans_refine,
    mask_pool,
    semantic_masks,
    window_seeds,
)
from zsar.models.sc_clip.temporal_adapter import LocalTemporalAdapter, local_temporal_attention


def test_window_seeds_equal_eq2_by_hand() -> None:
    torch.manual_seed(0)
    tokens = torch.randn(1, 2, 5, 5, 3)  # G=1, T=2 frames, 5x5 grid, D=3
    seeds = window_seeds(tokens, [3, 4])
    expected = []
    for t in range(2):
        for size in (3, 4):
            step = size // 2
            positions = range(0, 5 - size + 1, step)  # I = J = {0, floor(s/2), ..., H - s}
            for i in positions:
                for j in positions:
                    expected.append(tokens[0, t, i : i + size, j : j + size].reshape(-1, 3).mean(dim=0))
    # per frame: s=3 -> I = {0,1,2} (9 windows), s=4 -> I = {0} (5-4 = 1 < 2: one window)
    assert seeds.shape == (1, 2 * (9 + 1), 3)
    # window_seeds orders windows frame by frame, sizes in the order given
    assert torch.allclose(seeds[0], torch.stack(expected), atol=1e-6)


def test_window_seeds_for_vit_b16_grid_count() -> None:
    seeds = window_seeds(torch.zeros(2, 8, 14, 14, 4), [3, 7])
    assert seeds.shape == (2, 8 * (12 * 12 + 3 * 3), 4)
    with pytest.raises(ValueError):
        window_seeds(torch.zeros(1, 1, 4, 4, 2), [5])


def test_kmeans_one_iteration_by_hand() -> None:
    points = torch.tensor([[[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]])
    seeds = torch.tensor([[[1.0, 0.2], [0.2, 1.0], [-1.0, -1.0]]])  # the third seed gets no point
    centres, alive, assignment = kmeans_refine(points, seeds, iterations=1)
    unit = F.normalize(points, dim=-1)[0]
    assert alive.tolist() == [[True, True, False]]
    assert assignment.tolist() == [[0, 0, 1, 1]]
    assert torch.allclose(centres[0, 0], F.normalize(unit[:2].mean(0), dim=0), atol=1e-6)
    assert torch.allclose(centres[0, 1], F.normalize(unit[2:].mean(0), dim=0), atol=1e-6)


def test_fusion_delta_one_keeps_every_seed_and_minus_one_merges_all() -> None:
    torch.manual_seed(1)
    centres = F.normalize(torch.randn(2, 6, 8), dim=-1)
    alive = torch.ones(2, 6, dtype=torch.bool)
    compact, count = fuse_clusters(centres, alive, threshold=1.0)
    assert count.tolist() == [6, 6] and compact.tolist() == [list(range(6))] * 2
    compact, count = fuse_clusters(centres, alive, threshold=-1.0)
    assert count.tolist() == [1, 1] and compact.eq(0).all()
    # dead centres are never a region
    alive[0, 2] = False
    compact, count = fuse_clusters(centres, alive, threshold=1.0)
    assert count.tolist() == [5, 6] and compact[0].tolist() == [0, 1, -1, 2, 3, 4]


def test_fusion_is_transitive() -> None:
    # a~b and b~c (cos 0.92) but a and c are further apart (cos 0.69): one region at delta 0.9
    angle = torch.tensor([0.0, 0.4, 0.8, 2.5])
    centres = torch.stack([angle.cos(), angle.sin()], dim=-1).unsqueeze(0)
    compact, count = fuse_clusters(centres, torch.ones(1, 4, dtype=torch.bool), threshold=0.9)
    assert compact.tolist() == [[0, 0, 0, 1]] and count.tolist() == [2]
    chain = torch.zeros(1, 5, 5, dtype=torch.bool)
    for i in range(4):  # 4-3-2-1-0 path, plus self-loops
        chain[0, i, i + 1] = chain[0, i + 1, i] = True
    assert connected_components(chain).tolist() == [[0, 0, 0, 0, 0]]


def test_semantic_masks_partition_every_token() -> None:
    torch.manual_seed(2)
    tokens = torch.randn(3, 2, 6, 6, 16)
    regions = semantic_masks(tokens, window_sizes=[3], iterations=1, threshold=0.3)
    masks, valid = regions.masks, regions.valid
    assert masks.shape == (3, regions.num_queries, 2 * 36)
    assert masks.sum(dim=1).eq(1).all()  # each token in exactly one region
    assert (masks.any(dim=2) == valid).all()  # every valid region holds a token, padding none
    assert valid.sum(dim=1).tolist() == regions.count.tolist()
    # the same video alone gives the same regions (no dependence on the rest of the batch)
    alone = semantic_masks(tokens[1:2], window_sizes=[3], iterations=1, threshold=0.3)
    assert torch.equal(alone.region[0], regions.region[1])


def test_two_clear_objects_give_two_regions() -> None:
    # left half of every frame is one "object", right half another
    left, right = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])
    tokens = torch.zeros(1, 2, 4, 4, 3)
    tokens[..., :2, :] = left
    tokens[..., 2:, :] = right
    tokens += 0.01 * torch.randn(tokens.shape, generator=torch.Generator().manual_seed(0))
    regions = semantic_masks(tokens, window_sizes=[2], iterations=1, threshold=0.8)
    assert regions.count.tolist() == [2]
    grid = regions.region[0].view(2, 4, 4)
    assert grid[:, :, :2].unique().numel() == 1 and grid[:, :, 2:].unique().numel() == 1
    assert grid[0, 0, 0] != grid[0, 0, 3]


def test_mask_pooling_by_hand() -> None:
    features = torch.arange(12.0).view(1, 4, 3)  # 4 tokens
    masks = torch.tensor([[[True, False, True, False], [False, True, False, False], [False, False, False, False]]])
    pooled = mask_pool(features, masks)
    assert torch.allclose(pooled[0, 0], (features[0, 0] + features[0, 2]) / 2)
    assert torch.allclose(pooled[0, 1], features[0, 1])
    assert torch.equal(pooled[0, 2], torch.zeros(3))  # an empty (padding) mask pools to zero


def _block(width: int = 16, heads: int = 4, seed: int = 0) -> ResidualAttentionBlock:
    torch.manual_seed(seed)
    block = ResidualAttentionBlock(width, heads).eval()
    for p in block.parameters():  # non-trivial layer norms too
        p.data.add_(0.1 * torch.randn_like(p))
    return block


def test_scca_with_zero_mask_and_own_tokens_is_the_original_block() -> None:
    block = _block()
    x = torch.randn(3, 5, 16)
    with torch.no_grad():
        assert torch.allclose(semantic_cross_attention(block, x, x, torch.zeros(3, 5, 5)), block(x), atol=1e-5)
        assert torch.allclose(semantic_cross_attention(block, x, x, None), block(x), atol=1e-5)


def test_scca_adds_the_mask_to_the_attention_logits() -> None:
    block = _block(width=8, heads=1)
    queries, context = torch.randn(1, 2, 8), torch.randn(1, 4, 8)
    bias = torch.tensor([[[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]])
    with torch.no_grad():
        got = semantic_cross_attention(block, queries, context, bias)
        attn = block.attn
        q_w, k_w, v_w = attn.in_proj_weight.chunk(3)
        q_b, k_b, v_b = attn.in_proj_bias.chunk(3)
        q = block.ln_1(queries) @ q_w.t() + q_b
        keys = block.ln_1(context)
        k, v = keys @ k_w.t() + k_b, keys @ v_w.t() + v_b
        weights = torch.softmax(q @ k.transpose(1, 2) / 8**0.5 + bias, dim=-1)  # eq. (5)
        x = queries + attn.out_proj(weights @ v)
        expected = x + block.mlp(block.ln_2(x))
    assert torch.allclose(got, expected, atol=1e-5)


def test_region_bias_layout() -> None:
    # B=1, Q=2, T=2 frames of 3 patches
    masks = torch.tensor([[[1, 0, 0, 0, 1, 1], [0, 1, 1, 1, 0, 0]]], dtype=torch.bool)
    bias = region_bias(masks, num_frames=2, strength=1.0)
    assert bias.shape == (2, 2, 4)
    assert bias[0].tolist() == [[1, 1, 0, 0], [1, 0, 1, 1]]  # frame 0: CLS column, then patches
    assert bias[1].tolist() == [[1, 0, 1, 1], [1, 1, 0, 0]]


def test_adapter_with_masked_borders_and_one_frame_is_a_plain_block() -> None:
    adapter = LocalTemporalAdapter(16, 4, border="mask").eval()
    plain = ResidualAttentionBlock(16, 4).eval()
    plain.load_state_dict(adapter.state_dict())  # the adapter is open_clip's block, same weights
    x = torch.randn(3, 7, 16)
    with torch.no_grad():
        assert torch.allclose(adapter(x, num_frames=1), plain(x), atol=1e-5)
        adapter.border = "zeros"  # the authors' zero keys take softmax weight: not the plain block
        assert not torch.allclose(adapter(x, num_frames=1), plain(x), atol=1e-3)


def test_zero_border_attention_by_hand() -> None:
    torch.manual_seed(3)
    attn = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    frames, length = 3, 2
    x = torch.randn(frames, length, 8)  # one clip
    with torch.no_grad():
        got = local_temporal_attention(attn, x, frames, radius=1, border="zeros")
        q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        outs = []
        for t in range(frames):
            ks, vs = [], []
            for s in (t - 1, t, t + 1):
                inside = 0 <= s < frames
                ks.append(k[s] if inside else torch.zeros(length, 8))
                vs.append(v[s] if inside else torch.zeros(length, 8))
            kk, vv = torch.cat(ks), torch.cat(vs)
            heads = []
            for h in range(2):
                sl = slice(4 * h, 4 * h + 4)
                w = torch.softmax(q[t][:, sl] @ kk[:, sl].t() / 2.0, dim=-1)
                heads.append(w @ vv[:, sl])
            outs.append(attn.out_proj(torch.cat(heads, dim=-1)))
    assert torch.allclose(got, torch.stack(outs), atol=1e-5)


def test_adapter_sees_only_frames_within_its_radius() -> None:
    adapter = LocalTemporalAdapter(16, 4).eval()
    x = torch.randn(6, 3, 16)  # one clip of 6 frames
    changed = x.clone()
    changed[5] += 1.0  # frame 5 is 3 frames after frame 2
    with torch.no_grad():
        a, b = adapter(x, num_frames=6), adapter(changed, num_frames=6)
    assert torch.allclose(a[:3], b[:3], atol=1e-6)  # frames 0..2 do not see frame 5
    assert not torch.allclose(a[3:], b[3:], atol=1e-4)  # frames 3..5 do


def test_region_cap_keeps_the_largest_regions_by_hand() -> None:
    # one video of 10 tokens in 4 regions of sizes 3, 1, 4, 2; a cap of 2 keeps regions 0 and 2 (sizes 3 and 4)
    region = torch.tensor([[0, 0, 0, 1, 2, 2, 2, 2, 3, 3]])
    capped, count = cap_regions(region, torch.tensor([4]), 2)
    assert capped.tolist() == [[0, 0, 0, -1, 1, 1, 1, 1, -1, -1]] and count.tolist() == [2]
    # ties go to the lower region index: sizes 2, 2, 2 with a cap of 2 keep regions 0 and 1
    tied, count = cap_regions(torch.tensor([[0, 0, 1, 1, 2, 2]]), torch.tensor([3]), 2)
    assert tied.tolist() == [[0, 0, 1, 1, -1, -1]] and count.tolist() == [2]
    # at or under the cap nothing changes; each video of a batch is capped on its own
    batch = torch.tensor([[0, 1, 1, 2, 2, 2], [0, 0, 0, 0, 1, 1]])
    capped, count = cap_regions(batch, torch.tensor([3, 2]), 2)
    assert capped.tolist() == [[-1, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1]] and count.tolist() == [2, 2]


def test_semantic_masks_respect_the_cap() -> None:
    torch.manual_seed(2)
    tokens = torch.randn(2, 2, 6, 6, 16)
    free = semantic_masks(tokens, window_sizes=[3], iterations=1, threshold=0.99, max_regions=None)
    assert int(free.count.max()) > 5
    capped = semantic_masks(tokens, window_sizes=[3], iterations=1, threshold=0.99, max_regions=5)
    assert capped.count.tolist() == [5, 5] and capped.num_queries == 5
    for g in range(2):
        sizes = torch.bincount(free.region[g], minlength=int(free.count[g]))
        kept = set(sizes.argsort(descending=True, stable=True)[:5].tolist())  # the five largest regions
        kept_tokens = torch.isin(free.region[g], torch.tensor(sorted(kept)))
        assert torch.equal(capped.region[g] >= 0, kept_tokens)
        assert capped.masks[g].sum().item() == int(kept_tokens.sum())  # dropped tokens belong to no query
