"""The chat-completions request body kgen sends for one question: built in one place, for the
direct calls (:mod:`kgen.llm.openai_backend`), the lines of a batch request file
(:mod:`kgen.generate.batch`) and a dry run's token count (:mod:`kgen.generate.dry_run`). No
network code here (importing the ``openai`` package takes a second)."""

from __future__ import annotations

from typing import Any

from kgen.llm.answers import AnswerSpec
from kgen.llm.backend import with_instructions
from kgen.llm.types import Message, SamplingParams

_BOUND_KEYS = ("maxLength", "minLength", "pattern")


def chat_body(
    model: str,
    messages: list[Message],
    spec: AnswerSpec,
    sampling: SamplingParams,
    mode: str,
    token_param: str = "max_tokens",
    bounded: bool = True,
) -> dict[str, Any]:
    """The chat-completions request for ``messages`` (worked examples already placed) answered
    under ``spec`` in structured-output ``mode``."""
    sent = messages if mode == "json_schema" else with_instructions(messages, spec.json_instructions())
    body: dict[str, Any] = {
        "model": model,
        "messages": [m.wire() for m in sent],
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        token_param: sampling.max_tokens,
    }
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if mode == "json_schema":
        schema = spec.json_schema() if bounded else without_string_bounds(spec.json_schema())
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": spec.NAME.replace(".", "_"), "strict": True, "schema": schema},
        }
    elif mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    return body


def without_string_bounds(node: Any) -> Any:
    """A schema without string lengths and patterns (for servers that reject those keywords)."""
    if isinstance(node, dict):
        return {k: without_string_bounds(v) for k, v in node.items() if k not in _BOUND_KEYS}
    if isinstance(node, list):
        return [without_string_bounds(v) for v in node]
    return node
