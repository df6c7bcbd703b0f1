"""AP-CLIP's knowledge (Jia et al., ACM MM 2024, §3.2): the hierarchical attribute graph and the
action-conditioned prompts, ``knowledge/<dataset>/prompts.json`` (kind ``prompts``).

* :class:`AttributeGraphFile` (``kgen.attribute-graph``): the aspects (Scene, Actor, Body) and
  their attributes (4 each, 12 in all, by default). kgen ships a default graph
  (``kgen/generate/data/apclip_attributes.json``); ``kgen build prompts --propose-attributes`` asks
  the LLM instead, and ``--attributes FILE`` pins any graph written in this format. The graph is
  written beside the prompts as ``attribute_graph.json`` and, as networkx node-link JSON, inside
  ``prompts.json``.
* :class:`PromptsFile` (``kgen.prompts``): for every class, one sentence per (LLM-prompt,
  attribute): 3 x 12 = 36 prompts a class by default, each normalised and cut at a sentence end
  to at most 30 CLIP tokens. ``bank_texts`` prefixes each with the standard prompt:
  ``"a video of {action}. {prompt}"``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.fileformat import VersionedFile
from kgen.knowledge.base import ClassTexts, KnowledgeFile, register_kind
from kgen.knowledge.llm_provenance import LLMProvenance

ROOT_NODE = "video action"
PREFIX_TEMPLATE = "a video of {action}."


class Attribute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""


class Aspect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    attributes: list[Attribute] = Field(min_length=1)


def check_aspects(aspects: list[Aspect]) -> list[Aspect]:
    names = [a.name.casefold() for aspect in aspects for a in aspect.attributes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"attribute names must be unique across aspects; repeated: {', '.join(duplicates)}")
    if len({a.name.casefold() for a in aspects}) != len(aspects):
        raise ValueError("aspect names must be unique")
    return aspects


def attribute_graph(aspects: list[Aspect]) -> nx.DiGraph:
    """The hierarchy as a graph: root -> aspects -> attributes (node ids ``aspect:NAME`` and
    ``attribute:NAME``; each node has ``label``, ``level`` and, for attributes, ``description``)."""
    graph = nx.DiGraph(name="AP-CLIP hierarchical attribute graph")
    graph.add_node(ROOT_NODE, label=ROOT_NODE, level="root")
    for aspect in aspects:
        aspect_id = f"aspect:{aspect.name}"
        graph.add_node(aspect_id, label=aspect.name, level="aspect")
        graph.add_edge(ROOT_NODE, aspect_id, relation="has aspect")
        for attribute in aspect.attributes:
            node = f"attribute:{attribute.name}"
            graph.add_node(node, label=attribute.name, level="attribute", description=attribute.description)
            graph.add_edge(aspect_id, node, relation="has attribute")
    return graph


def node_link(graph: nx.Graph) -> dict[str, Any]:
    return nx.node_link_data(graph, edges="edges")


class AttributeGraphFile(VersionedFile):
    """A pinnable attribute graph (write ``aspects``; ``node_link`` is filled in when kgen saves)."""

    FORMAT = "kgen.attribute-graph"
    VERSION = 1

    source: str = Field(default="", description="where the attributes came from (default file, a file, an LLM)")
    aspects: list[Aspect] = Field(min_length=1)
    node_link: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _unique(self) -> AttributeGraphFile:
        check_aspects(self.aspects)
        return self

    def with_node_link(self) -> AttributeGraphFile:
        return self.model_copy(update={"node_link": node_link(attribute_graph(self.aspects))})

    @property
    def attribute_count(self) -> int:
        return sum(len(a.attributes) for a in self.aspects)


class ConditionedPrompt(BaseModel):
    """One action-conditioned prompt: the sentence for one attribute under one LLM-prompt."""

    model_config = ConfigDict(extra="forbid")

    llm_prompt: int = Field(ge=0, description="index into the file's llm_prompts")
    aspect: str
    attribute: str
    text: str = Field(description="normalised sentence, at most max_prompt_tokens CLIP tokens")
    raw: str = Field(description="the sentence as the LLM wrote it")
    clip_tokens: int
    truncated: bool = False


class ClassPrompts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    prompts: list[ConditionedPrompt]


@register_kind("prompts", "prompts.json", "AP-CLIP action-conditioned prompts over a Scene/Actor/Body attribute graph")
class PromptsFile(KnowledgeFile):
    FORMAT = "kgen.prompts"
    VERSION = 1

    provenance: LLMProvenance
    aspects: list[Aspect]
    attribute_graph: dict[str, Any] = Field(description="the attribute graph, networkx node-link JSON")
    llm_prompts: list[str]
    prefix_template: str = PREFIX_TEMPLATE
    max_prompt_tokens: int = 30
    classes: list[ClassPrompts]

    @property
    def prompts_per_class(self) -> int:
        return len(self.llm_prompts) * sum(len(a.attributes) for a in self.aspects)

    def for_class(self, class_id: int) -> ClassPrompts | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def prompt_text(self, class_name: str, prompt: ConditionedPrompt) -> str:
        """The string encoded for one prompt: the standard prompt, then the generated sentence."""
        return f"{self.prefix_template.format(action=class_name)} {prompt.text}"

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """Per class, the prefixed prompts in (LLM-prompt, aspect, attribute) order; ``text_types``
        holds each prompt's aspect in lowercase ("scene", "actor", "body")."""
        result, missing = [], []
        for entry in dataset.classes:
            found = self.for_class(entry.id)
            if found is None or len(found.prompts) != self.prompts_per_class:
                missing.append(entry.name)
                continue
            result.append(
                ClassTexts(
                    class_id=entry.id,
                    class_name=entry.name,
                    texts=[self.prompt_text(entry.name, p) for p in found.prompts],
                    text_types=[p.aspect.lower() for p in found.prompts],
                )
            )
        if missing:
            raise InputError(
                f"{len(missing)} class(es) of {dataset.name} have no action-conditioned prompts: {', '.join(missing[:8])}",
                hint=f"rerun `kgen build prompts {dataset.selector}`: it asks only for what is missing",
            )
        return result
