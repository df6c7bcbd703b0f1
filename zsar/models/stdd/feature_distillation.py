"""FROSTER's feature distillation (Huang et al., ICLR 2024), as STDD uses it on frame features.

A residual projector ``g`` (``Linear(D, D, bias=False) -> GELU -> Linear(D, D, bias=False)``, the
first layer Kaiming-initialised, the second zero-initialised, so ``g`` starts as 0) maps the
student's normalised frame features ``f`` to ``f + alpha * g(f)`` (alpha = 0.1); the teacher is
the frozen CLIP's normalised frame features ``f0``; the loss is ``1 - mean cos(f + alpha g(f), f0)``
over all frames.

STDD's released code computes ``f + alpha * g(f)`` under ``torch.no_grad()``, so its distillation
term has no gradient and the projector never trains; here it is computed with gradient, as in
FROSTER.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualProjector(nn.Module):
    """FROSTER's ``f + alpha * g(f)`` (see the module docstring)."""

    def __init__(self, dim: int, alpha: float = 0.1) -> None:
        super().__init__()
        self.alpha = alpha
        self.net = nn.Sequential(nn.Linear(dim, dim, bias=False), nn.GELU(), nn.Linear(dim, dim, bias=False))
        nn.init.kaiming_normal_(self.net[0].weight)
        nn.init.zeros_(self.net[2].weight)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features + self.alpha * self.net(features)


def cosine_distillation(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """``1 - mean cos(student, teacher)`` over all leading dimensions (the teacher is detached)."""
    cos = F.cosine_similarity(student.float(), teacher.detach().float(), dim=-1)
    return 1.0 - cos.mean()
