"""Training throughput of ``sc-clip`` against plain ViFi-CLIP, in the same run, and SC-CLIP's time in SQG.

One training step = forward over a batch of random clips, the model's loss (SC-CLIP: eq. 7;
ViFi-CLIP: cross-entropy), backward and an AdamW step, against a random text side of ``--classes``
classes. SQG time = the frozen dense tokens (the frozen copy of the last block, ``ln_post``,
``proj``) plus the masks (window seeds, K-means, fusion), timed inside the training steps.
The number of semantic regions depends on the tokens: random weights give many (close to one
per seed); pretrained CLIP weights merge more at the same delta.

    PYTHONPATH=. /work/main/.venv/bin/python bench/sc_clip_train.py
    PYTHONPATH=. /work/main/.venv/bin/python bench/sc_clip_train.py --backbone ViT-B-16 --frames 8 --batch 2 --steps 2
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from train_timing import (
    optimizer_step,
    random_batch,
    setting,
    step_arguments,
    synchronize,
    time_steps,
)

from zsar.models import ModelOutput, build_model
from zsar.models.textside import TextSide, synthetic_bank


def run(name: str, args: argparse.Namespace, **options: object) -> tuple[float, float, float]:
    """Clips per second, seconds spent in SQG per step, mean number of regions."""
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames, **options).to(args.device)
    model.train()
    text = TextSide(synthetic_bank(args.classes, 1, model.backbone.embed_dim)).to(args.device)
    video, targets = random_batch(model, args.batch, args.frames, args.classes, args.device)
    sqg_seconds = [0.0]
    regions: list[float] = []
    if name == "sc-clip":
        def timed(function: Callable) -> Callable:
            def wrapper(*a: object, **k: object) -> object:
                synchronize(args.device)
                start = time.perf_counter()
                result = function(*a, **k)
                synchronize(args.device)
                sqg_seconds[0] += time.perf_counter() - start
                return result
            return wrapper

        model.dense_tokens = timed(model.dense_tokens)  # type: ignore[method-assign]
        model._masks = timed(model._masks)  # type: ignore[method-assign]

    def count_regions(output: ModelOutput) -> None:
        if "num_queries" in output.extras:
            regions.append(float(output.extras["num_queries"].mean()))

    def reset_sqg() -> None:
        sqg_seconds[0] = 0.0

    step = optimizer_step(model, video, text, targets, on_output=count_regions)
    timing = time_steps(step, steps=args.steps, warmup=args.warmup, batch=args.batch, device=args.device,
                        after_warmup=reset_sqg)
    return timing.clips_per_second, sqg_seconds[0] / timing.seconds, (sum(regions) / len(regions) if regions else 0.0)


def main() -> None:
    parser = step_arguments(__doc__.splitlines()[0], backbone="kgen-small-vit", batch=8, steps=3)
    args = parser.parse_args()
    print(setting(args))
    baseline, _, _ = run("vifi-clip", args)
    print(f"{'vifi-clip (all blocks train)':40s} {baseline:8.2f} clips/s  1.00x")
    for label, options in [("sc-clip (block 11 + 2 adapters)", {}), ("sc-clip, delta 0.5", {"fusion_threshold": 0.5})]:
        rate, sqg_share, regions = run("sc-clip", args, **options)
        print(f"{label:40s} {rate:8.2f} clips/s  {rate / baseline:.2f}x   SQG {100 * sqg_share:4.1f}% of the step, "
              f"{regions:.0f} regions per video")


if __name__ == "__main__":
    main()
