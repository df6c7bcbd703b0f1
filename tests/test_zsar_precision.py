"""Final similarities and logits are float32 under bf16 autocast, in training and at test (issue 15, point 3).

In bf16 (8 bits of mantissa) logits of scale ~100 fall on a grid of 0.25-0.5: a 400-class row keeps
only a few dozen distinct values and close classes tie. Here the embeddings may be bf16 but the
cosines and logits are computed in float32: a 400-class row keeps 400 distinct values.
"""

from __future__ import annotations

import pytest
import torch
from dasti_helpers import attributes_bank
from zsar_helpers import TINY, names_bank

from zsar.models import TrainTargets, build_model
from zsar.models.similarity import late_interaction
from zsar.models.textside import TextSide, synthetic_bank

MODELS = {
    "vifi-clip": {},
    "ap-clip": {},
    "stdd": {},
    "sc-clip": {"inverse_temperature": 100.0, "fusion_threshold": 0.6},
    "da-sti": {},
}


def _text(name: str, classes: int = 400) -> TextSide:
    if name == "da-sti":
        return TextSide(attributes_bank([f"action {k}" for k in range(classes)], {f"action {k}": ["ball", "kick"] for k in range(classes)}))
    per_class = 3 if name in ("ap-clip", "stdd") else 1
    return TextSide(synthetic_bank(classes, per_class, 32, seed=1))


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("training", [False, True])
def test_logits_are_float32_with_distinct_values_under_bf16_autocast(name: str, training: bool) -> None:
    model = build_model(name, backbone=TINY, pretrained="random", frames=4, **MODELS[name]).train(training)
    text = _text(name)
    video = torch.randn(2, 4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.set_grad_enabled(training):
        output = model(video, text)
        scores = model.view_scores(video.unsqueeze(1), text, "mean-logits") if not training else output.logits
    assert output.logits.dtype == torch.float32
    assert scores.dtype == torch.float32
    for row in output.logits.detach():
        assert len(torch.unique(row)) == 400  # bf16 logits would keep only a few dozen values
    for extra in output.extras.values():
        if extra.ndim == 2 and extra.shape[-1] == 400:
            assert extra.dtype == torch.float32  # SC-CLIP's auxiliary logits as well
    if training:
        labels = torch.tensor([0, 1])
        targets = TrainTargets(labels, torch.nn.functional.one_hot(labels, 400).float(), torch.ones(2, dtype=torch.bool))
        assert model.loss(output, targets, text).loss.dtype == torch.float32


def test_a_bf16_row_really_collapses() -> None:
    # What the fp32 scores prevent, on CLIP-like numbers: every class cosine near 0.25 (logits near 25).
    generator = torch.Generator().manual_seed(2)
    common = torch.nn.functional.normalize(torch.randn(32, generator=generator), dim=0)
    classes = torch.nn.functional.normalize(common + 0.15 * torch.randn(400, 32, generator=generator) / 32**0.5, dim=-1)
    frames = (0.3 * common + torch.nn.functional.normalize(torch.randn(1, 4, 32, generator=generator), dim=-1)).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        bf16 = 100 * (torch.nn.functional.normalize(frames.mean(1), dim=-1) @ classes.t())  # autocast: a bf16 matmul
        fp32 = 100 * late_interaction(frames, classes.unsqueeze(1))
    assert bf16.dtype == torch.bfloat16 and len(torch.unique(bf16)) < 100
    assert fp32.dtype == torch.float32 and len(torch.unique(fp32)) == 400


def test_names_bank_logits_keep_their_order_under_autocast() -> None:
    # The fp32 scores of bf16 embeddings rank classes as the fp32 model does (close, not tied).
    text = TextSide(names_bank(["archery", "bowling", "juggling balls", "surfing water"], prompts_per_class=2))
    model = build_model("ap-clip", backbone=TINY, pretrained="random", frames=4).eval()
    video = torch.randn(3, 4, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        exact = model(video, text).logits
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = model(video, text).logits
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, exact, atol=0.5, rtol=0.02)
