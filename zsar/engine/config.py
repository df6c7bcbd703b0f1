"""Run configuration: the pydantic run config and command-line overrides.

A run is a :class:`RunConfig` with five sections:

* ``model``: which registered model (``name``), its CLIP backbone and weights, frames per clip,
  and the model's own options (each model validates this section with its own
  :class:`~zsar.models.config.ModelConfig` subclass, found through the registry, so a misspelt
  option is an error, not a silent default);
* ``data``: dataset, training list, video root, frame sampling, augmentation;
* ``optim``: AdamW, the cosine schedule with linear warm-up, batch and accumulation, soft
  targets (label smoothing, mixup, cutmix);
* ``train``: seed, precision, checkpoint and log frequency, the logger (``zsar.engine.loggers``);
* ``eval``: test views, their aggregation, batch size.

``config_from_dict(raw)`` validates one and ``apply_overrides(config, ["optim.lr=1e-5"])``
changes dotted keys (values are parsed as YAML: numbers, lists, null). The YAML recipes in
``zsar/recipes/`` are read by :mod:`zsar.engine.recipes`.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from kgen.errors import InputError
from kgen.hashing import sha256_json
from zsar.models.config import ModelConfig
from zsar.models.registry import model_config_class


class DataConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str | None = Field(None, description="built-in dataset (kgen datasets)")
    classes: str | None = Field(None, description="a class list file of one's own, instead of a built-in dataset")
    train_list: str | None = Field(None, description="built-in list name or 'path label' file")
    label_space: str | None = Field(None, description="class split the list's labels index (default: the list's own)")
    video_root: str | None = Field(None, description="folder the list's paths are relative to")
    input_size: int | None = Field(None, description="crop size S (default: the backbone's image size)")
    sampling: Literal["segment", "dense"] = "segment"
    sampling_stride: int = Field(8, ge=1, description="frame stride of dense sampling")
    scale_mode: Literal["short-side-jitter", "multi-scale-crop"] = "multi-scale-crop"
    jitter_scales: tuple[int, int] | None = Field(None, description="short-side range of short-side-jitter (default S..S*256/224)")
    crop_scales: list[float] = Field(default_factory=lambda: [1.0, 0.875, 0.75, 0.66])
    flip_prob: float = Field(0.5, ge=0, le=1)
    color_jitter_prob: float = Field(0.0, ge=0, le=1)
    grayscale_prob: float = Field(0.0, ge=0, le=1)
    workers: int = Field(4, ge=0, description="data-loading worker processes per training process")
    decode_threads: int = Field(1, ge=0, description="FFmpeg threads per decode (0: FFmpeg decides)")
    max_skip_fraction: float = Field(
        0.5, ge=0, le=1, description="stop when more than this fraction of the videos read so far were unreadable"
    )

    @model_validator(mode="after")
    def _one_class_source(self) -> DataConfig:
        if self.dataset and self.classes:
            raise ValueError("give data.dataset or data.classes, not both")
        return self


class OptimConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    epochs: int = Field(10, ge=1)
    warmup_epochs: float = Field(5.0, ge=0)
    lr: float = Field(8e-6, gt=0, description="peak learning rate, reached at the end of warm-up")
    min_lr_ratio: float = Field(0.01, ge=0, le=1, description="the cosine ends at lr * min_lr_ratio")
    warmup_start_ratio: float = Field(0.0, ge=0, le=1, description="warm-up starts at lr * warmup_start_ratio")
    weight_decay: float = Field(0.001, ge=0)
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-8
    no_weight_decay_1d: bool = Field(False, description="no weight decay on biases, norms and embeddings")
    global_batch_size: int = Field(256, ge=1, description="clips per optimizer step, over all processes")
    accumulation_steps: int = Field(1, ge=1)
    grad_clip: float | None = Field(None, gt=0, description="clip the global gradient L2 norm (None: no clipping)")
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    mixup_alpha: float = Field(0.8, ge=0)
    cutmix_alpha: float = Field(1.0, ge=0)
    mixup_switch_prob: float = Field(0.5, ge=0, le=1)


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 1024
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field("auto", description="auto: bf16 autocast on CUDA, fp32 on CPU")
    checkpoint_every_steps: int = Field(200, ge=0, description="also checkpoint every N optimizer steps (0: only at epoch ends)")
    save_epoch_weights: bool = Field(False, description="keep the model weights of every epoch (for weight averaging)")
    log_every_steps: int = Field(10, ge=1)
    find_unused_parameters: bool = False
    weight_average: Literal["off", "uniform", "gaussian", "ema"] = Field(
        "off", description="at the end of training, average the epoch weights into checkpoints/averaged.pt (Open-VCLIP)"
    )
    weight_average_start: int = Field(2, ge=1, description="first epoch in the average (Open-VCLIP: 2)")
    logger: Literal["none", "tensorboard", "wandb", "csv"] = Field(
        "none", description="where training and eval numbers go besides metrics.jsonl/evals.jsonl (zsar.engine.loggers)"
    )
    wandb_project: str | None = Field(None, description="W&B project for train.logger=wandb (default: kgen)")

    @model_validator(mode="after")
    def _average_needs_epoch_weights(self) -> TrainConfig:
        if self.weight_average != "off" and not self.save_epoch_weights:
            raise ValueError("train.weight_average needs train.save_epoch_weights=true (it averages the epoch weights)")
        return self


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temporal_views: int = Field(1, ge=1)
    spatial_crops: int = Field(1, ge=1)
    aggregation: Literal["mean-logits", "mean-softmax", "joint-frames"] = Field(
        "mean-logits",
        description="mean of per-view logits (PySlowFast), of per-view softmax (ViFi-CLIP/X-CLIP), or one score over "
        "the frames of all views (late-interaction models)",
    )
    test_short_side: int | None = None
    batch_size: int = Field(8, ge=1)
    workers: int = Field(4, ge=0)


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str = "run"
    description: str = ""
    model: SerializeAsAny[ModelConfig]
    data: DataConfig = Field(default_factory=DataConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)

    @field_validator("model", mode="before")
    @classmethod
    def _model_section(cls, value: Any) -> Any:
        if isinstance(value, ModelConfig):
            value = value.model_dump()
        if not isinstance(value, dict) or "name" not in value:
            raise ValueError("the model section needs a 'name' (a registered model, see kgen profile --help)")
        return model_config_class(str(value["name"])).model_validate(value)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def training_fingerprint(self) -> str:
        """A hash of everything that changes what training computes (not paths, workers or logging)."""
        data = self.model_dump(mode="json")
        for key in ("video_root", "workers", "decode_threads", "max_skip_fraction"):
            data["data"].pop(key, None)
        for key in ("checkpoint_every_steps", "log_every_steps", "save_epoch_weights", "weight_average", "weight_average_start",
                    "logger", "wandb_project"):
            data["train"].pop(key, None)
        data.pop("eval", None)
        data.pop("name", None)
        data.pop("description", None)
        return sha256_json(data)


def config_from_dict(raw: dict[str, Any], origin: str = "<config>") -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:4]
        )
        raise InputError(f"{origin} is not a valid run config: {problems}") from exc


def apply_overrides(config: RunConfig, assignments: list[str]) -> RunConfig:
    """``["optim.lr=1e-5", "data.video_root=/data/k400"]`` -> a new, validated config."""
    raw = config.model_dump(mode="json")
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise InputError(f"cannot read override {assignment!r}", hint="write KEY=VALUE, e.g. optim.lr=1e-5")
        parts = key.strip().split(".")
        node: Any = raw
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise InputError(f"override {assignment!r}: no section {part!r}", hint=f"sections: {', '.join(raw)}")
            node = node[part]
        if not isinstance(node, dict) or parts[-1] not in node:
            known = ", ".join(node) if isinstance(node, dict) else ""
            raise InputError(f"override {assignment!r}: no option {parts[-1]!r}", hint=f"options here: {known}")
        try:
            node[parts[-1]] = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise InputError(f"override {assignment!r}: cannot read the value: {exc}") from exc
    return config_from_dict(raw, origin="the overridden config")
