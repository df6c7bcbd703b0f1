"""Video models: the interface (:mod:`zsar.models.base`), the registry and the models."""

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
