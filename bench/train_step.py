"""Training throughput of AP-CLIP (and ViFi-CLIP) against frozen-CLIP inference, in the same run.

* ``frozen CLIP inference`` (the baseline): what a zero-shot evaluation of plain CLIP costs:
  ``encode_image`` on every frame under ``torch.inference_mode``, frame average, cosine against the
  bank's classifier;
* ``vifi-clip train step``: full fine-tuning of the image tower, frame average, cross-entropy;
* ``ap-clip train step``: full fine-tuning, late interaction (eq. 3-6) against a prompt bank of
  ``--classes`` classes x ``--prompts`` prompts (36 = 3 LLM prompts x 12 attributes, AP-CLIP),
  cross-entropy.

A train step is forward + loss + backward + AdamW step. Weights and clips are random (the speed
does not depend on their values). On CUDA the steps run under bf16 autocast (as ``kgen train``
does) and the peak memory of each variant is printed too. This is a benchmark, not a test.

    PYTHONPATH=. /work/main/.venv/bin/python bench/train_step.py                       # ViT-B-16, 8 x 224 px
    PYTHONPATH=. /work/main/.venv/bin/python bench/train_step.py --backbone kgen-small-vit --batch 8 --steps 5
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable

import torch
import torch.nn.functional as F
from train_timing import optimizer_step, random_batch, setting, step_arguments, time_steps

from zsar.models import build_model
from zsar.models.textside import TextSide, synthetic_bank


def timed(step: Callable[[], None], args: argparse.Namespace) -> tuple[float, float | None]:
    """Clips per second over ``args.steps`` steps after ``args.warmup`` steps, and peak GiB on CUDA."""
    timing = time_steps(step, steps=args.steps, warmup=args.warmup, batch=args.batch, device=args.device)
    return timing.clips_per_second, (timing.cuda_peak_bytes / 2**30 if args.device.startswith("cuda") else None)


def autocast(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    if args.device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def frozen_inference(args: argparse.Namespace) -> tuple[float, float | None]:
    torch.manual_seed(0)
    model = build_model("vifi-clip", backbone=args.backbone, pretrained="random", frames=args.frames).to(args.device)
    model.eval()
    text = TextSide(synthetic_bank(args.classes, 1, model.backbone.embed_dim)).to(args.device)
    size = model.backbone.image_size
    video = torch.randn(args.batch, args.frames, 3, size, size, device=args.device)
    classifier = text.classifier

    def step() -> None:
        with torch.inference_mode(), autocast(args):
            frames = model.backbone.frame_features(video)  # [B, T, D]: encode_image per frame
            video_feature = F.normalize(frames.mean(dim=1), dim=-1)
            (video_feature @ classifier.t().to(video_feature.dtype)).float()

    return timed(step, args)


def train_step(name: str, prompts: int, args: argparse.Namespace) -> tuple[float, float | None]:
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames).to(args.device)
    model.train()
    text = TextSide(synthetic_bank(args.classes, prompts, model.backbone.embed_dim)).to(args.device)
    video, targets = random_batch(model, args.batch, args.frames, args.classes, args.device)
    return timed(optimizer_step(model, video, text, targets, autocast=lambda: autocast(args)), args)


def main() -> None:
    parser = step_arguments(__doc__.splitlines()[0], backbone="ViT-B-16", batch=2, steps=2)
    parser.add_argument("--prompts", type=int, default=36)
    args = parser.parse_args()
    print(setting(args, f"{args.classes} classes x {args.prompts} prompts (AP-CLIP)"))
    rows = [
        ("frozen CLIP inference (baseline)", frozen_inference(args)),
        ("vifi-clip train step", train_step("vifi-clip", 1, args)),
        ("ap-clip train step", train_step("ap-clip", args.prompts, args)),
    ]
    baseline = rows[0][1][0]
    for label, (rate, peak) in rows:
        memory = "" if peak is None else f"  peak {peak:6.2f} GiB"
        print(f"{label:34s} {rate:8.2f} clips/s  {rate / baseline:5.2f}x{memory}")


if __name__ == "__main__":
    main()
