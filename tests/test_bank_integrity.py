"""Issue 20, points 5 and 9: damaged banks are refused on load (and by train/eval), listed as damaged;
concurrent identical encodes both succeed; killed writes leave staging folders that are listed and cleaned."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from bank_helpers import bank_from_embeddings, saved
from zsar_helpers import TINY, synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen import paths
from kgen.banks import load_bank
from kgen.banks import verify as verify_module
from kgen.banks.builder import EncodeRequest, encode_bank
from kgen.banks.layout import read_header
from kgen.banks.staging import STALE_AFTER_S, find_staging
from kgen.banks.verify import verify_bank
from kgen.datasets import load_builtin
from kgen.errors import FormatError

REPO = Path(__file__).resolve().parent.parent
TINY_ARGS = ("--model", TINY, "--pretrained", "random")


def _toy_bank(root: Path, *, normalize: bool = True, nan: bool = False) -> Path:
    g = torch.Generator().manual_seed(0)
    per_class = [torch.randn(2, 8, generator=g), torch.randn(3, 8, generator=g)]
    if not normalize:
        per_class = [2 * torch.nn.functional.normalize(rows, dim=-1) for rows in per_class]
    if nan:
        per_class[1][1, 3] = float("nan")
    return saved(bank_from_embeddings(per_class, class_names=["run", "jump"], normalize=normalize), root)


def _flip_a_bit_of_the_embeddings(path: Path) -> None:
    tensors = path / "bank.safetensors"
    start = read_header(tensors).entries["embeddings"].start
    data = bytearray(tensors.read_bytes())
    data[start + 5] ^= 0x10
    tensors.write_bytes(bytes(data))


def _edit_json(path: Path, **changes) -> None:
    raw = json.loads(path.read_text())
    raw.update(changes)
    path.write_text(json.dumps(raw, indent=2))


# ---------------------------------------------------------------------- point 5: verified on load
def test_a_bit_flipped_bank_is_refused_by_load_bank_by_default(tmp_path: Path) -> None:
    path = _toy_bank(tmp_path)
    _flip_a_bit_of_the_embeddings(path)
    with pytest.raises(FormatError, match=r"is damaged: bank.safetensors has sha256 .* the manifest records"):
        load_bank(path)
    assert load_bank(path, verify=False).num_texts == 5  # the caller can still opt out, knowingly


def test_verify_true_checks_what_bank_verify_checks(tmp_path: Path) -> None:
    """Before: load_bank(verify=True) accepted edited class names, ids, texts, content hash, NaN, non-unit rows."""
    cases = {
        "class names": (lambda p: _edit_json(p / "manifest.json", class_names=["swim", "jump"]), "texts, classes or settings were changed"),
        "class ids": (lambda p: _edit_json(p / "manifest.json", class_ids=[1, 0]), "texts, classes or settings were changed"),
        "texts": (lambda p: (p / "texts.jsonl").write_text((p / "texts.jsonl").read_text().replace("run #0", "fly #0")),
                  "texts.jsonl has sha256 .*the texts were changed after encoding"),
        "content hash": (lambda p: _edit_json(p / "manifest.json", content_hash="0" * 64), "not its content_hash 0000000000000000"),
    }
    for label, (edit, message) in cases.items():
        path = _toy_bank(tmp_path / label.replace(" ", "-"))
        assert load_bank(path, verify=True).num_texts == 5
        edit(path)
        with pytest.raises(FormatError, match=message):
            load_bank(path, verify=True)
        report = verify_bank(path)
        assert not report.ok and any(re.search(message, p) for p in report.problems), (label, report.problems)
    # Files whose hashes are all consistent, with bad vectors in them.
    with pytest.raises(FormatError, match="embeddings hold NaN or infinite values"):
        load_bank(_toy_bank(tmp_path / "nan", nan=True, normalize=False))
    with pytest.raises(FormatError, match=r"embeddings are not unit length \(largest deviation 1.00e\+00\)"):
        load_bank(_toy_bank(tmp_path / "norm", normalize=False))


def test_list_and_info_flag_missing_and_truncated_tensors(tmp_path: Path, run_cli, isolated_workspace: Path) -> None:
    root = isolated_workspace / "banks"
    g = torch.Generator().manual_seed(1)
    banks = {}
    for label in ("sound", "cut", "gone", "no-texts"):
        bank = bank_from_embeddings([torch.randn(2, 8, generator=g)], class_names=[label], dataset=label)
        banks[label] = saved(bank, root)
    tensors = banks["cut"] / "bank.safetensors"
    tensors.write_bytes(tensors.read_bytes()[:-16])
    (banks["gone"] / "bank.safetensors").unlink()
    (banks["no-texts"] / "texts.jsonl").unlink()
    rows = {Path(r["path"]).name: r for r in json.loads(run_cli("bank", "list", "--json").stdout)}
    assert rows[banks["sound"].name]["damaged"] is False
    assert rows[banks["cut"].name]["damaged"] and "bank.safetensors is truncated" in rows[banks["cut"].name]["problems"][0]
    assert rows[banks["gone"].name]["problems"] == ["bank.safetensors is missing"]
    assert rows[banks["no-texts"].name]["problems"] == ["texts.jsonl is missing"]
    table = run_cli("bank", "list")
    assert table.stdout.count("DAMAGED:") == 3 and "3 bank(s) are damaged or unreadable" in table.stderr
    info = run_cli("bank", "info", str(banks["cut"]))
    assert info.exit_code == 0 and "DAMAGED: bank.safetensors is truncated" in " ".join(info.stdout.split())
    assert "is DAMAGED" in info.stderr
    assert "DAMAGED" not in run_cli("bank", "info", str(banks["sound"])).stdout
    with pytest.raises(FormatError, match="bank.safetensors is truncated"):
        load_bank(banks["cut"], verify=False)


def test_a_verification_is_remembered_until_a_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    path = _toy_bank(tmp_path)
    hashed: list[Path] = []
    original = verify_module.sha256_file
    monkeypatch.setattr(verify_module, "sha256_file", lambda p: hashed.append(p) or original(p))
    load_bank(path)
    assert len(hashed) == 1
    load_bank(path)
    assert len(hashed) == 1  # remembered: the same files, unchanged
    assert "verified" in run_cli("bank", "list", "--dir", str(tmp_path)).stdout
    tensors = path / "bank.safetensors"
    stat = tensors.stat()
    _flip_a_bit_of_the_embeddings(path)
    os.utime(tensors, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the old modification time does not hide the change
    with pytest.raises(FormatError, match="bank.safetensors has sha256"):
        load_bank(path)
    assert len(hashed) == 2
    run_cli("bank", "verify", str(path))
    assert len(hashed) == 3  # `kgen bank verify` always checks everything


def test_kgen_train_and_eval_refuse_a_damaged_bank(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    bank_dir = synthetic_bank(synthetic).save(tmp_path / "bank")
    _flip_a_bit_of_the_embeddings(bank_dir)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(tiny_run_config(synthetic).to_yaml())
    trained = run_cli("train", "--recipe", str(recipe), "--bank", str(bank_dir), "--out", str(tmp_path / "run"))
    assert trained.exit_code == 3 and "is damaged: bank.safetensors has sha256" in " ".join(trained.stderr.split())
    assert not (tmp_path / "run" / "checkpoints").exists()
    hmdb = load_builtin("hmdb51")
    from zsar_helpers import names_bank

    eval_bank = names_bank([c.name for c in hmdb.classes], dataset="hmdb51", class_ids=[c.id for c in hmdb.classes]).save(tmp_path / "hb")
    _flip_a_bit_of_the_embeddings(eval_bank)
    evaluated = run_cli("eval", "--model", "ap-clip", "--pretrained", "random", "--backbone", TINY, "--bank", str(eval_bank),
                        "--dataset", "hmdb51", "--video-root", str(tmp_path))
    assert evaluated.exit_code == 3 and "is damaged" in evaluated.stderr and "encode it again" in " ".join(evaluated.stderr.split())


# ---------------------------------------------------------------------- point 9: concurrency and interruption
def _request(out: Path | None = None) -> EncodeRequest:
    return EncodeRequest(dataset=load_builtin("hmdb51"), kind="names", model_name=TINY, pretrained="random", out_dir=out)


def test_the_second_of_two_identical_encodes_reports_the_bank_and_exits_0(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the run that finished second exited 2, telling the user to remove the (complete, identical) bank."""
    import kgen.banks.builder as builder

    real_finish = builder.finish_bank
    raced = []

    def finish_after_the_other_run(folder, target, manifest, writer):
        if not raced:  # the other run finishes first, while this one is about to rename its folder
            raced.append(True)
            other = encode_bank(_request(), show_progress=False)
            assert other.created
        return real_finish(folder, target, manifest, writer)

    monkeypatch.setattr(builder, "finish_bank", finish_after_the_other_run)
    result = run_cli("encode-bank", "--dataset", "hmdb51", *TINY_ARGS, "--json")
    assert result.exit_code == 0, result.stderr
    assert "was written meanwhile by another run with the same inputs" in " ".join(result.stderr.split())
    row = json.loads(result.stdout)
    assert row["created"] is False and row["concurrent"] is True
    root = paths.banks_dir()
    assert [p.name for p in root.iterdir()] == [row["bank_id"]]  # no staging folder, no lock file left
    assert load_bank(row["bank_id"]).num_texts == 51


