"""File-system failures as one-line messages, and the checks that find them before expensive work.

Two halves:

* :func:`storage_error` turns an :class:`OSError` (read-only or full disk, permission, a path
  component that is a file, a name too long...) into a :class:`~kgen.errors.StorageError`: one
  line saying what and where, one hint saying what to do. ``cli.run`` applies it to any
  ``OSError`` that reaches it, so no command prints a traceback for a file-system problem.
* :func:`check_writable_dir` is called *before* a command starts paid-for or long work (crawls,
  LLM calls, encoding, training): the folder it will write to must be creatable and writable, its
  names short enough, and its disk must have room for the estimated output. It writes nothing but a
  probe file that it removes at once.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from kgen.errors import KgenError, StorageError

# A name component longer than this is refused by (almost) every file system: ext4, xfs, btrfs,
# tmpfs and APFS all allow 255 bytes.
NAME_MAX_BYTES = 255

# Kept free on top of an estimate: the output is written next to the old file (atomic writes), and
# a disk filled to the last byte breaks other programs too.
FREE_SPACE_MARGIN_BYTES = 16 << 20

_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM}
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def storage_error(exc: OSError, path: Path | str | None = None, *, doing: str = "write") -> StorageError:
    """The user-facing error for ``exc`` (raised while trying to ``doing`` ``path``)."""
    where = str(exc.filename) if exc.filename else (str(path) if path is not None else "a file")
    code = exc.errno
    if code in _READ_ONLY:
        return StorageError(
            f"cannot {doing} {where}: the file system is read-only",
            hint="choose a writable folder (e.g. --root DIR or --out DIR)",
        )
    if code in _DENIED:
        return StorageError(
            f"cannot {doing} {where}: permission denied",
            hint="choose a folder you may write to (e.g. --root DIR or --out DIR), or fix its permissions",
        )
    if code in _FULL:
        return StorageError(
            f"cannot {doing} {where}: no space left on the device (or the quota is used up)",
            hint="free some space on that disk, or write elsewhere (e.g. --root DIR, --out DIR, --cache-dir DIR)",
        )
    if code == errno.ENAMETOOLONG:
        return StorageError(
            f"cannot {doing} {where}: a name in this path is too long for the file system",
            hint=f"use a shorter --name or output path (each folder or file name at most {NAME_MAX_BYTES} bytes)",
        )
    if code in (errno.ENOTDIR, errno.EEXIST):
        return StorageError(
            f"cannot {doing} {where}: a part of this path is a file, not a folder",
            hint="give a folder path (check --root, --out and --cache-dir), or move the file away",
        )
    if code == errno.EISDIR:
        return StorageError(f"cannot {doing} {where}: it is a folder", hint="give a file path")
    if code == errno.ENOENT:
        return StorageError(f"cannot {doing} {where}: no such file or folder", hint="check the path")
    reason = exc.strerror or str(exc)
    return StorageError(f"cannot {doing} {where}: {reason}", hint="check the disk and the path, then rerun")


_FILE_SYSTEM_CODES = _READ_ONLY | _DENIED | _FULL | {
    errno.ENAMETOOLONG, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENOENT, errno.EIO, errno.ELOOP,
}


def describe_os_error(exc: OSError) -> KgenError:
    """The message for an ``OSError`` that reached the command line unhandled.

    File-system failures become a :class:`StorageError`; anything else (a network error that a
    command did not handle) still becomes one line, not a traceback.
    """
    if exc.filename or exc.errno in _FILE_SYSTEM_CODES:
        return storage_error(exc)
    return KgenError(f"{type(exc).__name__}: {exc.strerror or exc}", hint="rerun; if it happens again, check the network and the disk")


def nearest_existing(path: Path) -> Path:
    """``path`` itself, or its closest ancestor that exists."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_name_lengths(path: Path, what: str) -> None:
    """Refuse a path with a component longer than the file system allows."""
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX_BYTES:
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise StorageError(
                f"{what} {shown!r} is {size} bytes long; file systems allow at most {NAME_MAX_BYTES}",
                hint="use a shorter name (e.g. --name) or a shorter output path",
            )


def check_writable_dir(path: Path, what: str, *, need_bytes: int = 0) -> None:
    """Before expensive work: ``path`` (a folder, made later if missing) can take ``need_bytes``.

    Refuses, with a :class:`StorageError`, a path under a file, a read-only or forbidden folder,
    a name too long, and a disk without ``need_bytes`` plus a margin free. ``what`` names the
    folder for the user (e.g. "the workspace", "the run folder").
    """
    path = Path(path).absolute()
    check_name_lengths(path, f"{what}: the name")
    existing = nearest_existing(path)
    if not existing.is_dir():
        raise StorageError(
            f"{what} {path} cannot be made: {existing} is a file, not a folder",
            hint="give a folder path (check --root, --out and --cache-dir), or move the file away",
        )
    try:
        with tempfile.TemporaryFile(prefix=".kgen-probe-", dir=existing):
            pass
    except OSError as exc:
        exc.filename = str(existing)  # not the probe's name
        doing = f"write in {what}" if existing == path else f"create {what} {path} in"
        raise storage_error(exc, doing=doing) from exc
    check_free_space(existing, need_bytes, what)


def check_free_space(path: Path, need_bytes: int, what: str) -> None:
    """Refuse when the disk holding ``path`` has less than ``need_bytes`` plus a margin free."""
    try:
        free = shutil.disk_usage(nearest_existing(Path(path))).free
    except OSError:
        return  # no estimate on this file system: the write itself will say if it fails
    if free < need_bytes + FREE_SPACE_MARGIN_BYTES:
        raise StorageError(
            f"not enough free space for {what} at {path}: {_size(free)} free, about "
            f"{_size(need_bytes + FREE_SPACE_MARGIN_BYTES)} needed",
            hint="free some space on that disk, or write elsewhere (e.g. --root DIR or --out DIR)",
        )


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
