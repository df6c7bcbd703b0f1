"""Decoding the frames a sampler picks, with PyAV.

:func:`read_frames` opens a video, asks ``choose(num_frames)`` which frame positions it wants
(any order, repeats allowed), decodes the stream once up to the last position it needs, and
returns those frames as ``uint8`` ``[K, H, W, 3]`` RGB in the order asked.

* The frame count comes from the container (``stream.frames``); when a container does not
  store it, or stores a wrong one, the whole stream is decoded and counted instead, so the
  sample is always taken over the frames that really exist.
* Frames larger than needed are scaled down by libswscale while converting to RGB
  (``max_short_side``), which is much cheaper than decoding full HD frames into tensors and
  resizing them afterwards.
* Every failure (missing file, not a video, no video stream, corrupt stream, no frames) is a
  :class:`VideoDecodeError` with a short reason; the dataset turns it into a skipped video.

decord is not used: PyAV ships wheels everywhere and decodes what FFmpeg decodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import av
import numpy as np


class VideoDecodeError(Exception):
    """A video that cannot be read; ``str(error)`` says why."""


def read_frames(
    path: Path | str,
    choose: Callable[[int], Sequence[int] | np.ndarray],
    *,
    max_short_side: int | None = None,
    threads: int = 0,
) -> np.ndarray:
    """Decode the frames ``choose(num_frames)`` picks; ``uint8`` ``[K, H, W, 3]`` (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(f"no such file: {path}")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = _video_stream(container)
            total = int(stream.frames or 0)
            if total > 0:
                wanted = _positions(choose, total)
                frames, reached = _decode_positions(container, stream, wanted, max_short_side, threads)
                if reached > int(wanted.max()):
                    return np.stack([frames[p] for p in wanted.tolist()])
        # No frame count in the container, or one too high: decode everything and count.
        with av.open(str(path), metadata_errors="ignore") as container:
            return _decode_counting(container, _video_stream(container), choose, max_short_side, threads)
    except VideoDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError, RuntimeError, EOFError) as exc:
        raise VideoDecodeError(f"{type(exc).__name__}: {exc}") from exc


def count_frames(path: Path | str) -> int:
    """The number of frames in a video's first video stream, by decoding it."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return sum(1 for _ in container.decode(_video_stream(container)))
    except (av.FFmpegError, OSError) as exc:
        raise VideoDecodeError(f"{type(exc).__name__}: {exc}") from exc


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise VideoDecodeError("the file has no video stream")
    return container.streams.video[0]


def _configure(stream: av.video.stream.VideoStream, threads: int) -> None:
    stream.thread_type = "AUTO"
    if threads > 0:
        stream.codec_context.thread_count = threads


def _positions(choose: Callable[[int], Sequence[int] | np.ndarray], total: int) -> np.ndarray:
    wanted = np.asarray(choose(total), dtype=np.int64).reshape(-1)
    if wanted.size == 0:
        raise ValueError("the frame sampler chose no frames")
    if wanted.min() < 0 or wanted.max() >= total:
        raise ValueError(f"the frame sampler chose frames outside 0..{total - 1}")
    return wanted


def _to_rgb(frame: av.VideoFrame, max_short_side: int | None) -> np.ndarray:
    if max_short_side is not None:
        short = min(frame.width, frame.height)
        if short > max_short_side:
            scale = max_short_side / short
            width = max(2, int(round(frame.width * scale)))
            height = max(2, int(round(frame.height * scale)))
            return frame.to_ndarray(format="rgb24", width=width, height=height)
    return frame.to_ndarray(format="rgb24")


def _decode_positions(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    wanted: np.ndarray,
    max_short_side: int | None,
    threads: int,
) -> tuple[dict[int, np.ndarray], int]:
    """Decode up to the last wanted position; returns the wanted frames and how many frames were decoded."""
    _configure(stream, threads)
    needed = set(wanted.tolist())
    last = int(wanted.max())
    frames: dict[int, np.ndarray] = {}
    position = -1
    for position, frame in enumerate(container.decode(stream)):
        if position in needed:
            frames[position] = _to_rgb(frame, max_short_side)
        if position >= last:
            break
    return frames, position + 1


def _decode_counting(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    choose: Callable[[int], Sequence[int] | np.ndarray],
    max_short_side: int | None,
    threads: int,
) -> np.ndarray:
    """Decode every frame (kept as decoded frames, converted only when chosen), then choose."""
    _configure(stream, threads)
    decoded = list(container.decode(stream))
    if not decoded:
        raise VideoDecodeError("the video stream holds no frames")
    wanted = _positions(choose, len(decoded))
    converted: dict[int, np.ndarray] = {}
    for p in set(wanted.tolist()):
        converted[p] = _to_rgb(decoded[p], max_short_side)
    return np.stack([converted[p] for p in wanted.tolist()])
