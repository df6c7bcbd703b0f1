"""Constrained decoding: a logits processor that keeps every row of a batch inside its grammar.

Each row of a batched ``generate`` call has its own :class:`~kgen.llm.grammar.LineGrammar` and a
:class:`RowState` that follows the tokens the row emits. Before each step the processor masks the
scores of every token the grammar does not allow next:

* inside a :class:`~kgen.llm.grammar.Literal`: only its next token (the text is forced);
* inside a :class:`~kgen.llm.grammar.OneOf`: the tokens that continue one of the options (a
  token trie of the options' own tokenisations);
* inside a :class:`~kgen.llm.grammar.Free` segment: any token but special tokens, line breaks,
  and tokens that hold the segment's end string anywhere but at their end; at the start of the
  segment, also tokens that would end or blank it. After ``max_tokens`` tokens the end is forced;
* at the start of a line, once ``min_lines`` lines are written: the end-of-answer token as well;
  after the last line template: only the end-of-answer token.

A row that reaches its own token budget is ended there (``finish_reason = "length"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import torch

from kgen.llm.grammar import Free, LineGrammar, Literal, OneOf

_TERMINAL = -1


class TokenTable:
    """What the constrained decoder needs to know about a vocabulary: each token's text, how to
    encode a string, the end-of-answer token and the special tokens."""

    def __init__(self, texts: Sequence[str], encode: Callable[[str], list[int]], eos_id: int, special_ids: set[int]) -> None:
        self.texts = list(texts)
        self._encode = encode
        self.eos_id = eos_id
        self.special_ids = set(special_ids) | {eos_id}
        self._encoded: dict[str, list[int]] = {}
        self._tries: dict[tuple[str, ...], dict] = {}
        self._free_masks: dict[tuple[str, bool, int], torch.Tensor] = {}

    @classmethod
    def from_tokenizer(cls, tokenizer, vocab_size: int) -> TokenTable:
        """A table for a Hugging Face tokenizer and a model with ``vocab_size`` logits."""
        size = min(vocab_size, len(tokenizer))
        texts = tokenizer.batch_decode([[i] for i in range(size)], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        texts += [""] * (vocab_size - size)
        special = set(getattr(tokenizer, "all_special_ids", []) or []) | set(range(size, vocab_size))
        for token in getattr(tokenizer, "added_tokens_decoder", {}) or {}:
            special.add(int(token))

        def encode(text: str) -> list[int]:
            return list(tokenizer.encode(text, add_special_tokens=False))

        return cls(texts, encode, int(tokenizer.eos_token_id), special)

    @property
    def size(self) -> int:
        return len(self.texts)

    def encode(self, text: str) -> list[int]:
        if text not in self._encoded:
            ids = self._encode(text)
            if not ids:
                raise ValueError(f"the tokenizer encodes {text!r} as no tokens")
            self._encoded[text] = ids
        return self._encoded[text]

    def trie(self, options: tuple[str, ...]) -> dict:
        """A token trie of ``options``: nested dicts keyed by token id; ``_TERMINAL`` marks an end."""
        if options not in self._tries:
            root: dict = {}
            for option in options:
                node = root
                for token in self.encode(option):
                    node = node.setdefault(token, {})
                node[_TERMINAL] = True
            self._tries[options] = root
        return self._tries[options]

    @cached_property
    def _special_mask(self) -> torch.Tensor:
        mask = torch.zeros(self.size, dtype=torch.bool)
        mask[sorted(i for i in self.special_ids if i < self.size)] = True
        return mask

    def free_banned(self, end: str, at_start: bool) -> torch.Tensor:
        """The tokens a free-text segment ended by ``end`` may not emit (True = banned)."""
        key = (end, at_start, self.size)
        if key not in self._free_masks:
            banned = self._special_mask.clone()
            for i, text in enumerate(self.texts):
                if banned[i]:
                    continue
                where = text.find(end)
                newline_inside = "\n" in text and not (end == "\n" and text.count("\n") == 1 and text.endswith("\n"))
                end_inside = where != -1 and where != len(text) - len(end)
                if newline_inside or end_inside or not text:
                    banned[i] = True
                elif at_start and (where != -1 or not text.strip()):
                    banned[i] = True
            self._free_masks[key] = banned
        return self._free_masks[key]


@dataclass
class RowState:
    """Where one row stands in its grammar; fed every token the row emits."""

    grammar: LineGrammar
    table: TokenTable
    max_new_tokens: int
    line: int = 0
    seg: int = 0
    generated: int = 0
    done: bool = False
    complete: bool = False
    hit_budget: bool = False
    _forced: list[int] = field(default_factory=list)
    _forced_pos: int = 0
    _node: dict | None = None
    _free_count: int = 0
    _fresh_line: bool = True

    def __post_init__(self) -> None:
        self._enter()

    # -- segment bookkeeping -------------------------------------------------------------------
    def _segment(self) -> Literal | OneOf | Free | None:
        if self.line >= len(self.grammar.lines):
            return None
        return self.grammar.lines[self.line][self.seg]

    def _enter(self) -> None:
        segment = self._segment()
        self._forced, self._forced_pos, self._node, self._free_count = [], 0, None, 0
        if isinstance(segment, Literal):
            self._forced = self.table.encode(segment.text)
        elif isinstance(segment, OneOf):
            self._node = self.table.trie(segment.options)

    def _next_segment(self) -> None:
        self.seg += 1
        if self.seg >= len(self.grammar.lines[self.line]):
            self.line += 1
            self.seg = 0
            self._fresh_line = True
        self._enter()

    @property
    def at_line_start(self) -> bool:
        return self._fresh_line

    @property
    def lines_done(self) -> int:
        return self.line

    # -- the two operations --------------------------------------------------------------------
    def allowed(self) -> tuple[str, object]:
        """``("only", [ids])`` or ``("free", banned_mask)`` for the next token."""
        eos = self.table.eos_id
        if self.done or self.generated >= self.max_new_tokens - 1:
            return "only", [eos]
        segment = self._segment()
        if segment is None:
            return "only", [eos]
        may_end = self.at_line_start and self.line >= self.grammar.min_lines
        if self._forced:
            ids = [self._forced[self._forced_pos]]
        elif isinstance(segment, OneOf):
            assert self._node is not None
            ids = [t for t in self._node if t != _TERMINAL]
        else:
            assert isinstance(segment, Free)
            banned = self.table.free_banned(segment.end, at_start=self._free_count == 0)
            if may_end:
                banned = banned.clone()
                banned[eos] = False
            return "free", banned
        return "only", ids + ([eos] if may_end else [])

    def advance(self, token: int) -> None:
        if self.done:
            return
        self.generated += 1
        if token == self.table.eos_id:
            self.done = True
            self.complete = self.line >= len(self.grammar.lines) or (self.at_line_start and self.line >= self.grammar.min_lines)
            self.hit_budget = not self.complete and self.generated >= self.max_new_tokens
            return
        if self.generated >= self.max_new_tokens:
            self.done, self.hit_budget = True, True
            return
        self._fresh_line = False
        segment = self._segment()
        if self._forced:
            self._forced_pos += 1
            if self._forced_pos >= len(self._forced):
                self._next_segment()
        elif isinstance(segment, OneOf):
            assert self._node is not None
            self._node = self._node.get(token, {})
            if _TERMINAL in self._node or not self._node:
                self._next_segment()
        elif isinstance(segment, Free):
            self._free_count += 1
            if self.table.texts[token].endswith(segment.end):
                self._next_segment()
            elif self._free_count >= segment.max_tokens:
                self._forced, self._forced_pos = self.table.encode(segment.end), 0

    def finish(self) -> None:
        """Called when generation stopped for the whole batch (all rows done or the batch budget)."""
        if not self.done:
            self.done, self.hit_budget = True, True


class GrammarLogitsProcessor:
    """A ``transformers`` logits processor applying one :class:`RowState` per batch row."""

    def __init__(self, rows: list[RowState]) -> None:
        self.rows = rows
        self._started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._started:
            for row, token in zip(self.rows, input_ids[:, -1].tolist(), strict=True):
                row.advance(int(token))
        self._started = True
        width = scores.shape[1]
        for i, row in enumerate(self.rows):
            kind, value = row.allowed()
            if kind == "only":
                ids = torch.tensor([t for t in value if t < width], dtype=torch.long)  # type: ignore[union-attr]
                kept = scores[i, ids].clone()
                if bool(torch.isinf(kept).all()):
                    kept = torch.zeros_like(kept)  # every allowed token was masked upstream: choose among them evenly
                scores[i].fill_(float("-inf"))
                scores[i, ids] = kept
            else:
                banned = value  # type: ignore[assignment]
                if banned.shape[0] < width:  # type: ignore[union-attr]
                    pad = torch.ones(width - banned.shape[0], dtype=torch.bool)  # type: ignore[union-attr]
                    banned = torch.cat([banned, pad])  # type: ignore[list-item]
                scores[i].masked_fill_(banned[:width], float("-inf"))  # type: ignore[index]
        return scores
