"""The text side of a video model: a bank restricted to the label space of the videos.

The frozen text encoder is not part of any video model: every class text was encoded once into a
bank (:mod:`kgen.banks`). A :class:`TextSide` is that bank restricted to the classes a video
list uses, in the list's label order (label ``i`` is ``text.class_ids[i]``), with the views the
models read, computed once and cached:

* :attr:`TextSide.classifier` ``[C, D]``: the mean of each class's normalised texts,
  renormalised (the usual zero-shot classifier; ViFi-CLIP);
* :attr:`TextSide.prompts` / :attr:`TextSide.prompt_mask` ``[C, N, D]`` / ``[C, N]``: each
  class's texts padded to the largest class;
* :attr:`TextSide.class_prompts`: the same, padded a block of classes at a time when scored
  (late interaction: AP-CLIP, STDD). With 100,000 classes of 36 prompts the padded tensor is as
  large as the bank itself (7 GB at D = 512); the blocks never hold more than one block's rows;
* :attr:`TextSide.bank` for anything else (per-token features, text types, offsets).

:func:`text_side_for` builds one and refuses a bank whose classes do not match the videos.
"""

from __future__ import annotations

from functools import cached_property

import torch

from kgen.banks import Bank
from kgen.datasets import Dataset
from kgen.datasets.names import name_key
from kgen.errors import InputError
from zsar.data.index import label_space_classes


