"""AP-CLIP's late interaction (eq. 3-6) and ViFi-CLIP's mean-pooled cosine, against hand computations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from zsar.models.similarity import (
    best_prompt_per_frame,
    late_interaction,
    late_interaction_parts,
    mean_pooled_cosine,
)


def _example() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # One video, two frames v1 = (1, 0), v2 = (0, 1) (scaled by 3: the function normalises).
    frames = 3.0 * torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    # Class A: prompts (1, 0) and (0.8, 0.6). Class B: one prompt (0.6, 0.8), padded with (0, 1),
    # a vector that would win every max if padding were not masked.
    prompts = torch.tensor([[[1.0, 0.0], [0.8, 0.6]], [[0.6, 0.8], [0.0, 1.0]]])
    mask = torch.tensor([[True, True], [True, False]])
    return frames, prompts, mask


def test_late_interaction_equals_a_hand_computed_example() -> None:
    frames, prompts, mask = _example()
    v2t, t2v = late_interaction_parts(frames, prompts, mask)
    # Class A: cosines v1.(c1, c2) = (1, 0.8), v2.(c1, c2) = (0, 0.6).
    #   eq. (4): mean over frames of the best prompt = (1 + 0.6) / 2 = 0.8
    #   eq. (5): mean over prompts of the best frame = (1 + 0.8) / 2 = 0.9
    # Class B: cosines v1.c = 0.6, v2.c = 0.8: eq. (4) = 0.7, eq. (5) = 0.8.
    assert torch.allclose(v2t, torch.tensor([[0.8, 0.7]]), atol=1e-6)
    assert torch.allclose(t2v, torch.tensor([[0.9, 0.8]]), atol=1e-6)
    # eq. (6): the average.
    assert torch.allclose(late_interaction(frames, prompts, mask), torch.tensor([[0.85, 0.75]]), atol=1e-6)


def test_padding_prompts_never_count() -> None:
    frames, prompts, mask = _example()
    unmasked = late_interaction(frames, prompts, torch.ones_like(mask))
    assert not torch.allclose(unmasked[0, 1], torch.tensor(0.75))  # the pad would have changed class B
    alone = late_interaction(frames, prompts[1:, :1], None)  # class B without any padding
    assert torch.allclose(late_interaction(frames, prompts, mask)[0, 1], alone[0, 0], atol=1e-6)


def test_one_prompt_and_one_frame_is_the_cosine() -> None:
    generator = torch.Generator().manual_seed(0)
    frame = torch.randn(5, 1, 16, generator=generator)
    prompts = torch.randn(7, 1, 16, generator=generator)
    expected = F.normalize(frame[:, 0], dim=-1) @ F.normalize(prompts[:, 0], dim=-1).t()
    assert torch.allclose(late_interaction(frame, prompts), expected, atol=1e-6)


def test_one_prompt_reduces_to_max_and_mean_over_frames() -> None:
    generator = torch.Generator().manual_seed(1)
    frames = torch.randn(3, 6, 8, generator=generator)
    prompts = torch.randn(4, 1, 8, generator=generator)
    cos = torch.einsum("btd,cd->btc", F.normalize(frames, dim=-1), F.normalize(prompts[:, 0], dim=-1))
    expected = (cos.max(dim=1).values + cos.mean(dim=1)) / 2
    assert torch.allclose(late_interaction(frames, prompts), expected, atol=1e-6)


def test_one_frame_reduces_to_max_and_mean_over_prompts() -> None:
    generator = torch.Generator().manual_seed(2)
    frames = torch.randn(3, 1, 8, generator=generator)
    prompts = torch.randn(4, 5, 8, generator=generator)
    cos = torch.einsum("bd,cnd->bcn", F.normalize(frames[:, 0], dim=-1), F.normalize(prompts, dim=-1))
    expected = (cos.max(dim=2).values + cos.mean(dim=2)) / 2
    assert torch.allclose(late_interaction(frames, prompts), expected, atol=1e-6)


def test_mean_pooled_cosine_averages_raw_frames_then_normalises() -> None:
    frames = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])  # mean (1, 0.5): not the mean of unit vectors
    classifier = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    mean = torch.tensor([1.0, 0.5]) / torch.tensor([1.0, 0.5]).norm()
    assert torch.allclose(mean_pooled_cosine(frames, classifier), mean[None] @ torch.eye(2), atol=1e-6)


def test_a_class_without_prompts_is_refused() -> None:
    frames, prompts, mask = _example()
    mask[1] = False
    with pytest.raises(ValueError, match="at least one prompt"):
        late_interaction(frames, prompts, mask)


def test_best_prompt_per_frame_names_the_winning_prompt() -> None:
    frames, prompts, mask = _example()
    index, best = best_prompt_per_frame(frames, prompts, mask)
    # Frame v2 = (0, 1): class A's best is prompt 1 (0.6); class B's pad (0, 1) must not win.
    assert index[0, 1].tolist() == [1, 0]
    assert torch.allclose(best[0, 1], torch.tensor([0.6, 0.8]), atol=1e-6)


def test_gradients_flow_through_the_maxima() -> None:
    frames, prompts, mask = _example()
    frames = frames.clone().requires_grad_(True)
    late_interaction(frames, prompts, mask).sum().backward()
    assert frames.grad is not None and torch.isfinite(frames.grad).all() and frames.grad.abs().sum() > 0
