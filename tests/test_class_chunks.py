"""Class-wise scores computed a block of classes at a time equal the scores of all classes at once (issue 18).

A block's cosines come from a smaller matrix product than the whole label set's, and BLAS may pick
another kernel (another order of the sum over ``D``) for it: with D = 16 about one cosine in ten
then differs in its last bit (1.2e-7), at D = 512 they are bit for bit the same
(``bench/late_interaction_scale.py`` checks). So cosines are compared to float32 rounding
(:data:`COSINE_ATOL`, two units in the last place of 1.0), logits to that times their scale,
gradients (sums over classes accumulated block by block) to float32 rounding too; the rankings are
compared exactly.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from dasti_helpers import attributes_bank
from zsar_helpers import TINY

from kgen.banks import Bank
from zsar.models import TrainTargets, build_model
from zsar.models.class_chunks import class_blocks, class_chunk_size, over_class_chunks
from zsar.models.similarity import (
    PaddedPrompts,
    best_prompt_per_frame,
    cosine_logits,
    late_interaction,
    late_interaction_parts,
    mean_pooled_cosine,
)
from zsar.models.textside import TextSide, synthetic_bank

WHOLE = 1 << 40  # a budget no test tensor reaches: every class in one block
COSINE_ATOL = 2.4e-7


def _same(a: torch.Tensor, b: torch.Tensor, scale: float = 1.0) -> None:
    torch.testing.assert_close(a, b, atol=COSINE_ATOL * scale, rtol=0)


def _ragged_bank(num_classes: int, dim: int, seed: int = 0, max_prompts: int = 5) -> Bank:
    """A random bank whose classes have 1..max_prompts texts (ragged, so blocks carry padding)."""
    counts = [1 + (7 * k + 3) % max_prompts for k in range(num_classes)]
    full = synthetic_bank(num_classes, max_prompts, dim, seed=seed)
    rows = [k * max_prompts + j for k, count in enumerate(counts) for j in range(count)]
    offsets = [0]
    for count in counts:
        offsets.append(offsets[-1] + count)
    manifest = full.manifest.model_copy(
        update={"class_offsets": offsets, "texts": [full.manifest.texts[r] for r in rows], "num_texts": len(rows)}
    )
    return Bank(manifest=manifest, embeddings=full.embeddings[rows], class_offsets=torch.tensor(offsets))


class RecordingPrompts(PaddedPrompts):
    """Padded prompts that remember which blocks of classes were asked for."""

    def __init__(self, prompts: torch.Tensor, mask: torch.Tensor | None) -> None:
        super().__init__(prompts, mask)
        object.__setattr__(self, "calls", [])

    def block(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        self.calls.append((start, stop))  # type: ignore[attr-defined]
        return super().block(start, stop)


def _frames(batch: int = 3, frames: int = 5, dim: int = 16, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, frames, dim, generator=torch.Generator().manual_seed(seed))


def test_the_chunk_size_follows_the_budget() -> None:
    with class_blocks(1000, 50):
        assert class_chunk_size(10_000, 10, with_grad=False) == 100
        assert class_chunk_size(10_000, 10, with_grad=True) == 5
        assert class_chunk_size(3, 10, with_grad=False) == 3  # never more than the classes
        assert class_chunk_size(10, 5000, with_grad=False) == 1  # never less than one
    with pytest.raises(ValueError):
        with class_blocks(0):
            pass


@pytest.mark.parametrize("budget", [1, 310 * 7])  # one class a block; 7 classes a block (310 elements a class here)
def test_late_interaction_in_blocks_equals_all_classes_at_once(budget: int) -> None:
    text = TextSide(_ragged_bank(41, 16))
    frames = _frames()
    with class_blocks(WHOLE):
        whole_v2t, whole_t2v = late_interaction_parts(frames, text.prompts, text.prompt_mask)
    source = RecordingPrompts(text.prompts, text.prompt_mask)
    with class_blocks(budget):
        v2t, t2v = late_interaction_parts(frames, source)
        from_text = late_interaction(frames, text.class_prompts)  # padded block by block from the bank's rows
    size = 1 if budget == 1 else 7
    assert source.calls == [(s, min(41, s + size)) for s in range(0, 41, size)]  # really in blocks, every class once
    _same(v2t, whole_v2t)
    _same(t2v, whole_t2v)
    _same(from_text, 0.5 * (whole_v2t + whole_t2v))
    assert torch.equal(from_text.argsort(dim=1), (0.5 * (whole_v2t + whole_t2v)).argsort(dim=1))


def test_the_text_sides_blocks_are_its_padded_prompts() -> None:
    text = TextSide(_ragged_bank(13, 8))
    prompts, mask = text.class_prompts.block(3, 9)  # built from the rows: the full padding was never made
    assert "_padded" not in text.__dict__
    assert torch.equal(prompts, text.prompts[3:9]) and torch.equal(mask, text.prompt_mask[3:9])
    assert text.class_prompts.width == max(text.bank.texts_per_class) == 5
    uniform = TextSide(synthetic_bank(9, 4, 8))  # no padding: a block is a view of the bank's rows
    prompts, mask = uniform.class_prompts.block(2, 5)
    assert prompts.data_ptr() == uniform.embeddings[8].data_ptr() and bool(mask.all())
    assert torch.equal(prompts, uniform.prompts[2:5])


def test_late_interaction_gradients_in_blocks_equal_the_whole() -> None:
    text = TextSide(_ragged_bank(23, 16))
    weights = torch.randn(3, 23, generator=torch.Generator().manual_seed(5))

    def grads(budget: int) -> tuple[torch.Tensor, ...]:
        frames = _frames().requires_grad_(True)
        vectors = text.embeddings.clone().requires_grad_(True)  # as a tuned text tower's re-encoded vectors
        with class_blocks(budget, budget):
            scores = late_interaction(frames, text.with_embeddings(vectors).class_prompts)
        (scores * weights).sum().backward()
        return scores.detach(), frames.grad, vectors.grad

    whole, chunked = grads(WHOLE), grads(310 * 4)
    _same(chunked[0], whole[0])
    for a, b in zip(chunked[1:], whole[1:], strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
        assert a.abs().sum() > 0


def test_blocks_are_recomputed_in_the_backward_pass() -> None:
    calls: list[tuple[int, int]] = []
    x = torch.randn(4, 6, requires_grad=True)

    def score(start: int, stop: int) -> tuple[torch.Tensor]:
        calls.append((start, stop))
        return (x[:, start:stop].exp(),)

    with class_blocks(4):  # one element a class: blocks of 4 classes
        (out,) = over_class_chunks(score, 6, 1, (1,), with_grad=True)
    assert calls == [(0, 4), (4, 6)]
    out.sum().backward()
    assert calls == [(0, 4), (4, 6), (4, 6), (0, 4)]  # each block again in the backward pass (checkpoint)
    torch.testing.assert_close(x.grad, x.detach().exp())
    calls.clear()
    with class_blocks(4):
        over_class_chunks(score, 6, 1, (1,), with_grad=False)
    assert calls == [(0, 4), (4, 6)]


def test_scores_nobody_differentiates_use_the_inference_budget() -> None:
    # Grad mode on (a script without no_grad) but no input requires grad: blocks as at test time.
    frames, prompts = _frames(), torch.randn(40, 2, 16)
    source = RecordingPrompts(prompts, None)
    with class_blocks(2 * (2 * 15 + 2 * 16) * 10, 1 << 40):  # 10 classes a block at inference, one block with grad
        late_interaction(frames, source)
        calls_without_grad = len(source.calls)
        source.calls.clear()
        late_interaction(frames.requires_grad_(True), source)
    assert calls_without_grad == 4
    assert len(source.calls) == 1


def test_cosines_and_best_prompts_in_blocks_equal_all_classes_at_once() -> None:
    generator = torch.Generator().manual_seed(3)
    frames = torch.randn(4, 6, 16, generator=generator)
    classifier = torch.randn(57, 16, generator=generator)
    text = TextSide(_ragged_bank(19, 16, seed=2))
    with class_blocks(WHOLE):
        pooled, cosines = mean_pooled_cosine(frames, classifier), cosine_logits(frames, classifier, 50.0)
        index, best = best_prompt_per_frame(frames, text.prompts, text.prompt_mask)
    with class_blocks(40):
        _same(mean_pooled_cosine(frames, classifier), pooled)
        _same(cosine_logits(frames, classifier, 50.0), cosines, 50.0)
        chunked_index, chunked_best = best_prompt_per_frame(frames, text.class_prompts)
    assert torch.equal(chunked_index, index)
    _same(chunked_best, best)
    assert cosines.shape == (4, 6, 57)
    # and with gradients: the classifier's and the frames'
    grads = []
    for budget in (WHOLE, 40):
        x, w = frames.clone().requires_grad_(True), classifier.clone().requires_grad_(True)
        with class_blocks(budget, budget):
            (mean_pooled_cosine(x, w).sum() + cosine_logits(x, w, 50.0).square().mean()).backward()
        grads.append((x.grad, w.grad))
    for a, b in zip(grads[0], grads[1], strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


MODELS = {
    "vifi-clip": {},
    "ap-clip": {},
    "stdd": {},
    "sc-clip": {"inverse_temperature": 100.0, "fusion_threshold": 0.6},
    "da-sti": {},
}
NUM_CLASSES = 29


def _model_text(name: str) -> TextSide:
    if name == "da-sti":
        names = [f"action {k}" for k in range(NUM_CLASSES)]
        return TextSide(attributes_bank(names, {n: ["ball", "kick", "run"][: 1 + k % 3] for k, n in enumerate(names)}))
    if name in ("ap-clip", "stdd"):
        return TextSide(_ragged_bank(NUM_CLASSES, 32, seed=4))
    return TextSide(synthetic_bank(NUM_CLASSES, 1, 32, seed=4))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_models_test_scores_in_blocks_equal_all_classes_at_once(name: str) -> None:
    model = build_model(name, backbone=TINY, pretrained="random", frames=4, **MODELS[name]).eval()
    text = _model_text(name)
    video = torch.randn(2, 4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    views = video.unsqueeze(1)
    results = {}
    with torch.inference_mode():
        for label, budget in (("whole", WHOLE), ("blocks", 64)):  # 64 elements: one class a block for every model
            with class_blocks(budget):
                plain = model.view_scores(views, text, "mean-logits")
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    mixed = model.view_scores(views, text, "mean-logits")
            results[label] = (plain, mixed)
    assert results["blocks"][1].dtype == torch.float32  # the final logits stay fp32 under bf16 autocast
    scale = float(model.scale())
    for chunked, whole in zip(results["blocks"], results["whole"], strict=True):
        _same(chunked, whole, scale)
        assert torch.equal(chunked.argsort(dim=1), whole.argsort(dim=1))
    assert results["whole"][0].shape == (2, NUM_CLASSES)


@pytest.mark.parametrize("name", ["ap-clip", "sc-clip", "da-sti"])
def test_training_gradients_in_blocks_equal_all_classes_at_once(name: str) -> None:
    text = _model_text(name)
    video = torch.randn(4, 4, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 3, 3, 7])
    soft = F.one_hot(labels, NUM_CLASSES).float()
    targets = TrainTargets(labels, soft, torch.ones(4, dtype=torch.bool))
    runs = []
    for budget in (WHOLE, 64):
        torch.manual_seed(0)  # the same added modules (SC-CLIP's adapters are drawn from torch's generator)
        model = build_model(name, backbone=TINY, pretrained="random", frames=4, seed=0, **MODELS[name]).train()
        with class_blocks(budget, budget):
            output = model(video, text)
            model.loss(output, targets, text).loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        runs.append((output.logits.detach(), grads))
    (whole_logits, whole_grads), (chunk_logits, chunk_grads) = runs
    _same(chunk_logits, whole_logits, float(model.scale()))
    assert chunk_grads.keys() == whole_grads.keys() and whole_grads
    for key, value in whole_grads.items():
        torch.testing.assert_close(chunk_grads[key], value, atol=1e-5, rtol=1e-4, msg=key)
