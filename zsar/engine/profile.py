"""Parameters and GFLOPs of a model's video side (``kgen profile``).

* ``inference_params``: what a trained model needs at test time: the image tower, the logit
  scale, whatever the model adds that runs at inference (SC-CLIP's frozen copy of its last
  block and its adapter, for example), and the text tower when the model fine-tunes it
  (``model.text_tower: tuned``; by default banks replace the text encoder and it is not counted);
* ``training_only_params``: modules that only run in training (STDD's frozen distillation
  teacher and projector, SC-CLIP's auxiliary adapter of ``L_a``): part of a training checkpoint,
  not of the model at test time;
* ``tunable_params``: the parameters that receive gradients (``requires_grad``), training-only
  ones included;
* ``regions_per_video`` (SC-CLIP only): the semantic regions (queries) SQG made for the profiling
  clip, with the cap ``max_regions``; the cross attention's cost grows with it. With random
  weights and a random clip this is a property of the cap more than of real videos.
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

from typing import Any

import torch
from pydantic import BaseModel, ConfigDict
from torch.utils.flop_counter import FlopCounterMode

from zsar.models import build_model
from zsar.models.textside import TextSide, synthetic_bank


class ProfileReport(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str
    backbone: str
    frames: int
    views: int
    inference_params: int
    training_only_params: int
    tunable_params: int
    gflops_per_view: float
    regions_per_video: float | None = None
    max_regions: int | None = None


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
    options: dict[str, Any] | None = None,
) -> ProfileReport:
    """Build ``name`` with random weights on the CPU and measure it (see the module docstring).

    ``options`` are model options (``{"temporal_scales": [1]}``), as ``--set model.KEY=VALUE``.
    """
    model = build_model(name, backbone=backbone, pretrained="random", frames=frames, **(options or {})).eval()
    size = input_size or model.backbone.image_size
    per_class = texts_per_class or model.texts_per_class_for_profile
    text = TextSide(
        synthetic_bank(num_classes, per_class, model.backbone.embed_dim, tokens_per_text=model.tokens_per_text_for_profile)
    )
    video = torch.randn(1, frames, 3, size, size, generator=torch.Generator().manual_seed(0))
    regions = None
    if hasattr(model, "masks") and getattr(model.config, "semantic_queries", False):
        with torch.no_grad():
            regions = float(model.masks(video).count.float().mean())
    return ProfileReport(
        model=name,
        backbone=backbone,
        frames=frames,
        views=views,
        inference_params=model.inference_parameter_count(),
        training_only_params=model.training_only_parameter_count(),
        tunable_params=model.tunable_parameter_count(),
        gflops_per_view=round(count_gflops(model, video, text), 3),
        regions_per_video=regions,
        max_regions=getattr(model.config, "max_regions", None),
    )
