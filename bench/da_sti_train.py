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

import torch
from train_timing import optimizer_step, random_batch, setting, step_arguments, time_steps

from zsar.models import build_model
from zsar.models.textside import TextSide, synthetic_bank


def clips_per_second(name: str, args: argparse.Namespace, **options: object) -> float:
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames, **options).to(args.device)
    words = args.words if name == "da-sti" else 0
    text = TextSide(synthetic_bank(args.classes, 1, model.backbone.embed_dim, tokens_per_text=words)).to(args.device)
    # Repeated classes in the batch: eq. (11)-(13) have several positives per class.
    video, targets = random_batch(model, args.batch, args.frames, args.classes, args.device,
                                  label_classes=max(1, args.batch // 2))
    step = optimizer_step(model, video, text, targets)
    return time_steps(step, steps=args.steps, warmup=args.warmup, batch=args.batch, device=args.device).clips_per_second


def main() -> None:
    parser = step_arguments(__doc__.splitlines()[0], backbone="kgen-small-vit", batch=8, steps=5)
    parser.add_argument("--words", type=int, default=32)
    args = parser.parse_args()
    print(setting(args, f"{args.classes} classes, {args.words} words"))
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
