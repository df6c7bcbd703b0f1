"""The options every video model has (``model:`` in a run config); each model's config class adds its own.

A model declares its config class in ``CONFIG`` (:mod:`zsar.models.base`); the registry validates
a run's ``model`` section with that class (:func:`zsar.models.registry.make_config`), so a
misspelt option is an error, not a silent default. This module imports nothing of zsar: the
registry, the models and the engine's :class:`~zsar.engine.config.RunConfig` all import it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelConfig(BaseModel):
    """Options every model has; a model's own config class adds its options."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str
    backbone: str = Field("ViT-B-16", description="open_clip ViT architecture")
    pretrained: str = Field("openai", description="pretrained tag, hf-hub: id, checkpoint path, or 'random'")
    quick_gelu: bool | None = Field(None, description="QuickGELU activations (None: as the pretrained weights say)")
    frames: int = Field(8, ge=1, description="frames per clip (T)")
    train_logit_scale: bool = Field(
        False, description="let CLIP's logit scale train (default: frozen at the pretrained value, 100 for OpenAI weights)"
    )
    text_tower: Literal["frozen", "tuned"] = Field(
        "frozen",
        description="frozen: the bank's vectors are the text side; tuned: CLIP's text tower is part of the model and "
        "fine-tuned from the bank's texts (ViFi-CLIP's default 'both'), see zsar/models/text_tower.py",
    )
    text_update_every: int = Field(
        1, ge=1,
        description="with text_tower=tuned: re-encode the class texts with gradient every N optimizer steps (1: every "
        "step, as ViFi-CLIP); in between the last embeddings are reused and the text tower gets no gradient",
    )
    grad_checkpointing: bool = Field(False, description="recompute block activations in backward (less memory)")
    init_checkpoint: str | None = Field(
        None, description="start from the weights of an earlier kgen run (e.g. a K400 model for few-shot/base-to-novel)"
    )
