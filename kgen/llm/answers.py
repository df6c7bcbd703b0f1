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

import copy
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
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
from kgen.text.grounding import Grounding, content_words
from kgen.text.lexicon import DANGLING_WORDS, FUNCTION_WORDS, english_lexicon, words_of


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

    def __init__(self, message: str, stage: str, cause: AnswerInvalid | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.cause = cause


class AnswerIncomplete(AnswerInvalid):
    """An answer with a usable part and too little of it: the client keeps ``kept`` and asks only
    for the rest (``ask``, answered under the smaller spec ``rest``), instead of the whole question
    again (a small model asked again tends to write its rejected answer again, word for word)."""

    def __init__(self, message: str, kept: Any, rest: AnswerSpec, ask: str) -> None:
        super().__init__(message)
        self.kept = kept  # the usable part, as the JSON-like value ``merge`` takes
        self.rest = rest
        self.ask = ask


class AnswerSpec(ABC):
    """The shape of one answer. Subclasses set ``NAME``/``VERSION`` (bumped when parsing changes)."""

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    # Words a short phrase of the answer may hold besides English ones (see :func:`phrase_problem`):
    # the client sets them to the words of the question (a class name such as "flic flac").
    allowed_words: frozenset[str] = frozenset()
    # Whether short phrases must be English words (:mod:`kgen.text.lexicon`). The client turns it off
    # for a server's model: the check is there for small local models' letter soup, and WordNet 3.0
    # (2006) lacks words a strong model rightly writes ("smartphone", "selfie").
    check_english: bool = True

    def with_allowed_words(self, words: Iterable[str]) -> AnswerSpec:
        """A copy of this spec that also accepts ``words`` in its short phrases."""
        bound = copy.copy(self)
        bound.allowed_words = self.allowed_words | frozenset(words)
        return bound

    def with_english_check(self, enabled: bool) -> AnswerSpec:
        """A copy of this spec that does (or does not) reject phrases holding non-English words."""
        bound = copy.copy(self)
        bound.check_english = enabled
        return bound

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
        first = (checked or errors)[0]
        if isinstance(first.cause, AnswerIncomplete):
            raise first.cause
        raise AnswerInvalid(str(first))

    def merge(self, kept: Any, text: str, truncated: bool = False) -> BaseModel:
        """The answer made of ``kept`` (an :class:`AnswerIncomplete`'s usable part) and what ``text``
        (the answer to its ``rest`` question) adds; raises :class:`AnswerIncomplete` again, with
        everything usable so far, while something is still missing."""
        raise AnswerInvalid("this kind of answer cannot be completed part by part")

    @staticmethod
    def _usable_rest(rest: AnswerSpec, text: str, truncated: bool) -> Any:
        """The usable part of an answer to a ``rest`` question (``None`` when nothing is usable)."""
        try:
            return rest.parse(text, truncated).model_dump()
        except AnswerIncomplete as exc:
            return exc.kept
        except AnswerInvalid:
            return None

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
            raise _Invalid(str(exc), "check", exc) from exc


def _strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _text(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_chars}


def _phrase(max_words: int) -> dict[str, Any]:
    """A short phrase: 1 to ``max_words`` words of letters (with inner hyphens or apostrophes), each
    at most 24 characters (a small model otherwise runs words together up to ``max_tokens``)."""
    word = "[A-Za-z][A-Za-z'-]{0,23}"
    return {"type": "string", "pattern": f"^{word}( {word}){{0,{max_words - 1}}}$"}


def _choice(choices: Sequence[str]) -> dict[str, Any]:
    """A phrase chosen from a closed list (an ``enum``: a schema-enforcing server cannot leave it)."""
    return {"type": "string", "enum": list(choices)}


def _chosen(value: str, choices: Sequence[str]) -> str | None:
    """``value`` as the entry of ``choices`` it names (case and spacing ignored), or None."""
    form = " ".join(value.casefold().split())
    return next((c for c in choices if " ".join(c.casefold().split()) == form), None)


def _not_a_choice(value: str, label: str, choices: Sequence[str]) -> str:
    return f'the {label} "{value}" is not one of the allowed {label}s ({", ".join(choices)})'


def phrase_problem(
    phrase: str, allowed: frozenset[str] = frozenset(), check_english: bool = True, names: bool = True
) -> str | None:
    """Why a short phrase (an object, a sub-action, a keyword, a predicate) is not usable, or None.

    A small model writes words that are not words ("jonsc", "bowdance",
    "topfivevaluableobjectsfromactionlist") and stutters ("brush brush", "fencing-fencing"): a word
    neither English (:mod:`kgen.text.lexicon`; not checked without WordNet) nor in ``allowed``, or a
    word written twice in a row, makes the phrase unusable; so do words run together with hyphens
    and, where ``names`` is False (a relation's predicate), a word WordNet knows only as a name
    ("kick -johnson-> ball").
    """
    words = [w for w in re.split(r"[\s-]+", phrase.casefold()) if w]
    for word in phrase.casefold().split():
        if len(word) == 1 and word.isalpha() and word not in FUNCTION_WORDS:
            return f'"{phrase}" holds the single letter "{word}", not a word'  # "clap -c-> mouth"
    for first, second in zip(words, words[1:], strict=False):
        if first == second and first not in FUNCTION_WORDS:
            return f'"{phrase}" repeats "{first}"'
    lexicon = english_lexicon() if check_english else None
    if lexicon is not None:
        unknown = lexicon.unknown_words(phrase, allowed)
        if unknown:
            return f'"{phrase}" holds "{unknown[0]}", which is not an English word'
        for word in words_of(phrase):
            # words run together with hyphens ("deliver-a-quick-blow-to-", "as-in-deliver"), unless
            # the compound is an entry of its own ("mother-in-law", "up-to-date")
            joined = "-" in word and any(part in FUNCTION_WORDS for part in word.split("-"))
            if joined and word not in allowed and not lexicon.is_entry(word):
                return f'"{phrase}" runs words together with hyphens ("{word}"): write them apart'
            if not names and word not in allowed and lexicon.is_name(word):
                return f'"{phrase}" holds "{word}", a name, not a word for a relation'
    return None


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
    """A list of ``min_items`` to ``max_items`` distinct short texts.

    Two items are the same when their concept keys are (case, articles, punctuation and, for
    phrases, a plural ignored: "Hands" = "the hand"). Items that name one of ``exclude`` (e.g. the
    action itself in a list of its objects) do not count. A phrase item (``max_words``) must be
    made of words (:func:`phrase_problem`). With ``grounding``, each item must be drawn from its
    text (:mod:`kgen.text.grounding`: keywords extracted from a description); with ``choices``, each
    item is one of them (an ``enum`` in the schema). Too few usable items, but some, raise
    :class:`AnswerIncomplete`: the client keeps them and asks only for the missing ones.
    """

    NAME = "kgen.list"
    VERSION = 2

    def __init__(
        self, min_items: int, max_items: int, label: str = "item", max_words: int | None = None, max_chars: int | None = None,
        exclude: Sequence[str] = (), min_chars: int = 1, grounding: Grounding | None = None, choices: Sequence[str] = (),
    ) -> None:
        if not 1 <= min_items <= max_items:
            raise ValueError("need 1 <= min_items <= max_items")
        self.min_items, self.max_items = min_items, max_items
        self.label, self.max_words = label, max_words
        self.max_chars = max_chars or 200
        self.min_chars = min_chars
        self.exclude = tuple(exclude)
        self.grounding = grounding
        self.choices = tuple(choices)

    def json_schema(self) -> dict[str, Any]:
        if self.choices:
            item = _choice(self.choices)
        elif self.max_words:
            item = _phrase(self.max_words)
        else:
            item = {**_text(self.max_chars), "minLength": self.min_chars}
        array = {"type": "array", "items": item, "minItems": self.min_items, "maxItems": self.max_items}
        return _strict_object({"items": array})

    @staticmethod
    def _key(item: str) -> str:
        return concept_key(item) or key_form(item)

    def check(self, data: Any) -> ItemList:
        items: list[str] = []
        seen = {self._key(e) for e in self.exclude}
        excluded = set(seen)
        dropped: list[str] = []
        for raw in _list_from(data, "items"):
            if isinstance(raw, dict) and len(raw) == 1:
                raw = next(iter(raw.values()))
            item = clean_item(str(raw))
            if not item:
                continue
            if self.choices:
                chosen = _chosen(item, self.choices)
                if chosen is None:
                    dropped.append(_not_a_choice(item, self.label, self.choices))
                    continue
                item = chosen
            if self.max_words is not None and len(item.split()) > self.max_words:
                dropped.append(f'"{item[:60]}" is longer than {self.max_words} words')
                continue
            if len(item) < self.min_chars:
                dropped.append(f'"{item}" is shorter than {self.min_chars} characters')
                continue
            key = self._key(item)
            if not key or key in seen:
                if key in excluded:
                    dropped.append(f'"{item}" is not asked for')
                elif key:
                    dropped.append(f'"{item}" is a duplicate')
                continue
            problem = phrase_problem(item, self.allowed_words, self.check_english) if self.max_words else None
            if self.max_words and not problem and words_of(item)[-1:] and words_of(item)[-1] in DANGLING_WORDS:
                problem = f'"{item}" is unfinished'
            if not problem and self.grounding is not None:
                stray = self.grounding.ungrounded(item)
                if stray:
                    problem = f'"{item}" is not taken from the text: "{stray[0]}" is not one of its words'
                elif not content_words(item):
                    problem = f'"{item}" holds no word of content'
            if problem:
                dropped.append(problem)
                continue
            seen.add(key)
            items.append(item)
        if len(items) < self.min_items:
            why = f" ({'; '.join(dropped[:4])})" if dropped else ""
            message = (
                f"the answer has {len(items)} usable {self.label}s{why}; "
                f"give {_count_phrase(self.min_items, self.max_items, self.label + 's')}, all different"
            )
            if items:
                raise AnswerIncomplete(message, {"items": items}, self._rest(items), self._ask_rest(items))
            raise AnswerInvalid(message)
        return ItemList(items=items[: self.max_items])

    def _rest(self, items: list[str]) -> ListSpec:
        kept = {self._key(i) for i in items}
        rest = ListSpec(
            self.min_items - len(items), self.max_items - len(items), self.label, self.max_words, self.max_chars,
            exclude=(*self.exclude, *items), min_chars=self.min_chars, grounding=self.grounding,
            # the choices left: the schema itself keeps a top-up from repeating a kept item
            choices=[c for c in self.choices if self._key(c) not in kept],
        )
        rest.allowed_words = self.allowed_words
        rest.check_english = self.check_english
        return rest

    def _ask_rest(self, items: list[str]) -> str:
        missing = self.min_items - len(items)
        more = f"{missing} more {self.label}{'s' if missing != 1 else ''}"
        taken = " taken from the text" if self.grounding is not None or self.choices else ""
        return f"Give {more}{taken}, different from these: {', '.join(items)}."

    def merge(self, kept: Any, text: str, truncated: bool = False) -> ItemList:
        rest = self._rest(_list_from(kept, "items"))
        added = self._usable_rest(rest, text, truncated)
        return self.check({"items": [*_list_from(kept, "items"), *(_list_from(added, "items") if added else [])]})

    def read_lines(self, text: str, truncated: bool) -> list[str]:
        lines = _marked_lines(text, truncated)
        if len(lines) == 1:
            return _split_inline_list(lines[0])
        return lines


class KeyedSpec(AnswerSpec):
    """One non-empty text for each of the given keys, in order.

    A phrase value (``max_words``) must be made of words (:func:`phrase_problem`). A sentence value
    that only repeats words of ``question`` (the question's own text: a small model answers "The
    ground, water, apparatus or surface the action happens on" for the gloss it was given) does not
    count. Values missing for some keys, while others are usable, raise :class:`AnswerIncomplete`:
    the client keeps the usable ones and asks only for the missing keys.
    """

    NAME = "kgen.keyed"
    VERSION = 3

    def __init__(
        self, keys: list[str], key_label: str = "key", value_label: str = "text", max_chars: int = 200, max_words: int | None = None,
        question: str = "", values_not_keys: bool = False, choices: Sequence[str] = (),
        not_values: dict[str, Sequence[str]] | None = None, names: bool = True,
    ) -> None:
        if not keys:
            raise ValueError("a keyed answer needs at least one key")
        forms = [key_form(k) for k in keys]
        if len(set(forms)) != len(forms) or not all(forms):
            raise ValueError(f"keys must be distinct and non-empty: {keys}")
        self.keys = list(keys)
        self.key_label, self.value_label, self.max_chars, self.max_words = key_label, value_label, max_chars, max_words
        self.question = question
        self.values_not_keys = values_not_keys
        self.names = names  # False: a value holding a word WordNet knows only as a name is no value (predicates)
        # A closed list of values (an enum in the schema): each value must be one of them.
        self.choices = tuple(choices)
        # Per key, names its value must not merely repeat (the two sub-actions a predicate joins).
        self.not_values = {k: tuple(v) for k, v in (not_values or {}).items()}
        self._key_concepts = {concept_key(k) for k in keys}
        self._question_words = {concept_key(w) for w in words_of(question)}
        self._lookup = dict(zip(forms, self.keys, strict=True))

    def json_schema(self) -> dict[str, Any]:
        value = _choice(self.choices) if self.choices else _phrase(self.max_words) if self.max_words else _text(self.max_chars)
        return _strict_object({key: value for key in self.keys})

    def _match(self, candidate: str) -> str | None:
        form = key_form(candidate)
        if form in self._lookup:
            return self._lookup[form]
        # 'Environment (where the action takes place)' and the like: the key plus a gloss.
        best = [k for f, k in self._lookup.items() if form.startswith(f + " ")]
        return max(best, key=len) if best else None

    def _problem(self, key: str, value: str) -> str | None:
        if self.choices and _chosen(value, self.choices) is None:
            return _not_a_choice(value, self.value_label, self.choices)
        if self.max_words or self.choices:
            if self.values_not_keys and concept_key(value) in self._key_concepts:
                return f'the {self.value_label} for "{key}" is "{value}", which names one of the {self.key_label}s'
            if concept_key(value, False) in {concept_key(n, False) for n in self.not_values.get(key, ())}:
                return f'the {self.value_label} for "{key}" is "{value}", which repeats what it relates, not a relation'
            # a value from the closed list is a word by construction
            return None if self.choices else phrase_problem(value, self.allowed_words, self.check_english, self.names)
        if self._question_words:
            content = [w for w in words_of(value) if len(w) > 2 and w not in FUNCTION_WORDS]
            if content and all(concept_key(w) in self._question_words for w in content):
                return f'the {self.value_label} for "{key}" only repeats words of the question'
        return None

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
        problems: list[str] = []
        for raw_key, raw_value in data.items():
            key = self._match(str(raw_key))
            if key is None or key in values or not isinstance(raw_value, str | int | float):
                continue
            value = " ".join(straighten_quotes(str(raw_value)).replace("**", "").split()).strip().strip('"')
            if not re.search(r"[^\W_]", value):  # no letter or digit
                continue
            problem = self._problem(key, value)
            if problem:
                problems.append(problem)
                continue
            values[key] = _chosen(value, self.choices) or value
        missing = [k for k in self.keys if k not in values]
        if missing:
            shown = ", ".join(f'"{k}"' for k in missing[:6]) + (" ..." if len(missing) > 6 else "")
            why = f" ({'; '.join(problems[:3])})" if problems else ""
            message = (
                f"the answer has no usable {self.value_label} for {len(missing)} of the {len(self.keys)} "
                f"{self.key_label}s: {shown}{why}; give one for every {self.key_label}"
            )
            if values:
                raise AnswerIncomplete(message, dict(values), self._rest(missing), self._ask_rest(missing))
            raise AnswerInvalid(message)
        return KeyedTexts(values={k: values[k] for k in self.keys})

    def _rest(self, missing: list[str]) -> KeyedSpec:
        rest = KeyedSpec(
            missing, self.key_label, self.value_label, self.max_chars, self.max_words, self.question, self.values_not_keys, self.choices,
            self.not_values, self.names,
        )
        rest._key_concepts = self._key_concepts
        rest.allowed_words = self.allowed_words
        rest.check_english = self.check_english
        return rest

    def _ask_rest(self, missing: list[str]) -> str:
        named = ", ".join(f'"{k}"' for k in missing)
        plural = "s" if len(missing) != 1 else ""
        return f"Now give the {self.value_label}{plural} for {named} only."

    def merge(self, kept: Any, text: str, truncated: bool = False) -> KeyedTexts:
        kept = dict(kept)
        added = self._usable_rest(self._rest([k for k in self.keys if k not in kept]), text, truncated) or {}
        if isinstance(added, dict) and isinstance(added.get("values"), dict):
            added = added["values"]
        return self.check({**{k: v for k, v in added.items() if isinstance(k, str)}, **kept})

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
    """``min_items`` to ``max_items`` triples <subject, predicate, object> over a fixed entity list,
    at most one per pair of entities (``exclude_pairs`` are taken already). A predicate must be
    made of words (:func:`phrase_problem`). Too few usable triples, but some, raise
    :class:`AnswerIncomplete`: the client keeps them and asks only for more."""

    NAME = "kgen.triples"
    VERSION = 2

    def __init__(
        self, entities: list[str], min_items: int, max_items: int, max_predicate_words: int = 6,
        exclude_pairs: Sequence[tuple[str, str]] = (), predicate_choices: Sequence[str] = (), not_predicates: Sequence[str] = (),
        subjects: Sequence[str] = (),
    ) -> None:
        if len(entities) < 2:
            raise ValueError("relation triples need at least two entities")
        if not 1 <= min_items <= max_items:
            raise ValueError("need 1 <= min_items <= max_items")
        self.entities = list(entities)
        self.min_items, self.max_items = min_items, max_items
        self.max_predicate_words = max_predicate_words
        self.exclude_pairs = tuple(exclude_pairs)
        # A closed list of predicates (an enum in the schema): each predicate must be one of them.
        self.predicate_choices = tuple(predicate_choices)
        # Names a predicate must not be besides the entities' own (the action's name).
        self.not_predicates = tuple(not_predicates)
        # The entities a subject may be, in the schema (all by default; see _rest).
        self.subjects = list(subjects) or self.entities
        self._lookup: dict[str, str] = {}
        for entity in self.entities:
            self._lookup.setdefault(concept_key(entity), entity)

    def json_schema(self) -> dict[str, Any]:
        entity = {"type": "string", "enum": self.entities}
        predicate = _choice(self.predicate_choices) if self.predicate_choices else _phrase(self.max_predicate_words)
        triple = _strict_object({"subject": {"type": "string", "enum": self.subjects}, "predicate": predicate, "object": entity})
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
        pairs: set[tuple[str, str]] = set(self.exclude_pairs)
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
            if (subject, obj) in pairs or (obj, subject) in pairs:
                continue
            if self.predicate_choices:
                chosen = _chosen(predicate, self.predicate_choices)
                problem = _not_a_choice(predicate, "predicate", self.predicate_choices) if chosen is None else None
                predicate = chosen or predicate
            else:
                problem = phrase_problem(predicate, self.allowed_words, self.check_english, names=False)
            if not problem and (concept_key(predicate) in self._lookup or concept_key(predicate) in map(concept_key, self.not_predicates)):
                problem = f'the predicate "{predicate}" names an entity, not a relation'
            if problem:
                dropped.append(problem)
                continue
            pairs.add((subject, obj))
            triples.append(Triple(subject=subject, predicate=predicate, object=obj))
        if len(triples) < self.min_items:
            why = f" ({'; '.join(dropped[:4])})" if dropped else ""
            message = (
                f"the answer has {len(triples)} usable relation triples{why}; give "
                f"{_count_phrase(self.min_items, self.max_items, 'triples')} <subject, predicate, object> "
                f"whose subject and object are different entities from the list: {', '.join(self.entities)}"
            )
            if triples:
                kept = {"triples": [t.model_dump() for t in triples]}
                raise AnswerIncomplete(message, kept, self._rest(triples), self._ask_rest(triples))
            raise AnswerInvalid(message)
        return TripleList(triples=triples[: self.max_items])

    def _rest(self, triples: list[Triple]) -> TripleSpec:
        taken = [*self.exclude_pairs, *((t.subject, t.object) for t in triples)]
        # The subject of a further triple is an entity no triple relates yet, where one is left: a
        # schema-enforcing server then cannot write a pair again (SmolLM2 wrote the same three pairs
        # in every top-up over "bat, ball, batter, baseball ball, ..."), and the graph reaches more entities.
        related = {entity for pair in taken for entity in pair}
        unrelated = [e for e in self.entities if e not in related]
        rest = TripleSpec(
            self.entities, self.min_items - len(triples), self.max_items - len(triples), self.max_predicate_words, taken,
            self.predicate_choices, self.not_predicates, subjects=unrelated,
        )
        rest.allowed_words = self.allowed_words
        rest.check_english = self.check_english
        return rest

    def _ask_rest(self, triples: list[Triple]) -> str:
        missing = self.min_items - len(triples)
        done = "; ".join(f"{t.subject} - {t.object}" for t in triples)
        return f"Give {missing} more triple{'s' if missing != 1 else ''}, each about another pair of entities than these: {done}."

    def merge(self, kept: Any, text: str, truncated: bool = False) -> TripleList:
        old = _list_from(kept, "triples")
        rest = self._rest([Triple(**t) for t in old])
        added = self._usable_rest(rest, text, truncated)
        return self.check({"triples": [*old, *(_list_from(added, "triples") if added else [])]})

    def read_lines(self, text: str, truncated: bool) -> list[str]:
        return _marked_lines(text, truncated)



