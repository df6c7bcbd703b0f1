"""Running a model over video lists: multi-view scores, top-1/top-5, the protocol's report.

For every video of a list, the dataset yields all its test views (``temporal_views`` clips x
``spatial_crops`` crops); the model scores them together (``VideoModel.view_scores``) with the
chosen aggregation:

* ``mean-logits``: the mean of the views' logits (PySlowFast's ``TestMeter`` sums them);
* ``mean-softmax``: the mean of the views' class probabilities (ViFi-CLIP, X-CLIP, BIKE);
* ``joint-frames``: frame-level models score the frames of all views as one clip (AP-CLIP's
  multi-view late interaction).

How clips are read comes from the run's config (:func:`settings_from_config`): the recipe's test
views, aggregation and test short side, and its frame sampling and stride, input size and
precision; ``kgen eval --set`` changes any of them, and a model's per-dataset paper settings are
applied for the evaluated dataset (:func:`config_for_evaluation`, SC-CLIP's Table 1). Every list's
result holds top-1, top-5 (left out with 5 classes or fewer), per-class accuracy, the confusion
matrix and every video's top-k predictions (``docs/formats/eval-results.md``).

The aggregation can change top-1; it is part of every report. Unreadable videos are skipped,
listed in the report, and left out of the accuracy; when more than ``data.max_skip_fraction``
(default 0.5) of a list's videos are unreadable the evaluation stops with an error (exit 2), the
rule training applies (:mod:`zsar.data.unreadable`). Above 1,000 classes a list's confusion
matrix is stored sparse (:data:`zsar.engine.results.DENSE_CONFUSION_MAX_CLASSES`). Under torchrun each process evaluates every
``world_size``-th video and the predictions are gathered on rank 0.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kgen.banks import Bank
from kgen.console import progress, warn
from kgen.datasets import Dataset
from kgen.errors import InputError
from zsar.data import (
    ClipDataset,
    EvalTransform,
    ShardBatchSampler,
    make_loader,
    make_sampler,
    read_video_list,
    resolve_list,
)
from zsar.data.index import VideoIndex, check_videos_exist
from zsar.data.transforms import CLIP_MEAN, CLIP_STD
from zsar.data.unreadable import too_many_unreadable
from zsar.engine import distributed
from zsar.engine.config import RunConfig, apply_overrides
from zsar.engine.protocols import protocol_plan, summarize
from zsar.engine.results import (
    DENSE_CONFUSION_MAX_CLASSES,
    TOP_K,
    EvalReport,
    ListResult,
    RunResult,
    SkippedVideo,
    VideoPrediction,
)
from zsar.engine.train import autocast_dtype
from zsar.models import VideoModel
from zsar.models.textside import TextSide, text_side_for


@dataclass(frozen=True)
class EvalSettings:
    """How videos are turned into views and scores."""

    temporal_views: int = 1
    spatial_crops: int = 1
    aggregation: str = "mean-logits"
    test_short_side: int | None = None
    batch_size: int = 8
    workers: int = 4
    input_size: int | None = None
    sampling: str = "segment"
    sampling_stride: int = 8
    precision: str = "auto"
    limit: int | None = None
    decode_threads: int = 1
    max_skip_fraction: float = 0.5


@dataclass
class EvalModel:
    """A model to evaluate and how to name it in the report."""

    label: str
    model: VideoModel
    checkpoint: str | None
    pretrained: str | None = None


@dataclass(frozen=True)
class Prediction:
    """One video's outcome: its best labels (best first) and their scores; empty when unreadable."""

    position: int
    label: int
    valid: bool
    error: str
    top: tuple[int, ...]
    scores: tuple[float, ...] = ()


