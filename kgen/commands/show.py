"""``kgen show KIND --dataset X --class NAME``: what was generated for one class, readably."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kgen.console import out_console
from kgen.datasets import resolve_dataset
from kgen.errors import InputError
from kgen.knowledge.action_descriptions import ActionDescriptionsFile
from kgen.knowledge.apclip import PromptsFile
from kgen.knowledge.askg import ASKGFile
from kgen.knowledge.attributes import AttributesFile
from kgen.knowledge.base import (
    KnowledgeFile,
    knowledge_path,
    known_kinds,
    load_knowledge,
    resolve_variant,
)
from kgen.knowledge.identity import check_class_identity


def _show_prompts(knowledge: PromptsFile, class_id: int, name: str) -> None:
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    table = Table(title=f"{name}: {len(entry.prompts)} action-conditioned prompts", show_lines=False)
    for column in ("#", "aspect", "attribute", "prompt (as encoded)", "tokens"):
        table.add_column(column, overflow="fold")
    for prompt in entry.prompts:
        cut = " (cut)" if prompt.truncated else ""
        table.add_row(
            str(prompt.llm_prompt + 1), prompt.aspect, prompt.attribute, knowledge.prompt_text(name, prompt), f"{prompt.clip_tokens}{cut}"
        )
    out_console.print(table)


def _show_askg(knowledge: ASKGFile, class_id: int, name: str) -> None:
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    out_console.print(f"[bold]{name}[/bold]")
    out_console.print(f"objects ({len(entry.objects)}): {', '.join(entry.objects)}", highlight=False)
    out_console.print(f"sub-actions ({len(entry.sub_actions)}): {', '.join(entry.sub_actions)}", highlight=False)
    out_console.print(f"triples ({len(entry.triples)}):", highlight=False)
    for triple in entry.triples:
        out_console.print(f"  [{triple.kind}] {triple.render()}", highlight=False, markup=False)
    for label, prompts in (("spatial", entry.spatial), ("temporal", entry.temporal)):
        out_console.print(f"{label} prompts ({len(prompts)}):", highlight=False)
        for prompt in prompts:
            out_console.print(f"  - {prompt.text}", highlight=False, markup=False)


def _show_attributes(knowledge: AttributesFile, class_id: int, name: str) -> None:
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    out_console.print(f"[bold]{name}[/bold]")
    out_console.print(f"keywords (LLM): {'; '.join(entry.keywords)}", highlight=False, markup=False)
    out_console.print(f"candidates: {', '.join(entry.candidates)}", highlight=False, markup=False)
    out_console.print(f"top {knowledge.top_n}: {', '.join(knowledge.attribute_words(entry))}", highlight=False, markup=False)
    out_console.print(f"attribute sentence: {knowledge.sentence(entry)}", highlight=False, markup=False)


def _show_action_descriptions(knowledge: ActionDescriptionsFile, class_id: int, name: str) -> None:
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    out_console.print(f"[bold]{name}[/bold]")
    for description in entry.descriptions:
        out_console.print(f"  - {knowledge.text(name, description)}", highlight=False, markup=False)


def _missing(knowledge: KnowledgeFile, name: str) -> InputError:
    return InputError(
        f"the {knowledge.KIND} file of {knowledge.dataset} has nothing for class {name!r} (its run failed for it)",
        hint="rerun the build command: it asks only for the missing classes",
    )


def show(
    kind: Annotated[str, typer.Argument(help="prompts, askg, attributes, action-descriptions (or descriptions).")],
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="Built-in dataset name or alias.")] = None,
    classes: Annotated[Path | None, typer.Option("--classes", help="Your own class list instead of --dataset.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Dataset name for --classes.")] = None,
    class_name: Annotated[str, typer.Option("--class", "-c", help="Class name, raw label or id.")] = "",
    variant: Annotated[str | None, typer.Option("--variant", help="An imported variant of the kind (`kgen import`), e.g. stdd-askg.")] = None,
) -> None:
    """Print what was generated for one class.

    Example: kgen show askg --dataset hmdb51 --class "brush hair"
    """
    kinds = known_kinds()
    if kind not in kinds:
        raise InputError(f"unknown knowledge kind {kind!r}", hint=f"known kinds: {', '.join(sorted(kinds))}")
    if not class_name:
        raise InputError("which class? pass --class NAME", hint='e.g. --class "brush hair"')
    data = resolve_dataset(dataset, classes, name, workspace="check")
    entry = data.find_class(class_name)
    chosen = resolve_variant(data.name, kind, variant)
    knowledge = load_knowledge(data.name, kind, chosen)
    check_class_identity(knowledge, data.classes, data.name, path=knowledge_path(data.name, kind, chosen))
    if isinstance(knowledge, PromptsFile):
        _show_prompts(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, ASKGFile):
        _show_askg(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, AttributesFile):
        _show_attributes(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, ActionDescriptionsFile):
        _show_action_descriptions(knowledge, entry.id, entry.name)
    else:
        for texts in knowledge.bank_texts(data):
            if texts.class_id == entry.id:
                for text in texts.texts:
                    out_console.print(text, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("show")(show)
