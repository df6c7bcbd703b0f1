"""A checkpoint's run config and its trained model, rebuilt through the registry.

Kept apart from :mod:`zsar.engine.checkpoint` (the file format) so that reading and writing
checkpoints knows no model: the registry reads checkpoints (``model.init_checkpoint``), and this
module, which needs the registry, is the only one that turns a checkpoint back into a model.
"""

from __future__ import annotations

from typing import Any

import torch

from kgen.errors import FormatError
from zsar.engine.config import RunConfig, config_from_dict
from zsar.models.registry import build_model


def checkpoint_config(payload: dict[str, Any]) -> RunConfig:
    return config_from_dict(payload["config"], origin=payload.get("path", "the checkpoint"))


def rebuild_model(payload: dict[str, Any], device: str | torch.device = "cpu", config: RunConfig | None = None):
    """The trained model of a checkpoint, on ``device``, in eval mode (no pretrained weights needed).

    ``config``: the checkpoint's config with evaluation-time changes (``kgen eval --set``); its
    weights must still fit.
    """
    config = config or checkpoint_config(payload)
    architecture = payload.get("architecture", {})
    model = build_model(
        config.model.name,
        config.model,
        pretrained="random",
        quick_gelu=architecture.get("quick_gelu", config.model.quick_gelu),
        init_checkpoint=None,
    )
    try:
        model.load_state_dict(payload["model"], strict=True)
    except RuntimeError as exc:
        raise FormatError(f"{payload.get('path')}: the weights do not fit {config.model.name}: {exc}") from exc
    return model.to(device).eval(), config
