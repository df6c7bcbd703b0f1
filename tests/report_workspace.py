"""A complete workspace for the report's tests and its benchmark, built the way users build one.

* definitions: ``kgen crawl --offline`` (WordNet: Debian's, or the test fixture's);
* knowledge: ``kgen build all`` against the local OpenAI-compatible test server;
* banks: ``kgen encode-bank`` of every kind with a tiny random-weight CLIP;
* evaluation results: either real ``kgen eval`` runs on synthetic videos (tests) or synthetic
  results in the ``kgen.zsar.eval`` format (:func:`synthetic_eval_result`, for the 51- and
  400-class benchmark workspaces, where no videos exist);
* a tiny training run (``kgen train --recipe tiny-smoke`` on synthetic videos) and a
  ``kgen eval`` of its checkpoint, logged into the run.

Everything runs in-process through ``cli.run`` (the same code path as the ``kgen`` command), with
``--root`` and ``--cache-dir`` naming the workspace and its cache.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import cli
from zsar.data.synthetic import SyntheticDataset, make_synthetic_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openai_server import FakeOpenAIServer  # noqa: E402

KINDS = ("names", "descriptions", "prompts", "askg", "attributes", "action-descriptions")
TINY = "kgen-tiny-vit"


@dataclass
class Workspace:
    """A workspace and a response cache of its own; every command runs with ``--root``/``--cache-dir``."""

    root: Path
    cache: Path
    report_args: list[str] = field(default_factory=list)

    def kgen(self, *args: str, expect: int = 0) -> None:
        code = cli.run(["--root", str(self.root), "--cache-dir", str(self.cache), *args])
        if code != expect:
            raise RuntimeError(f"kgen {' '.join(args)} exited with {code}, expected {expect}")

    def build_knowledge(self, dataset_args: list[str], llm_concurrency: int = 16) -> None:
        """Crawl (offline: WordNet) and build every LLM kind from the local test server."""
        self.kgen("crawl", *dataset_args, "--offline")
        with FakeOpenAIServer() as server:
            self.kgen("build", "all", *dataset_args, "--base-url", server.base_url, "--llm-model", "fake-model",
                      "--concurrency", str(llm_concurrency))

    def encode_banks(self, dataset_args: list[str], model: str = TINY, kinds: tuple[str, ...] = KINDS) -> None:
        for kind in kinds:
            self.kgen("encode-bank", *dataset_args, "--kind", kind, "--clip-model", model, "--clip-pretrained", "random")

    def bank(self, kind: str, model: str = TINY) -> Path:
        (found,) = [p for p in (self.root / "banks").iterdir() if f"-{kind}-{model}-" in p.name and "@" not in kind]
        return found

    @staticmethod
    def synthetic_videos(folder: Path, classes: int, per_class: int = 2) -> SyntheticDataset:
        """Short synthetic videos labelled 0..classes-1 (used with the workspace's own class list)."""
        return make_synthetic_dataset(folder, num_classes=classes, videos_per_class=per_class)

    def eval_frozen_clip(self, dataset_args: list[str], kind: str, videos: SyntheticDataset, out: Path) -> Path:
        """``kgen eval`` of the tiny random ViFi-CLIP with the ``kind`` bank on the synthetic videos."""
        self.kgen("eval", "--video-model", "vifi-clip", "--clip-pretrained", "random", "--clip-model", TINY, "--frames", "4",
                  "--bank", str(self.bank(kind)), *dataset_args, "--protocol", "list", "--list", str(videos.list_file),
                  "--video-root", str(videos.root), "--workers", "0", "--out", str(out))
        return out

    def train(self, run_dir: Path, dataset_args: list[str], videos: SyntheticDataset, *, logger: str = "none",
              steps: int = 6) -> Path:
        """``kgen train --recipe tiny-smoke`` on the synthetic videos with the names bank: ``steps`` steps."""
        per_epoch = len(videos.videos) // 4
        self.kgen("train", "--recipe", "tiny-smoke", "--bank", str(self.bank("names")), *dataset_args,
                  "--train-list", str(videos.list_file), "--video-root", str(videos.root), "--out", str(run_dir),
                  "--set", "optim.global_batch_size=4", "--set", f"optim.epochs={max(1, steps // per_epoch)}",
                  "--set", f"train.logger={logger}", "--max-steps", str(steps))
        return run_dir

    def eval_checkpoint(self, run_dir: Path, dataset_args: list[str], videos: SyntheticDataset) -> None:
        """``kgen eval --checkpoint RUN``: logs the result into the run (evals.jsonl, its logger)."""
        self.kgen("eval", "--checkpoint", str(run_dir), "--bank", str(self.bank("names")), *dataset_args,
                  "--protocol", "list", "--list", str(videos.list_file), "--video-root", str(videos.root),
                  "--workers", "0", "--views", "1x1")


def synthetic_eval_result(
    path: Path, *, dataset: str, class_names: list[str], class_ids: list[int], bank_id: str, bank_kind: str,
    videos_per_class: int = 10, skill: float = 0.5, seed: int = 0, list_name: str = "test1",
) -> Path:
    """A ``kgen.zsar.eval`` result (format version 2) with made-up predictions.

    Each class gets its own accuracy around ``skill``; a wrong prediction goes to one of three
    "look-alike" classes, so the confusion matrix has structure. The file is consistent: top-1,
    top-5, per-class top-1 and the confusion matrix all come from the same predictions.
    """
    rng = np.random.default_rng(seed)
    count = len(class_names)
    look_alikes = [rng.choice([j for j in range(count) if j != k], size=min(3, count - 1), replace=False) for k in range(count)]
    class_skill = np.clip(rng.normal(skill, 0.2, size=count), 0.02, 0.98)
    confusion = np.zeros((count, count), dtype=int)
    predictions = []
    hits5 = 0
    for k in range(count):
        for v in range(videos_per_class):
            right = rng.random() < class_skill[k]
            best = k if right else int(rng.choice(look_alikes[k]))
            confusion[k, best] += 1
            rest = [j for j in rng.permutation(count).tolist() if j != best][: min(5, count) - 1]
            top = [best, *rest]
            hits5 += int(k in top)
            scores = sorted(rng.uniform(10, 30, size=len(top)).tolist(), reverse=True)
            predictions.append({"video": f"{class_names[k].replace(' ', '_')}/v{v:03d}.avi", "label": k, "top": top,
                                "scores": [round(s, 4) for s in scores]})
    per_class = (100.0 * np.diag(confusion) / confusion.sum(axis=1)).tolist()
    evaluated = count * videos_per_class
    top1 = 100.0 * float(np.trace(confusion)) / evaluated
    entry = {
        "name": list_name, "role": "split1", "source": f"builtin:{dataset}/{list_name}", "label_space": None,
        "num_classes": count, "videos": evaluated, "evaluated": evaluated, "skipped": [],
        "top1": top1, "top5": 100.0 * hits5 / evaluated if count > 5 else None,
        "mean_class_accuracy": float(np.mean(per_class)),
        "class_ids": class_ids, "class_names": class_names, "per_class_videos": confusion.sum(axis=1).tolist(),
        "per_class_top1": per_class, "confusion": confusion.tolist(), "top_k": min(5, count), "predictions": predictions,
    }
    report: dict[str, Any] = {
        "format": "kgen.zsar.eval", "format_version": 2, "protocol": "zero-shot", "dataset": dataset,
        "video_pool": {"name": "synthetic", "description": "made-up predictions for tests and benchmarks"},
        "bank": {"bank_id": bank_id, "kind": bank_kind, "content_hash": "0" * 64, "clip": TINY},
        "views": {"frames": 8, "input_size": 64, "temporal_views": 1, "spatial_crops": 1, "aggregation": "mean-logits",
                  "sampling": "segment", "limit": None},
        "settings": [],
        "runs": [{"label": "synthetic", "checkpoint": None, "model": "vifi-clip", "backbone": TINY, "pretrained": "random",
                  "lists": [entry]}],
        "summary": {"top-1": {"mean": top1, "std": 0.0, "values": [top1]}},
        "harmonic_mean": None, "notes": ["synthetic predictions"], "kgen_version": "0.1.0", "created_at": "2026-01-01T00:00:00+00:00",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return path
