"""``kgen compare-knowledge A B``: two knowledge files of one kind and dataset, class by class
(typically kgen's own and a paper's imported variant).

Per class, for each *facet* of the kind (the concepts it is made of), what each file has, how many
items they share after normalisation and the Jaccard overlap; and the texts the bank would encode
(count, mean and longest length in CLIP tokens, start and end tokens included). The facets:

* ``askg``: ``objects`` and ``sub-actions`` (concept keys: lowercase, articles dropped, objects'
  last word singular), plus ``keywords``;
* ``descriptors``: ``spatial`` and ``temporal`` (concept keys), plus ``keywords``;
* ``attributes``: ``keywords`` (the candidate words);
* every other kind: ``keywords``: the content words of the kind's own text (the refined
  description, the LLM's sentences, the prompt completions), lowercase, singular, stopwords and
  the class name's words dropped, so that the templates around them do not count.

Classes are matched by their normalised name (:func:`~kgen.importers.base.match_key`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgen.datasets import ClassEntry, Dataset
from kgen.errors import FormatError, InputError
from kgen.importers.base import match_key
from kgen.knowledge.base import KnowledgeFile, known_kinds
from kgen.text.clip_tokens import count_tokens
from kgen.text.concepts import concept_key, singular
from kgen.text.stopwords import english_stopwords

_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")


def load_any_knowledge(path: Path) -> KnowledgeFile:
    """A knowledge file of any registered kind, recognised by its ``format``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path} is not a file", hint="give two knowledge files (knowledge/<dataset>/...json) or two banks")
    try:
        fmt = json.loads(path.read_text(encoding="utf-8")).get("format")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise FormatError(f"{path} is not a kgen knowledge file (not a JSON object)", hint="give a file under knowledge/") from exc
    for info in known_kinds().values():
        if info.model.FORMAT == fmt:
            return info.model.load(path)
    raise FormatError(f"{path} has format {fmt!r}, which is no knowledge kind",
                      hint=f"knowledge formats: {', '.join(sorted(i.model.FORMAT for i in known_kinds().values()))}")


def keywords(texts: list[str], class_name: str) -> list[str]:
    """Content words of ``texts`` in order of first use (see the module docstring)."""
    stop = english_stopwords()
    name_words = {singular(w) for w in _WORD.findall(class_name.casefold())}
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(text.casefold()):
            word = singular(word)
            if len(word) > 2 and word not in stop and word not in name_words:
                seen.setdefault(word, None)
    return list(seen)


def _own_text(knowledge: Any, item: Any) -> list[str]:
    """The text of one class entry that the kind itself contributes (no templates)."""
    kind = knowledge.KIND
    if kind == "askg":
        return [p.clause for p in item.prompts]
    if kind == "descriptors":
        return [*item.spatial, *item.temporal]
    if kind == "descriptions":
        return [item.refined] if item.refined else []
    if kind == "action-descriptions":
        return list(item.descriptions)
    if kind == "prompts":
        return [p.text for p in item.prompts]
    if kind == "attributes":
        return list(item.candidates)
    return []


def facets(knowledge: Any, item: Any) -> dict[str, list[str]]:
    """Facet name -> normalised items (see the module docstring)."""
    kind = knowledge.KIND
    result: dict[str, list[str]] = {}
    if kind == "askg":
        result["objects"] = [concept_key(o) for o in item.objects]
        result["sub-actions"] = [concept_key(s, singularize=False) for s in item.sub_actions]
    elif kind == "descriptors":
        result["spatial"] = [concept_key(s) for s in item.spatial]
        result["temporal"] = [concept_key(s, singularize=False) for s in item.temporal]
    result["keywords"] = keywords(_own_text(knowledge, item), item.class_name)
    return {name: list(dict.fromkeys(v for v in values if v)) for name, values in result.items()}


@dataclass
class FacetOverlap:
    a: int
    b: int
    shared: list[str]

    @property
    def jaccard(self) -> float | None:
        union = self.a + self.b - len(self.shared)
        return len(self.shared) / union if union else None


@dataclass
class TextStats:
    count: int
    mean_tokens: float | None
    max_tokens: int | None

    @classmethod
    def of(cls, texts: list[str]) -> TextStats:
        lengths = [count_tokens(t) + 2 for t in texts]
        return cls(len(texts), sum(lengths) / len(lengths) if lengths else None, max(lengths) if lengths else None)


@dataclass
class ClassComparison:
    class_name: str
    texts_a: TextStats
    texts_b: TextStats
    facets: dict[str, FacetOverlap] = field(default_factory=dict)
    classifier_cosine: float | None = None


