"""The interface every video model implements.

A :class:`VideoModel` is the *video side* of a CLIP model: the image tower (wrapped in a
:class:`~zsar.models.backbone.VideoBackbone`), CLIP's logit scale, and whatever the model adds. The
text side is never part of it: it arrives as a :class:`~zsar.models.textside.TextSide` (a bank in the
label space's order) with every call, so the same trained weights score any set of classes.

What a model implements:

* ``forward(video [B, T, 3, H, W], text) -> ModelOutput``: class logits ``[B, C]`` (CLIP's
  scale times a similarity) and any extra tensors its loss needs. Everything that has
  parameters must run inside ``forward`` (distributed training synchronises the gradients of
  what ``forward`` used).
* ``configure_trainable()``: which parameters train (called once at construction).
* optionally ``loss(output, targets, text)`` (default: cross-entropy with soft targets over the
  valid clips), ``check_text(text)`` (refuse a bank that lacks what the model reads, e.g.
  per-token features), ``view_scores`` (how test views are combined).

Frame-level models (ViFi-CLIP, AP-CLIP, STDD) derive from :class:`FrameScoringModel`: they
only say how frame embeddings ``[B, T, D]`` are scored against the text, and get joint scoring
of all test views' frames for free.

A model class is registered with :func:`zsar.models.registry.register_model` and declares its
config class in ``CONFIG``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from kgen.clip import LoadedClip
from kgen.errors import InputError
from zsar.models.backbone import VideoBackbone
from zsar.models.config import ModelConfig
from zsar.models.text_tower import TextTower
from zsar.models.textside import TextSide


@dataclass
class ModelOutput:
    """What ``forward`` returns: logits ``[B, C]`` and model-specific tensors for the loss."""

    logits: torch.Tensor
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class TrainTargets:
    """The targets of a training batch: hard labels, soft targets ``[B, C]``, which clips are real."""

    labels: torch.Tensor
    soft: torch.Tensor
    valid: torch.Tensor


@dataclass
class LossOutput:
    """The loss to minimise and its named parts (logged)."""

    loss: torch.Tensor
    parts: dict[str, float] = field(default_factory=dict)


def soft_cross_entropy(logits: torch.Tensor, soft: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean over valid clips of ``-sum_c soft_c log softmax(logits)_c`` (in float32)."""
    per_clip = -(soft.float() * F.log_softmax(logits.float(), dim=-1)).sum(dim=-1)
    weights = valid.to(per_clip.dtype)
    # With no valid clip the loss is 0 but still depends on every output, so that distributed
    # training keeps its gradient synchronisation in step.
    return (per_clip * weights).sum() / weights.sum().clamp(min=1.0)


