"""Shared test fixtures. Every test runs in its own workspace and cache (never ~/.cache/kgen)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import cli


@pytest.fixture(autouse=True)
def isolated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh workspace (KGEN_ROOT) and response cache (KGEN_CACHE_DIR) for each test."""
    root = tmp_path / "workspace"
    root.mkdir()
    monkeypatch.setenv("KGEN_ROOT", str(root))
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    # the sense choice's sentence model only where a test asks for it (tests/test_crawl_similarity.py)
    monkeypatch.setenv("KGEN_SIMILARITY", "off")
    yield root


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run ``kgen ARGS...`` in process; returns exit code, stdout and stderr."""

    def _run(*args: str) -> CliResult:
        capsys.readouterr()
        code = cli.run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return _run
