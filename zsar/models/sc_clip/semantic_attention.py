"""SC-CLIP's semantic constrained cross attention (SCCA, §3.3, eq. 5), with a CLIP block's own weights.

``SCA(Q, F, M) = softmax(W_q Q (W_k F)^T / sqrt(d) + M) W_v F``: the semantic-related queries ``Q``
re-enter CLIP's last block, whose self-attention becomes cross attention with the queries as
queries and the second-last layer's output ``F`` as keys and values; the projections are the
block's own ("parameter-invariant"), and the semantic-related mask is added to the attention
logits as a bias. The rest of the block is unchanged: residual, MLP, residual.

The block is open_clip's ``ResidualAttentionBlock``; this module calls its modules (``ln_1``,
``attention``, ``ls_1``, ``ln_2``, ``mlp``, ``ls_2``) and copies none of its code. The key/value
side is normalised with the block's ``ln_1`` (the authors' code: ``key = value = ln_1(x)``).

The bias (the authors' code, which the paper does not detail): ``+mask_bias`` (1.0) where the key
token lies in the query's region of that frame, 0 elsewhere, and ``+mask_bias`` on the class-token
column for every query.
"""

from __future__ import annotations

import torch
from torch import nn


def semantic_cross_attention(
    block: nn.Module, queries: torch.Tensor, context: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``block`` applied with ``queries [N, Q, W]`` attending to ``context [N, L, W]``, ``bias [N, Q, L]`` added."""
    mask = None
    if bias is not None:
        mask = bias.to(queries.dtype).repeat_interleave(block.attn.num_heads, dim=0)  # MHA: [N*heads, Q, L]
    keys = block.ln_1(context)
    x = queries + block.ls_1(block.attention(q_x=block.ln_1(queries), k_x=keys, v_x=keys, attn_mask=mask))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


def region_bias(masks: torch.Tensor, num_frames: int, strength: float = 1.0) -> torch.Tensor:
    """Per-frame attention bias from region masks.

    ``masks [B, Q, T*HW]`` bool -> ``[B*T, Q, 1 + HW]``: ``strength`` where the frame's patch token
    is in the query's region, and on the class-token column; 0 elsewhere.
    """
    batch, queries, tokens = masks.shape
    per_frame = masks.view(batch, queries, num_frames, tokens // num_frames).permute(0, 2, 1, 3)
    cls_column = torch.ones(batch, num_frames, queries, 1, dtype=torch.bool, device=masks.device)
    bias = torch.cat([cls_column, per_frame], dim=3).float() * strength
    return bias.reshape(batch * num_frames, queries, 1 + tokens // num_frames)
