"""``kgen demo``: the video side end to end in a throwaway workspace, in well under a minute on a CPU.

Four steps, each one real ``kgen`` command (run in this process, with the same code paths as when
typed) except the first, which stands in for the user's own videos:

1. *videos*: short synthetic mp4 files (:mod:`zsar.data.synthetic`: one coloured square moving in
   one direction per class), a training list and a test list of new clips, and the class list;
2. *bank*: ``kgen encode-bank`` of the class names with the tiny random-weight CLIP (``kgen-tiny-vit``);
3. *train*: ``kgen train --recipe tiny-smoke`` (AP-CLIP on the tiny ViT) for a few epochs;
4. *eval*: ``kgen eval`` of the trained run on the test list.

For each step the demo prints what it did and which command a real run uses instead (a real CLIP,
a real dataset, a paper's recipe). The test clips are new videos of the training classes: the
accuracy shows that the pipeline learns, not a zero-shot result. The workspace is removed at the
end unless ``--out`` names where to keep it.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgen.errors import InputError, KgenError

TINY_CLIP = ("--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")
NUM_CLASSES = 4
TRAIN_PER_CLASS = 6
TEST_PER_CLASS = 3


@dataclass
class DemoStep:
    name: str
    did: str
    command: str  # what the demo ran ("" for the videos)
    real: str  # the command a real run uses instead
    seconds: float = 0.0


@dataclass
class DemoResult:
    workspace: Path
    kept: bool
    steps: list[DemoStep] = field(default_factory=list)
    top1: float | None = None
    bank_id: str = ""

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace), "kept": self.kept, "seconds": round(self.seconds, 2), "top1": self.top1,
            "bank_id": self.bank_id,
            "steps": [
                {"name": s.name, "did": s.did, "command": s.command, "real_command": s.real, "seconds": round(s.seconds, 2)}
                for s in self.steps
            ],
        }


Runner = Callable[[list[str]], None]  # runs one kgen command line (raises on failure)
Report = Callable[[DemoStep], None]  # shows a finished step


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def check_workspace(folder: Path) -> None:
    """The demo writes only into a new or empty folder (it never mixes with a real workspace)."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} is not an empty folder", hint="give --out a new or empty folder (or leave it out: a temporary one)")


def run_demo(workspace: Path, run_kgen: Runner, show: Report, *, epochs: int = 4, kept: bool = False) -> DemoResult:
    """Run the four steps in ``workspace`` (new or empty), reporting each through ``show``."""
    from zsar.data.synthetic import make_synthetic_dataset

    check_workspace(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workspace=workspace, kept=kept)

    def step(name: str, did: Callable[[], str], argv: list[str] | None, real: str) -> None:
        started = time.perf_counter()
        if argv is not None:
            try:
                run_kgen(argv)
            except KgenError as exc:
                exc.message = f"demo step {name!r} (kgen {shlex.join(argv)}) failed: {exc.message}"
                raise
        entry = DemoStep(name, did(), f"kgen {shlex.join(argv)}" if argv else "", real, time.perf_counter() - started)
        result.steps.append(entry)
        show(entry)

    with _inside(workspace):
        started = time.perf_counter()
        train = make_synthetic_dataset(Path("videos/train"), num_classes=NUM_CLASSES, videos_per_class=TRAIN_PER_CLASS, seed=0)
        test = make_synthetic_dataset(Path("videos/test"), num_classes=NUM_CLASSES, videos_per_class=TEST_PER_CLASS, seed=1)
        classes = train.classes_file
        videos = DemoStep(
            "videos",
            f"wrote {len(train.videos)} training and {len(test.videos)} test clips (mp4, 16 frames of 96x72) of "
            f"{NUM_CLASSES} classes ({'; '.join(train.class_names)}) under videos/, with the lists "
            f"{train.list_file} and {test.list_file} ('path label' lines) and the class list {classes}",
            "", "your own videos and 'path label' list files (docs/formats/datasets.md), or a built-in dataset's lists",
            time.perf_counter() - started,
        )
        result.steps.append(videos)
        show(videos)

        step(
            "bank",
            lambda: f"encoded the {NUM_CLASSES} class names with the text tower of a tiny random-weight CLIP into "
            f"banks/{_only_bank()}/ (vectors, texts, manifest)",
            ["encode-bank", "--classes", str(classes), *TINY_CLIP],
            "kgen encode-bank --dataset ucf101 --kind prompts --clip-model ViT-B-16 --clip-pretrained openai",
        )
        bank = f"banks/{_only_bank()}"
        result.bank_id = Path(bank).name
        run = "runs/demo"
        step(
            "train",
            lambda: f"trained AP-CLIP on the tiny ViT for {epochs} epochs ({_steps(run)} steps) on the training clips; "
            f"checkpoint {run}/checkpoints/last.pt, losses in {run}/metrics.jsonl",
            ["train", "--recipe", "tiny-smoke", "--bank", bank, "--classes", str(classes), "--train-list", str(train.list_file),
             "--video-root", str(train.root), "--out", run, "--set", f"optim.epochs={epochs}"],
            "kgen train --recipe ap-clip-zero-shot-k400 --bank <k400 prompts bank> --train-list /data/k400/train.txt --video-root /data/k400",
        )
        out = "results/demo-test.json"
        step(
            "eval",
            lambda: f"scored the {len(test.videos)} test clips against the bank's classes: top-1 {_top1(out):.1f}% "
            f"(new clips of the training classes: a pipeline check, not a zero-shot result); results in {out}",
            ["eval", "--checkpoint", run, "--bank", bank, "--classes", str(classes), "--protocol", "list",
             "--list", str(test.list_file), "--video-root", str(test.root), "--views", "1x1", "--workers", "0", "--out", out],
            "kgen eval --checkpoint runs/ap-clip-zero-shot-k400 --bank <ucf101 prompts bank> --dataset ucf101 --protocol zero-shot --video-root /data/ucf101",
        )
        result.top1 = _top1(out)
    return result


def _only_bank() -> str:
    (bank,) = [p.name for p in Path("banks").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return bank


def _steps(run: str) -> int:
    """Optimizer steps the run logged (one ``metrics.jsonl`` line each)."""
    metrics = Path(run) / "metrics.jsonl"
    return sum(1 for line in metrics.read_text(encoding="utf-8").splitlines() if line.strip()) if metrics.is_file() else 0


def _top1(out: str) -> float:
    report = json.loads(Path(out).read_text(encoding="utf-8"))
    return float(report["runs"][0]["lists"][0]["top1"])
