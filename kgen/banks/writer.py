"""Writing a bank directory: the tensors file in place, then the texts, manifest and summary.

:class:`TensorFileWriter` preallocates ``bank.safetensors`` with the header
``safetensors.torch.save_file`` would write (see :mod:`kgen.banks.layout`) and writes rows where
they belong with ``pwrite``: nothing but the current batch is in memory, and the written pages
are the kernel's page cache, not the process's memory. It is the encoder's sink
(:class:`~kgen.banks.encoder.EncodeSink`).

:func:`finish_bank` hashes the tensors file, writes ``texts.jsonl``, ``manifest.json`` and
``summary.json`` into the staging folder, and renames the folder into place. If an identical bank
appeared meanwhile (another run with the same inputs finished first), the staging folder is
dropped and the existing bank is reported: banks are never overwritten.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from kgen.banks.layout import (
    MANIFEST_FILE,
    SUMMARY_FILE,
    TENSORS_FILE,
    TENSORS_METADATA,
    TEXTS_FILE,
    TensorLayout,
    TensorSpec,
    plan_layout,
)
from kgen.banks.manifest import BankManifest, BankSummary, content_hash_of
from kgen.banks.textfile import write_texts_file
from kgen.errors import FormatError
from kgen.hashing import sha256_file

if sys.byteorder != "little":  # safetensors stores little-endian; rows are written as they lie in memory
    raise ImportError("kgen banks are written on little-endian machines only")

TORCH_DTYPES = {"F32": torch.float32, "I64": torch.int64, "U8": torch.uint8, "F16": torch.float16, "BF16": torch.bfloat16,
                "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "F64": torch.float64, "BOOL": torch.bool}


def bank_layout(num_texts: int, dim: int, num_classes: int, token_length: int | None) -> TensorLayout:
    """The tensors of a bank (see :mod:`kgen.banks.bank`); ``token_length`` None: no token features."""
    specs = [
        TensorSpec("embeddings", "F32", (num_texts, dim)),
        TensorSpec("class_offsets", "I64", (num_classes + 1,)),
    ]
    if token_length is not None:
        specs += [
            TensorSpec("token_features", "F32", (num_texts, token_length, dim)),
            TensorSpec("token_mask", "U8", (num_texts, token_length)),
            TensorSpec("eot_index", "I64", (num_texts,)),
        ]
    return plan_layout(specs, TENSORS_METADATA)


class TensorFileWriter:
    """``bank.safetensors`` written in place (see the module docstring)."""

    def __init__(self, path: Path, layout: TensorLayout) -> None:
        self.path = path
        self.layout = layout
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)  # less the umask
        os.pwrite(self.fd, layout.header, 0)
        os.ftruncate(self.fd, layout.total_bytes)  # the unwritten bytes read as zeros

    # ------------------------------------------------------------------ raw writes
    def _spec(self, name: str) -> tuple[int, TensorSpec]:
        entry = self.layout.entries[name]
        return entry.start, entry.spec

    def write_range(self, name: str, first_row: int, values: torch.Tensor) -> None:
        """Rows ``first_row:first_row + len(values)`` of tensor ``name`` (whole rows)."""
        start, spec = self._spec(name)
        data = values.to(TORCH_DTYPES[spec.dtype]).contiguous().numpy()
        os.pwrite(self.fd, memoryview(data).cast("B"), start + first_row * spec.row_bytes)

    def write_rows(self, name: str, rows: torch.Tensor, values: torch.Tensor, *, prefix: bool = False) -> None:
        """``values[j]`` into row ``rows[j]``; with ``prefix``, each value fills the start of its row."""
        start, spec = self._spec(name)
        data = values.to(TORCH_DTYPES[spec.dtype]).contiguous().numpy()
        if not prefix and data.nbytes // max(len(data), 1) != spec.row_bytes:
            raise ValueError(f"rows of {name} are {spec.row_bytes} bytes, got {data.nbytes // max(len(data), 1)}")
        order = torch.argsort(rows).tolist()
        index = rows.tolist()
        j = 0
        while j < len(order):
            # Write runs of consecutive rows at once.
            k = j
            while k + 1 < len(order) and index[order[k + 1]] == index[order[k]] + 1 and order[k + 1] == order[k] + 1 and not prefix:
                k += 1
            block = data[order[j] : order[k] + 1]
            os.pwrite(self.fd, memoryview(block).cast("B"), start + index[order[j]] * spec.row_bytes)
            j = k + 1

    def read_rows(self, name: str, rows: Sequence[int]) -> torch.Tensor:
        start, spec = self._spec(name)
        dtype = TORCH_DTYPES[spec.dtype]
        data = bytearray()
        for row in rows:
            data += os.pread(self.fd, spec.row_bytes, start + int(row) * spec.row_bytes)
        return torch.frombuffer(data, dtype=dtype).reshape(len(rows), *spec.shape[1:]) if rows else torch.empty((0, *spec.shape[1:]), dtype=dtype)

    # ------------------------------------------------------------------ the encoder's sink
    def put_embeddings(self, rows: torch.Tensor, values: torch.Tensor) -> None:
        self.write_rows("embeddings", rows, values)

    def put_token_features(self, rows: torch.Tensor, values: torch.Tensor) -> None:
        self.write_rows("token_features", rows, values, prefix=True)

    def copy_rows(self, sources: torch.Tensor, targets: torch.Tensor, token_features: bool) -> None:
        names = ["embeddings", "token_features"] if token_features else ["embeddings"]
        for name in names:
            for start in range(0, int(sources.numel()), 4096):
                src, dst = sources[start : start + 4096], targets[start : start + 4096]
                self.write_rows(name, dst, self.read_rows(name, src.tolist()))

    # ------------------------------------------------------------------ end
    def close(self) -> None:
        if self.fd >= 0:
            try:
                os.fsync(self.fd)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = -1


def write_token_extras(writer: TensorFileWriter, end_index: torch.Tensor, token_length: int, chunk: int = 65536) -> None:
    """``eot_index`` and ``token_mask`` (content tokens: after the start token, before the end token)."""
    writer.write_range("eot_index", 0, end_index)
    positions = torch.arange(token_length).unsqueeze(0)
    for start in range(0, int(end_index.numel()), chunk):
        ends = end_index[start : start + chunk].unsqueeze(1)
        writer.write_range("token_mask", start, ((positions > 0) & (positions < ends)).to(torch.uint8))


@dataclass(frozen=True)
class WriteOutcome:
    path: Path
    manifest: BankManifest
    created: bool  # False: an identical bank appeared at the target meanwhile (another run wrote it)


def finish_bank(folder: Path, target: Path, manifest: BankManifest, writer: TensorFileWriter) -> WriteOutcome:
    """Complete the staging ``folder`` (tensors written by ``writer``) and rename it to ``target``."""
    writer.close()
    tensors = folder / TENSORS_FILE
    table = manifest.text_table
    texts_info = write_texts_file(folder / TEXTS_FILE, table.texts, table.text_types, manifest.class_ids, manifest.class_offsets)
    final = manifest.model_copy(
        update={"tensors_sha256": sha256_file(tensors), "tensors_bytes": tensors.stat().st_size, "texts_file": texts_info}
    )
    final.save(folder / MANIFEST_FILE)
    BankSummary.of(final, bank_format=BankManifest.VERSION).save(folder / SUMMARY_FILE)
    _fsync_dir(folder)
    try:
        os.rename(folder, target)
    except OSError:
        if not target.exists():
            raise
        existing = identical_bank(target, final.content_hash)
        if existing is None:
            raise
        shutil.rmtree(folder, ignore_errors=True)
        return WriteOutcome(path=target, manifest=existing, created=False)
    _fsync_dir(target.parent)
    return WriteOutcome(path=target, manifest=final, created=True)


def identical_bank(target: Path, content_hash: str, *, verify: bool = False) -> BankManifest | None:
    """The manifest of the bank at ``target`` if it has ``content_hash`` and is complete (the quick
    checks; with ``verify``, every check, remembered ones skipped); raise FormatError for anything
    else there; None when nothing is there."""
    from kgen.banks.verify import check_bank, quick_problems

    if not target.exists():
        return None
    if not (target / MANIFEST_FILE).is_file():
        raise FormatError(f"{target} exists but is not a complete bank (no {MANIFEST_FILE})", hint=f"remove {target} and encode again")
    manifest = BankManifest.load(target / MANIFEST_FILE)
    if verify:
        problems = check_bank(target, manifest, use_memory=True)[0].problems
    else:
        problems = quick_problems(target, manifest)[0]
    if problems:
        raise FormatError(
            f"{target} exists but is damaged: {'; '.join(problems)}",
            hint=f"remove {target} and encode again (banks are never overwritten)",
        )
    if manifest.content_hash != content_hash or content_hash_of(manifest.inputs()) != content_hash:
        raise FormatError(
            f"{target} holds a bank whose manifest does not hash to {content_hash[:16]}... (it records "
            f"{manifest.content_hash[:16]}...): the directory was changed after encoding",
            hint=f"check it with `kgen bank verify {target}`, then remove it and encode again",
        )
    return manifest


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
