"""Spatial transforms of a clip: the same geometry for every frame, CLIP normalisation.

Input: decoded frames, ``uint8`` ``[T, H, W, 3]``. Output: ``float32`` ``[T, 3, S, S]``
normalised with CLIP's mean and std (or the model's own ``preprocess_cfg``).

Training (:class:`TrainTransform`), two ways to scale and crop, as the two code bases do:

* ``short-side-jitter`` (PySlowFast: Open-VCLIP, FROSTER, STDD, SC-CLIP): the short side is
  resized to a random integer in ``jitter_scales`` (``[224, 256]`` for ``S = 224``), then a
  random ``S x S`` crop;
* ``multi-scale-crop`` (ViFi-CLIP/X-CLIP, mmaction's ``MultiScaleCrop``): the short side is
  resized to ``S * 256 / 224``; a crop whose width and height are each one of
  ``crop_scales x short side`` (the two scale levels at most ``max_scale_gap`` apart) is taken at
  one of five fixed places (four corners, centre) and resized to ``S x S``.

then a horizontal flip (``flip_prob``), colour jitter (``color_jitter_prob``: brightness 0.4,
contrast 0.4, saturation 0.2, hue 0.1 in a random order, ViFi-CLIP's values) and grayscale
(``grayscale_prob``). All random draws are made once per clip, so every frame gets the same
geometry and colours (ViFi-CLIP jitters each frame independently; kgen keeps clips coherent).

Test (:class:`EvalTransform`): the short side is resized to ``short_side`` and
``spatial_crops`` ``S x S`` crops are taken evenly along the long side: one crop is the centre,
three are the two ends and the centre (PySlowFast's and mmaction's three crops), two are the two
ends. The default ``short_side`` is ``S * 256 / 224`` for one crop (ViFi-CLIP's resize then centre
crop) and ``S`` for several crops (the crops then cover the whole frame).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
VIFI_CROP_SCALES = (1.0, 0.875, 0.75, 0.66)


def default_resize_side(size: int) -> int:
    """The short side a ``size`` crop is taken from: 256 for 224 (the usual 256/224 ratio)."""
    return int(round(size * 256 / 224))


def _as_tensor(frames: np.ndarray | torch.Tensor) -> torch.Tensor:
    """``[T, H, W, 3]`` uint8 -> ``[T, 3, H, W]`` uint8 tensor."""
    tensor = torch.from_numpy(np.ascontiguousarray(frames)) if isinstance(frames, np.ndarray) else frames
    if tensor.ndim != 4 or tensor.shape[-1] != 3:
        raise ValueError(f"expected frames [T, H, W, 3], got {tuple(tensor.shape)}")
    return tensor.permute(0, 3, 1, 2)


def resize_short_side(clip: torch.Tensor, side: int) -> torch.Tensor:
    height, width = clip.shape[-2:]
    if min(height, width) == side:
        return clip
    if height <= width:
        new = (side, max(side, int(round(width * side / height))))
    else:
        new = (max(side, int(round(height * side / width))), side)
    return TF.resize(clip, list(new), antialias=True)


class Normalize:
    """uint8 ``[..., 3, H, W]`` -> float32, scaled to [0, 1] and normalised per channel."""

    def __init__(self, mean: Sequence[float] = CLIP_MEAN, std: Sequence[float] = CLIP_STD) -> None:
        self.mean = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        return (clip.float() / 255.0 - self.mean) / self.std


class TrainTransform:
    """Random scale, crop, flip, colour jitter and grayscale for a training clip (module docstring)."""

    def __init__(
        self,
        size: int,
        *,
        scale_mode: str = "short-side-jitter",
        jitter_scales: tuple[int, int] | None = None,
        crop_scales: Sequence[float] = VIFI_CROP_SCALES,
        max_scale_gap: int = 1,
        flip_prob: float = 0.5,
        color_jitter_prob: float = 0.0,
        grayscale_prob: float = 0.0,
        mean: Sequence[float] = CLIP_MEAN,
        std: Sequence[float] = CLIP_STD,
    ) -> None:
        if scale_mode not in ("short-side-jitter", "multi-scale-crop"):
            raise ValueError(f"unknown scale mode {scale_mode!r}")
        self.size = size
        self.scale_mode = scale_mode
        self.jitter_scales = jitter_scales or (size, default_resize_side(size))
        if not size <= self.jitter_scales[0] <= self.jitter_scales[1]:
            raise ValueError(f"jitter scales {self.jitter_scales} must satisfy {size} <= low <= high")
        self.crop_scales = tuple(crop_scales)
        self.max_scale_gap = max_scale_gap
        self.flip_prob = flip_prob
        self.color_jitter_prob = color_jitter_prob
        self.grayscale_prob = grayscale_prob
        self.normalize = Normalize(mean, std)

    @property
    def max_short_side(self) -> int:
        """The largest short side this transform resizes to (decoding may downscale to it)."""
        return self.jitter_scales[1] if self.scale_mode == "short-side-jitter" else default_resize_side(self.size)

    def __call__(self, frames: np.ndarray | torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        clip = _as_tensor(frames)
        if self.scale_mode == "short-side-jitter":
            clip = resize_short_side(clip, int(rng.integers(self.jitter_scales[0], self.jitter_scales[1] + 1)))
            height, width = clip.shape[-2:]
            top = int(rng.integers(0, height - self.size + 1))
            left = int(rng.integers(0, width - self.size + 1))
            clip = clip[..., top : top + self.size, left : left + self.size]
        else:
            clip = self._multi_scale_crop(resize_short_side(clip, default_resize_side(self.size)), rng)
        if rng.random() < self.flip_prob:
            clip = clip.flip(-1)
        if rng.random() < self.color_jitter_prob:
            clip = _color_jitter(clip, rng)
        if rng.random() < self.grayscale_prob:
            clip = TF.rgb_to_grayscale(clip, num_output_channels=3)
        return self.normalize(clip.contiguous())

    def _multi_scale_crop(self, clip: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        height, width = clip.shape[-2:]
        base = min(height, width)
        sizes = [int(base * scale) for scale in self.crop_scales]
        candidates = [
            (w, h)
            for i, h in enumerate(sizes)
            for j, w in enumerate(sizes)
            if abs(i - j) <= self.max_scale_gap
        ]
        crop_w, crop_h = candidates[int(rng.integers(0, len(candidates)))]
        crop_w = self.size if abs(crop_w - self.size) < 3 else crop_w
        crop_h = self.size if abs(crop_h - self.size) < 3 else crop_h
        w_step, h_step = (width - crop_w) // 4, (height - crop_h) // 4
        places = [(0, 0), (4 * w_step, 0), (0, 4 * h_step), (4 * w_step, 4 * h_step), (2 * w_step, 2 * h_step)]
        left, top = places[int(rng.integers(0, len(places)))]
        clip = clip[..., top : top + crop_h, left : left + crop_w]
        return TF.resize(clip, [self.size, self.size], antialias=True)


def _color_jitter(clip: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """torchvision's ColorJitter(0.4, 0.4, 0.2, 0.1) with one draw for the whole clip."""
    brightness = float(rng.uniform(0.6, 1.4))
    contrast = float(rng.uniform(0.6, 1.4))
    saturation = float(rng.uniform(0.8, 1.2))
    hue = float(rng.uniform(-0.1, 0.1))
    for op in rng.permutation(4).tolist():
        if op == 0:
            clip = TF.adjust_brightness(clip, brightness)
        elif op == 1:
            clip = TF.adjust_contrast(clip, contrast)
        elif op == 2:
            clip = TF.adjust_saturation(clip, saturation)
        else:
            clip = TF.adjust_hue(clip, hue)
    return clip


