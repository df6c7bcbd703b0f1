"""The banks in a directory (``banks/`` by default): listing them, and the latest of a lineage.

Listing reads each bank's ``summary.json`` (a few hundred bytes) and the header of its tensors
file, never the full manifest or the data: a bank of millions of texts lists as fast as a small
one. A version-1 bank has no summary; its manifest is read instead. A bank is listed as

* unreadable when neither can be read (with the reason), so ``kgen bank list`` shows what
  ``kgen bank verify`` should look at;
* damaged when its files are missing, truncated or of other shapes than it records (the quick
  checks of :mod:`kgen.banks.verify`);
* verified when its contents were verified before and its files have not changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kgen import paths
from kgen.banks.layout import MANIFEST_FILE, SUMMARY_FILE, TEXTS_FILE
from kgen.banks.manifest import BankManifest, BankSummary
from kgen.errors import FormatError, InputError, KgenError

MANIFEST_NAME = MANIFEST_FILE
LATEST_SUFFIX = "@latest"


@dataclass(frozen=True)
class StoredBank:
    path: Path
    summary: BankSummary | None
    problem: str | None = None  # why neither summary nor manifest could be read
    damage: list[str] = field(default_factory=list)  # what the quick checks found
    verified: bool = False  # contents verified before, files unchanged since

    @property
    def sort_key(self) -> tuple[str, int, str]:
        created = self.summary.created_at if self.summary else ""
        try:
            mtime = (self.path / MANIFEST_NAME).stat().st_mtime_ns
        except OSError:
            mtime = 0
        return (created, mtime, self.path.name)

    @property
    def lineage(self) -> str | None:
        return self.summary.lineage if self.summary else None


def read_stored(directory: Path, *, check: bool = True) -> StoredBank:
    """What a listing shows about one bank directory (``check``: run the quick checks too)."""
    from kgen.banks.verify import is_remembered, quick_problems, summary_problems

    summary_path = directory / SUMMARY_FILE
    if summary_path.is_file():
        try:
            summary = BankSummary.load(summary_path)
        except KgenError as exc:
            return StoredBank(directory, None, f"{SUMMARY_FILE}: {exc.message}")
        if not check:
            return StoredBank(directory, summary)
        damage = summary_problems(directory, summary)
        texts_file = TEXTS_FILE if summary.texts_bytes is not None else None
        verified = not damage and is_remembered(directory, summary.content_hash, summary.tensors_sha256, texts_file)
        return StoredBank(directory, summary, damage=damage, verified=verified)
    try:
        manifest = BankManifest.load(directory / MANIFEST_NAME)
    except FormatError as exc:
        return StoredBank(directory, None, exc.message)
    summary = BankSummary.of(manifest)
    if not check:
        return StoredBank(directory, summary)
    damage, _header = quick_problems(directory, manifest)
    if manifest.stored_format_version >= 2:
        damage = [f"{SUMMARY_FILE} is missing", *damage]
    texts_file = manifest.texts_file.file if manifest.texts_file else None
    verified = not damage and is_remembered(directory, manifest.content_hash, manifest.tensors_sha256, texts_file)
    return StoredBank(directory, summary, damage=damage, verified=verified)


def find_banks(root: Path, *, check: bool = True) -> list[StoredBank]:
    """Every bank directory directly under ``root``, sorted by id (staging folders are not banks)."""
    if not root.is_dir():
        return []
    found = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (directory / MANIFEST_NAME).is_file() and not (directory / SUMMARY_FILE).is_file():
            continue
        found.append(read_stored(directory, check=check))
    return found


def latest_per_lineage(banks: list[StoredBank]) -> dict[str, StoredBank]:
    """The newest readable bank of each lineage (by creation time)."""
    latest: dict[str, StoredBank] = {}
    for bank in banks:
        if bank.summary is None:
            continue
        lineage = bank.summary.lineage
        if lineage not in latest or bank.sort_key > latest[lineage].sort_key:
            latest[lineage] = bank
    return latest


def resolve_latest(reference: str, default_root: Path) -> Path:
    """``[DIR/]<lineage>@latest``: the newest bank of that lineage under DIR (default ``banks/``)."""
    base = Path(reference[: -len(LATEST_SUFFIX)]).expanduser()
    root = base.parent if str(base.parent) not in ("", ".") else default_root
    latest = latest_per_lineage(find_banks(root, check=False))
    if base.name in latest:
        return latest[base.name].path
    lineages = sorted(latest)
    close = [name for name in lineages if base.name in name][:6]
    raise InputError(
        f"no bank of lineage {base.name!r} under {root}",
        hint=(f"lineages that contain it: {', '.join(close)}" if close else "list banks with `kgen bank list`")
        + " (a lineage is a bank id without its trailing hash)",
    )


def resolve_bank_path(path_or_id: str | Path) -> Path:
    """A bank directory from a path, a bank id under ``banks/``, a unique prefix of one, or
    ``[DIR/]<lineage>@latest`` (the newest version of a lineage: a bank id without its hash), or
    ``hf-hub:ORG/REPO[@REVISION]`` (a bank on the Hugging Face Hub, fetched once into kgen's cache)."""
    from kgen.banks.hub import fetch_bank, is_hub_reference

    if is_hub_reference(path_or_id):
        return fetch_bank(str(path_or_id))
    candidate = Path(path_or_id).expanduser()
    if (candidate / MANIFEST_NAME).is_file():
        return candidate
    root = paths.banks_dir()
    if str(path_or_id).endswith(LATEST_SUFFIX):
        return resolve_latest(str(path_or_id), root)
    if (root / str(path_or_id) / MANIFEST_NAME).is_file():
        return root / str(path_or_id)
    matches = sorted(p for p in root.glob(f"{path_or_id}*") if (p / MANIFEST_NAME).is_file()) if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches[:6])
        raise InputError(
            f"{path_or_id!r} matches {len(matches)} banks: {names}",
            hint="give more of the bank id, or name the newest version of a lineage with LINEAGE@latest",
        )
    raise FormatError(
        f"no bank at {path_or_id!r} (looked for {candidate / MANIFEST_NAME} and under {root})",
        hint="list banks with `kgen bank list`, or make one with `kgen encode-bank`",
    )
