"""Token estimates for requests not sent yet (``kgen build-* --dry-run``).

**Prompt tokens** are counted on the real request body (the chat messages exactly as they would be
sent, worked examples included, and the JSON schema of ``response_format``) with a tokenizer
*proxy*: CLIP's BPE (open_clip's ``SimpleTokenizer``, shipped with kgen's dependencies, offline).
It is not the tokenizer of any chat model; measured against OpenAI's ``o200k_base`` (gpt-4o,
gpt-4.1, gpt-5, o-series) on kgen's own prompts (``bench/dry_run.py --reference``, see
docs/llm.md) it counts prose within a few per cent and JSON schemas about 15 % high. A
chars/4 rule was measured too and was worse on both. Each message adds ``MESSAGE_OVERHEAD``
tokens (role and separators) and each request ``REPLY_PRIMING`` (OpenAI's published counting
rule for chat models). Counts are cached per line: CLIP's tokens never span a line break, so a
text's count is the sum of its lines', and the fixed lines of kgen's templates are tokenized once.

**Completion tokens** come from the answer spec, two ways:

* *typical*: the tokens of a stand-in answer in the middle of every bound (lists of
  ``ceil((minItems + maxItems) / 2)`` items, phrases of ``ceil(max_words / 2)`` words, sentences of
  ``maxLength / 2`` characters); the same stand-in answers let a dry run build the prompts of
  calls that depend on earlier answers (their prompt counts are marked *estimated*);
* *at most*: the bound the spec allows, with a word counted as ``TOKENS_PER_WORD`` tokens and
  ``CHARS_PER_TOKEN`` characters of a sentence as one token, capped by the request's
  ``max_tokens``.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from kgen.llm.answers import AnswerSpec, KeyedSpec, ListSpec, TripleSpec
from kgen.llm.types import SamplingParams

MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3
TOKENS_PER_WORD = 1.3  # an English word in a BPE vocabulary of 100k-200k tokens
CHARS_PER_TOKEN = 4.0
PROXY = "CLIP BPE (open_clip SimpleTokenizer)"
# Stand-in words: ordinary nouns of ordinary length (5.5 letters on average), all different
# under kgen's concept keys, so that builders treat them as distinct objects and sub-actions.
_WORDS = (
    "rope harness helmet cliff glove ledge anchor water racket court field bench shoulder knee park street kitchen "
    "stage river grass table chair window door bottle ladder bucket hammer brush towel mirror bicycle saddle wheel "
    "engine paper pencil basket blanket pillow candle camera guitar violin drum needle thread jacket shirt boots"
).split()


@lru_cache(maxsize=65536)
def _line_tokens(line: str) -> int:
    from kgen.text.clip_tokens import count_tokens

    return count_tokens(line) if line.strip() else 0


def text_tokens(text: str) -> int:
    """Proxy token count of ``text`` (CLIP BPE, summed over its lines)."""
    return sum(_line_tokens(line) for line in text.split("\n"))


def prompt_tokens(body: dict[str, Any]) -> int:
    """Proxy prompt tokens of one chat-completions request body: its messages plus the JSON
    schema it carries in ``response_format``."""
    total = REPLY_PRIMING
    for message in body.get("messages", []):
        total += MESSAGE_OVERHEAD + text_tokens(str(message.get("content", "")))
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        total += _schema_tokens(json.dumps(response_format["json_schema"], ensure_ascii=False))
    return total


@lru_cache(maxsize=4096)
def _schema_tokens(schema_json: str) -> int:
    return text_tokens(schema_json)


def _phrase(words: int, start: int) -> str:
    return " ".join(_WORDS[(start + i) % len(_WORDS)] for i in range(words))


@lru_cache(maxsize=4096)
def _sentence(chars: int, start: int) -> str:
    words: list[str] = []
    i = start
    while len(" ".join(words)) < chars - 8:
        words.append(_WORDS[i % len(_WORDS)])
        i += 1
    return "The " + " ".join(words)[: max(1, chars - 5)].rstrip() + "."


def _middle(low: int, high: int) -> int:
    return math.ceil((low + high) / 2)


def typical_answer(spec: AnswerSpec, seed: int = 0) -> Any:
    """A valid answer in the middle of ``spec``'s bounds (a JSON value), different for each seed."""
    if isinstance(spec, ListSpec):
        count = _middle(spec.min_items, spec.max_items)
        pool = list(spec.choices) or (spec.grounding.words() if spec.grounding is not None else [])
        if pool:  # items drawn from given words: distinct ones of those
            count = max(spec.min_items, min(count, len(pool)))
            return {"items": [pool[(seed + i) % len(pool)] for i in range(count)]}
        if spec.max_words:
            words = math.ceil(spec.max_words / 2)
            return {"items": [_phrase(words, seed + i * words) for i in range(count)]}
        return {"items": [_sentence(spec.max_chars // 2, seed + i * 7) for i in range(count)]}
    if isinstance(spec, KeyedSpec):
        if spec.max_words:
            words = math.ceil(spec.max_words / 2)
            return {key: _phrase(words, seed + i) for i, key in enumerate(spec.keys)}
        return {key: _sentence(spec.max_chars // 2, seed + i) for i, key in enumerate(spec.keys)}
    if isinstance(spec, TripleSpec):
        entities = spec.entities
        pairs = [(a, b) for i, a in enumerate(entities) for b in entities[i + 1 :]]
        count = min(len(pairs), _middle(spec.min_items, spec.max_items))
        words = math.ceil(spec.max_predicate_words / 2)
        return {
            "triples": [
                {"subject": a, "predicate": _phrase(words, seed + i), "object": b} for i, (a, b) in enumerate(pairs[:count])
            ]
        }
    raise TypeError(f"no stand-in answer for {type(spec).__name__}")


def completion_tokens(spec: AnswerSpec, sampling: SamplingParams) -> tuple[int, int]:
    """(typical, at most) completion tokens of one answer to ``spec``."""
    typical = text_tokens(spec.render_json(typical_answer(spec)))
    return min(typical, sampling.max_tokens), min(_bound(spec), sampling.max_tokens)


def _words_budget(words: int) -> int:
    return math.ceil(words * TOKENS_PER_WORD)


def _chars_budget(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def _bound(spec: AnswerSpec) -> int:
    """Structure (braces, keys, quotes, commas: counted on an answer with empty strings) plus the
    largest content each string may hold."""
    if isinstance(spec, ListSpec):
        each = _words_budget(spec.max_words) if spec.max_words else _chars_budget(spec.max_chars)
        skeleton = {"items": [""] * spec.max_items}
        return text_tokens(json.dumps(skeleton)) + spec.max_items * each
    if isinstance(spec, KeyedSpec):
        each = _words_budget(spec.max_words) if spec.max_words else _chars_budget(spec.max_chars)
        skeleton = {key: "" for key in spec.keys}
        return text_tokens(json.dumps(skeleton, ensure_ascii=False)) + len(spec.keys) * each
    if isinstance(spec, TripleSpec):
        longest = max(spec.entities, key=len)
        one = {"subject": longest, "predicate": "", "object": longest}
        skeleton = {"triples": [one] * spec.max_items}
        return text_tokens(json.dumps(skeleton, ensure_ascii=False)) + spec.max_items * _words_budget(spec.max_predicate_words)
    raise TypeError(f"no token bound for {type(spec).__name__}")
