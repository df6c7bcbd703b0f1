"""Answer specs: what an answer must look like, as a bounded JSON schema.

Every request names an :class:`AnswerSpec`. The same spec serves every way of asking:

* ``json_schema()``: the schema sent as ``response_format`` (strict structured output) to every
  server and to the embedded llama.cpp model, which enforces it while decoding. Every list has
  ``minItems``/``maxItems`` and every free string a bound: a word ``pattern`` for short phrases
  (objects, keywords, predicates: letters only, at most N words) or ``maxLength`` for sentences,
  so that no model writes a 400-token answer into a 4-word field;
* ``json_instructions()``: the same schema written into the prompt, for servers without
  structured output (JSON mode, plain text);
* ``parse(text)``: lenient reading (JSON, or numbered/bulleted lines from a plain-text answer)
  followed by strict validation into a pydantic model; :class:`~kgen.llm.errors.AnswerInvalid`
  says what is wrong, in words the model reads when it is asked again.

Three specs cover every kind of knowledge: :class:`ListSpec` (objects, sub-actions, keywords,
sentences), :class:`KeyedSpec` (one text per given key: a sentence per attribute, a predicate per
entity pair, a completion per triple) and :class:`TripleSpec` (relation triples over a fixed
entity list).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from kgen.hashing import sha256_json
from kgen.llm.errors import AnswerInvalid
from kgen.llm.lenient import (
    _LIST_MARKER,
    answer_lines,
    clean_item,
    extract_json,
    is_preamble,
    key_form,
    straighten_quotes,
)
from kgen.text.concepts import concept_key


class ItemList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[str]


class KeyedTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, str]


class Triple(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str
    predicate: str
    object: str


class TripleList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    triples: list[Triple]


class _Invalid(AnswerInvalid):
    """An AnswerInvalid that remembers how far reading got ("read": no value found; "check": a
    value was found but does not meet the spec)."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage


class AnswerSpec(ABC):
    """The shape of one answer. Subclasses set ``NAME``/``VERSION`` (bumped when parsing changes)."""

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @abstractmethod
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the answer object (OpenAI strict structured-output compatible)."""

    @abstractmethod
    def check(self, data: Any) -> BaseModel:
        """Validate a JSON-like value; raise AnswerInvalid with a message for the model."""

    @abstractmethod
    def read_lines(self, text: str, truncated: bool) -> Any:
        """The JSON-like value a line-format answer holds."""

    def render_json(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def json_instructions(self) -> str:
        schema = json.dumps(self.json_schema(), ensure_ascii=False)
        return f"Answer with a single JSON object and nothing else. It must match this JSON schema:\n{schema}"

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this spec in a cache key: name, version and the schema's hash."""
        return {"name": self.NAME, "version": self.VERSION, "schema_sha256": sha256_json(self.json_schema())}

    def parse(self, text: str, truncated: bool = False) -> BaseModel:
        """Read ``text`` as JSON, else as lines, and validate it."""
        readers = [self._from_json, self._from_lines]
        errors: list[_Invalid] = []
        for reader in readers:
            try:
                return reader(text, truncated)
            except _Invalid as exc:
                errors.append(exc)
        checked = [e for e in errors if e.stage == "check"]
        raise AnswerInvalid(str((checked or errors)[0]))

    def _from_json(self, text: str, truncated: bool) -> BaseModel:
        try:
            data = extract_json(text)
        except AnswerInvalid as exc:
            raise _Invalid(str(exc), "read") from exc
        return self._checked(data)

    def _from_lines(self, text: str, truncated: bool) -> BaseModel:
        if text.lstrip().startswith(("{", "[", "```")):
            # An attempt at JSON: reading it as lines would turn broken JSON into junk items.
            raise _Invalid("the answer is not valid JSON", "read")
        try:
            data = self.read_lines(text, truncated)
        except AnswerInvalid as exc:
            raise _Invalid(str(exc), "read") from exc
        return self._checked(data)

    def _checked(self, data: Any) -> BaseModel:
        try:
            return self.check(data)
        except _Invalid:
            raise
        except AnswerInvalid as exc:
            raise _Invalid(str(exc), "check") from exc


def _strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _text(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_chars}


def _phrase(max_words: int) -> dict[str, Any]:
    """A short phrase: 1 to ``max_words`` words of letters (with inner hyphens or apostrophes), each
    at most 24 characters (a small model otherwise runs words together up to ``max_tokens``)."""
    word = "[A-Za-z][A-Za-z'-]{0,23}"
    return {"type": "string", "pattern": f"^{word}( {word}){{0,{max_words - 1}}}$"}


def _count_phrase(low: int, high: int, noun: str) -> str:
    return f"exactly {low} {noun}" if low == high else f"{low} to {high} {noun}"


def _list_from(data: Any, field: str) -> list[Any]:
    """The list an answer holds: ``{field: [...]}``, a bare list, a one-key object, or a string."""
    if isinstance(data, dict):
        if field in data:
            data = data[field]
        else:
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) == 1:
                data = lists[0]
    if isinstance(data, str):
        data = _split_inline_list(data)
    if not isinstance(data, list):
        raise AnswerInvalid(f'the answer must be a JSON object with a "{field}" array')
    return data


