"""``kgen encode-bank`` and ``kgen bank list|info|verify|diff``: embedding banks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen import paths
from kgen.banks.manifest import BankManifest, BankSummary
from kgen.banks.store import find_banks, latest_per_lineage
from kgen.banks.texts import NAMES_KIND, TEMPLATE_SETS
from kgen.commands.options import (
    ClassesOpt,
    ClipModelOpt,
    ClipPretrainedOpt,
    DatasetOpt,
    JsonOpt,
    NameOpt,
    out_option,
)
from kgen.console import err_console, info, out_console, warn
from kgen.datasets import resolve_dataset
from kgen.errors import FormatError, InputError
from kgen.knowledge.base import canonical_kind

# torch and open_clip are imported inside the commands that need them, so that `kgen --help` and
# the other command groups start without paying for them.

BanksDirOpt = Annotated[Path | None, typer.Option("--banks-dir", help="Folder of banks to read (default: the workspace's banks/).")]

bank_app = typer.Typer(
    help="Inspect, check and compare embedding banks.\n\nExample: kgen bank list",
    no_args_is_help=True,
)


def encode_bank_command(
    dataset: DatasetOpt = None,
    kind: Annotated[str, typer.Option("--kind", "-k", help="names, or a knowledge kind: descriptions (crawled definitions; also: definitions), prompts, askg, attributes, action-descriptions, descriptors...")] = NAMES_KIND,
    model: ClipModelOpt = "ViT-B-16",
    pretrained: ClipPretrainedOpt = "openai",
    template: Annotated[list[str] | None, typer.Option("--template", help="Template for --kind names, with {} for the class name (repeatable). Default: 'a photo of a {}.'.")] = None,
    templates: Annotated[str | None, typer.Option("--templates", help=f"Template set for --kind names ({', '.join(TEMPLATE_SETS)}) or a file with one template a line.")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only the classes of this class split, in its label order.")] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="An imported variant of the kind (`kgen import`), e.g. stdd-askg; default: kgen's own.")] = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    token_features: Annotated[bool, typer.Option("--token-features", help="Also store per-token features (always on for --kind attributes).")] = False,
    device: Annotated[str, typer.Option("--device", help="auto (GPU when there is one), cpu, cuda, cuda:N.")] = "auto",
    precision: Annotated[str, typer.Option("--precision", help="auto (fp32 on CPU, bf16/fp16 autocast on GPU), fp32, bf16, fp16.")] = "auto",
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Texts per forward pass (default: 64 on CPU, 512 on GPU).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random weights for --clip-pretrained random.")] = 0,
    out: Annotated[Path | None, out_option("Banks folder to write the bank directory into (default: the workspace's banks/).")] = None,
    quick_gelu: Annotated[bool, typer.Option("--quick-gelu", help="Run with QuickGELU: for a checkpoint of OpenAI's weights or of a model fine-tuned from them (tags set it themselves).")] = False,
    weights_cache: Annotated[Path | None, typer.Option("--weights-cache", help="Hugging Face cache to find downloaded weights in (default: the usual HF cache).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Encode a dataset's texts with a frozen CLIP text tower into a bank (banks/<bank id>/).

    Encoding the same inputs again finds the existing bank; any changed input makes a new one.

    Example: kgen encode-bank --dataset ucf101 --kind names --templates openvclip28 --clip-model ViT-B-16 --clip-pretrained openai
    """
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise InputError(f"unknown precision {precision!r}", hint="use auto, fp32, bf16 or fp16")
    kind = canonical_kind(kind, extra=(NAMES_KIND,))
    from kgen.banks.builder import EncodeRequest, encode_bank, report_truncation
    from kgen.storage import check_writable_dir

    chosen = resolve_dataset(dataset, classes, name, workspace="ignore" if kind == NAMES_KIND else "check")
    check_writable_dir(out if out is not None else paths.banks_dir(), "the banks folder")
    request = EncodeRequest(
        dataset=chosen, kind=kind, model_name=model, pretrained=pretrained,
        template=template or None, templates=templates, split=split, variant=variant, token_features=token_features, device=device,
        precision=precision,  # type: ignore[arg-type]
        batch_size=batch_size, seed=seed, out_dir=out, weights_cache_dir=str(weights_cache) if weights_cache else None,
        quick_gelu=True if quick_gelu else None,
    )
    result = encode_bank(request)
    manifest = result.manifest
    truncation = report_truncation(manifest)
    if truncation:
        warn(truncation)
    if result.created:
        rate = result.texts_per_second
        info(
            f"encoded {manifest.num_texts} texts of {len(manifest.class_names)} classes with {manifest.clip.model_name} "
            f"({manifest.clip.pretrained}) in {result.encode_seconds:.2f} s"
            + (f" ({rate:,.0f} texts/s)" if rate else "")
            + f"; truncated: {manifest.encoding.truncated_texts}"
        )
        info(f"wrote {result.path}")
    elif result.concurrent:
        info(
            f"bank {manifest.bank_id} was written meanwhile by another run with the same inputs (content hash "
            f"{manifest.content_hash[:10]}); using it: {result.path}"
        )
    else:
        info(f"bank {manifest.bank_id} is up to date (same inputs, content hash {manifest.content_hash[:10]}): {result.path}")
    if as_json:
        row = _summary(manifest, result.path) | {"created": result.created, "concurrent": result.concurrent}
        typer.echo(json.dumps(row, indent=2, ensure_ascii=False))
    else:
        typer.echo(str(result.path))


