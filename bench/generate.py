"""Benchmark of knowledge generation, in three modes.

``--mode server`` (default): all four kinds for HMDB51 and Kinetics-400 against a local
OpenAI-compatible server that answers every call after a fixed latency (200 ms by default). For
each dataset it prints the cold run's wall time, the ideal time (calls x latency / concurrency:
what a perfect scheduler would need), their ratio, and the warm-cache rerun's time (zero calls).

``--mode embedded``: the embedded llama.cpp backend (SmolLM2-135M-Instruct by default, or
``--gguf``): completion tokens per second single-stream (one request at a time) and aggregate
(``--requests`` requests, ``--parallel`` at once), with kgen's real AP-CLIP request (a 12-key JSON
answer), and the process's peak memory. The baseline is the transformers + Python-grammar path
that llama.cpp replaced, measured on this 2-core machine before it was removed (the path no
longer exists to be run): 2.9 completion tokens/s, about 52 s a call, 1.8-2.1 GB peak RSS.

``--mode build``: ``kgen build all`` on the first ``--classes`` classes of HMDB51 with the embedded
backend (a fresh cache; synthetic descriptions, the crawl is not measured), then the wall time
extrapolated to HMDB51's 51 classes (linear in calls: a subset's tail, when fewer requests than
slots remain, makes the extrapolation err on the slow side).

    PYTHONPATH=. /work/main/.venv/bin/python bench/generate.py [--latency 0.2] [--concurrency 32] [--datasets hmdb51,k400]
    flock /tmp/kgen-bench.lock env PYTHONPATH=. /work/main/.venv/bin/python bench/generate.py --mode embedded
    flock /tmp/kgen-bench.lock env PYTHONPATH=. /work/main/.venv/bin/python bench/generate.py --mode build --classes 8
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


def write_descriptions(dataset_name: str, classes_file: Path | None = None) -> None:
    """Synthetic refined descriptions (the crawler is not what is measured here)."""
    dataset = resolve_dataset(None, classes_file) if classes_file else resolve_dataset(dataset_name)
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
        ["build", "all", "--dataset", dataset, "--base-url", server.base_url, "--llm-model", "bench-model", "--concurrency", str(concurrency)]
    )
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"build all --dataset {dataset} exited with {code}")
    return elapsed, server.count - before


OLD_TOKENS_PER_S, OLD_PEAK_GB = 2.9, 1.8  # transformers fp32 + Python grammar (issue 12's measurement)


def peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def embedded(args: argparse.Namespace) -> None:
    import asyncio

    from kgen.cache import ResponseCache
    from kgen.generate import apclip
    from kgen.llm.answers import KeyedSpec
    from kgen.llm.embedded import EmbeddedBackend
    from kgen.llm.types import SamplingParams

    graph, prompts = apclip.load_attribute_graph(None), apclip.load_llm_prompts(None)
    spec = KeyedSpec([a.name for aspect in graph.aspects for a in aspect.attributes], "attribute", "sentence", max_chars=160)
    listing = apclip.attribute_list(graph.aspects)
    actions = [c.name for c in resolve_dataset("hmdb51").classes]

    def messages(i: int):
        template = apclip.PromptTemplate("p", prompts.system, prompts.prompts[i % 3].user)
        return list(template.messages(action=actions[i % len(actions)], attribute_list=listing))

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="kgen-bench-") as tmp:
            backend = EmbeddedBackend(gguf=args.gguf, cache=ResponseCache(Path(tmp)), threads=args.threads, parallel=args.parallel)
            sampling = SamplingParams(temperature=0.0, max_tokens=1024)
            try:
                start = time.perf_counter()
                await backend.complete(messages(0), (), spec, SamplingParams(max_tokens=4))
                startup = time.perf_counter() - start
                single_tokens, start = 0, time.perf_counter()
                for i in range(args.single):
                    single_tokens += (await backend.complete(messages(i), (), spec, sampling)).completion_tokens
                single_s = time.perf_counter() - start
                gate = asyncio.Semaphore(args.parallel)

                async def one(i: int) -> int:
                    async with gate:
                        return (await backend.complete(messages(100 + i), (), spec, sampling)).completion_tokens

                start = time.perf_counter()
                aggregate_tokens = sum(await asyncio.gather(*(one(i) for i in range(args.requests))))
                aggregate_s = time.perf_counter() - start
            finally:
                await backend.aclose()
        single, aggregate = single_tokens / single_s, aggregate_tokens / aggregate_s
        print(f"\nmodel {backend.model_id}; {backend.threads} thread(s), {args.parallel} slots; load average {os.getloadavg()}")
        print(f"start (load the model, first answer): {startup:.1f} s")
        print(f"{'':24} {'tokens':>7} {'s':>7} {'tok/s':>7} {'x old':>7}")
        print(f"{'old path (issue 12)':24} {'':>7} {'':>7} {OLD_TOKENS_PER_S:7.1f} {1.0:7.1f}")
        print(f"{'single stream':24} {single_tokens:7d} {single_s:7.1f} {single:7.1f} {single / OLD_TOKENS_PER_S:7.1f}")
        label = f"aggregate ({args.requests} req)"
        print(f"{label:24} {aggregate_tokens:7d} {aggregate_s:7.1f} {aggregate:7.1f} {aggregate / OLD_TOKENS_PER_S:7.1f}")
        print(f"peak RSS of this process: {peak_rss_gb():.2f} GB (old path: {OLD_PEAK_GB}-2.1 GB)")

    asyncio.run(run())


def build(args: argparse.Namespace) -> None:
    import io
    from contextlib import redirect_stderr

    from kgen.console import err_console

    err_console.width = 400  # one line per message, to read the report back
    hmdb51 = resolve_dataset("hmdb51")
    names = [c.name for c in hmdb51.classes[: args.classes]]
    with tempfile.TemporaryDirectory(prefix="kgen-bench-") as tmp:
        if args.keep:  # keep the workspace and cache, to read what the model wrote
            tmp = args.keep
            Path(tmp).mkdir(parents=True, exist_ok=False)
        root = Path(tmp) / "root"
        root.mkdir()
        os.environ["KGEN_ROOT"], os.environ["KGEN_CACHE_DIR"] = str(root), str(Path(tmp) / "cache")
        os.environ.pop("OPENAI_BASE_URL", None)
        classes = root / "subset.txt"
        classes.write_text("\n".join(names) + "\n", encoding="utf-8")
        write_descriptions("subset", classes)
        extra = ["--threads", str(args.threads)] if args.threads else []
        log = io.StringIO()
        start = time.perf_counter()
        with redirect_stderr(log):
            code = cli.run(["build", "all", "--classes", str(classes), *extra])
        elapsed = time.perf_counter() - start
        text = " ".join(log.getvalue().split())
        kinds = [line for line in log.getvalue().splitlines() if " LLM usage: " in line or line.endswith("classes") or " classes -> " in line]
    usage = text[text.find("LLM usage (all kinds)") :].split(" error:")[0]
    failed = [line for line in log.getvalue().splitlines() if line.startswith("  - ")]
    print(f"\nbuild all, {len(names)} HMDB51 classes, embedded backend: exit {code}, {elapsed:.0f} s; load average {os.getloadavg()}")
    print(usage)
    print("\n".join(kinds))
    print(f"classes without some kind: {len(failed)} (class x kind)")
    for line in failed:
        print(line)
    per_class = elapsed / len(names)
    print(f"extrapolated to HMDB51 (51 classes): {per_class * 51 / 60:.1f} min (target: 30 min; old path: about 8.8 h)")
    print(f"peak RSS of this process: {peak_rss_gb():.2f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("server", "embedded", "build"), default="server")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--datasets", default="hmdb51,k400")
    parser.add_argument("--gguf", default=None, help="embedded: the GGUF model (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--threads", type=int, default=None, help="embedded/build: llama.cpp threads (default: the free cores)")
    parser.add_argument("--parallel", type=int, default=16, help="embedded: slots")
    parser.add_argument("--single", type=int, default=3, help="embedded: requests for the single-stream figure")
    parser.add_argument("--requests", type=int, default=32, help="embedded: requests for the aggregate figure")
    parser.add_argument("--classes", type=int, default=8, help="build: the first N classes of HMDB51")
    parser.add_argument("--keep", default=None, help="build: keep the workspace and cache in this new folder")
    args = parser.parse_args()
    if args.mode == "embedded":
        return embedded(args)
    if args.mode == "build":
        return build(args)
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
