"""`kgen demo`: videos, bank, training and evaluation in a workspace of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_every_step_and_keeps_its_workspace(run_cli, tmp_path: Path, isolated_workspace: Path) -> None:
    folder = tmp_path / "demo"
    result = run_cli("demo", "--out", str(folder), "--epochs", "1", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)  # the commands' own output went to stderr
    assert [s["name"] for s in summary["steps"]] == ["videos", "bank", "train", "eval"]
    commands = [s["command"] for s in summary["steps"]]
    assert commands[0] == "" and commands[1].startswith("kgen encode-bank --classes videos/train/classes.txt")
    assert commands[2].startswith("kgen train --recipe tiny-smoke") and commands[3].startswith("kgen eval --checkpoint runs/demo")
    assert all(s["real_command"] for s in summary["steps"]) and "ap-clip-zero-shot-k400" in summary["steps"][2]["real_command"]
    assert "trained AP-CLIP on the tiny ViT for 1 epochs (3 steps)" in summary["steps"][2]["did"]
    assert 0.0 <= summary["top1"] <= 100.0
    assert (folder / "banks" / summary["bank_id"] / "bank.safetensors").is_file()
    assert (folder / "runs" / "demo" / "checkpoints" / "last.pt").is_file()
    report = json.loads((folder / "results" / "demo-test.json").read_text())
    assert report["runs"][0]["lists"][0]["top1"] == summary["top1"] and report["runs"][0]["lists"][0]["evaluated"] == 12
    assert not (isolated_workspace / "banks").exists()  # nothing in the user's workspace
    # A second run refuses the folder now that it holds the first one.
    again = run_cli("demo", "--out", str(folder))
    assert again.exit_code == 2 and "is not an empty folder" in again.stderr


def test_demo_refuses_a_used_folder(run_cli, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    result = run_cli("demo", "--out", str(tmp_path / "used"))
    assert result.exit_code == 2 and "not an empty folder" in result.stderr
    assert sorted(p.name for p in (tmp_path / "used").iterdir()) == ["notes.txt"]
