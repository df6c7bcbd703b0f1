"""Kim et al.'s spatial-temporal interaction (STI) of frames with description-attribute words, eq. (6)-(10).

Notation (§3.3): a video has ``T`` frames; frame ``t`` has a pooled embedding ``v^t`` (the class
token after ``ln_post`` and ``proj``, what CLIP's ``encode_image`` gives) and ``N_p`` patch
embeddings ``p^t`` (patch tokens after ``ln_post`` and ``proj``, in the same joint space ``D``).
Class ``c`` has ``N_w`` word-token embeddings ``a_c`` of its attribute sentence "This is a video
about {class; w1; ...; wN}." (the frozen text encoder's per-token outputs after ``ln_final`` and
the text projection), with a mask marking the real word tokens (start, end and padding tokens
excluded).

* eq. (6): ``p~ = ReLU(p W_p)``, ``a~ = ReLU(a W_w)`` (:class:`AttributeProjection`);
* eq. (7): ``S_sp[t] = max_l max_k <p~_k^t, a~_l>`` per frame (:func:`spatial_scores`);
* eq. (8): ``f_sp^t = S_sp[t] v^t``;
* eq. (9): ``S_temp[t] = mean_n softmax_t(<f_sp^t, a~^n> / tau)`` (:func:`temporal_saliency`);
* eq. (10): ``f_st = sum_t S_temp[t] v^t`` (:func:`aggregate_frames`).

Since ``S_sp`` and ``S_temp`` depend on the class's words, the video feature is *class
conditioned*: ``f_st`` is ``[B, C, D]``, one feature per (video, class) pair. That is computed
for every class of the text side, in training as at inference (see :mod:`zsar.models.da_sti.model`).

Choices where the paper is silent (also in ``docs/papers/da-sti.md``):

* Similarities are cosines. In eq. (7) ``p~`` and ``a~`` are L2-normalised before the dot
  product (FILIP's token-wise interaction normalises its tokens), so ``S_sp`` lies in
  ``[0, 1]`` (both are ReLU outputs, hence non-negative). In eq. (9) ``<f_sp^t, a~^n>`` is
  ``S_sp[t] * cos(v^t, a~^n)``: ``v^t`` and ``a~^n`` are normalised (as BIKE's concept spotting
  normalises frames and words), ``S_sp`` is kept as the factor eq. (8) makes it. Normalising
  ``f_sp`` itself would cancel ``S_sp`` (a positive scalar) and make eq. (7)-(8) a no-op.
* ``tau`` of eq. (9) is fixed at 0.01 by default (BIKE's concept-spotting temperature, CLIP's
  1/100); the paper reuses the symbol ``tau`` of eq. (11), which here is CLIP's logit scale.
* Padding words: the word mask excludes start, end and padding tokens; an excluded token never
  wins the max of eq. (7) and never enters the mean over words of eq. (9). (BIKE spots concepts
  with all 77 token outputs and no mask; masking is kgen's choice.)
* Eq. (10) sums the frame embeddings ``v^t`` as written (not ``f_sp^t``): with the temporal
  interaction on, the spatial interaction acts through the saliency of eq. (9). With the
  temporal interaction switched off (Table 4's "spatial only" row) the frames are averaged
  uniformly and ``f_sp`` is what is averaged, so the spatial interaction still shapes the
  feature; with both off the feature is the mean frame embedding (ViFi-CLIP's).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Upper bound on the elements of one patch-word similarity block in eq. (7): classes are processed
# in chunks so that [B*T, N_p, chunk, N_w] stays below it (128 MiB in fp32).
SPATIAL_BLOCK_ELEMENTS = 1 << 25


class AttributeProjection(nn.Module):
    """Eq. (6): ``ReLU(x W)`` with ``W`` ``D x D`` (``W_p`` for patches, ``W_w`` for words).

    The paper gives only the weight; kgen adds a bias and initialises ``W`` to the identity and
    the bias to zero, so that at the start of training ``ReLU(x W)`` keeps the positive part of
    the CLIP embedding: the projected words of eq. (9) then start in the joint space the frame
    embeddings live in (a random ``W`` would make the saliency of eq. (9) noise at step 0).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        with torch.no_grad():
            self.linear.weight.copy_(torch.eye(dim))
            self.linear.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.linear(x))


