"""CLIP token counts, and cutting a text to a token budget at a sentence end.

"A CLIP token" is one BPE token of CLIP's text tokenizer (open_clip's ``SimpleTokenizer``, the
tokenizer of ``ViT-B-16`` and every OpenAI CLIP text tower; its vocabulary ships inside
open_clip, so counting works offline). Counts exclude the start and end tokens: a text of ``n``
tokens fills ``n + 2`` of CLIP's 77 positions. Note that the tokenizer lowercases and splits
punctuation off words ("hair." is two tokens).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[-\u2013\u2014]\s")
_DANGLING = {
    "a", "an", "the", "and", "or", "but", "of", "with", "to", "in", "on", "at", "by", "for", "from", "as",
    "while", "which", "that", "who", "whose", "their", "his", "her", "its", "is", "are", "into", "onto",
}
CONTEXT_LENGTH = 77


@cache
def _tokenizer():
    """open_clip's SimpleTokenizer. Importing ``open_clip`` runs its package ``__init__``, which
    imports every model (and transformers): tens of seconds on a small CPU. The tokenizer module
    needs none of it, so when open_clip is not loaded yet it is loaded on its own from its file.
    That module imports torch only for its tensor-returning helpers (kgen calls ``encode``, which
    needs no torch): when torch is not loaded yet, a placeholder stands in while the module loads,
    so that counting tokens (e.g. in ``kgen build-*``) does not cost torch's 0.7 GB of memory."""
    import importlib.util
    import sys
    import types

    module = sys.modules.get("open_clip.tokenizer")
    if module is None:
        package = importlib.util.find_spec("open_clip")
        if package is None or not package.submodule_search_locations:
            raise ImportError("open_clip is not installed")
        path = Path(list(package.submodule_search_locations)[0]) / "tokenizer.py"
        spec = importlib.util.spec_from_file_location("kgen._open_clip_tokenizer", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        placeholder = None
        if "torch" not in sys.modules:
            placeholder = types.ModuleType("torch", "kgen placeholder: open_clip's tokenizer annotations only")
            placeholder.Tensor = placeholder.LongTensor = object  # type: ignore[attr-defined]
            sys.modules["torch"] = placeholder
        try:
            spec.loader.exec_module(module)
        finally:
            if placeholder is not None and sys.modules.get("torch") is placeholder:
                del sys.modules["torch"]
    return module.SimpleTokenizer()


# Printable ASCII without "&", plus tabs and line breaks: text that open_clip's cleaning (ftfy's
# fixes, HTML unescaping) leaves as it is, so it can be counted without running it.
_PLAIN = re.compile(r"[\t\n\x20-\x25\x27-\x7e]*")
_word_counts: dict[str, int] = {}


@lru_cache(maxsize=1 << 16)
def count_tokens(text: str) -> int:
    """The number of CLIP BPE tokens of ``text`` (start and end tokens not counted). Remembered:
    the same texts are counted again and again (fixed prompt lines, a dry run's stand-in answers)."""
    tokenizer = _tokenizer()
    if not _PLAIN.fullmatch(text):
        return len(tokenizer.encode(text))
    # The same steps as SimpleTokenizer.encode (lowercase, whitespace runs to one space, its word
    # pattern, BPE per word), without ftfy: 3-4 times faster; a test checks the counts are equal.
    total = 0
    for word in tokenizer.pat.findall(" ".join(text.split()).lower()):
        count = _word_counts.get(word)
        if count is None:
            count = _word_counts[word] = len(tokenizer.bpe(word).split(" "))
        total += count
    return total


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """``text`` cut to at most ``max_tokens`` CLIP tokens; returns (text, whether it was cut).

    Whole sentences are kept while they fit ("truncating at the end of a sentence", AP-CLIP
    §3.2.2). When even the first sentence is too long, it is cut at the last clause break (comma,
    semicolon, colon, dash) that fits, or else at the last word that fits, trailing articles and
    conjunctions are dropped, and a full stop ends it.
    """
    if max_tokens < 2:
        raise ValueError("max_tokens must be at least 2")
    text = text.strip()
    if count_tokens(text) <= max_tokens:
        return text, False
    kept: list[str] = []
    for sentence in split_sentences(text):
        if count_tokens(" ".join([*kept, sentence])) > max_tokens:
            break
        kept.append(sentence)
    if kept:
        return " ".join(kept), True
    first = split_sentences(text)[0] if split_sentences(text) else text
    return _cut_inside_sentence(first, max_tokens), True


def _cut_inside_sentence(sentence: str, max_tokens: int) -> str:
    budget = max_tokens - 1  # room for the closing full stop
    clause_cuts = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    for cut in reversed(clause_cuts):
        candidate = _tidy_end(sentence[:cut])
        if candidate and count_tokens(candidate) <= budget and count_tokens(candidate) * 2 >= budget:
            return candidate + "."
    words = sentence.split()
    low, high = 1, len(words)
    while low < high:  # the longest word prefix within budget
        mid = (low + high + 1) // 2
        if count_tokens(_tidy_end(" ".join(words[:mid])) or words[0]) <= budget:
            low = mid
        else:
            high = mid - 1
    candidate = _tidy_end(" ".join(words[:low]))
    while candidate and count_tokens(candidate) > budget:  # a single over-long word
        candidate = candidate[: max(1, len(candidate) * budget // max(1, count_tokens(candidate)) - 1)]
    return (candidate or words[0][:10]) + "."


def _tidy_end(text: str) -> str:
    words = text.rstrip(" ,;:-\u2013\u2014").split()
    while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-\u2013\u2014.!?")


def fit_to_context(prefix: str, text: str, separator: str = " ", context_length: int = CONTEXT_LENGTH) -> tuple[str, bool]:
    """``text`` cut (as :func:`truncate_to_tokens` cuts) so that ``prefix + separator + text``
    fits CLIP's context (start and end tokens included); returns (text, whether it was cut)."""
    room = context_length - 2 - count_tokens(prefix)
    if room < 2:
        raise ValueError(f"the prefix {prefix!r} leaves no room in CLIP's context")
    return truncate_to_tokens(text, room)
