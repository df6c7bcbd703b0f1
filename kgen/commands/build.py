"""``kgen build-prompts | build-askg | build-attributes | build-descriptions | build-all``:
LLM-made knowledge for a dataset, one file per kind under ``knowledge/<dataset>/``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from kgen.cache import ResponseCache
from kgen.console import info
from kgen.datasets import Dataset, resolve_dataset
from kgen.errors import InputError
from kgen.generate.action_descriptions import ActionDescriptionsBuilder
from kgen.generate.apclip import PromptsBuilder
from kgen.generate.askg import ASKGBuilder
from kgen.generate.attributes import AttributesBuilder
from kgen.generate.runner import KindBuilder, KindOutcome, raise_for_outcomes, run_kind
from kgen.llm.settings import LLMSettings, make_client

DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d", help="Built-in dataset name or alias (see `kgen datasets`).")]
ClassesOpt = Annotated[Path | None, typer.Option("--classes", help="Your own class list (txt/csv/json) instead of --dataset.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Dataset name for --classes (default: the file's stem).")]
BackendOpt = Annotated[
    str,
    typer.Option("--backend", help="auto (OpenAI-compatible when a base URL is set, else embedded), embedded or openai."),
]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model name on the server (default: $OPENAI_MODEL).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL).")
]
StructuredOpt = Annotated[
    str,
    typer.Option("--structured", help="auto (JSON schema, then JSON mode, then text, as the server allows), json_schema, json_object or text."),
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option("--concurrency", "-j", help="Requests in flight (default: 8; embedded: twice the batch size).")
]
RpmOpt = Annotated[float | None, typer.Option("--rpm", help="Requests-per-minute limit (default: none).")]
RetriesOpt = Annotated[int, typer.Option("--max-retries", help="Retries of a call after 429/5xx/timeouts.")]
RepairsOpt = Annotated[int, typer.Option("--max-repairs", help="Times an invalid answer is sent back with the error.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds before a call times out (then it is retried).")]
BatchOpt = Annotated[int, typer.Option("--batch-size", help="Embedded model: requests decoded together.")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Ask again even when the cache has an answer (and overwrite it).")]


def _settings(
    backend: str, model: str | None, base_url: str | None, structured: str, concurrency: int | None, rpm: float | None,
    max_retries: int, max_repairs: int, timeout: float, batch_size: int, refresh: bool,
) -> LLMSettings:
    try:
        return LLMSettings(
            backend=backend.lower(), model=model, base_url=base_url, structured=structured.lower(), concurrency=concurrency,
            rpm=rpm, max_retries=max_retries, max_repairs=max_repairs, timeout_s=timeout, batch_size=batch_size, refresh=refresh,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InputError(f"bad LLM option {where}: {err.get('msg')}", hint="see `kgen build-all --help`") from exc


def _dataset(dataset: str | None, classes: Path | None, name: str | None) -> Dataset:
    return resolve_dataset(dataset, classes, name, workspace="claim")


def execute(builders: list[KindBuilder], settings: LLMSettings) -> list[KindOutcome]:
    """Run the builders in order with one client (one embedded model load, one usage count)."""
    for builder in builders:
        builder.check_inputs()
    cache = ResponseCache()
    client = make_client(settings, cache)

    async def main() -> list[KindOutcome]:
        outcomes: list[KindOutcome] = []
        try:
            for builder in builders:
                outcome = await run_kind(builder, client)
                outcomes.append(outcome)
                if outcome.fatal is not None:
                    break
        finally:
            await client.backend.aclose()
        return outcomes

    try:
        outcomes = asyncio.run(main())
    finally:
        cache.close()
    if len(builders) > 1:
        info(f"LLM usage (all kinds): {client.usage.summary()}")
    raise_for_outcomes(outcomes)
    return outcomes


def build_prompts(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    attributes: Annotated[Path | None, typer.Option("--attributes", help="Pin the attribute graph (kgen.attribute-graph JSON).")] = None,
    propose_attributes: Annotated[bool, typer.Option("--propose-attributes", help="Let the LLM propose the attributes of each aspect.")] = False,
    attributes_per_aspect: Annotated[int, typer.Option("--attributes-per-aspect", help="With --propose-attributes: attributes per aspect.")] = 4,
    llm_prompts: Annotated[Path | None, typer.Option("--llm-prompts", help="Replace the 3 LLM-prompts (kgen.llm-prompts JSON).")] = None,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = 6, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = 120.0, batch_size: BatchOpt = 16, refresh: RefreshOpt = False,
) -> None:
    """AP-CLIP action-conditioned prompts: 3 LLM-prompts x 12 Scene/Actor/Body attributes per class.

    Writes knowledge/<dataset>/prompts.json and attribute_graph.json.

    Example: kgen build-prompts --dataset hmdb51
    """
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, batch_size, refresh)
    builder = PromptsBuilder(_dataset(dataset, classes, name), attributes, propose_attributes, llm_prompts, attributes_per_aspect)
    execute([builder], settings)


def build_askg(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    k_min: Annotated[int, typer.Option("--k-min", help="Fewest objects / sub-actions per class (STDD: 5).")] = 5,
    k_max: Annotated[int, typer.Option("--k-max", help="Most objects / sub-actions per class (STDD: 10).")] = 10,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = 6, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = 120.0, batch_size: BatchOpt = 16, refresh: RefreshOpt = False,
) -> None:
    """STDD Action Semantic Knowledge Graph: objects, sub-actions, relation triples, spatial/temporal prompts.

    Writes knowledge/<dataset>/askg.json, askg.graphml and askg.nodelink.json.

    Example: kgen build-askg --dataset hmdb51
    """
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, batch_size, refresh)
    execute([ASKGBuilder(_dataset(dataset, classes, name), k_min, k_max)], settings)


def build_attributes(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    top_n: Annotated[int, typer.Option("--top-n", help="Keywords in the attribute sentence: 2, 4, 8 or 16.")] = 8,
    separator: Annotated[str, typer.Option("--separator", help="Joins the class name and the keywords.")] = ", ",
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = 6, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = 120.0, batch_size: BatchOpt = 16, refresh: RefreshOpt = False,
) -> None:
    """Kim et al. description attributes: 5-10 LLM keywords from each crawled description, top N kept.

    Needs knowledge/<dataset>/descriptions.json (`kgen crawl`); writes attributes.json.

    Example: kgen build-attributes --dataset hmdb51 --top-n 8
    """
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, batch_size, refresh)
    execute([AttributesBuilder(_dataset(dataset, classes, name), top_n, separator)], settings)


def build_descriptions(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    count: Annotated[int, typer.Option("--count", help="Sentences per class (FROSTER/SC-CLIP: 1).")] = 1,
    backend: BackendOpt = "auto", model: ModelOpt = None, base_url: BaseUrlOpt = None, structured: StructuredOpt = "auto",
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = 6, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = 120.0, batch_size: BatchOpt = 16, refresh: RefreshOpt = False,
) -> None:
    """SC-CLIP/FROSTER action-name descriptions, encoded as "a video of {name}. {Name}: {sentence}".

    Writes knowledge/<dataset>/action_descriptions.json.

    Example: kgen build-descriptions --dataset hmdb51
    """
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, batch_size, refresh)
    execute([ActionDescriptionsBuilder(_dataset(dataset, classes, name), count)], settings)


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
    concurrency: ConcurrencyOpt = None, rpm: RpmOpt = None, max_retries: RetriesOpt = 6, max_repairs: RepairsOpt = 3,
    timeout: TimeoutOpt = 120.0, batch_size: BatchOpt = 16, refresh: RefreshOpt = False,
) -> None:
    """All four kinds in order: prompts, askg, attributes, action-descriptions.

    Needs knowledge/<dataset>/descriptions.json (`kgen crawl`) for the attributes; stops before any
    call when it is missing.

    Example: kgen build-all --dataset hmdb51
    """
    settings = _settings(backend, model, base_url, structured, concurrency, rpm, max_retries, max_repairs, timeout, batch_size, refresh)
    data = _dataset(dataset, classes, name)
    builders: list[KindBuilder] = [
        PromptsBuilder(data, attributes, False, llm_prompts),
        ASKGBuilder(data, k_min, k_max),
        AttributesBuilder(data, top_n),
        ActionDescriptionsBuilder(data, count),
    ]
    execute(builders, settings)


def register(app: typer.Typer) -> None:
    app.command("build-prompts")(build_prompts)
    app.command("build-askg")(build_askg)
    app.command("build-attributes")(build_attributes)
    app.command("build-descriptions")(build_descriptions)
    app.command("build-all")(build_all)
