"""``kgen demo``: synthetic videos, a tiny bank, a few seconds of training and an evaluation."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from kgen import console
from kgen.commands.options import JsonOpt, out_option
from kgen.console import out_console
from kgen.errors import KgenError


def demo_command(
    ctx: typer.Context,
    directory: Annotated[Path | None, out_option("Keep the demo workspace in this new or empty folder (default: a temporary folder, removed at the end).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=50, help="Training epochs (24 clips, 8 a step: 3 steps an epoch).")] = 4,
    as_json: JsonOpt = False,
) -> None:
    """Try the video side without data: synthetic videos, a tiny random-weight bank, a few seconds of
    training (AP-CLIP on a tiny ViT) and an evaluation, each step printed with the real command it stands for.

    About half a minute on a laptop CPU; nothing is downloaded.

    Example: kgen demo --out demo   # then rerun any printed command inside demo/
    """
    from kgen.demo import DemoStep, check_workspace, run_demo

    root_command = ctx.find_root().command
    workspace = (directory.expanduser().absolute() if directory is not None
                 else Path(tempfile.mkdtemp(prefix="kgen-demo-")))
    if directory is not None:
        check_workspace(workspace)
    flags = ["--quiet"] if console.verbosity() < 0 else ["--verbose"] if console.verbosity() > 0 else []
    flags += ["--root", str(workspace), "--cache-dir", str(workspace / "cache")]

    def run_kgen(argv: list[str]) -> None:
        # The same command line as typed, through the same app (whatever module holds it). With
        # --json the commands' own results go to stderr, so that stdout holds one JSON document.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            code = root_command.main(args=[*flags, *argv], prog_name="kgen", standalone_mode=False)
        if isinstance(code, int) and code != 0:
            raise KgenError(f"exited with code {code}")

    def show(step: DemoStep) -> None:
        if as_json:
            return
        out_console.print(f"\n[bold]== {step.name}[/bold] ({step.seconds:.1f} s)", highlight=False)
        out_console.print(f"did:          {step.did}", highlight=False, markup=False, soft_wrap=True)
        if step.command:
            out_console.print(f"ran:          {step.command}", highlight=False, markup=False, soft_wrap=True)
        out_console.print(f"a real run:   {step.real}", highlight=False, markup=False, soft_wrap=True)

    if not as_json:
        out_console.print(f"kgen demo in {workspace} (commands run there, with --root {workspace} --cache-dir {workspace}/cache)",
                          highlight=False, markup=False, soft_wrap=True)
    try:
        result = run_demo(workspace, run_kgen, show, epochs=epochs, kept=directory is not None)
    finally:
        if directory is None:
            shutil.rmtree(workspace, ignore_errors=True)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    out_console.print(
        f"\ndone in {result.seconds:.1f} s: top-1 {result.top1:.1f}% on the test clips. "
        + (f"The workspace is kept in {workspace}: `cd {workspace}` and rerun any command above (add --cache-dir cache)."
           if directory is not None else "The temporary workspace was removed; `kgen demo --out DIR` keeps it."),
        highlight=False, markup=False, soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
