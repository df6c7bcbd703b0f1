"""Benchmark: loading and verifying a Kinetics-400 prompts bank (400 classes x 36 AP-CLIP prompts).

    PYTHONPATH=. /work/main/.venv/bin/python bench/bank_load.py [--repeat 5]

The bank: the 400 Kinetics-400 class names, 36 prompts each in AP-CLIP's form ("a video of
{action}. <a sentence of 12-25 words>"), 512-d random unit vectors (ViT-B-16's width; the values do
not change the cost), written by kgen as a version-2 bank (texts.jsonl, manifest, summary).

Timed, each the best of ``--repeat`` runs in this process (torch already imported), against the
baseline of loading without verification:

* ``baseline``: ``load_bank(path, verify=False)`` and reading the vectors and the texts (what a
  run then uses);
* ``first load``: ``load_bank(path)`` (verified: every check of ``kgen bank verify``) with no
  remembered verification, then the same reads;
* ``later load``: ``load_bank(path)`` when the verification is remembered (files unchanged), then
  the same reads;
* ``kgen bank verify``: :func:`kgen.banks.verify.verify_bank`, every check.

This is a benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from kgen import paths
from kgen.banks import Bank, load_bank
from kgen.banks.verify import MEMORY_DIR, verify_bank
from kgen.datasets import load_builtin
from tests.bank_helpers import bank_from_embeddings

WORDS = ("the person", "moves", "both arms", "slowly", "while standing", "on a wooden floor", "near a wall", "with a ball",
         "in a bright gym", "wearing a red shirt", "and then turns", "to the left")


def kinetics_prompts_bank(root: Path) -> Path:
    classes = load_builtin("k400").classes
    generator = torch.Generator().manual_seed(0)
    texts = [[f"a video of {c.name}. " + " ".join(WORDS[(k + j + i) % len(WORDS)] for i in range(4 + j % 5)) + "."
              for j in range(36)] for k, c in enumerate(classes)]
    per_class = [torch.randn(36, 512, generator=generator) for _ in classes]
    bank = bank_from_embeddings(per_class, class_names=[c.name for c in classes], class_ids=[c.id for c in classes],
                                dataset="k400", kind="prompts", clip_model="ViT-B-16", texts=texts)
    return bank.save(root / bank.bank_id)


def best(fn: Callable[[], object], repeat: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths.set_cache_dir(Path(tmp) / "cache")
        path = kinetics_prompts_bank(Path(tmp))
        size = sum(p.stat().st_size for p in path.iterdir())
        print(f"bank: {path.name}: 400 classes x 36 texts = 14,400 vectors of 512-d, {size / 1e6:.1f} MB on disk")

        def forget() -> None:
            shutil.rmtree(Path(tmp) / "cache" / MEMORY_DIR, ignore_errors=True)

        def read(bank: Bank) -> None:
            assert bank.embeddings.shape == (14400, 512) and len(bank.texts) == 14400

        rows = [
            ("baseline: load_bank(verify=False), vectors and texts read", best(lambda: read(load_bank(path, verify=False)), args.repeat)),
            ("first load: load_bank() verified, vectors and texts read", best(lambda: read(load_bank(path)), args.repeat, forget)),
            ("later load: load_bank() verification remembered, read", best(lambda: read(load_bank(path)), args.repeat)),
            ("kgen bank verify (every check)", best(lambda: verify_bank(path), args.repeat)),
        ]
        base = rows[0][1]
        print(f"{'':66s} {'seconds':>8s} {'vs baseline':>12s}")
        for label, seconds in rows:
            print(f"{label:66s} {seconds:8.3f} {seconds / base:11.2f}x")


if __name__ == "__main__":
    main()