OTHER_WRITER = """
import os, sys, time
from pathlib import Path
from kgen.banks.staging import staging_folder
source, target = Path(sys.argv[1]), Path(sys.argv[2])
with staging_folder(target) as folder:
    for item in source.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    print("holding", flush=True)
    time.sleep(1.5)
    os.rename(folder, target)
"""


def test_a_run_waits_for_a_live_writer_of_the_same_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    done = encode_bank(_request(tmp_path / "elsewhere"), show_progress=False)
    target = paths.banks_dir() / done.path.name
    other = subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(done.path), str(target)],
                             env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    assert other.stdout is not None and other.stdout.readline().strip() == "holding"

    def never(*_args, **_kwargs):
        raise AssertionError("the bank is being written by another run: nothing to encode")

    monkeypatch.setattr("kgen.banks.encoder.TextEncoder.encode_planned", never)
    result = encode_bank(_request(), show_progress=False)
    assert other.wait(30) == 0
    assert not result.created and result.concurrent and result.path == target
    assert f"another run (pid {other.pid}) is writing" in capsys.readouterr().err
    assert sorted(p.name for p in paths.banks_dir().iterdir()) == [target.name]


KILLABLE = """
import sys, time
import cli
from kgen.banks.encoder import TextEncoder
real = TextEncoder.encode_planned
def write_a_little_then_hang(self, texts, plan, sink, **kwargs):
    print("writing", flush=True)
    time.sleep(600)
TextEncoder.encode_planned = write_a_little_then_hang
sys.exit(cli.run(["encode-bank", "--dataset", "hmdb51", "--model", "kgen-tiny-vit", "--pretrained", "random"]))
"""


