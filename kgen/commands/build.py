"""``kgen build KIND...``: LLM-made knowledge for a dataset, one file per kind under
``knowledge/<dataset>/`` (KIND: prompts, askg, attributes, action-descriptions, or all).

The five commands of kgen 0.1 (``build-prompts`` ... ``build-all``) stay, hidden, for one release:
each says which ``kgen build`` command replaces it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from kgen.cache import ResponseCache
from kgen.commands.conventions import DEPRECATED_COMMANDS, REMOVED_IN, deprecation
from kgen.commands.options import (
    DEFAULT_RETRIES,
    RETRIES_HELP,
    ClassesOpt,
    DatasetOpt,
    JsonOpt,
    NameOpt,
)
from kgen.console import info
from kgen.datasets import Dataset, resolve_dataset
from kgen.errors import InputError
from kgen.generate.action_descriptions import ActionDescriptionsBuilder
from kgen.generate.apclip import PromptsBuilder
from kgen.generate.askg import ASKGBuilder
from kgen.generate.attributes import AttributesBuilder
from kgen.generate.runner import KindBuilder, KindOutcome, raise_for_outcomes, run_kinds
from kgen.llm.settings import LLMSettings, make_client, offline_client

BackendOpt = Annotated[
    str,
    typer.Option("--backend", help="auto (OpenAI-compatible when a base URL is set, else embedded), embedded or openai."),
]
ModelOpt = Annotated[str | None, typer.Option("--llm-model", help="LLM name on the server (default: $OPENAI_MODEL).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL).")
]
StructuredOpt = Annotated[
    str,
    typer.Option("--structured", help="auto (JSON schema, then JSON mode, then text, as the server allows), json_schema, json_object or text."),
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option("--concurrency", "-j", help="Requests in flight at once (default: 8; embedded: --parallel).")
]
RpmOpt = Annotated[float | None, typer.Option("--rpm", help="Requests-per-minute limit (default: none).")]
RetriesOpt = Annotated[int, typer.Option("--retries", help=RETRIES_HELP)]
RepairsOpt = Annotated[int, typer.Option("--max-repairs", help="Times an invalid answer is sent back with the error.")]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", help="Seconds before one try is given up (then retried; default 120, embedded 1800).")
]
DeadlineOpt = Annotated[
    float | None, typer.Option("--deadline", help="Seconds one call may take, its retries included (default 300, embedded 1800).")
]
GgufOpt = Annotated[
    str | None, typer.Option("--gguf", help="Embedded model: a GGUF chat model file (default: $KGEN_GGUF, else SmolLM2-135M-Instruct).")
]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", help="Embedded model: CPU threads (default: the cores free now, at least 1).")]
ParallelOpt = Annotated[int, typer.Option("--parallel", help="Embedded model: requests decoded together (slots).")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Ask again even when the cache has an answer (and overwrite it).")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Send nothing: print the calls, estimated tokens and (known OpenAI models) the cost.")
]
PricesOpt = Annotated[
    Path | None, typer.Option("--prices", help="With --dry-run: a price table (kgen.llm-prices JSON) over kgen's and the workspace's.")
]
BatchOpt = Annotated[
    str | None,
    typer.Option(
        "--batch",
        help="Batch API instead of direct calls: submit (write, upload, create the batch), write (only the JSONL, e.g. for "
        "`vllm run-batch`), status, collect (answers into the cache, then the files). See docs/llm.md.",
    ),
]
OutputFileOpt = Annotated[
    list[Path] | None,
    typer.Option("--output-file", help="With --batch collect: a batch output file already on disk (vllm run-batch -o FILE); repeatable."),
]


def _settings(
    backend: str, model: str | None, base_url: str | None, structured: str, concurrency: int | None, rpm: float | None,
    max_retries: int, max_repairs: int, timeout: float | None, deadline: float | None, gguf: str | None,
    threads: int | None, parallel: int, refresh: bool,
) -> LLMSettings:
    try:
        return LLMSettings(
            backend=backend.lower(), model=model, base_url=base_url, structured=structured.lower(), concurrency=concurrency,
            rpm=rpm, max_retries=max_retries, max_repairs=max_repairs, timeout_s=timeout, deadline_s=deadline, gguf=gguf,
            threads=threads, parallel=parallel, refresh=refresh,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InputError(f"bad LLM option {where}: {err.get('msg')}", hint="see `kgen build --help`") from exc


def _dataset(dataset: str | None, classes: Path | None, name: str | None) -> Dataset:
    return resolve_dataset(dataset, classes, name, workspace="claim")


def execute(
    builders: list[KindBuilder],
    settings: LLMSettings,
    command: str = "build",
    dry_run: bool = False,
    prices: Path | None = None,
    batch: str | None = None,
    output_files: list[Path] | None = None,
) -> list[KindOutcome]:
    """Run the builders at once on one client (one embedded model, all its slots busy until the
    end, one usage count); or estimate them (``dry_run``); or run them through a batch job."""
    if batch is not None:
        from kgen.generate.batch import run_batch

        code = run_batch(builders, settings, command, batch, output_files or [], dry_run=dry_run, prices=prices)
        if code:
            raise typer.Exit(code)
        return []
    if output_files:
        raise InputError("--output-file goes with --batch collect", hint="e.g. --batch collect --output-file results.jsonl")
    for builder in builders:
        builder.check_inputs()
    if dry_run:
        from kgen.generate.dry_run import run_dry

        with ResponseCache() as cache:
            run_dry(builders, offline_client(settings, cache), command, prices)
        return []
    cache = ResponseCache()
    client = make_client(settings, cache)

    async def main() -> list[KindOutcome]:
        try:
            return await run_kinds(builders, client)
        finally:
            await client.backend.aclose()

    try:
        outcomes = asyncio.run(main())
    finally:
        cache.close()
    for step in client.switched_steps:
        info(f"{step}: most answers needed the fallback (closed vocabulary), so the rest of this step was asked under it at once")
    if len(builders) > 1:
        info(f"LLM usage (all kinds): {client.usage.summary()}")
    raise_for_outcomes(outcomes)
    return outcomes


def _print_json(outcomes: list[KindOutcome]) -> None:
    rows = [
        {"kind": o.kind, "path": str(o.path) if o.path else None, "built": o.built, "total": o.total, "kept": o.kept,
         "failures": o.failures, "usage": o.usage.summary()}
        for o in outcomes
    ]
    typer.echo(json.dumps({"kinds": rows}, indent=2, ensure_ascii=False))


BUILD_KINDS = ("prompts", "askg", "attributes", "action-descriptions")
_KIND_HELP = (
    "prompts (AP-CLIP action-conditioned prompts and attribute graph), askg (STDD knowledge graph), "
    "attributes (Kim et al. keywords of the crawled definitions; not AP-CLIP's attribute graph), "
    "action-descriptions (SC-CLIP/FROSTER sentences), or all."
)
# Each kind's own options (parameter -> flag, kind): given for a kind not built, they are refused.
_KIND_OPTIONS = {
    "attributes_graph": ("--attributes", "prompts"), "propose_attributes": ("--propose-attributes", "prompts"),
    "attributes_per_aspect": ("--attributes-per-aspect", "prompts"), "llm_prompts": ("--llm-prompts", "prompts"),
    "k_min": ("--k-min", "askg"), "k_max": ("--k-max", "askg"), "top_n": ("--top-n", "attributes"),
    "separator": ("--separator", "attributes"), "count": ("--count", "action-descriptions"),
}


def _kinds(names: list[str]) -> list[str]:
    from kgen.suggest import unknown_name_hint

    chosen: list[str] = []
    for name in names:
        key = name.strip().lower()
        if key == "all":
            chosen.extend(BUILD_KINDS)
        elif key in BUILD_KINDS:
            chosen.append(key)
        else:
            raise InputError(
                f"unknown knowledge kind {name!r} for kgen build",
                hint=unknown_name_hint(name, [*BUILD_KINDS, "all"], f"kinds: {', '.join(BUILD_KINDS)}, all"),
            )
    return [kind for kind in BUILD_KINDS if kind in chosen]


def _command_name(kinds: list[str]) -> str:
    """The name batch jobs are filed under: kgen 0.1's command names, so open jobs carry on."""
    if len(kinds) == len(BUILD_KINDS):
        return "build-all"
    if len(kinds) == 1:
        return "build-descriptions" if kinds[0] == "action-descriptions" else f"build-{kinds[0]}"
    return "build-" + "+".join(kinds)


