"""Benchmark of ``kgen build all --dry-run`` on Kinetics-400, and the accuracy of its token proxy.

1. **Speed**: ``kgen build all --dataset k400 --dry-run --backend openai --llm-model gpt-4o-mini`` as a
   user runs it (a fresh interpreter each time, on a workspace with the offline crawl of K400:
   the attributes' prompts hold the real descriptions), ``--repeat`` times; the baseline, measured
   in the same run, is the start of the CLI alone (``kgen --version``: the same imports).
2. **Accuracy** (``--reference``): the real request bodies of every call whose prompt is known
   (4 kinds, 2 800 calls) counted by the proxy (CLIP BPE, :mod:`kgen.llm.estimate`), by a
   chars/4 rule, and by OpenAI's ``o200k_base`` tokenizer (gpt-4o, gpt-4.1, gpt-5, o-series),
   which needs the ``bpe-openai`` package (not a kgen dependency: install it into a folder of its
   own and put that on ``PYTHONPATH``: ``pip install --target /tmp/bpeo bpe-openai``).

    flock /tmp/kgen-bench.lock env PYTHONPATH=.:/tmp/bpeo /work/main/.venv/bin/python bench/dry_run.py --reference
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def known_bodies(workspace: Path, cache: Path) -> list[dict]:
    """The request bodies of the calls a K400 build-all would make first (prompts known)."""
    os.environ["KGEN_ROOT"], os.environ["KGEN_CACHE_DIR"] = str(workspace), str(cache)
    from kgen.cache import ResponseCache
    from kgen.datasets import resolve_dataset
    from kgen.generate.action_descriptions import ActionDescriptionsBuilder
    from kgen.generate.apclip import PromptsBuilder
    from kgen.generate.askg import ASKGBuilder
    from kgen.generate.attributes import AttributesBuilder
    from kgen.generate.dry_run import request_body
    from kgen.generate.plan import plan_kinds
    from kgen.llm.settings import LLMSettings, offline_client

    data = resolve_dataset("k400")
    builders = [PromptsBuilder(data), ASKGBuilder(data), AttributesBuilder(data), ActionDescriptionsBuilder(data)]
    for builder in builders:
        builder.check_inputs()
    with ResponseCache() as store:
        client = offline_client(LLMSettings(backend="openai", model="gpt-4o-mini"), store)
        plans = asyncio.run(plan_kinds(builders, client, "frontier"))
        return [request_body(client, call.request) for plan in plans for call in plan.calls]


def accuracy(bodies: list[dict]) -> None:
    try:
        import bpe_openai
    except ImportError:
        print("accuracy: skipped (bpe-openai is not importable; see the module docstring)")
        return
    from kgen.llm.estimate import MESSAGE_OVERHEAD, REPLY_PRIMING, prompt_tokens

    o200k = bpe_openai.get_encoding("o200k_base")

    def texts(body: dict) -> list[str]:
        out = [str(m["content"]) for m in body["messages"]]
        if (body.get("response_format") or {}).get("type") == "json_schema":
            out.append(json.dumps(body["response_format"]["json_schema"], ensure_ascii=False))
        return out

    def overhead(body: dict) -> int:
        return REPLY_PRIMING + MESSAGE_OVERHEAD * len(body["messages"])

    reference = [overhead(b) + sum(len(o200k.encode(t)) for t in texts(b)) for b in bodies]
    rules = {
        "CLIP BPE (kgen's proxy)": [prompt_tokens(b) for b in bodies],
        "chars/4": [overhead(b) + round(sum(len(t) for t in texts(b)) / 4) for b in bodies],
    }
    print(f"accuracy on {len(bodies):,} real request bodies (K400, 4 kinds), against o200k_base: {sum(reference):,} tokens")
    for name, counts in rules.items():
        errors = [(c - r) / r for c, r in zip(counts, reference, strict=True)]
        print(
            f"  {name:24s} total {sum(counts):,} ({sum(counts) / sum(reference) - 1:+.1%}); per request: "
            f"mean |error| {statistics.mean(abs(e) for e in errors):.1%}, from {min(errors):+.1%} to {max(errors):+.1%}"
        )
    schema_ref = sum(len(o200k.encode(t[-1])) for t in map(texts, bodies) if t)
    schema_clip = sum(__import__("kgen.llm.estimate", fromlist=["text_tokens"]).text_tokens(t[-1]) for t in map(texts, bodies) if t)
    print(f"  of which the JSON schemas: CLIP {schema_clip:,} vs o200k {schema_ref:,} ({schema_clip / schema_ref - 1:+.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference", action="store_true", help="measure the token proxy against o200k_base")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace, cache = Path(tmp) / "ws", Path(tmp) / "cache"
        workspace.mkdir()
        env = {**os.environ, "KGEN_ROOT": str(workspace), "KGEN_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "COLUMNS": "120"}
        kgen = [sys.executable, "-m", "cli"]
        timed([*kgen, "crawl", "--dataset", "k400", "--offline"], env)  # not measured
        dry = [*kgen, "build", "all", "--dataset", "k400", "--dry-run", "--backend", "openai", "--llm-model", "gpt-4o-mini"]
        timed(dry, env)  # warm the file system cache
        runs, starts = [], []
        for _ in range(args.repeat):
            starts.append(timed([*kgen, "--version"], env))
            runs.append(timed(dry, env))
        print(subprocess.run(dry, cwd=REPO, env=env, capture_output=True, text=True).stdout)
        load = os.getloadavg()
        best, start = min(runs), min(starts)
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
        print(f"kgen build all --dataset k400 --dry-run: best {best:.2f} s, median {statistics.median(runs):.2f} s of {args.repeat}")
        print(f"baseline, the CLI's start alone (kgen --version): {start:.2f} s; dry run / start = {best / start:.1f}x")
        if args.reference:
            accuracy(known_bodies(workspace, cache))


if __name__ == "__main__":
    main()
