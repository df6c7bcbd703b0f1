"""The banks in a directory (``banks/`` by default): listing them, and the latest of a lineage.

Every bank directory holds ``manifest.json``; a directory whose manifest cannot be read is listed
as broken rather than hidden, so ``kgen bank list`` shows what ``kgen bank verify`` should look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kgen.banks.manifest import BankManifest
from kgen.errors import FormatError, InputError

MANIFEST_NAME = "manifest.json"
LATEST_SUFFIX = "@latest"


@dataclass(frozen=True)
class StoredBank:
    path: Path
    manifest: BankManifest | None
    problem: str | None = None  # why the manifest could not be read

    @property
    def sort_key(self) -> tuple[str, int, str]:
        created = self.manifest.created_at if self.manifest else ""
        try:
            mtime = (self.path / MANIFEST_NAME).stat().st_mtime_ns
        except OSError:
            mtime = 0
        return (created, mtime, self.path.name)


def find_banks(root: Path) -> list[StoredBank]:
    """Every bank directory directly under ``root``, sorted by id."""
    if not root.is_dir():
        return []
    found = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (directory / MANIFEST_NAME).is_file():
            continue
        try:
            found.append(StoredBank(directory, BankManifest.load(directory / MANIFEST_NAME)))
        except FormatError as exc:
            found.append(StoredBank(directory, None, exc.message))
    return found


def latest_per_lineage(banks: list[StoredBank]) -> dict[str, StoredBank]:
    """The newest readable bank of each lineage (by creation time)."""
    latest: dict[str, StoredBank] = {}
    for bank in banks:
        if bank.manifest is None:
            continue
        lineage = bank.manifest.lineage
        if lineage not in latest or bank.sort_key > latest[lineage].sort_key:
            latest[lineage] = bank
    return latest


def resolve_latest(reference: str, default_root: Path) -> Path:
    """``[DIR/]<lineage>@latest``: the newest bank of that lineage under DIR (default ``banks/``)."""
    base = Path(reference[: -len(LATEST_SUFFIX)]).expanduser()
    root = base.parent if str(base.parent) not in ("", ".") else default_root
    latest = latest_per_lineage(find_banks(root))
    if base.name in latest:
        return latest[base.name].path
    lineages = sorted(latest)
    close = [name for name in lineages if base.name in name][:6]
    raise InputError(
        f"no bank of lineage {base.name!r} under {root}",
        hint=(f"lineages that contain it: {', '.join(close)}" if close else "list banks with `kgen bank list`")
        + " (a lineage is a bank id without its trailing hash)",
    )
