"""Embedding banks: texts from knowledge/ encoded by a frozen CLIP text encoder.

The names below are imported on first use, so that importing ``kgen.banks.manifest`` (the CLI
does, to list banks) does not pay for torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kgen.banks.bank import Bank, load_bank
    from kgen.banks.manifest import (
        BankManifest,
        ClipInfo,
        EncodingInfo,
        KnowledgeInfo,
        TokenFeaturesInfo,
    )
    from kgen.banks.store import resolve_bank_path

_EXPORTS = {
    "Bank": "kgen.banks.bank",
    "load_bank": "kgen.banks.bank",
    "resolve_bank_path": "kgen.banks.store",
    "BankManifest": "kgen.banks.manifest",
    "ClipInfo": "kgen.banks.manifest",
    "EncodingInfo": "kgen.banks.manifest",
    "KnowledgeInfo": "kgen.banks.manifest",
    "TokenFeaturesInfo": "kgen.banks.manifest",
}

__all__ = [
    "Bank",
    "BankManifest",
    "ClipInfo",
    "EncodingInfo",
    "KnowledgeInfo",
    "TokenFeaturesInfo",
    "load_bank",
    "resolve_bank_path",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'kgen.banks' has no attribute {name!r}")
