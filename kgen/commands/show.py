"""``kgen show KIND --dataset X --class NAME``: what was generated for one class, readably."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

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


def _show_prompts_tree(knowledge: PromptsFile, class_id: int, name: str) -> None:
    """The attribute hierarchy with each attribute's prompts under it: aspect -> attribute -> prompts."""
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    steps = [record.step for record in knowledge.provenance.prompts]
    prefix = knowledge.prefix_template.format(action=name)
    tree = Tree(f"[bold]{escape(name)}[/bold]: {len(entry.prompts)} action-conditioned prompts, each encoded as "
                f"\"{escape(prefix)} <prompt>\"")
    for aspect in knowledge.aspects:
        aspect_node = tree.add(f"[bold blue]{escape(aspect.name)}[/bold blue]")
        for attribute in aspect.attributes:
            label = f"[bold]{escape(attribute.name)}[/bold]" + (f" [dim]{escape(attribute.description)}[/dim]" if attribute.description else "")
            attribute_node = aspect_node.add(label)
            for prompt in entry.prompts:
                if prompt.aspect != aspect.name or prompt.attribute != attribute.name:
                    continue
                step = steps[prompt.llm_prompt] if len(steps) == len(knowledge.llm_prompts) else f"LLM-prompt {prompt.llm_prompt + 1}"
                cut = ", cut" if prompt.truncated else ""
                attribute_node.add(f"{escape(prompt.text)} [dim]({prompt.clip_tokens} tokens{cut}; {escape(step)})[/dim]")
    out_console.print(tree, highlight=False)


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


def _show_askg_graph(knowledge: ASKGFile, class_id: int | None, name: str | None, fmt: str) -> None:
    """The class's graph (or, without a class, the dataset's) as Mermaid or Graphviz DOT on stdout."""
    from kgen.knowledge.askg import askg_graph
    from kgen.report.graph_text import class_graph, to_dot, to_mermaid

    if class_id is None:
        graph, title = askg_graph(knowledge), f"ASKG of {knowledge.dataset}"
    else:
        entry = knowledge.for_class(class_id)
        if entry is None:
            raise _missing(knowledge, name or str(class_id))
        graph, title = class_graph(knowledge, entry), f"ASKG of {name}"
    typer.echo(to_mermaid(graph) if fmt == "mermaid" else to_dot(graph, title), nl=False)


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
    fmt: Annotated[str, typer.Option("--format", "-f", help="askg: text, mermaid or dot (without --class: the whole dataset's graph); prompts: tree or table.")] = "auto",
) -> None:
    """Print what was generated for one class.

    Example: kgen show askg --dataset hmdb51 --class "brush hair" --format mermaid
    """
    kinds = known_kinds()
    if kind not in kinds:
        raise InputError(f"unknown knowledge kind {kind!r}", hint=f"known kinds: {', '.join(sorted(kinds))}")
    formats = SHOW_FORMATS.get(kind, ("text",))
    fmt = formats[0] if fmt == "auto" else fmt
    if fmt not in formats:
        raise InputError(f"{kind} has no --format {fmt!r}", hint=f"formats of {kind}: {', '.join(formats)}")
    data = resolve_dataset(dataset, classes, name, workspace="check")
    if kind == "askg" and fmt in ("mermaid", "dot") and not class_name:
        whole = load_knowledge(data.name, kind, resolve_variant(data.name, kind, variant))
        _show_askg_graph(whole, None, None, fmt)  # type: ignore[arg-type]
        return
    if not class_name:
        raise InputError("which class? pass --class NAME", hint='e.g. --class "brush hair"')
    entry = data.find_class(class_name)
    chosen = resolve_variant(data.name, kind, variant)
    knowledge = load_knowledge(data.name, kind, chosen)
    check_class_identity(knowledge, data.classes, data.name, path=knowledge_path(data.name, kind, chosen))
    if isinstance(knowledge, ASKGFile) and fmt in ("mermaid", "dot"):
        _show_askg_graph(knowledge, entry.id, entry.name, fmt)
    elif isinstance(knowledge, PromptsFile):
        (_show_prompts_tree if fmt == "tree" else _show_prompts)(knowledge, entry.id, entry.name)
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


# The --format values of each kind (the first is the default).
SHOW_FORMATS: dict[str, tuple[str, ...]] = {"askg": ("text", "mermaid", "dot"), "prompts": ("tree", "table")}


def register(app: typer.Typer) -> None:
    app.command("show")(show)
