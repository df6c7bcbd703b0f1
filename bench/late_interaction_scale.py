"""Benchmark: late interaction over 100,000 classes in bounded memory, against the unchunked code in the same run.

    PYTHONPATH=. /work/main/.venv/bin/python bench/late_interaction_scale.py \
        [--classes 100000] [--baseline-classes 10000] [--prompts 36] [--frames 8] [--batch 8] [--dim 512]

AP-CLIP's and STDD's score (eq. 3-6, :func:`zsar.models.similarity.late_interaction`) of ``--batch``
videos of ``--frames`` frames against ``C`` classes of ``--prompts`` prompts each, ``D = --dim``
(ViT-B/16's 512), on the CPU, fp32, random unit vectors. Each measurement runs in a fresh Python
process, so its peak resident memory (``ru_maxrss``) is its own:

* ``unchunked`` (the baseline, ``C = --baseline-classes``): the code before issue 18, i.e. the
  text side's padded ``[C, N, D]`` prompts (``TextSide.prompts``) scored in one block, which
  makes the ``[B, T, C, N]`` cosines and a normalised copy of every prompt at once;
* ``chunked`` (same ``C``, same bank): ``TextSide.class_prompts`` with the default block budget
  (:mod:`zsar.models.class_chunks`): blocks padded from the bank's rows, scored block by block;
* ``chunked, streamed`` (``C = --classes``): the same scoring with the prompts handed out one
  block at a time by a source that draws them (a seeded generator per 1,024 classes), so no
  ``[C, N, D]`` tensor exists: at 100k x 36 x 512 that tensor alone is 7.4 GB, which is the
  bank's size, not the scoring's (loading a bank lazily is the bank side's part of issue 18).
  Its time includes drawing the vectors (printed apart).

Printed: seconds of the scoring call (best of ``--repeat`` for the baseline pair); resident
memory before the call (Python, torch and the inputs), its peak during the call (the kernel's
high-water mark, reset just before the call) and the peak of the whole process; the ratios
chunked/unchunked; whether the chunked scores equal the unchunked ones (bit for bit, the largest
difference, the same top-5 classes for every video).
Take timings with ``flock /tmp/kgen-bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

UNIT = 1024  # classes drawn from one seeded generator by the streamed source


def peak_rss_mb() -> float:
    """The process's peak resident memory since it started."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def current_rss_mb() -> float:
    return _status_mb("VmRSS")


