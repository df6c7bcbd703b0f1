"""The index of a video list: which file holds which labelled video.

List files are the ones the peers release, one video per line:

* ``path label`` (X-CLIP/ViFi-CLIP, the built-in lists in ``knowledge/datasets/*/lists``), or
* ``path,label`` (PySlowFast CSVs: Open-VCLIP, FROSTER, STDD, SC-CLIP).

``path`` is relative to the video root (absolute paths are kept); it may contain spaces, the
label is the last field. Blank lines are skipped, and so are comments: lines that start with
``#`` followed by a space (or nothing), or that start with ``#`` and have no label. A line such
as ``#2_Gum_chew_h_nm_np1_fr_med_0.avi 1`` is a video: HMDB51 has file names that start with
``#`` (``test2`` holds 10 of them). Labels index the
list's *label space*: all classes of the dataset in label order, or a class split in the split's
own order (``b2n_novel_val`` labels 0..N-1 are the novel classes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from kgen.console import warn
from kgen.datasets import Dataset
from kgen.errors import InputError


@dataclass(frozen=True)
class VideoRecord:
    """One labelled video of a list."""

    path: Path
    label: int
    line: int


@dataclass(frozen=True)
class VideoIndex:
    """A parsed video list: its records, where it came from and the label space its labels use."""

    records: tuple[VideoRecord, ...]
    source: str
    dataset: str
    label_space: str | None
    num_classes: int
    video_root: Path | None

    def __len__(self) -> int:
        return len(self.records)

    def head(self, count: int) -> VideoIndex:
        """The first ``count`` videos (smoke runs, ``--limit``)."""
        return VideoIndex(self.records[:count], self.source, self.dataset, self.label_space, self.num_classes, self.video_root)


def resolve_list(dataset: Dataset, list_name_or_path: str | Path, label_space: str | None = None) -> tuple[Path, str | None]:
    """A built-in list name of ``dataset`` (its file and label space) or a path to a list file.

    ``label_space`` overrides the built-in list's label space; for a file of one's own it says
    which class split the labels index (``None``: all classes).
    """
    text = str(list_name_or_path)
    spec_names = [v.name for v in dataset.spec.video_lists] if dataset.spec else []
    if text in spec_names:
        video_list = dataset.video_list(text)
        return dataset.video_list_path(text), label_space if label_space is not None else video_list.label_space
    path = Path(text).expanduser()
    if path.is_file():
        return path, label_space
    known = ", ".join(spec_names) or "none"
    raise InputError(
        f"{text!r} is neither a video list of {dataset.name} nor an existing file",
        hint=f"built-in lists of {dataset.name}: {known}; or give the path of a 'path label' list file",
    )


def label_space_classes(dataset: Dataset, label_space: str | None) -> tuple[list[int], list[str]]:
    """Class ids and names of a label space (``None``: every class of the dataset, in label order)."""
    if label_space is None:
        return [entry.id for entry in dataset.classes], [entry.name for entry in dataset.classes]
    entries = dataset.split_classes(label_space)
    return [entry.id for entry in entries], [entry.name for entry in entries]


def read_video_list(
    path: Path,
    *,
    dataset: Dataset,
    label_space: str | None = None,
    video_root: Path | None = None,
) -> VideoIndex:
    """Parse a list file; every problem is an :class:`~kgen.errors.InputError` naming file and line."""
    path = Path(path)
    ids, _ = label_space_classes(dataset, label_space)
    num_classes = len(ids)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read video list {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"video list {path} is not UTF-8 text") from exc
    records: list[VideoRecord] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, label_text = _split_line(line)
        if line.startswith("#") and (len(line) == 1 or line[1].isspace() or name is None or not label_text.lstrip("-").isdigit()):
            continue  # a comment (HMDB51 file names may start with '#': those lines have a label)
        if name is None:
            raise InputError(f"{path}:{number}: expected 'path label', got {raw!r}")
        try:
            label = int(label_text)
        except ValueError:
            raise InputError(f"{path}:{number}: label {label_text!r} is not an integer") from None
        if not 0 <= label < num_classes:
            space = f"class split {label_space!r}" if label_space else "all classes"
            raise InputError(
                f"{path}:{number}: label {label} is outside 0..{num_classes - 1} ({dataset.name}, {space})",
                hint="check --dataset and --label-space: the labels must index that label space",
            )
        video = Path(name)
        if video_root is not None and not video.is_absolute():
            video = video_root / video
        records.append(VideoRecord(video, label, number))
    if not records:
        raise InputError(f"video list {path} holds no videos")
    return VideoIndex(tuple(records), str(path), dataset.name, label_space, num_classes, video_root)


def _split_line(line: str) -> tuple[str | None, str]:
    if "," in line:
        name, label = line.rsplit(",", 1)
        if label.strip().lstrip("-").isdigit() and name.strip():
            return name.strip(), label.strip()
    parts = line.rsplit(None, 1)
    if len(parts) != 2:
        return None, ""
    return parts[0], parts[1]


def check_videos_exist(index: VideoIndex, sample: int = 24, seed: int = 0) -> None:
    """Look for a sample of the list's files: none found is an error (a wrong ``--video-root``), some missing a warning."""
    records = list(index.records)
    chosen = records[: sample // 2] + random.Random(seed).sample(records, min(len(records), sample - sample // 2))
    chosen = list(dict.fromkeys(chosen))
    missing = [record for record in chosen if not record.path.is_file()]
    if len(missing) == len(chosen):
        example = missing[0].path
        raise InputError(
            f"none of {len(chosen)} videos checked from {index.source} exist (for example {example})",
            hint="give the folder that holds the videos with --video-root (list paths are relative to it)",
        )
    if missing:
        warn(
            f"{len(missing)} of {len(chosen)} videos checked from {index.source} do not exist (for example "
            f"{missing[0].path}); missing videos are skipped and reported"
        )
