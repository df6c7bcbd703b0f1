"""Benchmark: all four knowledge kinds for HMDB51 and Kinetics-400 against a local
OpenAI-compatible server that answers every call after a fixed latency (200 ms by default).

For each dataset it prints the cold run's wall time, the ideal time (calls x latency /
concurrency: what a perfect scheduler would need), their ratio, and the warm-cache rerun's time
(zero calls expected).

    PYTHONPATH=. /work/main/.venv/bin/python bench/generate.py [--latency 0.2] [--concurrency 32] [--datasets hmdb51,k400]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from openai_server import FakeOpenAIServer  # noqa: E402

import cli  # noqa: E402
from kgen import paths  # noqa: E402
from kgen.crawl.descriptions import ClassDescription, CrawlProvenance, DescriptionsFile  # noqa: E402
from kgen.datasets import resolve_dataset  # noqa: E402


def write_descriptions(dataset_name: str) -> None:
    """Synthetic refined descriptions (the crawler is not what is measured here)."""
    dataset = resolve_dataset(dataset_name)
    entries = [
        ClassDescription(
            class_id=c.id, class_name=c.name, label=c.label,
            refined=f"{c.name.capitalize()} is a human activity. A person does {c.name} with the body and some objects.",
        )
        for c in dataset.classes
    ]
    folder = paths.knowledge_dir(dataset.name)
    folder.mkdir(parents=True, exist_ok=True)
    DescriptionsFile(dataset=dataset.name, provenance=CrawlProvenance(), classes=entries).save(folder / "descriptions.json")


def run_all(dataset: str, server: FakeOpenAIServer, concurrency: int) -> tuple[float, int]:
    before = server.count
    start = time.perf_counter()
    code = cli.run(
        ["build-all", "--dataset", dataset, "--base-url", server.base_url, "--model", "bench-model", "--concurrency", str(concurrency)]
    )
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"build-all --dataset {dataset} exited with {code}")
    return elapsed, server.count - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--datasets", default="hmdb51,k400")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kgen-bench-") as tmp, FakeOpenAIServer(latency_s=args.latency) as server:
        os.environ["KGEN_ROOT"] = str(Path(tmp) / "root")
        os.environ["KGEN_CACHE_DIR"] = str(Path(tmp) / "cache")
        Path(os.environ["KGEN_ROOT"]).mkdir()
        for dataset in args.datasets.split(","):
            write_descriptions(dataset)
            cold, calls = run_all(dataset, server, args.concurrency)
            warm, warm_calls = run_all(dataset, server, args.concurrency)
            ideal = calls * args.latency / args.concurrency
            classes = len(resolve_dataset(dataset).classes)
            rows.append((dataset, classes, calls, cold, ideal, cold / ideal, warm, warm_calls))
    print(f"\nlatency {args.latency * 1000:.0f} ms per call, concurrency {args.concurrency}")
    print(f"{'dataset':8} {'classes':>7} {'calls':>6} {'cold s':>8} {'ideal s':>8} {'cold/ideal':>10} {'warm s':>7} {'warm calls':>10}")
    for dataset, classes, calls, cold, ideal, ratio, warm, warm_calls in rows:
        print(f"{dataset:8} {classes:7d} {calls:6d} {cold:8.2f} {ideal:8.2f} {ratio:10.2f} {warm:7.2f} {warm_calls:10d}")


if __name__ == "__main__":
    main()
