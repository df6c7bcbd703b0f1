"""Soft targets for training: label smoothing, and mixup / cutmix of whole clips (ViFi-CLIP's recipe).

ViFi-CLIP trains with ``MIXUP 0.8``, ``CUTMIX 1.0``, ``MIXUP_SWITCH_PROB 0.5`` and
``LABEL_SMOOTH 0.1`` (its config defaults, used by every ViFi-CLIP fine-tuning config). Per
batch: with probability ``switch_prob`` cutmix (``lam ~ Beta(cutmix_alpha, cutmix_alpha)``, one
box for every frame of a clip, ``lam`` corrected to the box's real area), otherwise mixup
(``lam ~ Beta(mixup_alpha, mixup_alpha)``); each clip is mixed with the clip at the mirrored
position of the batch (``batch.flip(0)``) and the smoothed one-hot targets are mixed with the
same ``lam``. A mixed clip is valid only if both of its sources are.

The pairs are formed within each process's micro-batch, as in ViFi-CLIP (which mixes each GPU's
batch). Draws come from a generator seeded per optimizer step, so a resumed run mixes exactly
as an uninterrupted one.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def smooth_one_hot(labels: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """``[B]`` labels -> ``[B, C]`` targets: ``1 - smoothing + smoothing / C`` on the label, ``smoothing / C`` elsewhere."""
    off = smoothing / num_classes
    targets = torch.full((labels.shape[0], num_classes), off, device=labels.device, dtype=torch.float32)
    targets.scatter_(1, labels.unsqueeze(1), 1.0 - smoothing + off)
    return targets


class ClipMixer:
    """Mixup / cutmix of a batch of clips with soft targets (see the module docstring)."""

    def __init__(self, *, mixup_alpha: float, cutmix_alpha: float, switch_prob: float = 0.5) -> None:
        self.mixup_alpha = mixup_alpha
        self.cutmix_alpha = cutmix_alpha
        self.switch_prob = switch_prob

    @property
    def active(self) -> bool:
        return self.mixup_alpha > 0 or self.cutmix_alpha > 0

    def __call__(
        self, video: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``video [B, T, 3, H, W]``, ``targets [B, C]``, ``valid [B]`` -> the mixed three."""
        if not self.active or video.shape[0] < 2:
            return video, targets, valid
        use_cutmix = self.cutmix_alpha > 0 and (self.mixup_alpha <= 0 or rng.random() < self.switch_prob)
        if use_cutmix:
            lam = float(rng.beta(self.cutmix_alpha, self.cutmix_alpha))
            height, width = video.shape[-2:]
            top, bottom, left, right = _box(height, width, lam, rng)
            mixed = video.clone()
            mixed[..., top:bottom, left:right] = video.flip(0)[..., top:bottom, left:right]
            lam = 1.0 - (bottom - top) * (right - left) / float(height * width)
        else:
            lam = float(rng.beta(self.mixup_alpha, self.mixup_alpha))
            mixed = video * lam + video.flip(0) * (1.0 - lam)
        return mixed, targets * lam + targets.flip(0) * (1.0 - lam), valid & valid.flip(0)


def _box(height: int, width: int, lam: float, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A box covering about ``1 - lam`` of the frame, centred uniformly, clipped to the frame."""
    ratio = math.sqrt(1.0 - lam)
    box_h, box_w = int(height * ratio), int(width * ratio)
    cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
    top, bottom = max(cy - box_h // 2, 0), min(cy + box_h // 2, height)
    left, right = max(cx - box_w // 2, 0), min(cx + box_w // 2, width)
    return top, bottom, left, right
