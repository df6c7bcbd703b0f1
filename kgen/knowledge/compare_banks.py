"""``kgen compare-knowledge BANK_A BANK_B``: two banks of one dataset, class by class.

The per-class cosine between the two banks' classifier rows comes from ``kgen bank diff``
(:func:`kgen.banks.diff.diff_banks`, classes matched by name); the texts each bank encoded come
from its manifest. When both banks' knowledge files are in the workspace and are of one kind,
their facets are compared too (:mod:`kgen.knowledge.compare`).
"""

from __future__ import annotations

from pathlib import Path

from kgen import paths
from kgen.banks.bank import load_bank
from kgen.banks.diff import diff_banks
from kgen.banks.manifest import BankManifest
from kgen.errors import InputError, KgenError
from kgen.importers.base import match_key
from kgen.knowledge.compare import (
    ClassComparison,
    KnowledgeComparison,
    TextStats,
    compare_knowledge,
    load_any_knowledge,
)


def _knowledge_file(manifest: BankManifest) -> Path | None:
    if not manifest.knowledge.file:
        return None
    path = Path(manifest.knowledge.file)
    path = path if path.is_absolute() else paths.workspace_root() / path
    return path if path.is_file() else None


def _bank_source(manifest: BankManifest) -> str:
    knowledge = manifest.knowledge
    if manifest.kind == "names":
        return f"names ({knowledge.template})"
    variant = f", variant {knowledge.variant}" if knowledge.variant else ""
    return f"{manifest.kind} {knowledge.source or ''}{variant} ({knowledge.file})".replace("  ", " ")


def _texts(manifest: BankManifest) -> dict[str, TextStats]:
    result = {}
    for k, name in enumerate(manifest.class_names):
        result[name] = TextStats.of(manifest.texts[manifest.class_offsets[k] : manifest.class_offsets[k + 1]])
    return result


def compare_banks(a: str, b: str) -> KnowledgeComparison:
    bank_a, bank_b = load_bank(a), load_bank(b)
    ma, mb = bank_a.manifest, bank_b.manifest
    if ma.dataset != mb.dataset:
        raise InputError(f"bank {ma.bank_id} is of {ma.dataset} and {mb.bank_id} of {mb.dataset}: compare banks of one dataset")
    diff = diff_banks(bank_a, bank_b)
    cosines = {change.class_name: change.classifier_cosine for change in diff.classes}
    texts_a, texts_b = _texts(ma), _texts(mb)
    file_a, file_b = _knowledge_file(ma), _knowledge_file(mb)
    comparison: KnowledgeComparison | None = None
    if file_a is not None and file_b is not None and ma.kind == mb.kind:
        try:
            comparison = compare_knowledge(load_any_knowledge(file_a), load_any_knowledge(file_b), str(file_a), str(file_b))
        except KgenError:
            comparison = None
    if comparison is None:
        classes = [ClassComparison(name, TextStats(0, None, None), TextStats(0, None, None)) for name in ma.class_names if name in texts_b]
        comparison = KnowledgeComparison(
            a=ma.bank_id, b=mb.bank_id, kind=ma.kind if ma.kind == mb.kind else f"{ma.kind} / {mb.kind}", dataset=ma.dataset,
            sources=("", ""), classes=classes, only_in_a=diff.only_in_a, only_in_b=diff.only_in_b,
        )
    in_banks = {match_key(name): name for name in ma.class_names if name in texts_b}
    comparison.classes = [c for c in comparison.classes if match_key(c.class_name) in in_banks]
    for c in comparison.classes:
        name = in_banks[match_key(c.class_name)]
        c.texts_a, c.texts_b = texts_a[name], texts_b[name]
        c.classifier_cosine = cosines.get(name)
    comparison.a, comparison.b = ma.bank_id, mb.bank_id
    comparison.sources = (_bank_source(ma), _bank_source(mb))
    comparison.only_in_a, comparison.only_in_b = diff.only_in_a, diff.only_in_b
    comparison.banks = (ma.bank_id, mb.bank_id)
    comparison.same_space = diff.same_space
    return comparison
