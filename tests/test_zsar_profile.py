"""``kgen profile``: parameters and GFLOPs (one multiply-add = one flop) of the video side."""

from __future__ import annotations

import json

import pytest
import torch
from zsar_helpers import TINY

from zsar.models import build_model
from zsar.profile import count_gflops, profile_model
from zsar.textside import TextSide, synthetic_bank


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


def test_profile_report_for_the_tiny_model() -> None:
    report = profile_model("ap-clip", backbone=TINY, frames=8, views=3)
    visual = sum(p.numel() for p in build_model("ap-clip", backbone=TINY, pretrained="random").backbone.parameters())
    assert report.total_params == visual + 1  # the image tower and the logit scale; no text encoder
    assert report.tunable_params == visual  # the logit scale is frozen
    assert report.views == 3 and report.gflops_per_view == pytest.approx((8 * _tiny_frame_macs() + 8 * 400 * 36 * 32) / 1e9, abs=5e-4)


def test_kgen_profile_json(run_cli) -> None:
    result = run_cli("profile", "--model", "vifi-clip", "--backbone", TINY, "--frames", "4", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["model", "backbone", "frames", "views", "total_params", "tunable_params", "gflops_per_view"]
    assert (data["model"], data["backbone"], data["frames"], data["views"]) == ("vifi-clip", TINY, 4, 1)
    table = run_cli("profile", "--model", "vifi-clip", "--backbone", TINY, "--views", "2")
    assert "GFLOPs per view" in table.stdout and "multiply-adds" in table.stdout


@pytest.mark.slow
def test_vit_b16_at_8x224_matches_the_papers_convention() -> None:
    report = profile_model("vifi-clip", backbone="ViT-B-16", frames=8)
    assert report.gflops_per_view == pytest.approx(140.5, abs=0.1)  # the peers' 140.5 (17.56 per frame)
    assert report.total_params - 1 == 86_192_640  # 86.19 M visual parameters, plus the logit scale
    assert report.tunable_params == 86_192_640