def build(
    ctx: typer.Context,
    kinds: Annotated[list[str], typer.Argument(metavar="KIND", help=_KIND_HELP, show_default=False)],
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    attributes_graph: Annotated[Path | None, typer.Option("--attributes", help="Pin the attribute graph (kgen.attribute-graph JSON).", rich_help_panel="prompts")] = None,
    propose_attributes: Annotated[bool, typer.Option("--propose-attributes", help="Let the LLM propose the attributes of each aspect.", rich_help_panel="prompts")] = False,
    attributes_per_aspect: Annotated[int, typer.Option("--attributes-per-aspect", help="With --propose-attributes: attributes per aspect.", rich_help_panel="prompts")] = 4,
    llm_prompts: Annotated[Path | None, typer.Option("--llm-prompts", help="Replace the 3 LLM-prompts (kgen.llm-prompts JSON).", rich_help_panel="prompts")] = None,
    k_min: Annotated[int, typer.Option("--k-min", help="Fewest objects / sub-actions per class (STDD: 5).", rich_help_panel="askg")] = 5,
    k_max: Annotated[int, typer.Option("--k-max", help="Most objects / sub-actions per class (STDD: 10).", rich_help_panel="askg")] = 10,
    top_n: Annotated[int, typer.Option("--top-n", help="Keywords in the attribute sentence: 2, 4, 8 or 16.", rich_help_panel="attributes")] = 8,
    separator: Annotated[str, typer.Option("--separator", help="Joins the class name and the keywords.", rich_help_panel="attributes")] = ", ",
    count: Annotated[int, typer.Option("--count", help="Sentences per class (FROSTER/SC-CLIP: 1).", rich_help_panel="action-descriptions")] = 1,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None, as_json: JsonOpt = False,
) -> None:
    """Build LLM knowledge of a dataset's classes: one file per kind under knowledge/<dataset>/.

    prompts: prompts.json and attribute_graph.json; askg: askg.json, askg.graphml, askg.nodelink.json; attributes: attributes.json (needs `kgen crawl`'s descriptions.json; stops before any call when it is missing); action-descriptions: action_descriptions.json. Several kinds run at once, on one client.

    Example: kgen build all --dataset hmdb51

    Cost first, nothing sent: kgen build all --dataset hmdb51 --backend openai --llm-model gpt-4o-mini --dry-run

    Through the OpenAI Batch API: the same with --batch submit, then --batch collect until it exits 0 (7: not finished).
    """
    chosen = _kinds(kinds)
    from typer._click.core import ParameterSource

    stray = [
        (flag, kind) for option, (flag, kind) in _KIND_OPTIONS.items()
        if kind not in chosen and ctx.get_parameter_source(option) not in (None, ParameterSource.DEFAULT)
    ]
    if stray:
        owners = [kind for kind in BUILD_KINDS if kind in {k for _, k in stray}]
        raise InputError(
            f"{', '.join(flag for flag, _ in stray)}: option(s) of {', '.join(owners)}, which this command does not build",
            hint=f"add the kind, e.g. kgen build {' '.join([*chosen, *owners])} ...",
        )
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    data = _dataset(dataset, classes, name)
    makers = {
        "prompts": lambda: PromptsBuilder(data, attributes_graph, propose_attributes, llm_prompts, attributes_per_aspect),
        "askg": lambda: ASKGBuilder(data, k_min, k_max),
        "attributes": lambda: AttributesBuilder(data, top_n, separator),
        "action-descriptions": lambda: ActionDescriptionsBuilder(data, count),
    }
    outcomes = execute([makers[kind]() for kind in chosen], settings, _command_name(chosen), dry_run, prices, batch, output_file)
    if as_json and outcomes:
        _print_json(outcomes)


