"""The frozen CLIP text encoder behind every bank.

:class:`TextEncoder` turns texts into one L2-normalised vector each (and, on request, the
per-token features) with an open_clip model, frozen, in eval mode, under
``torch.inference_mode``:

* texts are tokenized once, sorted by token length and encoded in batches of similar length;
* **the length cut**: open_clip pads every text to the context length (77), but under the causal
  attention mask the output at position ``i`` depends only on tokens ``0..i``. The pooled output
  sits at the end token, so a batch can be cut to its longest text (the positional embeddings and
  the causal mask sliced to match) and give the same numbers at a fraction of the work. The cut is
  used only where it is exact: a causal mask, pooling at the end token (``argmax``/``eos``), no
  appended class token, no padding mask. Any other text tower (bidirectional towers, Hugging Face
  text models, CoCa-style towers) runs at full length through the model's own ``encode_text``;
* the text tower is never copied: the encoder calls open_clip's own modules (``token_embedding``,
  ``transformer``, ``ln_final``, ``text_projection``) on the cut sequence, for both ``CLIP`` (text
  tower unpacked into the model) and ``CustomTextCLIP`` (``model.text``);
* fp32 on CPU; on CUDA, bf16 autocast (fp16 where bf16 is unsupported) unless told otherwise.
  Results are returned as float32 either way.

Two ways to run it:

* :meth:`TextEncoder.encode` tokenizes every text at once and returns every vector in memory
  (small inputs, tests);
* :meth:`TextEncoder.plan` + :meth:`TextEncoder.encode_planned` stream (what ``encode-bank``
  does): the plan tokenizes the texts in chunks and keeps only each text's end position and a
  16-byte digest of its tokens (to find duplicates); encoding then visits the same batches in the
  same order as :meth:`~TextEncoder.encode`, tokenizing each batch again, and hands every batch's
  vectors to a sink that writes them where they belong. Memory stays bounded by the batch and the
  chunk, apart from a few bytes a text; the vectors are bit for bit those of ``encode``.

Per-token features are the full sequence after the final layer norm and the text projection (not
normalised). Positions after a text's end token are zero; the mask marks the content tokens
(neither the start token, nor the end token, nor padding).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch import nn

from kgen.errors import InputError

Precision = Literal["auto", "fp32", "bf16", "fp16"]

# Default batch sizes. CPU: measured on a 2-core machine with a ViT-B-16 text tower (64 was the
# fastest of 16/64/128/256 there; larger batches only cost memory). GPU: large enough to fill the
# device with length-sorted batches (not measured here: no GPU was available).
DEFAULT_BATCH_SIZE_CPU = 64
DEFAULT_BATCH_SIZE_GPU = 512
# Texts tokenized at once while planning: bounds the token ids in memory (8192 x 77 x 8 bytes = 5 MB).
DEFAULT_PLAN_CHUNK = 8192


def default_batch_size(device: torch.device | str) -> int:
    return DEFAULT_BATCH_SIZE_GPU if torch.device(device).type == "cuda" else DEFAULT_BATCH_SIZE_CPU


@dataclass(frozen=True)
class TowerParts:
    """The open_clip modules of a standard text transformer, wherever the model keeps them."""

    token_embedding: nn.Embedding
    positional_embedding: torch.Tensor
    transformer: nn.Module
    ln_final: nn.Module
    text_projection: nn.Module | torch.Tensor | None
    attn_mask: torch.Tensor | None
    pool_type: str
    eos_id: int | None

    @property
    def causal(self) -> bool:
        return self.attn_mask is not None


@dataclass(frozen=True)
class TokenizedTexts:
    """Token ids as the model's tokenizer gives them, with what the encoder needs to know."""

    ids: torch.Tensor  # [P, context_length] int64
    end_index: torch.Tensor  # [P] int64: position of the token the pooled output is read at
    token_counts: list[int]  # tokens of each text before truncation, start and end tokens included
    truncated_indices: list[int]  # texts longer than the context length (truncated by the tokenizer)


@dataclass(frozen=True)
class EncodedTexts:
    embeddings: torch.Tensor  # [P, D] float32, L2-normalised
    end_index: torch.Tensor  # [P] int64
    token_features: torch.Tensor | None = None  # [P, L, D] float32, zero after the end token
    token_mask: torch.Tensor | None = None  # [P, L] bool: content tokens