@dataclass
class KnowledgeComparison:
    a: str
    b: str
    kind: str
    dataset: str
    sources: tuple[str, str]
    classes: list[ClassComparison]
    only_in_a: list[str]
    only_in_b: list[str]
    banks: tuple[str, str] | None = None
    same_space: bool | None = None

    def facet_names(self) -> list[str]:
        return list(dict.fromkeys(name for c in self.classes for name in c.facets))

    def mean_jaccard(self, facet: str) -> float | None:
        values = [c.facets[facet].jaccard for c in self.classes if facet in c.facets and c.facets[facet].jaccard is not None]
        return sum(values) / len(values) if values else None  # type: ignore[arg-type]

    def summary(self) -> dict[str, Any]:
        def mean(values: list[float | None]) -> float | None:
            kept = [v for v in values if v is not None]
            return sum(kept) / len(kept) if kept else None

        return {
            "classes_in_both": len(self.classes),
            "texts": {"a": sum(c.texts_a.count for c in self.classes), "b": sum(c.texts_b.count for c in self.classes)},
            "mean_tokens": {"a": mean([c.texts_a.mean_tokens for c in self.classes]), "b": mean([c.texts_b.mean_tokens for c in self.classes])},
            "facets": {
                name: {
                    "a": sum(c.facets[name].a for c in self.classes if name in c.facets),
                    "b": sum(c.facets[name].b for c in self.classes if name in c.facets),
                    "shared": sum(len(c.facets[name].shared) for c in self.classes if name in c.facets),
                    "mean_jaccard": self.mean_jaccard(name),
                }
                for name in self.facet_names()
            },
            "classifier_cosine": {
                "mean": mean([c.classifier_cosine for c in self.classes]),
                "min": min((c.classifier_cosine for c in self.classes if c.classifier_cosine is not None), default=None),
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "kind": self.kind, "dataset": self.dataset,
            "source_a": self.sources[0], "source_b": self.sources[1],
            "banks": list(self.banks) if self.banks else None, "same_space": self.same_space,
            "only_in_a": self.only_in_a, "only_in_b": self.only_in_b,
            "summary": self.summary(),
            "classes": [
                {
                    "class_name": c.class_name,
                    "texts": {"a": c.texts_a.__dict__, "b": c.texts_b.__dict__},
                    "facets": {name: {"a": f.a, "b": f.b, "shared": f.shared, "jaccard": f.jaccard} for name, f in c.facets.items()},
                    "classifier_cosine": c.classifier_cosine,
                }
                for c in self.classes
            ],
        }


def source_of(knowledge: Any) -> str:
    """"imported: <format> (<repository>@<ref>)" or "generated: <backend>/<model>" or "crawled"."""
    provenance = knowledge.provenance
    if getattr(provenance, "source", None) == "imported":
        ref = f"@{provenance.ref}" if provenance.ref else ""
        return f"imported: {provenance.import_format} ({provenance.repository}{ref})"
    if hasattr(provenance, "backend"):
        return f"generated: {provenance.backend}/{provenance.model}"
    return "crawled"


def _file_dataset(knowledge: Any) -> Dataset:
    entries = tuple(
        ClassEntry(id=c.class_id, label=c.label or c.class_name, name=c.class_name)
        for c in sorted(knowledge.classes, key=lambda c: c.class_id)
    )
    return Dataset(name=knowledge.dataset, title=knowledge.dataset, classes=entries, origin="knowledge file")


def _texts_by_key(knowledge: Any) -> dict[str, list[str]]:
    dataset = _file_dataset(knowledge)
    result: dict[str, list[str]] = {}
    for entry in dataset.classes:
        one = Dataset(name=dataset.name, title=dataset.title, classes=(entry,), origin=dataset.origin)
        try:
            found = knowledge.bank_texts(one)
        except InputError:
            found = []
        result[match_key(entry.name)] = [t for c in found for t in c.texts]
    return result


def compare_knowledge(a: KnowledgeFile, b: KnowledgeFile, name_a: str, name_b: str) -> KnowledgeComparison:
    if a.KIND != b.KIND:
        raise InputError(f"{name_a} is {a.KIND} knowledge and {name_b} is {b.KIND}: compare two files of one kind",
                         hint="for banks of different kinds, compare the banks (their classifiers) instead")
    if a.dataset != b.dataset:
        raise InputError(f"{name_a} is for {a.dataset} and {name_b} for {b.dataset}: compare two files of one dataset")
    items_a = {match_key(c.class_name): c for c in a.classes}  # type: ignore[attr-defined]
    items_b = {match_key(c.class_name): c for c in b.classes}  # type: ignore[attr-defined]
    texts_a, texts_b = _texts_by_key(a), _texts_by_key(b)
    classes = []
    for key, item_a in items_a.items():
        item_b = items_b.get(key)
        if item_b is None:
            continue
        facets_a, facets_b = facets(a, item_a), facets(b, item_b)
        overlaps = {}
        for facet in dict.fromkeys([*facets_a, *facets_b]):
            va, vb = facets_a.get(facet, []), facets_b.get(facet, [])
            overlaps[facet] = FacetOverlap(len(va), len(vb), [x for x in va if x in set(vb)])
        classes.append(ClassComparison(item_a.class_name, TextStats.of(texts_a.get(key, [])), TextStats.of(texts_b.get(key, [])), overlaps))
    return KnowledgeComparison(
        a=name_a, b=name_b, kind=a.KIND, dataset=a.dataset, sources=(source_of(a), source_of(b)), classes=classes,
        only_in_a=[c.class_name for k, c in items_a.items() if k not in items_b],
        only_in_b=[c.class_name for k, c in items_b.items() if k not in items_a],
    )