class EvalTransform:
    """Resize the short side, take evenly spaced crops: ``[crops, T, 3, S, S]`` (module docstring)."""

    def __init__(
        self,
        size: int,
        *,
        spatial_crops: int = 1,
        short_side: int | None = None,
        mean: Sequence[float] = CLIP_MEAN,
        std: Sequence[float] = CLIP_STD,
    ) -> None:
        if spatial_crops < 1:
            raise ValueError("at least one spatial crop")
        self.size = size
        self.spatial_crops = spatial_crops
        self.short_side = short_side or (default_resize_side(size) if spatial_crops == 1 else size)
        if self.short_side < size:
            raise ValueError(f"the test short side {self.short_side} is smaller than the crop {size}")
        self.normalize = Normalize(mean, std)

    @property
    def max_short_side(self) -> int:
        return self.short_side

    def __call__(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:
        clip = resize_short_side(_as_tensor(frames), self.short_side)
        height, width = clip.shape[-2:]
        crops = []
        for k in range(self.spatial_crops):
            fraction = 0.5 if self.spatial_crops == 1 else k / (self.spatial_crops - 1)
            top = int(round((height - self.size) * (fraction if height > width else 0.5)))
            left = int(round((width - self.size) * (fraction if width >= height else 0.5)))
            crops.append(clip[..., top : top + self.size, left : left + self.size])
        return self.normalize(torch.stack(crops).contiguous())
