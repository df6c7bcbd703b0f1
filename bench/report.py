"""Benchmark: ``kgen report`` on a whole dataset workspace, and its t-SNE against the textbook one.

    PYTHONPATH=. /work/main/.venv/bin/python bench/report.py --dataset hmdb51
    PYTHONPATH=. /work/main/.venv/bin/python bench/report.py --dataset k400 --screenshots docs/images

The workspace (built once under ``--workspace``, default ``/tmp/kgen-bench-report/<dataset>``,
and reused) is what the issue names: ``kgen crawl --offline`` (Debian's WordNet), every LLM kind
from the local OpenAI-compatible test server, six banks (names and every kind) encoded by the
tiny random-weight CLIP, two synthetic evaluation results (names bank, prompts bank; 30 videos a
class for HMDB51, 50 for Kinetics, as their test sets) and a tiny training run
(``tiny-smoke``) with an evaluation logged into it. Building it is not timed.

Measured, in this run:

* ``kgen report`` end to end, as a user runs it (a new Python process: imports, reading,
  t-SNE, writing), best of ``--repeat``, with the time of each part from ``report.json``;
* the class map's t-SNE gradient step at the map's size (classes x banks points): kgen's
  blocked, cache-sized computation against the textbook dense one (the N x N matrices of van
  der Maaten's reference implementation), milliseconds per iteration and the ratio;
* with ``--screenshots DIR``: the page opened in headless Chromium, seconds until each tab is
  drawn, and a small PNG of each (the ones in ``docs/images/``).

Targets (issue 16): HMDB51 under 30 s, Kinetics-400 under 2 minutes on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

TARGET_S = {"hmdb51": 30.0, "k400": 120.0}
VIDEOS_PER_CLASS = {"hmdb51": 30, "k400": 50}


def build_workspace(dataset: str, root: Path) -> None:
    from report_workspace import Workspace, synthetic_eval_result

    from kgen.datasets import resolve_dataset

    ws = Workspace(root=root, cache=root.parent / f"{root.name}-cache")
    args = ["--dataset", dataset]
    started = time.perf_counter()
    ws.build_knowledge(args, llm_concurrency=32)
    ws.encode_banks(args)
    data = resolve_dataset(dataset)
    names, ids = [c.name for c in data.classes], [c.id for c in data.classes]
    for seed, kind in enumerate(("names", "prompts")):
        synthetic_eval_result(
            root / "results" / f"{kind}.json", dataset=data.name, class_names=names, class_ids=ids,
            bank_id=ws.bank(kind).name, bank_kind=kind, videos_per_class=VIDEOS_PER_CLASS.get(dataset, 30),
            skill=0.35 + 0.1 * seed, seed=seed,
        )
    videos = ws.synthetic_videos(root.parent / f"{root.name}-videos", 4)
    run = root / "runs" / "tiny-smoke"
    ws.train(run, args, videos, logger="csv", steps=8)
    ws.eval_checkpoint(run, args, videos)
    print(f"built the {dataset} workspace in {time.perf_counter() - started:.0f} s: {root}")


def textbook_gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The dense t-SNE gradient as the reference implementation writes it (N x N matrices)."""
    sum_y = (y * y).sum(axis=1)
    num = 1.0 / (1.0 + (-2.0 * (y @ y.T) + sum_y).T + sum_y)
    np.fill_diagonal(num, 0.0)
    q = np.maximum(num / num.sum(), 1e-12)
    pq = p - q
    return 4.0 * ((pq * num).sum(axis=1)[:, None] * y - (pq * num) @ y)


def time_gradients(points: int, iterations: int = 20) -> tuple[float, float, float]:
    from kgen.report.embedding_map import _gradient

    rng = np.random.default_rng(0)
    y = (rng.normal(size=(points, 2)) * 10).astype(np.float32)
    p = rng.random((points, points)).astype(np.float32)
    p = (p + p.T) / 2
    np.fill_diagonal(p, 0)
    p /= p.sum()
    timings = []
    for function in (textbook_gradient, _gradient):
        function(p, y)
        started = time.perf_counter()
        for _ in range(iterations):
            result = function(p, y)
        timings.append((time.perf_counter() - started) / iterations * 1000)
        if function is _gradient:
            gap = float(np.abs(result - textbook_gradient(p, y)).max())
    return timings[0], timings[1], gap


