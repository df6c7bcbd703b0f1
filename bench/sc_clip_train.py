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
import torch.nn.functional as F

from zsar.models import TrainTargets, build_model
from zsar.textside import TextSide, synthetic_bank


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run(name: str, args: argparse.Namespace, **options: object) -> tuple[float, float, float]:
    """Clips per second, seconds spent in SQG per step, mean number of regions."""
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames, **options).to(args.device)
    model.train()
    text = TextSide(synthetic_bank(args.classes, 1, model.backbone.embed_dim)).to(args.device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    size = model.backbone.image_size
    video = torch.randn(args.batch, args.frames, 3, size, size, device=args.device)
    labels = torch.arange(args.batch, device=args.device) % args.classes
    targets = TrainTargets(labels, F.one_hot(labels, args.classes).float(),
                           torch.ones(args.batch, dtype=torch.bool, device=args.device))
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

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        output = model(video, text)
        if "num_queries" in output.extras:
            regions.append(float(output.extras["num_queries"].mean()))
        model.loss(output, targets, text).loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    synchronize(args.device)
    sqg_seconds[0] = 0.0
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    synchronize(args.device)
    elapsed = time.perf_counter() - start
    return args.steps * args.batch / elapsed, sqg_seconds[0] / elapsed, (sum(regions) / len(regions) if regions else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="kgen-small-vit")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    print(f"{args.backbone}, {args.frames} frames, batch {args.batch}, {args.classes} classes, "
          f"{args.steps} timed steps on {args.device} ({torch.get_num_threads()} threads)")
    baseline, _, _ = run("vifi-clip", args)
    print(f"{'vifi-clip (all blocks train)':40s} {baseline:8.2f} clips/s  1.00x")
    for label, options in [("sc-clip (block 11 + 2 adapters)", {}), ("sc-clip, delta 0.5", {"fusion_threshold": 0.5})]:
        rate, sqg_share, regions = run("sc-clip", args, **options)
        print(f"{label:40s} {rate:8.2f} clips/s  {rate / baseline:.2f}x   SQG {100 * sqg_share:4.1f}% of the step, "
              f"{regions:.0f} regions per video")


if __name__ == "__main__":
    main()
