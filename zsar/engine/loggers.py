"""Training logs in the tools users already read: ``train.logger: none | tensorboard | wandb | csv``.

Whatever the logger, the trainer writes ``metrics.jsonl`` (one JSON line per logged step: integer
``step`` and ``epoch``, ``null`` where a value is not a finite number, e.g. ``grad_norm`` without
clipping) and ``kgen eval`` appends each evaluated list to ``evals.jsonl`` of the run the
checkpoint belongs to. The chosen logger gets the same numbers:

* ``tensorboard``: event files under ``<run>/tensorboard/`` (``torch.utils.tensorboard``), scalars
  ``train/<metric>`` and ``eval/<list>/<metric>`` at the checkpoint's step;
* ``csv``: ``<run>/metrics.csv`` and ``<run>/eval.csv`` (empty cells for nulls);
* ``wandb``: a Weights & Biases run named after the config (project ``train.wandb_project``);
  its id is kept in ``<run>/logger.json`` so that a resumed run and a later ``kgen eval`` log into
  the same W&B run. wandb is optional: kgen never installs or imports it unless this logger is
  chosen, and says how to install it when it is missing;
* ``none``: only the JSONL files.

Only the main process logs.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Literal

from kgen.errors import InputError
from kgen.fileformat import atomic_write_text
from kgen.knowledge.base import utc_now

LoggerName = Literal["none", "tensorboard", "wandb", "csv"]
LOGGER_NAMES: tuple[str, ...] = ("none", "tensorboard", "wandb", "csv")
METRICS_FILE = "metrics.jsonl"
EVALS_FILE = "evals.jsonl"
LOGGER_STATE_FILE = "logger.json"
TENSORBOARD_DIR = "tensorboard"
CSV_METRICS_FILE = "metrics.csv"
CSV_EVAL_FILE = "eval.csv"
INTEGER_KEYS = ("step", "epoch")
# What each evaluated list contributes to the logs (the other fields are for evals.jsonl only).
EVAL_METRICS = ("top1", "top5", "mean_class_accuracy")


def clean_record(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as JSON can hold it: integer steps and epochs, ``None`` for NaN and infinities."""
    cleaned: dict[str, Any] = {}
    for key, value in record.items():
        if key in INTEGER_KEYS and isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, float) and not math.isfinite(value):
            value = None
        cleaned[key] = value
    return cleaned


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(clean_record(record), allow_nan=False) + "\n")


class RunLogger(ABC):
    """Where a run's numbers go besides kgen's own JSONL files."""

    name: str = ""

    @abstractmethod
    def log_train(self, step: int, record: dict[str, Any]) -> None:
        """One logged training step (``record`` already cleaned: ints and ``None``)."""

    @abstractmethod
    def log_eval(self, step: int, rows: list[dict[str, Any]]) -> None:
        """The lists of one evaluation of the checkpoint at ``step`` (rows as in ``evals.jsonl``)."""

    def close(self) -> None:  # noqa: B027 (most loggers have nothing to release)
        """Flush and release (also called after an error)."""


class NoLogger(RunLogger):
    name = "none"

    def log_train(self, step: int, record: dict[str, Any]) -> None:
        return None

    def log_eval(self, step: int, rows: list[dict[str, Any]]) -> None:
        return None


def _scalars(record: dict[str, Any]) -> dict[str, float]:
    """The numeric values of a record (no step/epoch counters, no nulls, no strings)."""
    return {
        key: float(value)
        for key, value in record.items()
        if key not in ("step",) and isinstance(value, int | float) and not isinstance(value, bool) and value is not None
    }


def eval_tag(row: dict[str, Any], metric: str) -> str:
    """``eval/<list>/<metric>``, with the run label when one evaluation covered several models."""
    label = f"{row['run']}/" if row.get("several_runs") else ""
    return f"eval/{label}{row['list']}/{metric}"


