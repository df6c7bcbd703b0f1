"""The ``da-sti`` model: wiring against frozen open_clip, what trains, the bank it needs, learning, profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from dasti_helpers import attribute_sentence, attributes_bank, encode_tokens
from zsar_helpers import TINY, assert_a_tiny_model_learns, names_bank, synthetic, tiny_clip  # noqa: F401

from kgen.errors import InputError
from zsar.engine.profile import profile_model
from zsar.models import TrainTargets, build_model
from zsar.models.da_sti.attribute_interaction import (
    aggregate_frames,
    spatial_scores,
    temporal_saliency,
)
from zsar.models.da_sti.model import DaSti
from zsar.models.textside import TextSide

CLASSES = ["archery", "bowling", "juggling balls", "surfing water"]
KEYWORDS = {
    "archery": ["bow", "arrow", "target"],
    "bowling": ["ball", "pins", "lane", "strike"],
    "juggling balls": ["hands", "throw"],
}


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _targets(labels: list[int], num_classes: int = len(CLASSES)) -> TrainTargets:
    hard = torch.tensor(labels)
    return TrainTargets(hard, F.one_hot(hard, num_classes).float(), torch.ones(len(labels), dtype=torch.bool))


def test_the_model_is_registered_and_refuses_unknown_options() -> None:
    model = build_model("da-sti", backbone=TINY, pretrained="random")
    assert isinstance(model, DaSti) and model.NAME == "da-sti"
    with pytest.raises(Exception, match="spatail"):
        build_model("da-sti", backbone=TINY, pretrained="random", spatail=False)


def test_before_training_scores_compose_frozen_open_clip_with_eq6_to_eq10() -> None:
    text = TextSide(attributes_bank(CLASSES, KEYWORDS))
    model = build_model("da-sti", backbone=TINY, pretrained="random").eval()
    video = _video()
    with torch.no_grad():
        output = model(video, text)
        visual = tiny_clip().model.visual
        visual.output_tokens = True
        try:
            pooled, tokens = visual(video.flatten(0, 1))
        finally:
            visual.output_tokens = False
    frames = pooled.unflatten(0, (2, 4))  # v: encode_image per frame
    patches = (tokens @ visual.proj).unflatten(0, (2, 4))  # open_clip's tokens are pre-projection (pitfall 8)
    words = text.bank.token_features
    mask = text.bank.token_mask
    a = F.relu(words)  # W_w and W_p start at the identity
    spatial = spatial_scores(F.relu(patches), a, mask)
    features = aggregate_frames(frames, temporal_saliency(frames, a, mask, spatial, 0.01))
    expected = tiny_clip().model.logit_scale.exp() * torch.einsum(
        "bcd,cd->bc", F.normalize(features, dim=-1), F.normalize(text.bank.embeddings, dim=-1)
    )
    assert torch.allclose(output.logits, expected, atol=1e-4)
    assert torch.allclose(output.extras["spatial"], spatial, atol=1e-5)


def test_without_interactions_the_model_scores_the_mean_frame_like_vifi_clip() -> None:
    bank = attributes_bank(CLASSES, KEYWORDS)
    plain = build_model("da-sti", backbone=TINY, pretrained="random", spatial=False, temporal=False).eval()
    vifi = build_model("vifi-clip", backbone=TINY, pretrained="random").eval()
    video = _video(frames=3)
    with torch.no_grad():
        assert torch.allclose(plain(video, TextSide(bank)).logits, vifi(video, TextSide(bank)).logits, atol=1e-5)


def test_only_the_intended_parameters_get_gradients() -> None:
    text = TextSide(attributes_bank(CLASSES, KEYWORDS))
    model = build_model("da-sti", backbone=TINY, pretrained="random")  # 3 blocks: the last half is block 2
    output = model(_video(batch=4), text)
    model.loss(output, _targets([0, 1, 0, 3]), text).loss.backward()
    with_grad = {name for name, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    block = "backbone.visual.transformer.resblocks.2."
    expected = {name for name, _ in model.named_parameters() if name.startswith(block)} | {
        "backbone.visual.ln_post.weight", "backbone.visual.ln_post.bias", "backbone.visual.proj",
        "interaction.patch_projection.linear.weight", "interaction.patch_projection.linear.bias",
        "interaction.word_projection.linear.weight", "interaction.word_projection.linear.bias",
    }
    assert with_grad == expected
    assert {name for name, p in model.named_parameters() if p.requires_grad} == expected
    assert not text.bank.token_features.requires_grad


def test_vit_b16_trains_its_last_six_blocks() -> None:
    model = build_model("da-sti", backbone="ViT-B-16", pretrained="random", tune_projection=False)
    trainable_blocks = {
        int(name.split(".")[4]) for name, p in model.named_parameters() if p.requires_grad and ".resblocks." in name
    }
    assert trainable_blocks == set(range(6, 12))
    assert not model.backbone.visual.conv1.weight.requires_grad and not model.backbone.visual.proj.requires_grad
    # 6 ViT-B blocks (7,087,872 each) + W_p and W_w (512 x 512 + 512 each)
    assert model.tunable_parameter_count() == 6 * 7_087_872 + 2 * (512 * 512 + 512)


def test_bank_requirements() -> None:
    model = build_model("da-sti", backbone=TINY, pretrained="random")
    with pytest.raises(InputError, match="no per-token features") as info:
        model.check_text(TextSide(names_bank(CLASSES)))
    assert "--kind attributes" in (info.value.hint or "")
    pooled, tokens, mask = encode_tokens([attribute_sentence(c, []) for c in CLASSES] + ["another sentence"])
    from bank_helpers import bank_from_embeddings

    two_for_first = bank_from_embeddings(
        [pooled[0:1], pooled[1:2], pooled[2:3], torch.cat([pooled[3:4], pooled[4:5]])], class_names=CLASSES,
        token_features=[tokens[0:1], tokens[1:2], tokens[2:3], tokens[3:5]],
        token_mask=[mask[0:1], mask[1:2], mask[2:3], mask[3:5]],
    )
    with pytest.raises(InputError, match="exactly one attribute sentence"):
        model.check_text(TextSide(two_for_first))


def test_symmetric_loss_refuses_mixed_targets_and_cross_entropy_accepts_them() -> None:
    text = TextSide(attributes_bank(CLASSES, KEYWORDS))
    model = build_model("da-sti", backbone=TINY, pretrained="random")
    output = model(_video(), text)
    smooth = TrainTargets(torch.tensor([0, 1]), torch.full((2, 4), 0.25), torch.ones(2, dtype=torch.bool))
    with pytest.raises(InputError, match="hard labels"):
        model.loss(output, smooth, text)
    ce = build_model("da-sti", backbone=TINY, pretrained="random", loss="cross-entropy")
    assert float(ce.loss(ce(_video(), text), smooth, text).loss.detach()) > 0


def test_padding_of_the_word_tokens_does_not_change_the_scores() -> None:
    bank = attributes_bank(CLASSES, KEYWORDS)
    model = build_model("da-sti", backbone=TINY, pretrained="random").eval()
    noisy = attributes_bank(CLASSES, KEYWORDS)
    assert noisy.token_features is not None and noisy.token_mask is not None
    noisy.token_features[~noisy.token_mask] = torch.randn(int((~noisy.token_mask).sum()), 32) * 50
    video = _video()
    with torch.no_grad():
        assert torch.allclose(model(video, TextSide(bank)).logits, model(video, TextSide(noisy)).logits, atol=1e-5)


def test_a_tiny_da_sti_learns_four_synthetic_classes(tmp_path: Path, synthetic) -> None:  # noqa: F811
    bank = attributes_bank(synthetic.class_names, dataset=Path(synthetic.classes_file).stem)
    # Every training video right when evaluated afresh from the checkpoint (all 4 classes scored).
    assert_a_tiny_model_learns(
        synthetic, bank, tmp_path / "run", steps=40, aggregation="mean-logits",
        model={"name": "da-sti", "backbone": TINY, "pretrained": "random", "frames": 4},
        optim={"epochs": 20, "global_batch_size": 4, "lr": 1e-3},
    )


def test_kgen_profile_reports_da_sti(run_cli) -> None:
    result = run_cli("profile", "--model", "da-sti", "--backbone", TINY, "--frames", "4", "--classes", "5", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"] == "da-sti" and 0 < report["tunable_params"] < report["inference_params"] + report["training_only_params"]
    vifi = profile_model("vifi-clip", backbone=TINY, frames=4, num_classes=5)
    more_classes = profile_model("da-sti", backbone=TINY, frames=4, num_classes=50)
    # The head costs extra and grows with the number of classes (each class conditions the video feature).
    assert vifi.gflops_per_view < report["gflops_per_view"] < more_classes.gflops_per_view
