"""``kgen profile``: parameters and GFLOPs (one multiply-add = one flop) of the video side."""

from __future__ import annotations

import json

import pytest
import torch
from zsar_helpers import TINY

from zsar.engine.profile import count_gflops, profile_model
from zsar.models import build_model
from zsar.models.textside import TextSide, synthetic_bank


def _tiny_frame_macs() -> int:
    """Multiply-adds of one 64 px frame through kgen-tiny-vit, counted by hand."""
    tokens, width, mlp, blocks, embed = 65, 64, 256, 3, 32
    patch_embedding = 64 * width * (3 * 8 * 8)
    qkv = tokens * width * 3 * width
    attention = 2 * tokens * tokens * width  # q k^T and (attention) v
    out_proj = tokens * width * width
    mlp_macs = 2 * tokens * width * mlp
    return patch_embedding + blocks * (qkv + attention + out_proj + mlp_macs) + width * embed


@pytest.mark.parametrize(("name", "scoring"), [("ap-clip", 8 * 400 * 36 * 32), ("vifi-clip", 400 * 32)])
def test_gflops_equal_a_hand_count(name: str, scoring: int) -> None:
    model = build_model(name, backbone=TINY, pretrained="random").eval()
    text = TextSide(synthetic_bank(400, model.texts_per_class_for_profile, 32))
    video = torch.randn(1, 8, 3, 64, 64)
    expected = 8 * _tiny_frame_macs() + scoring
    assert count_gflops(model, video, text) * 1e9 == pytest.approx(expected, rel=1e-9)
    # The fused inference path of nn.MultiheadAttention is back on afterwards.
    assert torch.backends.mha.get_fastpath_enabled()


# kgen-tiny-vit's image tower counted by hand (kgen/clip/model_configs/kgen-tiny-vit.json: width 64, 3 blocks,
# 8 px patches at 64 px, embed 32): conv1 64*3*8*8, class embedding 64, positional 65*64, ln_pre 2*64,
# per block ln_1 128 + qkv 3*64*64+192 + out 64*64+64 + ln_2 128 + fc 64*256+256 + proj 256*64+64, ln_post 128, proj 64*32.
TINY_BLOCK = 128 + (3 * 64 * 64 + 192) + (64 * 64 + 64) + 128 + (64 * 256 + 256) + (256 * 64 + 64)
TINY_VISUAL = 12_288 + 64 + 4_160 + 128 + 3 * TINY_BLOCK + 128 + 2_048


def test_tiny_counts_by_hand() -> None:
    assert TINY_BLOCK == 49_984 and TINY_VISUAL == 168_768


def test_profile_report_for_the_tiny_model() -> None:
    report = profile_model("ap-clip", backbone=TINY, frames=8, views=3)
    assert report.inference_params == TINY_VISUAL + 1  # the image tower and the logit scale; no text encoder
    assert report.training_only_params == 0
    assert report.tunable_params == TINY_VISUAL  # the logit scale is frozen by default
    assert report.views == 3 and report.gflops_per_view == pytest.approx((8 * _tiny_frame_macs() + 8 * 400 * 36 * 32) / 1e9, abs=5e-4)
    tuned = profile_model("ap-clip", backbone=TINY, frames=8, options={"text_tower": "tuned", "train_logit_scale": True})
    # a tuned text tower is part of the model at test time (it encodes the classes): token embedding 49408*64
    # (frozen), positional 77*64, 2 blocks, ln_final 128, projection 64*32
    text_trained = 77 * 64 + 2 * TINY_BLOCK + 128 + 64 * 32
    assert tuned.inference_params == TINY_VISUAL + 1 + 49_408 * 64 + text_trained
    assert tuned.tunable_params == TINY_VISUAL + 1 + text_trained


def test_training_only_modules_are_counted_apart() -> None:
    stdd = profile_model("stdd", backbone=TINY, frames=4, num_classes=5)
    # the frozen teacher (a plain image tower) and the projector (two 32x32 layers) only run in training
    assert stdd.training_only_params == TINY_VISUAL + 2 * 32 * 32
    assert stdd.inference_params == TINY_VISUAL + 1  # exactly ViFi-CLIP's: STDD adds no parameter
    assert stdd.tunable_params == TINY_VISUAL + 2 * 32 * 32
    sc = profile_model("sc-clip", backbone=TINY, frames=4, num_classes=5)
    assert sc.training_only_params == TINY_BLOCK  # the auxiliary adapter (a width-64 block) feeds only L_a
    # image tower + logit scale + frozen copy of the last block + the adapter; tunable: last block + 2 adapters
    assert sc.inference_params == TINY_VISUAL + 1 + TINY_BLOCK + TINY_BLOCK
    assert sc.tunable_params == 3 * TINY_BLOCK
    assert sc.max_regions == 64 and sc.regions_per_video is not None and 1 <= sc.regions_per_video <= 64


def test_kgen_profile_json(run_cli) -> None:
    result = run_cli("profile", "--model", "vifi-clip", "--backbone", TINY, "--frames", "4", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["model", "backbone", "frames", "views", "inference_params", "training_only_params",
                          "tunable_params", "gflops_per_view", "regions_per_video", "max_regions"]
    assert (data["model"], data["backbone"], data["frames"], data["views"]) == ("vifi-clip", TINY, 4, 1)
    assert (data["inference_params"], data["training_only_params"]) == (TINY_VISUAL + 1, 0)
    table = run_cli("profile", "--model", "stdd", "--backbone", TINY, "--views", "2", "--frames", "4",
                    "--set", "model.temporal_scales=[1]")
    assert table.exit_code == 0, table.stderr
    assert "parameters at inference" in table.stdout and "training-only parameters" in table.stdout
    assert f"{TINY_VISUAL + 2 * 32 * 32:,}" in table.stdout and "multiply-adds" in table.stdout
    bad = run_cli("profile", "--model", "stdd", "--backbone", TINY, "--set", "temporal_scales=[1]")
    assert bad.exit_code == 2 and "model.KEY=VALUE" in bad.stderr


@pytest.mark.slow
def test_vit_b16_at_8x224_matches_the_papers_convention() -> None:
    report = profile_model("vifi-clip", backbone="ViT-B-16", frames=8)
    assert report.gflops_per_view == pytest.approx(140.5, abs=0.1)  # the peers' 140.5 (17.56 per frame)
    assert report.inference_params - 1 == 86_192_640  # 86.19 M visual parameters, plus the logit scale
    assert report.tunable_params == 86_192_640
