"""The values that travel between the LLM client and its backends."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "refusal", "other"]


class Message(BaseModel):
    """One chat message, as the chat-completions wire format has it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str

    def wire(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class Example(BaseModel):
    """A worked example (one-shot prompting): a question and its answer as a JSON value of the
    request's answer spec, shown to the model as a user/assistant exchange."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    answer: Any


class SamplingParams(BaseModel):
    """Sampling parameters of one request (part of its cache key).

    ``temperature == 0`` means greedy decoding. ``seed`` is passed to servers that honour it
    (llama.cpp does: the embedded backend's sampled answers are reproducible).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=512, ge=1, le=32768)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int | None = 0


class Completion(BaseModel):
    """What a backend returned for one request (one HTTP call or one generated row)."""

    model_config = ConfigDict(extra="forbid")

    text: str
    finish_reason: FinishReason = "stop"
    refusal: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # The structured-output mode the backend used for this call ("json_schema", "json_object" or "text").
    mode: str = "text"
    raw: dict[str, Any] | None = None

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"
