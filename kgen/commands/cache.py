"""``kgen cache``: what the response cache holds, and clearing it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kgen.cache import ResponseCache
from kgen.console import info, out_console
from kgen.errors import InputError

cache_app = typer.Typer(
    help="The response cache (crawled pages, LLM answers).\n\nExample: kgen cache info",
    no_args_is_help=True,
)


@cache_app.command("info")
def cache_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show where the cache is, how big it is, and how many answers each namespace holds.

    Example: kgen cache info --json
    """
    with ResponseCache() as cache:
        counts = cache.count_by_namespace()
        size = cache.volume_bytes()
        directory = str(cache.directory)
    if as_json:
        typer.echo(
            json.dumps({"directory": directory, "bytes": size, "namespaces": counts}, indent=2)
        )
        return
    table = Table(title=f"response cache at {directory} ({size / 1e6:.1f} MB)")
    table.add_column("namespace")
    table.add_column("answers", justify="right")
    for namespace, count in counts.items():
        table.add_row(namespace, str(count))
    if not counts:
        table.add_row("(empty)", "0")
    out_console.print(table)


@cache_app.command("clear")
def cache_clear(
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Clear only this namespace (e.g. wikipedia)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete cached answers: all of them, or one namespace's. What is deleted is paid for again on
    the next run.

    Example: kgen cache clear --namespace wiktionary --yes
    """
    with ResponseCache() as cache:
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
            typer.confirm(
                f"delete {total} cached answer(s) from {what} at {cache.directory}?", abort=True
            )
        removed = cache.clear(namespace)
    info(f"removed {removed} cached answer(s) from {what}")


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
