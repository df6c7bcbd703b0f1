"""Is a bank what its manifest says it is? (``kgen bank verify``, ``load_bank(verify=True)``)

Quick checks (:func:`quick_problems`, no data read; run by every load and by ``kgen bank list``
and ``info``):

1. the manifest reads as ``kgen.bank`` of a version this kgen knows;
2. ``bank.safetensors`` is there, its header parses, the file is as long as the header says (a
   truncated copy is caught) and as the manifest records, and it holds the tensors the manifest
   describes (names, shapes: texts, classes, width, token features);
3. (version 2) ``texts.jsonl`` is there with the size the manifest records, and ``summary.json``
   agrees with the manifest.

Full checks (:func:`full_problems`, which read everything once):

4. ``bank.safetensors`` has the SHA-256 the manifest records (``tensors_sha256``);
5. ``texts.jsonl`` has the SHA-256 the manifest records, and each line's class id is the class
   the offsets put it in;
6. the content hash recomputed from the manifest's inputs (texts, classes, settings) equals
   ``content_hash``, and the bank id ends with its first 10 hex digits;
7. the ``class_offsets`` tensor equals the manifest's, and ``eot_index``/``token_mask`` agree;
8. every embedding is finite and of unit length (read in chunks of rows).

**Remembered verifications.** Checks 4-8 read the whole bank: about 0.1 s for a Kinetics-400
prompts bank, seconds for millions of texts. When they pass, kgen remembers it in the cache
(``<cache>/bank-verifications/``) with the size, modification time, change time and inode of each
file; a later load whose files have the same four values skips checks 4-8 (the quick checks still
run). Any write to a file changes its change time (which no user command can set back), so an
edited or replaced file is checked again. ``kgen bank verify`` always runs every check.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kgen import __version__, paths
from kgen.banks.layout import (
    MANIFEST_FILE,
    SUMMARY_FILE,
    TENSORS_FILE,
    TEXTS_FILE,
    ParsedHeader,
    read_header,
)
from kgen.banks.manifest import BankManifest, BankSummary, content_hash_of
from kgen.banks.textfile import read_texts_file
from kgen.errors import KgenError
from kgen.hashing import sha256_file, sha256_text

UNIT_NORM_TOLERANCE = 1e-4
ROWS_PER_CHUNK = 16384
MEMORY_DIR = "bank-verifications"


@dataclass
class VerifyReport:
    path: Path
    bank_id: str | None = None
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    remembered: bool = False  # the full checks were skipped: they passed before on these very files

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------- quick checks
def _tensors_header(directory: Path, problems: list[str]) -> ParsedHeader | None:
    """The header of the bank's tensors file, or None with the reason added to ``problems``."""
    tensors = directory / TENSORS_FILE
    if not tensors.is_file():
        problems.append(f"{TENSORS_FILE} is missing")
        return None
    try:
        return read_header(tensors)
    except KgenError as exc:
        problems.append(exc.message)
        return None


def quick_problems(directory: Path, manifest: BankManifest) -> tuple[list[str], ParsedHeader | None]:
    """What is wrong with the files of a bank without reading their data (see the module docstring)."""
    problems: list[str] = []
    header = _tensors_header(directory, problems)
    if header is not None:
        if header.truncated:
            problems.append(f"{TENSORS_FILE} is truncated: {header.actual_bytes} bytes of {header.expected_bytes}")
        elif header.actual_bytes > header.expected_bytes:
            problems.append(f"{TENSORS_FILE} has {header.actual_bytes - header.expected_bytes} bytes after its tensors")
        if manifest.tensors_bytes is not None and header.actual_bytes != manifest.tensors_bytes:
            problems.append(f"{TENSORS_FILE} has {header.actual_bytes} bytes, the manifest records {manifest.tensors_bytes}")
        problems += layout_problems(manifest, header)
    if manifest.texts_file is not None:
        texts = directory / manifest.texts_file.file
        if not texts.is_file():
            problems.append(f"{manifest.texts_file.file} is missing")
        elif texts.stat().st_size != manifest.texts_file.bytes:
            problems.append(f"{manifest.texts_file.file} has {texts.stat().st_size} bytes, the manifest records {manifest.texts_file.bytes}")
    if manifest.stored_format_version >= 2:
        summary_path = directory / SUMMARY_FILE
        try:
            summary = BankSummary.load(summary_path)
        except KgenError as exc:
            problems.append(f"{SUMMARY_FILE}: {exc.message}")
        else:
            if summary != BankSummary.of(manifest):
                problems.append(f"{SUMMARY_FILE} does not agree with the manifest")
    return problems, header


