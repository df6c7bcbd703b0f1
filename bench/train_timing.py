"""What the training benchmarks share: random inputs for a model, one optimizer step, the timed loop.

Used by ``bench/train_step.py``, ``bench/stdd_train.py``, ``bench/sc_clip_train.py`` and
``bench/da_sti_train.py`` (run as scripts, so this folder is on ``sys.path``). Weights, clips and
labels are random: the speed does not depend on their values.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from zsar.models import ModelOutput, TrainTargets, VideoModel
from zsar.models.textside import TextSide


def step_arguments(description: str, *, backbone: str, batch: int, steps: int) -> argparse.ArgumentParser:
    """The options every training benchmark has (backbone, frames, batch, classes, steps, warm-up, device)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backbone", default=backbone)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser


def setting(args: argparse.Namespace, classes: str = "") -> str:
    """The first line a benchmark prints: what was measured, where (``classes``: how the classes are described)."""
    return (f"{args.backbone}, {args.frames} frames, batch {args.batch}, {classes or f'{args.classes} classes'}, "
            f"{args.steps} timed steps on {args.device} ({torch.get_num_threads()} threads)")


def synchronize(device: str) -> None:
    """Wait for the GPU's queued work (a no-op on the CPU), so that a clock reading means what it says."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def random_batch(
    model: VideoModel, batch: int, frames: int, classes: int, device: str, label_classes: int | None = None
) -> tuple[torch.Tensor, TrainTargets]:
    """Random clips at the model's image size and one-hot targets; labels cycle over ``label_classes`` (default: all)."""
    size = model.backbone.image_size
    video = torch.randn(batch, frames, 3, size, size, device=device)
    labels = torch.arange(batch, device=device) % (label_classes or classes)
    targets = TrainTargets(labels, F.one_hot(labels, classes).float(), torch.ones(batch, dtype=torch.bool, device=device))
    return video, targets


def optimizer_step(
    model: VideoModel,
    video: torch.Tensor,
    text: TextSide,
    targets: TrainTargets,
    *,
    lr: float = 1e-5,
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    on_output: Callable[[ModelOutput], None] | None = None,
) -> Callable[[], None]:
    """One training step of ``model`` (forward, its loss, backward, an AdamW step over what trains), as a function."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            output = model(video, text)
            if on_output is not None:
                on_output(output)
            loss = model.loss(output, targets, text).loss
        loss.backward()
        optimizer.step()

    return step


@dataclass(frozen=True)
class StepTiming:
    clips_per_second: float
    seconds: float  # the timed steps, all together
    cuda_peak_bytes: int  # peak allocated during the timed steps (0 on the CPU)


def time_steps(
    step: Callable[[], None], *, steps: int, warmup: int, batch: int, device: str,
    after_warmup: Callable[[], None] | None = None,
) -> StepTiming:
    """``warmup`` untimed steps, then ``steps`` timed ones between two GPU synchronisations.

    ``after_warmup``: called once the warm-up is done, before the clock starts (to reset counters).
    """
    for _ in range(warmup):
        step()
    synchronize(device)
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    if after_warmup is not None:
        after_warmup()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    seconds = time.perf_counter() - start
    return StepTiming(steps * batch / seconds, seconds, torch.cuda.max_memory_allocated() if cuda else 0)
