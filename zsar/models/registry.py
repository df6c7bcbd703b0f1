"""The model registry: ``build_model(name, config)``.

A model module registers its class with ``@register_model("name")``; the class says which
config class validates its options (``CONFIG``). The built-in modules are listed in
:data:`BUILTIN_MODEL_MODULES` and imported on first use: a new model is one new folder
(``zsar/models/<paper>/``, its ``model.py`` and the parts only it uses) plus one line there.

The names of the papers' models are fixed: ``vifi-clip`` (the baseline), ``ap-clip``, ``stdd``,
``sc-clip``, ``da-sti``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, TypeVar

import torch

from kgen.clip import load_clip
from kgen.errors import InputError
from zsar.engine.checkpoint import load_model_weights
from zsar.models.config import ModelConfig

# One per paper folder (zsar/models/<paper>/model.py). The registry is the only module that knows
# every model: nothing imports a paper's folder but the registry, on first use, and the tests.
BUILTIN_MODEL_MODULES = [
    "zsar.models.vifi_clip.model",
    "zsar.models.ap_clip.model",
    "zsar.models.da_sti.model",
    "zsar.models.sc_clip.model",
    "zsar.models.stdd.model",
]

# Models the project will add; asking for one before it exists says so instead of "unknown".
PLANNED_MODELS: dict[str, str] = {}  # all five papers' models are built

_MODELS: dict[str, type] = {}
M = TypeVar("M", bound=type)


def register_model(name: str) -> Callable[[M], M]:
    """Class decorator: make a :class:`~zsar.models.base.VideoModel` subclass buildable as ``name``."""

    def decorate(cls: M) -> M:
        if name in _MODELS and _MODELS[name] is not cls:
            raise ValueError(f"model name {name!r} is already registered by {_MODELS[name].__name__}")
        cls.NAME = name  # type: ignore[attr-defined]
        _MODELS[name] = cls
        return cls

    return decorate


def _import_builtin_models() -> None:
    for module in BUILTIN_MODEL_MODULES:
        import_module(module)


def available_models() -> list[str]:
    _import_builtin_models()
    return sorted(_MODELS)


def model_class(name: str) -> type:
    _import_builtin_models()
    if name in _MODELS:
        return _MODELS[name]
    known = ", ".join(sorted(_MODELS))
    if name in PLANNED_MODELS:
        raise InputError(f"{PLANNED_MODELS[name]} ({name}) is not part of this kgen version yet", hint=f"available models: {known}")
    raise InputError(f"unknown model {name!r}", hint=f"available models: {known}")


def model_config_class(name: str) -> type[ModelConfig]:
    return model_class(name).CONFIG


def make_config(name: str, config: ModelConfig | dict[str, Any] | None = None, **overrides: Any) -> ModelConfig:
    """Validate ``config`` (a dict, a config object, or None for the defaults) with the model's config class."""
    raw: dict[str, Any] = {} if config is None else (config.model_dump() if isinstance(config, ModelConfig) else dict(config))
    raw.update(overrides)
    raw["name"] = name
    return model_config_class(name).model_validate(raw)


def build_model(
    name: str,
    config: ModelConfig | dict[str, Any] | None = None,
    *,
    device: str | torch.device = "cpu",
    seed: int = 0,
    **overrides: Any,
):
    """Build model ``name`` with its CLIP weights (``config.pretrained``) on ``device``.

    ``overrides`` replace config fields (``build_model("ap-clip", backbone="kgen-tiny-vit",
    pretrained="random")``). With ``config.init_checkpoint`` the weights of an earlier kgen run
    are loaded on top (see :func:`zsar.engine.checkpoint.load_model_weights`).
    """
    cls = model_class(name)
    model_config = make_config(name, config, **overrides)
    clip = load_clip(model_config.backbone, model_config.pretrained, device="cpu", seed=seed, quick_gelu=model_config.quick_gelu)
    model = cls(model_config, clip)
    del clip  # the text tower is not part of a video model: banks replace it
    if model_config.init_checkpoint:
        load_model_weights(model, model_config.init_checkpoint)
    return model.to(device)