def summary_problems(directory: Path, summary: BankSummary) -> list[str]:
    """The quick checks a listing can make from ``summary.json`` alone (no manifest read)."""
    problems: list[str] = []
    if not (directory / MANIFEST_FILE).is_file():
        problems.append(f"{MANIFEST_FILE} is missing")
    header = _tensors_header(directory, problems)
    if header is not None:
        if header.truncated:
            problems.append(f"{TENSORS_FILE} is truncated: {header.actual_bytes} bytes of {header.expected_bytes}")
        elif summary.tensors_bytes is not None and header.actual_bytes != summary.tensors_bytes:
            problems.append(f"{TENSORS_FILE} has {header.actual_bytes} bytes, the bank records {summary.tensors_bytes}")
        emb = header.entries.get("embeddings")
        if emb is None or emb.spec.shape != (summary.texts, summary.embed_dim):
            problems.append(f"{TENSORS_FILE} does not hold {summary.texts} {summary.embed_dim}-d embeddings")
        if ("token_features" in header.entries) != summary.token_features:
            problems.append("token features present in one of tensors/manifest only")
    if summary.texts_bytes is not None:
        texts = directory / TEXTS_FILE
        if not texts.is_file():
            problems.append(f"{TEXTS_FILE} is missing")
        elif texts.stat().st_size != summary.texts_bytes:
            problems.append(f"{TEXTS_FILE} has {texts.stat().st_size} bytes, the bank records {summary.texts_bytes}")
    return problems


def layout_problems(manifest: BankManifest, header: ParsedHeader) -> list[str]:
    """The tensors a header lists against the ones the manifest describes."""
    problems = []
    entries = header.entries
    texts, classes, dim = manifest.num_texts, len(manifest.class_names), manifest.clip.embed_dim

    def shape(name: str) -> tuple[int, ...] | None:
        return entries[name].spec.shape if name in entries else None

    for name in ("embeddings", "class_offsets"):
        if name not in entries:
            problems.append(f"{TENSORS_FILE} has no tensor {name!r}")
    emb = shape("embeddings")
    if emb is not None:
        if len(emb) != 2 or emb[0] != texts:
            problems.append(f"embeddings {emb} for {texts} texts")
        elif emb[1] != dim:
            problems.append(f"embeddings are {emb[1]}-d, manifest says {dim}")
        elif entries["embeddings"].spec.dtype != "F32":
            problems.append(f"embeddings are stored as {entries['embeddings'].spec.dtype}, not float32")
    offsets = shape("class_offsets")
    if offsets is not None and offsets != (classes + 1,):
        problems.append(f"class_offsets {offsets} for {classes} classes")
    token_names = ("token_features", "token_mask", "eot_index")
    present = [n for n in token_names if n in entries]
    if manifest.token_features is None and present:
        problems.append("token features present in one of tensors/manifest only")
    if manifest.token_features is not None:
        if len(present) < 3:
            problems.append("token features present in one of tensors/manifest only" if not present else "token_features without token_mask/eot_index")
        else:
            features, mask, eot = shape("token_features"), shape("token_mask"), shape("eot_index")
            assert features is not None and mask is not None and eot is not None
            if len(features) != 3 or features[:2] != mask or features[0] != texts:
                problems.append("token_features and token_mask shapes disagree")
            elif features[2] != dim or eot != (texts,):
                problems.append("token_features or eot_index have the wrong shape")
            elif features[1] != manifest.token_features.length:
                problems.append(f"token_features hold {features[1]} positions, the manifest says {manifest.token_features.length}")
    unknown = sorted(set(entries) - {"embeddings", "class_offsets", *token_names})
    if unknown:
        problems.append(f"{TENSORS_FILE} holds tensors a bank has not: {', '.join(unknown)}")
    return problems


