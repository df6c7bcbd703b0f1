"""``kgen import FORMAT PATH...`` (the knowledge papers released, as kgen knowledge files) and
``kgen compare-knowledge A B`` (two knowledge files, or two banks, side by side)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen.commands.options import ClassesOpt, DatasetOpt, JsonOpt, NameOpt
from kgen.console import info, out_console
from kgen.datasets import resolve_dataset
from kgen.errors import InputError


def _list_formats(as_json: bool) -> None:
    from kgen.importers import FORMATS

    if as_json:
        typer.echo(json.dumps([{"format": f.name, "kind": f.kind, "paper": f.paper, "files": f.files, "repository": f.repository,
                                "example": f.example} for f in FORMATS.values()], indent=2, ensure_ascii=False))
        return

    table = Table(title="kgen import formats")
    for column in ("format", "kind", "paper", "released files", "repository"):
        table.add_column(column, overflow="fold")
    for fmt in FORMATS.values():
        table.add_row(fmt.name, fmt.kind, fmt.paper, fmt.files, fmt.repository)
    out_console.print(table)
    out_console.print("Example: " + FORMATS["stdd-askg"].example, highlight=False, markup=False)


def import_command(
    format_name: Annotated[str | None, typer.Argument(metavar="FORMAT", help="stdd-askg, froster, er-zsar or ost (see --list-formats).")] = None,
    paths: Annotated[list[Path] | None, typer.Argument(metavar="PATH...", help="The released file(s); a companion file beside it is found by name.")] = None,
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    split: Annotated[str | None, typer.Option("--split", help="Match against a class split (its label order), e.g. base, zs_split1.")] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="Name the imported variant (default: the format's name; ost: ost-n<N>).")] = None,
    source_ref: Annotated[str | None, typer.Option("--source-ref", help="Commit or release of the source repository, recorded in the provenance.")] = None,
    source_repo: Annotated[str | None, typer.Option("--source-repo", help="Source repository URL, if not the authors' (a fork, a mirror).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read, check and report; write nothing.")] = False,
    details: Annotated[bool, typer.Option("--details", help="List every dropped or flagged entry, not only the counts per class.")] = False,
    as_json: JsonOpt = False,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="List the formats kgen imports and exit.")] = False,
) -> None:
    """Import the knowledge a paper released (STDD, FROSTER, ER-ZSAR, OST) as a kgen knowledge file.

    Writes knowledge/<dataset>/imported/<variant>/<kind file>, validated by the kind's model, with the source repository, --source-ref, each file's path and SHA-256 as provenance, and reports per class what was dropped or flagged, and why. Nothing is written when a file is not of FORMAT or does not match the classes.

    Encode it with: kgen encode-bank --dataset X --kind KIND --variant VARIANT

    Example: kgen import stdd-askg STDD/label_db/classes_ASKG_hmdb51.yml --dataset hmdb51 --source-ref 8201647
    """
    if list_formats:
        _list_formats(as_json)
        return
    if not format_name:
        raise InputError("which format? give FORMAT and PATH", hint="see `kgen import --list-formats`")
    from kgen.importers import import_format
    from kgen.importers.run import run_import

    import_format(format_name)  # an unknown format is refused before anything is read
    if not paths:
        raise InputError(f"no file given to import as {format_name}", hint=import_format(format_name).example)
    data = resolve_dataset(dataset, classes, name, workspace="check")  # the folder is claimed only when the import writes
    outcome = run_import(format_name, list(paths), data, split=split, variant=variant, source_ref=source_ref,
                         repository=source_repo, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_outcome(outcome, details, dry_run)


def _print_outcome(outcome, details: bool, dry_run: bool) -> None:
    scope = outcome.dataset.name + (f" split {outcome.split}" if outcome.split else "")
    total = len(outcome.classes) + len(outcome.missing)
    totals = outcome.totals()
    console = out_console
    console.print(
        f"{outcome.format.name} -> {outcome.format.kind} (variant {outcome.variant}) for {scope}: "
        f"{len(outcome.classes)} of {total} classes, {outcome.texts} texts; entries dropped {totals['dropped']}, "
        f"flagged {totals['kept']}, renamed {totals['renamed']}", highlight=False, markup=False,
    )
    for file in outcome.files:
        console.print(f"  read {file.role}: {file.path} (sha256 {file.sha256[:16]}...)", highlight=False, markup=False)
    if outcome.unmatched:
        console.print(f"  released names that name no class of {scope} ({len(outcome.unmatched)}): "
                      + ", ".join(outcome.unmatched[:12]) + (" ..." if len(outcome.unmatched) > 12 else ""),
                      highlight=False, markup=False)
    if outcome.missing:
        console.print(f"  classes without an entry ({len(outcome.missing)}): " + ", ".join(outcome.missing[:12])
                      + (" ..." if len(outcome.missing) > 12 else ""), highlight=False, markup=False)
    for problem in outcome.file_problems:
        if problem.code != "no-class":
            console.print(f"  file: {problem.code} ({problem.action}): {problem.reason}", highlight=False, markup=False)
    with_problems = [c for c in outcome.classes if c.problems]
    if with_problems:
        table = Table(title=f"classes with dropped or flagged entries ({len(with_problems)} of {len(outcome.classes)})")
        for column in ("class", "texts", "dropped", "flagged", "why"):
            table.add_column(column, overflow="fold")
        for report in with_problems:
            table.add_row(report.class_name, str(report.texts), str(report.count("dropped")),
                          str(report.count("kept") + report.count("renamed")), report.reasons())
        console.print(table)
    if details:
        for problem in outcome.problems:
            where = problem.class_name or "(no class)"
            console.print(f"  [{problem.action}] {where}: {problem.code}: {problem.reason} | {problem.entry}",
                          highlight=False, markup=False)
    elif with_problems:
        info("--details lists every entry and its reason (they are also in the file's provenance.problems)")
    if dry_run:
        info(f"dry run: nothing written (it would go to {outcome.path})")
        return
    for path in outcome.written:
        info(f"wrote {path}")
    if outcome.replaced:
        info(f"replaced an earlier {outcome.variant} import with other content (banks made from it keep its SHA-256 in their manifests)")
    info(f"encode it: {outcome.encode_command()} --clip-pretrained openai")


def _is_knowledge_file(text: str) -> bool:
    path = Path(text).expanduser()
    return path.is_file() and path.suffix == ".json" and path.name != "manifest.json"


def compare_knowledge_command(
    a: Annotated[str, typer.Argument(help="A knowledge file (knowledge/<dataset>/...json) or a bank (directory, id, LINEAGE@latest).")],
    b: Annotated[str, typer.Argument(help="The other knowledge file or bank (the same kind and dataset).")],
    show: Annotated[int | None, typer.Option("--show", help="Print only the N classes that differ most (lowest overlap or cosine).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare two knowledge files of one kind and dataset class by class, e.g. kgen's own and a paper's imported one.

    Per class: the texts (count, mean and longest length in CLIP tokens) and, for each facet of the kind (objects, sub-actions, spatial/temporal descriptors, keywords), what each has and what they share after normalisation. Given two banks, also the cosine between each class's classifiers (as `kgen bank diff`); their knowledge files are compared when both are in the workspace.

    Example: kgen compare-knowledge knowledge/hmdb51/askg.json knowledge/hmdb51/imported/stdd-askg/askg.json
    """
    from kgen.knowledge.compare import compare_knowledge, load_any_knowledge

    if _is_knowledge_file(a) and _is_knowledge_file(b):
        comparison = compare_knowledge(load_any_knowledge(Path(a)), load_any_knowledge(Path(b)), a, b)
    elif _is_knowledge_file(a) or _is_knowledge_file(b):
        raise InputError("give two knowledge files or two banks, not one of each",
                         hint="a bank records its knowledge file: compare the two banks, or the two files")
    else:
        from kgen.knowledge.compare_banks import compare_banks

        comparison = compare_banks(a, b)
    if as_json:
        typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_comparison(comparison, show)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_comparison(comparison, show: int | None) -> None:
    console = out_console
    summary = comparison.summary()
    console.print(f"A: {comparison.a}\n   {comparison.sources[0]}\nB: {comparison.b}\n   {comparison.sources[1]}",
                  highlight=False, markup=False)
    console.print(f"{comparison.kind}, {comparison.dataset}: {summary['classes_in_both']} classes in both, "
                  f"{len(comparison.only_in_a)} only in A, {len(comparison.only_in_b)} only in B", highlight=False, markup=False)
    for label, names in (("only in A", comparison.only_in_a), ("only in B", comparison.only_in_b)):
        if names:
            console.print(f"  {label}: {', '.join(names[:10])}" + (" ..." if len(names) > 10 else ""), highlight=False, markup=False)
    totals = Table(title="totals")
    for column in ("", "A", "B", "shared", "mean Jaccard"):
        totals.add_column(column, justify="right")
    totals.add_row("texts", str(summary["texts"]["a"]), str(summary["texts"]["b"]), "", "")
    totals.add_row("mean CLIP tokens", _fmt(summary["mean_tokens"]["a"], 1), _fmt(summary["mean_tokens"]["b"], 1), "", "")
    for facet, values in summary["facets"].items():
        totals.add_row(facet, str(values["a"]), str(values["b"]), str(values["shared"]), _fmt(values["mean_jaccard"]))
    if comparison.banks:
        cosine = summary["classifier_cosine"]
        totals.add_row("classifier cosine", "", "", "", f"mean {_fmt(cosine['mean'], 4)}, min {_fmt(cosine['min'], 4)}")
    console.print(totals)
    if comparison.banks and comparison.same_space is False:
        info("note: the banks come from different text-tower weights: their cosines compare two embedding spaces")
    rows = list(comparison.classes)
    facets = comparison.facet_names()
    if show is not None:
        def score(c) -> float:
            if c.classifier_cosine is not None:
                return c.classifier_cosine
            values = [f.jaccard for f in c.facets.values() if f.jaccard is not None]
            return sum(values) / len(values) if values else 1.0
        rows = sorted(rows, key=score)[:show]
    table = Table(title=f"per class ({len(rows)} of {len(comparison.classes)})")
    for column in ("class", "texts A/B", "tokens A/B", *[f"{f} A/B shared" for f in facets],
                   *(["classifier cos"] if comparison.banks else [])):
        table.add_column(column, overflow="fold")
    for c in rows:
        cells = [c.class_name, f"{c.texts_a.count}/{c.texts_b.count}",
                 f"{_fmt(c.texts_a.mean_tokens, 1)}/{_fmt(c.texts_b.mean_tokens, 1)}"]
        for facet in facets:
            f = c.facets.get(facet)
            cells.append("-" if f is None else f"{f.a}/{f.b} {len(f.shared)} ({_fmt(f.jaccard)})")
        if comparison.banks:
            cells.append(_fmt(c.classifier_cosine, 4))
        table.add_row(*cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("compare-knowledge")(compare_knowledge_command)
