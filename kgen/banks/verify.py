"""``kgen bank verify``: is a bank what its manifest says it is?

Checks, in order (each failure is reported, none is fatal to the others):

1. the manifest reads as ``kgen.bank`` of a version this kgen knows;
2. ``bank.safetensors`` has the SHA-256 the manifest records (``tensors_sha256``);
3. the content hash recomputed from the manifest's inputs equals ``content_hash``, and the bank id
   ends with its first 10 hex digits (so the texts, classes and settings were not edited by hand);
4. the tensors load and agree with the manifest (shapes, offsets, token features);
5. every embedding is finite and of unit length (the banks store L2-normalised vectors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from kgen.banks.bank import MANIFEST_FILE, TENSORS_FILE, load_bank
from kgen.banks.manifest import BankManifest, content_hash_of
from kgen.errors import KgenError
from kgen.hashing import sha256_file

UNIT_NORM_TOLERANCE = 1e-4


@dataclass
class VerifyReport:
    path: Path
    bank_id: str | None = None
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bank(path: Path) -> VerifyReport:
    report = VerifyReport(path=path)
    try:
        manifest = BankManifest.load(path / MANIFEST_FILE)
    except KgenError as exc:
        report.problems.append(exc.message)
        return report
    report.bank_id = manifest.bank_id
    report.checks.append(f"manifest: {manifest.FORMAT} v{manifest.format_version}")

    tensors = path / TENSORS_FILE
    if not tensors.is_file():
        report.problems.append(f"{TENSORS_FILE} is missing")
    else:
        actual = sha256_file(tensors)
        if actual != manifest.tensors_sha256:
            report.problems.append(
                f"{TENSORS_FILE} has sha256 {actual[:16]}..., the manifest records {manifest.tensors_sha256[:16]}..."
            )
        else:
            report.checks.append(f"tensors sha256 {actual[:16]}...")

    recomputed = content_hash_of(manifest.inputs())
    if recomputed != manifest.content_hash:
        report.problems.append(
            f"the manifest's inputs hash to {recomputed[:16]}..., not its content_hash {manifest.content_hash[:16]}... "
            "(texts, classes or settings were changed after encoding)"
        )
    elif not manifest.bank_id.endswith(manifest.content_hash[:10]):
        report.problems.append(f"bank id {manifest.bank_id} does not end with its content hash {manifest.content_hash[:10]}")
    else:
        report.checks.append(f"content hash {manifest.content_hash[:16]}...")

    if report.problems:
        return report
    try:
        bank = load_bank(path)
    except KgenError as exc:
        report.problems.append(exc.message)
        return report
    report.checks.append(f"tensors agree with the manifest ({bank.num_texts} texts, {bank.num_classes} classes, {bank.dim}-d)")
    embeddings = bank.embeddings.float()
    if not bool(torch.isfinite(embeddings).all()):
        report.problems.append("embeddings hold NaN or infinite values")
    else:
        norms = embeddings.norm(dim=-1)
        worst = float((norms - 1).abs().max()) if norms.numel() else 0.0
        if worst > UNIT_NORM_TOLERANCE:
            report.problems.append(f"embeddings are not unit length (largest deviation {worst:.2e})")
        else:
            report.checks.append("embeddings finite and unit length")
    return report
