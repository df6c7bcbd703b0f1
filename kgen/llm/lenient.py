"""Lenient reading of what language models write: JSON with fences and trailing commas, lists
with any kind of bullet, keys with any capitalisation.

Everything here is forgiving about form and strict about content: what cannot be read raises
:class:`~kgen.llm.errors.AnswerInvalid` with a message the model can act on.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from kgen.llm.errors import AnswerInvalid

_FENCE = re.compile(r"```(?:json|yaml|JSON)?\s*\n?(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·+>]+|\(?\d{1,3}\s*[.)\]:-]|\(?[a-zA-Z][.)])\s+")
_MARKDOWN = re.compile(r"(\*\*|__|`|\*)")
_SPACES = re.compile(r"\s+")
_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00ab": '"', "\u00bb": '"'}
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry,|i can(?:'|no)t (?:help|assist|comply|provide)|i cannot (?:help|assist|comply|provide)|"
    r"i'?m (?:not able|unable) to|i am (?:not able|unable) to|as an ai\b|i won'?t be able)",
    re.IGNORECASE,
)


_QUOTE_TABLE = str.maketrans(_QUOTES)


def straighten_quotes(text: str) -> str:
    return text.translate(_QUOTE_TABLE)


def extract_json(text: str) -> Any:
    """The first JSON value in ``text`` (inside a code fence or not), repairing common slips."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    last_error = "no JSON object or array found"
    for candidate in candidates:
        block = _first_balanced(candidate)
        if block is None:
            continue
        for attempt in (block, _repair(block)):
            try:
                return json.loads(attempt)
            except json.JSONDecodeError as exc:
                last_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    raise AnswerInvalid(f"the answer is not valid JSON ({last_error})")


def _repair(block: str) -> str:
    block = straighten_quotes(block)
    block = _TRAILING_COMMA.sub(r"\1", block)
    # Raw line breaks inside strings are the other usual slip of small models.
    out, in_string, escaped = [], False, False
    for ch in block:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            elif ch == "\n":
                out.append("\\n")
                continue
        elif ch == '"':
            in_string = True
        out.append(ch)
    return "".join(out)


def _first_balanced(text: str) -> str | None:
    """The first {...} or [...] block with balanced brackets (strings respected); an unclosed
    block is returned as it is, for the JSON parser to say where it breaks."""
    start = next((i for i, ch in enumerate(text) if ch in "{["), None)
    if start is None:
        return None
    stack: list[str] = []
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack or stack[-1] != ch:
                return text[start : i + 1]
            stack.pop()
            if not stack:
                return text[start : i + 1]
    return text[start:]  # unclosed: json.loads will say where it breaks


def clean_item(text: str) -> str:
    """A list item without its bullet, markdown, surrounding quotes and trailing punctuation."""
    text = unicodedata.normalize("NFKC", straighten_quotes(text))
    text = _LIST_MARKER.sub("", text, count=1)
    text = _MARKDOWN.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.strip("\"'")
    text = text.rstrip(".;,:!").strip()
    return text


def answer_lines(text: str, truncated: bool = False) -> list[str]:
    """The non-empty lines of an answer; with ``truncated``, the last (cut-off) line is dropped."""
    lines = [line for line in text.replace("\r", "").split("\n")]
    if truncated and lines:
        lines = lines[:-1]
    return [line for line in lines if line.strip()]


def is_preamble(line: str) -> bool:
    """'Here are the objects:' and the like: a line that introduces a list rather than being in it."""
    stripped = line.strip()
    return stripped.endswith(":") and not _LIST_MARKER.match(stripped)


def key_form(text: str) -> str:
    """The form under which two keys count as the same: case, spacing and punctuation ignored."""
    text = unicodedata.normalize("NFKC", straighten_quotes(text)).casefold()
    text = _MARKDOWN.sub("", text)
    return " ".join(re.findall(r"[\w'<>]+", text))


def looks_like_refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text.strip()))