class VideoModel(nn.Module, ABC):
    """Base of every video model (see the module docstring)."""

    NAME: ClassVar[str] = ""
    CONFIG: ClassVar[type[ModelConfig]] = ModelConfig
    supports_joint_views: ClassVar[bool] = False
    texts_per_class_for_profile: ClassVar[int] = 1
    # Models that read per-token text features (DA-STI) profile against a bank with this many
    # word tokens per text; 0: the profiling bank has no token features.
    tokens_per_text_for_profile: ClassVar[int] = 0
    # Whether the model can fine-tune CLIP's text tower from the bank's texts (model.text_tower).
    supports_text_tuning: ClassVar[bool] = True
    # Model options a paper sets per evaluation dataset (dataset name -> {option: value});
    # ``kgen eval`` applies them for that dataset unless --set says otherwise.
    DATASET_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {}
    # Kinetics-600's zero-shot video pool the model's paper reports on (``kgen eval --pool``):
    # "er-zsar" (ViFi-CLIP's lists) or "val-only" (Open-VCLIP/FROSTER's).
    K600_POOL: ClassVar[str] = "er-zsar"

    def __init__(self, config: ModelConfig, clip: LoadedClip) -> None:
        super().__init__()
        self.config = config
        self.backbone = VideoBackbone(clip.model.visual, config.backbone)
        # CLIP's learned temperature (100 for OpenAI weights), trained only with
        # model.train_logit_scale (ViFi-CLIP's "both" and STDD's release train it).
        self.logit_scale = nn.Parameter(clip.model.logit_scale.detach().clone().float().reshape(()))
        self.preprocess_cfg = dict(clip.preprocess_cfg)
        self.quick_gelu = _uses_quick_gelu(self.backbone)
        self.text_tower: TextTower | None = None
        if config.text_tower == "tuned":
            if not self.supports_text_tuning:
                raise InputError(
                    f"{self.NAME} cannot fine-tune the text tower (model.text_tower=tuned)",
                    hint="keep model.text_tower=frozen",
                )
            self.text_tower = TextTower(clip)
        self.configure_trainable()
        self.logit_scale.requires_grad_(config.train_logit_scale)
        if self.text_tower is not None:
            self.text_tower.requires_grad_(True)
            self.text_tower.token_embedding.requires_grad_(False)
        if config.grad_checkpointing:
            self.backbone.set_grad_checkpointing(True)

    # ------------------------------------------------------------------ what subclasses give
    @abstractmethod
    def configure_trainable(self) -> None:
        """Set ``requires_grad`` on the parameters that train (the logit scale is handled by the base)."""

    @abstractmethod
    def forward(self, video: torch.Tensor, text: TextSide) -> ModelOutput:
        """``[B, T, 3, H, W]`` clips -> logits over ``text``'s classes."""

    def loss(self, output: ModelOutput, targets: TrainTargets, text: TextSide) -> LossOutput:
        """Cross-entropy with soft targets over the valid clips (override for other objectives)."""
        loss = soft_cross_entropy(output.logits, targets.soft, targets.valid)
        return LossOutput(loss, {"ce": float(loss.detach())})

    def check_text(self, text: TextSide) -> None:
        """Refuse a text side the model cannot use (default: the embedding width must match)."""
        if self.text_tower is not None:
            encoder = text.bank.manifest.clip.model_name
            if encoder != self.text_tower.model_name:
                raise InputError(
                    f"bank {text.bank.bank_id} was encoded with {encoder}, but this {self.NAME} model fine-tunes the text "
                    f"tower of {self.text_tower.model_name} and re-encodes the bank's texts with it",
                    hint=f"use a bank encoded with {self.text_tower.model_name} (kgen encode-bank --clip-model "
                    f"{self.text_tower.model_name})",
                )
            return
        if text.dim != self.backbone.embed_dim:
            raise InputError(
                f"the bank holds {text.dim}-d text vectors but {self.config.backbone} embeds frames into "
                f"{self.backbone.embed_dim} dimensions",
                hint=f"encode the bank with the run's CLIP model: kgen encode-bank --clip-model {self.config.backbone}",
            )

    # ------------------------------------------------------------------ shared behaviour
    def scale(self) -> torch.Tensor:
        """CLIP's logit scale ``exp(logit_scale)`` in float32.

        Not capped in the forward pass, as in ViFi-CLIP's and STDD's code (open_clip's trainer
        clamps the parameter after each step instead). A cap in the forward pass would also stop
        the gradient of OpenAI's weights, whose stored ``logit_scale`` (4.6055, fp16) lies just
        above ``ln 100``.
        """
        return self.logit_scale.float().exp()

    # ------------------------------------------------------------------ the text side
    def text_for_evaluation(self, text: TextSide) -> TextSide:
        """The text side this model scores against: with a tuned text tower, the bank's texts re-encoded by it."""
        if self.text_tower is None:
            return text
        tokens = self.text_tower.tokenize(text.texts)
        was_training = self.text_tower.training
        self.text_tower.eval()
        try:
            embeddings = self.text_tower.encode(tokens)
        finally:
            self.text_tower.train(was_training)
        return text.with_embeddings(embeddings.to(text.device))

    @property
    def couples_batch(self) -> bool:
        """True when the loss compares the clips of a batch with each other (its value depends on the whole batch).

        The trainer then computes it over the whole global batch: features gathered across
        processes with gradient, accumulation steps cached (see :mod:`zsar.engine.whole_batch`).
        """
        return False

    def training_only_modules(self) -> dict[str, nn.Module]:
        """Modules that only run in training (a distillation teacher, an auxiliary head): not needed at test time."""
        return {}

    def view_scores(self, views: torch.Tensor, text: TextSide, aggregation: str) -> torch.Tensor:
        """Scores ``[B, C]`` of videos given as ``[B, V, T, 3, H, W]`` test views.

        ``mean-logits``: the mean of the views' logits (PySlowFast sums them; the mean ranks the
        same); ``mean-softmax``: the mean of the views' softmax (ViFi-CLIP, X-CLIP, BIKE);
        ``joint-frames``: only for frame-level models, see :class:`FrameScoringModel`.
        """
        batch, num_views = views.shape[:2]
        if aggregation == "joint-frames":
            raise InputError(
                f"{self.NAME} cannot score the frames of all views jointly",
                hint="use --aggregation mean-logits or mean-softmax",
            )
        logits = self.forward(views.flatten(0, 1), text).logits.unflatten(0, (batch, num_views))
        if aggregation == "mean-logits":
            return logits.float().mean(dim=1)
        if aggregation == "mean-softmax":
            return logits.float().softmax(dim=-1).mean(dim=1)
        raise InputError(f"unknown view aggregation {aggregation!r}", hint="mean-logits, mean-softmax or joint-frames")

    def tunable_parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def total_parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def training_only_parameter_count(self) -> int:
        seen: set[int] = set()
        count = 0
        for module in self.training_only_modules().values():
            for param in module.parameters():
                if id(param) not in seen:
                    seen.add(id(param))
                    count += param.numel()
        return count

    def inference_parameter_count(self) -> int:
        """Parameters a trained model needs at test time (everything but :meth:`training_only_modules`)."""
        return self.total_parameter_count() - self.training_only_parameter_count()

    def parameter_groups(self, weight_decay: float, no_weight_decay_1d: bool) -> list[dict]:
        """AdamW groups of the trainable parameters.

        With ``no_weight_decay_1d``, biases, norm weights, the logit scale and the class and
        positional embeddings get no weight decay (PySlowFast's ``ZERO_WD_1D_PARAM``); without
        it every parameter decays, as in ViFi-CLIP's optimizer.
        """
        exempt_names = {f"backbone.{name}" for name in self.backbone.no_weight_decay_names()}
        decay, no_decay = [], []
        for name, param in self.named_parameters():
            if not param.requires_grad:
                continue
            if no_weight_decay_1d and (param.ndim <= 1 or name.endswith(".bias") or name in exempt_names):
                no_decay.append(param)
            else:
                decay.append(param)
        groups = [{"params": decay, "weight_decay": weight_decay}]
        if no_decay:
            groups.append({"params": no_decay, "weight_decay": 0.0})
        return groups

    def architecture(self) -> dict:
        """What is needed to rebuild this model's modules without its pretrained weights."""
        return {"backbone": self.config.backbone, "quick_gelu": self.quick_gelu}