def _split_inline_list(text: str) -> list[str]:
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) == 1:
        return [part for part in lines[0].split(",") if part.strip()]
    return lines


def _marked_lines(text: str, truncated: bool) -> list[str]:
    """List lines of a plain-text answer: preambles dropped; if enough lines carry a bullet or a
    number, the unmarked ones (closing remarks) are dropped too."""
    lines = [line for line in answer_lines(text, truncated) if not is_preamble(line)]
    marked = [line for line in lines if _LIST_MARKER.match(line)]
    if marked and len(marked) >= max(2, len(lines) // 2):
        return marked
    return lines


class ListSpec(AnswerSpec):
    """A list of ``min_items`` to ``max_items`` distinct short texts."""

    NAME = "kgen.list"
    VERSION = 1

    def __init__(
        self, min_items: int, max_items: int, label: str = "item", max_words: int | None = None, max_chars: int | None = None
    ) -> None:
        if not 1 <= min_items <= max_items:
            raise ValueError("need 1 <= min_items <= max_items")
        self.min_items, self.max_items = min_items, max_items
        self.label, self.max_words = label, max_words
        self.max_chars = max_chars or 200

    def json_schema(self) -> dict[str, Any]:
        item = _phrase(self.max_words) if self.max_words else _text(self.max_chars)
        array = {"type": "array", "items": item, "minItems": self.min_items, "maxItems": self.max_items}
        return _strict_object({"items": array})

    def check(self, data: Any) -> ItemList:
        items: list[str] = []
        seen: set[str] = set()
        dropped: list[str] = []
        for raw in _list_from(data, "items"):
            if isinstance(raw, dict) and len(raw) == 1:
                raw = next(iter(raw.values()))
            item = clean_item(str(raw))
            if not item:
                continue
            if self.max_words is not None and len(item.split()) > self.max_words:
                dropped.append(f'"{item[:60]}" is longer than {self.max_words} words')
                continue
            key = key_form(item)
            if not key or key in seen:
                if key:
                    dropped.append(f'"{item}" is a duplicate')
                continue
            seen.add(key)
            items.append(item)
        if len(items) < self.min_items:
            why = f" ({'; '.join(dropped[:4])})" if dropped else ""
            raise AnswerInvalid(
                f"the answer has {len(items)} usable {self.label}s{why}; "
                f"give {_count_phrase(self.min_items, self.max_items, self.label + 's')}, all different"
            )
        return ItemList(items=items[: self.max_items])

    def read_lines(self, text: str, truncated: bool) -> list[str]:
        lines = _marked_lines(text, truncated)
        if len(lines) == 1:
            return _split_inline_list(lines[0])
        return lines





class KeyedSpec(AnswerSpec):
    """One non-empty text for each of the given keys, in order."""

    NAME = "kgen.keyed"
    VERSION = 2

    def __init__(
        self, keys: list[str], key_label: str = "key", value_label: str = "text", max_chars: int = 200, max_words: int | None = None
    ) -> None:
        if not keys:
            raise ValueError("a keyed answer needs at least one key")
        forms = [key_form(k) for k in keys]
        if len(set(forms)) != len(forms) or not all(forms):
            raise ValueError(f"keys must be distinct and non-empty: {keys}")
        self.keys = list(keys)
        self.key_label, self.value_label, self.max_chars, self.max_words = key_label, value_label, max_chars, max_words
        self._lookup = dict(zip(forms, self.keys, strict=True))

    def json_schema(self) -> dict[str, Any]:
        value = _phrase(self.max_words) if self.max_words else _text(self.max_chars)
        return _strict_object({key: value for key in self.keys})

    def _match(self, candidate: str) -> str | None:
        form = key_form(candidate)
        if form in self._lookup:
            return self._lookup[form]
        # 'Environment (where the action takes place)' and the like: the key plus a gloss.
        best = [k for f, k in self._lookup.items() if form.startswith(f + " ")]
        return max(best, key=len) if best else None

    def check(self, data: Any) -> KeyedTexts:
        if isinstance(data, dict) and "values" in data and isinstance(data["values"], dict):
            if not any(self._match(k) for k in data if k != "values"):
                data = data["values"]
        if isinstance(data, list):
            pairs = {}
            for entry in data:
                if isinstance(entry, dict) and len(entry) >= 2:
                    key, value = list(entry.values())[:2]
                    pairs[str(key)] = value
            data = pairs
        if not isinstance(data, dict):
            raise AnswerInvalid(f"the answer must be a JSON object with one {self.value_label} per {self.key_label}")
        values: dict[str, str] = {}
        for raw_key, raw_value in data.items():
            key = self._match(str(raw_key))
            if key is None or key in values or not isinstance(raw_value, str | int | float):
                continue
            value = " ".join(straighten_quotes(str(raw_value)).replace("**", "").split()).strip().strip('"')
            if re.search(r"[^\W_]", value):  # at least one letter or digit
                values[key] = value
        missing = [k for k in self.keys if k not in values]
        if missing:
            shown = ", ".join(f'"{k}"' for k in missing[:6]) + (" ..." if len(missing) > 6 else "")
            raise AnswerInvalid(
                f"the answer has no {self.value_label} for {len(missing)} of the {len(self.keys)} "
                f"{self.key_label}s: {shown}; give one for every {self.key_label}"
            )
        return KeyedTexts(values={k: values[k] for k in self.keys})

    def read_lines(self, text: str, truncated: bool) -> dict[str, str]:
        found: dict[str, str] = {}
        for raw_line in answer_lines(text, truncated):
            # The key may itself look like a list marker ("1: ..."): try the line as it is first.
            for line in (raw_line.strip().replace("**", ""), _LIST_MARKER.sub("", raw_line.strip(), count=1).replace("**", "")):
                if self._read_pair(line, found):
                    break
        return found

    def _read_pair(self, line: str, found: dict[str, str]) -> bool:
        for pos, ch in enumerate(line):
            if ch not in ":=" and line[pos : pos + 2] != "->":
                continue
            key = self._match(line[:pos])
            if key is not None:
                value = line[pos + (2 if line[pos : pos + 2] == "->" else 1) :].strip()
                if value and key not in found:
                    found[key] = value
                return True
        return False





class TripleSpec(AnswerSpec):
    """``min_items`` to ``max_items`` triples <subject, predicate, object> over a fixed entity list."""

    NAME = "kgen.triples"
    VERSION = 1

    def __init__(
        self, entities: list[str], min_items: int, max_items: int, max_predicate_words: int = 6) -> None:
        if len(entities) < 2:
            raise ValueError("relation triples need at least two entities")
        if not 1 <= min_items <= max_items:
            raise ValueError("need 1 <= min_items <= max_items")
        self.entities = list(entities)
        self.min_items, self.max_items = min_items, max_items
        self.max_predicate_words = max_predicate_words
        self._lookup: dict[str, str] = {}
        for entity in self.entities:
            self._lookup.setdefault(concept_key(entity), entity)

    def json_schema(self) -> dict[str, Any]:
        entity = {"type": "string", "enum": self.entities}
        triple = _strict_object({"subject": entity, "predicate": _phrase(self.max_predicate_words), "object": entity})
        array = {"type": "array", "items": triple, "minItems": self.min_items, "maxItems": self.max_items}
        return _strict_object({"triples": array})

    @staticmethod
    def _parts(raw: Any) -> tuple[str, str, str] | None:
        if isinstance(raw, dict):
            lowered = {str(k).lower(): v for k, v in raw.items()}
            s, p, o = (lowered.get(k) for k in ("subject", "predicate", "object"))
            if s is None or p is None or o is None:
                return None
            return str(s), str(p), str(o)
        if isinstance(raw, list | tuple) and len(raw) == 3:
            return str(raw[0]), str(raw[1]), str(raw[2])
        if isinstance(raw, str):
            text = _LIST_MARKER.sub("", raw.strip(), count=1).strip().strip("<>()[]{}").strip()
            parts = [p.strip() for p in (text.split("|") if "|" in text else text.split(","))]
            parts = [p for p in parts if p]
            if len(parts) < 3:
                return None
            return parts[0], ", ".join(parts[1:-1]), parts[-1]
        return None

    def check(self, data: Any) -> TripleList:
        triples: list[Triple] = []
        pairs: set[tuple[str, str]] = set()
        dropped: list[str] = []
        for raw in _list_from(data, "triples"):
            parts = self._parts(raw)
            if parts is None:
                dropped.append(f"{str(raw)[:50]!r} is not <subject, predicate, object>")
                continue
            subject, predicate, obj = (self._lookup.get(concept_key(parts[0])), clean_item(parts[1]), self._lookup.get(concept_key(parts[2])))
            if subject is None or obj is None:
                unknown = parts[0] if subject is None else parts[2]
                dropped.append(f'"{unknown}" is not in the entity list')
                continue
            if subject == obj:
                dropped.append(f'"{subject}" is related to itself')
                continue
            if not predicate or len(predicate.split()) > self.max_predicate_words:
                dropped.append(f'the predicate "{predicate[:40]}" is empty or longer than {self.max_predicate_words} words')
                continue
            if (subject, obj) in pairs:
                continue
            pairs.add((subject, obj))
            triples.append(Triple(subject=subject, predicate=predicate, object=obj))
        if len(triples) < self.min_items:
            why = f" ({'; '.join(dropped[:4])})" if dropped else ""
            raise AnswerInvalid(
                f"the answer has {len(triples)} usable relation triples{why}; give "
                f"{_count_phrase(self.min_items, self.max_items, 'triples')} <subject, predicate, object> "
                f"whose subject and object are different entities from the list: {', '.join(self.entities)}"
            )
        return TripleList(triples=triples[: self.max_items])

    def read_lines(self, text: str, truncated: bool) -> list[str]:
        return _marked_lines(text, truncated)



