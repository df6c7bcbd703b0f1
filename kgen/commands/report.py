"""``kgen report``: a static HTML report of a dataset's workspace (knowledge, banks, eval, training)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from kgen.commands.options import ClassesOpt, DatasetOpt, NameOpt, out_option
from kgen.errors import InputError


def report(
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    out: Annotated[Path | None, out_option("Report folder (default: reports/<dataset> in the workspace); replaced whole.")] = None,
    banks: Annotated[list[str] | None, typer.Option("--bank", "-b", help="Bank to show (id, prefix, LINEAGE@latest or folder; repeatable). Default: the newest bank of every lineage of the dataset.")] = None,
    map_banks: Annotated[list[str] | None, typer.Option("--map-bank", help="Bank (id or kind) to draw in the class map (repeatable). Default: every bank of the report.")] = None,
    evals: Annotated[list[Path] | None, typer.Option("--eval", help="Evaluation result (kgen eval --out FILE; repeatable). Default: those under results/ and runs/ in the workspace.")] = None,
    runs: Annotated[list[Path] | None, typer.Option("--run", help="Training run folder (repeatable). Default: the folders under runs/ in the workspace.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the most similar class pairs to list, per bank.")] = 20,
    map_method: Annotated[str, typer.Option("--map", help="Class map: auto (UMAP when umap-learn is installed, else t-SNE), tsne or umap.")] = "auto",
    map_iterations: Annotated[int, typer.Option("--map-iterations", min=250, help="t-SNE iterations (the first 250 with early exaggeration).")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary (path, counts, seconds per part) on stdout instead of the path.")] = False,
) -> None:
    """Write a static HTML report of a dataset's workspace: a folder that opens from disk, no server, no network.

    Tabs: a knowledge browser (every class's definition and sense, AP-CLIP attribute tree and prompts, STDD
    knowledge graph, keyword attributes, action descriptions, with provenance); per bank, the class x class
    cosine heatmap and the most confusable pairs; a 2-D map of the banks' class embeddings; per-class accuracy,
    confusion matrix and per-class differences of evaluation results; training curves. Every figure's data is
    also written as CSV/JSON under figures/.

    Example: kgen report --dataset hmdb51 --eval results/names.json --eval results/prompts.json --run runs/ap-clip
    """
    if map_method not in ("auto", "tsne", "umap"):
        raise InputError(f"unknown --map {map_method!r}", hint="use auto, tsne or umap")
    from kgen.console import info
    from kgen.datasets import resolve_dataset
    from kgen.report.builder import ReportRequest, build_report

    started = time.perf_counter()
    request = ReportRequest(
        dataset=resolve_dataset(dataset, classes, name, workspace="check"),
        out_dir=out,
        banks=list(banks) if banks else None,
        map_banks=list(map_banks) if map_banks else None,
        evals=list(evals) if evals else None,
        runs=list(runs) if runs else None,
        top_pairs=top,
        map_method=map_method,  # type: ignore[arg-type]
        map_iterations=map_iterations,
    )
    result = build_report(request)
    seconds = time.perf_counter() - started
    counts = result.counts
    info(
        f"report of {counts['classes']} classes: {counts['kinds']} knowledge files, {counts['banks']} banks, "
        f"{counts['results']} evaluation results, {counts['runs']} training runs, in {seconds:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in result.timings.items())})"
    )
    index = result.path / "index.html"
    if as_json:
        typer.echo(json.dumps({"path": str(result.path), "index": str(index), "counts": counts, "timings_s": result.timings,
                               "seconds": round(seconds, 3), "notes": result.notes}, indent=2))
    else:
        typer.echo(str(index))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
