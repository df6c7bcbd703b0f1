"""The analyses behind ``kgen report`` and the terminal views: bank similarity, clustered order,
t-SNE/UMAP maps, the ASKG as Mermaid/DOT, ``kgen show prompts`` as a tree, ``kgen bank sim``,
the eval and training readers."""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from bank_helpers import bank_from_embeddings
from report_workspace import synthetic_eval_result

from kgen.knowledge.askg import ASKGFile, ClassASKG, KGTriple, TriplePrompt
from kgen.knowledge.llm_provenance import LLMProvenance
from kgen.report import embedding_map, similarity
from kgen.report.eval_view import collect_result, per_class_difference
from kgen.report.graph_text import class_graph, to_dot, to_mermaid
from kgen.report.training_view import collect_run, curves_table


# ------------------------------------------------------------------------------------ similarity
def _unit(rows: list[list[float]]) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float64)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_confusable_pairs_by_hand() -> None:
    rows = _unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.8, 0.6], [0, 0, 1]])
    names = ["a", "b", "c", "d", "e"]
    pairs = similarity.confusable_pairs(rows, names, [10, 11, 12, 13, 14], top=3)
    cos_ab = 0.9 / math.hypot(0.9, 0.1)
    assert [(p.a, p.b) for p in pairs] == [("a", "b"), ("c", "d"), ("d", "e")]
    assert pairs[0].cosine == pytest.approx(cos_ab, abs=1e-6) and pairs[1].cosine == pytest.approx(0.8, abs=1e-6)
    assert pairs[2].cosine == pytest.approx(0.6, abs=1e-6)
    assert (pairs[0].rank, pairs[0].a_id, pairs[0].b_id) == (1, 10, 11)
    mean, best = similarity.pair_statistics(rows)
    sim = rows @ rows.T
    assert best == pytest.approx(cos_ab, abs=1e-6)
    assert mean == pytest.approx((sim.sum() - 5) / 20, abs=1e-6)


def test_blockwise_pairs_equal_the_full_matrix_and_ties_keep_label_order(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(23, 8))
    names = [f"c{k}" for k in range(23)]
    full = similarity.confusable_pairs(rows, names, list(range(23)), top=40)
    monkeypatch.setattr(similarity, "BLOCK_ROWS", 4)
    blocked = similarity.confusable_pairs(rows, names, list(range(23)), top=40)
    assert [(p.a, p.b) for p in blocked] == [(p.a, p.b) for p in full]
    sim = similarity.similarity_matrix(rows)
    expected = sorted(((float(sim[i, j]), i, j) for i in range(23) for j in range(i + 1, 23)), key=lambda t: (-t[0], t[1], t[2]))[:40]
    assert [(names[i], names[j]) for _, i, j in expected] == [(p.a, p.b) for p in full]
    # identical rows: the tie goes in label order
    tied = similarity.confusable_pairs(_unit([[1, 0], [1, 0], [1, 0]]), ["x", "y", "z"], [0, 1, 2], top=3)
    assert [(p.a, p.b) for p in tied] == [("x", "y"), ("x", "z"), ("y", "z")]


def test_clustered_order_puts_planted_groups_together() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 4
    groups = [0] * 5 + [1] * 4 + [2] * 6
    rows = centres[groups] + rng.normal(size=(15, 16)) * 0.3
    shuffle = rng.permutation(15)
    rows, labels = rows[shuffle], [groups[k] for k in shuffle]
    order = similarity.clustered_order(similarity.similarity_matrix(rows))
    assert sorted(order) == list(range(15))
    runs = [labels[order[0]]]
    for k in order[1:]:
        if labels[k] != runs[-1]:
            runs.append(labels[k])
    assert len(runs) == 3  # each group is one contiguous block


def test_bank_sim_command_table_and_json(run_cli, isolated_workspace: Path) -> None:
    vectors = [torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.9, 0.1, 0.0]]), torch.tensor([[0.0, 1.0, 0.0]])]
    bank = bank_from_embeddings(vectors, class_names=["run", "jog", "sit"], dataset="mini")
    path = bank.save(isolated_workspace / "banks" / bank.bank_id)
    table = run_cli("bank", "sim", str(path), "--top", "2")
    assert table.exit_code == 0, table.stderr
    assert "run" in table.stdout and "jog" in table.stdout and "0.9939" in table.stdout
    result = run_cli("bank", "sim", bank.bank_id[:12], "--top", "2", "--json")
    data = json.loads(result.stdout)
    assert data["bank_id"] == bank.bank_id and data["classes"] == 3
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [("run", "jog"), ("jog", "sit")]
    assert data["pairs"][0]["cosine"] == pytest.approx(0.9 / math.hypot(0.9, 0.1), abs=1e-6)
    assert run_cli("bank", "sim", "no-such-bank").exit_code == 3


