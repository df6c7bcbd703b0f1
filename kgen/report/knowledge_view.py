"""What the report's knowledge browser shows: every class's knowledge of every kind, with the
provenance of each text.

:func:`collect_knowledge` reads every knowledge file of a dataset (``knowledge/<dataset>/``) and
returns plain JSON-ready data:

* ``kinds``: one entry per file found (kind, file, classes covered, missing classes, the file's
  provenance: crawl sources, or LLM backend, model, prompt templates and their hashes, usage, or
  the import's source), or the reason it could not be read;
* ``classes``: per class, in label order, what each kind holds for it. Crawled definitions keep
  each source text's own provenance (source, title, URL, revision, retrieval time, sense); every
  LLM-made text names the step (prompt template) that wrote it, a key into the kind's
  ``provenance.steps``.

Kinds this module has no special view for (a kind added later, an imported kind) are shown by
their bank texts (``KnowledgeFile.bank_texts``), so nothing in ``knowledge/`` is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kgen import paths
from kgen.crawl.descriptions import DescriptionsFile
from kgen.datasets import Dataset
from kgen.errors import KgenError
from kgen.knowledge.action_descriptions import ActionDescriptionsFile
from kgen.knowledge.apclip import PromptsFile
from kgen.knowledge.askg import ASKGFile, askg_graph
from kgen.knowledge.attributes import AttributesFile
from kgen.knowledge.base import IMPORTED_DIR, KnowledgeFile, known_kinds

# Per kind, which provenance step wrote which part (the step names the builders record).
ASKG_TRIPLE_STEPS = {
    "object-object": "askg.object_relations",
    "action-object": "askg.action_object_relations",
    "action-action": "askg.action_relations",
}
# How many other classes a shared ASKG concept lists by name.
SHARED_NAMES_SHOWN = 8


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def provenance_view(knowledge: KnowledgeFile) -> dict[str, Any]:
    """The file's provenance as shown on the page: a summary line, the fields, the steps."""
    raw: dict[str, Any] = _plain(getattr(knowledge, "provenance", None)) or {}
    steps = {}
    for record in raw.pop("prompts", []) or []:
        steps[record.get("step", "?")] = record
    problems = raw.pop("problems", None)
    if problems:
        raw["problems"] = f"{len(problems)} entries dropped or flagged by the import (listed with each class)"
    if raw.get("source") == "imported":
        where = str(raw.get("repository") or "")
        ref = f"@{raw['ref']}" if raw.get("ref") else ""
        summary = f"imported ({raw.get('import_format', '?')}) from {where}{ref}"
    elif "backend" in raw:
        summary = f"LLM {raw.get('model', '?')} via {raw.get('backend', '?')}"
    elif "sources" in raw:
        summary = "crawl: " + (", ".join(raw.get("sources") or []) or "no source") + (" (offline)" if raw.get("offline") else "")
    else:
        summary = "kgen"
    return {"summary": summary, "fields": raw, "steps": steps}


_DEFINITION_FIELDS = {"class_id", "class_name", "label", "texts", "refined", "refined_rule", "problems", "qualifiers",
                      "override", "low_confidence"}


def _definition(entry: Any) -> dict[str, Any]:
    dumped = entry.model_dump(mode="json")
    return {
        "refined": entry.refined,
        "rule": entry.refined_rule,
        "problems": list(entry.problems),
        # Every field of each source text: the WordNet sense choice (score, margin, what decided it,
        # runners-up, evidence) and whatever a later format adds.
        "texts": dumped.get("texts", []),
        "qualifiers": dumped.get("qualifiers") or [],
        "override": dumped.get("override"),
        "low_confidence": dumped.get("low_confidence") or [],
        "extra": {k: v for k, v in dumped.items() if k not in _DEFINITION_FIELDS},
    }


def prompt_steps(knowledge: PromptsFile) -> list[str | None]:
    """The provenance step of each LLM-prompt (``llm_prompt`` indexes it)."""
    recorded = [record.step for record in knowledge.provenance.prompts]
    return recorded if len(recorded) == len(knowledge.llm_prompts) else [None] * len(knowledge.llm_prompts)


def _prompts(knowledge: PromptsFile, entry: Any) -> dict[str, Any]:
    """The attribute tree with each attribute's prompts. Each prompt: the sentence (encoded after the
    file's ``prefix_template``), its CLIP tokens, whether it was cut, the LLM-prompt that wrote it
    (index into the kind's ``settings.prompt_steps``), and the LLM's own text when normalising changed it."""
    tree = []
    for aspect in knowledge.aspects:
        attributes = []
        for attribute in aspect.attributes:
            prompts = []
            for p in entry.prompts:
                if p.aspect != aspect.name or p.attribute != attribute.name:
                    continue
                item: dict[str, Any] = {"sentence": p.text, "tokens": p.clip_tokens, "truncated": p.truncated, "llm_prompt": p.llm_prompt}
                if p.raw != p.text:
                    item["raw"] = p.raw
                prompts.append(item)
            attributes.append({"name": attribute.name, "description": attribute.description, "prompts": prompts})
        tree.append({"aspect": aspect.name, "attributes": attributes})
    return {"tree": tree, "count": len(entry.prompts), "expected": knowledge.prompts_per_class}


