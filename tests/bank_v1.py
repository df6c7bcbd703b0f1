"""A version-1 bank, written the way kgen wrote banks before format version 2 (the tiny fixture of
the v1 reader's tests, generated in the test rather than stored).

Version 1 (kgen up to commit f7af887): ``bank.safetensors`` written by
``safetensors.torch.save_file(tensors, metadata={"format": "kgen.bank"})`` with the eager
encoder's tensors, and ``manifest.json`` holding every text (``texts``, ``text_types``) and no
``num_texts``/``texts_file``/``tensors_bytes``; no ``texts.jsonl`` or ``summary.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from kgen.hashing import sha256_file


def write_v1_bank(
    directory: Path,
    *,
    tensors: dict[str, torch.Tensor],
    bank_id: str,
    content_hash: str,
    dataset: str,
    kind: str,
    class_ids: list[int],
    class_names: list[str],
    class_offsets: list[int],
    texts: list[str],
    text_types: list[str] | None,
    clip: dict,
    encoding: dict,
    token_length: int | None = None,
    knowledge: dict | None = None,
    split: str | None = None,
) -> Path:
    directory.mkdir(parents=True)
    stored = {name: value.contiguous() for name, value in tensors.items()}
    if "token_mask" in stored:
        stored["token_mask"] = stored["token_mask"].to(torch.uint8)
    save_file(stored, str(directory / "bank.safetensors"), metadata={"format": "kgen.bank"})
    manifest = {
        "format": "kgen.bank",
        "format_version": 1,
        "bank_id": bank_id,
        "content_hash": content_hash,
        "tensors_sha256": sha256_file(directory / "bank.safetensors"),
        "dataset": dataset,
        "kind": kind,
        "split": split,
        "class_ids": class_ids,
        "class_names": class_names,
        "class_offsets": class_offsets,
        "texts": texts,
        "text_types": text_types,
        "clip": clip,
        "encoding": encoding,
        "token_features": None if token_length is None else {
            "description": "full sequence after the final layer norm and the text projection",
            "mask": "token_mask marks content tokens: the start token, the end token and padding are excluded",
            "length": token_length,
        },
        "knowledge": knowledge or {"file": None, "sha256": None, "template": None},
        "kgen_version": "0.1.0",
        "created_at": "2025-01-01T00:00:00+00:00",
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return directory
