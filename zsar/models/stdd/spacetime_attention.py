"""STDD's Space-time Cross Attention: an open_clip ``ResidualAttentionBlock`` with no new parameters.

For a clip of ``T`` frames, block input ``x`` ``[B*T, N+1, D]`` (class token first):

1. eq. (1), the plain spatial path on all tokens: ``s = x + attn(ln_1(x))``;
2. eq. (3)-(4), Window Shift Masking (:mod:`zsar.models.stdd.window_shift_mask`): each frame keeps ``N'``
   patch tokens (``z_t``), the class token always;
3. eq. (5)/(6), Multi-scale Channel Mixing (:mod:`zsar.models.stdd.channel_mixing`) of the kept tokens for
   every temporal scale δ (the class token is not mixed; clip borders as the authors' code by
   default, ``mixing_border``);
4. eq. (7), the same ``attn`` on each scale's ``[cls; z_{t(δ)}]`` with a shortcut, then the mean
   over scales ``ẑ_t``. The shortcut is the mixed tokens (``shortcut: mixed``, the authors'
   code: ``x_mix + attn(ln_1(x_mix))``) or, as eq. (7) writes it, the unmixed kept tokens
   (``shortcut: unmixed``);
5. spatial padding: ``z̃`` is ``s`` with the class token and the kept positions replaced by ``ẑ``
   (the masked positions keep the spatial path's tokens);
6. eq. (2), the shortcut with the MLP on the spatial path (the authors' code):
   ``out = z̃ + mlp(ln_2(s))``.

All scales go through one batched attention call. With masking and mixing both off the block
computes exactly open_clip's block (step 5 gives ``z̃ = s``), so the model starts as CLIP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from open_clip.transformer import ResidualAttentionBlock
from torch import nn

from zsar.models.backbone import FrameAwareBlock
from zsar.models.stdd.channel_mixing import Border, check_mixing, mix_channels
from zsar.models.stdd.window_shift_mask import (
    MaskStart,
    keep_indices,
    mask_rolls,
    window_keep_table,
)


@dataclass(frozen=True)
class SpaceTimeOptions:
    """The switches of Space-time Cross Attention (the paper's Table 4 and the authors' code)."""

    window_shift_masking: bool = True
    mask_ratio: float = 0.5
    window: tuple[int, int] = (2, 2)
    channel_mixing: Literal["off", "separate", "continual"] = "continual"
    temporal_scales: tuple[int, ...] = (1, 2)
    channel_fold: int = 32
    shortcut: Literal["mixed", "unmixed"] = "mixed"
    mixing_border: Border = "release"
    mask_start_in_training: MaskStart = "per-video"
    shuffle_in_training: bool = True
    shuffle_at_test: bool = False

    @property
    def active(self) -> bool:
        return self.window_shift_masking or self.channel_mixing != "off"


class SpaceTimeCrossAttentionBlock(FrameAwareBlock, ResidualAttentionBlock):
    """open_clip's block with STDD's space-time path (see the module docstring); same parameters."""

    def __init__(self, old: ResidualAttentionBlock, options: SpaceTimeOptions, grid: tuple[int, int]) -> None:
        width = old.ln_1.normalized_shape[0]
        ResidualAttentionBlock.__init__(
            self,
            width,
            old.attn.num_heads,
            mlp_ratio=old.mlp.c_fc.out_features / width,
            ls_init_value=None if isinstance(old.ls_1, nn.Identity) else 1.0,
            act_layer=type(old.mlp.gelu),
            norm_layer=type(old.ln_1),
            batch_first=old.attn.batch_first,
        )
        self.ln_1.eps = old.ln_1.eps
        self.ln_2.eps = old.ln_2.eps
        self.options = options
        self.grid = grid
        self.mixed_channels = width // options.channel_fold
        if options.channel_mixing != "off":
            check_mixing(width, self.mixed_channels, list(options.temporal_scales), options.channel_mixing)
        if options.window_shift_masking:
            self.register_buffer("keep_table", window_keep_table(grid, options.window, options.mask_ratio), persistent=False)
        else:
            self.keep_table = None

    # -------------------------------------------------------------- helpers
    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        """``ls_1(attn(ln_1(x)))`` for batch-first ``x`` whatever the attention's layout."""
        if self.attn.batch_first:
            return self.ls_1(self.attention(self.ln_1(x)))
        return self.ls_1(self.attention(self.ln_1(x.transpose(0, 1)))).transpose(0, 1)

    def kept_patch_indices(self, batch: int, num_frames: int, device: torch.device) -> torch.Tensor | None:
        """``[B, T, N']`` kept patch indices for this forward (``None`` without masking)."""
        if self.keep_table is None:
            return None
        options = self.options
        shuffle = options.shuffle_in_training if self.training else options.shuffle_at_test
        period = self.keep_table.shape[0]
        windows = (self.grid[0] // options.window[0]) * (self.grid[1] // options.window[1])
        rolls = mask_rolls(
            batch, num_frames, period, windows,
            start=options.mask_start_in_training if self.training else "zero", shuffle=shuffle, device=device,
        )
        return keep_indices(self.keep_table, rolls)

    # -------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor, *, num_frames: int = 1, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attn_mask is not None:
            raise ValueError("STDD's space-time block does not take an attention mask (image towers have none)")
        if not self.attn.batch_first:
            x = x.transpose(0, 1)
        spatial = x + self._attend(x)  # eq. (1)
        padded = self._space_time(x, spatial, num_frames) if self.options.active else spatial
        out = padded + self.ls_2(self.mlp(self.ln_2(spatial)))  # eq. (2), MLP on the spatial path
        return out if self.attn.batch_first else out.transpose(0, 1)

    def _space_time(self, x: torch.Tensor, spatial: torch.Tensor, num_frames: int) -> torch.Tensor:
        options = self.options
        rows, width = x.shape[0], x.shape[-1]
        if rows % num_frames:
            raise ValueError(f"{rows} frames in the batch are not whole clips of {num_frames} frames")
        batch = rows // num_frames
        cls, patches = x[:, :1], x[:, 1:]
        index = self.kept_patch_indices(batch, num_frames, x.device)
        if index is not None:  # eq. (4): z_t = M_t(z_{t,1:N})
            flat_index = index.reshape(rows, -1, 1).expand(-1, -1, width)
            kept = torch.gather(patches, 1, flat_index)
        else:
            flat_index = None
            kept = patches
        kept_clips = kept.unflatten(0, (batch, num_frames))  # [B, T, N', D]
        if options.channel_mixing == "off":
            mixed = [kept_clips]  # every scale would see the same tokens: one pass
        else:  # eq. (5)/(6) per scale
            mixed = [
                mix_channels(kept_clips, scale, self.mixed_channels, options.channel_mixing, options.mixing_border)
                for scale in options.temporal_scales
            ]
        scales = len(mixed)
        sequences = torch.cat([torch.cat([cls, m.flatten(0, 1)], dim=1) for m in mixed], dim=0)  # [S*B*T, N'+1, D]
        attended = self._attend(sequences)
        if options.shortcut == "mixed":
            attended = sequences + attended
        else:  # eq. (7) as written: the shortcut is the unmixed window-shifted tokens
            attended = torch.cat([cls, kept], dim=1).repeat(scales, 1, 1) + attended
        average = attended.unflatten(0, (scales, rows)).mean(dim=0)  # ẑ_t: mean over scales
        # Spatial padding: the class token and kept positions from ẑ_t, the rest from eq. (1).
        if flat_index is None:
            return average
        spatial_patches = torch.scatter(spatial[:, 1:], 1, flat_index, average[:, 1:])
        return torch.cat([average[:, :1], spatial_patches], dim=1)
