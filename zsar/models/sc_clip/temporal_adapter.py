"""SC-CLIP's adapter: a transformer block whose attention looks at frames ``t-2..t+2`` (§3.2).

§3.2: "an adapter with a novel self-attention mechanism, SA = softmax(Q K_{(t-2)~(t+2)}^T / sqrt(d))
V_{(t-2)~(t+2)}": the queries of frame ``t`` attend to the keys and values of the tokens of frames
``t-2 .. t+2``. The authors' adapter is a full pre-LN transformer block (attention + 4x MLP, the
tower's activation), randomly initialised (Table 6: "TF" adapters).

:class:`LocalTemporalAdapter` is open_clip's ``ResidualAttentionBlock`` (built fresh, so its
layout and state-dict names are open_clip's) with its attention step replaced: the block's own
``nn.MultiheadAttention`` projections are applied to every frame, the keys and values of the
neighbouring frames are concatenated along the token axis, and attention runs per frame.

Frames past either end of the clip (``t-2 < 0`` or ``t+2 >= T``):

* ``border="zeros"`` (default, the authors' code): their keys and values are zero vectors *after*
  the projection and are not masked, so each missing frame's ``L`` slots still take softmax weight
  ``exp(0)`` and contribute nothing;
* ``border="mask"``: they are left out of the softmax. With one frame (``T = 1``) the block is
  then exactly an ordinary self-attention block (tested).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from open_clip.transformer import ResidualAttentionBlock
from torch import nn

Border = Literal["zeros", "mask"]


def shifted_frames(x: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, T, ...]`` -> ``([B, T, 2r+1, ...]`` frames ``t-r..t+r`` (zeros past the ends), ``[T, 2r+1]`` bool present).``"""
    frames = x.shape[1]
    pieces = []
    present = []
    for offset in range(-radius, radius + 1):
        shifted = torch.zeros_like(x)
        lo, hi = max(0, -offset), min(frames, frames - offset)
        if lo < hi:
            shifted[:, lo:hi] = x[:, lo + offset : hi + offset]
        pieces.append(shifted)
        index = torch.arange(frames, device=x.device) + offset
        present.append((index >= 0) & (index < frames))
    return torch.stack(pieces, dim=2), torch.stack(present, dim=1)


def local_temporal_attention(
    attn: nn.MultiheadAttention, x: torch.Tensor, num_frames: int, *, radius: int = 2, border: Border = "zeros"
) -> torch.Tensor:
    """Attention of frame ``t``'s tokens over frames ``t-radius..t+radius``, with ``attn``'s own weights.

    ``x`` is ``[B*T, L, W]`` (the frames of a clip in consecutive rows, already layer-normed).
    """
    if not attn._qkv_same_embed_dim or not attn.batch_first:
        raise ValueError("the adapter needs a batch-first nn.MultiheadAttention with one packed qkv projection")
    rows, length, width = x.shape
    batch = rows // num_frames
    heads = attn.num_heads
    q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    k_context, present = shifted_frames(k.view(batch, num_frames, length, width), radius)
    v_context, _ = shifted_frames(v.view(batch, num_frames, length, width), radius)
    span = 2 * radius + 1

    def heads_first(t: torch.Tensor, tokens: int) -> torch.Tensor:
        return t.reshape(rows, tokens, heads, width // heads).transpose(1, 2)

    q = heads_first(q, length)
    k_context = heads_first(k_context.reshape(rows, span * length, width), span * length)
    v_context = heads_first(v_context.reshape(rows, span * length, width), span * length)
    mask = None
    if border == "mask":
        keep = present.repeat_interleave(length, dim=1)  # [T, span*L]
        mask = keep.repeat(batch, 1).view(rows, 1, 1, span * length)
    out = F.scaled_dot_product_attention(q, k_context, v_context, attn_mask=mask)
    out = out.transpose(1, 2).reshape(rows, length, width)
    return attn.out_proj(out)


class LocalTemporalAdapter(ResidualAttentionBlock):
    """A pre-LN transformer block (open_clip's) whose attention spans frames ``t-radius..t+radius``."""

    def __init__(
        self,
        width: int,
        heads: int,
        *,
        act_layer: type[nn.Module] = nn.GELU,
        norm_layer: type[nn.Module] = nn.LayerNorm,
        radius: int = 2,
        border: Border = "zeros",
    ) -> None:
        super().__init__(width, heads, mlp_ratio=4.0, act_layer=act_layer, norm_layer=norm_layer)
        self.radius = radius
        self.border: Border = border

    def forward(self, x: torch.Tensor, *, num_frames: int) -> torch.Tensor:  # type: ignore[override]
        """``[B*T, L, W]`` -> ``[B*T, L, W]``."""
        attended = local_temporal_attention(self.attn, self.ln_1(x), num_frames, radius=self.radius, border=self.border)
        x = x + self.ls_1(attended)
        return x + self.ls_2(self.mlp(self.ln_2(x)))