class FrameScoringModel(VideoModel):
    """A model that embeds each frame and scores ``[B, T, D]`` frame embeddings against the text."""

    supports_joint_views: ClassVar[bool] = True

    def frame_embeddings(self, video: torch.Tensor) -> torch.Tensor:
        """``[B, T, 3, H, W]`` -> ``[B, T, D]`` (``encode_image`` per frame, not normalised)."""
        return self.backbone(video).frame_embeddings

    @abstractmethod
    def score_frames(self, frames: torch.Tensor, text: TextSide) -> torch.Tensor:
        """``[B, T, D]`` frame embeddings -> logits ``[B, C]``."""

    def forward(self, video: torch.Tensor, text: TextSide) -> ModelOutput:
        return ModelOutput(self.score_frames(self.frame_embeddings(video), text))

    def view_scores(self, views: torch.Tensor, text: TextSide, aggregation: str) -> torch.Tensor:
        """As the base, plus ``joint-frames``: the ``V x T`` frames of all views scored as one clip.

        For late interaction this is AP-CLIP §3.3's reading of multi-view inference: each video
        is encoded into the frame embeddings of all its views, and every prompt is matched
        against all of them.
        """
        if aggregation != "joint-frames":
            return super().view_scores(views, text, aggregation)
        batch, num_views, num_frames = views.shape[:3]
        frames = self.frame_embeddings(views.flatten(0, 1))  # [B*V, T, D]
        frames = frames.unflatten(0, (batch, num_views)).flatten(1, 2)  # [B, V*T, D]
        return self.score_frames(frames, text).float()


def _uses_quick_gelu(backbone: VideoBackbone) -> bool:
    from open_clip.transformer import QuickGELU

    return any(isinstance(module, QuickGELU) for module in backbone.modules())