class TensorBoardLogger(RunLogger):
    name = "tensorboard"

    def __init__(self, run_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # tensorboard is a kgen dependency; a trimmed environment may lack it
            raise InputError(
                "train.logger: tensorboard needs the tensorboard package", hint="pip install tensorboard"
            ) from exc
        self.writer = SummaryWriter(log_dir=str(run_dir / TENSORBOARD_DIR))

    def log_train(self, step: int, record: dict[str, Any]) -> None:
        for key, value in _scalars(record).items():
            self.writer.add_scalar(f"train/{key}", value, global_step=step)
        self.writer.flush()

    def log_eval(self, step: int, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            for metric in EVAL_METRICS:
                if row.get(metric) is not None:
                    self.writer.add_scalar(eval_tag(row, metric), float(row[metric]), global_step=step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class CsvLogger(RunLogger):
    name = "csv"

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def _append(self, path: Path, row: dict[str, Any]) -> None:
        exists = path.is_file() and path.stat().st_size > 0
        if exists:
            with open(path, encoding="utf-8", newline="") as handle:
                columns = next(csv.reader(handle), [])
        else:
            columns = list(row)
        extra = [key for key in row if key not in columns]
        if extra:  # a new field: rewrite the file with the wider header (rare: a new kgen version)
            with open(path, encoding="utf-8", newline="") as handle:
                old = list(csv.DictReader(handle))
            columns += extra
            with open(path, "w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                writer.writerows(old)
            exists = True
        with open(path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            if not exists:
                writer.writeheader()
            writer.writerow({key: "" if row.get(key) is None else row.get(key) for key in columns})

    def log_train(self, step: int, record: dict[str, Any]) -> None:
        self._append(self.run_dir / CSV_METRICS_FILE, record)

    def log_eval(self, step: int, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._append(self.run_dir / CSV_EVAL_FILE, {k: v for k, v in row.items() if k != "several_runs"})


class WandbLogger(RunLogger):
    name = "wandb"

    def __init__(self, run_dir: Path, *, project: str, run_name: str, config: dict[str, Any] | None) -> None:
        try:
            import wandb
        except ImportError as exc:
            raise InputError(
                "train.logger: wandb needs the wandb package (kgen does not install it)",
                hint="pip install wandb (and `wandb login`), or choose train.logger=tensorboard or csv",
            ) from exc
        state = read_logger_state(run_dir)
        run_id = state.get("wandb_id") or wandb.util.generate_id()
        self.run = wandb.init(
            project=state.get("wandb_project") or project, name=run_name, id=run_id, resume="allow",
            dir=str(run_dir), config=config,
        )
        write_logger_state(run_dir, {"logger": "wandb", "wandb_id": run_id, "wandb_project": state.get("wandb_project") or project})

    def log_train(self, step: int, record: dict[str, Any]) -> None:
        self.run.log({f"train/{k}": v for k, v in _scalars(record).items()}, step=step)

    def log_eval(self, step: int, rows: list[dict[str, Any]]) -> None:
        # W&B steps only go up, and an evaluation usually comes after training logged its last
        # step: eval metrics get their own x-axis, the checkpoint's step (W&B's define_metric).
        self.run.define_metric("eval/checkpoint_step")
        self.run.define_metric("eval/*", step_metric="eval/checkpoint_step")
        values = {eval_tag(row, m): float(row[m]) for row in rows for m in EVAL_METRICS if row.get(m) is not None}
        self.run.log({**values, "eval/checkpoint_step": step})

    def close(self) -> None:
        self.run.finish()


def read_logger_state(run_dir: Path) -> dict[str, Any]:
    path = run_dir / LOGGER_STATE_FILE
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def write_logger_state(run_dir: Path, state: dict[str, Any]) -> None:
    atomic_write_text(run_dir / LOGGER_STATE_FILE, json.dumps(state, indent=2) + "\n")


def open_logger(
    name: str, run_dir: Path, *, run_name: str = "run", project: str | None = None, config: dict[str, Any] | None = None
) -> RunLogger:
    """The logger ``name`` writing into ``run_dir``."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if name == "none":
        return NoLogger()
    if name == "tensorboard":
        return TensorBoardLogger(run_dir)
    if name == "csv":
        return CsvLogger(run_dir)
    if name == "wandb":
        return WandbLogger(run_dir, project=project or "kgen", run_name=run_name, config=config)
    raise InputError(f"unknown train.logger {name!r}", hint=f"choose one of {', '.join(LOGGER_NAMES)}")


def remove_stale_logs(run_dir: Path) -> None:
    """A fresh start (no checkpoint): what an earlier attempt logged before its first checkpoint goes."""
    for name in (METRICS_FILE, EVALS_FILE, CSV_METRICS_FILE, CSV_EVAL_FILE, LOGGER_STATE_FILE):
        (run_dir / name).unlink(missing_ok=True)
    shutil.rmtree(run_dir / TENSORBOARD_DIR, ignore_errors=True)


# ---------------------------------------------------------------------------------- evaluation
def run_dir_of(checkpoint: str | Path) -> Path | None:
    """The run folder a checkpoint belongs to (``<run>/checkpoints/*.pt``), or None."""
    path = Path(checkpoint)
    if path.parent.name == "checkpoints" and (path.parent.parent / "config.yaml").is_file():
        return path.parent.parent
    return None


def eval_rows(report: Any, run_label: str, results_file: str | None) -> list[dict[str, Any]]:
    """The rows ``evals.jsonl`` gets for one evaluated model of an :class:`~zsar.engine.results.EvalReport`."""
    several = len(report.runs) > 1
    rows = []
    for run in report.runs:
        if run.label != run_label:
            continue
        for result in run.lists:
            rows.append(
                {
                    "time": utc_now(),
                    "run": run.label,
                    "several_runs": several,
                    "protocol": report.protocol,
                    "dataset": report.dataset,
                    "bank_id": report.bank.get("bank_id"),
                    "list": result.name,
                    "role": result.role,
                    "classes": result.num_classes,
                    "evaluated": result.evaluated,
                    "top1": result.top1,
                    "top5": result.top5,
                    "mean_class_accuracy": result.mean_class_accuracy,
                    "checkpoint": run.checkpoint,
                    "results_file": results_file,
                }
            )
    return rows


def log_eval_into_runs(report: Any, checkpoints: list[dict[str, Any]], results_file: str | None = None) -> list[Path]:
    """Append each evaluated checkpoint's results to its run (``evals.jsonl`` and the run's logger).

    ``checkpoints``: per evaluated model, ``{"label", "path", "step", "config"}`` (the checkpoint's
    run config as a dict). Checkpoints outside a run folder are skipped. Returns the run folders
    written to.
    """
    written = []
    for entry in checkpoints:
        run_dir = run_dir_of(entry["path"])
        if run_dir is None:
            continue
        step = int(entry.get("step") or 0)
        rows = [{"step": step, **row} for row in eval_rows(report, entry["label"], results_file)]
        if not rows:
            continue
        for row in rows:
            append_jsonl(run_dir / EVALS_FILE, {k: v for k, v in row.items() if k != "several_runs"})
        train = (entry.get("config") or {}).get("train", {})
        logger = open_logger(
            str(train.get("logger", "none")), run_dir, run_name=str((entry.get("config") or {}).get("name", run_dir.name)),
            project=train.get("wandb_project"),
        )
        try:
            logger.log_eval(step, rows)
        finally:
            logger.close()
        written.append(run_dir)
    return written
