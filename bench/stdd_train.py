"""Training throughput and activation memory of ``stdd`` against plain ViFi-CLIP fine-tuning, in the same run.

One training step = forward over a batch of random clips, the model's loss (STDD: eq. 9 cross-entropy
over the eq. 8 alignment + 2.0 x FROSTER distillation, whose teacher forward is part of the cost;
ViFi-CLIP: cross-entropy of the mean-pooled cosine), backward and an AdamW step. Memory: the bytes
of the tensors autograd saves for backward in one training forward (measured with
``torch.autograd.graph.saved_tensors_hooks``, the same on CPU and GPU), plus the CUDA peak on a GPU.

    PYTHONPATH=. /work/main/.venv/bin/python bench/stdd_train.py
    PYTHONPATH=. /work/main/.venv/bin/python bench/stdd_train.py --backbone ViT-B-16 --frames 8 --batch 2 --steps 2
"""

from __future__ import annotations

import argparse

import torch
from train_timing import optimizer_step, random_batch, setting, step_arguments, time_steps

from zsar.models import TrainTargets, build_model
from zsar.models.textside import TextSide, synthetic_bank


def saved_activation_bytes(model: torch.nn.Module, video: torch.Tensor, text: TextSide, targets: TrainTargets) -> int:
    """Bytes of the distinct tensors autograd keeps for backward in one training forward and loss."""
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = model(video, text)
        model.loss(output, targets, text).loss.backward()
    model.zero_grad(set_to_none=True)
    return sum(seen.values())


def measure(name: str, args: argparse.Namespace, **options: object) -> tuple[float, int, int]:
    torch.manual_seed(0)
    model = build_model(name, backbone=args.backbone, pretrained="random", frames=args.frames, **options).to(args.device)
    model.train()
    texts = args.prompts if name == "stdd" else 1
    text = TextSide(synthetic_bank(args.classes, texts, model.backbone.embed_dim)).to(args.device)
    video, targets = random_batch(model, args.batch, args.frames, args.classes, args.device)
    step = optimizer_step(model, video, text, targets)
    saved = saved_activation_bytes(model, video, text, targets)
    timing = time_steps(step, steps=args.steps, warmup=args.warmup, batch=args.batch, device=args.device)
    return timing.clips_per_second, saved, timing.cuda_peak_bytes


def main() -> None:
    parser = step_arguments(__doc__.splitlines()[0], backbone="kgen-small-vit", batch=4, steps=3)
    parser.add_argument("--prompts", type=int, default=16, help="prompts per class of STDD's bank")
    args = parser.parse_args()
    print(setting(args))
    base_rate, base_saved, base_peak = measure("vifi-clip", args)

    def row(label: str, rate: float, saved: int, peak: int) -> None:
        text = f"{label:40s} {rate:7.2f} clips/s {rate / base_rate:5.2f}x   saved {saved / 2**20:8.1f} MiB {saved / base_saved:5.2f}x"
        if peak:
            text += f"   cuda peak {peak / 2**20:8.1f} MiB {peak / base_peak:5.2f}x"
        print(text)

    row("vifi-clip (all blocks train)", base_rate, base_saved, base_peak)
    for label, options in [
        ("stdd (WSM + MCM [1,2] + distillation)", {}),
        ("stdd without distillation", {"distillation_weight": 0}),
        ("stdd, one scale, no distillation", {"temporal_scales": [1], "distillation_weight": 0}),
        ("stdd, WSM and MCM off, no distillation", {"window_shift_masking": False, "channel_mixing": "off", "distillation_weight": 0}),
    ]:
        row(label, *measure("stdd", args, **options))


if __name__ == "__main__":
    main()
