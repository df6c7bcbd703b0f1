"""Spatial and temporal descriptors (OST, Chen et al., CVPR 2024, "OST: Refining Text Knowledge
with Optimal Spatio-Temporal Descriptor"): ``knowledge/<dataset>/descriptors.json`` (kind
``descriptors``).

Per class, ``N`` *spatial* descriptors (short noun phrases of what a frame shows: "hairbrush",
"mirror") and ``N`` *temporal* descriptors (the steps of the action in order: "Grab the
hairbrush", "Start brushing from the roots of the hair", ...). OST released lists for N = 2, 4
and 8 (it uses 4). kgen has no generator for this kind yet: its files come from
``kgen import ost``.

Texts, as OST's ``utils/textprompt.py`` builds them (its templates, kept exactly, without a
closing full stop):

* spatial: ``"This is a video about {descriptor}"``;
* temporal: ``"A video of {action} usually includes {descriptor}"``.

OST fills ``{action}`` with the name in its label CSV (the CamelCase label for UCF101,
"ApplyEyeMakeup"); kgen fills it with the readable class name ("apply eye makeup"), as every kgen
kind does. ``bank_texts`` returns the spatial texts first, then the temporal ones, tagged
``spatial``/``temporal``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.knowledge.base import ClassTexts, KnowledgeFile, register_kind
from kgen.knowledge.imported import GeneratedOrImported

SPATIAL_TEMPLATE = "This is a video about {descriptor}"
TEMPORAL_TEMPLATE = "A video of {action} usually includes {descriptor}"


class ClassDescriptors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    spatial: list[str] = Field(description="what a frame of the action shows, as released")
    temporal: list[str] = Field(description="the steps of the action in order, as released")


@register_kind("descriptors", "descriptors.json", "OST spatial and temporal descriptors: N of each per class")
class DescriptorsFile(KnowledgeFile):
    FORMAT = "kgen.descriptors"
    VERSION = 1

    provenance: GeneratedOrImported
    n: int = Field(ge=1, description="descriptors of each type per class (OST: 2, 4 or 8)")
    spatial_template: str = SPATIAL_TEMPLATE
    temporal_template: str = TEMPORAL_TEMPLATE
    classes: list[ClassDescriptors]

    @model_validator(mode="after")
    def _templates(self) -> DescriptorsFile:
        if "{descriptor}" not in self.spatial_template or "{descriptor}" not in self.temporal_template:
            raise ValueError("spatial_template and temporal_template must each hold {descriptor}")
        return self

    def for_class(self, class_id: int) -> ClassDescriptors | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def spatial_text(self, class_name: str, descriptor: str) -> str:
        return self.spatial_template.format(action=class_name, descriptor=descriptor)

    def temporal_text(self, class_name: str, descriptor: str) -> str:
        return self.temporal_template.format(action=class_name, descriptor=descriptor)

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """Per class, the spatial texts, then the temporal ones (``text_types`` "spatial"/"temporal")."""
        result, missing = [], []
        for entry in dataset.classes:
            found = self.for_class(entry.id)
            if found is None or not (found.spatial or found.temporal):
                missing.append(entry.name)
                continue
            texts = [self.spatial_text(entry.name, d) for d in found.spatial]
            texts += [self.temporal_text(entry.name, d) for d in found.temporal]
            types = ["spatial"] * len(found.spatial) + ["temporal"] * len(found.temporal)
            result.append(ClassTexts(class_id=entry.id, class_name=entry.name, texts=texts, text_types=types))
        if missing:
            raise InputError(
                f"{len(missing)} class(es) of {dataset.name} have no descriptors: {', '.join(missing[:8])}",
                hint=f"import descriptors that cover them (`kgen import ost PATH {dataset.selector}`), or encode a split they cover (--split)",
            )
        return result
