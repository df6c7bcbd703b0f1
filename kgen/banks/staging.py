"""Staging folders: where a bank is written before it is renamed into place.

A bank is written into a hidden sibling of its final directory, ``.<bank id>.<8 characters>``,
and renamed when every file is complete, so a reader never sees half a bank. The writing process
holds an exclusive ``flock`` on ``.<bank id>.<8 characters>.lock`` (beside the folder, holding the
writer's pid, host and start time) for as long as it writes.

A run that is killed leaves its staging folder behind. A folder is **stale** when

* its lock file exists and no live process holds the lock (the writer died: the kernel released
  its lock), or
* it has no lock file (kgen before version 2 of the bank format wrote none, or the lock file was
  removed) and nothing in it changed for :data:`STALE_AFTER_S` (a day: longer than any run of
  ``encode-bank`` takes; a writer changes its files continually).

A folder whose lock is held is never touched, however old. ``kgen encode-bank`` removes the stale
folders of its output directory before it writes (and says so), and ``kgen bank list --staging``
lists every staging folder with its state.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kgen.banks.layout import BANK_FILES

STALE_AFTER_S = 24 * 3600
LOCK_SUFFIX = ".lock"
# ".<bank id>.<8 characters>": the name tempfile.mkdtemp gives with prefix ".<bank id>." (kgen's
# staging folders of every version); nothing else in a banks directory is hidden and named so.
_STAGING_NAME = re.compile(r"^\.(?P<bank_id>[A-Za-z0-9_.\-]+)\.(?P<tag>[a-z0-9_]{8})$")
_TAG_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"


@dataclass(frozen=True)
class StagingFolder:
    """A staging folder and what is known about its writer."""

    path: Path
    bank_id: str
    has_lock_file: bool
    held: bool  # a live process holds the lock
    pid: int | None
    host: str | None
    started_at: str | None
    age_s: float  # since anything in it last changed
    size_bytes: int

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + LOCK_SUFFIX)

    @property
    def stale(self) -> bool:
        if self.has_lock_file:
            return not self.held
        return self.age_s > STALE_AFTER_S

    @property
    def state(self) -> str:
        if self.held:
            return f"being written (pid {self.pid} on {self.host})" if self.pid else "being written"
        if self.stale:
            why = "its writer is gone" if self.has_lock_file else f"unchanged for {self.age_s / 3600:.0f} h, no lock"
            return f"stale ({why})"
        return f"recent, no lock (stale after {STALE_AFTER_S // 3600} h unchanged)"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path), "bank_id": self.bank_id, "state": self.state, "stale": self.stale, "held": self.held,
            "pid": self.pid, "host": self.host, "started_at": self.started_at, "age_s": round(self.age_s, 1),
            "size_bytes": self.size_bytes,
        }


def is_staging_name(name: str) -> bool:
    return _STAGING_NAME.match(name) is not None


def _lock_is_held(lock_path: Path) -> bool:
    try:
        handle = open(lock_path, "rb")
    except OSError:
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False  # a filesystem without flock: fall back on the age rule's caller
    finally:
        handle.close()
    return False


def _owner(lock_path: Path) -> dict[str, object]:
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _age_and_size(folder: Path) -> tuple[float, int]:
    newest, size = 0.0, 0
    try:
        newest = folder.stat().st_mtime
        for entry in folder.iterdir():
            info = entry.stat()
            newest = max(newest, info.st_mtime)
            size += info.st_size
    except OSError:
        pass
    return max(0.0, time.time() - newest), size


def inspect_staging(path: Path) -> StagingFolder | None:
    match = _STAGING_NAME.match(path.name)
    if match is None or not path.is_dir():
        return None
    lock_path = path.with_name(path.name + LOCK_SUFFIX)
    has_lock = lock_path.is_file()
    owner = _owner(lock_path) if has_lock else {}
    age, size = _age_and_size(path)
    pid = owner.get("pid")
    return StagingFolder(
        path=path, bank_id=match["bank_id"], has_lock_file=has_lock, held=has_lock and _lock_is_held(lock_path),
        pid=pid if isinstance(pid, int) else None, host=str(owner["host"]) if "host" in owner else None,
        started_at=str(owner["started_at"]) if "started_at" in owner else None, age_s=age, size_bytes=size,
    )


def find_staging(root: Path) -> list[StagingFolder]:
    """Every staging folder directly under ``root``."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.iterdir()):
        folder = inspect_staging(path) if path.name.startswith(".") else None
        if folder is not None:
            found.append(folder)
    return found


