"""File-system failures are one-line messages with a hint (exit code 6), found before expensive work.

Read-only and file-valued --root, a full disk (estimated before the work, and ENOSPC in the middle
of a write), names too long, and the warning for a --root that does not exist yet.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest
import torch
from unprivileged import make_read_only, make_writable, run_kgen

from kgen.cache import ResponseCache
from kgen.errors import StorageError
from zsar.engine.checkpoint import save_checkpoint


@pytest.fixture
def classes(tmp_path: Path) -> Path:
    path = tmp_path / "mine.txt"
    path.write_text("fencing\ndiving\n")
    return path


def test_a_read_only_root_is_refused_before_any_work(tmp_path: Path, classes: Path) -> None:
    root = tmp_path / "ro-root"
    root.mkdir()
    env = {"KGEN_CACHE_DIR": str(tmp_path / "cache"), "KGEN_ROOT": str(tmp_path)}
    make_read_only(root)
    try:
        commands = {
            "crawl": ["crawl", "--classes", str(classes), "--offline"],
            # port 9 (discard) is closed: a call there would fail otherwise (exit 4/5), and later
            "build": ["build-descriptions", "--classes", str(classes), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
            "encode": ["encode-bank", "--classes", str(classes), "--model", "kgen-tiny-vit", "--pretrained", "random"],
        }
        for what, args in commands.items():
            result = run_kgen("--root", str(root), *args, env=env)
            assert result.returncode == 6, (what, result.stderr)
            message = " ".join(result.stderr.split())  # rich wraps long lines
            assert f"in {root}: permission denied" in message and "hint:" in message, what
            assert "Traceback" not in result.stderr and result.stderr.count("error:") == 1, (what, result.stderr)
    finally:
        make_writable(root)
    assert list(root.iterdir()) == []  # nothing written


def test_a_root_that_is_a_file_is_refused_at_once(tmp_path: Path, run_cli, classes: Path) -> None:
    file_root = tmp_path / "root.txt"
    file_root.write_text("not a folder")
    result = run_cli("--root", str(file_root), "crawl", "--classes", str(classes), "--offline")
    assert result.exit_code == 6 and f"--root {file_root} is a file, not a folder" in result.stderr
    assert file_root.read_text() == "not a folder"


def test_a_full_disk_is_found_before_the_work(tmp_path: Path, run_cli, classes: Path, monkeypatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("kgen.storage.shutil.disk_usage", lambda path: usage(10 << 30, (10 << 30) - (1 << 20), 1 << 20))
    crawled: list[Any] = []
    monkeypatch.setattr("kgen.commands.crawl.crawl", lambda *a, **k: crawled.append(a))
    result = run_cli("crawl", "--classes", str(classes), "--offline")
    assert result.exit_code == 6 and "not enough free space for the knowledge folder" in result.stderr
    assert "1.0 MB free" in result.stderr and "hint:" in result.stderr
    assert crawled == []  # refused before the crawl started


def _fail_writes_with_enospc(monkeypatch) -> None:
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kgen.fileformat.os.fdopen", lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))


def test_a_disk_that_fills_up_during_a_write_keeps_the_old_file(
    tmp_path: Path, run_cli, classes: Path, monkeypatch, isolated_workspace: Path
) -> None:
    assert run_cli("crawl", "--classes", str(classes), "--offline").exit_code == 0
    folder = isolated_workspace / "knowledge" / "mine"
    before = (folder / "descriptions.json").read_bytes()
    _fail_writes_with_enospc(monkeypatch)
    result = run_cli("crawl", "--classes", str(classes), "--offline", "--refresh")
    assert result.exit_code == 6
    assert f"cannot write {folder / 'descriptions.json'}: no space left on the device" in result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "descriptions.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["class-list.json", "descriptions.json"]  # no temporary file


def test_a_full_disk_while_writing_a_checkpoint_or_the_cache(tmp_path: Path, run_cli, monkeypatch) -> None:
    run = tmp_path / "run"
    for epoch in (2, 3):
        save_checkpoint(run / "checkpoints" / f"epoch_{epoch:03d}.pt", {"config": {}, "model": {"w": torch.full((4,), float(epoch))}})

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("zsar.engine.weights_file.save_file", full)
    result = run_cli("average-weights", str(run))
    assert result.exit_code == 6 and "averaged.pt: no space left on the device" in result.stderr
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_002.pt", "epoch_003.pt"]

    with ResponseCache(tmp_path / "cache") as cache:
        def sqlite_full(*args: Any, **kwargs: Any) -> None:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
            raise error

        monkeypatch.setattr(cache._store, "set", sqlite_full)
        with pytest.raises(StorageError, match="no space left on the device"):
            cache.set("llm:x", 1)


def test_names_too_long_for_the_file_system_are_refused(tmp_path: Path, run_cli, classes: Path) -> None:
    result = run_cli("crawl", "--classes", str(classes), "--offline", "--name", "n" * 300)
    assert result.exit_code == 2 and "300 characters; at most 100" in result.stderr and "shorter --name" in result.stderr
    long_file = tmp_path / ("c" * 120 + ".txt")
    long_file.write_text("fencing\n")
    result = run_cli("crawl", "--classes", str(long_file), "--offline")
    assert result.exit_code == 2 and "give a shorter --name" in result.stderr
    result = run_cli("average-weights", str(tmp_path / "run"), "--out", str(tmp_path / ("o" * 300) / "avg.pt"))
    assert result.exit_code == 6 and "300 bytes long; file systems allow at most 255" in result.stderr
    assert not any(len(p.name) > 255 for p in tmp_path.iterdir())


def test_a_root_that_does_not_exist_yet_is_announced(tmp_path: Path, run_cli, classes: Path) -> None:
    typo = tmp_path / "worksapce"
    result = run_cli("--root", str(typo), "crawl", "--classes", str(classes), "--offline")
    assert result.exit_code == 0
    assert f"the workspace {typo} (--root) does not exist yet" in " ".join(result.stderr.split())
    again = run_cli("--root", str(typo), "crawl", "--classes", str(classes), "--offline")
    assert "does not exist yet" not in again.stderr


def test_an_unexpected_os_error_is_one_line(run_cli, monkeypatch, classes: Path) -> None:
    def denied(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/file.json")

    monkeypatch.setattr("kgen.commands.crawl.crawl", denied)
    result = run_cli("crawl", "--classes", str(classes), "--offline")
    assert result.exit_code == 6
    assert result.stderr.splitlines()[0] == "error: cannot write /somewhere/file.json: permission denied"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
        (errno.ENOSPC, "no space left on the device"),
        (errno.EDQUOT, "no space left on the device (or the quota is used up)"),
        (errno.ENAMETOOLONG, "a name in this path is too long"),
        (errno.ENOTDIR, "a part of this path is a file, not a folder"),
    ],
)
def test_every_file_system_error_has_its_own_message_and_hint(code: int, expected: str) -> None:
    from kgen.storage import storage_error

    error = storage_error(OSError(code, os.strerror(code), "/data/x.json"))
    assert error.message.startswith(f"cannot write /data/x.json: {expected}") and error.hint and error.exit_code == 6
