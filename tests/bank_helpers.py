"""Build valid banks from tensors in tests (the encoder builds them from CLIP in real runs)."""

from __future__ import annotations

from pathlib import Path

import torch

from kgen.banks import Bank, BankManifest, ClipInfo, EncodingInfo, TokenFeaturesInfo
from kgen.banks.manifest import content_hash_of, inputs_for_hash


def bank_from_embeddings(
    per_class: list[torch.Tensor],
    *,
    class_names: list[str] | None = None,
    class_ids: list[int] | None = None,
    dataset: str = "toy",
    kind: str = "names",
    clip_model: str = "kgen-tiny-vit",
    texts: list[list[str]] | None = None,
    token_features: list[torch.Tensor] | None = None,
    token_mask: list[torch.Tensor] | None = None,
    normalize: bool = True,
) -> Bank:
    """A bank whose class k holds the rows of ``per_class[k]`` (normalised unless told otherwise)."""
    names = class_names or [f"class {k}" for k in range(len(per_class))]
    ids = class_ids or list(range(len(per_class)))
    texts = texts or [[f"{names[k]} #{j}" for j in range(len(rows))] for k, rows in enumerate(per_class)]
    flat_texts = [t for group in texts for t in group]
    offsets = [0]
    for rows in per_class:
        offsets.append(offsets[-1] + rows.shape[0])
    embeddings = torch.cat(per_class).float()
    if normalize:
        embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
    clip = ClipInfo(
        model_name=clip_model, pretrained="random", weights_source="random(seed=0)", is_random=True,
        text_tower_sha256="0" * 64, embed_dim=int(embeddings.shape[1]), tokenizer="open_clip SimpleTokenizer",
        context_length=77, causal_mask=True,
    )
    encoding = EncodingInfo(dtype="float32", compute_dtype="float32", length_cut=True, truncated_texts=0)
    features = mask = eot = None
    if token_features is not None:
        assert token_mask is not None
        features = torch.cat(token_features).float()
        mask = torch.cat(token_mask).bool()
        eot = mask.long().sum(dim=1) + 1
    inputs = inputs_for_hash(
        dataset=dataset, kind=kind, class_ids=ids, class_names=names, class_offsets=offsets, texts=flat_texts,
        text_types=None, clip=clip, encoding=encoding, with_token_features=features is not None,
    )
    digest = content_hash_of(inputs)
    manifest = BankManifest(
        bank_id=f"{dataset}-{kind}-{clip_model}-{digest[:10]}", content_hash=digest, tensors_sha256="",
        dataset=dataset, kind=kind, class_ids=ids, class_names=names, class_offsets=offsets, texts=flat_texts,
        clip=clip, encoding=encoding,
        token_features=None if features is None else TokenFeaturesInfo(length=int(features.shape[1])),
    )
    return Bank(manifest=manifest, embeddings=embeddings, class_offsets=torch.tensor(offsets), token_features=features,
                token_mask=mask, eot_index=eot)


def saved(bank: Bank, root: Path) -> Path:
    return bank.save(root / bank.bank_id)
