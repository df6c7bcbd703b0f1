"""A knowledge kind of the tests' own, so that bank tests need none of the real kinds.

``register_test_kind(monkeypatch, name)`` registers :class:`PromptListFile` under ``name`` for one
test (the registry is restored afterwards); ``write_prompts`` writes its file for a dataset.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgen import paths
from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.knowledge import base
from kgen.knowledge.base import ClassTexts, KindInfo, KnowledgeFile


class PromptListFile(KnowledgeFile):
    """Texts per class id, already templated, with optional per-text types."""

    FORMAT = "kgen.test-prompts"
    VERSION = 1

    prompts: dict[int, list[str]]
    types: dict[int, list[str]] | None = None
    note: str = ""  # a field that does not reach the bank's texts

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        missing = [entry.name for entry in dataset.classes if entry.id not in self.prompts]
        if missing:
            raise InputError(f"no prompts for {', '.join(missing[:5])}")
        return [
            ClassTexts(
                class_id=entry.id, class_name=entry.name, texts=self.prompts[entry.id],
                text_types=None if self.types is None else self.types[entry.id],
            )
            for entry in dataset.classes
        ]


def register_test_kind(monkeypatch: pytest.MonkeyPatch, name: str = "test-prompts") -> str:
    base.known_kinds()  # import the built-in kinds first, so that the registry is complete
    file_name = f"{name}.json"
    monkeypatch.setitem(base._KINDS, name, KindInfo(name=name, file_name=file_name, model=PromptListFile, description="test kind"))
    return file_name


def write_prompts(dataset: Dataset, kind_file: str, prompts: dict[int, list[str]], *, types: dict[int, list[str]] | None = None,
                  note: str = "") -> Path:
    path = paths.knowledge_dir(dataset.name) / kind_file
    PromptListFile(dataset=dataset.name, prompts=prompts, types=types, note=note).save(path)
    return path
