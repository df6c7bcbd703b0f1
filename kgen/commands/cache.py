"""``kgen cache``: what the response cache holds, and clearing it (also when it is damaged)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen import paths
from kgen.cache import CacheDamaged, ResponseCache, damaged, move_aside
from kgen.commands.options import JsonOpt
from kgen.console import info, out_console
from kgen.errors import InputError

cache_app = typer.Typer(
    help="The response cache (crawled pages, LLM answers).\n\nExample: kgen cache info",
    no_args_is_help=True,
)


@cache_app.command("info")
def cache_info(
    as_json: JsonOpt = False,
) -> None:
    """Show where the cache is, how big it is, how many answers each namespace holds, and whether it
    is healthy (a damaged cache is reported with exit code 3; `kgen cache clear` repairs it).

    Example: kgen cache info --json
    """
    directory = paths.cache_dir()
    try:
        cache = ResponseCache(directory)
    except CacheDamaged as exc:
        _report_damaged(directory, exc, as_json)
        raise typer.Exit(exc.exit_code) from exc
    with cache:
        try:
            counts = cache.count_by_namespace()
            size = cache.volume_bytes()
            unreadable = cache.unreadable_rows()
        except CacheDamaged as exc:  # damage beyond the header: found while reading the rows
            _report_damaged(directory, exc, as_json)
            raise typer.Exit(exc.exit_code) from exc
        problem = cache.integrity_problem()
        read_only = cache.read_only
    status = "damaged" if problem else ("read-only" if read_only else "ok")
    if as_json:
        report = {
            "directory": str(directory), "status": status, "problem": problem, "read_only": read_only,
            "bytes": size, "unreadable_rows": unreadable, "namespaces": counts,
        }
        typer.echo(json.dumps(report, indent=2))
    else:
        out_console.print(f"response cache at {directory}: {size / 1e6:.1f} MB, {status}", highlight=False)
        table = Table()
        table.add_column("namespace")
        table.add_column("answers", justify="right")
        for namespace, count in counts.items():
            table.add_row(namespace, str(count))
        if not counts:
            table.add_row("(empty)", "0")
        out_console.print(table)
        if unreadable:
            info(f"{unreadable} row(s) kgen does not read (pickled or binary values, written by another program): "
                 "they count as missing")
        if problem:
            info(f"SQLite reports damage: {problem}\nhint: run `kgen cache clear` to move the damaged files aside")
    if problem:
        raise typer.Exit(CacheDamaged.exit_code)


def _report_damaged(directory: Path, exc: CacheDamaged, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"directory": str(directory), "status": "damaged", "problem": exc.message,
                               "hint": exc.hint}, indent=2))
    else:
        out_console.print(f"response cache at {directory}: damaged", highlight=False)
    info(f"{exc.message}\nhint: {exc.hint}")


@cache_app.command("clear")
def cache_clear(
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Clear only this namespace (e.g. wikipedia)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete cached answers: all of them, or one namespace's. What is deleted is paid for again on
    the next run. A damaged cache is moved aside (renamed, not deleted) and a fresh one started.

    Example: kgen cache clear --namespace wiktionary --yes
    """
    directory = paths.cache_dir()
    try:
        cache = ResponseCache(directory)
    except CacheDamaged as exc:
        moved = _clear_damaged(directory, exc, namespace, yes)
        if as_json:
            typer.echo(json.dumps({"directory": str(directory), "damaged": True, "moved_to": str(moved), "removed": None}, indent=2))
        return
    try:
        with cache:
            removed, what = _clear_healthy(cache, namespace, yes)
    except CacheDamaged as exc:  # damage beyond the header: found while reading the rows
        moved = _clear_damaged(directory, exc, namespace, yes)
        if as_json:
            typer.echo(json.dumps({"directory": str(directory), "damaged": True, "moved_to": str(moved), "removed": None}, indent=2))
        return
    info(f"removed {removed} cached answer(s) from {what}")
    if as_json:
        typer.echo(json.dumps({"directory": str(directory), "damaged": False, "namespace": namespace, "removed": removed}, indent=2))


def _clear_healthy(cache: ResponseCache, namespace: str | None, yes: bool) -> tuple[int, str]:
    counts = cache.count_by_namespace()
    if namespace is not None and namespace not in counts:
        known = ", ".join(counts) or "none (the cache is empty)"
        raise InputError(
            f"the cache has no namespace {namespace!r}",
            hint=f"namespaces in the cache: {known}",
        )
    total = counts[namespace] if namespace is not None else sum(counts.values())
    what = f"namespace {namespace!r}" if namespace is not None else "the whole cache"
    if total and not yes:
        typer.confirm(f"delete {total} cached answer(s) from {what} at {cache.directory}?", abort=True)
    removed = cache.clear(namespace)
    problem = cache.integrity_problem() if namespace is None and not cache.read_only else None
    if problem:  # emptied, but the file itself is still damaged: start afresh
        raise damaged(cache.directory, problem)
    return removed, what


def _clear_damaged(directory: Path, exc: CacheDamaged, namespace: str | None, yes: bool) -> Path:
    if namespace is not None:
        raise InputError(
            f"{exc.message}; one namespace cannot be cleared from it",
            hint="run `kgen cache clear` without --namespace to move the damaged cache aside and start fresh",
        )
    info(exc.message)
    if not yes:
        typer.confirm(f"move the damaged cache at {directory} aside and start a fresh one?", abort=True)
    moved = move_aside(directory)
    with ResponseCache(directory):
        pass
    info(f"moved the damaged cache to {moved} (delete it when you no longer need it); "
         f"a fresh cache is at {directory}")
    return moved


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
