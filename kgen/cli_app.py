"""The ``kgen`` command line: one Typer app; each command group lives in ``kgen/commands/``.

Run it as ``kgen ...`` (the installed script), ``python -m kgen ...`` or, under torchrun,
``torchrun ... -m kgen train ...``; from a checkout also ``python -m cli ...`` (./cli.py, not installed).
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from kgen import __version__, console, paths
from kgen.commands.conventions import Command, apply_conventions
from kgen.console import err_console
from kgen.errors import EXIT_CODES, KgenError, StorageError
from kgen.storage import describe_os_error

app = typer.Typer(
    name="kgen",
    help=(
        "Text knowledge, CLIP embedding banks and video models for zero-shot action recognition.\n\n"
        "Example: kgen datasets show hmdb51"
    ),
    epilog="Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + ".",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines ``register(app)``; the order here is the order of `kgen --help`.
COMMAND_MODULES = [
    "kgen.commands.datasets",
    "kgen.commands.crawl",
    "kgen.commands.cache",
    "kgen.commands.banks",
    "kgen.commands.video",
    "kgen.commands.build",
    "kgen.commands.importing",
    "kgen.commands.show",
    "kgen.commands.report",
    "kgen.commands.weights",
    "kgen.commands.demo",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kgen {__version__}")
        raise typer.Exit()


# The options every command takes (given before the command: `kgen --root DIR crawl ...`), in
# one place: add new global options here.
@app.callback()
def _global_options(
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Workspace holding knowledge/ and banks/ (default: $KGEN_ROOT or the current directory)."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Response cache (default: $KGEN_CACHE_DIR or ~/.cache/kgen)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results, warnings and errors: no progress, no notes.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail: finer progress lines, library logs, tracebacks of errors.")] = False,
) -> None:
    if quiet and verbose:
        raise typer.BadParameter("give --quiet or --verbose, not both")
    console.set_verbosity(-1 if quiet else 1 if verbose else 0)
    if root is not None and root.exists() and not root.is_dir():
        raise StorageError(f"--root {root} is a file, not a folder", hint="give the workspace folder (it holds knowledge/ and banks/)")
    paths.set_workspace_root(root)
    paths.set_cache_dir(cache_dir)


for _module in COMMAND_MODULES:
    import_module(_module).register(app)

_click_app: Command | None = None


def click_app() -> Command:
    """The Click command tree of ``app``, with kgen's conventions applied (built once)."""
    global _click_app
    if _click_app is None:
        _click_app = apply_conventions(typer.main.get_command(app))
    return _click_app


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (used by ``main`` and by tests)."""
    try:
        click_app().main(args=argv, prog_name="kgen", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KgenError as exc:
        return _report(exc)
    except OSError as exc:
        # Any file-system failure that no command turned into a message itself (a full disk in
        # the middle of a write, a folder made read-only during a run): one line, no traceback.
        return _report(describe_os_error(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted: everything already paid for is in the cache; rerun to resume")
        return 130
    finally:
        paths.set_workspace_root(None)
        paths.set_cache_dir(None)
        console.set_verbosity(0)
    return 0


def _report(exc: KgenError) -> int:
    if console.verbosity() > 0 and sys.exc_info()[1] is not None:
        err_console.print_exception()
    err_console.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False)
    if exc.hint:
        err_console.print(f"[bold]hint:[/bold] {exc.hint}", highlight=False)
    return exc.exit_code


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