# ------------------------------------------------------------------------------------ maps
def test_tsne_keeps_planted_neighbourhoods_and_is_deterministic() -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, 64)) * 3
    labels = np.repeat(np.arange(5), 24)
    points = centres[labels] + rng.normal(size=(120, 64))
    first = embedding_map.tsne(points, iterations=500, seed=0)
    again = embedding_map.tsne(points, iterations=500, seed=0)
    assert np.array_equal(first.coords, again.coords)
    coords = first.coords
    dist = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    neighbours = np.argsort(dist, axis=1)[:, :5]
    assert (labels[neighbours] == labels[:, None]).mean() > 0.98
    assert first.method == "t-SNE" and first.parameters["perplexity"] == 30.0
    assert 0 < first.parameters["kl_divergence"] < 2


def test_tsne_gradient_equals_the_textbook_formula() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(size=(37, 2)).astype(np.float32)
    p = rng.random((37, 37)).astype(np.float32)
    p = (p + p.T) / 2
    np.fill_diagonal(p, 0)
    p /= p.sum()
    grad = embedding_map._gradient(p, y)
    # van der Maaten & Hinton, eq. 5: dC/dy_i = 4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1
    diff = y[:, None, :].astype(np.float64) - y[None, :, :]
    kernel = 1.0 / (1.0 + (diff**2).sum(-1))
    np.fill_diagonal(kernel, 0)
    q = kernel / kernel.sum()
    expected = 4 * (((p - q) * kernel)[:, :, None] * diff).sum(axis=1)
    assert np.allclose(grad, expected, atol=1e-6)


def test_umap_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {}

    class FakeUMAP:
        def __init__(self, **kwargs):
            calls["kwargs"] = kwargs

        def fit_transform(self, x):
            calls["shape"] = x.shape
            return np.zeros((len(x), 2))

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    result = embedding_map.embed_2d(np.eye(6), "auto")
    assert result.method == "UMAP" and calls["shape"] == (6, 6)
    assert calls["kwargs"]["metric"] == "cosine" and calls["kwargs"]["n_neighbors"] == 5
    assert embedding_map.embed_2d(np.eye(6), "tsne", iterations=250).method == "t-SNE"


def test_umap_asked_for_but_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "umap", None)  # import umap -> ImportError
    from kgen.errors import InputError

    with pytest.raises(InputError, match="umap-learn"):
        embedding_map.embed_2d(np.eye(4), "umap")
    assert embedding_map.embed_2d(np.eye(4), "auto", iterations=250).method == "t-SNE"


# ------------------------------------------------------------------------------------ ASKG as text
def _askg() -> ASKGFile:
    entry = ClassASKG(
        class_id=0, class_name="brush hair", label="brush_hair",
        objects=["brush", 'the "comb"', "hair"],  # a quote: the labels must stay valid Mermaid and DOT
        sub_actions=["pick up the brush", "stroke the hair"],
        triples=[
            KGTriple(subject="brush", predicate="is used on | with", object="hair", kind="object-object"),
            KGTriple(subject="brush hair", predicate="uses", object="brush", kind="action-object"),
            KGTriple(subject="brush hair", predicate="tidies", object="hair", kind="action-object"),
            KGTriple(subject="brush hair", predicate="starts with", object="pick up the brush", kind="action-action"),
            KGTriple(subject="pick up the brush", predicate="then", object="stroke the hair", kind="action-action"),
        ],
        prompts=[TriplePrompt(triple=0, type="spatial", clause="c", text="t")],
    )
    provenance = LLMProvenance(backend="openai", model="m")
    return ASKGFile(dataset="mini", provenance=provenance, classes=[entry])


