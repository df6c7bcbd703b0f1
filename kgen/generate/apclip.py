"""AP-CLIP (§3.2): the hierarchical attribute graph and the action-conditioned prompts.

Steps:

1. The attribute graph: the default file shipped with kgen (``data/apclip_attributes.json``),
   a file pinned with ``--attributes``, or, with ``--propose-attributes``, one LLM call per aspect
   asking for its most representative attributes (the paper asked GPT-4 and kept 4 per aspect).
2. Per class and per LLM-prompt (3 by default, ``data/apclip_llm_prompts.json``, replaceable
   with ``--llm-prompts``): one call answering one sentence per attribute (a keyed answer), so a
   class costs 3 calls and yields 3 x 12 = 36 prompts.
3. Each sentence is normalised (spaces, punctuation) and cut at a sentence end to at most 30 CLIP
   tokens (§3.2.2); the bank text prefixes it with "a video of {action}." (see
   :mod:`kgen.knowledge.apclip`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kgen.datasets import Dataset
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError
from kgen.fileformat import VersionedFile
from kgen.generate.runner import ClassFailed, KindBuilder, PromptTemplate
from kgen.knowledge.apclip import (
    Aspect,
    Attribute,
    AttributeGraphFile,
    ClassPrompts,
    ConditionedPrompt,
    PromptsFile,
    attribute_graph,
    node_link,
)
from kgen.knowledge.base import KnowledgeFile
from kgen.knowledge.llm_provenance import LLMProvenance, PromptRecord
from kgen.llm.answers import KeyedSpec, ListSpec
from kgen.llm.client import LLMClient, LLMRequest
from kgen.llm.types import SamplingParams
from kgen.text.clip_tokens import count_tokens, truncate_to_tokens
from kgen.text.normalize import normalize_phrase, normalize_sentence

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_ATTRIBUTES = DATA_DIR / "apclip_attributes.json"
DEFAULT_LLM_PROMPTS = DATA_DIR / "apclip_llm_prompts.json"
GRAPH_FILE_NAME = "attribute_graph.json"
MAX_PROMPT_TOKENS = 30  # AP-CLIP §3.2.2
ASPECTS = {  # AP-CLIP §3.2.1: the three fundamental aspects of a video action
    "Scene": "the setting in which the action takes place",
    "Actor": "the person or people performing the action",
    "Body": "the movement of the body that makes up the action",
}
# Greedy decoding: the three LLM-prompts already give the variety; answers are reproducible.
PROMPT_SAMPLING = SamplingParams(temperature=0.0, max_tokens=1024)

PROPOSE_TEMPLATE = PromptTemplate(
    step="prompts.attributes",
    system="You are an expert on human actions and on what distinguishes them in videos.",
    user=(
        "Video actions have three aspects: Scene, Actor and Body. Consider the aspect {aspect} ({gloss}). "
        "Which attributes of this aspect are necessary to tell video actions apart? "
        "Give the {count} most representative attributes, each a short noun phrase."
    ),
    sampling=SamplingParams(temperature=0.0, max_tokens=256),
)


class NamedPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    user: str = Field(min_length=1, description="the user message; {action} and {attribute_list} are filled in")


class LLMPromptsFile(VersionedFile):
    """The LLM-prompts of AP-CLIP (replace them with ``--llm-prompts FILE``)."""

    FORMAT = "kgen.llm-prompts"
    VERSION = 1

    source: str = ""
    system: str
    prompts: list[NamedPrompt] = Field(min_length=1)


def load_llm_prompts(path: Path | None) -> LLMPromptsFile:
    prompts = LLMPromptsFile.load(path or DEFAULT_LLM_PROMPTS)
    for prompt in prompts.prompts:
        if "{action}" not in prompt.user or "{attribute_list}" not in prompt.user:
            raise InputError(
                f"LLM-prompt {prompt.name!r} of {path} must contain {{action}} and {{attribute_list}}",
                hint="see docs/formats/knowledge.md (kgen.llm-prompts)",
            )
    return prompts


def load_attribute_graph(path: Path | None) -> AttributeGraphFile:
    return AttributeGraphFile.load(path or DEFAULT_ATTRIBUTES)


def attribute_list(aspects: list[Aspect]) -> str:
    """How the attributes are written into an LLM-prompt: one line each, with its gloss."""
    lines = []
    for aspect in aspects:
        for attribute in aspect.attributes:
            gloss = f" ({attribute.description})" if attribute.description else ""
            lines.append(f"- {attribute.name}{gloss}")
    return "\n".join(lines)


class PromptsBuilder(KindBuilder[ClassPrompts]):
    kind = "prompts"
    file_model = PromptsFile

    def __init__(
        self,
        dataset: Dataset,
        attributes_file: Path | None = None,
        propose: bool = False,
        llm_prompts_file: Path | None = None,
        attributes_per_aspect: int = 4,
    ) -> None:
        super().__init__(dataset)
        if propose and attributes_file is not None:
            raise InputError("--attributes and --propose-attributes exclude each other", hint="pin a file or let the LLM propose")
        if not 1 <= attributes_per_aspect <= 10:
            raise InputError("--attributes-per-aspect must lie between 1 and 10", hint="AP-CLIP uses 4")
        self.attributes_file = attributes_file
        self.propose = propose
        self.attributes_per_aspect = attributes_per_aspect
        self.llm_prompts_file = llm_prompts_file
        self.graph: AttributeGraphFile | None = None
        self.llm_prompts: LLMPromptsFile | None = None

    def check_inputs(self) -> None:
        self.llm_prompts = load_llm_prompts(self.llm_prompts_file)
        if not self.propose:
            self.graph = load_attribute_graph(self.attributes_file)

    async def prepare(self, client: LLMClient) -> None:
        if self.llm_prompts is None:
            self.check_inputs()
        if self.propose:
            requests = [
                LLMRequest(
                    purpose=f"{PROPOSE_TEMPLATE.step} {aspect}",
                    messages=PROPOSE_TEMPLATE.messages(aspect=aspect, gloss=gloss, count=self.attributes_per_aspect),
                    spec=ListSpec(self.attributes_per_aspect, self.attributes_per_aspect, "attribute", max_words=4),
                    sampling=PROPOSE_TEMPLATE.sampling,
                )
                for aspect, gloss in ASPECTS.items()
            ]
            # The three questions are independent: asked together (one batch round, not three).
            answers = await asyncio.gather(*(client.ask(request) for request in requests))
            aspects = []
            for aspect, answer in zip(ASPECTS, answers, strict=True):
                names = [normalize_phrase(item).lower() for item in answer.value.items]  # type: ignore[attr-defined]
                aspects.append(Aspect(name=aspect, attributes=[Attribute(name=n) for n in names]))
            try:
                self.graph = AttributeGraphFile(source=f"proposed by {client.backend.model_id}", aspects=aspects)
            except ValidationError as exc:
                raise InputError(
                    f"the LLM proposed attributes that cannot form a graph: {exc.errors()[0]['msg']}",
                    hint="pin them with --attributes FILE (start from kgen's default, see docs/formats/knowledge.md)",
                ) from exc
        assert self.graph is not None
        self.graph = self.graph.with_node_link()

    @property
    def attribute_names(self) -> list[tuple[str, str]]:
        assert self.graph is not None
        return [(aspect.name, a.name) for aspect in self.graph.aspects for a in aspect.attributes]

    def templates(self) -> list[PromptTemplate]:
        assert self.llm_prompts is not None
        return [
            PromptTemplate(step=f"prompts.{p.name}", system=self.llm_prompts.system, user=p.user, sampling=PROMPT_SAMPLING)
            for p in self.llm_prompts.prompts
        ]

    async def build_class(self, client: LLMClient, entry: ClassEntry) -> ClassPrompts:
        assert self.graph is not None
        names = self.attribute_names
        listing = attribute_list(self.graph.aspects)
        # A sentence that only restates the attribute's gloss (a small model's habit) does not count.
        spec = KeyedSpec([n for _, n in names], key_label="attribute", value_label="sentence", max_chars=160, question=listing)
        requests = [
            LLMRequest(
                purpose=f"{template.step} [{entry.name}]",
                messages=template.messages(action=entry.name, attribute_list=listing),
                spec=spec,
                sampling=template.sampling,
            )
            for template in self.templates()
        ]
        answers = await asyncio.gather(*(client.ask(request) for request in requests))
        prompts: list[ConditionedPrompt] = []
        for index, (template, answer) in enumerate(zip(self.templates(), answers, strict=True)):
            values = answer.value.values  # type: ignore[attr-defined]
            for aspect, name in names:
                raw = values[name]
                text, cut = truncate_to_tokens(normalize_sentence(raw), MAX_PROMPT_TOKENS)
                if not text:
                    raise ClassFailed(f"{template.step}: the sentence for {name!r} is empty after normalisation")
                prompts.append(
                    ConditionedPrompt(
                        llm_prompt=index, aspect=aspect, attribute=name, text=text, raw=raw,
                        clip_tokens=count_tokens(text), truncated=cut,
                    )
                )
        return ClassPrompts(class_id=entry.id, class_name=entry.name, label=entry.label, prompts=prompts)

    def prompt_records(self) -> list[PromptRecord]:
        records = [t.record() for t in self.templates()]
        if self.propose:
            records.insert(0, PROPOSE_TEMPLATE.record())
        return records

    def parameters(self) -> dict[str, Any]:
        assert self.graph is not None
        return {
            "aspects": [a.model_dump() for a in self.graph.aspects],
            "attributes_source": self.graph.source,
            "llm_prompts_file": str(self.llm_prompts_file) if self.llm_prompts_file else "default",
            "max_prompt_tokens": MAX_PROMPT_TOKENS,
        }

    def make_file(self, entries: list[ClassPrompts], provenance: LLMProvenance) -> KnowledgeFile:
        assert self.graph is not None and self.llm_prompts is not None
        return PromptsFile(
            dataset=self.dataset.name,
            provenance=provenance,
            aspects=self.graph.aspects,
            attribute_graph=node_link(attribute_graph(self.graph.aspects)),
            llm_prompts=[p.user for p in self.llm_prompts.prompts],
            max_prompt_tokens=MAX_PROMPT_TOKENS,
            classes=entries,
        )

    def extra_files(self, knowledge: KnowledgeFile) -> list[Path]:
        assert self.graph is not None
        path = self.path.parent / GRAPH_FILE_NAME
        self.graph.save(path)
        return [path]
