"""``kgen show KIND --dataset X --class NAME``: what was generated for one class, readably."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from kgen.commands.options import ClassesOpt, DatasetOpt, NameOpt
from kgen.console import out_console
from kgen.datasets import resolve_dataset
from kgen.errors import InputError
from kgen.knowledge.action_descriptions import ActionDescriptionsFile
from kgen.knowledge.apclip import PromptsFile
from kgen.knowledge.askg import ASKGFile
from kgen.knowledge.attributes import AttributesFile
from kgen.knowledge.base import (
    KnowledgeFile,
    canonical_kind,
    knowledge_path,
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


def _show_descriptions(knowledge: KnowledgeFile, class_id: int, name: str) -> None:
    """The crawled definition of one class: the refined text, then what each source returned."""
    entry = knowledge.for_class(class_id)
    if entry is None:
        raise _missing(knowledge, name)
    out_console.print(f"[bold]{escape(name)}[/bold]")
    if entry.refined:
        out_console.print(f"refined ({entry.refined_rule}): {entry.refined}", highlight=False, markup=False, soft_wrap=True)
    else:
        out_console.print("refined: none (encoded as the class name alone)", highlight=False)
    for text in entry.texts:
        sense = f", sense {text.sense}" if text.sense else ""
        used = " [used]" if text.used else ""
        out_console.print(f"  {text.source} ({text.title}{sense}){used}: {text.text}", highlight=False, markup=False, soft_wrap=True)
    for problem in entry.problems:
        out_console.print(f"  problem: {problem}", highlight=False, markup=False)


def _missing(knowledge: KnowledgeFile, name: str) -> InputError:
    make = "kgen crawl" if knowledge.KIND == "descriptions" else f"kgen build {knowledge.KIND}"
    return InputError(
        f"the {knowledge.KIND} file of {knowledge.dataset} has nothing for class {name!r} (its run failed for it)",
        hint=f"rerun `{make}` with the same --dataset/--classes as before: it asks only for the missing classes",
    )


def _entry_json(knowledge: KnowledgeFile, data, entry) -> dict:
    """``--json``: the class's entry as stored in the file, plus the texts a bank would encode."""
    found = knowledge.for_class(entry.id)  # type: ignore[attr-defined]
    if found is None:
        raise _missing(knowledge, entry.name)
    texts = next((t.texts for t in knowledge.bank_texts(data) if t.class_id == entry.id), []) if knowledge.KIND != "descriptions" else None
    return {
        "dataset": data.name, "kind": knowledge.KIND, "class": entry.model_dump(mode="json"),
        "entry": found.model_dump(mode="json"), **({"bank_texts": texts} if texts is not None else {}),
    }


def show(
    kind: Annotated[str, typer.Argument(help="descriptions (the crawled definitions; also: definitions), prompts, askg, attributes, action-descriptions, descriptors.")],
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    name: NameOpt = None,
    class_name: Annotated[str, typer.Option("--class", "-c", help="Class name, raw label or id.")] = "",
    variant: Annotated[str | None, typer.Option("--variant", help="An imported variant of the kind (`kgen import`), e.g. stdd-askg.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="askg: text, mermaid or dot (without --class: the whole dataset's graph); prompts: tree or table.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the class's entry as stored in the file (and the texts a bank encodes) as JSON on stdout.")] = False,
) -> None:
    """Print what was generated for one class.

    Example: kgen show askg --dataset hmdb51 --class "brush hair" --format mermaid
    """
    kind = canonical_kind(kind)
    if as_json and fmt != "auto":
        raise InputError("--json and --format are alternatives", hint="drop one of them")
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
        raise InputError("which class? pass --class NAME", hint=f"e.g. --class \"{data.classes[0].name}\"; `{data.show_command}` lists the classes")
    entry = data.find_class(class_name)
    chosen = resolve_variant(data.name, kind, variant)
    knowledge = load_knowledge(data.name, kind, chosen)
    check_class_identity(knowledge, data.classes, data.name, path=knowledge_path(data.name, kind, chosen))
    if as_json:
        import json

        typer.echo(json.dumps(_entry_json(knowledge, data, entry), indent=2, ensure_ascii=False))
    elif isinstance(knowledge, ASKGFile) and fmt in ("mermaid", "dot"):
        _show_askg_graph(knowledge, entry.id, entry.name, fmt)
    elif isinstance(knowledge, PromptsFile):
        (_show_prompts_tree if fmt == "tree" else _show_prompts)(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, ASKGFile):
        _show_askg(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, AttributesFile):
        _show_attributes(knowledge, entry.id, entry.name)
    elif isinstance(knowledge, ActionDescriptionsFile):
        _show_action_descriptions(knowledge, entry.id, entry.name)
    elif knowledge.KIND == "descriptions":
        _show_descriptions(knowledge, entry.id, entry.name)
    else:
        for texts in knowledge.bank_texts(data):
            if texts.class_id == entry.id:
                for text in texts.texts:
                    out_console.print(text, highlight=False, markup=False)


# The --format values of each kind (the first is the default).
SHOW_FORMATS: dict[str, tuple[str, ...]] = {"askg": ("text", "mermaid", "dot"), "prompts": ("tree", "table")}


def register(app: typer.Typer) -> None:
    app.command("show")(show)
