"""Progress as plain lines, for stderr that is not a terminal (SLURM logs, ``nohup``, ``2> file``).

A rich progress bar draws itself with cursor movements that a log file cannot show, so off a
terminal rich draws nothing until the end: an encode of 10,000 texts was silent for minutes.
:class:`LogProgress` is a rich :class:`~rich.progress.Progress` that draws nothing and instead
writes one line per task

* when the task starts,
* at every ``percent_step`` of its total (at most one line per ``min_gap_s``),
* at least every ``interval_s`` while the task advances,
* when it completes (or, if it never completes, when the progress stops),

each with done/total, the percentage, the rate, the elapsed time and the estimated time left::

    encoding hmdb51-names-kgen-tiny-vit-random: 512/1000 (51%), 120.5/s, elapsed 0:04, ETA 0:04

Nothing runs in the background: a line is written when the work reports progress, so a step that
takes longer than ``interval_s`` shows up when it ends. The rate counts only the work done since
the task was added (a resumed training run starts at its saved step).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import Progress, TaskID
from rich.text import Text

# The defaults ``kgen`` uses (``--verbose`` halves them); ``KGEN_PROGRESS_INTERVAL`` overrides the seconds.
DEFAULT_INTERVAL_S = 10.0
DEFAULT_PERCENT_STEP = 10.0
MIN_GAP_S = 1.0


@dataclass
class _TaskLog:
    description: str
    started: float
    start_completed: float
    last_time: float
    last_step: int  # the last percent step a line was written for
    finished: bool = False


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_count(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def format_rate(per_second: float) -> str:
    if per_second >= 100:
        return f"{per_second:,.0f}/s"
    if per_second >= 1:
        return f"{per_second:.1f}/s"
    if per_second > 0:
        return f"{60 * per_second:.1f}/min"
    return "-/s"


class LogProgress(Progress):
    """A rich ``Progress`` (same calls: ``add_task``, ``advance``, ``update``...) that writes plain lines."""

    def __init__(
        self,
        console: Console,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        percent_step: float = DEFAULT_PERCENT_STEP,
        min_gap_s: float = MIN_GAP_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(console=console, disable=True, get_time=clock)
        self.interval_s = interval_s
        self.percent_step = percent_step
        self.min_gap_s = min_gap_s
        self._clock = clock
        self._logs: dict[TaskID, _TaskLog] = {}

    # ------------------------------------------------------------------ rich's calls
    def add_task(
        self,
        description: str,
        start: bool = True,
        total: float | None = 100.0,
        completed: float = 0,
        visible: bool = True,
        **fields: Any,
    ) -> TaskID:
        task_id = super().add_task(description, start=start, total=total, completed=completed, visible=visible, **fields)
        now = self._clock()
        plain = Text.from_markup(description).plain
        self._logs[task_id] = _TaskLog(plain, now, completed, now, self._step_of(completed, total))
        if visible:
            self._write(task_id, "started, " + self._counts(completed, total))
        return task_id

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._maybe_write(task_id)

    def update(self, task_id: TaskID, **kwargs: Any) -> None:  # type: ignore[override]
        description = kwargs.get("description")
        super().update(task_id, **kwargs)
        if description is not None and task_id in self._logs:
            self._logs[task_id].description = Text.from_markup(description).plain
        self._maybe_write(task_id)

    def remove_task(self, task_id: TaskID) -> None:
        self._finish(task_id, stopped=True)
        super().remove_task(task_id)

    def stop(self) -> None:
        for task_id in list(self._logs):
            self._finish(task_id, stopped=True)
        super().stop()

    # ------------------------------------------------------------------ lines
    def _step_of(self, completed: float, total: float | None) -> int:
        if not total or self.percent_step <= 0:
            return 0
        return int(math.floor(100.0 * completed / total / self.percent_step + 1e-9))

    def _counts(self, completed: float, total: float | None) -> str:
        if total:
            return f"{format_count(completed)}/{format_count(total)} ({100.0 * completed / total:.0f}%)"
        return format_count(completed)

    def _maybe_write(self, task_id: TaskID) -> None:
        log = self._logs.get(task_id)
        if log is None or log.finished:
            return
        task = self._tasks[task_id]
        now = self._clock()
        if task.total is not None and task.completed >= task.total:
            self._finish(task_id, stopped=False)
            return
        step = self._step_of(task.completed, task.total)
        since = now - log.last_time
        if since >= self.interval_s or (step > log.last_step and since >= self.min_gap_s):
            log.last_time, log.last_step = now, step
            self._write(task_id, self._status(task_id, now))

    def _status(self, task_id: TaskID, now: float) -> str:
        log, task = self._logs[task_id], self._tasks[task_id]
        elapsed = now - log.started
        done = task.completed - log.start_completed
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [self._counts(task.completed, task.total), format_rate(rate), f"elapsed {format_duration(elapsed)}"]
        if task.total and rate > 0 and task.completed < task.total:
            parts.append(f"ETA {format_duration((task.total - task.completed) / rate)}")
        return ", ".join(parts)

    def _finish(self, task_id: TaskID, *, stopped: bool) -> None:
        log = self._logs.get(task_id)
        if log is None or log.finished:
            return
        log.finished = True
        task = self._tasks.get(task_id)
        if task is None or not task.visible:
            return
        status = self._status(task_id, self._clock())
        complete = task.total is not None and task.completed >= task.total
        self._write(task_id, ("done, " if complete else "stopped at " if stopped else "") + status)

    def _write(self, task_id: TaskID, status: str) -> None:
        if not self._tasks[task_id].visible:
            return
        self.console.print(f"{self._logs[task_id].description}: {status}", markup=False, highlight=False, soft_wrap=True)
