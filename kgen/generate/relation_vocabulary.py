"""The closed relation vocabulary ASKG falls back on when a model cannot write a predicate.

A small model (the embedded SmolLM2-135M) asked for free predicates between ASKG entities writes
letter soup ("jsc", "jonesjonj") and, shown the problem, writes the same soup again. STDD's paper
does not restrict predicates ("Find the proper predicate names ..."); its one-shot example (the
authors' "drinking beer" graph) uses short spatial, contact and temporal relations: "poured into",
"held by", "placed on", "in"; "uses", "involves", "requires"; "precedes". kgen ships such words in
``data/askg_relations.json`` (format ``kgen.askg-relations`` v1: one list per relation kind), and
the relation questions fall back on them as an ``enum`` in the answer's JSON schema (see
``kgen.generate.askg``), which a schema-enforcing server (llama.cpp, vLLM, OpenAI) cannot leave.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RELATION_KINDS = ("object_object", "action_object", "action_action")


class RelationVocabulary(BaseModel):
    """``askg_relations.json``: the predicates a relation answer may choose from, per kind."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["kgen.askg-relations"]
    version: Literal[1]
    about: str
    object_object: list[str] = Field(min_length=2)
    action_object: list[str] = Field(min_length=2)
    action_action: list[str] = Field(min_length=2)

    @field_validator("object_object", "action_object", "action_action")
    @classmethod
    def _distinct_lower_words(cls, words: list[str]) -> list[str]:
        for word in words:
            if word != " ".join(word.split()) or word != word.lower() or not word.replace(" ", "").isalpha():
                raise ValueError(f'"{word}" is not a lower-case phrase of letters and single spaces')
        if len(set(words)) != len(words):
            raise ValueError("the predicates of one kind must be distinct")
        return words

    def for_kind(self, kind: str) -> tuple[str, ...]:
        if kind not in RELATION_KINDS:
            raise ValueError(f"unknown relation kind {kind!r}; known: {', '.join(RELATION_KINDS)}")
        return tuple(getattr(self, kind))


@cache
def relation_vocabulary() -> RelationVocabulary:
    """The vocabulary shipped with kgen."""
    text = resources.files("kgen.generate").joinpath("data/askg_relations.json").read_text(encoding="utf-8")
    return RelationVocabulary.model_validate_json(text)
