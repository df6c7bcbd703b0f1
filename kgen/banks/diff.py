"""``kgen bank diff A B``: what changed between two banks.

* settings: the manifest fields that differ (dataset, kind, CLIP model, weights, tokenizer,
  precision...);
* classes: matched by class name; the ones in only one bank are listed;
* texts: per common class, texts matched by their exact string (a text that occurs twice is
  matched occurrence by occurrence); added and removed texts are listed;
* cosine drift: for every text present in both banks, the cosine between its two vectors, and per
  class the cosine between the two banks' classifier rows (:meth:`Bank.classifier`). Cosines are
  computed only when both banks have the same embedding width; when they come from different text
  towers the two vectors live in different embedding spaces, which the report says.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import torch

from kgen.banks.bank import Bank

# Manifest fields compared as settings: (label, getter).
_SETTINGS: list[tuple[str, Any]] = [
    ("dataset", lambda m: m.dataset),
    ("split", lambda m: m.split),
    ("kind", lambda m: m.kind),
    ("template", lambda m: m.knowledge.template),
    ("knowledge sha256", lambda m: m.knowledge.sha256),
    ("clip model", lambda m: m.clip.model_name),
    ("pretrained", lambda m: m.clip.pretrained),
    ("text tower sha256", lambda m: m.clip.text_tower_sha256),
    ("embed dim", lambda m: m.clip.embed_dim),
    ("tokenizer", lambda m: m.clip.tokenizer),
    ("context length", lambda m: m.clip.context_length),
    ("compute dtype", lambda m: m.encoding.compute_dtype),
    ("dtype", lambda m: m.encoding.dtype),
    ("token features", lambda m: m.token_features is not None),
    ("truncated texts", lambda m: m.encoding.truncated_texts),
]


@dataclass
class ClassChange:
    class_name: str
    texts_a: int
    texts_b: int
    added: list[str] = field(default_factory=list)  # in B, not in A
    removed: list[str] = field(default_factory=list)  # in A, not in B
    common: int = 0
    mean_text_cosine: float | None = None
    min_text_cosine: float | None = None
    classifier_cosine: float | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed) or (self.min_text_cosine is not None and self.min_text_cosine < 1 - 1e-6)


@dataclass
class BankDiff:
    a: str
    b: str
    identical: bool
    settings: list[tuple[str, Any, Any]]
    only_in_a: list[str]
    only_in_b: list[str]
    classes: list[ClassChange]
    comparable: bool  # same embedding width: cosines computed
    same_space: bool  # same text tower weights: cosines compare one embedding space

    @property
    def texts_added(self) -> int:
        return sum(len(c.added) for c in self.classes)

    @property
    def texts_removed(self) -> int:
        return sum(len(c.removed) for c in self.classes)

    @property
    def texts_common(self) -> int:
        return sum(c.common for c in self.classes)

    def text_cosines(self) -> tuple[float | None, float | None]:
        """(mean, min) cosine over all common texts."""
        weighted = [(c.mean_text_cosine, c.common) for c in self.classes if c.mean_text_cosine is not None]
        if not weighted:
            return None, None
        mean = sum(m * n for m, n in weighted) / sum(n for _, n in weighted)
        return mean, min(c.min_text_cosine for c in self.classes if c.min_text_cosine is not None)

    def classifier_cosines(self) -> tuple[float | None, float | None]:
        values = [c.classifier_cosine for c in self.classes if c.classifier_cosine is not None]
        if not values:
            return None, None
        return sum(values) / len(values), min(values)

    def most_drifted(self, count: int = 5) -> list[ClassChange]:
        scored = [c for c in self.classes if c.classifier_cosine is not None]
        return sorted(scored, key=lambda c: c.classifier_cosine)[:count]

    def to_dict(self) -> dict[str, Any]:
        text_mean, text_min = self.text_cosines()
        cls_mean, cls_min = self.classifier_cosines()
        return {
            "a": self.a,
            "b": self.b,
            "identical": self.identical,
            "settings": [{"field": f, "a": a, "b": b} for f, a, b in self.settings],
            "only_in_a": self.only_in_a,
            "only_in_b": self.only_in_b,
            "common_classes": len(self.classes),
            "texts": {"added": self.texts_added, "removed": self.texts_removed, "common": self.texts_common},
            "comparable": self.comparable,
            "same_space": self.same_space,
            "text_cosine": {"mean": text_mean, "min": text_min},
            "classifier_cosine": {"mean": cls_mean, "min": cls_min},
            "classes": [
                {
                    "class_name": c.class_name, "texts_a": c.texts_a, "texts_b": c.texts_b, "added": c.added,
                    "removed": c.removed, "common": c.common, "mean_text_cosine": c.mean_text_cosine,
                    "min_text_cosine": c.min_text_cosine, "classifier_cosine": c.classifier_cosine,
                }
                for c in self.classes
                if c.changed
            ],
        }


def diff_banks(a: Bank, b: Bank) -> BankDiff:
    """Compare bank ``a`` (before) with bank ``b`` (after)."""
    settings = [(label, get(a.manifest), get(b.manifest)) for label, get in _SETTINGS if get(a.manifest) != get(b.manifest)]
    index_a = {name: k for k, name in enumerate(a.class_names)}
    index_b = {name: k for k, name in enumerate(b.class_names)}
    comparable = a.dim == b.dim
    same_space = comparable and a.manifest.clip.text_tower_sha256 == b.manifest.clip.text_tower_sha256
    a_emb, b_emb = a.embeddings.float().cpu(), b.embeddings.float().cpu()
    classifier_a = a.classifier().float().cpu() if comparable else None
    classifier_b = b.classifier().float().cpu() if comparable else None

    changes = []
    for name in a.class_names:
        if name not in index_b:
            continue
        ka, kb = index_a[name], index_b[name]
        texts_a, texts_b = a.class_texts(ka), b.class_texts(kb)
        pairs, removed, added = _match_texts(texts_a, texts_b)
        change = ClassChange(class_name=name, texts_a=len(texts_a), texts_b=len(texts_b), added=added, removed=removed, common=len(pairs))
        if comparable:
            start_a, start_b = a.manifest.class_offsets[ka], b.manifest.class_offsets[kb]
            if pairs:
                rows_a = torch.tensor([start_a + i for i, _ in pairs])
                rows_b = torch.tensor([start_b + j for _, j in pairs])
                cosines = _cosine(a_emb[rows_a], b_emb[rows_b])
                change.mean_text_cosine = float(cosines.mean())
                change.min_text_cosine = float(cosines.min())
            assert classifier_a is not None and classifier_b is not None
            change.classifier_cosine = float(_cosine(classifier_a[ka : ka + 1], classifier_b[kb : kb + 1])[0])
        changes.append(change)
    return BankDiff(
        a=a.bank_id,
        b=b.bank_id,
        identical=a.manifest.content_hash == b.manifest.content_hash,
        settings=settings,
        only_in_a=[n for n in a.class_names if n not in index_b],
        only_in_b=[n for n in b.class_names if n not in index_a],
        classes=changes,
        comparable=comparable,
        same_space=same_space,
    )


def _match_texts(texts_a: list[str], texts_b: list[str]) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """Pairs (i in A, j in B) of equal texts, occurrence by occurrence; then removed and added texts."""
    positions_b: dict[str, list[int]] = defaultdict(list)
    for j, text in enumerate(texts_b):
        positions_b[text].append(j)
    pairs, removed = [], []
    for i, text in enumerate(texts_a):
        if positions_b.get(text):
            pairs.append((i, positions_b[text].pop(0)))
        else:
            removed.append(text)
    matched_b = {j for _, j in pairs}
    added = [text for j, text in enumerate(texts_b) if j not in matched_b]
    return pairs, removed, added


def _cosine(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cosine_similarity(x, y, dim=-1)
