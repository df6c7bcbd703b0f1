"""Small real video files for tests and smoke runs, written with PyAV.

:func:`make_synthetic_dataset` writes ``num_classes x videos_per_class`` short H.264 mp4 files
(MPEG-4 part 2 where libx264 is missing) and a ``path label`` list file. Class ``k`` is a square
of its own colour sliding in its own direction over a grey, lightly noisy background; each video
starts the square at a different place and speed, so clips differ while classes stay easy to
tell apart (a tiny random ViT learns them in a few dozen steps). Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

PALETTE = [
    ("red", (220, 40, 40)),
    ("green", (40, 200, 60)),
    ("blue", (40, 70, 230)),
    ("yellow", (235, 220, 40)),
    ("magenta", (220, 50, 220)),
    ("cyan", (40, 220, 220)),
    ("white", (250, 250, 250)),
    ("black", (10, 10, 10)),
]
DIRECTIONS = [("right", (0, 1)), ("left", (0, -1)), ("down", (1, 0)), ("up", (-1, 0))]


@dataclass(frozen=True)
class SyntheticDataset:
    """Where the videos are and what their classes are called."""

    root: Path
    list_file: Path
    classes_file: Path
    class_names: list[str]
    videos: list[Path]
    labels: list[int]


def class_name(k: int) -> str:
    color = PALETTE[k % len(PALETTE)][0]
    direction = DIRECTIONS[(k // len(PALETTE) + k) % len(DIRECTIONS)][0]
    return f"{color} square moving {direction}"


def _codec() -> str:
    try:
        av.codec.Codec("libx264", "w")
        return "libx264"
    except (av.codec.codec.UnknownCodecError, ValueError):
        return "mpeg4"


def write_video(path: Path, frames: np.ndarray, fps: int = 8) -> Path:
    """Write ``uint8 [T, H, W, 3]`` RGB frames (H and W even) to an mp4 file."""
    frames = np.asarray(frames, dtype=np.uint8)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"expected uint8 frames [T, H, W, 3] with even H and W, got {frames.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(_codec(), rate=fps)
        stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
        stream.pix_fmt = "yuv420p"
        if stream.codec_context.name == "libx264":
            stream.options = {"crf": "18", "preset": "ultrafast"}
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def moving_square(
    k: int, rng: np.random.Generator, *, frames: int = 16, height: int = 72, width: int = 96
) -> np.ndarray:
    """The frames of one video of class ``k`` (see the module docstring)."""
    color = np.array(PALETTE[k % len(PALETTE)][1], dtype=np.float32)
    dy, dx = DIRECTIONS[(k // len(PALETTE) + k) % len(DIRECTIONS)][1]
    side = max(8, min(height, width) // 3)
    speed = rng.uniform(0.5, 1.5) * (min(height, width) - side) / max(frames - 1, 1)
    y0 = rng.uniform(0, height - side) if dy == 0 else (0 if dy > 0 else height - side)
    x0 = rng.uniform(0, width - side) if dx == 0 else (0 if dx > 0 else width - side)
    video = np.empty((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        canvas = 128 + rng.normal(0, 6, size=(height, width, 3))
        y = int(np.clip(y0 + dy * speed * t, 0, height - side))
        x = int(np.clip(x0 + dx * speed * t, 0, width - side))
        canvas[y : y + side, x : x + side] = color
        video[t] = np.clip(canvas, 0, 255).astype(np.uint8)
    return video


def make_synthetic_dataset(
    root: Path,
    *,
    num_classes: int = 4,
    videos_per_class: int = 3,
    frames: int = 16,
    height: int = 72,
    width: int = 96,
    fps: int = 8,
    seed: int = 0,
    list_name: str = "videos.txt",
) -> SyntheticDataset:
    """Write the videos, ``<root>/<list_name>`` (``path label``) and ``<root>/classes.txt``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    names = [class_name(k) for k in range(num_classes)]
    videos: list[Path] = []
    labels: list[int] = []
    lines: list[str] = []
    for k in range(num_classes):
        for j in range(videos_per_class):
            relative = Path(f"class{k:02d}") / f"video{j:03d}.mp4"
            write_video(root / relative, moving_square(k, rng, frames=frames, height=height, width=width), fps=fps)
            videos.append(root / relative)
            labels.append(k)
            lines.append(f"{relative.as_posix()} {k}")
    list_file = root / list_name
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    classes_file = root / "classes.txt"
    classes_file.write_text("\n".join(names) + "\n", encoding="utf-8")
    return SyntheticDataset(root, list_file, classes_file, names, videos, labels)


def write_unreadable_video(path: Path, size: int = 2048, seed: int = 0) -> Path:
    """A file named like a video that holds random bytes (for bad-input tests)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8).tobytes())
    return path
