"""Permissions of what kgen writes: those the umask allows, as for any file a program creates.

Atomic writes go through a temporary file (``tempfile.mkstemp``, always 0600) or folder
(``tempfile.mkdtemp``, always 0700) that is then renamed into place, so without a fix every file
and folder kgen writes would be private whatever the umask, and a lab could not share a
``banks/`` folder. :func:`make_shareable` gives such a file or folder the mode that ``open`` or
``mkdir`` would have given it (0666 or 0777 less the umask: 0644/0755 under the usual umask 022,
0664/0775 under 002) *before* the rename, so the final name never shows a private file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_lock = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _lock:  # elsewhere: set and restore at once (the only portable way to read it)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from ``open``: 0666 less the umask."""
    return 0o666 & ~current_umask()


def folder_mode() -> int:
    """The mode a new folder gets from ``mkdir``: 0777 less the umask."""
    return 0o777 & ~current_umask()


def make_shareable(path: Path | str, *, fd: int | None = None) -> None:
    """Give a temporary file or folder (about to be renamed into place) the umask's usual mode."""
    if fd is not None:
        os.fchmod(fd, file_mode())
        return
    mode = folder_mode() if Path(path).is_dir() else file_mode()
    os.chmod(path, mode)
