"""Knowledge files under ``knowledge/<dataset>/``: the contract (base) and the kinds."""

from kgen.knowledge.base import (
    ClassTexts,
    KindInfo,
    KnowledgeFile,
    Provenance,
    kind_info,
    knowledge_path,
    known_kinds,
    load_knowledge,
    register_kind,
)

__all__ = [
    "ClassTexts",
    "KindInfo",
    "KnowledgeFile",
    "Provenance",
    "kind_info",
    "known_kinds",
    "knowledge_path",
    "load_knowledge",
    "register_kind",
]
