"""``da-sti``: Kim et al., description attributes + spatial-temporal interaction (STI).

* Text side (§3.2, eq. 2-4): one attribute sentence per class, "This is a video about {class;
  w1; ...; wN}.", encoded once by the frozen CLIP text encoder into an ``attributes`` bank
  (``kgen encode-bank --kind attributes``) that stores the pooled class embedding ``z_c``
  (``embeddings``) and the per-token features ``a_c`` (``token_features`` after ``ln_final`` and
  the text projection) with ``token_mask`` marking the word tokens. ``N_a`` (the number of
  attribute words) is a property of the bank: Table 5's ablation is banks built with different
  ``N_a`` (``N_a = 0`` is the sentence without attributes).
* Video side (§3.3, eq. 5): CLIP's image tower per frame; frame embeddings ``v`` (class token
  after ``ln_post`` and ``proj``) and patch embeddings ``p`` (patch tokens after ``ln_post`` and
  ``proj``: open_clip returns them before ``proj``, so the projection is applied here).
* STI (eq. 6-10, :mod:`zsar.models.da_sti.attribute_interaction`) gives a class-conditioned video feature
  ``f_st [B, C, D]``; the logit of video ``b`` for class ``c`` is CLIP's logit scale times
  ``cos(f_st[b, c], z_c)``. This is computed for every class of the text side, in training and
  at inference (§3.4: "compared with class embeddings"): since ``S_sp`` and ``S_temp`` depend on
  the class's words, a video has no class-free feature; the head runs once per candidate class
  (batched, a block of classes at a time so that memory stays bounded for large label sets,
  :mod:`zsar.models.class_chunks`; its cost is in ``docs/papers/da-sti.md``).
* Loss (§3.4, eq. 11-13, :mod:`zsar.models.da_sti.symmetric_loss`): symmetric video-to-class and
  class-to-video cross-entropy over the batch, positives = the items of the same class. The
  batch's ``[B, B]`` matrix is read from the ``[B, C]`` logits (column ``y_i`` for item ``i``'s
  class). ``B`` is always the whole global batch (64 in §4.1.2): the trainer gathers the logits
  of all processes with gradient and caches accumulation steps (:mod:`zsar.engine.whole_batch`), so the
  loss and its gradients do not depend on how the batch is split. ``loss: cross-entropy``
  replaces it by the trainer's usual cross-entropy over all classes.
* Trainable (§4.1.2): the last half of the blocks (the last 6 of ViT-B/16's 12), ``ln_post`` and
  ``proj`` (kgen's choice, see :class:`DaStiConfig`), ``W_p`` and ``W_w``; the patch embedding,
  the first blocks and the text side (a bank) are frozen.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

from kgen.clip import LoadedClip
from kgen.errors import InputError
from zsar.models.base import LossOutput, ModelOutput, TrainTargets, VideoModel, soft_cross_entropy
from zsar.models.class_chunks import needs_grad, over_class_chunks
from zsar.models.config import ModelConfig
from zsar.models.da_sti.attribute_interaction import SpatioTemporalInteraction
from zsar.models.da_sti.symmetric_loss import symmetric_class_video_loss
from zsar.models.registry import register_model
from zsar.models.similarity import fp32_scores
from zsar.models.textside import TextSide


class DaStiConfig(ModelConfig):
    spatial: bool = Field(True, description="spatial interaction, eq. (6)-(8) (Table 4)")
    temporal: bool = Field(True, description="temporal interaction, eq. (9)-(10) (Table 4)")
    saliency_temperature: float = Field(
        0.01, gt=0, description="tau of eq. (9) (fixed; BIKE's concept-spotting value, CLIP's 1/100)"
    )
    tuned_blocks: int | None = Field(
        None, ge=0, description="how many of the last blocks train (None: the last half, 6 of 12 for ViT-B/16)"
    )
    tune_projection: bool = Field(
        True, description="ln_post and proj (after the last block) train with the tuned blocks"
    )
    loss: Literal["symmetric", "cross-entropy"] = Field(
        "symmetric", description="eq. (11)-(13) batch-level symmetric CE, or CE over all classes"
    )


@register_model("da-sti")
class DaSti(VideoModel):
    CONFIG = DaStiConfig
    # The text side is per-token features of a frozen text encoder (§4.1.2: "we keep phi_c fixed").
    supports_text_tuning: ClassVar[bool] = False
    # The attribute sentence with N_a = 8 keywords is about 30 word tokens long (docs/papers/da-sti.md).
    tokens_per_text_for_profile: ClassVar[int] = 32

    def __init__(self, config: DaStiConfig, clip: LoadedClip) -> None:
        # The interaction head must exist before the base calls configure_trainable().
        self.head_config = config
        super().__init__(config, clip)

    def configure_trainable(self) -> None:
        config: DaStiConfig = self.head_config
        if not hasattr(self, "interaction"):
            self.interaction = SpatioTemporalInteraction(
                self.backbone.embed_dim,
                spatial=config.spatial,
                temporal=config.temporal,
                temperature=config.saliency_temperature,
            )
        total = self.backbone.num_blocks
        tuned = total // 2 if config.tuned_blocks is None else config.tuned_blocks
        if tuned > total:
            raise InputError(
                f"model.tuned_blocks is {tuned} but {config.backbone} has {total} blocks",
                hint=f"choose at most {total} (default: the last half)",
            )
        self.backbone.set_trainable(
            blocks=range(total - tuned, total),
            embeddings=False,
            ln_post=config.tune_projection,
            proj=config.tune_projection,
        )
        self.interaction.requires_grad_(True)

    # ------------------------------------------------------------------ text side
    def check_text(self, text: TextSide) -> None:
        super().check_text(text)
        bank = text.bank
        if bank.token_features is None or bank.token_mask is None:
            raise InputError(
                f"bank {bank.bank_id} has no per-token features; da-sti reads the word tokens of each class's "
                "attribute sentence",
                hint="encode an attributes bank: kgen encode-bank --kind attributes --dataset DATASET --clip-model MODEL",
            )
        several = [name for name, count in zip(bank.class_names, bank.texts_per_class, strict=True) if count != 1]
        if several:
            raise InputError(
                f"bank {bank.bank_id} holds several texts for {len(several)} class(es) (e.g. {several[0]!r}); "
                "da-sti needs exactly one attribute sentence per class",
                hint="encode the attributes knowledge: kgen encode-bank --kind attributes",
            )
        empty = [name for name, row in zip(bank.class_names, bank.token_mask, strict=True) if not bool(row.any())]
        if empty:
            raise InputError(
                f"bank {bank.bank_id} has attribute sentences without word tokens for {len(empty)} class(es): {empty[0]!r}",
                hint="rebuild the attributes knowledge for those classes and encode the bank again",
            )

    @staticmethod
    def class_words(text: TextSide) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z [C, D] normalised class embeddings, a [C, N_w, D] word tokens, mask [C, N_w])``.

        One text per class (checked by :meth:`check_text`), so row ``c`` of the bank is class ``c``.
        The word tokens are trimmed to the longest sentence's last word.
        """
        bank = text.bank
        assert bank.token_features is not None and bank.token_mask is not None
        mask = bank.token_mask.to(torch.bool)
        length = int(mask.nonzero()[:, 1].max()) + 1 if bool(mask.any()) else 1
        return F.normalize(bank.embeddings, dim=-1), bank.token_features[:, :length], mask[:, :length]

    # ------------------------------------------------------------------ forward
    def frame_and_patch_embeddings(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[B, T, 3, H, W]`` -> frame embeddings ``v [B, T, D]`` and, with the spatial interaction, patches ``p [B, T, N_p, D]``."""
        need_patches = self.interaction.spatial
        out = self.backbone(video, return_tokens=need_patches)
        patches = None
        if need_patches:
            assert out.tokens is not None
            patches = self.backbone.project(out.tokens, normed=True)  # p in the joint space
        return out.frame_embeddings, patches

    def video_features(self, video: torch.Tensor, text: TextSide) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``[B, T, 3, H, W]`` -> class-conditioned ``f_st [B, C, D]`` and the interaction's scores (all classes at once)."""
        frames, patches = self.frame_and_patch_embeddings(video)
        _, words, mask = self.class_words(text)
        return self.interaction(frames, patches, words.to(device=frames.device, dtype=frames.dtype), mask)

    def forward(self, video: torch.Tensor, text: TextSide) -> ModelOutput:
        frames, patches = self.frame_and_patch_embeddings(video)
        projected = self.interaction.project_patches(patches)  # eq. (6) for the patches: once, for every block
        classes, words, mask = self.class_words(text)
        keys = [key for key, on in (("spatial", self.interaction.spatial), ("saliency", self.interaction.temporal)) if on]

        def block(start: int, stop: int) -> tuple[torch.Tensor, ...]:
            # The head for one block of classes: f_st [B, c, D], then its cosine with z_c.
            features, extras = self.interaction.interact(
                frames, projected, words[start:stop].to(device=frames.device, dtype=frames.dtype), mask[start:stop]
            )
            with fp32_scores(features):  # the final similarities in float32, also under autocast
                similarity = torch.einsum("bcd,cd->bc", F.normalize(features.float(), dim=-1), classes[start:stop].float())
            return (similarity, *(extras[key] for key in keys))

        # A class's share of the head's largest intermediates: eq. (7)'s winning patch and word
        # [B*T, D] each, eq. (9)'s [B, T, N_w] logits and their softmax, f_st and its normalised
        # copy [B, D], the class's words and their projection [N_w, D].
        batch, num_frames, dim = frames.shape
        num_words = words.shape[1]
        per_class = batch * num_frames * (2 * dim + 2 * num_words) + 2 * batch * dim + 2 * num_words * dim
        num_classes = classes.shape[0]
        with_grad = needs_grad(frames, projected, words, *self.interaction.parameters())
        similarity, *scores = over_class_chunks(block, num_classes, per_class, (1,) * (1 + len(keys)), with_grad=with_grad)
        return ModelOutput(self.scale() * similarity, dict(zip(keys, scores, strict=True)))

    @property
    def couples_batch(self) -> bool:
        # Eq. (11)-(13) compare the batch's clips with each other: the trainer computes the loss
        # over the whole global batch (zsar/engine/whole_batch.py), whatever the processes and accumulation.
        return self.head_config.loss == "symmetric"

    def loss(self, output: ModelOutput, targets: TrainTargets, text: TextSide) -> LossOutput:
        if self.head_config.loss == "cross-entropy":
            loss = soft_cross_entropy(output.logits, targets.soft, targets.valid)
            return LossOutput(loss, {"ce": float(loss.detach())})
        hard = F.one_hot(targets.labels, output.logits.shape[-1]).to(targets.soft.dtype)
        if not torch.allclose(targets.soft, hard, atol=1e-6):
            raise InputError(
                "da-sti's symmetric loss (eq. 11-13) needs hard labels, but the targets are smoothed or mixed",
                hint="set optim.label_smoothing=0, optim.mixup_alpha=0 and optim.cutmix_alpha=0 "
                "(or model.loss=cross-entropy)",
            )
        loss, parts = symmetric_class_video_loss(output.logits, targets.labels, targets.valid)
        return LossOutput(loss, {"loss": float(loss.detach()), **parts})

    def architecture(self) -> dict:
        config: DaStiConfig = self.head_config
        return {**super().architecture(), "spatial": config.spatial, "temporal": config.temporal}
