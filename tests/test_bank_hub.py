"""`kgen bank push/pull` and load_bank("hf-hub:...") against a stand-in Hub on 127.0.0.1 (never the network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hub_server import HubServer

from kgen.banks import load_bank
from kgen.banks.hub import model_card, parse_hub_reference
from kgen.banks.manifest import BankManifest
from kgen.errors import InputError

TINY = ("--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")
TOKEN = "hf_test_token"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    with HubServer() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        yield server


def _encode(run_cli, *args: str) -> Path:
    result = run_cli("encode-bank", *TINY, *args)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def test_references() -> None:
    assert parse_hub_reference("hf-hub:lab/banks@v1").repo_id == "lab/banks"
    assert parse_hub_reference("lab/banks@v1").revision == "v1"
    assert parse_hub_reference("hf-hub:lab/banks").revision is None
    for bad in ("hf-hub:lab", "hf-hub:lab/banks@", "a/b/c", "hf-hub:../x"):
        with pytest.raises(InputError):
            parse_hub_reference(bad)


def test_push_pull_and_load_by_revision(run_cli, hub: HubServer, isolated_workspace: Path, tmp_path: Path) -> None:
    first = _encode(run_cli, "--dataset", "hmdb51")
    pushed = run_cli("bank", "push", first.name, "lab/hmdb51-names", "--json")
    assert pushed.exit_code == 0, pushed.stderr
    one = json.loads(pushed.stdout)
    assert one["bank_id"] == first.name and set(one["files"]) == {"manifest.json", "summary.json", "texts.jsonl", "bank.safetensors", "README.md"}
    files = hub.hub.repos["lab/hmdb51-names"].resolve("main").files
    assert files["bank.safetensors"] == (first / "bank.safetensors").read_bytes()
    card = files["README.md"].decode()
    assert card.startswith("---\nlibrary_name: kgen\n") and f"# {first.name}" in card and "Random weights" in card
    assert 'load_bank("hf-hub:lab/hmdb51-names")' in card and "| classes | 51 |" in card

    # A second bank pushed to the same repository: a new commit; the first stays reachable by its id.
    second = _encode(run_cli, "--dataset", "hmdb51", "--templates", "video")
    two = json.loads(run_cli("bank", "push", str(second), "hf-hub:lab/hmdb51-names", "--json").stdout)
    assert two["commit"] != one["commit"]

    old = load_bank(f"hf-hub:lab/hmdb51-names@{one['commit']}")
    new = load_bank("hf-hub:lab/hmdb51-names")
    assert old.bank_id == first.name and new.bank_id == second.name
    assert torch.equal(old.embeddings, load_bank(first).embeddings)
    assert str(old.path).startswith(str(tmp_path / "cache"))  # kgen's cache, not ~/.cache/huggingface

    info = run_cli("bank", "info", f"hf-hub:lab/hmdb51-names@{one['commit']}", "--json")
    assert info.exit_code == 0 and json.loads(info.stdout)["bank_id"] == first.name

    # Pull into another workspace's banks/: a bank like any other there.
    elsewhere = tmp_path / "elsewhere"
    pulled = run_cli("--root", str(elsewhere), "bank", "pull", f"lab/hmdb51-names@{one['commit']}")
    assert pulled.exit_code == 0, pulled.stderr
    assert Path(pulled.stdout.strip()) == elsewhere / "banks" / first.name
    assert sorted(p.name for p in (elsewhere / "banks" / first.name).iterdir()) == sorted(
        ["manifest.json", "summary.json", "texts.jsonl", "bank.safetensors"]
    )
    assert not any(p.is_symlink() for p in (elsewhere / "banks" / first.name).iterdir())
    verified = run_cli("--root", str(elsewhere), "bank", "verify")
    assert verified.exit_code == 0 and f"ok     {first.name}" in verified.stdout
    again = run_cli("--root", str(elsewhere), "bank", "pull", f"lab/hmdb51-names@{one['commit']}")
    assert again.exit_code == 0 and "already here" in again.stderr


def test_hub_errors_are_one_line_with_a_hint(run_cli, hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = _encode(run_cli, "--dataset", "hmdb51")
    missing = run_cli("bank", "pull", "lab/nothing-here")
    assert missing.exit_code == 2 and "no repository lab/nothing-here" in missing.stderr and "Traceback" not in missing.stderr
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    refused = run_cli("bank", "push", bank.name, "lab/x")
    assert refused.exit_code == 2 and "refused writing" in refused.stderr and "HF_TOKEN" in refused.stderr
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert run_cli("bank", "push", bank.name, "lab/x").exit_code == 0
    # a branch of its own, made on the way
    assert run_cli("bank", "push", bank.name, "lab/x", "--revision", "v1").exit_code == 0
    assert set(hub.hub.repos["lab/x"].branches) == {"main", "v1"}
    assert load_bank("hf-hub:lab/x@v1").bank_id == bank.name
    no_rev = run_cli("bank", "pull", "lab/x@no-such-branch")
    assert no_rev.exit_code == 2 and "no revision 'no-such-branch'" in no_rev.stderr

    # A damaged bank is never shared.
    (bank / "texts.jsonl").write_text("changed\n")
    damaged = run_cli("bank", "push", bank.name, "lab/x")
    assert damaged.exit_code == 3 and "fails verification, so it is not pushed" in damaged.stderr


def test_unreachable_hub(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    result = run_cli("bank", "pull", "lab/x")
    assert result.exit_code == 4 and "cannot" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_model_card_of_a_pretrained_bank(run_cli) -> None:
    bank = _encode(run_cli, "--dataset", "ucf101")
    manifest = BankManifest.load(bank / "manifest.json").model_copy()
    manifest.clip.is_random = False
    card = model_card(manifest, "lab/ucf", "v2")
    assert "Random weights" not in card and "kgen bank pull lab/ucf@v2" in card and "| classes | 101 |" in card
