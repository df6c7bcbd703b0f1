"""CLIP names in one spelling; `kgen bank info/list` without torch; `kgen bank verify` of every bank."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgen.clip.names import canonical_model_name, canonical_pretrained

REPO = Path(__file__).resolve().parents[1]


def test_canonical_model_names() -> None:
    assert canonical_model_name("ViT-B/16") == "ViT-B-16"
    assert canonical_model_name(" vit-b-16 ") == "ViT-B-16"
    assert canonical_model_name("ViT-L/14@336px".replace("@336px", "-336")) == "ViT-L-14-336"
    assert canonical_model_name("KGEN-TINY-VIT") == "kgen-tiny-vit"
    assert canonical_model_name("hf-hub:timm/ViT-B-16-SigLIP") == "hf-hub:timm/ViT-B-16-SigLIP"
    assert canonical_model_name("no/such-model") == "no-such-model"  # the loader then refuses it


def test_canonical_pretrained_tags(tmp_path: Path) -> None:
    assert canonical_pretrained("ViT-B-16", "OpenAI") == "openai"
    assert canonical_pretrained("ViT-B-16", "laion2b-s34b-b88k") == "laion2b_s34b_b88k"
    assert canonical_pretrained("ViT-B-16", "random") == "random"
    weights = tmp_path / "My-Weights.pt"
    weights.write_bytes(b"")
    assert canonical_pretrained("ViT-B-16", str(weights)) == str(weights)  # a path is not a name
    assert canonical_pretrained("ViT-B-16", "no-such-tag") == "no-such-tag"


@pytest.mark.slow
def test_slash_and_dash_spellings_make_one_bank(run_cli, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    classes = tmp_path / "two.txt"
    classes.write_text("archery\njuggling balls\n")
    args = ("encode-bank", "--classes", str(classes), "--clip-pretrained", "random", "--json")
    with caplog.at_level(logging.DEBUG):
        slash = run_cli(*args, "--clip-model", "ViT-B/16")
    assert slash.exit_code == 0, slash.stderr
    first = json.loads(slash.stdout)
    assert first["created"] is True and "vit-b-16-random" in first["bank_id"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records
    assert "not found" not in slash.stderr.lower()
    dash = run_cli(*args, "--clip-model", "ViT-B-16")
    assert dash.exit_code == 0, dash.stderr
    second = json.loads(dash.stdout)
    assert second["created"] is False and second["bank_id"] == first["bank_id"]
    manifest = json.loads((Path(first["path"]) / "manifest.json").read_text())
    assert manifest["clip"]["model_name"] == "ViT-B-16"


def _without_torch(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from kgen.cli_app import run\n"
        f"code = run({list(args)!r})\n"
        "loaded = sorted(m for m in ('torch', 'open_clip', 'safetensors.torch', 'numpy') if m in sys.modules)\n"
        "print('LOADED', ','.join(loaded), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "KGEN_ROOT": str(root), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_bank_info_and_list_do_not_import_torch(run_cli, isolated_workspace: Path) -> None:
    made = run_cli("encode-bank", "--dataset", "hmdb51", "--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")
    assert made.exit_code == 0, made.stderr
    bank = Path(made.stdout.strip())
    for args in (
        ("bank", "info", bank.name),
        ("bank", "info", "hmdb51-names-kgen-tiny-vit-random@latest", "--json"),
        ("bank", "info", bank.name[:15], "--texts"),
        ("bank", "list"),
        ("bank", "list", "--staging", "--json"),
    ):
        done = _without_torch(isolated_workspace, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "LOADED \n" in done.stderr or done.stderr.rstrip().endswith("LOADED"), (args, done.stderr)
        assert bank.name in done.stdout, (args, done.stdout)


def test_bank_verify_with_no_argument_verifies_every_bank(run_cli, isolated_workspace: Path) -> None:
    empty = run_cli("bank", "verify")
    assert empty.exit_code == 0 and "no banks to verify" in empty.stderr
    tiny = ("--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")
    one = Path(run_cli("encode-bank", "--dataset", "hmdb51", *tiny).stdout.strip())
    two = Path(run_cli("encode-bank", "--dataset", "ucf101", *tiny).stdout.strip())
    checked = run_cli("bank", "verify")
    assert checked.exit_code == 0, checked.stderr
    assert f"ok     {one.name}" in checked.stdout and f"ok     {two.name}" in checked.stdout
    (two / "texts.jsonl").write_text("changed\n")
    failed = run_cli("bank", "verify")
    assert failed.exit_code == 3 and f"FAILED {two.name}" in failed.stdout and "1 of 2 bank(s)" in failed.stderr