# ---------------------------------------------------------------------- full checks
def full_problems(directory: Path, manifest: BankManifest, header: ParsedHeader) -> tuple[list[str], list[str]]:
    """``(problems, checks passed)`` of checks 4-8 (everything is read)."""
    problems: list[str] = []
    checks: list[str] = []
    tensors = directory / TENSORS_FILE
    actual = sha256_file(tensors)
    if actual != manifest.tensors_sha256:
        problems.append(f"{TENSORS_FILE} has sha256 {actual[:16]}..., the manifest records {manifest.tensors_sha256[:16]}...")
    else:
        checks.append(f"tensors sha256 {actual[:16]}...")

    texts = text_types = None
    if manifest.texts_file is not None:
        try:
            texts, text_types, line_ids, digest = read_texts_file(directory / manifest.texts_file.file, manifest.texts_file)
        except KgenError as exc:
            problems.append(exc.message)
        else:
            if digest != manifest.texts_file.sha256:
                problems.append(
                    f"{manifest.texts_file.file} has sha256 {digest[:16]}..., the manifest records "
                    f"{manifest.texts_file.sha256[:16]}... (the texts were changed after encoding)"
                )
            expected_ids = [cid for k, cid in enumerate(manifest.class_ids) for _ in range(manifest.class_offsets[k], manifest.class_offsets[k + 1])]
            if line_ids != expected_ids:
                first = next(i for i, (a, b) in enumerate(zip(line_ids, expected_ids, strict=True)) if a != b)
                problems.append(f"{manifest.texts_file.file} line {first + 1} belongs to class {line_ids[first]}, the manifest's offsets say {expected_ids[first]}")
            elif digest == manifest.texts_file.sha256:
                checks.append(f"texts sha256 {digest[:16]}... ({len(texts)} texts)")
    else:
        texts, text_types = manifest.texts, manifest.text_types

    if texts is not None:
        inputs = manifest.with_texts(texts, text_types).inputs()
        recomputed = content_hash_of(inputs)
        if recomputed != manifest.content_hash:
            problems.append(
                f"the manifest's inputs hash to {recomputed[:16]}..., not its content_hash {manifest.content_hash[:16]}... "
                "(texts, classes or settings were changed after encoding)"
            )
        elif not manifest.bank_id.endswith(manifest.content_hash[:10]):
            problems.append(f"bank id {manifest.bank_id} does not end with its content hash {manifest.content_hash[:10]}")
        else:
            checks.append(f"content hash {manifest.content_hash[:16]}...")

    try:
        problems += _tensor_value_problems(tensors, manifest, header, checks)
    except Exception as exc:  # noqa: BLE001 - a damaged file may fail in any way; say so, do not crash
        problems.append(f"{TENSORS_FILE} could not be read: {exc}")
    return problems, checks


def _tensor_value_problems(path: Path, manifest: BankManifest, header: ParsedHeader, checks: list[str]) -> list[str]:
    import torch
    from safetensors import safe_open

    problems: list[str] = []
    with safe_open(str(path), framework="pt") as handle:
        offsets = handle.get_tensor("class_offsets")
        if offsets.tolist() != manifest.class_offsets:
            problems.append("class_offsets differ from the manifest's")
        slice_ = handle.get_slice("embeddings")
        worst = 0.0
        finite = True
        for start in range(0, manifest.num_texts, ROWS_PER_CHUNK):
            rows = slice_[start : start + ROWS_PER_CHUNK].float()
            if not rows.numel():
                continue
            norms = rows.norm(dim=-1)  # NaN or inf anywhere in a row makes its norm NaN or inf
            if not bool(torch.isfinite(norms).all()):
                if not bool(torch.isfinite(rows).all()):
                    finite = False
                    break
                worst = float("inf")  # finite values too large to square: certainly not unit length
                continue
            worst = max(worst, float((norms - 1).abs().max()))
        if not finite:
            problems.append("embeddings hold NaN or infinite values")
        elif worst > UNIT_NORM_TOLERANCE:
            problems.append(f"embeddings are not unit length (largest deviation {worst:.2e})")
        else:
            checks.append("embeddings finite and unit length")
        if manifest.token_features is not None and "eot_index" in header.entries:
            eot = handle.get_tensor("eot_index")
            length = manifest.token_features.length
            if bool(((eot < 0) | (eot >= length)).any()):
                problems.append("eot_index points outside the stored token positions")
            else:
                mask_slice = handle.get_slice("token_mask")
                positions = torch.arange(length).unsqueeze(0)
                for start in range(0, manifest.num_texts, ROWS_PER_CHUNK):
                    ends = eot[start : start + ROWS_PER_CHUNK].unsqueeze(1)
                    if not torch.equal(mask_slice[start : start + ROWS_PER_CHUNK].bool(), (positions > 0) & (positions < ends)):
                        problems.append("token_mask does not mark the tokens between the start and end tokens")
                        break
    return problems


