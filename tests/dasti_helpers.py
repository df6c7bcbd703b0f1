"""Attribute banks for the DA-STI tests: the tiny CLIP's per-token features of attribute sentences."""

from __future__ import annotations

import torch
from bank_helpers import bank_from_embeddings
from zsar_helpers import TINY, tiny_clip

from kgen.banks import Bank


def attribute_sentence(class_name: str, keywords: list[str]) -> str:
    """Kim et al. §3.2: "This is a video about {class; w1; ...; wN}." (N = 0: the class alone)."""
    return f"This is a video about {'; '.join([class_name, *keywords])}."


def encode_tokens(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The tiny CLIP's ``(pooled [P, D], tokens [P, L, D], content mask [P, L])`` for ``texts``.

    Tokens are the text transformer's outputs after ``ln_final`` and the text projection (as an
    attributes bank stores them); the mask marks the tokens between the start and end tokens.
    """
    model = tiny_clip().model
    ids = tiny_clip().tokenizer(texts)
    with torch.no_grad():
        x = model.token_embedding(ids) + model.positional_embedding
        x = model.ln_final(model.transformer(x, attn_mask=model.attn_mask))
        tokens = x @ model.text_projection
        pooled = model.encode_text(ids)
    eot = ids.argmax(dim=-1)  # the end token has the largest id
    positions = torch.arange(ids.shape[1]).unsqueeze(0)
    mask = (positions > 0) & (positions < eot.unsqueeze(1))
    length = int(eot.max()) + 1
    return pooled.float(), tokens[:, :length].float(), mask[:, :length]


def attributes_bank(class_names: list[str], keywords: dict[str, list[str]] | None = None, *, dataset: str = "toy") -> Bank:
    """One attribute sentence per class, encoded by the tiny CLIP with per-token features."""
    keywords = keywords or {}
    texts = [attribute_sentence(name, keywords.get(name, [])) for name in class_names]
    pooled, tokens, mask = encode_tokens(texts)
    return bank_from_embeddings(
        [pooled[k : k + 1] for k in range(len(texts))],
        class_names=class_names,
        dataset=dataset,
        kind="attributes",
        clip_model=TINY,
        texts=[[t] for t in texts],
        token_features=[tokens[k : k + 1] for k in range(len(texts))],
        token_mask=[mask[k : k + 1] for k in range(len(texts))],
    )