def spatial_scores(
    patches: torch.Tensor,
    words: torch.Tensor,
    word_mask: torch.Tensor,
    *,
    block_elements: int = SPATIAL_BLOCK_ELEMENTS,
) -> torch.Tensor:
    """Eq. (7): ``S_sp [B, C, T]``, the best patch-word cosine of each frame for each class.

    ``patches`` ``[B, T, N_p, D]`` and ``words`` ``[C, N_w, D]`` are the projected embeddings of
    eq. (6); ``word_mask`` ``[C, N_w]`` is True for real word tokens (masked tokens never win).

    The winning (patch, word) pair is found without gradient, class chunk by class chunk, and
    only its cosine is recomputed with gradient: the value and the gradient are those of the
    max (the gradient of a max flows to its argmax), but the ``[B, T, N_p, C, N_w]`` block of
    similarities is never kept for the backward pass.
    """
    if patches.ndim != 4 or words.ndim != 3 or patches.shape[-1] != words.shape[-1]:
        raise ValueError(f"expected patches [B,T,Np,D] and words [C,Nw,D], got {tuple(patches.shape)} and {tuple(words.shape)}")
    mask = word_mask.to(device=words.device, dtype=torch.bool)
    if mask.shape != words.shape[:2]:
        raise ValueError(f"word_mask has shape {tuple(mask.shape)}, expected {tuple(words.shape[:2])}")
    if bool((mask.sum(dim=1) == 0).any()):
        raise ValueError("every class needs at least one word token (a row of word_mask is all False)")
    batch, frames, num_patches, dim = patches.shape
    num_classes, num_words, _ = words.shape
    p = F.normalize(patches, dim=-1).reshape(batch * frames, num_patches, dim)
    a = F.normalize(words, dim=-1).to(p.dtype)
    chunk = max(1, block_elements // max(1, batch * frames * num_patches * num_words))
    best = torch.empty(batch * frames, num_classes, dtype=torch.long, device=p.device)
    with torch.no_grad():
        flat_p = p.reshape(-1, dim)
        for start in range(0, num_classes, chunk):
            stop = min(num_classes, start + chunk)
            scores = (flat_p @ a[start:stop].reshape(-1, dim).t()).view(batch * frames, num_patches, stop - start, num_words)
            scores.masked_fill_(~mask[start:stop].view(1, 1, stop - start, num_words), float("-inf"))
            # index k * N_w + l of the best (patch k, word l) pair per frame and class
            best[:, start:stop] = scores.permute(0, 2, 1, 3).reshape(batch * frames, stop - start, -1).argmax(dim=-1)
    patch_index, word_index = best // num_words, best % num_words
    rows = torch.arange(batch * frames, device=p.device).unsqueeze(1)
    best_patches = p[rows, patch_index]  # [B*T, C, D]
    best_words = a[torch.arange(num_classes, device=p.device).unsqueeze(0), word_index]  # [B*T, C, D]
    values = (best_patches * best_words).sum(dim=-1)  # [B*T, C]
    return values.view(batch, frames, num_classes).permute(0, 2, 1)


def temporal_saliency(
    frames: torch.Tensor,
    words: torch.Tensor,
    word_mask: torch.Tensor,
    spatial: torch.Tensor | None,
    temperature: float,
) -> torch.Tensor:
    """Eq. (9): ``S_temp [B, C, T]``; each row sums to 1 over the frames.

    ``frames`` ``[B, T, D]`` are the frame embeddings ``v``; ``words`` ``[C, N_w, D]`` the
    projected words ``a~``; ``spatial`` ``[B, C, T]`` the ``S_sp`` of eq. (7) (``None``: no
    spatial interaction, ``f_sp = v``). The logit of frame ``t`` for word ``n`` is
    ``S_sp[t] * cos(v^t, a~^n) / tau``; the softmax runs over frames, the mean over the real words.
    """
    mask = word_mask.to(device=frames.device, dtype=frames.dtype)
    v = F.normalize(frames, dim=-1)
    a = F.normalize(words, dim=-1).to(v.dtype)
    similarity = torch.einsum("btd,cnd->bctn", v, a)  # [B, C, T, N_w]
    if spatial is not None:
        similarity = similarity * spatial.unsqueeze(-1).to(similarity.dtype)
    weights = torch.softmax(similarity.float() / temperature, dim=2)  # over frames
    word_weights = mask / mask.sum(dim=1, keepdim=True)  # [C, N_w]: 1/N_w on real words, 0 on padding
    return torch.einsum("bctn,cn->bct", weights, word_weights.float()).to(frames.dtype)


def aggregate_frames(frames: torch.Tensor, saliency: torch.Tensor) -> torch.Tensor:
    """Eq. (10): ``f_st [B, C, D] = sum_t S_temp[b, c, t] v^t`` (``frames`` ``[B, T, D]``, ``saliency`` ``[B, C, T]``)."""
    return torch.einsum("bct,btd->bcd", saliency.to(frames.dtype), frames)


class SpatioTemporalInteraction(nn.Module):
    """The STI head: eq. (6)-(10) with the ablation switches of Table 4.

    Its parameters are ``W_p`` (only with the spatial interaction) and ``W_w`` (whenever an
    interaction is on); the interaction modules of eq. (7)-(10) have none beyond them in the
    paper's equations.
    """

    def __init__(self, dim: int, *, spatial: bool = True, temporal: bool = True, temperature: float = 0.01) -> None:
        super().__init__()
        self.spatial = spatial
        self.temporal = temporal
        self.temperature = temperature
        self.patch_projection = AttributeProjection(dim) if spatial else None
        self.word_projection = AttributeProjection(dim) if (spatial or temporal) else None

    def forward(
        self,
        frames: torch.Tensor,
        patches: torch.Tensor | None,
        words: torch.Tensor,
        word_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``frames [B, T, D]``, ``patches [B, T, N_p, D]`` (joint space), ``words [C, N_w, D]`` -> ``f_st [B, C, D]``.

        Also returns the intermediate scores (``spatial`` ``[B, C, T]``, ``saliency`` ``[B, C, T]``).
        """
        return self.interact(frames, self.project_patches(patches), words, word_mask)

    def project_patches(self, patches: torch.Tensor | None) -> torch.Tensor | None:
        """Eq. (6) for the patches, ``p~ = ReLU(p W_p)`` (``None`` without the spatial interaction).

        It does not depend on the classes: a caller that scores the classes block by block
        projects the patches once and calls :meth:`interact` per block.
        """
        if self.patch_projection is None:
            return None
        if patches is None:
            raise ValueError("the spatial interaction needs the patch embeddings")
        return self.patch_projection(patches)

    def interact(
        self,
        frames: torch.Tensor,
        projected_patches: torch.Tensor | None,
        words: torch.Tensor,
        word_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """:meth:`forward` with the patches already projected (:meth:`project_patches`)."""
        batch, num_frames, _ = frames.shape
        num_classes = words.shape[0]
        extras: dict[str, torch.Tensor] = {}
        projected_words = self.word_projection(words.to(frames.dtype)) if self.word_projection is not None else None
        spatial = None
        if self.patch_projection is not None:
            if projected_patches is None:
                raise ValueError("the spatial interaction needs the patch embeddings")
            assert projected_words is not None
            spatial = spatial_scores(projected_patches, projected_words, word_mask)  # eq. (6)-(7)
            extras["spatial"] = spatial
        if self.temporal:
            assert projected_words is not None
            saliency = temporal_saliency(frames, projected_words, word_mask, spatial, self.temperature)  # eq. (8)-(9)
            extras["saliency"] = saliency
            return aggregate_frames(frames, saliency), extras  # eq. (10)
        uniform = frames.new_full((batch, num_classes, num_frames), 1.0 / num_frames)
        if spatial is None:
            return aggregate_frames(frames, uniform), extras  # no interaction: the mean frame
        # Spatial only: the mean over time of f_sp^t = S_sp[t] v^t (eq. 8).
        return aggregate_frames(frames, uniform * spatial.to(frames.dtype)), extras