@bank_app.command("list")
def list_banks(
    directory: BanksDirOpt = None,
    show_all: Annotated[bool, typer.Option("--staging", help="Also list staging folders (banks being written, or left by killed runs).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the banks in banks/ (or --banks-dir), newest version of each lineage marked, damaged ones flagged.

    Reads each bank's small summary and its tensors file's header, not the full manifest or the data.
    With --staging --json the output is {"banks": [...], "staging": [...]}.

    Example: kgen bank list --staging
    """
    from kgen.banks.staging import find_staging

    root = directory or paths.banks_dir()
    banks = find_banks(root)
    latest = {b.path for b in latest_per_lineage(banks).values()}
    staging = find_staging(root) if show_all else []
    if as_json:
        rows = []
        for b in banks:
            if b.summary is None:
                rows.append({"path": str(b.path), "problem": b.problem, "damaged": True})
                continue
            rows.append(
                {**b.summary.listing(), "path": str(b.path), "latest": b.path in latest, "damaged": bool(b.damage),
                 "problems": b.damage, "verified": b.verified}
            )
        if show_all:
            typer.echo(json.dumps({"banks": rows, "staging": [f.to_dict() for f in staging]}, indent=2, ensure_ascii=False))
        else:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not banks and not staging:
        info(f"no banks under {root}; make one with `kgen encode-bank`")
        return
    if banks:
        table = Table(
            title=f"banks in {root}",
            caption="* newest of its lineage (name it with LINEAGE@latest); state: verified = contents checked, files "
            "unchanged since; DAMAGED = files missing, cut or not what the bank records",
        )
        table.add_column("", no_wrap=True)
        table.add_column("bank id", overflow="fold")
        for column in ("classes", "texts", "dim"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("tokens", no_wrap=True)
        table.add_column("created", no_wrap=True)
        table.add_column("state", overflow="fold")
        for b in banks:
            if b.summary is None:
                table.add_row("!", f"{b.path.name}", "", "", "", "", "", f"[red]UNREADABLE[/red]: {b.problem}")
                continue
            m = b.summary
            state = f"[red]DAMAGED[/red]: {'; '.join(b.damage)}" if b.damage else ("verified" if b.verified else "")
            if m.bank_format == 1:
                state = (state + " " if state else "") + "(format v1)"
            table.add_row(
                "*" if b.path in latest else "", m.bank_id, str(m.classes), str(m.texts), str(m.embed_dim),
                "yes" if m.token_features else "", m.created_at[:16].replace("T", " "), state,
            )
        out_console.print(table)
    damaged = [b for b in banks if b.damage or b.summary is None]
    if damaged:
        warn(f"{len(damaged)} bank(s) are damaged or unreadable: `kgen bank verify --all` says more; encode them again")
    if show_all:
        if not staging:
            info(f"no staging folders under {root}")
            return
        table = Table(title=f"staging folders in {root}", caption="stale ones are removed by the next `kgen encode-bank` into this directory")
        for column in ("folder", "bank id", "state", "size", "age"):
            table.add_column(column, overflow="fold")
        for f in staging:
            table.add_row(f.path.name, f.bank_id, f.state, f"{f.size_bytes / 1e6:.1f} MB", f"{f.age_s / 60:.0f} min")
        out_console.print(table)


@bank_app.command("info")
def bank_info(
    bank: Annotated[str, typer.Argument(help="Bank directory, bank id (or unique prefix), or LINEAGE@latest.")],
    texts: Annotated[bool, typer.Option("--texts", help="Also print every class's texts.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON on stdout.")] = False,
) -> None:
    """Show what a bank holds and how it was made.

    Example: kgen bank info ucf101-names-vit-b-16-openai@latest
    """
    from kgen.banks.store import resolve_bank_path
    from kgen.banks.verify import quick_problems

    path = resolve_bank_path(bank)
    manifest = BankManifest.load(path / "manifest.json")
    damage, _header = quick_problems(path, manifest)
    if as_json:
        typer.echo(manifest.to_json(), nl=False)
        if damage:
            warn(f"bank {manifest.bank_id} is DAMAGED: {'; '.join(damage)}")
        return
    clip, enc = manifest.clip, manifest.encoding
    counts = [b - a for a, b in zip(manifest.class_offsets, manifest.class_offsets[1:], strict=False)]
    rows = [
        ("bank id", manifest.bank_id),
        ("path", str(path)),
        ("lineage", f"{manifest.lineage} (newest: {manifest.lineage}@latest)"),
        ("format", f"{manifest.format} v{manifest.stored_format_version}"
                   + (" (read by the version-1 reader: texts inside the manifest)" if manifest.stored_format_version == 1 else "")),
        ("state", f"DAMAGED: {'; '.join(damage)}" if damage else "files complete (contents: `kgen bank verify`)"),
        ("dataset", manifest.dataset + (f", split {manifest.split}" if manifest.split else "")),
        ("kind", manifest.kind + (f" (template: {manifest.knowledge.template})" if manifest.knowledge.template else "")),
        ("knowledge", f"{manifest.knowledge.source or '-'}" + (f", variant {manifest.knowledge.variant}" if manifest.knowledge.variant else "")),
        ("knowledge file", f"{manifest.knowledge.file} (sha256 {manifest.knowledge.sha256[:16]}...)" if manifest.knowledge.file and manifest.knowledge.sha256 else "-"),
        ("classes", str(len(manifest.class_names))),
        ("texts", f"{manifest.num_texts} ({min(counts, default=0)}-{max(counts, default=0)} per class)"),
        ("clip", f"{clip.model_name} / {clip.pretrained}" + (" (random weights)" if clip.is_random else "")),
        ("weights", clip.weights_source),
        ("text tower sha256", clip.text_tower_sha256),
        ("embedding", f"{clip.embed_dim}-d, {enc.normalization}-normalised, stored {enc.dtype}, computed in {enc.compute_dtype}"),
        ("tokenizer", f"{clip.tokenizer}, context length {clip.context_length}"),
        ("length cut", "yes (causal text tower)" if enc.length_cut else "no (full length)"),
        ("truncated texts", str(enc.truncated_texts)),
        ("token features", f"yes, length {manifest.token_features.length}" if manifest.token_features else "no"),
        ("content hash", manifest.content_hash),
        ("tensors sha256", manifest.tensors_sha256),
        ("kgen version", manifest.kgen_version),
        ("created", manifest.created_at),
    ]
    table = Table(show_header=False, title=manifest.bank_id)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in rows:
        table.add_row(key, value)
    out_console.print(table)
    if damage:
        warn(f"bank {manifest.bank_id} is DAMAGED: {'; '.join(damage)}; encode it again")
    if texts:
        for k, class_name in enumerate(manifest.class_names):
            start, end = manifest.class_offsets[k], manifest.class_offsets[k + 1]
            out_console.print(f"[bold]{manifest.class_ids[k]} {class_name}[/bold]", highlight=False)
            for i in range(start, end):
                tag = f"[{manifest.text_types[i]}] " if manifest.text_types else ""
                out_console.print(f"  {tag}{manifest.texts[i]}", highlight=False, markup=False)


@bank_app.command("verify")
def bank_verify(
    banks: Annotated[list[str] | None, typer.Argument(help="Banks to check (directories, ids, LINEAGE@latest).")] = None,
    check_all: Annotated[bool, typer.Option("--all", help="Check every bank in banks/ (or --banks-dir), as with no bank named; with banks named, those too.")] = False,
    directory: BanksDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check banks against their hashes: tensors and texts files, content hash of the inputs, shapes, unit norms.

    With no bank named, checks every bank in banks/ (or --banks-dir), as --all does. Runs every check (nothing remembered is skipped). Exits with code 3 when a bank fails a check.

    Example: kgen bank verify --all
    """
    from kgen.banks.store import resolve_bank_path
    from kgen.banks.verify import verify_bank

    targets = [resolve_bank_path(b) for b in banks or []]
    if check_all or not banks:  # no bank named: every bank
        targets += [b.path for b in find_banks(directory or paths.banks_dir())]
    if not targets:
        info("no banks to verify")
        return
    failed = 0
    rows: list[dict] = []
    for path in targets:
        report = verify_bank(path, use_memory=False)
        if as_json:
            failed += not report.ok
            rows.append({"bank_id": report.bank_id, "path": str(path), "ok": report.ok, "problems": list(report.problems)})
        elif report.ok:
            out_console.print(f"[green]ok[/green]     {report.bank_id or path.name}", highlight=False)
        else:
            failed += 1
            out_console.print(f"[red]FAILED[/red] {report.bank_id or path.name} ({path})", highlight=False)
            for problem in report.problems:
                out_console.print(f"       - {problem}", highlight=False, markup=False)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    if failed:
        raise FormatError(f"{failed} of {len(targets)} bank(s) failed verification", hint="encode them again (kgen encode-bank)")


@bank_app.command("diff")
def bank_diff(
    a: Annotated[str, typer.Argument(help="The first (older) bank.")],
    b: Annotated[str, typer.Argument(help="The second (newer) bank.")],
    show: Annotated[int, typer.Option("--show", help="How many classes to list (changed ones, and drifted ones).")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Compare two banks: settings, classes, texts and the cosine drift of their vectors.

    Example: kgen bank diff ucf101-names-vit-b-16-openai-0123456789 ucf101-names-vit-b-16-openai@latest
    """
    from kgen.banks.bank import load_bank
    from kgen.banks.diff import diff_banks

    diff = diff_banks(load_bank(a), load_bank(b))
    if as_json:
        typer.echo(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False))
        return
    console = out_console
    console.print(f"A: {diff.a}\nB: {diff.b}", highlight=False)
    if diff.identical:
        console.print("identical inputs (same content hash)")
        return
    if diff.settings:
        table = Table(title="settings that differ")
        for column in ("field", "A", "B"):
            table.add_column(column)
        for field_name, va, vb in diff.settings:
            table.add_row(field_name, str(va), str(vb))
        console.print(table)
    console.print(
        f"classes: {len(diff.classes)} in both, {len(diff.only_in_a)} only in A, {len(diff.only_in_b)} only in B",
        highlight=False,
    )
    for label, names in (("only in A", diff.only_in_a), ("only in B", diff.only_in_b)):
        if names:
            console.print(f"  {label}: {', '.join(names[:show])}" + (" ..." if len(names) > show else ""), highlight=False)
    console.print(
        f"texts in common classes: {diff.texts_common} in both, {diff.texts_removed} removed, {diff.texts_added} added",
        highlight=False,
    )
    if not diff.comparable:
        console.print("cosine drift: not computed (the banks have different embedding widths)")
        return
    if not diff.same_space:
        err_console.print(
            "[yellow]note:[/yellow] the banks come from different text-tower weights: their cosines compare two "
            "embedding spaces", highlight=False,
        )
    text_mean, text_min = diff.text_cosines()
    cls_mean, cls_min = diff.classifier_cosines()
    if text_mean is not None and text_min is not None:
        console.print(f"cosine of the same text in A and B: mean {text_mean:.6f}, min {text_min:.6f}", highlight=False)
    if cls_mean is not None and cls_min is not None:
        console.print(f"cosine of each class's classifier row: mean {cls_mean:.6f}, min {cls_min:.6f}", highlight=False)
    changed = [c for c in diff.classes if c.added or c.removed]
    if changed:
        table = Table(title=f"classes whose texts changed ({len(changed)})")
        for column in ("class", "A", "B", "removed", "added", "classifier cos"):
            table.add_column(column)
        for c in changed[:show]:
            table.add_row(
                c.class_name, str(c.texts_a), str(c.texts_b), _first(c.removed), _first(c.added),
                f"{c.classifier_cosine:.4f}" if c.classifier_cosine is not None else "-",
            )
        console.print(table)
    drifted = diff.most_drifted(show)
    if drifted:
        table = Table(title="classes that moved most (lowest classifier cosine)")
        for column in ("class", "classifier cos", "mean text cos"):
            table.add_column(column)
        for c in drifted:
            table.add_row(c.class_name, f"{c.classifier_cosine:.6f}", f"{c.mean_text_cosine:.6f}" if c.mean_text_cosine is not None else "-")
        console.print(table)


@bank_app.command("sim")
def bank_sim(
    bank: Annotated[str, typer.Argument(help="Bank directory, bank id (or unique prefix), or LINEAGE@latest.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many of the most similar class pairs to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (bank, mean and max cosine, pairs) on stdout.")] = False,
) -> None:
    """The most confusable class pairs of a bank: the highest cosines between its classifier rows.

    A classifier row is the renormalised mean of a class's text embeddings, what a zero-shot model scores
    videos against; two classes with close rows are the pairs the text side cannot separate.

    Example: kgen bank sim hmdb51-prompts-vit-b-16-openai@latest --top 20
    """
    from kgen.banks.bank import load_bank
    from kgen.report.similarity import bank_similarity

    loaded = load_bank(bank)
    result = bank_similarity(
        loaded.bank_id, loaded.kind, loaded.classifier().float().cpu().numpy(), loaded.class_names, loaded.class_ids, top
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    out_console.print(
        f"[bold]{result.bank_id}[/bold]: the {len(result.pairs)} most similar class pairs of {result.classes} classes "
        f"(cosine over all pairs: mean {result.mean_cosine:.4f}, max {result.max_cosine:.4f})", highlight=False,
    )
    table = Table()
    for column, justify in (("#", "right"), ("class A", "left"), ("class B", "left"), ("cosine", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for pair in result.pairs:
        table.add_row(str(pair.rank), pair.a, pair.b, f"{pair.cosine:.4f}")
    out_console.print(table)


def _first(texts: list[str]) -> str:
    if not texts:
        return ""
    head = texts[0] if len(texts[0]) <= 50 else texts[0][:47] + "..."
    return head + (f" (+{len(texts) - 1})" if len(texts) > 1 else "")


def _summary(manifest: BankManifest, path: Path) -> dict:
    return BankSummary.of(manifest).listing() | {"path": str(path)}


def register(app: typer.Typer) -> None:
    from kgen.commands import hub

    app.command("encode-bank")(encode_bank_command)
    hub.register(bank_app)  # bank push / bank pull
    app.add_typer(bank_app, name="bank")
