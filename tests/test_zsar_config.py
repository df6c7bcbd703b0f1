"""Run configs, recipes and overrides; ``kgen recipes`` and ``kgen train --print-config``."""

from __future__ import annotations

import pytest
import yaml

from kgen.errors import InputError
from zsar.engine.config import apply_overrides, config_from_dict
from zsar.engine.recipes import list_recipes, load_recipe


def test_every_builtin_recipe_is_valid() -> None:
    recipes = list_recipes()
    assert {"ap-clip-zero-shot-k400", "ap-clip-base-to-novel", "ap-clip-few-shot", "vifi-clip-zero-shot-k400"} <= set(recipes)
    for name in recipes:
        config = load_recipe(name)
        assert config.name == name


def test_overrides() -> None:
    config = load_recipe("ap-clip-few-shot")
    changed = apply_overrides(config, ["optim.lr=1e-5", "data.dataset=ucf101", "eval.temporal_views=3",
                                       "model.similarity=mean-pool", "optim.betas=[0.9, 0.999]", "data.video_root="])
    assert changed.optim.lr == 1e-5 and changed.data.dataset == "ucf101" and changed.eval.temporal_views == 3
    assert changed.model.similarity == "mean-pool" and changed.optim.betas == (0.9, 0.999) and changed.data.video_root is None
    assert config.optim.lr == 2e-6  # the original is untouched
    with pytest.raises(InputError, match="no option 'learning_rate'"):
        apply_overrides(config, ["optim.learning_rate=1"])
    with pytest.raises(InputError, match="no section 'optimizer'"):
        apply_overrides(config, ["optimizer.lr=1"])
    with pytest.raises(InputError, match="KEY=VALUE"):
        apply_overrides(config, ["optim.lr"])
    with pytest.raises(InputError, match="model.similarity"):
        apply_overrides(config, ["model.similarity=cosine"])


def test_model_sections_are_validated_by_the_model() -> None:
    base = load_recipe("ap-clip-few-shot").model_dump(mode="json")
    base["model"]["similarty"] = "late-interaction"
    with pytest.raises(InputError, match="similarty"):
        config_from_dict(base)
    base["model"] = {"name": "vifi-clip", "similarity": "late-interaction"}  # an AP-CLIP option on ViFi-CLIP
    with pytest.raises(InputError, match="similarity"):
        config_from_dict(base)
    base["model"] = {"name": "i3d"}
    with pytest.raises(InputError, match="unknown model 'i3d'"):
        config_from_dict(base)


def test_fingerprint_ignores_paths_and_workers_only() -> None:
    config = load_recipe("ap-clip-few-shot")
    same = apply_overrides(config, ["data.video_root=/elsewhere", "data.workers=1", "train.checkpoint_every_steps=5",
                                    "eval.temporal_views=4", "name=other"])
    assert same.training_fingerprint() == config.training_fingerprint()
    assert apply_overrides(config, ["optim.lr=1e-5"]).training_fingerprint() != config.training_fingerprint()
    assert apply_overrides(config, ["train.seed=1"]).training_fingerprint() != config.training_fingerprint()


def test_kgen_recipes(run_cli) -> None:
    listing = run_cli("recipes")
    assert listing.exit_code == 0 and "ap-clip-few-shot" in listing.stdout
    shown = run_cli("recipes", "ap-clip-zero-shot-k400")
    assert shown.exit_code == 0 and yaml.safe_load(shown.stdout)["model"]["name"] == "ap-clip"
    missing = run_cli("recipes", "i3d")
    assert missing.exit_code == 2 and "no built-in recipe" in missing.stderr


def test_kgen_train_print_config_applies_options(run_cli, tmp_path) -> None:
    result = run_cli("train", "--recipe", "ap-clip-zero-shot-k400", "--bank", "unused", "--train-list", "mine.txt",
                     "--video-root", str(tmp_path), "--set", "optim.global_batch_size=32", "--print-config")
    assert result.exit_code == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert config["data"]["train_list"] == "mine.txt" and config["data"]["video_root"] == str(tmp_path.resolve())
    assert config["optim"]["global_batch_size"] == 32 and config["data"]["dataset"] == "k400"
    classes = tmp_path / "c.txt"
    classes.write_text("a\nb\n")
    own = run_cli("train", "--recipe", "tiny-smoke", "--bank", "unused", "--classes", str(classes), "--print-config")
    own_config = yaml.safe_load(own.stdout)
    assert own_config["data"]["classes"] == str(classes.resolve()) and own_config["data"]["dataset"] is None


def test_kgen_train_without_a_training_list(run_cli) -> None:
    result = run_cli("train", "--recipe", "ap-clip-zero-shot-k400", "--bank", "unused")
    assert result.exit_code == 2 and "no training list" in result.stderr