@dataclass(frozen=True)
class TextPlan:
    """What streaming needs to know about every text before encoding, a few bytes a text."""

    end_index: torch.Tensor  # [P] int64: position of each text's end token
    first_of: torch.Tensor  # [P] int64: the first text with the same token ids (itself if none)
    truncated_indices: list[int]

    @property
    def count(self) -> int:
        return int(self.end_index.shape[0])

    @property
    def length(self) -> int:
        """L: positions of the longest text (token features are stored this long)."""
        return int(self.end_index.max()) + 1 if self.count else 0

    def token_mask(self, start: int, end: int) -> torch.Tensor:
        """``[end - start, L]`` bool: the content tokens of rows ``start:end``."""
        positions = torch.arange(self.length).unsqueeze(0)
        return (positions > 0) & (positions < self.end_index[start:end].unsqueeze(1))


class EncodeSink(Protocol):
    """Where :meth:`TextEncoder.encode_planned` puts what it computes."""

    def put_embeddings(self, rows: torch.Tensor, values: torch.Tensor) -> None:
        """``values[j]`` ([D] float32, normalised) is the vector of text ``rows[j]``."""

    def put_token_features(self, rows: torch.Tensor, values: torch.Tensor) -> None:
        """``values[j]`` ([W, D] float32) are the first W positions of text ``rows[j]``'s features."""

    def copy_rows(self, sources: torch.Tensor, targets: torch.Tensor, token_features: bool) -> None:
        """Text ``targets[j]`` has the vectors (and features) of text ``sources[j]`` (a duplicate)."""


def tower_parts(model: nn.Module) -> TowerParts | None:
    """The text transformer's modules, or None for a tower the encoder must treat as a black box."""
    from open_clip.transformer import TextTransformer

    text = getattr(model, "text", None)
    if isinstance(text, TextTransformer):
        if text.cls_emb is not None or text.use_pad_mask:
            return None  # CoCa-style appended class token / padding mask: not a plain causal tower
        return TowerParts(
            token_embedding=text.token_embedding,
            positional_embedding=text.positional_embedding,
            transformer=text.transformer,
            ln_final=text.ln_final,
            text_projection=text.text_projection,
            attn_mask=text.attn_mask,
            pool_type=text.pool_type,
            eos_id=getattr(text, "eos_id", None),
        )
    if text is None and all(hasattr(model, name) for name in ("token_embedding", "positional_embedding", "transformer", "ln_final")):
        return TowerParts(
            token_embedding=model.token_embedding,
            positional_embedding=model.positional_embedding,
            transformer=model.transformer,
            ln_final=model.ln_final,
            text_projection=getattr(model, "text_projection", None),
            attn_mask=getattr(model, "attn_mask", None),
            pool_type=getattr(model, "text_pool_type", "argmax"),
            eos_id=getattr(model, "text_eos_id", None),
        )
    return None


def describe_tokenizer(tokenizer: Any) -> str:
    """A stable description of a tokenizer for the manifest (its class and what configures it)."""
    name = type(tokenizer).__name__
    inner = getattr(tokenizer, "tokenizer", None)
    if inner is not None:
        return f"open_clip.{name}({getattr(inner, 'name_or_path', type(inner).__name__)})"
    clean = getattr(getattr(tokenizer, "clean_fn", None), "__name__", "")
    vocab = getattr(tokenizer, "vocab_size", None)
    parts = [f"vocab_size={vocab}"] if vocab else []
    if clean:
        parts.append(f"clean={clean.removeprefix('_clean_')}")
    return f"open_clip.{name}({', '.join(parts)})"


