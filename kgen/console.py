"""One place for terminal output: messages and progress go to stderr, results to stdout."""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

err_console = Console(stderr=True)
# Off a terminal (a log file), messages are not cut into 80-column lines: a path or a hint stays on
# one line that grep finds.
err_console.soft_wrap = not err_console.is_terminal
out_console = Console()

_warned_once: set[str] = set()

# -1: --quiet (warnings and errors only, no progress), 0: normal, 1: --verbose (details, tracebacks,
# progress lines twice as often, Python logging at INFO).
_verbosity = 0

# ``KGEN_PROGRESS``: ``auto`` (a bar on a terminal, plain lines otherwise), ``bar``, ``log`` or ``off``.
PROGRESS_MODES = ("auto", "bar", "log", "off")


def set_verbosity(level: int) -> None:
    """-1 quiet, 0 normal, 1 verbose (the global ``--quiet``/``--verbose`` options)."""
    global _verbosity
    _verbosity = max(-1, min(1, level))
    if _verbosity > 0:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def verbosity() -> int:
    return _verbosity


def info(message: str) -> None:
    """What a command did (not its result): hidden by ``--quiet``."""
    if _verbosity >= 0:
        err_console.print(message, highlight=False)


def detail(message: str) -> None:
    """A detail shown only with ``--verbose``."""
    if _verbosity > 0:
        err_console.print(f"[dim]{message}[/dim]", highlight=False)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def warn_once(key: str, message: str) -> None:
    """Warn about ``key`` only the first time in this process (e.g. 'the network is closed')."""
    if key not in _warned_once:
        _warned_once.add(key)
        warn(message)


def progress_mode() -> str:
    """How progress shows now: ``bar``, ``log`` or ``off`` (see ``KGEN_PROGRESS``)."""
    if _verbosity < 0:
        return "off"
    mode = os.environ.get("KGEN_PROGRESS", "auto").strip().lower() or "auto"
    if mode not in PROGRESS_MODES:
        warn_once("progress-mode", f"KGEN_PROGRESS={mode!r} is not one of {', '.join(PROGRESS_MODES)}; using auto")
        mode = "auto"
    if mode == "auto":
        return "bar" if err_console.is_terminal and not err_console.is_dumb_terminal else "log"
    return mode


def progress(transient: bool = False) -> Progress:
    """Progress on stderr: a rich bar with counts, elapsed and remaining time on a terminal; plain
    lines (:class:`~kgen.progress_log.LogProgress`) when stderr is a file or a pipe; nothing with
    ``--quiet``."""
    mode = progress_mode()
    if mode == "off":
        return Progress(console=err_console, disable=True)
    if mode == "log":
        from kgen.progress_log import DEFAULT_INTERVAL_S, DEFAULT_PERCENT_STEP, LogProgress

        interval = _env_seconds("KGEN_PROGRESS_INTERVAL", DEFAULT_INTERVAL_S / (2 if _verbosity > 0 else 1))
        step = DEFAULT_PERCENT_STEP / (2 if _verbosity > 0 else 1)
        return LogProgress(err_console, interval_s=interval, percent_step=step)
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        warn_once(name, f"{name}={raw!r} is not a number of seconds; using {default:g}")
        return default
    return max(0.0, value)
