"""``kgen crawl --explain CLASS``: how WordNet's senses were chosen for one class, and how to pin
another.

The explanation runs the offline crawl of the whole dataset (the choice of one class depends on
the others: one sense per discourse, ``senses.py``), writes nothing, and prints for every chunk of
the class its role, the best candidates with their scores and definitions, the evidence for the
winner and for the runner-up, and the line to add to the overrides file to pin another sense.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from rich.table import Table

from kgen.cache import ResponseCache
from kgen.console import out_console
from kgen.crawl.crawler import CrawlSettings, crawl, dataset_overrides
from kgen.crawl.descriptions import ClassDescription
from kgen.crawl.overrides import OVERRIDES_FILE_NAMES
from kgen.crawl.senses import ChunkChoice, ScoredSense
from kgen.datasets import Dataset
from kgen.errors import InputError
from kgen.paths import knowledge_dir

SHOWN_CANDIDATES = 4


@dataclass(frozen=True)
class Explanation:
    dataset: str
    description: ClassDescription
    choices: list[ChunkChoice]
    overrides_path: Path


def find_class(dataset: Dataset, name: str) -> str:
    """The dataset's spelling of class ``name`` (case-insensitive), or an InputError with a suggestion."""
    names = [entry.name for entry in dataset.classes]
    lookup = {n.lower(): n for n in names}
    found = lookup.get(name.strip().lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(name.strip().lower(), list(lookup), n=3, cutoff=0.5)
    hint = (
        "did you mean " + " or ".join(repr(lookup[c]) for c in close) + "?"
        if close
        else f"list the classes with `kgen datasets show {dataset.name}`"
    )
    raise InputError(f"{name!r} is not a class of {dataset.name}", hint=hint)


def explain_class(dataset: Dataset, settings: CrawlSettings, name: str) -> Explanation:
    """Run the offline crawl of ``dataset`` and keep what it chose for class ``name``."""
    class_name = find_class(dataset, name)
    offline = replace(settings, offline=True, sources=("wordnet",), show_progress=False)
    overrides = dataset_overrides(dataset, offline)
    with ResponseCache() as cache:
        outcome = crawl(dataset, offline, cache)
    description = next(c for c in outcome.file.classes if c.class_name == class_name)
    path = (
        overrides.path
        if overrides is not None and overrides.path is not None
        else knowledge_dir(dataset.name) / OVERRIDES_FILE_NAMES[0]
    )
    return Explanation(
        dataset=dataset.name,
        description=description,
        choices=outcome.choices.get(description.class_id, []),
        overrides_path=Path(path),
    )


def _evidence_lines(sense: ScoredSense) -> list[str]:
    # zero points say something too where they are a note (a derived word form) or the best
    # similarity of the chunk
    return [
        f"{e.points:+.2f} {e.kind}: {e.why}" for e in sense.evidence if e.points or e.kind in ("form", "similarity")
    ]


def print_explanation(explanation: Explanation) -> None:
    d = explanation.description
    out_console.print(f"[bold]{d.class_name}[/bold] ({explanation.dataset}), offline, WordNet")
    if d.qualifiers:
        out_console.print(f"qualifiers (context, never defined): {', '.join(d.qualifiers)}", highlight=False)
    if d.override is not None:
        out_console.print(
            f"overridden by {d.override.file}: {d.override.kind} = {d.override.value}", highlight=False
        )
    if not explanation.choices:
        out_console.print("WordNet has no sense for any word of this name.", highlight=False)
    for choice in explanation.choices:
        out_console.print(
            f"\n[bold]{choice.chunk.text!r}[/bold]: role {choice.role}, {choice.candidates} candidate sense(s)",
            highlight=False,
        )
        if choice.chosen is None:
            if choice.left_out:
                out_console.print(
                    f"  no sense fits the name, left out of the description: {choice.left_out}",
                    highlight=False,
                    soft_wrap=True,
                )
            else:
                out_console.print("  no WordNet sense: left out of the description", highlight=False)
            continue
        table = Table(show_header=True, header_style="bold")
        for column in ("", "sense", "score", "definition"):
            table.add_column(column, justify="right" if column == "score" else "left")
        for rank, sense in enumerate([choice.chosen, *choice.runners_up[:SHOWN_CANDIDATES - 1]]):
            table.add_row(
                "chosen" if rank == 0 else f"#{rank + 1}",
                sense.name,
                f"{sense.score:.2f}",
                sense.definition,
            )
        out_console.print(table)
        margin = choice.margin
        why = (
            "pinned by the overrides file"
            if choice.pinned
            else "the only sense"
            if margin is None
            else f"decided by {choice.decided_by}, {margin:.2f} ahead of the runner-up"
            + (" (low confidence)" if choice.low_confidence else "")
        )
        out_console.print(f"  why: {why}", highlight=False)
        out_console.print(f"  evidence for {choice.chosen.name}:", highlight=False)
        for line in _evidence_lines(choice.chosen):
            out_console.print(f"    {line}", highlight=False, soft_wrap=True)
        if choice.runners_up:
            runner = choice.runners_up[0]
            out_console.print(f"  evidence for the runner-up {runner.name}:", highlight=False)
            for line in _evidence_lines(runner):
                out_console.print(f"    {line}", highlight=False, soft_wrap=True)
    out_console.print(f"\nrefined ({d.refined_rule}): {d.refined or '(none)'}", highlight=False, soft_wrap=True)
    # the hint pins the runner-up of the closest call
    contested = sorted(
        (c for c in explanation.choices if c.runners_up),
        key=lambda c: c.margin if c.margin is not None else 0.0,
    )
    target = contested[0] if contested else (explanation.choices[0] if explanation.choices else None)
    example = target.runners_up[0].name if target is not None and target.runners_up else "lemma.pos.NN"
    chunk = target.chunk.text if target is not None else ""
    pin = (
        f"wordnet: {example}"
        if len(explanation.choices) <= 1
        else f"wordnet: {{{chunk}: {example}}}"
    )
    out_console.print(
        f"to pin another sense, add to {explanation.overrides_path}:\n"
        f"  classes:\n    {d.class_name}:\n      {pin}",
        highlight=False,
    )
