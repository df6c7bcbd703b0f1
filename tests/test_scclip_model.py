"""The ``sc-clip`` model: frozen dense tokens, what trains, the loss of eq. (7), learning, profile, recipes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from zsar_helpers import TINY, assert_a_tiny_model_learns, names_bank, synthetic, tiny_clip  # noqa: F401

from kgen.errors import InputError
from zsar.engine.profile import profile_model
from zsar.models import TrainTargets, build_model
from zsar.models.textside import TextSide

CLASSES = ["archery", "bowling", "juggling balls", "surfing water"]


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _targets(labels: list[int], num_classes: int = len(CLASSES)) -> TrainTargets:
    hard = torch.tensor(labels)
    return TrainTargets(hard, F.one_hot(hard, num_classes).float(), torch.ones(len(labels), dtype=torch.bool))


def _frozen_clip_dense_tokens(video: torch.Tensor) -> torch.Tensor:
    """The frozen open_clip's last-layer patch tokens after ln_post and proj, straight from open_clip."""
    visual = tiny_clip().model.visual
    visual.output_tokens = True
    try:
        with torch.no_grad():
            _, tokens = visual(video.flatten(0, 1))
    finally:
        visual.output_tokens = False
    return tokens @ visual.proj


def test_dense_tokens_are_the_frozen_clips_even_after_training_steps() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4, fusion_threshold=0.5)
    video = _video()
    expected = _frozen_clip_dense_tokens(video)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
    for _ in range(2):  # change the trained last block a lot
        optimizer.zero_grad()
        model.loss(model(video, text), _targets([0, 1]), text).loss.backward()
        optimizer.step()
    with torch.no_grad():
        shared, _ = model.backbone.run_blocks(model.backbone.embed(video.flatten(0, 1)), num_frames=4, stop=model.branch)
        dense = model.dense_tokens(shared, 2, 4)
    assert torch.allclose(dense.flatten(1, 3), expected.view(2, -1, expected.shape[-1]), atol=1e-5)
    last = model.backbone.blocks[-1]
    assert not torch.allclose(last.mlp.c_fc.weight, model.frozen_tail[-1].mlp.c_fc.weight)


def test_only_the_last_block_and_the_adapters_get_gradients() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4)
    model.train()
    model.loss(model(_video(batch=3), text), _targets([0, 1, 3]), text).loss.backward()
    with_grad = {name for name, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    expected = {
        name for name, _ in model.named_parameters()
        if name.startswith(("backbone.visual.transformer.resblocks.2.", "adapter.", "adapter_aux."))
    }
    assert with_grad == expected
    assert {name for name, p in model.named_parameters() if p.requires_grad} == expected


def test_vit_b16_tunable_parameters_are_the_papers_21_3m() -> None:
    model = build_model("sc-clip", backbone="ViT-B-16", pretrained="random", frames=8)
    # block 11 + adapter + auxiliary adapter, each a ViT-B block of 7,087,872 parameters
    assert model.tunable_parameter_count() == 3 * 7_087_872 == 21_263_616
    # Table 9 options: {10, 11} trains one more block; the frozen copy then starts at block 10
    wider = build_model("sc-clip", backbone="ViT-B-16", pretrained="random", frames=8, trainable_blocks=[10, 11])
    assert wider.tunable_parameter_count() == 4 * 7_087_872 and wider.branch == 10 and len(wider.frozen_tail) == 2
    with pytest.raises(InputError, match="block 12"):
        build_model("sc-clip", backbone=TINY, pretrained="random", trainable_blocks=[12])


def _cross_entropy_by_hand(logits: torch.Tensor, labels: list[int]) -> float:
    """Mean over clips of -log(exp(z_y) / sum_j exp(z_j)), in Python floats."""
    total = 0.0
    for row, label in zip(logits.tolist(), labels, strict=True):
        top = max(row)
        total += -(row[label] - top) + math.log(sum(math.exp(z - top) for z in row))
    return total / len(labels)


def test_loss_is_eq7_of_its_three_parts_by_hand() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4, alpha=0.3, beta=0.2,
                        inverse_temperature=40.0)
    model.train()
    output = model(_video(batch=3), text)
    labels = [0, 2, 2]
    loss = model.loss(output, _targets(labels), text)
    l_sc = _cross_entropy_by_hand(output.logits.detach(), labels)  # eq. (6)
    l_a = _cross_entropy_by_hand(output.extras["adapter_logits"].detach(), labels)
    l_q = _cross_entropy_by_hand(output.extras["query_logits"].detach(), labels)  # eq. (4)
    assert float(loss.loss.detach()) == pytest.approx(l_sc + 0.3 * l_a + 0.2 * l_q, rel=1e-5)  # eq. (7)
    assert loss.parts["l_sc"] == pytest.approx(l_sc, rel=1e-5) and loss.parts["l_q"] == pytest.approx(l_q, rel=1e-5)
    # logits are 1/tau times cosines: |logit| <= 40
    assert output.logits.abs().max() <= 40.0 + 1e-4
    # the auxiliary adapter feeds only L_a: it does not run at inference
    model.eval()
    with torch.no_grad():
        assert "adapter_logits" not in model(_video(batch=3), text).extras


def test_without_semantic_queries_the_last_block_scores_frames_like_clip() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4, semantic_queries=False,
                        inverse_temperature=100.0).eval()
    video = _video()
    clip = tiny_clip().model
    with torch.no_grad():
        frames = F.normalize(clip.encode_image(video.flatten(0, 1)), dim=-1).view(2, 4, -1)
        expected = (100.0 * frames @ text.classifier.t()).mean(dim=1)
        assert torch.allclose(model(video, text).logits, expected, atol=1e-4)


def test_a_video_scores_the_same_whatever_its_batch() -> None:
    text = TextSide(names_bank(CLASSES))
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4, fusion_threshold=0.6).eval()
    video = _video(batch=3)
    with torch.no_grad():
        together = model(video, text).logits
        alone = model(video[1:2], text).logits
    assert torch.allclose(together[1:2], alone, atol=1e-5)


def test_a_tiny_sc_clip_learns_four_synthetic_classes(tmp_path: Path, synthetic) -> None:  # noqa: F811
    bank = names_bank(synthetic.class_names, dataset=Path(synthetic.classes_file).stem)
    assert_a_tiny_model_learns(
        synthetic, bank, tmp_path / "run", steps=40, aggregation="mean-logits",
        model={"name": "sc-clip", "backbone": TINY, "pretrained": "random", "frames": 4,
               "fusion_threshold": 0.5, "inverse_temperature": 50.0, "trainable_blocks": [1, 2]},
        optim={"epochs": 20, "global_batch_size": 4, "lr": 1e-3},
    )


def test_kgen_profile_reports_sc_clip(run_cli) -> None:
    result = run_cli("profile", "--model", "sc-clip", "--backbone", TINY, "--frames", "4", "--classes", "5", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    vifi = profile_model("vifi-clip", backbone=TINY, frames=4, num_classes=5)
    assert report["model"] == "sc-clip" and 0 < report["tunable_params"] < report["inference_params"] + report["training_only_params"]
    assert report["gflops_per_view"] > vifi.gflops_per_view