def _askg(knowledge: ASKGFile, entry: Any, shared: dict[tuple[str, str], list[str]], ids: dict[str, int]) -> dict[str, Any]:
    from kgen.text.concepts import concept_key

    def others(kind: str, name: str) -> dict[str, Any]:
        key = concept_key(name) if kind == "object" else concept_key(name, singularize=False)
        owners = [c for c in shared.get((kind, key), []) if c != entry.class_name]
        # class ids, not names: at 400 classes the names would be half of the page's knowledge data
        return {"count": len(owners), "ids": [ids[c] for c in owners[:SHARED_NAMES_SHOWN] if c in ids]}

    return {
        "objects": [{"name": o, "shared": others("object", o)} for o in entry.objects],
        "sub_actions": [{"name": s, "shared": others("sub-action", s)} for s in entry.sub_actions],
        "triples": [
            {"subject": t.subject, "predicate": t.predicate, "object": t.object, "kind": t.kind}
            for t in entry.triples
        ],
        "prompts": [
            {"type": p.type, "text": p.text, "triple": p.triple, "truncated": p.truncated}
            for p in entry.prompts
        ],
    }


def _shared_concepts(knowledge: ASKGFile) -> dict[tuple[str, str], list[str]]:
    """(node type, concept key) -> the classes whose ASKG mentions that concept."""
    graph = askg_graph(knowledge)
    shared: dict[tuple[str, str], list[str]] = {}
    for node_id, data in graph.nodes(data=True):
        kind, _, key = str(node_id).partition(":")
        if kind in ("object", "sub-action"):
            shared[(kind, key)] = str(data.get("classes", "")).split("|") if data.get("classes") else []
    return shared


def _first_step(knowledge: KnowledgeFile) -> str | None:
    """The step name of a one-prompt kind (None for imported knowledge: no prompt made it)."""
    records = getattr(knowledge.provenance, "prompts", None) or []  # type: ignore[attr-defined]
    return records[0].step if records else None


def _attributes(knowledge: AttributesFile, entry: Any) -> dict[str, Any]:
    step = _first_step(knowledge)
    return {
        "keywords": list(entry.keywords),
        "candidates": list(entry.candidates),
        "top": knowledge.attribute_words(entry),
        "top_n": knowledge.top_n,
        "sentence": knowledge.sentence(entry),
        "description_source": entry.description_source,
        "step": step,
    }


def _action_descriptions(knowledge: ActionDescriptionsFile, entry: Any) -> dict[str, Any]:
    step = _first_step(knowledge)
    truncated = list(entry.truncated) + [False] * (len(entry.descriptions) - len(entry.truncated))
    raw = list(entry.raw) + [""] * (len(entry.descriptions) - len(entry.raw))
    return {
        "prefix": knowledge.prefix(entry.class_name),
        "step": step,
        "descriptions": [
            {"sentence": d, "truncated": t, **({"raw": r} if r and r != d else {})}
            for d, r, t in zip(entry.descriptions, raw, truncated, strict=True)
        ],
    }


def _generic(knowledge: KnowledgeFile, dataset: Dataset) -> dict[int, dict[str, Any]]:
    """Kinds without a view of their own: each class's bank texts (classes that have none are left out)."""
    per_class: dict[int, dict[str, Any]] = {}
    for class_entry in dataset.classes:
        single = Dataset(name=dataset.name, title=dataset.title, classes=(class_entry,), origin=dataset.origin)
        try:
            (texts,) = knowledge.bank_texts(single)
        except (KgenError, ValueError):
            continue
        types = texts.text_types or [None] * len(texts.texts)
        per_class[class_entry.id] = {"texts": [{"text": t, "type": ty} for t, ty in zip(texts.texts, types, strict=True)]}
    return per_class


def _view_of(knowledge: KnowledgeFile, dataset: Dataset) -> tuple[str, dict[int, dict[str, Any]]]:
    """(view name, class id -> that class's data) for one knowledge file."""
    if isinstance(knowledge, DescriptionsFile):
        return "definition", {e.class_id: _definition(e) for e in knowledge.classes}
    if isinstance(knowledge, PromptsFile):
        return "prompts", {e.class_id: _prompts(knowledge, e) for e in knowledge.classes}
    if isinstance(knowledge, ASKGFile):
        shared = _shared_concepts(knowledge)
        ids = {e.class_name: e.class_id for e in knowledge.classes}
        return "askg", {e.class_id: _askg(knowledge, e, shared, ids) for e in knowledge.classes}
    if isinstance(knowledge, AttributesFile):
        return "attributes", {e.class_id: _attributes(knowledge, e) for e in knowledge.classes}
    if isinstance(knowledge, ActionDescriptionsFile):
        return "action-descriptions", {e.class_id: _action_descriptions(knowledge, e) for e in knowledge.classes}
    return "texts", _generic(knowledge, dataset)


