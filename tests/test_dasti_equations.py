"""Kim et al. eq. (6)-(13) against hand computations on small tensors (DA-STI)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from zsar.models.da_sti.attribute_interaction import (
    AttributeProjection,
    SpatioTemporalInteraction,
    aggregate_frames,
    spatial_scores,
    temporal_saliency,
)
from zsar.models.da_sti.symmetric_loss import batch_text_video_logits, symmetric_class_video_loss


def _cos(x: list[float], y: list[float]) -> float:
    nx, ny = math.sqrt(sum(a * a for a in x)), math.sqrt(sum(b * b for b in y))
    return 0.0 if nx == 0 or ny == 0 else sum(a * b for a, b in zip(x, y, strict=True)) / (nx * ny)


# ---------------------------------------------------------------------------------- eq. (6)
def test_eq6_projection_is_relu_of_a_linear_map_starting_at_the_identity() -> None:
    projection = AttributeProjection(3)
    x = torch.tensor([[1.0, -2.0, 0.5]])
    assert torch.equal(projection(x), torch.tensor([[1.0, 0.0, 0.5]]))  # identity init: ReLU(x)
    with torch.no_grad():
        projection.linear.weight.copy_(torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 0.0], [-1.0, 0.0, 1.0]]))
        projection.linear.bias.copy_(torch.tensor([0.0, 1.0, 0.0]))
    # y = x W^T + b = [1 - 2, -4 + 1, -1 + 0.5] = [-1, -3, -0.5] -> ReLU -> 0
    assert torch.equal(projection(x), torch.zeros(1, 3))
    assert torch.equal(projection(torch.tensor([[2.0, 1.0, 3.0]])), torch.tensor([[3.0, 3.0, 1.0]]))


# ---------------------------------------------------------------------------------- eq. (7)
def _spatial_by_hand(patches: torch.Tensor, words: torch.Tensor, mask: torch.Tensor) -> list[list[list[float]]]:
    batch, frames, num_patches, _ = patches.shape
    num_classes, num_words, _ = words.shape
    out = []
    for b in range(batch):
        per_class = []
        for c in range(num_classes):
            per_frame = []
            for t in range(frames):
                best = -math.inf
                for k in range(num_patches):
                    for n in range(num_words):
                        if mask[c, n]:
                            best = max(best, _cos(patches[b, t, k].tolist(), words[c, n].tolist()))
                per_frame.append(best)
            per_class.append(per_frame)
        out.append(per_class)
    return out


def test_eq7_best_patch_word_cosine_per_frame_and_padding_never_wins() -> None:
    g = torch.Generator().manual_seed(0)
    patches = torch.rand(2, 3, 5, 4, generator=g)  # [B, T, Np, D], non-negative like ReLU outputs
    words = torch.rand(3, 4, 4, generator=g)  # [C, Nw, D]
    mask = torch.tensor([[True, True, False, False], [True, True, True, True], [False, True, False, False]])
    # Padding rows equal to a patch: they would win (cosine 1) if the mask were ignored.
    words[0, 2] = patches[0, 0, 0]
    words[2, 0] = patches[1, 2, 4]
    words[2, 3] = patches[0, 1, 3]
    result = spatial_scores(patches, words, mask)
    assert result.shape == (2, 3, 3)  # [B, C, T]
    assert torch.allclose(result, torch.tensor(_spatial_by_hand(patches, words, mask)), atol=1e-6)
    assert result[0, 0, 0] < 0.9999 and result[1, 2, 2] < 0.9999
    # Chunking over classes changes nothing.
    assert torch.allclose(spatial_scores(patches, words, mask, block_elements=1), result, atol=1e-7)


def test_eq7_gradient_is_the_gradient_of_the_max() -> None:
    g = torch.Generator().manual_seed(1)
    patches = torch.randn(2, 3, 6, 5, generator=g, requires_grad=True)
    words = torch.randn(4, 3, 5, generator=g, requires_grad=True)
    mask = torch.tensor([[True, True, False], [True, True, True], [True, False, False], [False, True, True]])
    weights = torch.randn(2, 4, 3, generator=g)
    (spatial_scores(patches, words, mask) * weights).sum().backward()
    fast = patches.grad.clone(), words.grad.clone()
    patches.grad, words.grad = None, None
    # Reference: the full similarity block and amax (what the gather avoids keeping).
    s = torch.einsum("btkd,cnd->bctkn", F.normalize(patches, dim=-1), F.normalize(words, dim=-1))
    s = s.masked_fill(~mask[None, :, None, None, :], float("-inf"))
    (s.flatten(3).amax(dim=-1) * weights).sum().backward()
    assert torch.allclose(fast[0], patches.grad, atol=1e-6) and torch.allclose(fast[1], words.grad, atol=1e-6)


def test_eq7_refuses_a_class_without_words() -> None:
    with pytest.raises(ValueError, match="at least one word"):
        spatial_scores(torch.rand(1, 2, 3, 4), torch.rand(2, 2, 4), torch.tensor([[True, False], [False, False]]))


# ---------------------------------------------------------------------------------- eq. (8)-(9)
def test_eq9_saliency_against_a_hand_computation() -> None:
    frames = torch.tensor([[[1.0, 0.0], [0.6, 0.8], [0.0, 2.0]]])  # [B=1, T=3, D=2]
    words = torch.tensor([[[1.0, 1.0], [3.0, 0.0], [0.0, 5.0]]])  # [C=1, Nw=3, D]; word 2 is padding
    mask = torch.tensor([[True, True, False]])
    spatial = torch.tensor([[[0.5, 1.0, 0.25]]])  # S_sp per frame [B, C, T]
    tau = 0.5
    result = temporal_saliency(frames, words, mask, spatial, tau)
    expected = [0.0, 0.0, 0.0]
    for n in (0, 1):  # real words only
        logits = [spatial[0, 0, t].item() * _cos(frames[0, t].tolist(), words[0, n].tolist()) / tau for t in range(3)]
        total = sum(math.exp(x) for x in logits)
        for t in range(3):
            expected[t] += math.exp(logits[t]) / total / 2
    assert torch.allclose(result[0, 0], torch.tensor(expected), atol=1e-6)


def test_saliency_sums_to_one_and_padding_takes_no_weight() -> None:
    g = torch.Generator().manual_seed(2)
    frames = torch.randn(3, 5, 8, generator=g)
    words = torch.randn(4, 6, 8, generator=g)
    mask = torch.rand(4, 6, generator=g) > 0.4
    mask[:, 0] = True
    spatial = torch.rand(3, 4, 5, generator=g)
    saliency = temporal_saliency(frames, words, mask, spatial, 0.01)
    assert saliency.shape == (3, 4, 5)
    assert torch.allclose(saliency.sum(dim=-1), torch.ones(3, 4), atol=1e-6)
    assert bool((saliency >= 0).all())
    changed = words.clone()
    changed[~mask] = torch.randn(int((~mask).sum()), 8, generator=g) * 100
    assert torch.allclose(temporal_saliency(frames, changed, mask, spatial, 0.01), saliency, atol=1e-7)


def test_uniform_similarities_give_the_mean_frame() -> None:
    # Frames in span(e0, e1), words in span(e2, e3): every word-frame cosine is 0, the softmax over
    # time is uniform and eq. (10) gives the mean of the frame embeddings.
    g = torch.Generator().manual_seed(3)
    frames = torch.zeros(2, 4, 4)
    frames[..., :2] = torch.randn(2, 4, 2, generator=g)
    words = torch.zeros(3, 2, 4)
    words[..., 2:] = torch.rand(3, 2, 2, generator=g) + 0.1
    saliency = temporal_saliency(frames, words, torch.ones(3, 2, dtype=torch.bool), torch.rand(2, 3, 4, generator=g), 0.01)
    assert torch.allclose(saliency, torch.full((2, 3, 4), 0.25))
    features = aggregate_frames(frames, saliency)
    assert torch.allclose(features, frames.mean(dim=1, keepdim=True).expand(2, 3, 4), atol=1e-6)


def test_eq10_weighted_sum_of_frames() -> None:
    frames = torch.tensor([[[1.0, 2.0], [3.0, -1.0]]])  # [1, T=2, 2]
    saliency = torch.tensor([[[0.25, 0.75], [1.0, 0.0]]])  # [1, C=2, T=2]
    expected = torch.tensor([[[0.25 * 1 + 0.75 * 3, 0.25 * 2 - 0.75], [1.0, 2.0]]])
    assert torch.allclose(aggregate_frames(frames, saliency), expected)


# ---------------------------------------------------------------------------------- the head's switches
def _inputs(seed: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    frames = torch.randn(2, 3, 6, generator=g)
    patches = torch.randn(2, 3, 5, 6, generator=g)
    words = torch.randn(4, 3, 6, generator=g)
    mask = torch.tensor([[True, True, True], [True, False, False], [True, True, False], [False, True, True]])
    return frames, patches, words, mask


def test_full_interaction_composes_eq6_to_eq10() -> None:
    frames, patches, words, mask = _inputs()
    head = SpatioTemporalInteraction(6, temperature=0.1)
    features, extras = head(frames, patches, words, mask)
    a = F.relu(words)  # identity-initialised W_w
    spatial = spatial_scores(F.relu(patches), a, mask)
    saliency = temporal_saliency(frames, a, mask, spatial, 0.1)
    assert torch.allclose(extras["spatial"], spatial) and torch.allclose(extras["saliency"], saliency)
    assert torch.allclose(features, aggregate_frames(frames, saliency), atol=1e-6)


def test_ablation_switches() -> None:
    frames, patches, words, mask = _inputs()
    temporal_only = SpatioTemporalInteraction(6, spatial=False, temperature=0.1)
    assert temporal_only.patch_projection is None
    features, extras = temporal_only(frames, None, words, mask)
    assert "spatial" not in extras
    assert torch.allclose(features, aggregate_frames(frames, temporal_saliency(frames, F.relu(words), mask, None, 0.1)), atol=1e-6)

    spatial_only = SpatioTemporalInteraction(6, temporal=False)
    features, extras = spatial_only(frames, patches, words, mask)
    expected = (extras["spatial"].unsqueeze(-1) * frames.unsqueeze(1)).mean(dim=2)  # mean_t S_sp[t] v^t
    assert "saliency" not in extras and torch.allclose(features, expected, atol=1e-6)

    neither = SpatioTemporalInteraction(6, spatial=False, temporal=False)
    assert list(neither.parameters()) == []
    features, _ = neither(frames, None, words, mask)
    assert torch.allclose(features, frames.mean(dim=1, keepdim=True).expand(2, 4, 6), atol=1e-6)


# ---------------------------------------------------------------------------------- eq. (11)-(13)
def _loss_by_hand(logits: torch.Tensor, labels: list[int]) -> tuple[float, float]:
    batch = len(labels)

    def s(text_item: int, video_item: int) -> float:  # s(z_{c_i}, f_st,j) / tau
        return float(logits[video_item, labels[text_item]])

    v2c = c2v = 0.0
    for i in range(batch):
        positives = [k for k in range(batch) if labels[k] == labels[i]]
        # eq. (11): log exp(s(z_ci, f_k)) / sum_j exp(s(z_ci, f_j))
        denominator = sum(math.exp(s(i, j)) for j in range(batch))
        v2c += sum(math.log(math.exp(s(i, k)) / denominator) for k in positives) / len(positives)
        # eq. (12): log exp(s(z_ck, f_i)) / sum_j exp(s(z_cj, f_i))
        denominator = sum(math.exp(s(j, i)) for j in range(batch))
        c2v += sum(math.log(math.exp(s(k, i)) / denominator) for k in positives) / len(positives)
    return -v2c / batch, -c2v / batch


def test_eq11_to_13_against_a_hand_computation_with_repeated_classes() -> None:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(6, 5, generator=g) * 3  # [B videos, C classes]
    labels = [2, 0, 2, 4, 0, 2]  # class 2 three times, class 0 twice
    loss, parts = symmetric_class_video_loss(logits, torch.tensor(labels))
    v2c, c2v = _loss_by_hand(logits, labels)
    assert parts["v2c"] == pytest.approx(v2c, rel=1e-5) and parts["c2v"] == pytest.approx(c2v, rel=1e-5)
    assert float(loss) == pytest.approx((v2c + c2v) / 2, rel=1e-5)
    assert not math.isclose(v2c, c2v, rel_tol=1e-3)  # the two directions differ on this batch


def test_batch_matrix_reads_each_items_class_column() -> None:
    logits = torch.arange(12.0).view(3, 4)  # video j, class c -> 4 j + c
    m = batch_text_video_logits(logits, torch.tensor([3, 0, 3]))
    assert torch.equal(m, torch.tensor([[3.0, 7.0, 11.0], [0.0, 4.0, 8.0], [3.0, 7.0, 11.0]]))


def test_invalid_clips_are_left_out_of_the_batch() -> None:
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(5, 3, generator=g, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 2, 0])
    valid = torch.tensor([True, False, True, True, True])
    loss, _ = symmetric_class_video_loss(logits, labels, valid)
    v2c, c2v = _loss_by_hand(logits.detach()[valid], [0, 1, 2, 0])
    assert float(loss.detach()) == pytest.approx((v2c + c2v) / 2, rel=1e-5)
    loss.backward()
    assert float(logits.grad[1].abs().sum()) == 0.0
    none, _ = symmetric_class_video_loss(logits, labels, torch.zeros(5, dtype=torch.bool))
    assert float(none.detach()) == 0.0 and none.requires_grad
