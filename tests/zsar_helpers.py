"""Helpers for the video-model tests: the tiny CLIP, synthetic videos, banks encoded by the tiny CLIP."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import torch
from bank_helpers import bank_from_embeddings

from kgen.banks import Bank
from kgen.clip import LoadedClip, load_clip
from zsar.data.synthetic import SyntheticDataset, make_synthetic_dataset
from zsar.engine import distributed
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.config import RunConfig, config_from_dict
from zsar.engine.evaluate import EvalModel, EvalSettings, evaluate
from zsar.engine.rebuild import rebuild_model
from zsar.engine.train import Trainer, TrainResult, dataset_of

TINY = "kgen-tiny-vit"


@cache
def tiny_clip(seed: int = 0) -> LoadedClip:
    """The tiny random CLIP (64 px, 8x8 patches, 3 visual blocks, embed 32), built once per process."""
    return load_clip(TINY, "random", seed=seed)


def encode_texts(texts: list[str], seed: int = 0) -> torch.Tensor:
    clip = tiny_clip(seed)
    with torch.no_grad():
        return clip.model.encode_text(clip.tokenizer(texts)).float()


def names_bank(
    class_names: list[str],
    *,
    dataset: str = "classes",
    class_ids: list[int] | None = None,
    prompts_per_class: int = 1,
) -> Bank:
    """A bank of the tiny CLIP's text vectors: ``prompts_per_class`` prompts per class."""
    per_class = []
    texts = []
    for name in class_names:
        prompts = [f"a video of {name}."] + [f"a video of {name}, view {j}." for j in range(1, prompts_per_class)]
        per_class.append(encode_texts(prompts))
        texts.append(prompts)
    return bank_from_embeddings(per_class, class_names=class_names, class_ids=class_ids, dataset=dataset, texts=texts,
                                clip_model=TINY)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDataset:
    """4 classes x 2 videos of moving coloured squares (16 frames, 96x72), written once per session."""
    return make_synthetic_dataset(tmp_path_factory.mktemp("synthetic"), num_classes=4, videos_per_class=2)


def tiny_run_config(videos: SyntheticDataset, **sections: dict[str, Any]) -> RunConfig:
    """A run of AP-CLIP on the tiny random ViT over the synthetic videos; ``sections`` update the defaults."""
    raw: dict[str, Any] = {
        "name": "tiny",
        "model": {"name": "ap-clip", "backbone": TINY, "pretrained": "random", "frames": 4},
        "data": {
            "classes": str(videos.classes_file), "train_list": str(videos.list_file), "video_root": str(videos.root),
            "workers": 0, "scale_mode": "short-side-jitter",
        },
        "optim": {
            "epochs": 4, "warmup_epochs": 0, "lr": 1e-3, "weight_decay": 0.0, "global_batch_size": 4,
            "label_smoothing": 0.0, "mixup_alpha": 0.0, "cutmix_alpha": 0.0,
        },
        "train": {"seed": 0, "checkpoint_every_steps": 0, "log_every_steps": 1},
        "eval": {"batch_size": 4, "workers": 0},
    }
    for section, values in sections.items():
        raw[section] = {**raw.get(section, {}), **values}
    return config_from_dict(raw)


def synthetic_bank(data: SyntheticDataset, prompts_per_class: int = 2) -> Bank:
    return names_bank(data.class_names, dataset=Path(data.classes_file).stem, prompts_per_class=prompts_per_class)


def train_tiny_model(videos: SyntheticDataset, bank: Bank, run_dir: Path, steps: int,
                     **sections: dict[str, Any]) -> tuple[RunConfig, TrainResult]:
    """Train :func:`tiny_run_config` (``sections`` update it) on the synthetic videos: it finishes after
    ``steps`` optimizer steps and the loss of its last 4 steps is under half that of its first 4."""
    config = tiny_run_config(videos, **sections)
    result = Trainer(config, bank=bank, run_dir=run_dir, show_progress=False).run()
    assert result.finished and result.global_step == steps
    losses = [h["loss"] for h in result.history]
    assert sum(losses[-4:]) < 0.5 * sum(losses[:4])
    return config, result


def assert_every_training_video_right(config: RunConfig, videos: SyntheticDataset, bank: Bank, checkpoint: Path,
                                      aggregation: str) -> None:
    """The model of ``checkpoint``, rebuilt afresh and evaluated on the training list (one view a video):
    all 8 videos evaluated, all right (all 4 classes scored)."""
    model, _ = rebuild_model(load_checkpoint(checkpoint))
    report = evaluate(
        "list", dataset_of(config), [EvalModel("tiny", model, str(checkpoint))], bank,
        EvalSettings(temporal_views=1, spatial_crops=1, aggregation=aggregation, workers=0),
        distributed.init_distributed("cpu"), video_root=videos.root, lists=[str(videos.list_file)],
        show_progress=False,
    )
    assert report.runs[0].lists[0].evaluated == 8 and report.runs[0].lists[0].top1 == 100.0


def assert_a_tiny_model_learns(videos: SyntheticDataset, bank: Bank, run_dir: Path, steps: int, aggregation: str,
                               **sections: dict[str, Any]) -> None:
    """:func:`train_tiny_model`, then every training video right from its checkpoint
    (:func:`assert_every_training_video_right`)."""
    config, result = train_tiny_model(videos, bank, run_dir, steps, **sections)
    assert_every_training_video_right(config, videos, bank, result.checkpoint, aggregation)
