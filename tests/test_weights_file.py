"""Trained and averaged weights as plain safetensors files (format kgen.zsar.weights)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from zsar_helpers import synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import FormatError
from zsar.engine.checkpoint import load_checkpoint, save_checkpoint
from zsar.engine.rebuild import rebuild_model
from zsar.engine.train import Trainer
from zsar.engine.weight_average import average_run


def test_a_finished_run_writes_its_weights_and_any_program_loads_them(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    config = tiny_run_config(synthetic, optim={"epochs": 2, "global_batch_size": 4}, train={"save_epoch_weights": True})
    run = tmp_path / "run"
    partial = Trainer(config, bank=synthetic_bank(synthetic), run_dir=run, max_steps=2, show_progress=False).run()
    assert not partial.finished and not (run / "checkpoints" / "model.safetensors").exists()  # only when finished
    result = Trainer(config, bank=synthetic_bank(synthetic), run_dir=run, show_progress=False).run()
    assert result.finished
    weights = run / "checkpoints" / "model.safetensors"
    checkpoint = load_checkpoint(run)
    plain = load_file(str(weights))  # safetensors alone, the model's own names
    assert plain.keys() == checkpoint["model"].keys()
    for name, tensor in plain.items():
        assert torch.equal(tensor, checkpoint["model"][name]), name
    with safe_open(str(weights), framework="pt") as reader:
        metadata = reader.metadata()
    assert metadata["format"] == "kgen.zsar.weights" and metadata["format_version"] == "1"
    described = json.loads(metadata["payload"])
    assert set(described) == {"config", "architecture", "progress", "text"} and described["progress"]["finished"] is True
    assert weights.stat().st_size < 0.6 * Path(checkpoint["path"]).stat().st_size  # no optimizer moments

    # kgen reads it as it reads a checkpoint: the same model comes back.
    model, _ = rebuild_model(load_checkpoint(weights))
    rebuilt = model.state_dict()
    assert all(torch.equal(rebuilt[name], plain[name]) for name in plain)

    # Averages get one too, and any checkpoint can be exported.
    averaged = average_run(run, start=1, method="uniform")
    assert load_file(str(averaged.with_suffix(".safetensors"))).keys() == plain.keys()
    exported = run_cli("export-weights", str(run / "checkpoints" / "epoch_001.pt"), "--json")
    assert exported.exit_code == 0, exported.stderr
    row = json.loads(exported.stdout)
    assert row["path"] == str(run / "checkpoints" / "epoch_001.safetensors") and row["tensors"] == len(plain)


def test_export_refuses_what_is_not_a_checkpoint(tmp_path: Path, run_cli) -> None:
    save_checkpoint(tmp_path / "empty.pt", {"config": {}})
    result = run_cli("export-weights", str(tmp_path / "empty.pt"))
    assert result.exit_code == 3 and "holds no model weights" in result.stderr
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}              ")
    with pytest.raises(FormatError):
        load_checkpoint(tmp_path / "junk.safetensors")
