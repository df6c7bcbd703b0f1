"""The STDD knowledge graph as text other tools draw: Mermaid (GitHub, GitLab and many Markdown
viewers render it) and Graphviz DOT (``dot -Tsvg``).

Both render the graph :func:`kgen.knowledge.askg.askg_graph` builds, so a class's graph and the
whole dataset's graph (where concepts shared by several classes are one node) are drawn the same
way: action classes dark, sub-actions orange, objects blue; action-action edges (the sub-action
chain) solid orange, action-object edges solid blue, object-object edges dashed; every edge
labelled with its predicate.
"""

from __future__ import annotations

import re

import networkx as nx

from kgen.knowledge.askg import ASKGFile, ClassASKG, askg_graph

STYLE = {
    "action": {"fill": "#17202c", "stroke": "#17202c", "color": "#ffffff"},
    "sub-action": {"fill": "#fff4e0", "stroke": "#d08a1c", "color": "#1d2530"},
    "object": {"fill": "#e8f1fd", "stroke": "#4a7fc9", "color": "#1d2530"},
}
EDGE_COLOUR = {"action-action": "#d08a1c", "action-object": "#4a7fc9", "object-object": "#8fa3b8"}


def class_graph(askg: ASKGFile, entry: ClassASKG) -> nx.MultiDiGraph:
    """The graph of one class (the dataset graph restricted to that class's triples)."""
    return askg_graph(askg.model_copy(update={"classes": [entry]}))


def _node_order(graph: nx.MultiDiGraph) -> list[str]:
    rank = {"action": 0, "sub-action": 1, "object": 2}
    return sorted(graph.nodes, key=lambda n: rank.get(graph.nodes[n].get("type", "object"), 3))  # stable: file order within a type


def _mermaid_text(text: str) -> str:
    """A label inside Mermaid's double quotes.

    Mermaid's entity codes (``#quot;``) are not decoded by Mermaid 11 (checked with 11.17: they
    show as garbage), and ``<...>`` is taken for HTML and dropped. So the few characters that
    break a label are replaced by look-alikes: ``"`` by ``'``, ``<``/``>`` by ``‹``/``›``, and the
    ``#`` of a ``#word;`` (which Mermaid reads as an entity) by ``＃``.
    """
    text = re.sub(r"#(?=\w+;)", "＃", text)
    return text.replace('"', "'").replace("<", "‹").replace(">", "›").replace("\n", " ")


def to_mermaid(graph: nx.MultiDiGraph, direction: str = "LR") -> str:
    """A Mermaid ``flowchart`` of the graph."""
    ids = {node: f"n{k}" for k, node in enumerate(_node_order(graph))}
    lines = [f"flowchart {direction}"]
    for node, short in ids.items():
        data = graph.nodes[node]
        css = "subaction" if data.get("type") == "sub-action" else data.get("type", "object")
        lines.append(f'  {short}["{_mermaid_text(str(data.get("label", node)))}"]:::{css}')
    for source, target, data in graph.edges(data=True):
        label = _mermaid_text(str(data.get("predicate", "")))
        arrow = "-.->" if data.get("kind") == "object-object" else "-->"
        lines.append(f'  {ids[source]} {arrow}|"{label}"| {ids[target]}')
    for css, kind in (("action", "action"), ("subaction", "sub-action"), ("object", "object")):
        style = STYLE[kind]
        lines.append(f"  classDef {css} fill:{style['fill']},stroke:{style['stroke']},color:{style['color']}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: nx.MultiDiGraph, name: str) -> str:
    """A Graphviz ``digraph`` of the graph (left to right)."""
    lines = [
        f"digraph {_dot_text(name)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in _node_order(graph):
        data = graph.nodes[node]
        style = STYLE.get(str(data.get("type")), STYLE["object"])
        lines.append(
            f"  {_dot_text(str(node))} [label={_dot_text(str(data.get('label', node)))}, fillcolor=\"{style['fill']}\", "
            f"color=\"{style['stroke']}\", fontcolor=\"{style['color']}\"];"
        )
    for source, target, data in graph.edges(data=True):
        kind = str(data.get("kind", ""))
        dashed = ", style=dashed" if kind == "object-object" else ""
        lines.append(
            f"  {_dot_text(str(source))} -> {_dot_text(str(target))} [label={_dot_text(str(data.get('predicate', '')))}, "
            f"color=\"{EDGE_COLOUR.get(kind, '#6b7785')}\"{dashed}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
