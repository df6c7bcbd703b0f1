"""Progress off a terminal: plain lines in logs; --quiet and --verbose."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from kgen import console
from kgen.progress_log import LogProgress, format_duration

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^encoding (\S+): (started|done), (\d+)/(\d+) \((\d+)%\)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _lines(buffer: io.StringIO) -> list[str]:
    return [line for line in buffer.getvalue().splitlines() if line]


def test_lines_at_percent_steps_and_intervals() -> None:
    buffer, clock = io.StringIO(), FakeClock()
    bar = LogProgress(Console(file=buffer, width=40), interval_s=10, percent_step=25, min_gap_s=1, clock=clock)
    with bar:
        task = bar.add_task("[bold]encoding x[/bold]", total=1000)
        clock.now = 0.5
        bar.advance(task, 300)  # 30 %, but under a second since the last line: nothing
        clock.now = 2.0
        bar.advance(task, 10)  # the 25 % step, a second later: a line
        clock.now = 3.0
        bar.advance(task, 10)  # same step: nothing
        clock.now = 13.5
        bar.advance(task, 10)  # same step, 11.5 s later: a line
        clock.now = 20.0
        bar.advance(task, 670)  # done
    lines = _lines(buffer)
    assert lines == [
        "encoding x: started, 0/1,000 (0%)",
        "encoding x: 310/1,000 (31%), 155/s, elapsed 0:02, ETA 0:04",
        "encoding x: 330/1,000 (33%), 24.4/s, elapsed 0:14, ETA 0:27",
        "encoding x: done, 1,000/1,000 (100%), 50.0/s, elapsed 0:20",
    ]


def test_unfinished_task_and_resumed_rate() -> None:
    buffer, clock = io.StringIO(), FakeClock()
    with LogProgress(Console(file=buffer, width=300), interval_s=5, percent_step=50, clock=clock) as bar:
        task = bar.add_task("train m", total=100, completed=40)  # a resumed run: the rate counts from 40
        clock.now = 6.0
        bar.update(task, advance=6)
    assert _lines(buffer) == [
        "train m: started, 40/100 (40%)",
        "train m: 46/100 (46%), 1.0/s, elapsed 0:06, ETA 0:54",
        "train m: stopped at 46/100 (46%), 1.0/s, elapsed 0:06, ETA 0:54",
    ]


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 7.4, 750, 3723)] == ["0:00", "0:07", "12:30", "1:02:03"]


def test_progress_mode_follows_stderr_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KGEN_PROGRESS", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(console, "err_console", Console(file=io.StringIO()))
    assert console.progress_mode() == "log" and isinstance(console.progress(), LogProgress)
    monkeypatch.setattr(console, "err_console", Console(file=io.StringIO(), force_terminal=True))
    assert console.progress_mode() == "bar" and not isinstance(console.progress(), LogProgress)
    monkeypatch.setenv("KGEN_PROGRESS", "log")
    assert console.progress_mode() == "log"
    console.set_verbosity(-1)
    try:
        assert console.progress_mode() == "off" and console.progress().disable
    finally:
        console.set_verbosity(0)


def test_encode_bank_progress_lines_in_a_log_file(tmp_path: Path) -> None:
    """`kgen encode-bank 2> file`, as under SLURM or nohup: the file holds plain progress lines."""
    log = tmp_path / "encode.log"
    env = {**os.environ, "PYTHONPATH": str(REPO), "KGEN_ROOT": str(tmp_path / "ws"), "KGEN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("KGEN_PROGRESS", None)
    with open(log, "w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "kgen", "encode-bank", "--dataset", "ucf101", "--templates", "video",
             "--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random", "--batch-size", "16"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=300,
        )
    text = log.read_text()
    assert done.returncode == 0, text
    bank_id = Path(done.stdout.strip()).name
    found = [LINE.match(line) for line in text.splitlines()]
    found = [m for m in found if m]
    assert [m.group(2) for m in found] == ["started", "done"], text
    assert all(m.group(1) == bank_id and m.group(4) == "101" for m in found)
    assert found[-1].group(3) == "101" and found[-1].group(5) == "100"
    assert "\x1b[" not in text  # no cursor movements or colours in a log
    # one line per message: the path is not cut at 80 columns
    assert any(line == f"wrote {done.stdout.strip()}" for line in text.splitlines()), text


def test_quiet_and_verbose(run_cli) -> None:
    args = ("encode-bank", "--dataset", "hmdb51", "--clip-model", "kgen-tiny-vit", "--clip-pretrained", "random")
    quiet = run_cli("--quiet", *args)
    assert quiet.exit_code == 0 and (Path(quiet.stdout.strip()) / "manifest.json").is_file()
    assert quiet.stderr == ""
    again = run_cli("-v", *args)
    assert again.exit_code == 0 and "is up to date" in again.stderr
    assert "CLIP kgen-tiny-vit (random) from random(seed=0) on cpu; 51 texts in batches of 64" in again.stderr
    normal = run_cli(*args)
    assert "CLIP kgen-tiny-vit" not in normal.stderr and "is up to date" in normal.stderr
    both = run_cli("-q", "-v", "datasets")
    assert both.exit_code == 2 and "not both" in both.stderr
    failed = run_cli("-v", "bank", "info", "no-such-bank")
    assert failed.exit_code != 0 and "Traceback" in failed.stderr and "error:" in failed.stderr