def settings_from_config(config: RunConfig, *, limit: int | None = None) -> EvalSettings:
    """The test settings a run's config gives: its ``eval`` section and its frame sampling, size and precision."""
    return EvalSettings(
        temporal_views=config.eval.temporal_views,
        spatial_crops=config.eval.spatial_crops,
        aggregation=config.eval.aggregation,
        test_short_side=config.eval.test_short_side,
        batch_size=config.eval.batch_size,
        workers=config.eval.workers,
        input_size=config.data.input_size,
        sampling=config.data.sampling,
        sampling_stride=config.data.sampling_stride,
        precision=config.train.precision,
        limit=limit,
        decode_threads=config.data.decode_threads,
        max_skip_fraction=config.data.max_skip_fraction,
    )


def config_for_evaluation(config: RunConfig, dataset: str, assignments: list[str]) -> tuple[RunConfig, dict[str, Any]]:
    """A run's config as evaluated on ``dataset``: the model's per-dataset paper defaults, then ``--set`` assignments.

    Returns the config and a record of what changed (``{"paper_defaults": {key: [old, new]}, "set": [...]}``);
    a default that ``--set`` also names is left to ``--set``.
    """
    from zsar.models import model_class

    named = {assignment.partition("=")[0].strip() for assignment in assignments}
    defaults = model_class(config.model.name).DATASET_DEFAULTS.get(dataset, {})
    changed: dict[str, list[Any]] = {}
    automatic = []
    for key, value in defaults.items():
        dotted = f"model.{key}"
        if dotted in named:
            continue
        old = getattr(config.model, key)
        if old != value:
            changed[dotted] = [old, value]
            automatic.append(f"{dotted}={json.dumps(value)}")
    updated = apply_overrides(config, automatic + list(assignments)) if (automatic or assignments) else config
    record: dict[str, Any] = {}
    if changed:
        record["paper_defaults"] = changed
        record["paper_defaults_reason"] = f"{config.model.name}'s paper sets these options per dataset ({dataset})"
    if assignments:
        record["set"] = list(assignments)
    return updated, record


