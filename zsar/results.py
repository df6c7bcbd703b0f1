"""Evaluation results: the ``kgen.zsar.eval`` JSON file and its readable table.

One file per ``kgen eval`` call. ``runs`` holds one entry per evaluated model (one checkpoint,
or one per seed for base-to-novel), each with the accuracy on every list; ``summary`` holds the
protocol's headline numbers (mean and std over splits; Base, Novel and HM for base-to-novel).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

from kgen import __version__
from kgen.fileformat import VersionedFile
from kgen.knowledge.base import utc_now


class SkippedVideo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video: str
    error: str


class ListResult(BaseModel):
    """Accuracy on one video list, in its label space."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="list name (built-in) or file name")
    role: str = Field(description="what the protocol uses the list for: split1, base, novel, full...")
    source: str
    label_space: str | None
    num_classes: int
    videos: int = Field(description="videos in the list (after --limit)")
    evaluated: int = Field(description="videos read and scored")
    skipped: list[SkippedVideo] = []
    top1: float = Field(description="percent of evaluated videos whose best class is right")
    top5: float
    mean_class_accuracy: float = Field(description="top-1 averaged over classes (percent)")


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
    VERSION = 1

    protocol: str
    dataset: str
    bank: dict[str, Any]
    views: dict[str, Any] = Field(description="frames, input size, temporal views, spatial crops, aggregation")
    runs: list[RunResult]
    summary: dict[str, MetricSummary] = Field(
        description="headline numbers: top1/top5 over splits, or base/novel top-1 over seeds"
    )
    harmonic_mean: float | None = Field(None, description="base-to-novel: 2BN/(B+N) of the seed-averaged Base and Novel")
    notes: list[str] = []
    kgen_version: str = __version__
    created_at: str = Field(default_factory=utc_now)


def report_table(report: EvalReport) -> Table:
    """A rich table: one row per run and list, then the summary rows."""
    views = report.views
    title = (
        f"{report.protocol} on {report.dataset}: {views.get('temporal_views')}x{views.get('spatial_crops')} views, "
        f"{views.get('frames')} frames, {views.get('aggregation')}"
    )
    table = Table(title=title)
    for column in ("run", "list", "role", "classes", "videos", "skipped", "top-1", "top-5"):
        table.add_column(column, justify="right" if column in ("classes", "videos", "skipped", "top-1", "top-5") else "left")
    for run in report.runs:
        for result in run.lists:
            table.add_row(
                run.label, result.name, result.role, str(result.num_classes), str(result.evaluated),
                str(len(result.skipped)), f"{result.top1:.2f}", f"{result.top5:.2f}",
            )
    for name, metric in report.summary.items():
        table.add_row("summary", name, f"n={len(metric.values)}", "", "", "", f"{metric.mean:.2f} ± {metric.std:.2f}", "",
                      style="bold")
    if report.harmonic_mean is not None:
        table.add_row("summary", "HM", "2BN/(B+N)", "", "", "", f"{report.harmonic_mean:.2f}", "", style="bold")
    return table