def test_askg_as_mermaid_and_dot() -> None:
    askg = _askg()
    graph = class_graph(askg, askg.classes[0])
    mermaid = to_mermaid(graph)
    lines = mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  n0["brush hair"]:::action' in lines
    assert '  n1["pick up the brush"]:::subaction' in lines and '  n2["stroke the hair"]:::subaction' in lines
    assert '  n4["the \'comb\'"]:::object' in lines  # no escape Mermaid 11 decodes: a look-alike
    assert '  n0 -->|"uses"| n3' in lines and '  n1 -->|"then"| n2' in lines and '  n0 -->|"starts with"| n1' in lines
    assert '  n3 -.->|"is used on | with"| n5' in lines  # object-object dashed; | is safe inside quotes
    assert sum(1 for line in lines if "-->" in line or "-.->" in line) == 5
    odd = to_mermaid(class_graph(askg, askg.classes[0].model_copy(update={"objects": ["a <b> #1; c"], "triples": []})))
    assert '["a ‹b› ＃1; c"]' in odd  # no HTML tag, no entity for Mermaid to misread
    dot = to_dot(graph, 'ASKG of "brush hair"')
    assert dot.startswith('digraph "ASKG of \\"brush hair\\"" {\n  rankdir=LR;')
    assert '"action:brush hair" -> "object:brush" [label="uses", color="#4a7fc9"];' in dot
    assert '"object:brush" -> "object:hair" [label="is used on | with", color="#8fa3b8", style=dashed];' in dot
    assert '"object:comb" [label="the \\"comb\\""' in dot
    assert dot.count("->") == 5 and dot.rstrip().endswith("}")


def test_show_askg_formats_and_prompts_tree(run_cli, isolated_workspace: Path, tmp_path: Path) -> None:
    classes = tmp_path / "mini.txt"
    classes.write_text("brush hair\n")
    folder = isolated_workspace / "knowledge" / "mini"
    _askg().save(folder / "askg.json")
    mermaid = run_cli("show", "askg", "--classes", str(classes), "--class", "brush hair", "--format", "mermaid")
    assert mermaid.exit_code == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart LR\n") and mermaid.stdout == to_mermaid(class_graph(_askg(), _askg().classes[0]))
    whole = run_cli("show", "askg", "--classes", str(classes), "--format", "dot")
    assert whole.exit_code == 0 and whole.stdout.startswith('digraph "ASKG of mini"')
    text = run_cli("show", "askg", "--classes", str(classes), "--class", "brush hair")
    assert "objects (3)" in text.stdout
    bad = run_cli("show", "askg", "--classes", str(classes), "--class", "brush hair", "--format", "svg")
    assert bad.exit_code == 2 and "text, mermaid, dot" in bad.stderr


def test_show_prompts_is_a_tree(run_cli, isolated_workspace: Path, tmp_path: Path) -> None:
    from openai_server import FakeOpenAIServer

    classes = tmp_path / "mini.txt"
    classes.write_text("brush hair\n")
    with FakeOpenAIServer() as server:
        built = run_cli("build-prompts", "--classes", str(classes), "--base-url", server.base_url, "--model", "fake-model")
    assert built.exit_code == 0, built.stderr
    tree = run_cli("show", "prompts", "--classes", str(classes), "--class", "brush hair")
    assert tree.exit_code == 0, tree.stderr
    lines = tree.stdout.splitlines()
    assert lines[0].startswith("brush hair: 36 action-conditioned prompts")
    assert any(line.startswith("├── Scene") for line in lines) and any(line.startswith("└── Body") for line in lines)
    assert any(line.startswith("│   ├── environment") for line in lines)
    assert sum("tokens;" in line for line in lines) == 36 and "prompts.describe" in tree.stdout
    table = run_cli("show", "prompts", "--classes", str(classes), "--class", "brush hair", "--format", "table")
    assert table.exit_code == 0 and "action-conditioned prompts" in table.stdout and "┃" in table.stdout


# ------------------------------------------------------------------------------------ readers
def test_per_class_difference_matches_classes_by_id(tmp_path: Path) -> None:
    names = ["a", "b", "c", "d"]
    first = synthetic_eval_result(tmp_path / "a.json", dataset="mini", class_names=names, class_ids=[0, 1, 2, 3],
                                  bank_id="x", bank_kind="names", videos_per_class=10, seed=1)
    # B lists the same classes in another order (another label space): matched by id, not position
    second = synthetic_eval_result(tmp_path / "b.json", dataset="mini", class_names=names[::-1], class_ids=[3, 2, 1, 0],
                                   bank_id="y", bank_kind="prompts", videos_per_class=10, seed=2)
    from zsar.engine.results import EvalReport

    assert EvalReport.load(first).runs[0].lists[0].class_ids == [0, 1, 2, 3]  # the synthetic results are valid results
    a, b = collect_result(first, "result-1"), collect_result(second, "result-2")
    (comparison,) = per_class_difference(a, b)
    raw_a = json.loads(first.read_text())["runs"][0]["lists"][0]
    raw_b = json.loads(second.read_text())["runs"][0]["lists"][0]
    for row in comparison["rows"]:
        acc_a = raw_a["per_class_top1"][raw_a["class_ids"].index(row["class_id"])]
        acc_b = raw_b["per_class_top1"][raw_b["class_ids"].index(row["class_id"])]
        assert (row["a"], row["b"], row["difference"]) == (acc_a, acc_b, acc_b - acc_a)
    assert [r["difference"] for r in comparison["rows"]] == sorted((r["difference"] for r in comparison["rows"]), reverse=True)
    assert comparison["gained"] + comparison["lost"] <= 4