class TextEncoder:
    """Encode texts with a frozen open_clip text tower (see the module docstring)."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        context_length: int | None = None,
        precision: Precision = "auto",
        batch_size: int | None = None,
        length_cut: bool = True,
    ) -> None:
        if batch_size is not None and batch_size < 1:
            raise InputError(f"batch size must be at least 1, not {batch_size}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.context_length = int(context_length or getattr(model, "context_length", 77))
        self.parts = tower_parts(model)
        self.device = _model_device(model)
        self.batch_size = batch_size or default_batch_size(self.device)
        self.compute_dtype = _compute_dtype(self.device, precision)
        self.length_cut = length_cut and self.can_cut

    # ------------------------------------------------------------------ what this tower allows
    @property
    def causal_mask(self) -> bool:
        return self.parts is not None and self.parts.causal

    @property
    def can_cut(self) -> bool:
        """True where cutting a batch to its longest text gives exactly the full-length numbers."""
        return self.causal_mask and self.parts is not None and self.parts.pool_type in ("argmax", "eos")

    @property
    def supports_token_features(self) -> bool:
        return self.parts is not None and self.parts.pool_type in ("argmax", "eos")

    @property
    def activation(self) -> str | None:
        """Class name of the text blocks' MLP activation (None for a black-box tower)."""
        if self.parts is None:
            return None
        for module in self.parts.transformer.modules():
            if isinstance(module, nn.Sequential) and hasattr(module, "c_fc"):
                for child in module.children():
                    if not isinstance(child, nn.Linear | nn.LayerNorm | nn.Identity | nn.Dropout):
                        return type(child).__name__
        return None

    @property
    def compute_dtype_name(self) -> str:
        return str(self.compute_dtype).removeprefix("torch.")

    # ------------------------------------------------------------------ tokens
    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        texts = list(texts)
        ids = self.tokenizer(texts, context_length=self.context_length).long() if texts else torch.zeros(0, self.context_length, dtype=torch.long)
        counts = _token_counts(self.tokenizer, texts, ids)
        truncated = [i for i, n in enumerate(counts) if n > self.context_length]
        return TokenizedTexts(ids=ids, end_index=self._end_index(ids), token_counts=counts, truncated_indices=truncated)

    def plan(self, texts: Sequence[str], *, chunk_size: int = DEFAULT_PLAN_CHUNK) -> TextPlan:
        """Tokenize ``texts`` ``chunk_size`` at a time, keeping each text's end position, its
        duplicate and whether it was truncated (the same as :meth:`tokenize` finds)."""
        if chunk_size < 1:
            raise InputError(f"chunk size must be at least 1, not {chunk_size}")
        count = len(texts)
        end_index = torch.empty(count, dtype=torch.long)
        digests = np.empty((count, 16), dtype=np.uint8)  # 16 bytes a text, not a Python object
        truncated: list[int] = []
        for start in range(0, count, chunk_size):
            chunk = list(texts[start : start + chunk_size])
            ids = self.tokenizer(chunk, context_length=self.context_length).long()
            end_index[start : start + len(chunk)] = self._end_index(ids)
            counts = _token_counts(self.tokenizer, chunk, ids)
            truncated.extend(start + i for i, n in enumerate(counts) if n > self.context_length)
            rows = ids.contiguous().numpy()
            for i in range(rows.shape[0]):
                digests[start + i] = np.frombuffer(hashlib.blake2b(rows[i].tobytes(), digest_size=16).digest(), dtype=np.uint8)
        # The first text with each digest: np.unique returns the first index of every distinct row.
        _unique, first_index, inverse = np.unique(digests.view(np.dtype((np.void, 16))).ravel(), return_index=True, return_inverse=True)
        first_of = torch.from_numpy(first_index[inverse.ravel()].astype(np.int64))
        return TextPlan(end_index=end_index, first_of=first_of, truncated_indices=truncated)

    def _end_index(self, ids: torch.Tensor) -> torch.Tensor:
        pool_type = self.parts.pool_type if self.parts is not None else "argmax"
        if pool_type == "eos" and self.parts is not None and self.parts.eos_id is not None:
            return (ids == self.parts.eos_id).int().argmax(dim=-1).long()
        if pool_type == "first":
            return torch.zeros(ids.shape[0], dtype=torch.long)
        if pool_type == "last":
            return torch.full((ids.shape[0],), ids.shape[1] - 1, dtype=torch.long)
        return ids.argmax(dim=-1).long()  # open_clip's SimpleTokenizer: the end token has the highest id

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        texts: Sequence[str] | TokenizedTexts,
        *,
        token_features: bool = False,
        on_batch: Callable[[int], None] | None = None,
    ) -> EncodedTexts:
        """Encode ``texts`` (or already tokenized texts); ``on_batch(n)`` is called after each batch."""
        tokens = texts if isinstance(texts, TokenizedTexts) else self.tokenize(texts)
        if token_features and not self.supports_token_features:
            raise InputError(
                "this text tower gives no per-token features kgen can read (it is not an open_clip text "
                "transformer pooled at its end token)",
                hint="encode without --token-features, or use an open_clip CLIP architecture",
            )
        count = tokens.ids.shape[0]
        dim = self._embed_dim()
        embeddings = torch.empty(count, dim, dtype=torch.float32)
        end_index = tokens.end_index
        length = int(end_index.max()) + 1 if count else 0
        features = torch.zeros(count, length, dim, dtype=torch.float32) if token_features else None
        mask = None
        if token_features:
            positions = torch.arange(length).unsqueeze(0)
            mask = (positions > 0) & (positions < end_index.unsqueeze(1))

        # Identical token sequences are encoded once (knowledge files repeat texts across classes).
        first_of = _first_occurrence(tokens.ids)
        unique = [i for i in range(count) if first_of[i] == i]
        # Sort by length (stable) so that each batch holds texts of similar length.
        order = sorted(unique, key=lambda i: (int(end_index[i]), i)) if self.length_cut else unique
        autocast = (
            torch.autocast(device_type=self.device.type, dtype=self.compute_dtype)
            if self.compute_dtype != torch.float32
            else nullcontext()
        )
        with torch.inference_mode(), autocast:
            for start in range(0, len(order), self.batch_size):
                rows = torch.tensor(order[start : start + self.batch_size], dtype=torch.long)
                batch_ids = tokens.ids.index_select(0, rows)
                batch_end = end_index.index_select(0, rows)
                if self.length_cut:
                    batch_ids = batch_ids[:, : int(batch_end.max()) + 1]
                pooled, sequence = self._forward(batch_ids.to(self.device), batch_end.to(self.device), token_features)
                embeddings[rows] = torch.nn.functional.normalize(pooled.float(), dim=-1).cpu()
                if features is not None and sequence is not None:
                    width = min(sequence.shape[1], length)
                    block = sequence[:, :width].float().cpu()
                    keep = torch.arange(width).unsqueeze(0) <= batch_end.unsqueeze(1)
                    features[rows, :width] = block * keep.unsqueeze(-1)
                if on_batch is not None:
                    on_batch(int(rows.numel()))
        duplicates = [i for i in range(count) if first_of[i] != i]
        if duplicates:
            source = torch.tensor([first_of[i] for i in duplicates], dtype=torch.long)
            target = torch.tensor(duplicates, dtype=torch.long)
            embeddings[target] = embeddings[source]
            if features is not None:
                features[target] = features[source]
            if on_batch is not None:
                on_batch(len(duplicates))
        return EncodedTexts(embeddings=embeddings, end_index=end_index.clone(), token_features=features, token_mask=mask)

    def encode_planned(
        self,
        texts: Sequence[str],
        plan: TextPlan,
        sink: EncodeSink,
        *,
        token_features: bool = False,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """Encode ``texts`` (planned by :meth:`plan`) batch by batch into ``sink``.

        The batches are those of :meth:`encode` (same texts, same order, same cut), so the
        vectors are bit for bit the same; each batch is tokenized again from its texts.
        """
        if token_features and not self.supports_token_features:
            raise InputError(
                "this text tower gives no per-token features kgen can read (it is not an open_clip text "
                "transformer pooled at its end token)",
                hint="encode without --token-features, or use an open_clip CLIP architecture",
            )
        count = plan.count
        end_index, first_of = plan.end_index, plan.first_of
        length = plan.length
        is_unique = first_of == torch.arange(count)
        unique = torch.nonzero(is_unique).flatten()
        if self.length_cut:
            # (end, row) ascending, as encode() sorts: a stable sort by end of rows in order.
            order = unique[torch.sort(end_index[unique], stable=True).indices]
        else:
            order = unique
        autocast = (
            torch.autocast(device_type=self.device.type, dtype=self.compute_dtype)
            if self.compute_dtype != torch.float32
            else nullcontext()
        )
        with torch.inference_mode(), autocast:
            for start in range(0, int(order.numel()), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch_ids = self.tokenizer([texts[int(r)] for r in rows], context_length=self.context_length).long()
                batch_end = end_index.index_select(0, rows)
                if self.length_cut:
                    batch_ids = batch_ids[:, : int(batch_end.max()) + 1]
                pooled, sequence = self._forward(batch_ids.to(self.device), batch_end.to(self.device), token_features)
                sink.put_embeddings(rows, torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
                if token_features and sequence is not None:
                    width = min(sequence.shape[1], length)
                    block = sequence[:, :width].float().cpu()
                    keep = torch.arange(width).unsqueeze(0) <= batch_end.unsqueeze(1)
                    sink.put_token_features(rows, block * keep.unsqueeze(-1))
                if on_batch is not None:
                    on_batch(int(rows.numel()))
        duplicates = torch.nonzero(~is_unique).flatten()
        if duplicates.numel():
            sink.copy_rows(first_of.index_select(0, duplicates), duplicates, token_features)
            if on_batch is not None:
                on_batch(int(duplicates.numel()))

    def _forward(
        self, ids: torch.Tensor, end_index: torch.Tensor, with_tokens: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Pooled output (before normalisation) and, if asked, every position's projected feature."""
        if self.parts is None:
            return self.model.encode_text(ids), None
        parts = self.parts
        length = ids.shape[1]
        cast_dtype = parts.transformer.get_cast_dtype()
        x = parts.token_embedding(ids).to(cast_dtype)
        x = x + parts.positional_embedding[:length].to(cast_dtype)
        attn_mask = parts.attn_mask[:length, :length] if parts.attn_mask is not None else None
        x = parts.transformer(x, attn_mask=attn_mask)
        x = parts.ln_final(x)
        pooled = _project(parts.text_projection, x[torch.arange(x.shape[0], device=x.device), end_index])
        return pooled, (_project(parts.text_projection, x) if with_tokens else None)

    def _embed_dim(self) -> int:
        if self.parts is not None:
            proj = self.parts.text_projection
            if isinstance(proj, nn.Linear):
                return int(proj.out_features)
            if isinstance(proj, torch.Tensor):
                return int(proj.shape[1])
            return int(self.parts.ln_final.weight.shape[0])
        with torch.inference_mode():
            probe = self.tokenizer(["a"], context_length=self.context_length).to(self.device)
            return int(self.model.encode_text(probe).shape[-1])


def _first_occurrence(ids: torch.Tensor) -> list[int]:
    """For each row, the index of the first row with the same token ids."""
    seen: dict[bytes, int] = {}
    rows = ids.contiguous().numpy()
    return [seen.setdefault(rows[i].tobytes(), i) for i in range(rows.shape[0])]


def _project(projection: nn.Module | torch.Tensor | None, x: torch.Tensor) -> torch.Tensor:
    if projection is None:
        return x
    if isinstance(projection, nn.Module):
        return projection(x)
    return x @ projection


def _model_device(model: nn.Module) -> torch.device:
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def _compute_dtype(device: torch.device, precision: Precision) -> torch.dtype:
    if precision == "fp32":
        return torch.float32
    if device.type != "cuda":
        if precision == "auto":
            return torch.float32
        raise InputError(
            f"--precision {precision} needs a GPU; the text tower runs in fp32 on CPU",
            hint="leave --precision at auto (or fp32) on CPU, or use --device cuda",
        )
    bf16_ok = torch.cuda.is_bf16_supported()
    if precision == "auto":
        return torch.bfloat16 if bf16_ok else torch.float16
    if precision == "bf16" and not bf16_ok:
        raise InputError("this GPU does not support bf16", hint="use --precision fp16 or fp32")
    return torch.bfloat16 if precision == "bf16" else torch.float16


def _token_counts(tokenizer: Any, texts: list[str], ids: torch.Tensor) -> list[int]:
    """How many tokens each text has before truncation (start and end tokens included)."""
    encode = getattr(tokenizer, "encode", None)
    if callable(encode) and getattr(tokenizer, "reduction_fn", None) is None and hasattr(tokenizer, "sot_token_id"):
        return [len(encode(text)) + 2 for text in texts]  # SimpleTokenizer: <start> + BPE + <end>
    inner = getattr(tokenizer, "tokenizer", None)
    if inner is not None and callable(inner):
        clean = getattr(tokenizer, "clean_fn", lambda t: t)
        encoded = inner([clean(t) for t in texts], truncation=False, padding=False)
        return [len(row) for row in encoded["input_ids"]]
    # An unknown tokenizer: a text that fills the whole context may have been cut; count it so.
    filled = (ids != 0).sum(dim=1)
    return [int(n) + (1 if int(n) >= ids.shape[1] else 0) for n in filled]