def run_report(root: Path, dataset: str) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "cli", "--root", str(root), "--cache-dir", str(root.parent / f"{root.name}-cache"),
               "report", "--dataset", dataset, "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"kgen report failed:\n{done.stderr}")
    return seconds, json.loads(done.stdout)


def _small_png(path: Path) -> None:
    """Shrink a screenshot for the docs: a 128-colour palette (text and charts stay sharp)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def screenshots(index: Path, folder: Path, class_name: str) -> dict[str, float]:
    """Open each tab in headless Chromium; seconds until it is drawn; one viewport PNG per view."""
    from headless_browser import HeadlessChromium

    timings = {}
    folder.mkdir(parents=True, exist_ok=True)
    views = [
        ("overview", "#overview", "!!document.querySelector('#view-overview .stat-row')", None),
        ("knowledge", f"#knowledge/{class_name}", "!!document.querySelector('.askg-graph')", None),
        ("knowledge-graph", f"#knowledge/{class_name}", "!!document.querySelector('.askg-graph')", "k-askg"),
        ("banks", "#banks", "!!document.getElementById('heatmap')", None),
        ("banks-heatmap", "#banks", "!!document.getElementById('heatmap')", "fig-bank-heatmap"),
        ("map", "#map", "!!document.querySelector('#class-map circle')", None),
        ("evaluation", "#evaluation", "!!document.getElementById('per-class-accuracy')", None),
        ("evaluation-difference", "#evaluation", "!!document.getElementById('accuracy-difference')", "fig-accuracy-difference"),
        ("training", "#training", "!!document.querySelector('#view-training svg')", None),
    ]
    with HeadlessChromium(width=1400, height=1000) as browser:
        started = time.perf_counter()
        browser.open(index.as_uri())
        browser.wait_for("document.querySelectorAll('#tabs a').length === 6")
        timings["page"] = time.perf_counter() - started
        for name, hash_, condition, scroll_to in views:
            started = time.perf_counter()
            browser.evaluate(f"location.hash = {json.dumps(hash_)}")
            browser.wait_for(condition, timeout_s=60)
            timings[name] = time.perf_counter() - started
            browser.evaluate(f"document.getElementById({json.dumps(scroll_to)}).scrollIntoView()" if scroll_to else "window.scrollTo(0, 0)")
            time.sleep(0.2)
            browser.screenshot(folder / f"report-{name}.png")
            _small_png(folder / f"report-{name}.png")
        errors = browser.errors()
    if errors:
        raise SystemExit(f"the page logged errors: {errors}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="hmdb51")
    parser.add_argument("--workspace", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--screenshots", type=Path, default=None, help="also open the page in headless Chromium and save a PNG per tab here")
    parser.add_argument("--screenshot-class", default="ride bike", help="the class the knowledge screenshots show")
    args = parser.parse_args()
    root = (args.workspace or Path("/tmp/kgen-bench-report") / args.dataset).resolve()
    if not (root / "reports").exists() and not (root / "banks").is_dir():
        build_workspace(args.dataset, root)

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} CPUs)")
    best, summary = min((run_report(root, args.dataset) for _ in range(args.repeat)), key=lambda item: item[0])
    counts = summary["counts"]
    points = counts["classes"] * counts["banks"]
    print(f"kgen report --dataset {args.dataset}: {counts['classes']} classes, {counts['kinds']} knowledge files, "
          f"{counts['banks']} banks, {counts['results']} results, {counts['runs']} runs")
    print(f"  end to end (new process): {best:.1f} s; target {TARGET_S.get(args.dataset, float('nan')):.0f} s")
    print("  parts: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary["timings_s"].items()))
    size = sum(f.stat().st_size for f in Path(summary["path"]).rglob("*") if f.is_file())
    print(f"  report folder: {size / 1e6:.1f} MB ({summary['path']})")
    textbook, blocked, gap = time_gradients(points)
    print(f"t-SNE gradient at N = {points} points (classes x banks): textbook dense {textbook:.1f} ms/iteration, "
          f"kgen blocked {blocked:.1f} ms/iteration: {textbook / blocked:.2f}x (max difference {gap:.1e})")
    if args.screenshots:
        timings = screenshots(Path(summary["index"]), args.screenshots, args.screenshot_class)
        print("headless Chromium, seconds to a drawn tab: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
