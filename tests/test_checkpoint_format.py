"""Checkpoint format 2 (safetensors + JSON): exact round trips, older checkpoints read safely, damage refused.

Also the unreadable-video limit of training, which is judged from the first step.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from zsar_helpers import synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import FormatError, InputError
from zsar.engine.checkpoint import FORMAT, load_checkpoint, save_checkpoint
from zsar.engine.train import Trainer


def _same(a: object, b: object) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def test_every_kind_of_leaf_round_trips_exactly(tmp_path: Path) -> None:
    shared = torch.randn(3, 4)
    base = torch.arange(10.0)
    payload = {
        "config": {"model": {"name": "ap-clip", "lr": 1e-5, "frames": 8, "flag": True, "none": None}},
        "model": {"w": shared, "tied": shared, "view": base[2:5], "rest": base[5:], "half": torch.ones(2, dtype=torch.bfloat16),
                  "scalar": torch.tensor(3), "empty": torch.zeros(0, 4), "mask": torch.tensor([True, False]),
                  "strided": torch.randn(4, 6).t()},
        "optimizer": {"state": {0: {"step": torch.tensor(5.0), "exp_avg": torch.randn(2)}}, "param_groups": [{"params": [0], "betas": (0.9, 0.98)}]},
        "scaler": {"scale": float("inf"), "low": float("-inf"), "odd": float("nan")},
        "rng": [{"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}],
        "$weird": {"$tensor": "not a tag, a user key"},
        "__metadata__": torch.zeros(1),
        "unicode": "héllo ✓",
    }
    path = save_checkpoint(tmp_path / "c.pt", payload)
    loaded = load_checkpoint(path)
    for key, value in payload.items():
        assert _same(value, loaded[key]), key
    assert loaded["format_version"] == 2 and loaded["model"]["tied"] is loaded["model"]["w"]
    random.setstate(loaded["rng"][0]["python"])
    np.random.set_state(loaded["rng"][0]["numpy"])  # the generator states are usable as they are
    with safe_open(str(path), framework="pt") as reader:  # a plain safetensors file: other tools can read the weights
        assert reader.metadata()["format"] == FORMAT and "model/w" in set(reader.keys())
    with pytest.raises(TypeError, match="a object cannot be stored"):
        save_checkpoint(tmp_path / "bad.pt", {"x": object()})


def _checkpoint_with(tmp_path: Path, metadata_payload: str, tensors: dict[str, torch.Tensor] | None = None) -> Path:
    path = tmp_path / "tampered.pt"
    save_file(tensors or {"t": torch.zeros(1)}, str(path),
              metadata={"format": FORMAT, "format_version": "2", "kgen_version": "0", "payload": metadata_payload})
    return path


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"format": "kgen.zsar.checkpoint", "format_version": 2, "x": {"$pickle": "gASV"}}', "unknown tag"),
        ('{"format": "kgen.zsar.checkpoint", "format_version": 2, "x": {"$tensor": "missing"}}', "does not hold"),
        ('{"format": "kgen.zsar.checkpoint", "format_version": 2, "x": NaN}', "is not JSON"),
        ("{broken", "damaged checkpoint"),
        ('{"format": "kgen.zsar.checkpoint", "format_version": 2, "x": {"$ndarray": {"dtype": "O", "shape": [1], "data": ""}}}',
         "ndarray of dtype object"),
        ('{"format": "kgen.zsar.checkpoint", "format_version": 1, "x": 1}', "payload and header disagree"),
    ],
)
def test_a_tampered_checkpoint_is_refused_clearly(tmp_path: Path, payload: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        load_checkpoint(_checkpoint_with(tmp_path, payload))


def test_truncated_foreign_and_newer_checkpoints_are_refused(tmp_path: Path) -> None:
    good = save_checkpoint(tmp_path / "good.pt", {"model": {"w": torch.randn(64, 64)}})
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(FormatError, match="not a readable checkpoint"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(FormatError, match="not a kgen video-model checkpoint"):
        load_checkpoint(foreign)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"hello, this is not a checkpoint at all")
    with pytest.raises(FormatError):
        load_checkpoint(garbage)
    newer = _checkpoint_with(tmp_path, '{"format": "kgen.zsar.checkpoint", "format_version": 2, "x": 1}')
    raw = newer.read_bytes().replace(b'"format_version":"2"', b'"format_version":"9"')
    newer.write_bytes(raw)
    with pytest.raises(FormatError):
        load_checkpoint(newer)


def test_a_checkpoint_of_an_older_kgen_is_read_safely_and_resumes_exactly(tmp_path: Path, synthetic, capsys) -> None:  # noqa: F811
    config = tiny_run_config(synthetic, optim={"epochs": 2, "global_batch_size": 2, "mixup_alpha": 0.8, "warmup_epochs": 0.5})
    bank = synthetic_bank(synthetic)
    straight = Trainer(config, bank=bank, run_dir=tmp_path / "straight", max_steps=3, show_progress=False).run()
    Trainer(config, bank=bank, run_dir=tmp_path / "old", max_steps=2, show_progress=False).run()
    # Rewrite last.pt as kgen format 1 wrote it: one torch.save pickle (NumPy generator state included).
    last = tmp_path / "old" / "checkpoints" / "last.pt"
    payload = load_checkpoint(last)
    payload.pop("path")
    payload["format_version"] = 1
    torch.save(payload, last)
    assert last.read_bytes()[:4] == b"PK\x03\x04"
    capsys.readouterr()
    resumed = Trainer(config, bank=bank, run_dir=tmp_path / "old", max_steps=3, show_progress=False).run()
    assert "checkpoint of an older kgen (format 1)" in capsys.readouterr().err
    assert resumed.history[0]["loss"] == pytest.approx(straight.history[2]["loss"], abs=1e-6)
    assert last.read_bytes()[:4] != b"PK\x03\x04" and load_checkpoint(last)["format_version"] == 2  # converted on save


# ------------------------------------------------------------------------- unreadable videos


def _list_with(synthetic, tmp_path: Path, readable: int, missing: int) -> Path:  # noqa: F811
    listing = tmp_path / "list.txt"
    lines = [f"{synthetic.videos[k]} {k % 4}\n" for k in range(readable)]
    lines += [f"{tmp_path}/gone{k}.mp4 {k % 4}\n" for k in range(missing)]
    listing.write_text("".join(lines))
    return listing


@pytest.mark.parametrize("batch", [4, 1])
def test_one_readable_video_in_four_stops_training(tmp_path: Path, synthetic, batch: int) -> None:  # noqa: F811
    listing = _list_with(synthetic, tmp_path, readable=1, missing=3)
    config = tiny_run_config(synthetic, data={"train_list": str(listing)}, optim={"epochs": 1, "global_batch_size": batch})
    with pytest.raises(InputError, match="3 of the 4 videos read so far were unreadable|3 of the 3 videos"):
        Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False).run()
    assert len((tmp_path / "run" / "skipped.jsonl").read_text().splitlines()) == 3


def test_a_few_unreadable_videos_within_the_limit_do_not_stop_training(tmp_path: Path, synthetic) -> None:  # noqa: F811
    listing = _list_with(synthetic, tmp_path, readable=7, missing=1)
    config = tiny_run_config(synthetic, data={"train_list": str(listing)}, optim={"epochs": 1, "global_batch_size": 1})
    result = Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False).run()
    assert result.finished and result.skipped == 1


def test_a_disk_without_room_for_the_checkpoints_stops_training_before_the_first_step(
    tmp_path: Path, synthetic, monkeypatch  # noqa: F811
) -> None:
    from collections import namedtuple

    from kgen.errors import StorageError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("kgen.storage.shutil.disk_usage", lambda path: usage(1 << 40, (1 << 40) - (8 << 20), 8 << 20))
    trainer = Trainer(tiny_run_config(synthetic), bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False)
    with pytest.raises(StorageError, match="not enough free space for the run folder"):
        trainer.run()
    assert not (tmp_path / "run" / "metrics.jsonl").exists()