def reset_peak_rss() -> None:
    """Restart the kernel's resident-memory high-water mark (VmHWM) from the current RSS (Linux)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")


def peak_rss_since_reset_mb() -> float:
    return _status_mb("VmHWM")


class StreamedPrompts:
    """A :class:`zsar.models.similarity.ClassPrompts` that draws each class's prompts when its block is scored."""

    def __init__(self, num_classes: int, width: int, dim: int, seed: int = 0) -> None:
        self.num_classes = num_classes
        self.width = width
        self.dim = dim
        self.seed = seed
        self.requires_grad = False
        self.draw_seconds = 0.0
        self._cached: tuple[int, torch.Tensor] | None = None

    def _unit(self, unit: int) -> torch.Tensor:
        if self._cached is None or self._cached[0] != unit:
            started = time.perf_counter()
            count = min(UNIT, self.num_classes - unit * UNIT)
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + unit)
            vectors = F.normalize(torch.randn(count, self.width, self.dim, generator=generator), dim=-1)
            self._cached = (unit, vectors)
            self.draw_seconds += time.perf_counter() - started
        return self._cached[1]

    def block(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        parts = []
        for unit in range(start // UNIT, (stop - 1) // UNIT + 1):
            lo, hi = max(start, unit * UNIT), min(stop, (unit + 1) * UNIT)
            parts.append(self._unit(unit)[lo - unit * UNIT : hi - unit * UNIT])
        prompts = parts[0] if len(parts) == 1 else torch.cat(parts)
        return prompts, torch.ones(stop - start, self.width, dtype=torch.bool)


def worker(args: argparse.Namespace) -> None:
    """One measurement in this process; prints a JSON line."""
    from zsar.models.class_chunks import CLASS_BLOCK_ELEMENTS, class_blocks, class_chunk_size
    from zsar.models.similarity import late_interaction
    from zsar.models.textside import TextSide, synthetic_bank

    frames = torch.randn(args.batch, args.frames, args.dim, generator=torch.Generator().manual_seed(1))
    # Warm-up on a few classes (first-call costs of the kernels), then measure.
    late_interaction(frames, torch.randn(4, args.prompts, args.dim))
    result: dict[str, float | int | str | bool] = {"mode": args.worker}
    if args.worker == "streamed":
        source = StreamedPrompts(args.classes, args.prompts, args.dim)
        before = current_rss_mb()
        reset_peak_rss()
        started = time.perf_counter()
        scores = late_interaction(frames, source)
        result["seconds"] = time.perf_counter() - started
        call_peak = peak_rss_since_reset_mb()
        result["draw_seconds"] = source.draw_seconds
    else:
        text = TextSide(synthetic_bank(args.classes, args.prompts, args.dim, seed=2))
        if args.worker == "unchunked":
            prompts, mask = text.prompts, text.prompt_mask  # the padded tensor the models used to score

        def score() -> torch.Tensor:
            if args.worker == "unchunked":
                with class_blocks(1 << 62):  # one block: the computation before issue 18
                    return late_interaction(frames, prompts, mask)
            return late_interaction(frames, text.class_prompts)

        before = current_rss_mb()
        times, call_peak = [], 0.0
        for _ in range(args.repeat):
            scores = None  # the previous result is not kept alive during the next call
            reset_peak_rss()
            started = time.perf_counter()
            scores = score()
            times.append(time.perf_counter() - started)
            call_peak = max(call_peak, peak_rss_since_reset_mb())
        result["seconds"] = min(times)
    per_class = args.prompts * (2 * args.batch * args.frames + 2 * args.dim)
    result.update(
        classes=args.classes,
        block_classes=args.classes if args.worker == "unchunked" else class_chunk_size(args.classes, per_class, with_grad=False),
        block_budget_elements=CLASS_BLOCK_ELEMENTS,
        rss_before_mb=before,
        call_peak_rss_mb=call_peak,
        peak_rss_mb=peak_rss_mb(),
        shape=list(scores.shape),
    )
    if args.save:
        torch.save(scores, args.save)
    print(json.dumps(result))


def run_worker(mode: str, classes: int, args: argparse.Namespace, save: Path | None) -> dict:
    command = [
        sys.executable, __file__, "--worker", mode, "--classes", str(classes), "--prompts", str(args.prompts),
        "--frames", str(args.frames), "--batch", str(args.batch), "--dim", str(args.dim), "--repeat", str(args.repeat),
    ]
    if save is not None:
        command += ["--save", str(save)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{mode} at C={classes} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=100_000)
    parser.add_argument("--baseline-classes", type=int, default=10_000)
    parser.add_argument("--prompts", type=int, default=36)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", choices=["unchunked", "chunked", "streamed"], help=argparse.SUPPRESS)
    parser.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    print(f"late interaction, B={args.batch} videos x T={args.frames} frames, N={args.prompts} prompts, D={args.dim}, "
          f"fp32, CPU ({torch.get_num_threads()} threads)")
    with tempfile.TemporaryDirectory() as tmp:
        base = run_worker("unchunked", args.baseline_classes, args, Path(tmp) / "unchunked.pt")
        chunked = run_worker("chunked", args.baseline_classes, args, Path(tmp) / "chunked.pt")
        a, b = torch.load(Path(tmp) / "unchunked.pt"), torch.load(Path(tmp) / "chunked.pt")
        identical, largest = torch.equal(a, b), float((a - b).abs().max())
        same_top5 = torch.equal(a.topk(5, dim=1).indices, b.topk(5, dim=1).indices)
    streamed = run_worker("streamed", args.classes, args, None)

    def row(label: str, r: dict) -> str:
        return (f"{label:<34} C={r['classes']:>7,}  block {r['block_classes']:>6,}  {r['seconds']:8.3f} s  "
                f"RSS before {r['rss_before_mb']:7.1f} MB, peak in the call {r['call_peak_rss_mb']:7.1f} MB "
                f"(+{working(r):7.1f}), process peak {r['peak_rss_mb']:7.1f} MB")

    def working(r: dict) -> float:
        return r["call_peak_rss_mb"] - r["rss_before_mb"]

    print("(RSS includes ~0.7 GB for Python and torch; 'before' also holds the inputs: the bank, and for the "
          "unchunked baseline its padded prompts)")
    print(row("unchunked (before issue 18)", base))
    print(row("chunked (TextSide.class_prompts)", chunked))
    print(f"  ratio chunked/unchunked: time {chunked['seconds'] / base['seconds']:.2f}x, process peak RSS "
          f"{chunked['peak_rss_mb'] / base['peak_rss_mb']:.2f}x, working memory of the call "
          f"{working(chunked) / max(1e-9, working(base)):.3f}x")
    print(f"  scores: bit-identical {identical}, largest difference {largest:.3g}, same top-5 for every video {same_top5}")
    print(row("chunked, streamed prompts", streamed))
    print(f"  of which drawing the random prompts: {streamed['draw_seconds']:.3f} s; scoring alone about "
          f"{streamed['seconds'] - streamed['draw_seconds']:.3f} s")
    verdict = "within" if streamed["peak_rss_mb"] <= 2048 else "ABOVE"
    print(f"C={args.classes:,}: process peak RSS {streamed['peak_rss_mb']:.0f} MB, {verdict} 2 GB")


if __name__ == "__main__":
    main()
