"""Run ``kgen`` in a subprocess for which file permissions hold, also when the tests run as root.

Root ignores permission bits, so a read-only folder cannot be simulated in-process there. As root,
the command runs under ``setpriv`` without the capabilities that bypass permissions
(``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``); as another user it runs as it is. Where neither
works the test is skipped (it says why).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_DROP = ["--bounding-set", "-dac_override,-dac_read_search", "--"]


@cache
def _prefix() -> tuple[str, ...] | None:
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    probe = subprocess.run([setpriv, *_DROP, "true"], capture_output=True)
    return (setpriv, *_DROP) if probe.returncode == 0 else None


def run_kgen(*args: str, env: dict[str, str], python_code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m cli ARGS`` (or ``python -c CODE``) with permissions enforced; env adds to os.environ."""
    prefix = _prefix()
    if prefix is None:
        pytest.skip("running as root without a working setpriv: permissions cannot be enforced")
    command = [sys.executable, "-c", python_code] if python_code else [sys.executable, "-m", "cli", *args]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **env}
    return subprocess.run([*prefix, *command], env=full_env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def make_read_only(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o755 if path.is_dir() else 0o644)
