"""Batch-level symmetric video-class cross-entropy with same-class positives (Kim et al. eq. 11-13).

Within a batch of ``B`` clips with labels ``y``, item ``i`` contributes its video feature
``f_st,i`` and its class's text embedding ``z_{c_i}``; ``K(i) = {k : c_k = c_i}`` are the items of
the same class (``i`` included). With ``M[i, j] = s(z_{c_i}, f_st,j) / tau`` (text of item ``i``
against video ``j``):

* eq. (11) ``L_V2C = -1/B sum_i 1/|K(i)| sum_{k in K(i)} log softmax_j(M[i, :])[k]``
  (each class text picks its videos among the batch's videos);
* eq. (12) ``L_C2V = -1/B sum_i 1/|K(i)| sum_{k in K(i)} log softmax_j(M[:, i])[k]``
  (each video picks its class text among the batch's ``B`` texts, repeated classes included,
  as the sum over ``j`` in the denominator runs over the batch items);
* eq. (13) ``L = (L_V2C + L_C2V) / 2``.

This is BIKE's and ActionCLIP's scheme (their KL against ``softmax(label * 10)`` gives the same
uniform target over ``K(i)``), written exactly as the paper's equations.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def batch_text_video_logits(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``M [B, B]`` with ``M[i, j]`` = logit of video ``j`` for the class of item ``i``.

    ``class_logits`` ``[B, C]`` holds ``s(z_c, f_st,j) / tau`` for every video ``j`` and class ``c``
    (for DA-STI, the video feature conditioned on class ``c``'s words).
    """
    return class_logits[:, labels].t()


def symmetric_class_video_loss(
    class_logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor | None = None
) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (13) over the valid items of the batch; returns the loss and its two halves (eq. 11, 12)."""
    if valid is not None:
        keep = valid.to(torch.bool)
        if not bool(keep.any()):
            # No valid clip: a zero that still depends on every output (distributed training keeps
            # its gradient synchronisation in step).
            zero = class_logits.float().sum() * 0.0
            return zero, {"v2c": 0.0, "c2v": 0.0}
        class_logits, labels = class_logits[keep], labels[keep]
    text_video = batch_text_video_logits(class_logits.float(), labels)  # [B texts, B videos]
    positives = (labels.unsqueeze(0) == labels.unsqueeze(1)).to(text_video.dtype)  # [B, B], symmetric
    weights = positives / positives.sum(dim=1, keepdim=True)  # 1/|K(i)| on K(i)
    # eq. (11): row i = class text of item i, softmax over the videos j.
    v2c = -(weights * F.log_softmax(text_video, dim=1)).sum(dim=1).mean()
    # eq. (12): row i = video i, softmax over the texts j of the batch items.
    c2v = -(weights * F.log_softmax(text_video.t(), dim=1)).sum(dim=1).mean()
    loss = 0.5 * (v2c + c2v)
    return loss, {"v2c": float(v2c.detach()), "c2v": float(c2v.detach())}
