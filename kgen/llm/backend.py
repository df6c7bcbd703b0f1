"""The interface every LLM backend implements."""

from __future__ import annotations

from typing import Protocol

from kgen.llm.answers import AnswerSpec
from kgen.llm.types import Completion, Example, Message, SamplingParams


class Backend(Protocol):
    """Turns one request into one completion; knows nothing about caching or retries."""

    name: str  # "openai" or "embedded"

    @property
    def model_id(self) -> str:
        """The model, as recorded in cache keys and provenance."""
        ...

    @property
    def structured_mode(self) -> str:
        """How answers are shaped now: json_schema, json_object or text."""
        ...

    def describe(self) -> dict[str, str | None]:
        """Backend facts for provenance (never credentials)."""
        ...

    async def complete(
        self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec, sampling: SamplingParams
    ) -> Completion:
        """One completion; raises TransientBackendError, RequestRejected or FatalBackendError."""
        ...

    async def aclose(self) -> None: ...


def with_instructions(messages: list[Message], instructions: str) -> list[Message]:
    """``messages`` with ``instructions`` appended to the last user message (format instructions for
    servers without structured output)."""
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        if out[i].role == "user":
            out[i] = Message(role="user", content=f"{out[i].content.rstrip()}\n\n{instructions}")
            return out
    return out + [Message(role="user", content=instructions)]


def conversation(messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec) -> list[Message]:
    """The messages sent for one request: the system message(s), each worked example as a
    user/assistant pair with the answer written as JSON, then the rest of the conversation."""
    head = [m for m in messages[: next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))]]
    tail = messages[len(head) :]
    shots: list[Message] = []
    for example in examples:
        shots += [Message(role="user", content=example.user), Message(role="assistant", content=spec.render_json(example.answer))]
    return head + shots + tail
