"""Line grammars: the shape of a plain-text answer, for constrained decoding.

A small model cannot be trusted to write JSON, but it can fill in lines whose frame is written for
it. A :class:`LineGrammar` is a list of line templates (one per line, ``min_lines`` of them
required), each a sequence of segments:

* :class:`Literal`: text the decoder writes itself (``"3."``, ``"environment:"``);
* :class:`OneOf`: one of a fixed set of strings (an entity from a list);
* :class:`Free`: free text without a line break, ended by ``end`` (``"\\n"`` or ``","``) or cut
  after ``max_tokens`` tokens.

:mod:`kgen.llm.constrained` turns a grammar into a logits processor; the answer specs in
:mod:`kgen.llm.answers` build the grammars and parse what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class OneOf:
    options: tuple[str, ...]


@dataclass(frozen=True)
class Free:
    end: str = "\n"
    max_tokens: int = 48


Segment = Literal | OneOf | Free


@dataclass(frozen=True)
class LineGrammar:
    """Up to ``len(lines)`` lines, at least ``min_lines`` of them, then the end of the answer."""

    lines: tuple[tuple[Segment, ...], ...]
    min_lines: int

    def __post_init__(self) -> None:
        if not 0 <= self.min_lines <= len(self.lines):
            raise ValueError("min_lines must lie between 0 and the number of line templates")
        for line in self.lines:
            if not line:
                raise ValueError("a line template needs at least one segment")
            last = line[-1]
            ends_line = (
                (isinstance(last, Free) and last.end == "\n")
                or (isinstance(last, Literal) and last.text.endswith("\n"))
                or (isinstance(last, OneOf) and all(o.endswith("\n") for o in last.options))
            )
            if not ends_line:
                raise ValueError("every line template must end with a line break")

    def max_tokens_bound(self, tokens_per_char: float = 1.0) -> int:
        """A generous upper bound on the tokens a complete answer takes (to size max_new_tokens)."""
        total = 1
        for line in self.lines:
            for seg in line:
                if isinstance(seg, Literal):
                    total += int(len(seg.text) * tokens_per_char) + 1
                elif isinstance(seg, OneOf):
                    total += int(max(len(o) for o in seg.options) * tokens_per_char) + 1
                else:
                    total += seg.max_tokens + 2
        return total
