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

**Large label sets.** Every score here is computed a block of classes at a time
(:mod:`zsar.models.class_chunks`): the ``[B, T, C, N]`` block of cosines never exists for all classes
at once, nor does a normalised copy of all prompts. The prompts can come as a padded tensor or
as a :class:`ClassPrompts` source that hands out one block of classes at a time (a
:class:`~zsar.models.textside.TextSide` pads each block from the bank's rows only when it is scored).
The scores are the same as without blocks.

**Precision.** Every similarity here is computed in float32 with autocast switched off, whatever
the caller's autocast: the embeddings may arrive in bf16, but the normalisation, the cosines and
everything after them are fp32 (:func:`fp32_scores`). In bf16 a 400-class row of logits of
scale 100 keeps only a few dozen distinct values (8 bits of mantissa), which ties close classes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F

from zsar.models.class_chunks import needs_grad, over_class_chunks


@contextlib.contextmanager
def fp32_scores(*tensors: torch.Tensor) -> Iterator[None]:
    """Switch autocast off on the device of ``tensors`` (callers then cast their inputs to float32)."""
    device = next((t.device.type for t in tensors if isinstance(t, torch.Tensor)), "cpu")
    with torch.autocast(device_type=device, enabled=False):
        yield


@runtime_checkable
class ClassPrompts(Protocol):
    """Each class's prompts, handed out a block of classes at a time."""

    @property
    def num_classes(self) -> int: ...

    @property
    def width(self) -> int:
        """``N``: the prompts of the largest class (every block is padded to it)."""
        ...

    @property
    def requires_grad(self) -> bool:
        """Whether the prompts are differentiated (re-encoded by a tuned text tower, or a test's leaf)."""
        ...

    def block(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``([stop-start, N, D] prompts, [stop-start, N] bool mask or None: all real)``."""
        ...


@dataclass(frozen=True)
class PaddedPrompts:
    """A :class:`ClassPrompts` over a padded ``[C, N, D]`` tensor and its ``[C, N]`` mask."""

    prompts: torch.Tensor
    mask: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.prompts.ndim != 3:
            raise ValueError(f"expected prompts [C,N,D], got {tuple(self.prompts.shape)}")
        if self.mask is not None and tuple(self.mask.shape) != tuple(self.prompts.shape[:2]):
            raise ValueError(f"prompt_mask has shape {tuple(self.mask.shape)}, expected {tuple(self.prompts.shape[:2])}")

    @property
    def num_classes(self) -> int:
        return int(self.prompts.shape[0])

    @property
    def width(self) -> int:
        return int(self.prompts.shape[1])

    @property
    def requires_grad(self) -> bool:
        return self.prompts.requires_grad

    def block(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.prompts[start:stop], None if self.mask is None else self.mask[start:stop]


def as_class_prompts(prompts: torch.Tensor | ClassPrompts, prompt_mask: torch.Tensor | None = None) -> ClassPrompts:
    """A padded tensor (and mask) as a :class:`ClassPrompts`; a source is returned as it is."""
    if isinstance(prompts, torch.Tensor):
        return PaddedPrompts(prompts, prompt_mask)
    if prompt_mask is not None:
        raise ValueError("a prompt source carries its own mask")
    return prompts


def _class_blocks(
    score: Callable[[int, int], Sequence[torch.Tensor]],
    num_classes: int,
    elements_per_class: int,
    dims: tuple[int, ...],
    *inputs: torch.Tensor | None,
) -> list[torch.Tensor]:
    """``score`` over blocks of classes sized by the budget (:mod:`zsar.models.class_chunks`); ``inputs``: what may need gradients."""
    return over_class_chunks(score, num_classes, elements_per_class, dims, with_grad=needs_grad(*inputs))


def cosine_logits(embeddings: torch.Tensor, classifier: torch.Tensor, scale: torch.Tensor | float) -> torch.Tensor:
    """``scale * cos(embeddings[..., :], classifier[c])`` over the last dimension, in float32: ``[..., C]``."""
    with fp32_scores(embeddings):
        queries = F.normalize(embeddings.float(), dim=-1)
        rows = math.prod(queries.shape[:-1])

        def block(start: int, stop: int) -> tuple[torch.Tensor]:
            return (queries @ F.normalize(classifier[start:stop].float(), dim=-1).t(),)

        (cosines,) = _class_blocks(block, classifier.shape[0], 2 * classifier.shape[-1] + rows, (-1,), embeddings, classifier)
        return scale * cosines


def mean_pooled_cosine(frames: torch.Tensor, classifier: torch.Tensor) -> torch.Tensor:
    """ViFi-CLIP's score: cosine of the mean frame embedding and each class vector.

    ``frames`` ``[B, T, D]`` (not necessarily normalised: ViFi-CLIP averages the raw frame
    embeddings, then normalises), ``classifier`` ``[C, D]`` -> ``[B, C]``.
    """
    with fp32_scores(frames):
        video = F.normalize(frames.float().mean(dim=1), dim=-1)

        def block(start: int, stop: int) -> tuple[torch.Tensor]:
            return (video @ F.normalize(classifier[start:stop].float(), dim=-1).t(),)

        (cosines,) = _class_blocks(
            block, classifier.shape[0], 2 * classifier.shape[-1] + video.shape[0], (-1,), frames, classifier
        )
        return cosines


def late_interaction_parts(
    frames: torch.Tensor,
    prompts: torch.Tensor | ClassPrompts,
    prompt_mask: torch.Tensor | None = None,
    *,
    normalize: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sim_v2t, sim_t2v)``, each ``[B, C]`` (eq. 4 and eq. 5).

    ``frames`` ``[B, T, D]``; ``prompts`` ``[C, N, D]`` with ``prompt_mask`` ``[C, N]`` (True for
    real prompts; ``None``: all real), or a :class:`ClassPrompts` source. With ``normalize`` both
    sides are L2-normalised first (the paper's v and c are normalised embeddings). Computed a
    block of classes at a time (module docstring).
    """
    source = as_class_prompts(prompts, prompt_mask)
    if frames.ndim != 3:
        raise ValueError(f"expected frames [B,T,D], got {tuple(frames.shape)}")
    batch, num_frames, dim = frames.shape
    width = source.width
    with fp32_scores(frames):
        frames = frames.float()
        if normalize:
            frames = F.normalize(frames, dim=-1)
        flat = frames.reshape(batch * num_frames, dim)

        def block(start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
            block_prompts, block_mask = source.block(start, stop)
            if block_prompts.ndim != 3 or block_prompts.shape[-1] != dim:
                raise ValueError(
                    f"expected frames [B,T,D] and prompts [C,N,D], got {tuple(frames.shape)} and {tuple(block_prompts.shape)}"
                )
            return _late_interaction_block(flat, batch, block_prompts.float(), block_mask, normalize)

        # Per class: the [B, T, N] cosines and their masked copy, the prompts and their normalised copy.
        v2t, t2v = over_class_chunks(
            block, source.num_classes, width * (2 * batch * num_frames + 2 * dim), (1, 1),
            with_grad=needs_grad(frames) or (torch.is_grad_enabled() and source.requires_grad),
        )
        return v2t, t2v


def _late_interaction_block(
    flat_frames: torch.Tensor, batch: int, prompts: torch.Tensor, prompt_mask: torch.Tensor | None, normalize: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. (4)-(5) for one block of classes: ``flat_frames`` ``[B*T, D]`` (already normalised when asked)."""
    if normalize:
        prompts = F.normalize(prompts, dim=-1)
    num_frames = flat_frames.shape[0] // batch
    num_classes, width, dim = prompts.shape
    # One matmul for every (frame, prompt) pair: [B*T, D] x [D, c*N] -> [B, T, c, N].
    scores = (flat_frames @ prompts.reshape(num_classes * width, dim).t()).view(batch, num_frames, num_classes, width)
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
    best_frame = scores.amax(dim=1)  # [B, c, N]
    t2v = (best_frame * mask).sum(dim=2) / counts.to(best_frame.dtype)
    return v2t, t2v


def late_interaction(
    frames: torch.Tensor,
    prompts: torch.Tensor | ClassPrompts,
    prompt_mask: torch.Tensor | None = None,
    *,
    normalize: bool = True,
) -> torch.Tensor:
    """Eq. (6): ``(sim_v2t + sim_t2v) / 2``, ``[B, C]``; see :func:`late_interaction_parts`."""
    v2t, t2v = late_interaction_parts(frames, prompts, prompt_mask, normalize=normalize)
    return 0.5 * (v2t + t2v)


def best_prompt_per_frame(
    frames: torch.Tensor, prompts: torch.Tensor | ClassPrompts, prompt_mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """For interpretation (AP-CLIP §4.4): per frame and class, the best prompt and its cosine.

    Returns ``(index [B, T, C], cosine [B, T, C])``; the index is into the class's prompts.
    """
    source = as_class_prompts(prompts, prompt_mask)
    frames = F.normalize(frames, dim=-1)
    batch, num_frames, _ = frames.shape

    def block(start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        block_prompts, block_mask = source.block(start, stop)
        scores = torch.einsum("btd,cnd->btcn", frames, F.normalize(block_prompts, dim=-1).to(frames.dtype))
        if block_mask is not None:
            scores = scores.masked_fill(~block_mask.to(device=scores.device, dtype=torch.bool), float("-inf"))
        best, index = scores.max(dim=3)
        return index, best

    index, best = over_class_chunks(
        block, source.num_classes, source.width * (batch * num_frames + frames.shape[-1]), (2, 2),
        with_grad=needs_grad(frames) or (torch.is_grad_enabled() and source.requires_grad),
    )
    return index, best
