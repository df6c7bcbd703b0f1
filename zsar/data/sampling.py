"""Which frames of a video make a clip.

Two samplers, both deterministic at test time and driven by an explicit random generator in
training (so a resumed run draws exactly what an uninterrupted one would):

* :class:`SegmentSampler` (TSN-style, ViFi-CLIP/X-CLIP/BIKE): the video is cut into ``T``
  equal segments and one frame is taken from each. Frame ``i`` is
  ``floor((i + u_i) * n / T)``: in training ``u_i`` is drawn uniformly from ``[0, 1)`` for each
  segment; at test time temporal view ``v`` of ``V`` uses ``u = (v + 0.5) / V`` for every
  segment (one view: the middle of each segment, as mmaction's test mode). Videos shorter than
  ``T`` frames repeat frames.
* :class:`DenseSampler` (PySlowFast-style, Open-VCLIP/FROSTER/STDD/SC-CLIP): ``T`` frames
  ``stride`` apart in a window of ``(T - 1) * stride + 1`` frames. In training the window starts
  anywhere; at test time the ``V`` windows are spread evenly from the first to the last possible
  start (PySlowFast's ``USE_OFFSET_SAMPLING``), one view is centred. Positions past the end are
  clamped to the last frame.

ViFi-CLIP draws its multi-view test clips with *random* segment offsets; kgen uses the evenly
spaced offsets above so that evaluation is reproducible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class FrameSampler(ABC):
    """Chooses ``num_frames`` frame positions out of a video of ``total`` frames."""

    def __init__(self, num_frames: int) -> None:
        if num_frames < 1:
            raise ValueError("a clip needs at least one frame")
        self.num_frames = num_frames

    @abstractmethod
    def train(self, total: int, rng: np.random.Generator) -> np.ndarray:
        """``[T]`` positions for a training clip."""

    @abstractmethod
    def test(self, total: int, view: int = 0, num_views: int = 1) -> np.ndarray:
        """``[T]`` positions of temporal view ``view`` of ``num_views``."""

    def test_views(self, total: int, num_views: int) -> np.ndarray:
        """``[V, T]`` positions of every temporal view."""
        return np.stack([self.test(total, view, num_views) for view in range(num_views)])


class SegmentSampler(FrameSampler):
    """One frame from each of ``T`` equal segments (see the module docstring)."""

    def _positions(self, total: int, offsets: np.ndarray) -> np.ndarray:
        if total < 1:
            raise ValueError("the video has no frames")
        index = np.floor((np.arange(self.num_frames) + offsets) * total / self.num_frames).astype(np.int64)
        return np.clip(index, 0, total - 1)

    def train(self, total: int, rng: np.random.Generator) -> np.ndarray:
        return self._positions(total, rng.random(self.num_frames))

    def test(self, total: int, view: int = 0, num_views: int = 1) -> np.ndarray:
        if not 0 <= view < num_views:
            raise ValueError(f"view {view} of {num_views}")
        return self._positions(total, np.full(self.num_frames, (view + 0.5) / num_views))


class DenseSampler(FrameSampler):
    """``T`` frames ``stride`` apart (see the module docstring)."""

    def __init__(self, num_frames: int, stride: int) -> None:
        super().__init__(num_frames)
        if stride < 1:
            raise ValueError("the sampling stride must be at least 1")
        self.stride = stride

    @property
    def span(self) -> int:
        return (self.num_frames - 1) * self.stride + 1

    def _window(self, total: int, start: int) -> np.ndarray:
        if total < 1:
            raise ValueError("the video has no frames")
        return np.clip(start + np.arange(self.num_frames) * self.stride, 0, total - 1).astype(np.int64)

    def train(self, total: int, rng: np.random.Generator) -> np.ndarray:
        slack = max(total - self.span, 0)
        return self._window(total, int(rng.integers(0, slack + 1)))

    def test(self, total: int, view: int = 0, num_views: int = 1) -> np.ndarray:
        if not 0 <= view < num_views:
            raise ValueError(f"view {view} of {num_views}")
        slack = max(total - self.span, 0)
        start = slack // 2 if num_views == 1 else int(view * slack // (num_views - 1))
        return self._window(total, start)


def make_sampler(kind: str, num_frames: int, stride: int = 1) -> FrameSampler:
    if kind == "segment":
        return SegmentSampler(num_frames)
    if kind == "dense":
        return DenseSampler(num_frames, stride)
    raise ValueError(f"unknown frame sampling {kind!r} (segment or dense)")
