"""The files of a bank directory, and the byte layout of ``bank.safetensors``.

A version-2 bank is a directory holding:

* ``bank.safetensors``: the tensors (see :mod:`kgen.banks.bank`);
* ``texts.jsonl``: every encoded text, one JSON object a line (see :mod:`kgen.banks.textfile`);
* ``manifest.json``: what the tensors are, how they were made, and the hashes of both files;
* ``summary.json``: a few lines about the bank, what ``kgen bank list`` reads.

The streaming writer does not hold the tensors in memory: it writes the safetensors header
first, preallocates the file and then writes rows where they belong. The header must be exactly
the one ``safetensors.torch.save_file`` writes for the same tensors, so that a bank written by
streaming is byte for byte the file the in-memory path wrote (``tensors_sha256`` included):

* 8 bytes: the header's length N, little-endian;
* N bytes: JSON without spaces, ``__metadata__`` first, then the tensors in data order, padded
  with spaces so that N is a multiple of 8;
* the data: tensors sorted by dtype (larger dtypes first, in safetensors' own order of dtypes),
  then by name, each one contiguous and little-endian.

:func:`read_header` parses a header back and says whether the file is as long as it claims
(a truncated file is found without reading its data).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from kgen.errors import FormatError

TENSORS_FILE = "bank.safetensors"
MANIFEST_FILE = "manifest.json"
TEXTS_FILE = "texts.jsonl"
SUMMARY_FILE = "summary.json"
BANK_FILES = (TENSORS_FILE, MANIFEST_FILE, TEXTS_FILE, SUMMARY_FILE)
TENSORS_METADATA = {"format": "kgen.bank"}

# safetensors' dtype names: (rank in its Dtype enum, the data is sorted by it, largest first; bytes).
# (torch is not imported here, so that listing banks does not pay for it.)
DTYPES: dict[str, tuple[int, int]] = {
    "BOOL": (0, 1), "U8": (4, 1), "I8": (5, 1), "I16": (9, 2), "F16": (11, 2), "BF16": (12, 2),
    "I32": (13, 4), "F32": (15, 4), "F64": (16, 8), "I64": (17, 8),
}
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit


@dataclass(frozen=True)
class TensorSpec:
    """A tensor of the file before its values exist: name, dtype (safetensors' name: F32, I64,
    U8...) and shape."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def itemsize(self) -> int:
        return DTYPES[self.dtype][1]

    @property
    def nbytes(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count * self.itemsize

    @property
    def row_bytes(self) -> int:
        """Bytes of one entry along the first dimension."""
        return self.nbytes // self.shape[0] if self.shape and self.shape[0] else 0


@dataclass(frozen=True)
class TensorEntry:
    """A tensor as a file holds it: its spec and where its bytes are (from the start of the file)."""

    spec: TensorSpec
    start: int
    end: int


@dataclass(frozen=True)
class TensorLayout:
    """Where every tensor of a safetensors file lies; ``header`` is the file's first bytes."""

    header: bytes
    entries: dict[str, TensorEntry]
    total_bytes: int

    @property
    def data_start(self) -> int:
        return len(self.header)


def plan_layout(specs: list[TensorSpec], metadata: dict[str, str] | None = None) -> TensorLayout:
    """The layout ``safetensors.torch.save_file`` gives these tensors (header bytes included)."""
    for spec in specs:
        if spec.dtype not in DTYPES:
            raise ValueError(f"dtype {spec.dtype} is not supported in a bank")
    ordered = sorted(specs, key=lambda s: (-DTYPES[s.dtype][0], s.name))
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    spans: list[tuple[TensorSpec, int, int]] = []
    for spec in ordered:
        header[spec.name] = {"dtype": spec.dtype, "shape": list(spec.shape), "data_offsets": [offset, offset + spec.nbytes]}
        spans.append((spec, offset, offset + spec.nbytes))
        offset += spec.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    prefix = struct.pack("<Q", len(text)) + text
    entries = {spec.name: TensorEntry(spec, len(prefix) + start, len(prefix) + end) for spec, start, end in spans}
    return TensorLayout(header=prefix, entries=entries, total_bytes=len(prefix) + offset)


@dataclass(frozen=True)
class ParsedHeader:
    """A safetensors header read back from a file."""

    entries: dict[str, TensorEntry]
    metadata: dict[str, str]
    expected_bytes: int  # how long the file must be
    actual_bytes: int

    @property
    def truncated(self) -> bool:
        return self.actual_bytes < self.expected_bytes


def read_header(path: Path) -> ParsedHeader:
    """Parse the header of a safetensors file (no tensor data is read); FormatError if it is not one."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise FormatError(f"{path} is corrupt: {size} bytes, too short for a safetensors file", hint="encode the bank again")
            (length,) = struct.unpack("<Q", head)
            if length > MAX_HEADER_BYTES or 8 + length > size:
                raise FormatError(f"{path} is corrupt: its header claims {length} bytes, the file has {size}", hint="encode the bank again")
            raw = handle.read(length)
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions, or encode the bank again") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path} is corrupt: its header is not JSON ({exc})", hint="encode the bank again") from exc
    if not isinstance(header, dict):
        raise FormatError(f"{path} is corrupt: its header is not a JSON object", hint="encode the bank again")
    metadata = header.pop("__metadata__", None) or {}
    data_start = 8 + length
    entries: dict[str, TensorEntry] = {}
    end = data_start
    for name, info in header.items():
        try:
            dtype = str(info["dtype"])
            if dtype not in DTYPES:
                raise ValueError(f"unknown dtype {dtype}")
            shape = tuple(int(s) for s in info["shape"])
            begin, stop = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{path} is corrupt: header entry {name!r} is malformed", hint="encode the bank again") from exc
        spec = TensorSpec(name, dtype, shape)
        if stop - begin != spec.nbytes or begin < 0:
            raise FormatError(f"{path} is corrupt: tensor {name!r} spans {stop - begin} bytes for shape {list(shape)}", hint="encode the bank again")
        entries[name] = TensorEntry(spec, data_start + begin, data_start + stop)
        end = max(end, data_start + stop)
    return ParsedHeader(entries=entries, metadata=dict(metadata), expected_bytes=end, actual_bytes=size)
