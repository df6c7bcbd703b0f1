"""The video backbone: an open_clip ViT image tower applied to every frame of a clip.

:class:`VideoBackbone` holds open_clip's own ``VisionTransformer`` module (``self.visual``, so
state-dict keys stay ``visual.*`` and open_clip checkpoints load into it unchanged) and runs it
in steps that models can recombine:

* :meth:`VideoBackbone.embed`: patch embedding, class token, positional embedding, ``ln_pre``;
* :meth:`VideoBackbone.run_blocks`: any range of transformer blocks, keeping the outputs of the
  blocks a model asks for;
* :meth:`VideoBackbone.pool`: open_clip's own pooling (``ln_post`` then the class token for
  CLIP ViTs) and the projection ``proj``;
* :meth:`VideoBackbone.project`: ``ln_post`` then ``proj`` applied to any tokens (open_clip's
  ``output_tokens`` returns tokens *before* ``proj``; this gives them in the joint space).

:meth:`VideoBackbone.forward` composes them for a clip ``[B, T, 3, H, W]`` and returns a
:class:`BackboneOutput`: frame embeddings ``[B, T, D]`` (class token after ``ln_post`` and
``proj``, exactly ``CLIP.encode_image`` per frame), optionally the final tokens and the outputs
of chosen blocks, all reshaped to ``[B, T, L, W]``.

Models that change blocks do it without copying open_clip code:

* :meth:`VideoBackbone.replace_blocks` swaps blocks for instances a factory builds (usually a
  subclass of ``open_clip.transformer.ResidualAttentionBlock``) and loads each old block's
  weights into its replacement, refusing any weight that does not fit;
* a block that needs the clip layout (frames mixed across time, masks that shift per frame)
  subclasses :class:`FrameAwareBlock`; the backbone then calls it as
  ``block(x, num_frames=T)`` with ``x`` of shape ``[B*T, L, W]`` (frame-major: the frames of
  one clip are consecutive rows).

:meth:`VideoBackbone.set_trainable` chooses which parts train; :meth:`VideoBackbone.frozen_copy`
gives a frozen duplicate (a teacher, or SC-CLIP's frozen CLIP for dense tokens).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

import torch
from open_clip.transformer import VisionTransformer
from torch import nn
from torch.utils.checkpoint import checkpoint

from kgen.errors import InputError

BlockFactory = Callable[[int, nn.Module], nn.Module]


class FrameAwareBlock(nn.Module):
    """Base for transformer blocks that need to know how many frames a clip has.

    Subclass it together with ``open_clip.transformer.ResidualAttentionBlock`` (or any block)
    and implement ``forward(self, x, *, num_frames)``: ``x`` is ``[B*T, L, W]`` with the ``T``
    frames of each clip in consecutive rows. The backbone passes ``num_frames``; ordinary
    blocks are called as open_clip calls them (``block(x, attn_mask=None)``).
    """


@dataclass
class BackboneOutput:
    """What one pass of the backbone over a batch of clips returns."""

    frame_embeddings: torch.Tensor
    """``[B, T, D]``: each frame's pooled embedding after ``ln_post`` and ``proj`` (not normalised)."""
    tokens: torch.Tensor | None = None
    """``[B, T, L-1, W]``: the last block's patch tokens after ``ln_post``, before ``proj``
    (what open_clip's ``output_tokens`` gives); ``None`` unless asked for."""
    hidden: dict[int, torch.Tensor] = field(default_factory=dict)
    """Block index -> ``[B, T, L, W]``: the raw output of that block (class token first,
    no ``ln_post``), for the blocks asked for."""


