"""Action-name descriptions for SC-CLIP (Quan et al., Pattern Recognition 2025, §3.1, §4.3):
``knowledge/<dataset>/action_descriptions.json`` (kind ``action-descriptions``).

SC-CLIP "follow[s] [FROSTER] to utilize GPT-3.5 to enrich action names" and embeds the action in
the template "a video of [ ]". FROSTER's released descriptions read "Abseiling: This video shows
the process of abseiling ..." and FROSTER encodes ``template.format(name) + " " + description``.
kgen stores the sentences and builds each text the same way:
``"a video of {name}. {Name}: {sentence}"`` (``Name`` capitalised as in FROSTER's files), cut at a
sentence end so that the whole text fits CLIP's 77 tokens.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.knowledge.base import ClassTexts, KnowledgeFile, register_kind
from kgen.knowledge.imported import GeneratedOrImported

TEMPLATE = "a video of {}."


def capitalized(name: str) -> str:
    return name[:1].upper() + name[1:]


class ClassActionDescriptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    descriptions: list[str] = Field(min_length=1, description="normalised sentences, each fitting CLIP with its prefix")
    raw: list[str] = Field(description="the sentences as the LLM wrote them")
    truncated: list[bool] = []


@register_kind("action-descriptions", "action_descriptions.json", "SC-CLIP/FROSTER-style LLM descriptions of action names")
class ActionDescriptionsFile(KnowledgeFile):
    FORMAT = "kgen.action-descriptions"
    VERSION = 1

    provenance: GeneratedOrImported
    template: str = TEMPLATE
    count: int = 1
    classes: list[ClassActionDescriptions]

    def for_class(self, class_id: int) -> ClassActionDescriptions | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def prefix(self, class_name: str) -> str:
        """Everything before the sentence: ``"a video of {name}. {Name}:"``."""
        return f"{self.template.format(class_name)} {capitalized(class_name)}:"

    def text(self, class_name: str, description: str) -> str:
        return f"{self.prefix(class_name)} {description}"

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """Per class, one templated text per description."""
        result, missing = [], []
        for entry in dataset.classes:
            found = self.for_class(entry.id)
            if found is None:
                missing.append(entry.name)
                continue
            texts = [self.text(entry.name, d) for d in found.descriptions]
            result.append(ClassTexts(class_id=entry.id, class_name=entry.name, texts=texts))
        if missing:
            raise InputError(
                f"{len(missing)} class(es) of {dataset.name} have no action description: {', '.join(missing[:8])}",
                hint=f"rerun `kgen build action-descriptions {dataset.selector}`: it asks only for what is missing",
            )
        return result