# ---------------------------------------------------------------------- remembered verifications
def _file_stamps(directory: Path, texts_file: str | None) -> dict[str, list[int]] | None:
    names = [MANIFEST_FILE, TENSORS_FILE] + ([texts_file] if texts_file else [])
    stamps = {}
    for name in names:
        try:
            info = os.stat(directory / name)
        except OSError:
            return None
        stamps[name] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    return stamps


def _memory_path(directory: Path) -> Path:
    return paths.cache_dir() / MEMORY_DIR / f"{sha256_text(str(directory.resolve()))[:32]}.json"


def is_remembered(directory: Path, content_hash: str, tensors_sha256: str, texts_file: str | None) -> bool:
    """Whether the full checks passed before on these very files."""
    stamps = _file_stamps(directory, texts_file)
    if stamps is None:
        return False
    try:
        record = json.loads(_memory_path(directory).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("path") == str(directory.resolve())
        and record.get("files") == stamps
        and record.get("content_hash") == content_hash
        and record.get("tensors_sha256") == tensors_sha256
    )


def remember(directory: Path, manifest: BankManifest) -> None:
    """Note that the full checks passed (silently nothing if the cache cannot be written)."""
    from kgen.fileformat import atomic_write_text
    from kgen.knowledge.base import utc_now

    stamps = _file_stamps(directory, manifest.texts_file.file if manifest.texts_file else None)
    if stamps is None:
        return
    record = {
        "path": str(directory.resolve()), "bank_id": manifest.bank_id, "content_hash": manifest.content_hash,
        "tensors_sha256": manifest.tensors_sha256, "files": stamps, "verified_at": utc_now(), "kgen_version": __version__,
    }
    try:
        atomic_write_text(_memory_path(directory), json.dumps(record, indent=1) + "\n")
    except OSError:
        pass


# ---------------------------------------------------------------------- the whole check
def check_bank(directory: Path, manifest: BankManifest, *, use_memory: bool) -> tuple[VerifyReport, ParsedHeader | None]:
    """Every check on a bank whose manifest is read; with ``use_memory``, skip the full checks that
    passed before on the same files."""
    report = VerifyReport(path=directory, bank_id=manifest.bank_id)
    version = manifest.stored_format_version
    report.checks.append(f"manifest: {manifest.FORMAT} v{version}" + (" (read by the version-1 reader)" if version == 1 else ""))
    problems, header = quick_problems(directory, manifest)
    report.problems += problems
    if header is None or header.truncated or layout_problems(manifest, header):
        return report, header  # the data cannot be read as the manifest describes it
    if not problems:
        report.checks.append(
            f"files complete; tensors agree with the manifest ({manifest.num_texts} texts, "
            f"{len(manifest.class_names)} classes, {manifest.clip.embed_dim}-d)"
        )
        texts_file = manifest.texts_file.file if manifest.texts_file else None
        if use_memory and is_remembered(directory, manifest.content_hash, manifest.tensors_sha256, texts_file):
            report.remembered = True
            report.checks.append("contents verified before, files unchanged since")
            return report, header
    problems, checks = full_problems(directory, manifest, header)
    report.problems += problems
    report.checks += checks
    if not report.problems:
        remember(directory, manifest)
    return report, header


def verify_bank(path: Path, *, use_memory: bool = False) -> VerifyReport:
    """Check the bank at ``path`` (``kgen bank verify``: every check, unless ``use_memory``)."""
    try:
        manifest = BankManifest.load(path / MANIFEST_FILE)
    except KgenError as exc:
        return VerifyReport(path=path, problems=[exc.message])
    report, _header = check_bank(path, manifest, use_memory=use_memory)
    return report
