"""Parameters and GFLOPs of a model's video side (``kgen profile``).

* ``total_params``: every parameter of the video model (the image tower, the logit scale,
  whatever the model adds, frozen copies included). The text encoder is not counted: banks
  replace it, so it never runs in training or inference.
* ``tunable_params``: the parameters that receive gradients (``requires_grad``).
* ``gflops_per_view``: one clip (``1 x T x 3 x S x S``, eval mode, random weights, CPU) through
  the model's whole forward pass, scoring included, against a text side of ``num_classes``
  classes (400 by default, with the model's usual number of texts per class: 36 for AP-CLIP,
  1 for ViFi-CLIP), counted by ``torch.utils.flop_counter.FlopCounterMode``. torch counts two
  flops per multiply-add; the peers' fvcore numbers count one, so the count is halved:
  **GFLOPs here are giga multiply-adds, the convention of the papers' tables** (CLIP ViT-B/16 at
  8 x 224 px: 140.5). Only matrix products, convolutions and attention are counted (not
  softmax, norms, activations), as in fvcore. PyTorch's fused inference path for
  ``nn.MultiheadAttention`` hides its matrix products from the counter, so it is switched off
  while counting.

A test view costs ``gflops_per_view``; a video evaluated with ``V`` views costs ``V`` times that.
"""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict
from torch.utils.flop_counter import FlopCounterMode

from zsar.models import build_model
from zsar.textside import TextSide, synthetic_bank


class ProfileReport(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str
    backbone: str
    frames: int
    views: int
    total_params: int
    tunable_params: int
    gflops_per_view: float


def count_gflops(model: torch.nn.Module, video: torch.Tensor, text: TextSide) -> float:
    """Giga multiply-adds of ``model(video, text)`` (torch's flops / 2)."""
    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            model(video, text)
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)
    return counter.get_total_flops() / 2 / 1e9


def profile_model(
    name: str,
    *,
    backbone: str = "ViT-B-16",
    frames: int = 8,
    views: int = 1,
    num_classes: int = 400,
    texts_per_class: int | None = None,
    input_size: int | None = None,
) -> ProfileReport:
    """Build ``name`` with random weights on the CPU and measure it (see the module docstring)."""
    model = build_model(name, backbone=backbone, pretrained="random", frames=frames).eval()
    size = input_size or model.backbone.image_size
    per_class = texts_per_class or model.texts_per_class_for_profile
    text = TextSide(
        synthetic_bank(num_classes, per_class, model.backbone.embed_dim, tokens_per_text=model.tokens_per_text_for_profile)
    )
    video = torch.randn(1, frames, 3, size, size, generator=torch.Generator().manual_seed(0))
    return ProfileReport(
        model=name,
        backbone=backbone,
        frames=frames,
        views=views,
        total_params=model.total_parameter_count(),
        tunable_params=model.tunable_parameter_count(),
        gflops_per_view=round(count_gflops(model, video, text), 3),
    )