def test_old_results_without_per_class_data_are_read(tmp_path: Path) -> None:
    path = synthetic_eval_result(tmp_path / "v1.json", dataset="mini", class_names=["a", "b"], class_ids=[0, 1],
                                 bank_id="x", bank_kind="names")
    raw = json.loads(path.read_text())
    raw["format_version"] = 1
    for key in ("class_ids", "class_names", "per_class_videos", "per_class_top1", "confusion", "top_k", "predictions"):
        raw["runs"][0]["lists"][0].pop(key)
    path.write_text(json.dumps(raw))
    result = collect_result(path, "result-1")
    assert not result["per_class"] and result["lists"][0]["top1"] == raw["runs"][0]["lists"][0]["top1"]


def test_training_reader_takes_nan_lines_float_steps_and_resumed_duplicates(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(
        '{"step": 1.0, "epoch": 1.0, "loss": 2.0, "accuracy": 0.25, "lr": 0.001, "grad_norm": NaN, "clips_per_second": 10}\n'
        '{"step": 2.0, "epoch": 1.0, "loss": 1.5, "accuracy": 0.5, "lr": 0.002, "grad_norm": NaN, "clips_per_second": 12}\n'
        '{"step": 2, "epoch": 1, "loss": 1.4, "accuracy": 0.5, "lr": 0.002, "grad_norm": null, "clips_per_second": 11}\n'
        '{"step": 3, "epoch": 2, "loss": Infinity, "accu'  # a line cut by a crash
    )
    data = collect_run(run)
    assert data["steps"] == [1, 2] and data["series"]["loss"] == [2.0, 1.4]  # the resumed run's line wins
    assert data["series"]["accuracy"] == [25.0, 50.0] and data["unreadable_lines"] == 1
    header, rows = curves_table(data)
    assert header == ["step", "epoch", "loss", "lr", "accuracy", "clips_per_second"]
    assert rows[1] == [2, 1, 1.4, 0.002, 50.0, 11.0]


def test_knowledge_view_shows_imported_variants_with_their_problems(isolated_workspace: Path, tmp_path: Path) -> None:
    from kgen.datasets import resolve_dataset
    from kgen.knowledge.imported import ImportProblem, ImportProvenance, SourceFile
    from kgen.report.knowledge_view import collect_knowledge

    classes = tmp_path / "mini.txt"
    classes.write_text("brush hair\nclimb\n")
    folder = isolated_workspace / "knowledge" / "mini"
    own = _askg()
    own.save(folder / "askg.json")
    imported = own.model_copy(update={"provenance": ImportProvenance(
        import_format="stdd-askg", variant="stdd-askg", repository="https://github.com/Mia-YatingYu/STDD", ref="abc123",
        files=[SourceFile(role="askg", path="classes_ASKG_mini.yml", sha256="0" * 64)],
        problems=[ImportProblem(class_name="brush hair", code="malformed-triple", entry="[comb, ]", action="dropped",
                                reason="the triple has no object")],
    )})
    imported.save(folder / "imported" / "stdd-askg" / "askg.json")
    data = collect_knowledge(resolve_dataset(None, classes))
    assert [k["key"] for k in data["kinds"]] == ["askg", "askg@stdd-askg"]
    own_kind, imported_kind = data["kinds"]
    assert own_kind["source"] == "kgen" and own_kind["provenance"]["summary"] == "LLM m via openai"
    assert imported_kind["source"] == "imported" and imported_kind["variant"] == "stdd-askg"
    assert imported_kind["provenance"]["summary"] == "imported (stdd-askg) from https://github.com/Mia-YatingYu/STDD@abc123"
    assert imported_kind["missing"] == ["climb"] and imported_kind["file_name"] == "imported/stdd-askg/askg.json"
    brush = data["classes"][0]["knowledge"]
    assert brush["askg@stdd-askg"]["import_problems"][0]["code"] == "malformed-triple"
    assert "import_problems" not in brush["askg"]
    assert [o["name"] for o in brush["askg"]["objects"]] == ["brush", 'the "comb"', "hair"]