def _deprecated(old: str) -> None:
    deprecation(f"`kgen {old}` is now `{DEPRECATED_COMMANDS[old]}`; the old command goes in {REMOVED_IN}")


def build_prompts(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    attributes: Annotated[Path | None, typer.Option("--attributes", help="Pin the attribute graph (kgen.attribute-graph JSON).")] = None,
    propose_attributes: Annotated[bool, typer.Option("--propose-attributes", help="Let the LLM propose the attributes of each aspect.")] = False,
    attributes_per_aspect: Annotated[int, typer.Option("--attributes-per-aspect", help="With --propose-attributes: attributes per aspect.")] = 4,
    llm_prompts: Annotated[Path | None, typer.Option("--llm-prompts", help="Replace the 3 LLM-prompts (kgen.llm-prompts JSON).")] = None,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None,
) -> None:
    """AP-CLIP action-conditioned prompts: 3 LLM-prompts x 12 Scene/Actor/Body attributes per class.

    Writes knowledge/<dataset>/prompts.json and attribute_graph.json.

    Example: kgen build-prompts --dataset hmdb51
    """
    _deprecated("build-prompts")
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    builder = PromptsBuilder(_dataset(dataset, classes, name), attributes, propose_attributes, llm_prompts, attributes_per_aspect)
    execute([builder], settings, "build-prompts", dry_run, prices, batch, output_file)


