"""Training throughput of ``da-sti`` against plain ViFi-CLIP, measured in the same run (CPU or GPU).

One training step = forward over a batch of clips, the model's loss (DA-STI: eq. 11-13; ViFi-CLIP:
cross-entropy over the classes), backward and an AdamW step. Inputs are random clips and a random
text side of ``--classes`` classes (DA-STI's head conditions the video feature on every class, so
its cost grows with the classes; the attribute sentence has ``--words`` word tokens).

    PYTHONPATH=. /work/main/.venv/bin/python bench/da_sti_train.py
    PYTHONPATH=. /work/main/.venv/bin/python bench/da_sti_train.py --backbone ViT-B-16 --frames 8 --batch 2 --steps 2
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from zsar.models import TrainTargets, build_model
from zsar.textside import TextSide, synthetic_bank


def clips_per_second(name: str, args: argparse.Namespace, **options: object) -> float:
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames, **options).to(args.device)
    words = args.words if name == "da-sti" else 0
    text = TextSide(synthetic_bank(args.classes, 1, model.backbone.embed_dim, tokens_per_text=words)).to(args.device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    size = model.backbone.image_size
    video = torch.randn(args.batch, args.frames, 3, size, size, device=args.device)
    labels = torch.arange(args.batch, device=args.device) % max(1, args.batch // 2)  # repeated classes
    targets = TrainTargets(labels, F.one_hot(labels, args.classes).float(), torch.ones(args.batch, dtype=torch.bool, device=args.device))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        output = model(video, text)
        model.loss(output, targets, text).loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    return args.steps * args.batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="kgen-small-vit")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--words", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    print(f"{args.backbone}, {args.frames} frames, batch {args.batch}, {args.classes} classes, {args.words} words, "
          f"{args.steps} timed steps on {args.device} ({torch.get_num_threads()} threads)")
    baseline = clips_per_second("vifi-clip", args)
    print(f"vifi-clip (all blocks train)         {baseline:8.2f} clips/s  1.00x")
    rows = [
        ("da-sti (last half + STI)", {}),
        ("da-sti, spatial off", {"spatial": False}),
        ("da-sti, temporal off", {"temporal": False}),
    ]
    for label, options in rows:
        rate = clips_per_second("da-sti", args, **options)
        print(f"{label:36s} {rate:8.2f} clips/s  {rate / baseline:.2f}x")


if __name__ == "__main__":
    main()
