"""STDD's Action Semantic Knowledge Graph (Yu et al., AAAI 2025, "Spatiotemporal Text
Augmentation"): ``knowledge/<dataset>/askg.json`` (kind ``askg``), with the dataset's graph beside
it as ``askg.graphml`` and ``askg.nodelink.json``.

Per class: the top-K objects and the top-K sub-actions (5 <= K <= 10), relation triples typed by
the entities they join, and one prompt per triple completing "This is an example of {action}, ...":

* object triples (``object-object`` between objects, ``action-object`` from the action to each
  object) give the *spatial* prompts C^s;
* action triples (``action-action``: the action to its first sub-action, then each sub-action to
  the next) give the *temporal* prompts C^t.

The dataset graph (:func:`askg_graph`) has one node per action class and one node per concept
(object or sub-action) *shared across classes* after normalisation
(:func:`kgen.text.concepts.concept_key`), and one predicate-labelled edge per triple.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.fileformat import atomic_write_bytes, atomic_write_text
from kgen.knowledge.base import ClassTexts, KnowledgeFile, register_kind
from kgen.knowledge.imported import GeneratedOrImported
from kgen.text.concepts import concept_key

TripleKind = Literal["object-object", "action-object", "action-action"]
PromptType = Literal["spatial", "temporal"]
SENTENCE_PREFIX = "This is an example of {action},"
GRAPHML_NAME = "askg.graphml"
NODELINK_NAME = "askg.nodelink.json"


class KGTriple(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str
    predicate: str
    object: str
    kind: TripleKind

    @property
    def type(self) -> Literal["object", "action"]:
        """STDD's typing: object triples (spatial) and action triples (temporal)."""
        return "action" if self.kind == "action-action" else "object"

    @property
    def prompt_type(self) -> PromptType:
        return "temporal" if self.kind == "action-action" else "spatial"

    def render(self) -> str:
        return f"<{self.subject}, {self.predicate}, {self.object}>"


class TriplePrompt(BaseModel):
    """The prompt of one triple: the completion the LLM wrote and the full sentence."""

    model_config = ConfigDict(extra="forbid")

    triple: int | None = Field(
        ge=0, description="index into the class's triples; None for imported prompts whose source does not link them to a triple"
    )
    type: PromptType
    clause: str = Field(description="the completion after the comma, normalised")
    text: str = Field(description='"This is an example of {action}, {clause}." (fits CLIP\'s 77 tokens)')
    truncated: bool = False


class ClassASKG(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    objects: list[str]
    sub_actions: list[str]
    triples: list[KGTriple]
    prompts: list[TriplePrompt]

    @property
    def spatial(self) -> list[TriplePrompt]:
        return [p for p in self.prompts if p.type == "spatial"]

    @property
    def temporal(self) -> list[TriplePrompt]:
        return [p for p in self.prompts if p.type == "temporal"]


@register_kind("askg", "askg.json", "STDD Action Semantic Knowledge Graph: objects, sub-actions, triples, spatial/temporal prompts")
class ASKGFile(KnowledgeFile):
    FORMAT = "kgen.askg"
    VERSION = 1

    provenance: GeneratedOrImported
    k_min: int = 5
    k_max: int = 10
    sentence_prefix: str = SENTENCE_PREFIX
    classes: list[ClassASKG]

    def for_class(self, class_id: int) -> ClassASKG | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """Per class, every triple's prompt (spatial ones first, in triple order, then temporal),
        with ``text_types`` "spatial"/"temporal"."""
        result, missing = [], []
        for entry in dataset.classes:
            found = self.for_class(entry.id)
            if found is None or not found.prompts:
                missing.append(entry.name)
                continue
            ordered = found.spatial + found.temporal
            result.append(
                ClassTexts(
                    class_id=entry.id,
                    class_name=entry.name,
                    texts=[p.text for p in ordered],
                    text_types=[p.type for p in ordered],
                )
            )
        if missing:
            raise InputError(
                f"{len(missing)} class(es) of {dataset.name} have no ASKG prompts: {', '.join(missing[:8])}",
                hint=f"rerun `kgen build askg {dataset.selector}`: it asks only for what is missing",
            )
        return result


def askg_graph(askg: ASKGFile) -> nx.MultiDiGraph:
    """The dataset's knowledge graph.

    Nodes: ``action:{class name}`` (type ``action``) for every class, ``object:{key}`` and
    ``sub-action:{key}`` (types ``object``/``sub-action``) for concepts, where ``key`` is the
    concept key (lowercase, articles dropped, last word singular), so "the hands" of one class and
    "hand" of another are one node. Node attributes: ``label`` (first spelling seen), ``type``,
    ``classes`` (the classes that mention it, ``|``-separated) and ``class_count``.
    Edges: one per triple, ``predicate`` and ``kind`` attributes, and ``class`` (the class whose
    ASKG holds it).
    """
    graph = nx.MultiDiGraph(name=f"ASKG of {askg.dataset}")
    mentions: dict[str, list[str]] = {}

    def node(name: str, kind: str, owner: str) -> str:
        if kind == "action":
            node_id = f"action:{owner}" if concept_key(name) == concept_key(owner) else f"sub-action:{concept_key(name, singularize=False)}"
        elif kind == "sub-action":
            node_id = f"sub-action:{concept_key(name, singularize=False)}"
        else:
            node_id = f"object:{concept_key(name)}"
        if node_id not in graph:
            node_type = "action" if node_id.startswith("action:") else kind
            graph.add_node(node_id, label=name, type=node_type)
        mentions.setdefault(node_id, [])
        if owner not in mentions[node_id]:
            mentions[node_id].append(owner)
        return node_id

    for entry in askg.classes:
        node(entry.class_name, "action", entry.class_name)
        for name in entry.objects:
            node(name, "object", entry.class_name)
        for name in entry.sub_actions:
            node(name, "sub-action", entry.class_name)
        for triple in entry.triples:
            if triple.kind == "object-object":
                source, target = node(triple.subject, "object", entry.class_name), node(triple.object, "object", entry.class_name)
            elif triple.kind == "action-object":
                source, target = node(triple.subject, "action", entry.class_name), node(triple.object, "object", entry.class_name)
            else:
                source, target = node(triple.subject, "action", entry.class_name), node(triple.object, "sub-action", entry.class_name)
            graph.add_edge(source, target, predicate=triple.predicate, kind=triple.kind, **{"class": entry.class_name})
    for node_id, owners in mentions.items():
        graph.nodes[node_id]["classes"] = "|".join(owners)
        graph.nodes[node_id]["class_count"] = len(owners)
    return graph


def write_graph_files(askg: ASKGFile, folder: Path) -> list[Path]:
    """Write ``askg.graphml`` and ``askg.nodelink.json`` (atomically) and return their paths."""
    graph = askg_graph(askg)
    graphml = folder / GRAPHML_NAME
    nodelink = folder / NODELINK_NAME
    atomic_write_bytes(graphml, "\n".join(nx.generate_graphml(graph, prettyprint=True)).encode("utf-8") + b"\n")
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    atomic_write_text(nodelink, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return [graphml, nodelink]