def _only_bank_files(folder: Path) -> bool:
    try:
        return all(entry.is_file() and entry.name in BANK_FILES for entry in folder.iterdir())
    except OSError:
        return False


def clean_stale(root: Path) -> list[StagingFolder]:
    """Remove the stale staging folders under ``root``; return them. A folder holding anything but
    bank files is left alone (it is not kgen's)."""
    removed = []
    for folder in find_staging(root):
        if not folder.stale or not _only_bank_files(folder.path):
            continue
        if folder.has_lock_file:
            # Take the lock ourselves, so that no writer can start using this name meanwhile.
            try:
                handle = open(folder.lock_path, "rb")
            except OSError:
                continue
            try:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue
                shutil.rmtree(folder.path, ignore_errors=True)
                folder.lock_path.unlink(missing_ok=True)
            finally:
                handle.close()
        else:
            shutil.rmtree(folder.path, ignore_errors=True)
        if not folder.path.exists():
            removed.append(folder)
    # Lock files whose folder is gone (a writer killed between the two removals).
    if root.is_dir():
        for lock in root.glob("." + "*" + LOCK_SUFFIX):
            stem = lock.name[: -len(LOCK_SUFFIX)]
            if is_staging_name(stem) and not (root / stem).exists() and not _lock_is_held(lock):
                lock.unlink(missing_ok=True)
    return removed


def live_writers_of(root: Path, bank_id: str) -> list[StagingFolder]:
    """Staging folders of ``bank_id`` whose writer is alive and is another process (another run is
    writing this bank). This process's own writers are left out: waiting for them would never end."""
    me = (os.getpid(), socket.gethostname())
    return [f for f in find_staging(root) if f.bank_id == bank_id and f.held and (f.pid, f.host) != me]


def wait_for(folder: StagingFolder, poll_s: float = 0.5) -> None:
    """Block until the writer of ``folder`` releases its lock (it finished, failed or died)."""
    try:
        handle = open(folder.lock_path, "rb")
    except OSError:
        return
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                time.sleep(poll_s)
            except OSError:
                return
    finally:
        handle.close()


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A fresh, locked staging folder for ``target`` (removed with its lock if the block fails).

    The lock file is created and locked before the folder exists, so a cleaner never sees the
    folder unlocked while its writer lives. The caller renames the folder to ``target`` inside the
    block; the lock file is removed at the end either way.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    folder, lock_fd = _new_locked_name(parent, target.name)
    lock_path = folder.with_name(folder.name + LOCK_SUFFIX)
    try:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.write(lock_fd, json.dumps(owner).encode("utf-8"))
        folder.mkdir()
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock_path.unlink(missing_ok=True)
        os.close(lock_fd)


def _new_locked_name(parent: Path, bank_id: str) -> tuple[Path, int]:
    for _ in range(1000):
        tag = "".join(secrets.choice(_TAG_CHARACTERS) for _ in range(8))
        folder = parent / f".{bank_id}.{tag}"
        lock_path = folder.with_name(folder.name + LOCK_SUFFIX)
        if folder.exists():
            continue
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # no flock on this filesystem: the age rule still applies to what a crash leaves
        return folder, fd
    raise FileExistsError(f"no free staging name for {bank_id} in {parent}")
