"""Running a model over video lists: multi-view scores, top-1/top-5, the protocol's report.

For every video of a list, the dataset yields all its test views (``temporal_views`` clips x
``spatial_crops`` crops); the model scores them together (``VideoModel.view_scores``) with the
chosen aggregation:

* ``mean-logits``: the mean of the views' logits (PySlowFast's ``TestMeter`` sums them);
* ``mean-softmax``: the mean of the views' class probabilities (ViFi-CLIP, X-CLIP, BIKE);
* ``joint-frames``: frame-level models score the frames of all views as one clip (AP-CLIP's
  multi-view late interaction).

The aggregation can change top-1; it is part of every report. Unreadable videos are skipped,
listed in the report, and left out of the accuracy. Under torchrun each process evaluates every
``world_size``-th video and the predictions are gathered on rank 0.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from kgen.banks import Bank
from kgen.console import progress, warn
from kgen.datasets import Dataset
from zsar import distributed
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
from zsar.models import VideoModel
from zsar.protocols import EvalTarget, protocol_targets, summarize
from zsar.results import EvalReport, ListResult, RunResult, SkippedVideo
from zsar.textside import TextSide, text_side_for
from zsar.train import autocast_dtype


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


@dataclass
class EvalModel:
    """A model to evaluate and how to name it in the report."""

    label: str
    model: VideoModel
    checkpoint: str | None
    pretrained: str | None = None


@dataclass(frozen=True)
class Prediction:
    position: int
    label: int
    valid: bool
    error: str
    top5: tuple[int, ...]


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
    top = min(5, text.num_classes)
    mine: list[Prediction] = []
    model.eval()
    bar = progress() if (ctx.is_main and show_progress) else None
    with bar or contextlib.nullcontext(), torch.inference_mode():
        task = bar.add_task(description, total=len(batches.positions)) if bar else None
        for batch in loader:
            video = batch.video.to(ctx.device, non_blocking=True)
            with torch.autocast(ctx.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                scores = model.view_scores(video, text, settings.aggregation)
            best = scores.float().topk(top, dim=-1).indices.cpu().tolist()
            errors = dict(batch.errors)
            for k, position in enumerate(batch.indices.tolist()):
                valid = bool(batch.valid[k])
                mine.append(Prediction(position, int(batch.labels[k]), valid, errors.get(position, ""), tuple(best[k]) if valid else ()))
            if bar is not None:
                bar.update(task, advance=len(batch))
    gathered = distributed.all_gather_objects(ctx, mine)
    return sorted((p for part in gathered for p in part), key=lambda p: p.position)


def list_result(
    predictions: list[Prediction], index: VideoIndex, *, name: str, role: str, num_classes: int
) -> ListResult:
    valid = [p for p in predictions if p.valid]
    skipped = [SkippedVideo(video=str(index.records[p.position].path), error=p.error) for p in predictions if not p.valid]
    hits1 = np.array([p.top5[0] == p.label for p in valid], dtype=bool)
    hits5 = np.array([p.label in p.top5 for p in valid], dtype=bool)
    labels = np.array([p.label for p in valid], dtype=np.int64)
    per_class = [hits1[labels == c].mean() for c in np.unique(labels)] if len(valid) else []
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
        top5=100.0 * float(hits5.mean()) if len(valid) else 0.0,
        mean_class_accuracy=100.0 * float(np.mean(per_class)) if per_class else 0.0,
    )


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
    show_progress: bool = True,
) -> EvalReport:
    """Run ``protocol`` on ``dataset`` for every model; the report (complete on every process)."""
    targets: list[EvalTarget] = protocol_targets(protocol, dataset, lists=lists, label_space=label_space, full_list=full_list)
    prepared = []
    for target in targets:
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
            predictions = score_index(
                entry.model, text, index, settings, ctx,
                description=f"{entry.label} {target.list_name}", show_progress=show_progress,
            )
            result = list_result(predictions, index, name=target.list_name, role=target.role, num_classes=text.num_classes)
            if result.skipped and ctx.is_main:
                warn(f"{target.list_name}: skipped {len(result.skipped)} unreadable video(s), e.g. {result.skipped[0].video}: "
                     f"{result.skipped[0].error}")
            results.append(result)
        runs.append(RunResult(
            label=entry.label, checkpoint=entry.checkpoint, model=entry.model.NAME, backbone=entry.model.config.backbone,
            pretrained=entry.pretrained, lists=results,
        ))
    summary, harmonic = summarize(protocol, runs)
    first = models[0].model
    notes = []
    if dataset.name == "k600" and protocol == "zero-shot":
        notes.append("K600 video pool: ViFi-CLIP's ER-ZSAR lists (~14k videos per split), not comparable with "
                     "Open-VCLIP/FROSTER/STDD's val-only pool (~7.3k)")
    return EvalReport(
        protocol=protocol,
        dataset=dataset.name,
        bank={"bank_id": bank.bank_id, "kind": bank.kind, "content_hash": bank.manifest.content_hash,
              "clip": bank.manifest.clip.model_name},
        views={
            "frames": first.config.frames,
            "input_size": settings.input_size or first.backbone.image_size,
            "temporal_views": settings.temporal_views,
            "spatial_crops": settings.spatial_crops,
            "aggregation": settings.aggregation,
            "sampling": settings.sampling,
            "limit": settings.limit,
        },
        runs=runs,
        summary=summary,
        harmonic_mean=harmonic,
        notes=notes,
    )
