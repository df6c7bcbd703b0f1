"""Evaluation results: the ``kgen.zsar.eval`` JSON file and its readable table.

One file per ``kgen eval`` call (format version 3, ``docs/formats/eval-results.md``). ``runs``
holds one entry per evaluated model (one checkpoint, or one per seed for base-to-novel), each
with every list's result: accuracy, per-class accuracy, the confusion matrix, and every video's
top-k predictions with their scores, all with the class names, so that a report can be built from
the file alone. ``summary`` holds the protocol's headline numbers (mean and std over splits or
draws; Base, Novel and HM for base-to-novel); ``video_pool`` and ``settings`` say which videos
and which model and test settings produced them.

The file is indented JSON, except that a list of numbers (a confusion-matrix row, a video's
top-k) and a short record (one video's prediction) each take one line.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

from kgen import __version__
from kgen.fileformat import VersionedFile
from kgen.knowledge.base import utc_now

TOP_K = 5
# Above this many classes a list's confusion matrix is stored sparse (its non-zero cells): a dense
# 100,000-class matrix would be 10^10 numbers, while a list has at most one non-zero cell a video.
DENSE_CONFUSION_MAX_CLASSES = 1000


class SkippedVideo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video: str
    error: str


class VideoPrediction(BaseModel):
    """One video's best classes (label indices of the list's label space) and their scores."""

    model_config = ConfigDict(extra="forbid")

    video: str = Field(description="the video's path as the list gives it")
    label: int = Field(description="the true label")
    top: list[int] = Field(description="the k best labels, best first")
    scores: list[float] = Field(description="their scores: the aggregated view logits, or probabilities for mean-softmax")


class ListResult(BaseModel):
    """Accuracy on one video list, in its label space, with what it was made of."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="list name (built-in) or file name")
    role: str = Field(description="what the protocol uses the list for: split1, draw0, base, novel, full...")
    source: str
    label_space: str | None
    num_classes: int
    videos: int = Field(description="videos in the list (after --limit)")
    evaluated: int = Field(description="videos read and scored")
    skipped: list[SkippedVideo] = []
    top1: float = Field(description="percent of evaluated videos whose best class is right")
    top5: float | None = Field(description="percent whose true class is among the 5 best; null with 5 classes or fewer")
    mean_class_accuracy: float = Field(description="top-1 averaged over the classes that have videos (percent)")
    class_ids: list[int] = Field(default_factory=list, description="the dataset's class id of each label")
    class_names: list[str] = Field(default_factory=list, description="the name of each label")
    per_class_videos: list[int] = Field(default_factory=list, description="evaluated videos of each label")
    per_class_top1: list[float | None] = Field(
        default_factory=list, description="top-1 of each label's videos (percent; null without videos)"
    )
    confusion_layout: Literal["dense", "sparse"] = Field(
        "dense", description=f"dense: the C x C matrix in confusion; sparse (C > {DENSE_CONFUSION_MAX_CLASSES}): "
        "its non-zero cells in confusion_entries"
    )
    confusion: list[list[int]] = Field(
        default_factory=list,
        description="dense layout: confusion[true label][predicted label], video counts (evaluated videos); else empty",
    )
    confusion_entries: list[list[int]] = Field(
        default_factory=list,
        description="sparse layout: [true label, predicted label, count] for every non-zero cell, sorted; else empty",
    )
    top_k: int = Field(TOP_K, description="how many best labels each prediction holds (min(5, classes))")
    predictions: list[VideoPrediction] = Field(default_factory=list, description="every evaluated video, in list order")

    def confusion_cells(self) -> dict[tuple[int, int], int]:
        """The non-zero cells ``{(true label, predicted label): count}``, whichever the layout."""
        if self.confusion_layout == "sparse":
            return {(true, guess): count for true, guess, count in self.confusion_entries}
        return {(true, guess): count for true, row in enumerate(self.confusion) for guess, count in enumerate(row) if count}


class RunResult(BaseModel):
    """One model's results (a checkpoint, a seed, or frozen CLIP)."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="s1/s2/s3 for base-to-novel seeds, else the checkpoint's name")
    checkpoint: str | None
    model: str
    backbone: str
    pretrained: str | None = None
    lists: list[ListResult]


class MetricSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mean: float
    std: float = Field(description="population standard deviation (numpy's default, ddof=0) over the values")
    values: list[float]


class EvalReport(VersionedFile):
    FORMAT = "kgen.zsar.eval"
    VERSION = 3
    # Version 3 added confusion_layout and confusion_entries; a version-2 file is a dense-layout one.
    MIGRATIONS = {2: lambda raw: raw}

    protocol: str = Field(description="zero-shot, half-class, base-to-novel, few-shot or list")
    dataset: str
    video_pool: dict[str, str] = Field(description="name and description of the videos the protocol used")
    bank: dict[str, Any]
    views: dict[str, Any] = Field(
        description="frames, input size, frame sampling and its stride, test short side, temporal views, spatial crops, "
        "aggregation, precision, limit"
    )
    settings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="per run: the model options evaluation changed (the dataset's paper defaults, --set), and why",
    )
    runs: list[RunResult]
    summary: dict[str, MetricSummary] = Field(
        description="headline numbers: top1/top5 over splits, or base/novel top-1 over seeds"
    )
    harmonic_mean: float | None = Field(None, description="base-to-novel: 2BN/(B+N) of the seed-averaged Base and Novel")
    notes: list[str] = []
    kgen_version: str = __version__
    created_at: str = Field(default_factory=utc_now)


    def to_json(self) -> str:
        return compact_json(self.model_dump(mode="json")) + "\n"


def compact_json(value: Any, indent: int = 2, width: int = 160, _level: int = 0) -> str:
    """Indented JSON where lists of scalars and short flat records take one line each."""
    scalar = (str, int, float, bool, type(None))
    one_line = json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(isinstance(v, scalar) for v in value):
        return one_line
    flat = isinstance(value, dict) and all(
        isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(x, scalar) for x in v)) for v in value.values()
    )
    if flat and len(one_line) <= width:
        return one_line
    pad, inner = " " * (indent * _level), " " * (indent * (_level + 1))
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {compact_json(v, indent, width, _level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [inner + compact_json(v, indent, width, _level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return one_line


def report_table(report: EvalReport) -> Table:
    """A rich table: one row per run and list, then the summary rows."""
    views = report.views
    title = (
        f"{report.protocol} on {report.dataset} ({report.video_pool.get('name')}): "
        f"{views.get('temporal_views')}x{views.get('spatial_crops')} views, {views.get('frames')} frames "
        f"({views.get('sampling')}), {views.get('aggregation')}"
    )
    table = Table(title=title)
    for column in ("run", "list", "role", "classes", "videos", "skipped", "top-1", "top-5"):
        table.add_column(column, justify="right" if column in ("classes", "videos", "skipped", "top-1", "top-5") else "left")
    for run in report.runs:
        for result in run.lists:
            table.add_row(
                run.label, result.name, result.role, str(result.num_classes), str(result.evaluated),
                str(len(result.skipped)), f"{result.top1:.2f}", "-" if result.top5 is None else f"{result.top5:.2f}",
            )
    for name, metric in report.summary.items():
        table.add_row("summary", name, f"n={len(metric.values)}", "", "", "", f"{metric.mean:.2f} ± {metric.std:.2f}", "",
                      style="bold")
    if report.harmonic_mean is not None:
        table.add_row("summary", "HM", "2BN/(B+N)", "", "", "", f"{report.harmonic_mean:.2f}", "", style="bold")
    return table