class VideoBackbone(nn.Module):
    """An open_clip ``VisionTransformer`` applied frame by frame (see the module docstring)."""

    def __init__(self, visual: nn.Module, model_name: str = "") -> None:
        super().__init__()
        if not isinstance(visual, VisionTransformer):
            raise InputError(
                f"{model_name or 'this model'} has a {type(visual).__name__} image tower; the video "
                "models need an open_clip VisionTransformer (a CLIP ViT)",
                hint="choose a ViT architecture such as ViT-B-16, ViT-B-32 or ViT-L-14",
            )
        if visual.attn_pool is not None:
            raise InputError(
                f"{model_name or 'this model'} pools with an attention pooler; the video models need "
                "a class-token ViT",
                hint="choose a CLIP ViT architecture such as ViT-B-16",
            )
        self.visual = visual
        self.model_name = model_name
        self.grad_checkpointing = False
        self.frozen = False

    # ------------------------------------------------------------------ shape facts
    @property
    def blocks(self) -> nn.ModuleList:
        return self.visual.transformer.resblocks

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    @property
    def width(self) -> int:
        """Token width W inside the transformer (768 for ViT-B)."""
        return int(self.visual.transformer.width)

    @property
    def embed_dim(self) -> int:
        """Width D of the joint image-text space (512 for ViT-B/16)."""
        return int(self.visual.output_dim)

    @property
    def image_size(self) -> int:
        return int(self.visual.image_size[0])

    @property
    def grid_size(self) -> tuple[int, int]:
        return tuple(self.visual.grid_size)  # type: ignore[return-value]

    @property
    def num_tokens(self) -> int:
        """Tokens per frame: the class token plus one per patch (197 for ViT-B/16 at 224 px)."""
        return 1 + self.grid_size[0] * self.grid_size[1]

    # ------------------------------------------------------------------ steps
    def embed(self, frames: torch.Tensor) -> torch.Tensor:
        """``[N, 3, H, W]`` images -> ``[N, L, W]`` tokens entering the first block."""
        return self.visual._embeds(frames)

    def run_blocks(
        self,
        x: torch.Tensor,
        *,
        num_frames: int,
        start: int = 0,
        stop: int | None = None,
        keep: Collection[int] = (),
    ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """Run blocks ``start..stop-1`` on ``x`` (``[B*T, L, W]``); return the output and kept outputs.

        ``keep`` names absolute block indices whose outputs are returned (as ``[B*T, L, W]``).
        """
        stop = self.num_blocks if stop is None else stop
        kept: dict[int, torch.Tensor] = {}
        batch_first = getattr(self.visual.transformer, "batch_first", True)
        if not batch_first:
            x = x.transpose(0, 1)
        for index in range(start, stop):
            block = self.blocks[index]
            if isinstance(block, FrameAwareBlock):
                call = functools.partial(block, num_frames=num_frames)
            else:
                call = block
            if self.grad_checkpointing and torch.is_grad_enabled():
                x = checkpoint(call, x, use_reentrant=False)
            else:
                x = call(x)
            if index in keep:
                kept[index] = x if batch_first else x.transpose(0, 1)
        if not batch_first:
            x = x.transpose(0, 1)
        return x, kept

    def pool(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Last-block output ``[N, L, W]`` -> (pooled ``[N, D]`` after ``proj``, tokens ``[N, L-1, W]``).

        Uses open_clip's own pooling, so the pooled vector is exactly ``encode_image``'s.
        """
        pooled, tokens = self.visual._pool(x)
        if self.visual.proj is not None:
            pooled = pooled @ self.visual.proj
        return pooled, tokens

    def project(self, tokens: torch.Tensor, *, normed: bool = False) -> torch.Tensor:
        """Tokens ``[..., W]`` -> ``[..., D]`` in the joint space: ``ln_post`` (unless ``normed``) then ``proj``."""
        if not normed:
            tokens = self.visual.ln_post(tokens)
        return tokens @ self.visual.proj if self.visual.proj is not None else tokens

    # ------------------------------------------------------------------ whole clips
    def forward(
        self,
        video: torch.Tensor,
        *,
        keep: Collection[int] = (),
        return_tokens: bool = False,
    ) -> BackboneOutput:
        """A batch of clips ``[B, T, 3, H, W]`` -> :class:`BackboneOutput`."""
        if video.ndim != 5:
            raise ValueError(f"expected a video batch [B, T, 3, H, W], got shape {tuple(video.shape)}")
        batch, frames = video.shape[:2]
        x = self.embed(video.flatten(0, 1))
        x, kept = self.run_blocks(x, num_frames=frames, keep=keep)
        pooled, tokens = self.pool(x)
        return BackboneOutput(
            frame_embeddings=pooled.unflatten(0, (batch, frames)),
            tokens=tokens.unflatten(0, (batch, frames)) if return_tokens else None,
            hidden={index: h.unflatten(0, (batch, frames)) for index, h in kept.items()},
        )

    def frame_features(self, video: torch.Tensor) -> torch.Tensor:
        """``[B, T, 3, H, W]`` -> ``[B, T, D]`` frame embeddings (``encode_image`` per frame, not normalised)."""
        return self.forward(video).frame_embeddings

    # ------------------------------------------------------------------ what trains
    def set_trainable(
        self,
        *,
        blocks: Literal["all"] | Iterable[int] | None = "all",
        embeddings: bool = True,
        ln_post: bool = True,
        proj: bool = True,
    ) -> None:
        """Choose which parts of the tower receive gradients; everything else is frozen.

        ``blocks``: ``"all"``, ``None`` (none) or block indices (negative ones count from the end,
        e.g. ``range(-6, 0)`` for the last six). ``embeddings``: ``conv1``, class and positional
        embeddings and ``ln_pre``.
        """
        self.visual.requires_grad_(False)
        if blocks == "all":
            chosen = set(range(self.num_blocks))
        elif blocks is None:
            chosen = set()
        else:
            chosen = set()
            for index in blocks:
                if not -self.num_blocks <= index < self.num_blocks:
                    raise InputError(f"block {index} does not exist: the tower has {self.num_blocks} blocks")
                chosen.add(index % self.num_blocks)
        for index in chosen:
            self.blocks[index].requires_grad_(True)
        if embeddings:
            for module in (self.visual.conv1, self.visual.ln_pre, self.visual.patch_dropout):
                module.requires_grad_(True)
            self.visual.class_embedding.requires_grad_(True)
            self.visual.positional_embedding.requires_grad_(True)
        self.visual.ln_post.requires_grad_(ln_post)
        if self.visual.proj is not None:
            self.visual.proj.requires_grad_(proj)

    def no_weight_decay_names(self) -> set[str]:
        """Parameter names (relative to this module) that open_clip excludes from weight decay."""
        return {f"visual.{name}" for name in self.visual.no_weight_decay()}

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute each block's activations in the backward pass (less memory, ~30% more time)."""
        self.grad_checkpointing = enable

    # ------------------------------------------------------------------ changing blocks
    def replace_blocks(
        self,
        factory: BlockFactory,
        indices: Iterable[int] | None = None,
        *,
        allow_new_parameters: bool = False,
    ) -> None:
        """Replace blocks by ``factory(index, old_block)`` and load each old block's weights into the new one.

        Every weight of the old block must load into the new block under the same name and shape.
        New parameters the old block does not have are refused unless ``allow_new_parameters``
        (then they keep the factory's initialisation). The new block takes the old one's device,
        dtype and ``requires_grad`` flags.
        """
        chosen = range(self.num_blocks) if indices is None else [i % self.num_blocks for i in indices]
        for index in chosen:
            old = self.blocks[index]
            new = factory(index, old)
            reference = next(old.parameters())
            new = new.to(device=reference.device, dtype=reference.dtype)
            result = new.load_state_dict(old.state_dict(), strict=False)
            if result.unexpected_keys:
                raise ValueError(
                    f"block {index}: the replacement {type(new).__name__} has no place for the weights "
                    f"{result.unexpected_keys[:5]} of {type(old).__name__}"
                )
            if result.missing_keys and not allow_new_parameters:
                raise ValueError(
                    f"block {index}: the replacement {type(new).__name__} has weights the original lacks: "
                    f"{result.missing_keys[:5]} (pass allow_new_parameters=True if that is intended)"
                )
            old_flags = dict(old.named_parameters())
            for name, param in new.named_parameters():
                if name in old_flags:
                    param.requires_grad_(old_flags[name].requires_grad)
            new.train(old.training)
            self.blocks[index] = new

    # ------------------------------------------------------------------ frozen duplicates
    def frozen_copy(self) -> VideoBackbone:
        """A deep copy with every parameter frozen that stays in eval mode (a teacher)."""
        twin = copy.deepcopy(self)
        twin.requires_grad_(False)
        twin.frozen = True
        twin.grad_checkpointing = False
        return twin.eval()

    def train(self, mode: bool = True) -> VideoBackbone:
        return super().train(mode and not self.frozen)
