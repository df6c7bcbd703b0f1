"""Benchmark: texts per second of the bank encoder against a naive baseline, in the same run.

    PYTHONPATH=. /work/main/.venv/bin/python bench/encode.py [--device cpu|cuda] [--repeat N]

Model: ViT-B-16's text tower (12 blocks, width 512, 77-token context) with random weights
(``load_clip("ViT-B-16", "random")``): the speed does not depend on the weights' values.

Workloads (UCF101 class names, label order):

* ``apclip``: all 101 classes x 5 texts: the ViFi-CLIP prompt "a photo of a {}." and 4
  AP-CLIP-like action-conditioned prompts "a video of {}, <attribute clause>." (15-30 tokens);
* ``openvclip28``: the first 20 classes x the 28 Open-VCLIP/FROSTER templates (short texts).

Variants, each timed after a warm-up pass:

* ``naive``: what a script does: one class at a time, in label order, every text padded to 77
  tokens, fp32, ``model.encode_text`` under ``torch.no_grad``;
* ``batched, full length``: kgen's encoder with the length cut off (batches, 77 tokens);
* ``kgen encoder``: sorted by length, each batch cut to its longest text, ``inference_mode``;
* ``encode_bank end to end``: the whole ``kgen encode-bank`` path with the model already loaded
  (collecting and tokenizing the texts, hashing the text tower, encoding, writing the bank).

Ratios are against ``naive``. The largest difference between the naive vectors and kgen's is
printed too (they must agree to float rounding). On a GPU (``--device cuda``) kgen's encoder runs
in bf16 autocast, and the script also prints the fraction of the GPU's dense bf16 peak from the
FLOPs each text needs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from kgen.banks.builder import EncodeRequest, encode_bank
from kgen.banks.encoder import TextEncoder
from kgen.banks.texts import TEMPLATE_SETS
from kgen.clip import LoadedClip, load_clip
from kgen.datasets import Dataset, load_builtin

# Attribute clauses in the style of AP-CLIP's action-conditioned prompts (scene, actor, clothing,
# body parts, motion, objects...). With "a video of {}, " each gives a 15-30 token prompt.
CLAUSES = (
    "which usually takes place outdoors in a large open field on a sunny day with trees around",
    "performed by a young adult wearing comfortable sports clothes and running shoes",
    "where the person's arms and legs move in a steady rhythm while the body stays balanced",
    "with a ball, a net and a few cones lying on the green grass nearby",
)

# Dense bf16 tensor-core peaks (FLOP/s) from the vendors' data sheets, by device-name substring.
BF16_PEAK = {"H200": 989e12, "H100 PCIe": 756e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "L4": 121e12}


@dataclass(frozen=True)
class Workload:
    name: str
    dataset: Dataset
    templates: tuple[str, ...]

    @property
    def per_class(self) -> list[list[str]]:
        return [[t.replace("{}", entry.name) for t in self.templates] for entry in self.dataset.classes]

    @property
    def texts(self) -> list[str]:
        return [t for group in self.per_class for t in group]


def workloads() -> list[Workload]:
    ucf = load_builtin("ucf101")
    first20 = Dataset(name="ucf101", title="UCF101 (first 20 classes)", classes=ucf.classes[:20], origin="bench")
    return [
        Workload("apclip", ucf, ("a photo of a {}.", *(f"a video of {{}}, {clause}." for clause in CLAUSES))),
        Workload("openvclip28", first20, TEMPLATE_SETS["openvclip28"]),
    ]


def text_flops(length: int, width: int, layers: int, mlp_ratio: float, embed_dim: int) -> float:
    """FLOPs (2 x multiply-adds) of one text of ``length`` tokens through a CLIP text transformer:
    per block, q/k/v/out projections 4*L*W^2, MLP 2*mlp_ratio*L*W^2, attention scores and
    weighted sum 2*L^2*W; then the projection of the pooled token."""
    per_layer = (4 + 2 * mlp_ratio) * length * width * width + 2 * length * length * width
    return 2.0 * (layers * per_layer + width * embed_dim)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        result = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_workload(work: Workload, clip: LoadedClip, device: torch.device, repeat: int, skip_naive: bool) -> None:
    model, tokenizer = clip.model, clip.tokenizer
    per_class, texts = work.per_class, work.texts
    ours = TextEncoder(model, tokenizer, context_length=clip.context_length)
    full = TextEncoder(model, tokenizer, context_length=clip.context_length, length_cut=False, precision="fp32")
    tokens = ours.tokenize(texts)
    lengths = (tokens.end_index + 1).float()
    print(f"\n== {work.name}: {len(texts)} texts ({len(per_class)} classes x {len(work.templates)}), "
          f"{int(lengths.min())}-{int(lengths.max())} tokens per text (mean {float(lengths.mean()):.1f}) of {clip.context_length}")

    def naive() -> torch.Tensor:
        out = []
        with torch.no_grad():
            for group in per_class:
                out.append(model.encode_text(tokenizer(group).to(device), normalize=True).float().cpu())
        return torch.cat(out)

    warm = texts[:16]
    full.encode(warm)
    ours.encode(warm)
    rows: list[tuple[str, float, int]] = []
    reference = None
    if not skip_naive:
        seconds, reference = timed(naive, repeat)
        rows.append(("naive (per class, 77 tokens, fp32)", seconds, len(texts)))
    seconds, _ = timed(lambda: full.encode(texts), repeat)
    rows.append((f"batched, full length (batch {full.batch_size}, fp32)", seconds, len(texts)))
    encoder_seconds, encoded = timed(lambda: ours.encode(texts), repeat)
    rows.append((f"kgen encoder (sorted, length cut, batch {ours.batch_size}, {ours.compute_dtype_name})", encoder_seconds, len(texts)))

    with tempfile.TemporaryDirectory() as tmp:
        template_file = Path(tmp) / "templates.txt"
        template_file.write_text("\n".join(work.templates) + "\n", encoding="utf-8")
        request = EncodeRequest(dataset=work.dataset, kind="names", model_name="ViT-B-16", pretrained="random",
                                templates=str(template_file), out_dir=Path(tmp) / "banks", device=str(device))

        def end_to_end() -> None:
            shutil.rmtree(Path(tmp) / "banks", ignore_errors=True)
            encode_bank(request, clip=clip, show_progress=False)

        seconds, _ = timed(end_to_end, repeat)
        rows.append(("encode_bank end to end (model loaded)", seconds, len(texts)))

    base = rows[0][1] if not skip_naive else None
    print(f"{'variant':64s} {'seconds':>8s} {'texts/s':>9s} {'vs naive':>9s}")
    for label, secs, count in rows:
        ratio = f"{base / secs:8.2f}x" if base else "        -"
        print(f"{label:64s} {secs:8.2f} {count / secs:9.1f} {ratio}")
    if reference is not None:
        print(f"largest |naive - kgen| over all vector entries: {float((reference - encoded.embeddings).abs().max()):.2e}")

    if device.type == "cuda":
        width, layers = model.transformer.width, len(model.transformer.resblocks)
        useful = sum(text_flops(int(n), width, layers, 4.0, clip.embed_dim) for n in lengths.tolist())
        executed = _executed_flops(tokens.end_index, ours.batch_size, width, layers, clip.embed_dim)
        name = torch.cuda.get_device_name(device)
        peak = next((v for k, v in BF16_PEAK.items() if k in name), None)
        print(f"GPU {name}: {len(texts) / encoder_seconds:,.0f} texts/s; "
              f"{text_flops(77, width, layers, 4.0, clip.embed_dim) / 1e9:.2f} GFLOP per 77-token text, "
              f"{useful / len(texts) / 1e9:.2f} GFLOP per text at its own length")
        if peak:
            print(f"fraction of the dense bf16 peak ({peak / 1e12:.0f} TFLOP/s): {executed / encoder_seconds / peak:.1%} "
                  f"counting the FLOPs executed (cut lengths), {useful / encoder_seconds / peak:.1%} counting each text's own length")


def _executed_flops(end_index: torch.Tensor, batch_size: int, width: int, layers: int, embed_dim: int) -> float:
    ends = sorted(int(e) for e in end_index)
    total = 0.0
    for start in range(0, len(ends), batch_size):
        batch = ends[start : start + batch_size]
        total += len(batch) * text_flops(max(batch) + 1, width, layers, 4.0, embed_dim)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each variant; the best is kept")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow baseline (GPU throughput runs)")
    parser.add_argument("--only", choices=[w.name for w in workloads()], help="run one workload")
    args = parser.parse_args()
    device = torch.device(args.device)
    clip = load_clip("ViT-B-16", "random", device=device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"device: {device} ({where}); model: ViT-B-16 text tower (width 512, 12 blocks), random weights")
    for work in workloads():
        if args.only in (None, work.name):
            run_workload(work, clip, device, args.repeat, args.skip_naive)


if __name__ == "__main__":
    main()
