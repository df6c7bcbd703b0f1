"""``vifi-clip``: the baseline every other model is measured against.

ViFi-CLIP (Rasheed et al., CVPR 2023) fine-tunes CLIP end to end with no added module: each
frame is encoded by the image tower, the frame embeddings are averaged over time, normalised, and
compared by cosine with each class's text vector, times CLIP's logit scale. Here the text side
is a fixed bank (``TextSide.classifier``: the mean of each class's normalised texts,
renormalised), so only the image tower trains (ViFi-CLIP's ``USE: image`` variant; its default
``both`` also tunes the text encoder, which a bank replaces).
"""

from __future__ import annotations

import torch

from zsar.models.base import FrameScoringModel
from zsar.models.config import ModelConfig
from zsar.models.registry import register_model
from zsar.models.similarity import mean_pooled_cosine
from zsar.models.textside import TextSide


class ViFiClipConfig(ModelConfig):
    """ViFi-CLIP has no options beyond the common ones."""


@register_model("vifi-clip")
class ViFiClip(FrameScoringModel):
    CONFIG = ViFiClipConfig

    def configure_trainable(self) -> None:
        self.backbone.set_trainable(blocks="all", embeddings=True, ln_post=True, proj=True)

    def score_frames(self, frames: torch.Tensor, text: TextSide) -> torch.Tensor:
        return self.scale() * mean_pooled_cosine(frames, text.classifier)
