"""`kgen encode-bank` and `kgen bank list|info|verify|diff` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from kgen.banks import load_bank

TINY = ("--model", "kgen-tiny-vit", "--pretrained", "random")


def _encode(run_cli, *args: str) -> Path:
    result = run_cli("encode-bank", *TINY, *args)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def test_encode_list_info_verify(run_cli, isolated_workspace: Path) -> None:
    first = run_cli("encode-bank", "--dataset", "hmdb51", *TINY)
    assert first.exit_code == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path.parent == isolated_workspace / "banks" and (path / "bank.safetensors").is_file()
    assert "encoded 51 texts of 51 classes with kgen-tiny-vit (random)" in first.stderr and "truncated: 0" in first.stderr
    again = run_cli("encode-bank", "--dataset", "hmdb51", *TINY, "--json")
    assert again.exit_code == 0 and "is up to date" in again.stderr
    summary = json.loads(again.stdout)
    assert summary["created"] is False and summary["path"] == str(path) and summary["texts"] == 51

    listed = run_cli("bank", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["bank_id"] for r in rows] == [path.name] and rows[0]["latest"] is True and rows[0]["embed_dim"] == 32

    info = run_cli("bank", "info", "hmdb51-names-kgen-tiny-vit-random@latest", "--texts")
    assert info.exit_code == 0
    assert "yes (causal text tower)" in info.stdout and "a photo of a brush hair." in info.stdout
    manifest = json.loads(run_cli("bank", "info", path.name[:20], "--json").stdout)
    assert manifest["format"] == "kgen.bank" and manifest["format_version"] == 2 and manifest["bank_id"] == path.name

    verified = run_cli("bank", "verify", str(path))
    assert verified.exit_code == 0 and f"ok     {path.name}" in verified.stdout


def test_verify_finds_changed_and_corrupt_banks(run_cli) -> None:
    edited = _encode(run_cli, "--dataset", "hmdb51")
    corrupt = _encode(run_cli, "--dataset", "hmdb51", "--templates", "video")
    sound = _encode(run_cli, "--dataset", "ucf101")
    texts = edited / "texts.jsonl"
    texts.write_text(texts.read_text().replace("a photo of a brush hair.", "a photo of a combs hair."))
    tensors = corrupt / "bank.safetensors"
    tensors.write_bytes(tensors.read_bytes()[:-4] + b"\x00\x00\x00\x00")
    result = run_cli("bank", "verify", "--all")
    assert result.exit_code == 3
    assert f"ok     {sound.name}" in result.stdout
    assert "texts, classes or settings were changed after encoding" in result.stdout
    assert "bank.safetensors has sha256" in result.stdout
    assert "2 of 3 bank(s) failed verification" in result.stderr
    assert run_cli("bank", "verify").exit_code == 3  # no bank named: all of them, as --all


def test_diff_reports_texts_and_cosine_drift(run_cli) -> None:
    one = _encode(run_cli, "--dataset", "hmdb51")
    two = _encode(run_cli, "--dataset", "hmdb51", "--template", "a photo of a {}.", "--template", "a video of {}.")
    result = run_cli("bank", "diff", str(one), str(two), "--json")
    assert result.exit_code == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["texts"] == {"added": 51, "removed": 0, "common": 51}
    assert diff["only_in_a"] == [] and diff["only_in_b"] == [] and diff["comparable"] and diff["same_space"]
    assert diff["text_cosine"]["min"] == pytest.approx(1.0, abs=1e-6)
    assert {"field": "template", "a": "a photo of a {}.", "b": "a photo of a {}. | a video of {}."} in diff["settings"]
    a, b = load_bank(one), load_bank(two)
    expected = torch.nn.functional.cosine_similarity(a.classifier(), b.classifier(), dim=-1)
    by_class = {c["class_name"]: c["classifier_cosine"] for c in diff["classes"]}
    assert by_class["brush hair"] == pytest.approx(float(expected[a.class_names.index("brush hair")]), abs=1e-6)
    assert diff["classifier_cosine"]["min"] == pytest.approx(float(expected.min()), abs=1e-6)

    table = run_cli("bank", "diff", str(one), str(two))
    assert "texts in common classes: 51 in both, 0 removed, 51 added" in table.stdout
    assert "cosine of the same text in A and B: mean 1.000000" in table.stdout


def test_diff_of_class_sets_and_of_different_widths(run_cli) -> None:
    full = _encode(run_cli, "--dataset", "ucf101")
    novel = _encode(run_cli, "--dataset", "ucf101", "--split", "novel")
    diff = json.loads(run_cli("bank", "diff", str(full), str(novel), "--json").stdout)
    assert len(diff["only_in_a"]) == 51 and diff["only_in_b"] == [] and diff["common_classes"] == 50
    assert diff["identical"] is False and diff["classifier_cosine"]["min"] == pytest.approx(1.0, abs=1e-6)
    wide = _encode(run_cli, "--dataset", "ucf101", "--model", "kgen-small-vit")
    result = run_cli("bank", "diff", str(full), str(wide))
    assert "not computed (the banks have different embedding widths)" in result.stdout
    assert "embed dim" in result.stdout
    same = run_cli("bank", "diff", str(full), str(full))
    assert "identical inputs" in same.stdout


def test_out_dir_and_token_features_option(run_cli, tmp_path: Path, isolated_workspace: Path) -> None:
    path = _encode(run_cli, "--dataset", "hmdb51", "--token-features", "--out", str(tmp_path / "mine"))
    assert path.parent == tmp_path / "mine" and not (isolated_workspace / "banks").exists()
    bank = load_bank(path)
    assert bank.token_features is not None and bank.bank_id.startswith("hmdb51-names-tok-")
    listed = json.loads(run_cli("bank", "list", "--dir", str(tmp_path / "mine"), "--json").stdout)
    assert [r["bank_id"] for r in listed] == [bank.bank_id] and listed[0]["token_features"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--dataset", "hmdb51", "--kind", "nosuch", *TINY), 2, "unknown knowledge kind 'nosuch'"),
        (("--dataset", "hmdb51", "--kind", "descriptions", *TINY), 2, "no descriptions knowledge for hmdb51"),
        (("--dataset", "hmdb51", "--template", "no placeholder", *TINY), 2, "must hold exactly one {}"),
        (("--dataset", "hmdb51", "--template", "{}", "--templates", "video", *TINY), 2, "not both"),
        (("--dataset", "hmdb51", "--precision", "bf16", *TINY), 2, "needs a GPU"),
        (("--dataset", "hmdb51", "--precision", "fp8", *TINY), 2, "unknown precision"),
        (("--dataset", "hmdb51", "--batch-size", "0", *TINY), 2, "at least 1"),
        (("--dataset", "nosuch", *TINY), 2, "unknown dataset 'nosuch'"),
        (("--dataset", "hmdb51", "--model", "ViT-B-17", "--pretrained", "random"), 2, "unknown open_clip architecture"),
        (("--dataset", "hmdb51", "--model", "kgen-tiny-vit", "--pretrained", "nosuchtag"), 2, "neither a pretrained tag"),
    ],
)
def test_encode_bank_errors(run_cli, args: tuple[str, ...], code: int, message: str) -> None:
    result = run_cli("encode-bank", *args)
    assert result.exit_code == code
    assert message in " ".join(result.stderr.split())


def test_device_cuda_without_a_gpu(run_cli) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_cli("encode-bank", "--dataset", "hmdb51", "--device", "cuda", *TINY)
    assert result.exit_code == 2 and "no usable GPU" in result.stderr


def test_bank_commands_fail_clearly_on_missing_banks(run_cli) -> None:
    info = run_cli("bank", "info", "nosuch")
    assert info.exit_code == 3 and "no bank at 'nosuch'" in info.stderr
    latest = run_cli("bank", "diff", "a@latest", "b")
    assert latest.exit_code == 2 and "no bank of lineage 'a'" in latest.stderr
    assert "no banks under" in run_cli("bank", "list").stderr


@pytest.mark.parametrize("command", [("encode-bank",), ("bank", "list"), ("bank", "info"), ("bank", "verify"), ("bank", "diff")])
def test_every_command_has_an_example(run_cli, command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0 and "Example: kgen " in result.stdout
