"""SC-CLIP §3.1/§4.3 (after FROSTER): LLM descriptions that enrich each action name.

One call per class asks for ``count`` descriptive sentences (FROSTER's released file has one per
class, "Abseiling: This video shows the process of abseiling ..."). Each sentence is normalised
and cut at a sentence end so that the encoded text "a video of {name}. {Name}: {sentence}" fits
CLIP's 77 tokens. The prompt wording is kgen's (FROSTER and SC-CLIP do not publish theirs).
"""

from __future__ import annotations

from typing import Any

from kgen.datasets import Dataset
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError
from kgen.generate.runner import ClassFailed, KindBuilder, PromptTemplate
from kgen.knowledge.action_descriptions import (
    ActionDescriptionsFile,
    ClassActionDescriptions,
    capitalized,
)
from kgen.knowledge.base import KnowledgeFile
from kgen.knowledge.llm_provenance import LLMProvenance, PromptRecord
from kgen.llm.answers import ListSpec
from kgen.llm.client import LLMClient, LLMRequest
from kgen.llm.types import SamplingParams
from kgen.text.clip_tokens import fit_to_context
from kgen.text.normalize import normalize_sentence

MIN_SENTENCE_CHARS = 20  # a description shorter than this names, it does not describe (see build_class)

DESCRIBE = PromptTemplate(
    "action_descriptions.describe",
    "You are an expert on human actions. You describe what videos of actions show, in plain, concrete sentences.",
    'Rephrase the action name "{action}" into {count_phrase} describing what a video of this action shows: '
    'the people, the objects, the place and how the body moves. Start with "This video shows".',
    SamplingParams(temperature=0.0, max_tokens=512),
)


class ActionDescriptionsBuilder(KindBuilder[ClassActionDescriptions]):
    kind = "action-descriptions"
    file_model = ActionDescriptionsFile

    def __init__(self, dataset: Dataset, count: int = 1) -> None:
        super().__init__(dataset)
        if not 1 <= count <= 20:
            raise InputError(f"--count must lie between 1 and 20 (got {count})", hint="FROSTER and SC-CLIP use 1")
        self.count = count
        self._holder = ActionDescriptionsFile(dataset=dataset.name, provenance=LLMProvenance(backend="-", model="-"), classes=[])

    async def build_class(self, client: LLMClient, entry: ClassEntry) -> ClassActionDescriptions:
        phrase = "one descriptive sentence" if self.count == 1 else f"{self.count} different descriptive sentences"
        request = LLMRequest(
            purpose=f"{DESCRIBE.step} [{entry.name}]",
            messages=DESCRIBE.messages(action=entry.name, count_phrase=phrase),
            # kgen's choice (the papers are silent): a sentence under 20 characters ("People.",
            # "Clap.", as SmolLM2-135M wrote for HMDB51) describes nothing; it is asked again.
            spec=ListSpec(self.count, self.count, "sentence", max_chars=300, min_chars=MIN_SENTENCE_CHARS),
            sampling=DESCRIBE.sampling,
        )
        answer = await client.ask(request)
        raw = list(answer.value.items)  # type: ignore[attr-defined]
        prefix = self._holder.prefix(entry.name)
        texts, cuts = [], []
        for sentence in raw:
            sentence = normalize_sentence(sentence)
            head = f"{capitalized(entry.name)}:"
            if sentence.casefold().startswith(head.casefold()):
                sentence = normalize_sentence(sentence[len(head) :])
            text, cut = fit_to_context(prefix, sentence)
            if text:
                texts.append(text)
                cuts.append(cut)
        if not texts:
            raise ClassFailed("action_descriptions.describe: no usable sentence")
        return ClassActionDescriptions(
            class_id=entry.id, class_name=entry.name, label=entry.label, descriptions=texts, raw=raw, truncated=cuts
        )

    def prompt_records(self) -> list[PromptRecord]:
        return [DESCRIBE.record()]

    def parameters(self) -> dict[str, Any]:
        return {"count": self.count}

    def make_file(self, entries: list[ClassActionDescriptions], provenance: LLMProvenance) -> KnowledgeFile:
        return ActionDescriptionsFile(dataset=self.dataset.name, provenance=provenance, count=self.count, classes=entries)
