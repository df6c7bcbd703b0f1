"""Nothing kgen reads is unpickled: a payload planted in the cache or in a checkpoint never runs.

Each test plants a pickle whose loading creates a marker file, shows that the payload is live
(plain ``pickle``/``torch.load(weights_only=False)`` does create the marker), then runs kgen on it
and asserts the marker never appears and the failure is a clear message (or a cache miss).
"""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import torch
from zsar_helpers import synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.cache import ResponseCache
from kgen.errors import FormatError
from zsar.engine.checkpoint import FORMAT, load_checkpoint
from zsar.engine.train import Trainer


class Payload:
    """Unpickling this creates ``marker`` (a stand-in for any code an attacker would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def live_payload(marker: Path) -> bytes:
    """The pickled payload, after proving that unpickling it really creates the marker."""
    data = pickle.dumps(Payload(marker))
    pickle.loads(data).close()
    assert marker.exists(), "the test payload must be live"
    marker.unlink()
    return data


# ---------------------------------------------------------------------------------------- cache


def _plant_in_cache(cache_dir: Path, marker: Path) -> None:
    """A cache with one good answer, a pickled value, a pickled value file and a pickled key."""
    payload = live_payload(marker)
    with ResponseCache(cache_dir) as cache:
        cache.set("llm:good", {"answer": "fine"})
        cache.set("llm:evil", {"answer": "replaced below"})
        cache.set("wikipedia:evil-file", "x" * 40_000)  # long: diskcache keeps it in a .val file
    con = sqlite3.connect(cache_dir / "cache.db")
    con.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = 'llm:evil'", (payload,))
    (filename,) = con.execute("SELECT filename FROM Cache WHERE key = 'wikipedia:evil-file'").fetchone()
    (cache_dir / filename).write_bytes(payload)
    con.execute("UPDATE Cache SET mode = 4 WHERE key = 'wikipedia:evil-file'")
    con.execute(
        "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value)"
        " VALUES (?, 0, 0, NULL, 0, 0, NULL, 0, 1, NULL, '\"x\"')",
        (payload,),
    )
    con.commit()
    con.close()


def test_a_pickled_payload_in_the_cache_never_runs(tmp_path: Path, run_cli, capsys) -> None:
    cache_dir = tmp_path / "cache"  # the test's KGEN_CACHE_DIR
    marker = tmp_path / "pwned"
    _plant_in_cache(cache_dir, marker)
    with ResponseCache(cache_dir) as cache:
        assert cache.get("llm:evil") is None  # a miss, not an object
        assert cache.get("wikipedia:evil-file") is None
        assert cache.get("llm:good") == {"answer": "fine"}
        assert cache.count_by_namespace() == {"llm": 2, "wikipedia": 1}  # the pickled key is not decoded
        assert cache.unreadable_rows() == 3
        cache.set("llm:evil", {"answer": "fetched again"})  # the next paid answer replaces the row
        assert cache.get("llm:evil") == {"answer": "fetched again"}
    assert "ignored an unreadable cached answer in namespace 'llm'" in capsys.readouterr().err
    info = run_cli("cache", "info", "--json")
    assert info.exit_code == 0 and '"unreadable_rows": 2' in info.stdout
    cleared = run_cli("cache", "clear", "--namespace", "wikipedia", "--yes")  # reads every key
    assert cleared.exit_code == 0
    cleared = run_cli("cache", "clear", "--yes")
    assert cleared.exit_code == 0
    assert not marker.exists()


# ----------------------------------------------------------------------------------- checkpoints


def _evil_checkpoint(path: Path, marker: Path) -> Path:
    """A torch.save file shaped like a format-1 kgen checkpoint, with the payload inside."""
    live_payload(marker)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "format_version": 1, "model": {}, "config": {}, "x": Payload(marker)}, path)
    torch.load(path, weights_only=False)  # proof that the file's payload is live
    assert marker.exists()
    marker.unlink()
    return path


def test_kgen_eval_never_runs_a_checkpoint_payload(tmp_path: Path, run_cli) -> None:
    marker = tmp_path / "pwned"
    evil = _evil_checkpoint(tmp_path / "evil.pt", marker)
    result = run_cli("eval", "--checkpoint", str(evil), "--bank", "none", "--dataset", "ucf101")
    assert result.exit_code == 3
    assert "holds Python objects that kgen does not load" in result.stderr and "it asks for io.open" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_resume_init_checkpoint_and_average_weights_never_run_a_payload(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    marker = tmp_path / "pwned"
    bank = synthetic_bank(synthetic)
    # resume: a run folder whose last.pt was replaced
    run_dir = tmp_path / "run"
    _evil_checkpoint(run_dir / "checkpoints" / "last.pt", marker)
    with pytest.raises(FormatError, match="holds Python objects"):
        Trainer(tiny_run_config(synthetic), bank=bank, run_dir=run_dir, show_progress=False).run()
    assert not marker.exists()
    # init_checkpoint: a model started from another run's weights
    evil = _evil_checkpoint(tmp_path / "init.pt", marker)
    config = tiny_run_config(synthetic, model={"init_checkpoint": str(evil)})
    with pytest.raises(FormatError, match="holds Python objects"):
        Trainer(config, bank=bank, run_dir=tmp_path / "run2", show_progress=False).run()
    assert not marker.exists()
    # average-weights: an epoch file among the averaged ones
    _evil_checkpoint(tmp_path / "avg" / "checkpoints" / "epoch_002.pt", marker)
    result = run_cli("average-weights", str(tmp_path / "avg"), "--start", "2")
    assert result.exit_code == 3 and "holds Python objects" in result.stderr
    assert not marker.exists()
    # and the loader itself, on any path
    with pytest.raises(FormatError):
        load_checkpoint(evil)
    assert not marker.exists()
