"""Video models: the shared parts, the registry, and one folder per paper.

Shared by the papers' models: the interface (:mod:`~zsar.models.base`), the options every model
has (:mod:`~zsar.models.config`), the per-frame backbone (:mod:`~zsar.models.backbone`), the text
side (:mod:`~zsar.models.textside`), the tuned text tower (:mod:`~zsar.models.text_tower`), the
similarities (:mod:`~zsar.models.similarity`) and class blocks (:mod:`~zsar.models.class_chunks`).
Each paper's folder (``vifi_clip``, ``ap_clip``, ``stdd``, ``sc_clip``, ``da_sti``) holds its
``model.py`` and every part only it uses; the registry (:mod:`~zsar.models.registry`) imports
them on first use.
"""

from zsar.models.base import FrameScoringModel, LossOutput, ModelOutput, TrainTargets, VideoModel
from zsar.models.registry import (
    available_models,
    build_model,
    make_config,
    model_class,
    register_model,
)

__all__ = [
    "FrameScoringModel",
    "LossOutput",
    "ModelOutput",
    "TrainTargets",
    "VideoModel",
    "available_models",
    "build_model",
    "make_config",
    "model_class",
    "register_model",
]
