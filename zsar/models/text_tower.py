"""CLIP's text tower as a trainable part of a video model (``model.text_tower: tuned``).

By default a video model never runs a text encoder: the class texts were encoded once into a
bank. ViFi-CLIP's default (``TRAINER.ViFi_CLIP.USE: both``), and AP-CLIP, which fine-tunes "as
outlined in ViFi-CLIP", also fine-tune the text tower. With ``model.text_tower: tuned`` the model
holds open_clip's text modules (:class:`TextTower`) and the class texts come from the bank's
manifest (``bank.texts``: the exact strings the bank encoded, templates applied), so the same bank
serves both ways and its CLIP name says which tower to start from.

What trains: the positional embedding, the transformer, ``ln_final`` and the text projection. The
token embedding stays frozen: ViFi-CLIP computes the token embeddings of its prompts once under
``no_grad`` and keeps them as a buffer, so its token embedding never trains either.

How the texts are re-encoded (:class:`zsar.engine.train.Trainer`): at an optimizer step ``s`` with
``s % model.text_update_every == 0`` every class text of the training label space is encoded
without gradient, the embeddings ``E`` enter every micro-batch's forward as a leaf that collects
``dL/dE``, and after the micro-batches the tower is run again with gradient, chunk by chunk, and
back-propagated with the collected ``dL/dE`` (the gradient a per-micro-batch re-encoding gives,
since the weights do not change within a step, at the memory of one chunk). On the other steps
the last ``E`` is reused and the tower gets no gradient. ``text_update_every: 1`` is ViFi-CLIP's
behaviour (its forward encodes every class text each iteration).

At evaluation the model encodes the evaluation bank's texts with its own tower (once per list);
the bank's vectors are not used.

Code reuse: the modules are open_clip's own (found by :func:`kgen.banks.encoder.tower_parts`), held
here by reference and called in open_clip's order; nothing of open_clip is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from kgen.banks.encoder import tower_parts
from kgen.clip import LoadedClip
from kgen.errors import InputError

DEFAULT_CHUNK = 256  # texts encoded at once with gradient (memory only; results do not depend on it)


@dataclass(frozen=True)
class TextTokens:
    """Tokenized texts: ids ``[P, L]`` and the position the pooled output is read at ``[P]``."""

    ids: torch.Tensor
    end_index: torch.Tensor

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def to(self, device: torch.device | str) -> TextTokens:
        return TextTokens(self.ids.to(device), self.end_index.to(device))


class TextTower(nn.Module):
    """open_clip's text transformer pooled at the end token, with gradient (see the module docstring)."""

    def __init__(self, clip: LoadedClip) -> None:
        super().__init__()
        parts = tower_parts(clip.model)
        if parts is None or not parts.causal or parts.pool_type not in ("argmax", "eos"):
            raise InputError(
                f"{clip.model_name}'s text tower is not an open_clip causal text transformer pooled at its end token",
                hint="fine-tune the text side only with CLIP architectures (ViT-B-16, ViT-L-14...), or keep "
                "model.text_tower=frozen",
            )
        self.token_embedding = parts.token_embedding
        self.positional_embedding = parts.positional_embedding
        self.transformer = parts.transformer
        self.ln_final = parts.ln_final
        projection = parts.text_projection
        if isinstance(projection, nn.Parameter):
            self.text_projection = projection
        elif isinstance(projection, nn.Module):
            self.projection_layer = projection
            self.text_projection = None
        else:
            self.text_projection = None
        self.register_buffer("attn_mask", parts.attn_mask.detach().clone(), persistent=False)
        self.pool_type = parts.pool_type
        self.eos_id = parts.eos_id
        self.tokenizer = clip.tokenizer
        self.context_length = clip.context_length
        self.model_name = clip.model_name
        self.token_embedding.requires_grad_(False)  # ViFi-CLIP: token embeddings are a fixed buffer

    # ------------------------------------------------------------------ tokens
    def tokenize(self, texts: list[str]) -> TextTokens:
        if not texts:
            raise InputError("there are no class texts to encode")
        ids = self.tokenizer(list(texts), context_length=self.context_length).long()
        if self.pool_type == "eos" and self.eos_id is not None:
            end = (ids == self.eos_id).int().argmax(dim=-1).long()
        else:
            end = ids.argmax(dim=-1).long()  # the end token has the largest id
        return TextTokens(ids, end)

    # ------------------------------------------------------------------ encoding
    def forward(self, ids: torch.Tensor, end_index: torch.Tensor) -> torch.Tensor:
        """``[P, L]`` token ids -> ``[P, D]`` L2-normalised embeddings (float32).

        The batch is cut to its longest text: under the causal mask the output at the end token
        depends only on the tokens before it, so the cut changes no number.
        """
        length = int(end_index.max()) + 1
        ids = ids[:, :length]
        cast = self.transformer.get_cast_dtype()
        x = self.token_embedding(ids).to(cast) + self.positional_embedding[:length].to(cast)
        x = self.transformer(x, attn_mask=self.attn_mask[:length, :length])
        x = self.ln_final(x)
        pooled = x[torch.arange(x.shape[0], device=x.device), end_index]
        if self.text_projection is not None:
            pooled = pooled @ self.text_projection
        elif hasattr(self, "projection_layer"):
            pooled = self.projection_layer(pooled)
        return F.normalize(pooled.float(), dim=-1)

    def encode(self, tokens: TextTokens, *, chunk: int = DEFAULT_CHUNK) -> torch.Tensor:
        """Every text's embedding ``[P, D]``, without gradient, in chunks."""
        device = self.positional_embedding.device
        with torch.no_grad():
            parts = [
                self(tokens.ids[i : i + chunk].to(device), tokens.end_index[i : i + chunk].to(device))
                for i in range(0, len(tokens), chunk)
            ]
        return torch.cat(parts)

    def backward_from(self, tokens: TextTokens, grad: torch.Tensor, *, chunk: int = DEFAULT_CHUNK) -> None:
        """Accumulate into the tower's parameters the gradient of ``sum(E * grad)`` (``E``: the texts' embeddings).

        Run chunk by chunk: each chunk's graph is freed before the next one is built.
        """
        device = self.positional_embedding.device
        for i in range(0, len(tokens), chunk):
            rows = grad[i : i + chunk]
            if not bool(rows.any()):
                continue
            embedded = self(tokens.ids[i : i + chunk].to(device), tokens.end_index[i : i + chunk].to(device))
            (embedded * rows.to(embedded.dtype)).sum().backward()
