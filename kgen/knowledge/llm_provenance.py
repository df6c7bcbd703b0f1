"""Provenance of LLM-made knowledge: backend, model, every prompt template and its hash, the
sampling parameters of every step, the usage of the run that wrote the file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from kgen.hashing import sha256_json
from kgen.knowledge.base import Provenance


class PromptRecord(BaseModel):
    """One step's prompt template, exactly as sent (placeholders in braces), and its hash."""

    model_config = ConfigDict(extra="forbid")

    step: str
    system: str
    user: str
    examples: list[dict[str, Any]] = []
    sampling: dict[str, Any] = {}
    sha256: str = ""

    def model_post_init(self, __context: Any) -> None:
        if not self.sha256:
            self.sha256 = sha256_json({"system": self.system, "user": self.user, "examples": self.examples})


class LLMProvenance(Provenance):
    backend: str
    model: str
    base_url: str | None = None
    structured_output: str = ""
    prompts: list[PromptRecord] = []
    usage: dict[str, int] = {}
    # Hash of what decides the content (model, prompts, sampling, parameters): entries of a previous
    # file with the same hash are kept for classes that fail in a later run.
    content_sha256: str = ""