def _missing(view: str, data: dict[int, dict[str, Any]], dataset: Dataset) -> list[str]:
    if view == "definition":
        return [c.name for c in dataset.classes if not (data.get(c.id) or {}).get("refined")]
    return [c.name for c in dataset.classes if c.id not in data]


def _knowledge_files(folder: Path) -> list[tuple[str, str | None, Path, Any]]:
    """(kind, variant, path, kind info) of every knowledge file in a dataset folder: kgen's own file
    of each kind first, then its imported variants (``imported/<variant>/``, from ``kgen import``)."""
    found = []
    for name, info in sorted(known_kinds().items(), key=lambda item: (_KIND_ORDER.get(item[0], 99), item[0])):
        own = folder / info.file_name
        if own.is_file():
            found.append((name, None, own, info))
        imported = folder / IMPORTED_DIR
        if imported.is_dir():
            for variant in sorted(p.name for p in imported.iterdir() if (p / info.file_name).is_file()):
                found.append((name, variant, imported / variant / info.file_name, info))
    return found


def collect_knowledge(dataset: Dataset, knowledge_dir: Path | None = None) -> dict[str, Any]:
    """Every knowledge file of ``dataset`` in ``knowledge_dir`` (default: the workspace's), as page data.

    Each file is one entry of ``kinds`` with a unique ``key``: the kind (``askg``) for kgen's own
    file, ``kind@variant`` (``askg@stdd-askg``) for an imported one; each class's data is under
    the same key.
    """
    folder = knowledge_dir or paths.knowledge_dir(dataset.name)
    kinds: list[dict[str, Any]] = []
    per_class: dict[int, dict[str, Any]] = {c.id: {} for c in dataset.classes}
    by_name = {c.name: c.id for c in dataset.classes}
    for name, variant, path, info in _knowledge_files(folder):
        key = name if variant is None else f"{name}@{variant}"
        record: dict[str, Any] = {
            "key": key, "kind": name, "variant": variant, "file": str(path),
            "file_name": info.file_name if variant is None else f"{IMPORTED_DIR}/{variant}/{info.file_name}",
            "description": info.description,
        }
        try:
            knowledge = info.model.load(path)
        except KgenError as exc:
            record["error"] = exc.message
            kinds.append(record)
            continue
        view, data = _view_of(knowledge, dataset)
        for class_id, value in data.items():
            if class_id in per_class:
                per_class[class_id][key] = value
        for problem in getattr(knowledge.provenance, "problems", None) or []:  # an import's dropped or flagged entries
            class_id = by_name.get(problem.class_name or "")
            if class_id is not None and key in per_class[class_id]:
                per_class[class_id][key].setdefault("import_problems", []).append(problem.model_dump(mode="json"))
        missing = _missing(view, data, dataset)
        provenance = provenance_view(knowledge)
        record.update(
            {
                "view": view,
                "source": "imported" if provenance["fields"].get("source") == "imported" else "kgen",
                "classes_covered": len(dataset.classes) - len(missing),
                "classes_total": len(dataset.classes),
                "missing": missing,
                "provenance": provenance,
                "settings": _settings(knowledge),
            }
        )
        kinds.append(record)
    classes = [
        {"id": c.id, "name": c.name, "label": c.label, "knowledge": per_class[c.id]} for c in dataset.classes
    ]
    return {"dataset": dataset.name, "folder": str(folder), "kinds": kinds, "classes": classes}


def _settings(knowledge: KnowledgeFile) -> dict[str, Any]:
    """The file-level fields a reader needs to understand the texts (templates, counts), not the
    classes; and which provenance step wrote which part (``prompt_steps``, ``triple_steps``,
    ``prompt_step``), so each text names its step without repeating it."""
    skip = {"format", "format_version", "dataset", "provenance", "classes", "attribute_graph"}
    settings = {k: v for k, v in knowledge.model_dump(mode="json").items() if k not in skip}
    generated = bool(getattr(knowledge.provenance, "prompts", None))
    if isinstance(knowledge, PromptsFile):
        settings["prompt_steps"] = prompt_steps(knowledge)
    if isinstance(knowledge, ASKGFile) and generated:
        settings["triple_steps"] = ASKG_TRIPLE_STEPS
        settings["prompt_step"] = "askg.sentences"
    return settings


_KIND_ORDER = {"descriptions": 0, "prompts": 1, "askg": 2, "attributes": 3, "action-descriptions": 4}