def build_askg(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    k_min: Annotated[int, typer.Option("--k-min", help="Fewest objects / sub-actions per class (STDD: 5).")] = 5,
    k_max: Annotated[int, typer.Option("--k-max", help="Most objects / sub-actions per class (STDD: 10).")] = 10,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None,
) -> None:
    """STDD Action Semantic Knowledge Graph: objects, sub-actions, relation triples, spatial/temporal prompts.

    Writes knowledge/<dataset>/askg.json, askg.graphml and askg.nodelink.json.

    Example: kgen build-askg --dataset hmdb51
    """
    _deprecated("build-askg")
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    execute([ASKGBuilder(_dataset(dataset, classes, name), k_min, k_max)], settings, "build-askg", dry_run, prices, batch, output_file)


def build_attributes(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    top_n: Annotated[int, typer.Option("--top-n", help="Keywords in the attribute sentence: 2, 4, 8 or 16.")] = 8,
    separator: Annotated[str, typer.Option("--separator", help="Joins the class name and the keywords.")] = ", ",
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None,
) -> None:
    """Kim et al. description attributes: 5-10 LLM keywords from each crawled description, top N kept.

    Needs knowledge/<dataset>/descriptions.json (`kgen crawl`); writes attributes.json.

    Example: kgen build-attributes --dataset hmdb51 --top-n 8
    """
    _deprecated("build-attributes")
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    execute(
        [AttributesBuilder(_dataset(dataset, classes, name), top_n, separator)], settings, "build-attributes", dry_run, prices, batch,
        output_file,
    )


def build_descriptions(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    count: Annotated[int, typer.Option("--count", help="Sentences per class (FROSTER/SC-CLIP: 1).")] = 1,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None,
) -> None:
    """SC-CLIP/FROSTER action-name descriptions, encoded as "a video of {name}. {Name}: {sentence}".

    Writes knowledge/<dataset>/action_descriptions.json.

    Example: kgen build-descriptions --dataset hmdb51
    """
    _deprecated("build-descriptions")
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    execute([ActionDescriptionsBuilder(_dataset(dataset, classes, name), count)], settings, "build-descriptions", dry_run, prices, batch, output_file)


def build_all(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    attributes: Annotated[Path | None, typer.Option("--attributes", help="build-prompts: pin the attribute graph.")] = None,
    llm_prompts: Annotated[Path | None, typer.Option("--llm-prompts", help="build-prompts: replace the LLM-prompts.")] = None,
    k_min: Annotated[int, typer.Option("--k-min", help="build-askg: fewest objects / sub-actions.")] = 5,
    k_max: Annotated[int, typer.Option("--k-max", help="build-askg: most objects / sub-actions.")] = 10,
    top_n: Annotated[int, typer.Option("--top-n", help="build-attributes: keywords kept (2, 4, 8, 16).")] = 8,
    count: Annotated[int, typer.Option("--count", help="build-descriptions: sentences per class.")] = 1,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = DEFAULT_RETRIES, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = None, deadline: DeadlineOpt = None, gguf: GgufOpt = None, threads: ThreadsOpt = None,
    parallel: ParallelOpt = 16, refresh: RefreshOpt = False, dry_run: DryRunOpt = False, prices: PricesOpt = None,
    batch: BatchOpt = None, output_file: OutputFileOpt = None,
) -> None:
    """All four kinds at once: prompts, askg, attributes, action-descriptions.

    Needs knowledge/<dataset>/descriptions.json (`kgen crawl`) for the attributes; stops before any
    call when it is missing.

    Example: kgen build-all --dataset hmdb51

    Cost first, nothing sent: kgen build-all --dataset hmdb51 --backend openai --model gpt-4o-mini --dry-run

    Through the OpenAI Batch API: the same with --batch submit, then --batch collect until it exits 0 (7: not finished).
    """
    _deprecated("build-all")
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, deadline, gguf, threads, parallel, refresh)
    data = _dataset(dataset, classes, name)
    builders: list[KindBuilder] = [
        PromptsBuilder(data, attributes, False, llm_prompts),
        ASKGBuilder(data, k_min, k_max),
        AttributesBuilder(data, top_n),
        ActionDescriptionsBuilder(data, count),
    ]
    execute(builders, settings, "build-all", dry_run, prices, batch, output_file)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    for old, function in (("build-prompts", build_prompts), ("build-askg", build_askg), ("build-attributes", build_attributes),
                          ("build-descriptions", build_descriptions), ("build-all", build_all)):
        app.command(old, hidden=True, help=f"Deprecated: use `{DEPRECATED_COMMANDS[old]}`.")(function)
