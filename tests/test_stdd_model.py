"""The ``stdd`` model: starts as CLIP, no new parameters, eq. (8) alignment, distillation gradient, learning,
weight averaging, profile and recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from zsar_helpers import (  # noqa: F401
    TINY,
    assert_every_training_video_right,
    names_bank,
    synthetic,
    synthetic_bank,
    train_tiny_model,
)

from kgen.errors import InputError
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.config import apply_overrides
from zsar.engine.profile import profile_model
from zsar.engine.recipes import load_recipe
from zsar.engine.weight_average import averaging_coefficients
from zsar.models import TrainTargets, build_model
from zsar.models.stdd.spacetime_attention import SpaceTimeCrossAttentionBlock
from zsar.models.textside import TextSide

CLASSES = ["archery", "bowling", "juggling balls", "surfing water"]


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _stdd(**options):
    return build_model("stdd", backbone=TINY, pretrained="random", frames=4, **options)


def test_every_block_is_replaced_and_no_parameter_is_added() -> None:
    model = _stdd(distillation_weight=0)
    plain = build_model("vifi-clip", backbone=TINY, pretrained="random", frames=4)
    assert all(isinstance(block, SpaceTimeCrossAttentionBlock) for block in model.backbone.blocks)
    assert model.total_parameter_count() == plain.total_parameter_count()
    assert model.tunable_parameter_count() == plain.tunable_parameter_count()
    # the blocks carry CLIP's weights unchanged
    for key, value in plain.backbone.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[key], value)


def test_vit_b16_has_exactly_the_plain_vits_parameters() -> None:
    model = build_model("stdd", backbone="ViT-B-16", pretrained="random", distillation_weight=0)
    plain = build_model("vifi-clip", backbone="ViT-B-16", pretrained="random")
    assert model.total_parameter_count() == plain.total_parameter_count()
    assert sum(p.numel() for p in model.backbone.visual.parameters()) == 86_192_640  # CLIP ViT-B/16 image tower


def test_with_masking_and_mixing_off_the_model_computes_clips_frame_features() -> None:
    model = _stdd(window_shift_masking=False, channel_mixing="off").eval()
    plain = build_model("vifi-clip", backbone=TINY, pretrained="random", frames=4).eval()
    video = _video()
    with torch.no_grad():
        torch.testing.assert_close(model.frame_embeddings(video), plain.frame_embeddings(video))
        changed = _stdd().eval().frame_embeddings(video)
    assert not torch.allclose(changed, plain.frame_embeddings(video))


def test_alignment_scores_equal_a_hand_computation_of_eq_8() -> None:
    model = _stdd().eval()
    # 3 classes with 1, 3 and 2 prompts
    per_class = [torch.randn(n, 32, generator=torch.Generator().manual_seed(n)) for n in (1, 3, 2)]
    from bank_helpers import bank_from_embeddings

    text = TextSide(bank_from_embeddings(per_class))
    video = _video()
    with torch.no_grad():
        logits = model(video, text).logits
        z = F.normalize(model.frame_embeddings(video), dim=-1)
        scale = float(model.scale())
    for n in range(2):
        for k, prompts in enumerate(per_class):
            c = F.normalize(prompts, dim=-1)
            v2t = sum(max(float(z[n, t] @ c[j]) for j in range(len(c))) for t in range(4)) / 4
            t2v = sum(max(float(z[n, t] @ c[j]) for t in range(4)) for j in range(len(c))) / len(c)
            assert float(logits[n, k]) == pytest.approx(scale * (v2t + t2v) / 2, rel=1e-4, abs=1e-4)


def test_evaluation_is_deterministic_unless_test_shuffle_is_asked_for() -> None:
    video = _video()
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))
    model = _stdd().eval()
    with torch.no_grad():
        assert torch.equal(model(video, text).logits, model(video, text).logits)
    shuffled = _stdd(temporal_shuffle_at_test=True).eval()
    torch.manual_seed(0)
    with torch.no_grad():
        runs = [shuffled(video, text).logits for _ in range(4)]
    assert any(not torch.equal(runs[0], other) for other in runs[1:])


def test_distillation_has_a_gradient_and_reaches_the_projector() -> None:
    model = _stdd().train()
    text = TextSide(names_bank(CLASSES, prompts_per_class=2))
    output = model(_video(), text)
    assert "distillation" in output.extras and float(output.extras["distillation"].detach()) > 0
    assert output.extras["distillation"].requires_grad
    hard = torch.tensor([0, 1])
    loss = model.loss(output, TrainTargets(hard, F.one_hot(hard, 4).float(), torch.ones(2, dtype=torch.bool)), text)
    assert set(loss.parts) == {"ce", "distillation"}
    assert float(loss.loss.detach()) == pytest.approx(loss.parts["ce"] + 2.0 * loss.parts["distillation"], rel=1e-5)
    output.extras["distillation"].backward()
    second_layer = model.projector.net[2].weight.grad
    assert second_layer is not None and float(second_layer.abs().sum()) > 0  # the release's no_grad bug is not repeated
    assert float(model.backbone.visual.proj.grad.abs().sum()) > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    # without distillation there is no teacher and no projector
    bare = _stdd(distillation_weight=0)
    assert bare.teacher is None and bare.projector is None


def test_bad_options_are_refused() -> None:
    with pytest.raises(InputError, match="cannot be cut"):
        build_model("stdd", backbone="ViT-B-32", pretrained="random", distillation_weight=0)  # 7x7 grid
    with pytest.raises(InputError, match="continual mixing at scale 3"):
        _stdd(channel_fold=32, temporal_scales=[1, 3])  # d = 64/32 = 2 channels: bands 2, 1, then none
    with pytest.raises(InputError, match="channel_mixing"):
        apply_overrides(load_recipe("stdd-zero-shot-k400"), ["model.channel_mixing=both"])


def test_averaging_coefficients() -> None:
    assert averaging_coefficients([2, 3, 4, 5], "uniform") == [0.25] * 4
    ema = averaging_coefficients([1, 2, 3], "ema")
    assert ema == pytest.approx([0.81, 0.09, 0.1])  # 0.9^2, 0.1*0.9, 0.1
    gaussian = averaging_coefficients([5, 15, 25], "gaussian")
    assert gaussian[1] > gaussian[0] == pytest.approx(gaussian[2])


@pytest.mark.slow
def test_a_tiny_stdd_learns_four_synthetic_classes_and_averages_its_epochs(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    bank = synthetic_bank(synthetic, prompts_per_class=2)
    config, _ = train_tiny_model(
        synthetic, bank, tmp_path / "run", steps=32,
        model={"name": "stdd", "backbone": TINY, "pretrained": "random", "frames": 4},
        optim={"epochs": 16, "global_batch_size": 4, "lr": 1e-3},
        train={"save_epoch_weights": True, "weight_average": "uniform", "weight_average_start": 15},
    )
    averaged = tmp_path / "run" / "checkpoints" / "averaged.pt"
    payload = load_checkpoint(averaged)
    assert payload["weight_average"]["epochs"] == [15, 16]
    epoch15 = load_checkpoint(tmp_path / "run" / "checkpoints" / "epoch_015.pt")["model"]
    epoch16 = load_checkpoint(tmp_path / "run" / "checkpoints" / "epoch_016.pt")["model"]
    key = "backbone.visual.proj"
    torch.testing.assert_close(payload["model"][key], (epoch15[key] + epoch16[key]) / 2)
    # the command writes the same average
    result = run_cli("average-weights", str(tmp_path / "run"), "--start", "15", "--out", str(tmp_path / "avg.pt"))
    assert result.exit_code == 0, result.stderr
    torch.testing.assert_close(load_checkpoint(tmp_path / "avg.pt")["model"][key], payload["model"][key])
    # every training video right, evaluated afresh from the averaged checkpoint
    assert_every_training_video_right(config, synthetic, bank, averaged, aggregation="joint-frames")


def test_average_weights_command_explains_missing_epoch_weights(tmp_path: Path, run_cli) -> None:
    result = run_cli("average-weights", str(tmp_path))
    assert result.exit_code == 2 and "save_epoch_weights" in result.stderr


def test_kgen_profile_reports_stdd_with_the_extra_attention_per_scale(run_cli) -> None:
    result = run_cli("profile", "--model", "stdd", "--backbone", TINY, "--frames", "4", "--classes", "5", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    vifi = profile_model("vifi-clip", backbone=TINY, frames=4, num_classes=5)
    one_scale = profile_model("stdd", backbone=TINY, frames=4, num_classes=5)
    assert report["gflops_per_view"] == one_scale.gflops_per_view > vifi.gflops_per_view
