"""``sc-clip``: SC-CLIP (Quan et al., Pattern Recognition 2025), semantic constrained CLIP.

Per clip ``[B, T, 3, H, W]`` (``L = 1 + HW`` tokens per frame, last block index ``n - 1``):

1. **Frozen dense tokens** (§3.2): the frozen CLIP's last-layer patch tokens after ``ln_post`` and
   ``proj`` (the authors' ``raw_model``). Only the last block trains (and, per Table 9, maybe a few
   before it), so the frozen CLIP and the trained one share every block before the first trained
   one: kgen runs that prefix once and keeps a frozen copy of the blocks from there on (block 11
   only, by default). The dense tokens are exactly the frozen CLIP's; the cost of a second full
   CLIP pass is not paid (see ``docs/papers/sc-clip.md``, GFLOPs).
2. **SQG masks** (eq. 2, :mod:`zsar.models.sc_clip.semantic_masks`): window seeds of sizes ``S`` per frame,
   K-means over the video's tokens, fusion at cosine ``>= delta``: ``Q`` regions per video.
3. **Adapters** (§3.2, :mod:`zsar.models.sc_clip.temporal_adapter`): on the trained last block's output ``x_n``,
   ``adapter`` gives ``F^a`` and the auxiliary ``adapter_aux`` gives the features of ``L_a``; both
   are transformer blocks whose attention spans frames ``t-2..t+2``.
4. **Queries** (eq. 3): ``F^a``'s patch tokens mean-pooled over each region across ``T x H x W``.
5. **SCCA** (eq. 5, :mod:`zsar.models.sc_clip.semantic_attention`): the queries enter the last block again, as
   cross-attention queries over each frame's second-last-layer tokens, region mask as bias; the
   outputs, after ``ln_post``, are averaged over the video's regions and projected: one embedding
   ``f'`` per frame.
6. **Scores**: ``(1/tau) cos(f'_t, a_c)`` averaged over frames (the authors average frame logits),
   ``a_c`` the frozen text classifier of the bank (SC-CLIP: action-name descriptions in "a video
   of [ ]"; ``kgen encode-bank --kind action-descriptions``). ``1/tau`` is fixed per dataset
   (Table 1/8: 65 UCF101, 40 HMDB51, 45 SSv2, 50 K600), not CLIP's logit scale.
7. **Loss** (eq. 7): ``L_sc + alpha L_a + beta L_q``: ``L_sc`` on the scores above (eq. 6),
   ``L_q`` on the video's mean query projected by ``proj`` (eq. 4), ``L_a`` on the auxiliary
   adapter's mean token projected by ``proj``; all cross-entropy with temperature ``tau``. (The
   authors' code projects the query and adapter means without ``ln_post``; kgen follows it.)

Trainable: the last block (``trainable_blocks = [-1]``, "layer 11" counting from 0 as the paper
does) and the two adapters: ``3 x 7,087,872 = 21,263,616`` parameters for ViT-B/16 (the paper's
21.3 M). Everything else, ``ln_post`` and ``proj`` included, is frozen.

kgen's choices where paper and code are silent: queries are pooled **per video** (the paper: "videos
both within and across batches contribute"; the authors' code pools across the whole batch, which
makes a video's score depend on which videos share its batch, so evaluation would not be
reproducible); pooling uses the patch tokens only (eq. 3's ``F^a`` is ``T x HW x D``; the code also
adds the class tokens of frames that contain the region); the auxiliary adapter runs only in
training (its output feeds only ``L_a``).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
from pydantic import Field

from kgen.clip import LoadedClip
from kgen.errors import InputError
from zsar.models.base import LossOutput, ModelOutput, TrainTargets, VideoModel, soft_cross_entropy
from zsar.models.config import ModelConfig
from zsar.models.registry import register_model
from zsar.models.sc_clip.semantic_attention import region_bias, semantic_cross_attention
from zsar.models.sc_clip.semantic_masks import SemanticMasks, mask_pool, semantic_masks
from zsar.models.sc_clip.temporal_adapter import Border, LocalTemporalAdapter
from zsar.models.similarity import cosine_logits
from zsar.models.textside import TextSide


class SCClipConfig(ModelConfig):
    window_sizes: list[int] = Field(default_factory=lambda: [3, 7], description="seed window sizes S (eq. 2; authors' code)")
    kmeans_iterations: int = Field(1, ge=0, description="K-means iterations from the seeds (authors' code: 1)")
    fusion_threshold: float = Field(0.9, ge=-1, le=1, description="delta: merge clusters with centre cosine >= delta (Table 1)")
    max_regions: int | None = Field(
        64, ge=1,
        description="cap on the regions (queries) per video, the largest kept (the authors' patch_num=64; None: no cap)",
    )
    mask_bias: float = Field(1.0, description="value added to the attention logits inside a query's region (authors' code: 1)")
    inverse_temperature: float = Field(65.0, gt=0, description="1/tau of eq. (4), (6) (Table 1/8: 65 UCF101, 40 HMDB51, 45 SSv2, 50 K600)")
    alpha: float = Field(0.1, ge=0, description="weight of L_a in eq. (7) (Table 1)")
    beta: float = Field(0.1, ge=0, description="weight of L_q in eq. (7) (Table 1)")
    trainable_blocks: list[int] = Field(
        default_factory=lambda: [-1], description="blocks that train (Table 9); -1 is the last ('layer 11' of ViT-B/16)"
    )
    adapter_radius: int = Field(2, ge=0, description="the adapters attend to frames t-r..t+r (§3.2: r = 2)")
    adapter_border: Border = Field("zeros", description="frames past the clip's ends: zero keys/values (authors) or masked")
    semantic_queries: bool = Field(
        True, description="SQG + SCCA (Table 4); off: the last block's class tokens are scored directly"
    )


@register_model("sc-clip")
class SCClip(VideoModel):
    CONFIG = SCClipConfig
    K600_POOL: ClassVar[str] = "val-only"  # SC-CLIP: "the division of seen and unseen samples ... is the same as in [25]" (FROSTER)
    texts_per_class_for_profile: ClassVar[int] = 1
    # Table 1: delta and 1/tau per dataset; they change masks and scores at test time, so an
    # evaluation on a dataset uses its own row (alpha and beta only weigh training losses).
    DATASET_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {
        "ucf101": {"fusion_threshold": 0.9, "inverse_temperature": 65.0},
        "hmdb51": {"fusion_threshold": 0.85, "inverse_temperature": 40.0},
        "ssv2": {"fusion_threshold": 0.85, "inverse_temperature": 45.0},
        "k600": {"fusion_threshold": 0.8, "inverse_temperature": 50.0},
    }

    def __init__(self, config: SCClipConfig, clip: LoadedClip) -> None:
        if config.train_logit_scale:
            raise InputError(
                "sc-clip scores with a fixed 1/tau per dataset (Table 1), not CLIP's logit scale: model.train_logit_scale "
                "has nothing to train",
                hint="set model.inverse_temperature instead",
            )
        self.sc_config = config
        super().__init__(config, clip)

    # ------------------------------------------------------------------ construction
    def configure_trainable(self) -> None:
        config: SCClipConfig = self.sc_config
        blocks = self.backbone.num_blocks
        for index in config.trainable_blocks:
            if not -blocks <= index < blocks:
                raise InputError(
                    f"model.trainable_blocks names block {index}, but {config.backbone} has {blocks} blocks",
                    hint=f"use indices in 0..{blocks - 1} or -1 for the last",
                )
        trained = sorted({index % blocks for index in config.trainable_blocks})
        if not getattr(self.backbone.visual.transformer, "batch_first", True):
            raise InputError(f"{config.backbone}'s transformer is not batch-first; sc-clip needs open_clip >= 2.24")
        if not hasattr(self, "adapter"):
            last = self.backbone.blocks[blocks - 1]
            options = dict(
                act_layer=type(last.mlp.gelu), norm_layer=type(last.ln_1),
                radius=config.adapter_radius, border=config.adapter_border,
            )
            width, heads = self.backbone.width, last.attn.num_heads
            self.adapter = LocalTemporalAdapter(width, heads, **options)
            self.adapter_aux = LocalTemporalAdapter(width, heads, **options)
            # The frozen CLIP shares every block before the first trained one with this model.
            self.branch = min(trained[0] if trained else blocks, blocks - 1)
            self.frozen_tail = torch.nn.ModuleList(copy.deepcopy(self.backbone.blocks[i]) for i in range(self.branch, blocks))
        self.backbone.set_trainable(blocks=trained, embeddings=False, ln_post=False, proj=False)
        self.frozen_tail.requires_grad_(False)
        self.adapter.requires_grad_(True)
        self.adapter_aux.requires_grad_(True)

    def training_only_modules(self) -> dict[str, torch.nn.Module]:
        return {"adapter_aux": self.adapter_aux}  # feeds only L_a; it does not run at inference

    def train(self, mode: bool = True) -> SCClip:
        super().train(mode)
        self.frozen_tail.eval()
        return self

    def scale(self) -> torch.Tensor:
        """``1/tau`` (fixed per dataset), not CLIP's learned logit scale."""
        return self.logit_scale.new_tensor(self.sc_config.inverse_temperature)

    # ------------------------------------------------------------------ the forward pass
    def _classify(self, embeddings: torch.Tensor, text: TextSide) -> torch.Tensor:
        return cosine_logits(embeddings, text.classifier, self.scale())  # float32 under autocast too

    def dense_tokens(self, shared: torch.Tensor, batch: int, frames: int) -> torch.Tensor:
        """The frozen CLIP's last-layer patch tokens after ``ln_post`` and ``proj``: ``[B, T, H, W, D]``."""
        with torch.no_grad():
            x = shared
            for block in self.frozen_tail:
                x = block(x)
            tokens = self.backbone.project(x[:, 1:])
        height, width = self.backbone.grid_size
        return tokens.view(batch, frames, height, width, -1)

    def masks(self, video: torch.Tensor) -> SemanticMasks:
        """SQG's regions of each video (for inspection and tests)."""
        batch, frames = video.shape[:2]
        with torch.no_grad():
            shared, _ = self.backbone.run_blocks(self.backbone.embed(video.flatten(0, 1)), num_frames=frames, stop=self.branch)
            return self._masks(self.dense_tokens(shared, batch, frames))

    def _masks(self, dense: torch.Tensor) -> SemanticMasks:
        config: SCClipConfig = self.sc_config
        return semantic_masks(
            dense, window_sizes=config.window_sizes, iterations=config.kmeans_iterations, threshold=config.fusion_threshold,
            max_regions=config.max_regions,
        )

    def forward(self, video: torch.Tensor, text: TextSide) -> ModelOutput:
        config: SCClipConfig = self.sc_config
        batch, frames = video.shape[:2]
        blocks = self.backbone.num_blocks
        x = self.backbone.embed(video.flatten(0, 1))
        prefix_trains = any(p.requires_grad for i in range(self.branch) for p in self.backbone.blocks[i].parameters())
        with torch.set_grad_enabled(torch.is_grad_enabled() and prefix_trains):
            shared, _ = self.backbone.run_blocks(x, num_frames=frames, stop=self.branch)
        penultimate, _ = self.backbone.run_blocks(shared, num_frames=frames, start=self.branch, stop=blocks - 1)
        last = self.backbone.blocks[blocks - 1]
        final = last(penultimate)  # [B*T, L, W]: the trained CLIP's last-layer output
        extras: dict[str, torch.Tensor] = {}

        if config.semantic_queries:
            regions = self._masks(self.dense_tokens(shared, batch, frames))
            adapted = self.adapter(final, num_frames=frames)  # F^a
            patches = adapted[:, 1:].reshape(batch, -1, adapted.shape[-1])  # [B, T*HW, W]
            queries = mask_pool(patches, regions.masks)  # eq. (3): [B, Q, W]
            num_queries = queries.shape[1]
            per_frame = queries.unsqueeze(1).expand(batch, frames, num_queries, queries.shape[-1]).flatten(0, 1)
            bias = region_bias(regions.masks, frames, config.mask_bias)
            probed = semantic_cross_attention(last, per_frame, penultimate, bias)  # eq. (5): [B*T, Q, W]
            valid = regions.valid.repeat_interleave(frames, dim=0).unsqueeze(2).to(probed.dtype)  # [B*T, Q, 1]
            normed = self.backbone.visual.ln_post(probed)
            frame_tokens = (normed * valid).sum(dim=1) / valid.sum(dim=1).clamp(min=1.0)
            frame_embeddings = self.backbone.project(frame_tokens, normed=True).view(batch, frames, -1)
            query_valid = regions.valid.unsqueeze(2).to(queries.dtype)
            video_query = (queries * query_valid).sum(dim=1) / query_valid.sum(dim=1).clamp(min=1.0)
            extras["query_logits"] = self._classify(self.backbone.project(video_query, normed=True), text)
            extras["num_queries"] = regions.count.float()
        else:
            frame_embeddings = self.backbone.pool(final)[0].view(batch, frames, -1)
        logits = self._classify(frame_embeddings, text).mean(dim=1)  # mean of the frames' logits

        if self.training:
            auxiliary = self.adapter_aux(final, num_frames=frames)
            mean_token = auxiliary.view(batch, -1, auxiliary.shape[-1]).mean(dim=1)
            extras["adapter_logits"] = self._classify(self.backbone.project(mean_token, normed=True), text)
        return ModelOutput(logits, extras)

    def loss(self, output: ModelOutput, targets: TrainTargets, text: TextSide) -> LossOutput:
        """Eq. (7): ``L_sc + alpha L_a + beta L_q`` (each a cross-entropy with temperature tau)."""
        config: SCClipConfig = self.sc_config
        l_sc = soft_cross_entropy(output.logits, targets.soft, targets.valid)
        loss = l_sc
        parts = {"l_sc": float(l_sc.detach())}
        if "adapter_logits" in output.extras:
            l_a = soft_cross_entropy(output.extras["adapter_logits"], targets.soft, targets.valid)
            loss = loss + config.alpha * l_a
            parts["l_a"] = float(l_a.detach())
        if "query_logits" in output.extras:
            l_q = soft_cross_entropy(output.extras["query_logits"], targets.soft, targets.valid)
            loss = loss + config.beta * l_q
            parts["l_q"] = float(l_q.detach())
        if "num_queries" in output.extras:
            parts["queries"] = float(output.extras["num_queries"].mean())
        parts["loss"] = float(loss.detach())
        return LossOutput(loss, parts)

    def architecture(self) -> dict:
        config: SCClipConfig = self.sc_config
        return {**super().architecture(), "trainable_blocks": list(config.trainable_blocks)}
