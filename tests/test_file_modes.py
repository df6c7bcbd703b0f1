"""What kgen writes takes the permissions the umask allows (a lab shares a banks/ folder)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from kgen.fileformat import VersionedFile, atomic_write_text
from kgen.filemode import current_umask, file_mode, folder_mode
from zsar.engine.checkpoint import save_checkpoint

TINY = ("--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")


@pytest.fixture
def umask() -> Iterator[callable]:
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


class _Note(VersionedFile):
    FORMAT = "kgen.test-note"
    text: str = ""


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_current_umask_is_read_without_changing_it(umask) -> None:
    umask(0o027)
    assert current_umask() == 0o027 and file_mode() == 0o640 and folder_mode() == 0o750
    assert os.umask(0o027) == 0o027  # unchanged


def test_files_and_folders_are_group_and_other_readable_under_umask_022(umask, run_cli, isolated_workspace: Path, tmp_path: Path) -> None:
    result = run_cli("encode-bank", "--dataset", "hmdb51", *TINY)
    assert result.exit_code == 0, result.stderr
    bank = Path(result.stdout.strip())
    modes = _modes(bank)
    assert set(modes) >= {".", "manifest.json", "summary.json", "texts.jsonl", "bank.safetensors"}
    for name, mode in modes.items():
        assert mode == (0o755 if name == "." else 0o644), (name, oct(mode))
    assert stat.S_IMODE((isolated_workspace / "banks").stat().st_mode) == 0o755
    verified = run_cli("bank", "verify", str(bank))  # writes the verification memory file
    assert verified.exit_code == 0
    assert all(mode & 0o044 == 0o044 for mode in _modes(bank).values())

    note = _Note(text="x").save(tmp_path / "notes" / "note.json")
    atomic_write_text(tmp_path / "notes" / "plain.txt", "x")
    checkpoint = save_checkpoint(tmp_path / "run" / "last.pt", {"weights": {"w": torch.zeros(2)}})
    for path in (note, tmp_path / "notes" / "plain.txt", checkpoint):
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o644, path


def test_a_private_umask_stays_private(umask, tmp_path: Path) -> None:
    umask(0o077)
    atomic_write_text(tmp_path / "private.txt", "x")
    assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600
    umask(0o002)  # a group-shared folder: group may write too
    atomic_write_text(tmp_path / "shared.txt", "x")
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o664
