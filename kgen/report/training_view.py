"""What the report shows of a training run: its curves (``metrics.jsonl``) and the evaluations
logged into it (``evals.jsonl``, written by ``kgen eval`` for checkpoints of the run).

Lines written by older kgen versions (``NaN`` for a missing gradient norm, float steps) are read
too. A resumed run logs again the steps after its last checkpoint; the later line of a step wins.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from kgen.errors import InputError
from zsar.engine.loggers import EVALS_FILE, METRICS_FILE

# The curves the report draws, in order: (metric key, title, unit).
CURVES: tuple[tuple[str, str, str], ...] = (
    ("loss", "Training loss", ""),
    ("lr", "Learning rate", ""),
    ("accuracy", "Training accuracy (top-1 of the step's clips)", "%"),
    ("clips_per_second", "Throughput", "clips/s"),
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def read_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a JSONL file and the number of unreadable lines (a line cut by a crash)."""
    records, bad = [], 0
    if not path.is_file():
        return records, bad
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)  # Python's json reads NaN/Infinity, which old files hold
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad += 1
    return records, bad


def is_run_dir(path: Path) -> bool:
    return (path / METRICS_FILE).is_file() or (path / "run.json").is_file()


def find_runs(root: Path) -> list[Path]:
    """Run folders directly under ``root`` (``runs/<name>``), by name."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and is_run_dir(p))


def collect_run(run_dir: Path) -> dict[str, Any]:
    """One run as page data: metadata, one series per curve over integer steps, its evaluations."""
    run_dir = Path(run_dir)
    if not is_run_dir(run_dir):
        raise InputError(
            f"{run_dir} is not a training run folder (no metrics.jsonl or run.json)",
            hint="give the folder `kgen train --out` wrote (runs/<recipe name> by default)",
        )
    meta: dict[str, Any] = {}
    if (run_dir / "run.json").is_file():
        try:
            meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            meta = {}
    name = run_dir.name
    logger = "none"
    config_path = run_dir / "config.yaml"
    if config_path.is_file():
        try:
            config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
            name = str(config.get("name") or name)
            logger = str((config.get("train") or {}).get("logger", "none"))
        except yaml.YAMLError:
            pass
    records, bad = read_jsonl(run_dir / METRICS_FILE)
    by_step: dict[int, dict[str, Any]] = {}
    for record in records:
        step = _number(record.get("step"))
        if step is not None:
            by_step[int(step)] = record
    steps = sorted(by_step)
    series: dict[str, list[float | None]] = {}
    for key, _, _ in CURVES:
        values = [_number(by_step[s].get(key)) for s in steps]
        if key == "accuracy":
            values = [None if v is None else 100.0 * v for v in values]
        series[key] = values
    epochs = [_number(by_step[s].get("epoch")) for s in steps]
    evals, bad_evals = read_jsonl(run_dir / EVALS_FILE)
    text = meta.get("text") or {}
    return {
        "name": name,
        "folder": run_dir.name,
        "path": str(run_dir),
        "model": meta.get("model"),
        "backbone": meta.get("backbone"),
        "bank_id": text.get("bank_id"),
        "bank_kind": text.get("kind"),
        "dataset": text.get("dataset"),
        "total_steps": meta.get("total_steps"),
        "steps_per_epoch": meta.get("steps_per_epoch"),
        "logger": logger,
        "steps": steps,
        "epochs": [None if e is None else int(e) for e in epochs],
        "series": series,
        "curves": [{"key": k, "title": t, "unit": u} for k, t, u in CURVES],
        "evals": [
            {k: e.get(k) for k in ("step", "time", "run", "list", "role", "protocol", "dataset", "bank_id", "top1", "top5",
                                   "mean_class_accuracy", "evaluated", "results_file")}
            for e in evals
        ],
        "unreadable_lines": bad + bad_evals,
    }


def curves_table(run: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The run's curves as CSV columns and rows (step, epoch, one column per curve)."""
    keys = [c["key"] for c in run["curves"]]
    header = ["step", "epoch", *keys]
    rows = [
        [step, run["epochs"][i], *[run["series"][k][i] for k in keys]]
        for i, step in enumerate(run["steps"])
    ]
    return header, rows
