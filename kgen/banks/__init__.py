"""Embedding banks: texts from knowledge/ encoded by a frozen CLIP text encoder."""

from kgen.banks.bank import Bank, load_bank, resolve_bank_path
from kgen.banks.manifest import (
    BankManifest,
    ClipInfo,
    EncodingInfo,
    KnowledgeInfo,
    TokenFeaturesInfo,
)

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
