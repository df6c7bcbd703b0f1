"""Video-text similarities: the mean-pooled cosine of ViFi-CLIP and the frame/prompt late interaction.

``late_interaction`` is AP-CLIP's multi-modal action knowledge alignment, eq. (3)-(6), and
STDD's frame/prompt alignment (the same computation): with ``s[b, c, t, n]`` the cosine of
frame ``t`` of video ``b`` and prompt ``n`` of class ``c``,

* video-to-class (eq. 3-4): ``sim_v2t = mean_t max_n s``;
* class-to-video (eq. 5): ``sim_t2v = mean_n max_t s``;
* eq. (6): ``sim = (sim_v2t + sim_t2v) / 2``.

Classes have a ragged number of prompts: ``prompts`` is padded to the largest class and
``prompt_mask`` marks the real ones; padding never wins a max and never enters a mean.
With one prompt the result is ``(mean_t s + max_t s) / 2``; with one frame it is
``(max_n s + mean_n s) / 2``; with one of each, the cosine.

**Precision.** Every similarity here is computed in float32 with autocast switched off, whatever
the caller's autocast: the embeddings may arrive in bf16, but the normalisation, the cosines and
everything after them are fp32 (:func:`fp32_scores`). In bf16 a 400-class row of logits of
scale 100 keeps only a few dozen distinct values (8 bits of mantissa), which ties close classes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F


@contextlib.contextmanager
def fp32_scores(*tensors: torch.Tensor) -> Iterator[None]:
    """Switch autocast off on the device of ``tensors`` (callers then cast their inputs to float32)."""
    device = next((t.device.type for t in tensors if isinstance(t, torch.Tensor)), "cpu")
    with torch.autocast(device_type=device, enabled=False):
        yield


def cosine_logits(embeddings: torch.Tensor, classifier: torch.Tensor, scale: torch.Tensor | float) -> torch.Tensor:
    """``scale * cos(embeddings[..., :], classifier[c])`` over the last dimension, in float32: ``[..., C]``."""
    with fp32_scores(embeddings):
        return scale * (F.normalize(embeddings.float(), dim=-1) @ F.normalize(classifier.float(), dim=-1).t())


def mean_pooled_cosine(frames: torch.Tensor, classifier: torch.Tensor) -> torch.Tensor:
    """ViFi-CLIP's score: cosine of the mean frame embedding and each class vector.

    ``frames`` ``[B, T, D]`` (not necessarily normalised: ViFi-CLIP averages the raw frame
    embeddings, then normalises), ``classifier`` ``[C, D]`` -> ``[B, C]``.
    """
    with fp32_scores(frames):
        video = F.normalize(frames.float().mean(dim=1), dim=-1)
        return video @ F.normalize(classifier.float(), dim=-1).t()


def late_interaction_parts(
    frames: torch.Tensor,
    prompts: torch.Tensor,
    prompt_mask: torch.Tensor | None = None,
    *,
    normalize: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sim_v2t, sim_t2v)``, each ``[B, C]`` (eq. 4 and eq. 5).

    ``frames`` ``[B, T, D]``, ``prompts`` ``[C, N, D]``, ``prompt_mask`` ``[C, N]`` (True for real
    prompts; ``None``: all real). With ``normalize`` both sides are L2-normalised first (the
    paper's v and c are normalised embeddings).
    """
    if frames.ndim != 3 or prompts.ndim != 3 or frames.shape[-1] != prompts.shape[-1]:
        raise ValueError(f"expected frames [B,T,D] and prompts [C,N,D], got {tuple(frames.shape)} and {tuple(prompts.shape)}")
    with fp32_scores(frames):
        return _late_interaction_parts(frames.float(), prompts.float(), prompt_mask, normalize)


def _late_interaction_parts(
    frames: torch.Tensor, prompts: torch.Tensor, prompt_mask: torch.Tensor | None, normalize: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    if normalize:
        frames = F.normalize(frames, dim=-1)
        prompts = F.normalize(prompts, dim=-1)
    batch, num_frames, dim = frames.shape
    num_classes, width, _ = prompts.shape
    # One matmul for every (frame, prompt) pair: [B*T, D] x [D, C*N] -> [B, T, C, N].
    scores = (frames.reshape(batch * num_frames, dim) @ prompts.reshape(num_classes * width, dim).t()).view(
        batch, num_frames, num_classes, width
    )
    if prompt_mask is None:
        v2t = scores.amax(dim=3).mean(dim=1)
        t2v = scores.amax(dim=1).mean(dim=2)
        return v2t, t2v
    mask = prompt_mask.to(device=scores.device, dtype=torch.bool)
    if mask.shape != (num_classes, width):
        raise ValueError(f"prompt_mask has shape {tuple(mask.shape)}, expected {(num_classes, width)}")
    counts = mask.sum(dim=1)
    if bool((counts == 0).any()):
        raise ValueError("every class needs at least one prompt (a row of prompt_mask is all False)")
    # eq. (3)-(4): best prompt per frame (padding can never be the max), averaged over frames.
    v2t = scores.masked_fill(~mask, float("-inf")).amax(dim=3).mean(dim=1)
    # eq. (5): best frame per prompt, averaged over the class's real prompts.
    best_frame = scores.amax(dim=1)  # [B, C, N]
    t2v = (best_frame * mask).sum(dim=2) / counts.to(best_frame.dtype)
    return v2t, t2v


def late_interaction(
    frames: torch.Tensor,
    prompts: torch.Tensor,
    prompt_mask: torch.Tensor | None = None,
    *,
    normalize: bool = True,
) -> torch.Tensor:
    """Eq. (6): ``(sim_v2t + sim_t2v) / 2``, ``[B, C]``; see :func:`late_interaction_parts`."""
    v2t, t2v = late_interaction_parts(frames, prompts, prompt_mask, normalize=normalize)
    return 0.5 * (v2t + t2v)


def best_prompt_per_frame(
    frames: torch.Tensor, prompts: torch.Tensor, prompt_mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """For interpretation (AP-CLIP §4.4): per frame and class, the best prompt and its cosine.

    Returns ``(index [B, T, C], cosine [B, T, C])``; the index is into the class's prompts.
    """
    frames = F.normalize(frames, dim=-1)
    prompts = F.normalize(prompts, dim=-1).to(frames.dtype)
    scores = torch.einsum("btd,cnd->btcn", frames, prompts)
    if prompt_mask is not None:
        scores = scores.masked_fill(~prompt_mask.to(device=scores.device, dtype=torch.bool), float("-inf"))
    best, index = scores.max(dim=3)
    return index, best
