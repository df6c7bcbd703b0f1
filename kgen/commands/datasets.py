"""``kgen datasets``: list the built-in datasets, show one's classes and splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen.commands.options import JsonOpt
from kgen.console import out_console
from kgen.datasets import Dataset, builtin_names, load_builtin, resolve_dataset

datasets_app = typer.Typer(
    help="Built-in datasets and class lists.\n\nExample: kgen datasets show k600 --split zs_split1",
    invoke_without_command=True,
    no_args_is_help=False,
)


@datasets_app.callback()
def _datasets(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        list_datasets(as_json=False)


@datasets_app.command("list")
def list_datasets(
    as_json: JsonOpt = False,
) -> None:
    """List the built-in datasets.

    Example: kgen datasets list --json
    """
    rows = []
    for name in builtin_names():
        dataset = load_builtin(name)
        assert dataset.spec is not None
        rows.append(
            {
                "name": name,
                "title": dataset.title,
                "classes": len(dataset.classes),
                "class_splits": dataset.split_names,
                "video_lists": [v.name for v in dataset.spec.video_lists],
                "aliases": dataset.spec.aliases,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="built-in datasets (kgen datasets show NAME)")
    for column in ("name", "title", "classes", "class splits", "video lists"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"], row["title"], str(row["classes"]), ", ".join(row["class_splits"]), str(len(row["video_lists"]))
        )
    out_console.print(table)


@datasets_app.command("show")
def show_dataset(
    name: Annotated[str | None, typer.Argument(help="Dataset name or alias (see `kgen datasets`).")] = None,
    classes: Annotated[Path | None, typer.Option("--classes", help="Your own class list (.txt one per line, .csv or .json) instead of NAME.")] = None,
    split: Annotated[str | None, typer.Option("--split", help="Show only this class split, in its label order.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a dataset's classes (id, raw label, readable name), class splits and video lists.

    Example: kgen datasets show hmdb51
    """
    dataset = resolve_dataset(name, classes)
    entries = dataset.split_classes(split) if split else list(dataset.classes)
    if as_json:
        typer.echo(json.dumps(_as_dict(dataset, split, entries), indent=2, ensure_ascii=False))
        return
    title = f"{dataset.title} ({dataset.name}): {len(entries)} classes" + (f", split {split}" if split else "")
    table = Table(title=title)
    if split:
        table.add_column("split id", justify="right")
    for column in ("id", "label", "name"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for position, entry in enumerate(entries):
        cells = [str(entry.id), entry.label, entry.name]
        table.add_row(*([str(position)] + cells if split else cells))
    out_console.print(table)
    if dataset.spec and not split:
        splits = Table(title="class splits (kgen datasets show NAME --split SPLIT)")
        for column in ("split", "classes", "description"):
            splits.add_column(column)
        for class_split in dataset.spec.class_splits:
            splits.add_row(class_split.name, str(len(class_split.class_ids)), class_split.description)
        out_console.print(splits)
        lists = Table(title="video lists")
        for column in ("list", "videos", "labels", "description"):
            lists.add_column(column)
        for video_list in dataset.spec.video_lists:
            lists.add_row(video_list.name, str(video_list.rows), video_list.label_space or "all", video_list.description)
        out_console.print(lists)
        out_console.print("sources: " + "; ".join(f"{s.what}: {s.repository} @ {s.commit}" for s in dataset.spec.sources))


def _as_dict(dataset: Dataset, split: str | None, entries: list) -> dict:
    data: dict = {
        "name": dataset.name,
        "title": dataset.title,
        "origin": dataset.origin,
        "split": split,
        "classes": [entry.model_dump() for entry in entries],
    }
    if dataset.spec and not split:
        data["class_splits"] = [s.model_dump() for s in dataset.spec.class_splits]
        data["video_lists"] = [v.model_dump() for v in dataset.spec.video_lists]
        data["sources"] = [s.model_dump() for s in dataset.spec.sources]
    return data


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
