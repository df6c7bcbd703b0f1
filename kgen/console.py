"""One place for terminal output: messages and progress go to stderr, results to stdout."""

from __future__ import annotations

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
out_console = Console()

_warned_once: set[str] = set()


def info(message: str) -> None:
    err_console.print(message, highlight=False)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def warn_once(key: str, message: str) -> None:
    """Warn about ``key`` only the first time in this process (e.g. 'the network is closed')."""
    if key not in _warned_once:
        _warned_once.add(key)
        warn(message)


def progress(transient: bool = False) -> Progress:
    """A rich progress bar with counts, elapsed and remaining time, drawn on stderr."""
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
