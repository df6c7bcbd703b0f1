"""A dataset of clips that never crashes on a bad video.

:class:`ClipDataset` reads a :class:`~zsar.data.index.VideoIndex`:

* in training, item ``(i, epoch)`` is one clip ``[T, 3, S, S]`` of video ``i``, sampled and
  augmented with a generator seeded by ``(seed, epoch, i)``: the same item is the same clip
  whichever worker, process or resumed run loads it;
* in evaluation, item ``i`` is every view of video ``i``: ``[V * C, T, 3, S, S]`` for ``V``
  temporal views and ``C`` spatial crops (views ordered temporal-major).

A video that cannot be read (missing, corrupt, no frames) does not raise: its item is a zero
clip with ``valid = False`` and an ``error`` saying why. Keeping every batch the same shape keeps
distributed training in step; the loss and the metrics ignore invalid items, and the trainer and
the evaluator report every skipped video.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from zsar.data.decode import VideoDecodeError, read_frames
from zsar.data.index import VideoIndex
from zsar.data.sampling import FrameSampler
from zsar.data.transforms import EvalTransform, TrainTransform

# Reading a video can fail in more ways than FFmpeg's own errors (odd sizes in a transform,
# truncated files found only while converting): all of them make the video unreadable.
_READ_ERRORS = (VideoDecodeError, RuntimeError, ValueError, OSError, IndexError)


class ClipDataset(Dataset):
    """Clips of the videos of an index; see the module docstring."""

    def __init__(
        self,
        index: VideoIndex,
        sampler: FrameSampler,
        *,
        train_transform: TrainTransform | None = None,
        eval_transform: EvalTransform | None = None,
        temporal_views: int = 1,
        seed: int = 0,
        decode_threads: int = 1,
    ) -> None:
        if (train_transform is None) == (eval_transform is None):
            raise ValueError("give exactly one of train_transform and eval_transform")
        self.index = index
        self.sampler = sampler
        self.train_transform = train_transform
        self.eval_transform = eval_transform
        self.temporal_views = temporal_views
        self.seed = seed
        self.decode_threads = decode_threads

    @property
    def training(self) -> bool:
        return self.train_transform is not None

    @property
    def size(self) -> int:
        transform = self.train_transform or self.eval_transform
        assert transform is not None
        return transform.size

    @property
    def views(self) -> int:
        if self.training:
            return 1
        assert self.eval_transform is not None
        return self.temporal_views * self.eval_transform.spatial_crops

    def clip_shape(self) -> tuple[int, ...]:
        frames, size = self.sampler.num_frames, self.size
        return (frames, 3, size, size) if self.training else (self.views, frames, 3, size, size)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        position, epoch = (key if isinstance(key, tuple) else (key, 0))
        record = self.index.records[position]
        try:
            video = self._train_clip(record.path, position, epoch) if self.training else self._eval_views(record.path)
            valid, error = True, ""
        except _READ_ERRORS as exc:
            video = torch.zeros(self.clip_shape())
            valid, error = False, f"{type(exc).__name__}: {exc}" if not isinstance(exc, VideoDecodeError) else str(exc)
        return {"video": video, "label": record.label, "index": position, "valid": valid, "error": error}

    def _train_clip(self, path: Any, position: int, epoch: int) -> torch.Tensor:
        assert self.train_transform is not None
        rng = np.random.default_rng([self.seed, epoch, position])
        frames = read_frames(
            path, lambda total: self.sampler.train(total, rng),
            max_short_side=self.train_transform.max_short_side, threads=self.decode_threads,
        )
        return self.train_transform(frames, rng)

    def _eval_views(self, path: Any) -> torch.Tensor:
        assert self.eval_transform is not None
        views = self.temporal_views
        frames = read_frames(
            path, lambda total: self.sampler.test_views(total, views).reshape(-1),
            max_short_side=self.eval_transform.max_short_side, threads=self.decode_threads,
        )
        per_view = frames.reshape(views, self.sampler.num_frames, *frames.shape[1:])
        clips = [self.eval_transform(per_view[v]) for v in range(views)]  # each [C, T, 3, S, S]
        return torch.cat(clips, dim=0)


@dataclass
class ClipBatch:
    """A collated batch: clips, labels, dataset positions, which items are real, why others are not."""

    video: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor
    valid: torch.Tensor
    errors: list[tuple[int, str]]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = True) -> ClipBatch:
        return ClipBatch(
            self.video.to(device, non_blocking=non_blocking),
            self.labels.to(device, non_blocking=non_blocking),
            self.indices,
            self.valid.to(device, non_blocking=non_blocking),
            self.errors,
        )

    def pin_memory(self) -> ClipBatch:
        return ClipBatch(self.video.pin_memory(), self.labels.pin_memory(), self.indices, self.valid.pin_memory(), self.errors)


def collate_clips(samples: list[dict[str, Any]]) -> ClipBatch:
    return ClipBatch(
        video=torch.stack([s["video"] for s in samples]),
        labels=torch.tensor([s["label"] for s in samples], dtype=torch.long),
        indices=torch.tensor([s["index"] for s in samples], dtype=torch.long),
        valid=torch.tensor([s["valid"] for s in samples], dtype=torch.bool),
        errors=[(s["index"], s["error"]) for s in samples if not s["valid"]],
    )
