"""Issue 19 moved zsar/ into folders and composed the recipes: nothing a run computes may change.

The files in ``tests/data/layout/`` were written by the code before the move (commit d27646a):

* ``resolved_recipes.json``: every built-in recipe resolved and validated
  (``load_recipe(name).model_dump(mode="json")``) and its training fingerprint (an unfinished
  run resumes only when its config still has the same fingerprint);
* ``profile_tiny.json`` / ``profile_vit_b16.json``: ``kgen profile --json`` of every model, on
  the tiny random ViT (checked here) and on ViT-B/16 at 8 frames (too slow for the suite: compare
  by hand, see the README there);
* ``logits.json`` and ``da-sti.pt``: see ``make_checkpoints.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from zsar_helpers import TINY

from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.optim import build_optimizer
from zsar.engine.rebuild import checkpoint_config, rebuild_model
from zsar.engine.recipes import list_recipes, load_recipe
from zsar.models import available_models, build_model
from zsar.models.textside import TextSide
from zsar.models.textside import synthetic_bank as random_bank

GOLDEN = Path(__file__).parent / "data" / "layout"
FRAMES = 4
OPTIONS: dict[str, dict] = {"sc-clip": {"trainable_blocks": [2]}}  # as make_checkpoints.py


def _golden(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def _probe(model_name: str) -> tuple[torch.Tensor, TextSide]:
    clip = torch.randn(2, FRAMES, 3, 64, 64, generator=torch.Generator().manual_seed(19))
    text = TextSide(random_bank(5, 3, 32, seed=19, tokens_per_text=6 if model_name == "da-sti" else 0))
    return clip, text


def test_every_recipe_resolves_to_the_config_it_had_before_the_move() -> None:
    golden = _golden("resolved_recipes.json")
    assert sorted(list_recipes()) == sorted(golden)
    for name, expected in golden.items():
        config = load_recipe(name)
        assert config.model_dump(mode="json") == expected["config"], name
        assert config.training_fingerprint() == expected["training_fingerprint"], name


@pytest.mark.parametrize("model_name", sorted(_golden("profile_tiny.json")))
def test_kgen_profile_prints_the_numbers_it_printed_before_the_move(model_name: str, run_cli) -> None:
    options = [f"--set=model.{key}={json.dumps(value)}" for key, value in OPTIONS.get(model_name, {}).items()]
    result = run_cli("profile", "--video-model", model_name, "--clip-model", TINY, "--frames", "8", "--classes", "5", *options, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == _golden("profile_tiny.json")[model_name]


@pytest.mark.parametrize("model_name", ["ap-clip", "da-sti", "sc-clip", "stdd", "vifi-clip"])
def test_a_model_built_afresh_computes_what_it_computed_before_the_move(model_name: str) -> None:
    assert model_name in available_models()
    torch.manual_seed(0)
    model = build_model(model_name, backbone=TINY, pretrained="random", frames=FRAMES, **OPTIONS.get(model_name, {})).eval()
    with torch.no_grad():
        logits = model(*_probe(model_name)).logits
    torch.testing.assert_close(logits, torch.tensor(_golden("logits.json")[f"{model_name} fresh"]))


def test_a_checkpoint_written_before_the_move_loads_resumes_and_scores_the_same() -> None:
    payload = load_checkpoint(GOLDEN / "da-sti.pt")
    config = checkpoint_config(payload)
    # An unfinished run resumes only when its config still hashes to the stored fingerprint.
    assert not payload["progress"]["finished"]
    assert config.training_fingerprint() == payload["fingerprint"]
    model, _ = rebuild_model(payload)
    optimizer = build_optimizer(model, config.optim, torch.device("cpu"))
    optimizer.load_state_dict(payload["optimizer"])  # the parameter groups still fit
    with torch.no_grad():
        logits = model(*_probe("da-sti")).logits
    torch.testing.assert_close(logits, torch.tensor(_golden("logits.json")["da-sti trained"]))