class TextSide:
    """A bank in a label space's order, with cached model views (see the module docstring)."""

    def __init__(self, bank: Bank, label_space: str | None = None, embeddings: torch.Tensor | None = None) -> None:
        counts = bank.texts_per_class
        empty = [bank.class_names[k] for k, count in enumerate(counts) if count == 0]
        if empty:
            raise InputError(
                f"bank {bank.bank_id} has no texts for {len(empty)} class(es): {', '.join(empty[:5])}",
                hint="rebuild the knowledge for those classes and encode the bank again",
            )
        if embeddings is not None and tuple(embeddings.shape[:1]) != (bank.num_texts,):
            raise ValueError(f"{tuple(embeddings.shape)} embeddings for the {bank.num_texts} texts of bank {bank.bank_id}")
        self.bank = bank
        self.label_space = label_space
        # Re-encoded texts (a model with a tuned text tower): they replace the bank's vectors in
        # every view below; gradients flow through them.
        self.reencoded = embeddings

    @property
    def texts(self) -> list[str]:
        """The bank's texts, in its row order (what a tuned text tower re-encodes)."""
        return self.bank.texts

    @property
    def embeddings(self) -> torch.Tensor:
        """``[P, D]``: one unit vector per text (re-encoded ones when present, else the bank's)."""
        return self.bank.embeddings if self.reencoded is None else self.reencoded

    def with_embeddings(self, embeddings: torch.Tensor) -> TextSide:
        """The same classes and texts scored with other (e.g. re-encoded, differentiable) text vectors."""
        return TextSide(self.bank, self.label_space, embeddings)

    @property
    def class_ids(self) -> list[int]:
        return self.bank.class_ids

    @property
    def class_names(self) -> list[str]:
        return self.bank.class_names

    @property
    def num_classes(self) -> int:
        return self.bank.num_classes

    @property
    def dim(self) -> int:
        return self.bank.dim if self.reencoded is None else int(self.reencoded.shape[-1])

    @property
    def device(self) -> torch.device:
        return self.embeddings.device

    @cached_property
    def classifier(self) -> torch.Tensor:
        if self.reencoded is None:
            return self.bank.classifier()
        return _class_means(self.reencoded, self.bank.texts_per_class)

    @cached_property
    def _padded(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.reencoded is None:
            return self.bank.padded()
        return _padded_rows(self.reencoded, self.bank.texts_per_class)

    @property
    def prompts(self) -> torch.Tensor:
        return self._padded[0]

    @property
    def prompt_mask(self) -> torch.Tensor:
        return self._padded[1]

    @property
    def max_texts_per_class(self) -> int:
        return max(self.bank.texts_per_class)

    @cached_property
    def class_prompts(self) -> TextPrompts:
        """The prompts of every class as a :class:`~zsar.models.similarity.ClassPrompts` source (padded per block)."""
        return TextPrompts(self)

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> TextSide:
        moved = None if self.reencoded is None else self.reencoded.to(device=device, dtype=dtype)
        return TextSide(self.bank.to(device=device, dtype=dtype), self.label_space, moved)

    def __repr__(self) -> str:
        return (
            f"TextSide(bank={self.bank.bank_id!r}, label_space={self.label_space!r}, classes={self.num_classes}, "
            f"texts={self.bank.num_texts}, dim={self.dim})"
        )


class TextPrompts:
    """A text side's prompts, padded a block of classes at a time (:class:`zsar.models.similarity.ClassPrompts`).

    A block is gathered from the text vectors' rows (``class_offsets``; a view of them when no
    class of the block is padded), so only the scored block's rows are read (and, for re-encoded
    vectors, differentiated). When the whole padded tensor has already been built
    (:attr:`TextSide.prompts`) it is sliced instead. Either way the values are those of
    :attr:`TextSide.prompts`, padding rows zero.
    """

    def __init__(self, text: TextSide) -> None:
        self.text = text
        counts = text.bank.texts_per_class
        self.counts = torch.tensor(counts, dtype=torch.long)
        self.starts = torch.tensor([0, *counts[:-1]], dtype=torch.long).cumsum(0)
        self._width = max(counts)

    @property
    def num_classes(self) -> int:
        return int(self.counts.shape[0])

    @property
    def width(self) -> int:
        return self._width

    @property
    def requires_grad(self) -> bool:
        return self.text.embeddings.requires_grad

    def block(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        if "_padded" in self.text.__dict__:  # already built in full
            prompts, mask = self.text._padded
            return prompts[start:stop], mask[start:stop]
        embeddings = self.text.embeddings
        device = embeddings.device
        if bool((self.counts[start:stop] == self._width).all()):
            # No padding in this block (e.g. AP-CLIP's 36 prompts for every class): its rows are contiguous.
            first = int(self.starts[start])
            prompts = embeddings[first : first + (stop - start) * self._width].view(stop - start, self._width, -1)
            return prompts, torch.ones(stop - start, self._width, dtype=torch.bool, device=device)
        slots = torch.arange(self._width, device=device)
        counts = self.counts[start:stop].to(device)
        mask = slots.unsqueeze(0) < counts.unsqueeze(1)
        rows = torch.where(mask, self.starts[start:stop].to(device).unsqueeze(1) + slots.unsqueeze(0), 0)
        return embeddings[rows].masked_fill(~mask.unsqueeze(-1), 0.0), mask


def _class_means(embeddings: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """``[C, D]``: each class's mean text vector, renormalised (as ``Bank.classifier``), differentiably."""
    index = torch.repeat_interleave(torch.arange(len(counts), device=embeddings.device),
                                    torch.tensor(counts, device=embeddings.device))
    sums = torch.zeros(len(counts), embeddings.shape[-1], dtype=torch.float32, device=embeddings.device)
    sums = sums.index_add(0, index, embeddings.float())
    means = sums / torch.tensor(counts, device=embeddings.device, dtype=torch.float32).unsqueeze(1)
    return torch.nn.functional.normalize(means, dim=-1)


def _padded_rows(embeddings: torch.Tensor, counts: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """``([C, N, D], [C, N])``: each class's texts padded to the largest class (as ``Bank.padded``), differentiably."""
    width = max(counts)
    device = embeddings.device
    starts = torch.tensor([0, *counts[:-1]], device=device).cumsum(0)
    slots = torch.arange(width, device=device)
    mask = slots.unsqueeze(0) < torch.tensor(counts, device=device).unsqueeze(1)
    rows = torch.where(mask, starts.unsqueeze(1) + slots.unsqueeze(0), torch.zeros_like(mask, dtype=torch.long))
    return embeddings[rows] * mask.unsqueeze(-1).to(embeddings.dtype), mask


def synthetic_bank(
    num_classes: int,
    texts_per_class: int,
    dim: int,
    *,
    seed: int = 0,
    model_name: str = "synthetic",
    tokens_per_text: int = 0,
) -> Bank:
    """A bank of random unit vectors (profiling and benchmarks: the cost of scoring, not its meaning).

    With ``tokens_per_text`` it also holds random per-token features ``[P, tokens + 2, D]`` whose
    mask marks ``tokens_per_text`` word tokens between a start and an end token.
    """
    from kgen.banks import BankManifest, ClipInfo, EncodingInfo, TokenFeaturesInfo

    generator = torch.Generator().manual_seed(seed)
    embeddings = torch.nn.functional.normalize(torch.randn(num_classes * texts_per_class, dim, generator=generator), dim=-1)
    offsets = [k * texts_per_class for k in range(num_classes + 1)]
    names = [f"class {k}" for k in range(num_classes)]
    manifest = BankManifest(
        bank_id=f"synthetic-{num_classes}x{texts_per_class}-{dim}",
        content_hash="0" * 64,
        tensors_sha256="0" * 64,
        dataset="synthetic",
        kind="random",
        class_ids=list(range(num_classes)),
        class_names=names,
        class_offsets=offsets,
        texts=[f"{name} #{j}" for name in names for j in range(texts_per_class)],
        clip=ClipInfo(
            model_name=model_name, pretrained="random", weights_source="random", is_random=True,
            text_tower_sha256="0" * 64, embed_dim=dim, tokenizer="none", context_length=77, causal_mask=True,
        ),
        encoding=EncodingInfo(dtype="float32", compute_dtype="float32", length_cut=False, truncated_texts=0),
        token_features=TokenFeaturesInfo(length=tokens_per_text + 2) if tokens_per_text else None,
    )
    if not tokens_per_text:
        return Bank(manifest=manifest, embeddings=embeddings, class_offsets=torch.tensor(offsets))
    count = embeddings.shape[0]
    features = torch.randn(count, tokens_per_text + 2, dim, generator=generator)
    mask = torch.zeros(count, tokens_per_text + 2, dtype=torch.bool)
    mask[:, 1 : tokens_per_text + 1] = True
    eot = torch.full((count,), tokens_per_text + 1, dtype=torch.long)
    return Bank(manifest=manifest, embeddings=embeddings, class_offsets=torch.tensor(offsets), token_features=features,
                token_mask=mask, eot_index=eot)


def text_side_for(bank: Bank, dataset: Dataset, label_space: str | None = None) -> TextSide:
    """The bank restricted to ``dataset``'s ``label_space``, in that order; refuses a bank that does not fit.

    A bank fits when it was encoded for the same dataset and holds every class of the label space
    under the same names, or when its class names are exactly the label space's names in order
    (a user's own class list encoded under another dataset name).
    """
    ids, names = label_space_classes(dataset, label_space)
    where = f"{dataset.name}" + (f" (class split {label_space!r}, {len(ids)} classes)" if label_space else f" ({len(ids)} classes)")
    encode_hint = f"encode a bank for it: kgen encode-bank {dataset.selector} --kind KIND --clip-model ..."

    if bank.dataset != dataset.name:
        if [name_key(n) for n in bank.class_names] == [name_key(n) for n in names]:
            return TextSide(bank, label_space)
        raise InputError(
            f"bank {bank.bank_id} holds the {bank.num_classes} classes of {bank.dataset!r}, but the videos are labelled "
            f"with the classes of {where}",
            hint=encode_hint,
        )
    position = {cid: k for k, cid in enumerate(bank.class_ids)}
    missing = [name for cid, name in zip(ids, names, strict=True) if cid not in position]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise InputError(
            f"bank {bank.bank_id} lacks {len(missing)} of the classes of {where}: {shown}",
            hint=f"encode the bank for all classes of {dataset.name} (no --split), or {encode_hint}",
        )
    renamed = [
        f"{bank.class_names[position[cid]]!r} (bank) vs {name!r} (dataset)"
        for cid, name in zip(ids, names, strict=True)
        if name_key(bank.class_names[position[cid]]) != name_key(name)
    ]
    if renamed:
        raise InputError(
            f"bank {bank.bank_id} names {len(renamed)} class(es) differently from {dataset.name}: {'; '.join(renamed[:3])}",
            hint=f"the bank was encoded from another class list; {encode_hint}",
        )
    subset = bank if bank.class_ids == ids else bank.subset(ids)
    return TextSide(subset, label_space)