def score_index(
    model: VideoModel,
    text: TextSide,
    index: VideoIndex,
    settings: EvalSettings,
    ctx: distributed.DistContext,
    *,
    description: str = "eval",
    show_progress: bool = True,
) -> list[Prediction]:
    """Every video's top-5 classes (all processes' videos on every process, in list order)."""
    size = settings.input_size or model.backbone.image_size
    transform = EvalTransform(
        size,
        spatial_crops=settings.spatial_crops,
        short_side=settings.test_short_side,
        mean=tuple(model.preprocess_cfg.get("mean", CLIP_MEAN)),
        std=tuple(model.preprocess_cfg.get("std", CLIP_STD)),
    )
    sampler = make_sampler(settings.sampling, model.config.frames, settings.sampling_stride)
    clips = ClipDataset(index, sampler, eval_transform=transform, temporal_views=settings.temporal_views,
                        decode_threads=settings.decode_threads)
    batches = ShardBatchSampler(len(clips), batch_size=settings.batch_size, rank=ctx.rank, world_size=ctx.world_size)
    loader = make_loader(clips, batches, workers=settings.workers, pin_memory=ctx.device.type == "cuda")
    amp_dtype = autocast_dtype(settings.precision, ctx.device)
    top = min(TOP_K, text.num_classes)
    mine: list[Prediction] = []
    model.eval()
    bar = progress() if (ctx.is_main and show_progress) else None
    with bar or contextlib.nullcontext(), torch.inference_mode():
        task = bar.add_task(description, total=len(batches.positions)) if bar else None
        for batch in loader:
            video = batch.video.to(ctx.device, non_blocking=True)
            with torch.autocast(ctx.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                scores = model.view_scores(video, text, settings.aggregation)
            values, best = scores.float().topk(top, dim=-1)
            values, best = values.cpu().tolist(), best.cpu().tolist()
            errors = dict(batch.errors)
            for k, position in enumerate(batch.indices.tolist()):
                valid = bool(batch.valid[k])
                mine.append(Prediction(
                    position, int(batch.labels[k]), valid, errors.get(position, ""),
                    tuple(best[k]) if valid else (), tuple(round(v, 5) for v in values[k]) if valid else (),
                ))
            if bar is not None:
                bar.update(task, advance=len(batch))
    gathered = distributed.all_gather_objects(ctx, mine)
    return sorted((p for part in gathered for p in part), key=lambda p: p.position)


def list_result(
    predictions: list[Prediction],
    index: VideoIndex,
    *,
    name: str,
    role: str,
    num_classes: int,
    class_ids: list[int] | None = None,
    class_names: list[str] | None = None,
) -> ListResult:
    """Accuracy, per-class accuracy, confusion matrix and predictions of one list (unreadable videos left out)."""
    valid = [p for p in predictions if p.valid]
    skipped = [SkippedVideo(video=str(index.records[p.position].path), error=p.error) for p in predictions if not p.valid]
    labels = np.array([p.label for p in valid], dtype=np.int64)
    predicted = np.array([p.top[0] for p in valid], dtype=np.int64)
    hits1 = predicted == labels
    # Per-class counts from the (true, predicted) pairs: never a C x C array (C may be 100,000).
    per_class_videos = np.bincount(labels, minlength=num_classes)
    per_class_correct = np.bincount(labels[hits1], minlength=num_classes)
    per_class_top1 = [100.0 * float(k) / float(n) if n else None for k, n in zip(per_class_correct, per_class_videos, strict=True)]
    present = [v for v in per_class_top1 if v is not None]
    pairs, counts = np.unique(labels * num_classes + predicted, return_counts=True)
    entries = [[int(pair // num_classes), int(pair % num_classes), int(count)] for pair, count in zip(pairs, counts, strict=True)]
    dense = num_classes <= DENSE_CONFUSION_MAX_CLASSES
    confusion: list[list[int]] = []
    if dense:
        matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        for true, guess, count in entries:
            matrix[true, guess] = count
        confusion = matrix.tolist()
    # top-5 says nothing when there are 5 classes or fewer (it is always 100 %): left out.
    top5 = None
    if num_classes > TOP_K:
        top5 = 100.0 * float(np.mean([p.label in p.top for p in valid])) if valid else 0.0
    return ListResult(
        name=name,
        role=role,
        source=index.source,
        label_space=index.label_space,
        num_classes=num_classes,
        videos=len(index),
        evaluated=len(valid),
        skipped=skipped,
        top1=100.0 * float(hits1.mean()) if len(valid) else 0.0,
        top5=top5,
        mean_class_accuracy=float(np.mean(present)) if present else 0.0,
        class_ids=list(class_ids or []),
        class_names=list(class_names or []),
        per_class_videos=[int(n) for n in per_class_videos],
        per_class_top1=per_class_top1,
        confusion_layout="dense" if dense else "sparse",
        confusion=confusion,
        confusion_entries=[] if dense else entries,
        top_k=min(TOP_K, num_classes),
        predictions=[
            VideoPrediction(video=_listed_path(index, p.position), label=p.label, top=list(p.top), scores=list(p.scores))
            for p in valid
        ],
    )


def check_unreadable(result: ListResult, max_fraction: float) -> None:
    """Stop (exit 2) when more than ``max_fraction`` of a list's videos were unreadable (training's rule, zsar/data/unreadable.py).

    Every process holds the whole list's result, so every process stops together.
    """
    skipped = len(result.skipped)
    if too_many_unreadable(skipped, result.videos, result.videos, max_fraction):
        first = result.skipped[0]
        raise InputError(
            f"{result.name}: {skipped} of its {result.videos} videos were unreadable (more than data.max_skip_fraction = "
            f"{max_fraction}); the first: {first.video}: {first.error}",
            hint="check --video-root and the list file; to evaluate the readable videos anyway, --set data.max_skip_fraction=1",
        )


def _listed_path(index: VideoIndex, position: int) -> str:
    """A video's path as its list gives it (relative to the video root when there is one)."""
    path = index.records[position].path
    if index.video_root is not None:
        try:
            return str(path.relative_to(index.video_root))
        except ValueError:
            pass
    return str(path)


def evaluate(
    protocol: str,
    dataset: Dataset,
    models: list[EvalModel],
    bank: Bank,
    settings: EvalSettings,
    ctx: distributed.DistContext,
    *,
    video_root: Path | None,
    lists: list[str] | None = None,
    label_space: str | None = None,
    full_list: str | None = None,
    pool: str | None = None,
    run_settings: list[dict] | None = None,
    show_progress: bool = True,
) -> EvalReport:
    """Run ``protocol`` on ``dataset`` for every model; the report (complete on every process).

    ``run_settings``: what was changed in each model's options for this evaluation (recorded).
    """
    plan = protocol_plan(protocol, dataset, lists=lists, label_space=label_space, full_list=full_list, pool=pool)
    prepared = []
    for target in plan.targets:
        path, space = resolve_list(dataset, target.list_name, target.label_space)
        index = read_video_list(path, dataset=dataset, label_space=space, video_root=video_root)
        if settings.limit is not None:
            index = index.head(settings.limit)
        text = text_side_for(bank, dataset, space).to(ctx.device)
        check_videos_exist(index)
        prepared.append((target, index, text))
    runs: list[RunResult] = []
    for entry in models:
        entry.model.to(ctx.device)
        results = []
        for target, index, text in prepared:
            entry.model.check_text(text)
            scored_text = entry.model.text_for_evaluation(text)
            predictions = score_index(
                entry.model, scored_text, index, settings, ctx,
                description=f"{entry.label} {target.list_name}", show_progress=show_progress,
            )
            result = list_result(predictions, index, name=target.list_name, role=target.role, num_classes=text.num_classes,
                                 class_ids=text.class_ids, class_names=text.class_names)
            if result.skipped and ctx.is_main:
                warn(f"{target.list_name}: skipped {len(result.skipped)} unreadable video(s), e.g. {result.skipped[0].video}: "
                     f"{result.skipped[0].error}")
            check_unreadable(result, settings.max_skip_fraction)
            results.append(result)
        runs.append(RunResult(
            label=entry.label, checkpoint=entry.checkpoint, model=entry.model.NAME, backbone=entry.model.config.backbone,
            pretrained=entry.pretrained, lists=results,
        ))
    summary, harmonic = summarize(protocol, runs)
    notes = [
        f"{name}: {classes:,} classes, more than {DENSE_CONFUSION_MAX_CLASSES:,}: its confusion matrix is stored sparse "
        "(confusion_layout 'sparse': the non-zero cells in confusion_entries)"
        for name, classes in dict.fromkeys(
            (result.name, result.num_classes) for run in runs for result in run.lists
            if result.confusion_layout == "sparse"
        )
    ]
    first = models[0].model
    return EvalReport(
        protocol=protocol,
        dataset=dataset.name,
        video_pool={"name": plan.pool.name, "description": plan.pool.description},
        bank={"bank_id": bank.bank_id, "kind": bank.kind, "content_hash": bank.manifest.content_hash,
              "clip": bank.manifest.clip.model_name},
        views={
            "frames": first.config.frames,
            "input_size": settings.input_size or first.backbone.image_size,
            "sampling": settings.sampling,
            "sampling_stride": settings.sampling_stride if settings.sampling == "dense" else None,
            "test_short_side": settings.test_short_side,
            "temporal_views": settings.temporal_views,
            "spatial_crops": settings.spatial_crops,
            "aggregation": settings.aggregation,
            "precision": settings.precision,
            "limit": settings.limit,
        },
        settings=run_settings or [],
        runs=runs,
        summary=summary,
        harmonic_mean=harmonic,
        notes=notes,
    )
