"""``ap-clip``: AP-CLIP (Jia et al., ACM MM 2024), action-conditioned prompts + late interaction.

* Video side (§3.1, §4.1): CLIP's image tower fully fine-tuned as in ViFi-CLIP [41]; every
  frame becomes an embedding ``v_i`` (eq. 1), no temporal module.
* Text side (§3.2): a bank of action-conditioned prompts, one ragged set per class (3 LLM
  prompts x 12 attributes = 36 by default, each prefixed with "a video of {action}"), built by
  ``kgen build prompts`` and encoded by ``kgen encode-bank --kind prompts``. The text encoder is
  frozen: the bank *is* its output.
* Multi-modal action knowledge alignment (§3.3): the similarity of a video and a class is
  eq. (6), the mean of the frame-to-prompt and prompt-to-frame late interactions (eq. 3-5)
  over normalised embeddings (:func:`zsar.models.similarity.late_interaction`). Logits are CLIP's
  logit scale times that similarity, trained with cross-entropy over the classes, and the same
  similarity is used at inference ("in the training and inference processes", §3.3).

``similarity: mean-pool`` replaces eq. (6) by ViFi-CLIP's cosine of the mean frame with each
class's mean prompt (Table 7's "without MAKA" rows). With a bank of one prompt per class and
``mean-pool`` the model is exactly ViFi-CLIP; with ``late-interaction`` and one prompt per class
eq. (6) gives ``(mean_t cos + max_t cos) / 2``, which equals the cosine only for one frame.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field

from zsar.models.base import FrameScoringModel
from zsar.models.config import ModelConfig
from zsar.models.registry import register_model
from zsar.models.similarity import late_interaction, mean_pooled_cosine
from zsar.models.textside import TextSide


class APClipConfig(ModelConfig):
    similarity: Literal["late-interaction", "mean-pool"] = Field(
        "late-interaction", description="eq. (6) late interaction (AP-CLIP) or ViFi-CLIP's mean-pooled cosine"
    )


@register_model("ap-clip")
class APClip(FrameScoringModel):
    CONFIG = APClipConfig
    texts_per_class_for_profile: ClassVar[int] = 36  # 3 LLM-prompts x 12 attributes (§3.2, §4.1)

    def configure_trainable(self) -> None:
        # ViFi-CLIP-style full fine-tuning of the image encoder (§3.3: "a standardized protocol as
        # outlined in ViFi-CLIP"); the text side is a frozen bank.
        self.backbone.set_trainable(blocks="all", embeddings=True, ln_post=True, proj=True)

    def score_frames(self, frames: torch.Tensor, text: TextSide) -> torch.Tensor:
        if self.config.similarity == "mean-pool":
            return self.scale() * mean_pooled_cosine(frames, text.classifier)
        return self.scale() * late_interaction(frames, text.class_prompts)