@pytest.mark.slow
def test_a_killed_write_is_listed_and_cleaned_by_the_next_run(isolated_workspace: Path, run_cli) -> None:
    """Before: a killed bank write left a hidden staging folder that nothing listed or cleaned."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", KILLABLE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "writing", child.stderr.read() if child.stderr else ""
        listed = json.loads(run_cli("bank", "list", "--all", "--json").stdout)
        (live,) = listed["staging"]
        assert live["held"] and not live["stale"] and live["pid"] == child.pid and "being written" in live["state"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    root = isolated_workspace / "banks"
    assert any(p.name.startswith(".") for p in root.iterdir())  # what the killed run left
    listed = json.loads(run_cli("bank", "list", "--all", "--json").stdout)
    (left,) = listed["staging"]
    assert left["stale"] and left["state"] == "stale (its writer is gone)" and listed["banks"] == []
    table = run_cli("bank", "list", "--all")
    assert "staging folders in" in table.stdout and "stale (its writer is gone)" in table.stdout
    again = run_cli("encode-bank", "--dataset", "hmdb51", *TINY_ARGS)
    assert again.exit_code == 0, again.stderr
    assert "removed 1 stale staging folder(s) of killed runs" in " ".join(again.stderr.split())
    assert [p.name for p in root.iterdir()] == [Path(again.stdout.strip()).name]


def test_staging_folders_without_a_lock_are_stale_only_when_old(isolated_workspace: Path, run_cli) -> None:
    root = isolated_workspace / "banks"
    root.mkdir()
    old = root / ".hmdb51-names-kgen-tiny-vit-random-0123456789.abcd1234"  # as kgen before format 2 named them
    recent = root / ".ucf101-names-kgen-tiny-vit-random-0123456789.efgh5678"
    foreign = root / ".mine.abcdefgh"
    for folder in (old, recent, foreign):
        folder.mkdir()
    (old / "bank.safetensors").write_bytes(b"half")
    (recent / "manifest.json").write_text("{}")
    (foreign / "notes.txt").write_text("not kgen's")
    past = time.time() - STALE_AFTER_S - 60
    for path in (old / "bank.safetensors", old, foreign / "notes.txt", foreign):
        os.utime(path, (past, past))
    states = {f.path.name: f for f in find_staging(root)}
    assert states[old.name].stale and not states[recent.name].stale and states[foreign.name].stale
    assert "recent, no lock" in states[recent.name].state
    result = run_cli("encode-bank", "--dataset", "hmdb51", *TINY_ARGS)
    assert result.exit_code == 0 and "removed 1 stale staging folder(s)" in " ".join(result.stderr.split())
    assert not old.exists() and recent.exists() and foreign.exists()  # a folder holding other files is never removed


TWIN = """
import sys, cli
sys.exit(cli.run(["encode-bank", "--dataset", "ucf101", "--model", "kgen-tiny-vit", "--pretrained", "random", "--json"]))
"""


@pytest.mark.slow
def test_two_identical_encodes_at_once_both_succeed(isolated_workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.Popen([sys.executable, "-c", TWIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _out, err in outputs]
    rows = [json.loads(out) for out, _err in outputs]
    assert rows[0]["path"] == rows[1]["path"] and sorted(r["created"] for r in rows) == [False, True]
    root = isolated_workspace / "banks"
    assert [p.name for p in root.iterdir()] == [rows[0]["bank_id"]]
    assert verify_bank(root / rows[0]["bank_id"]).ok
