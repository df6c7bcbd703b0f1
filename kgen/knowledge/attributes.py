"""Kim et al.'s description attributes (§3.2): ``knowledge/<dataset>/attributes.json`` (kind
``attributes``).

Per class, the LLM extracts 5-10 keywords from the crawled, refined description
(``descriptions.json``). kgen splits them into words, drops stopwords, non-words and duplicates
(keeping the LLM's order) and stores the result as ``candidates``; the top N (N = 8 by default;
the paper tests 2, 4, 8 and 16) form the description attributes DA(c) = {w_1, ..., w_N}. The
attribute sentence is the composite token [c; w_1; ...; w_N] put into the template
"This is a video about {}.": the class name and the N words joined by ``separator`` (", " by
default), e.g. "This is a video about brush hair, hairbrush, strokes, scalp, ... ."
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.knowledge.base import ClassTexts, KnowledgeFile, register_kind
from kgen.knowledge.llm_provenance import LLMProvenance

SENTENCE_TEMPLATE = "This is a video about {}."
ALLOWED_TOP_N = (2, 4, 8, 16)


class ClassAttributes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    description_sha256: str = Field(description="hash of the refined description the keywords came from")
    description_source: Literal["crawl", "class-name"] = Field(
        "crawl", description="'class-name' when the crawl found no definition and the keywords came from the name alone"
    )
    keywords: list[str] = Field(description="the keywords as the LLM gave them")
    candidates: list[str] = Field(description="keyword words after stopword and duplicate removal, in order")


@register_kind("attributes", "attributes.json", "Kim et al. description attributes: top-N LLM keywords of crawled descriptions")
class AttributesFile(KnowledgeFile):
    FORMAT = "kgen.attributes"
    VERSION = 1

    provenance: LLMProvenance
    top_n: int = 8
    separator: str = ", "
    template: str = SENTENCE_TEMPLATE
    classes: list[ClassAttributes]

    def for_class(self, class_id: int) -> ClassAttributes | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def attribute_words(self, entry: ClassAttributes) -> list[str]:
        """DA(c): the top-N candidates (fewer when the LLM gave fewer distinct words)."""
        return entry.candidates[: self.top_n]

    def sentence(self, entry: ClassAttributes) -> str:
        """The attribute sentence: ``template`` filled with [c; w_1; ...; w_N]."""
        return self.template.format(self.separator.join([entry.class_name, *self.attribute_words(entry)]))

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """One attribute sentence per class."""
        result, missing = [], []
        for class_entry in dataset.classes:
            found = self.for_class(class_entry.id)
            if found is None:
                missing.append(class_entry.name)
                continue
            result.append(ClassTexts(class_id=class_entry.id, class_name=class_entry.name, texts=[self.sentence(found)]))
        if missing:
            raise InputError(
                f"{len(missing)} class(es) of {dataset.name} have no description attributes: {', '.join(missing[:8])}",
                hint=f"rerun `kgen build attributes {dataset.selector}` (after `kgen crawl` if descriptions are missing)",
            )
        return result
