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
from zsar.config import RunConfig, config_from_dict
from zsar.data.synthetic import SyntheticDataset, make_synthetic_dataset

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
