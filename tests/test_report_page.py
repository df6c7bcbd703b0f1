"""``kgen report`` end to end: a workspace built as users build one (crawl, knowledge from the test
LLM server, six banks of a tiny random CLIP, two real ``kgen eval`` results on synthetic videos, a
tiny training run with an evaluation logged into it), the report's files, and the page itself in a
real headless Chromium: no console error, the class search finds a class, every figure is drawn.

The index page's screenshot (and one per tab) is saved under ``test-artifacts/report/``
(``$KGEN_TEST_ARTIFACTS/report/`` when set).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from headless_browser import HeadlessChromium, find_chromium
from report_workspace import KINDS, Workspace
from wordnet_fixture import FakeSynset, write_wordnet

from kgen.banks import load_bank
from kgen.filemode import current_umask
from kgen.report.similarity import similarity_matrix

REPO = Path(__file__).resolve().parent.parent
CLASSES = ["brush hair", "climb", "dive", "kick ball", "ride bike", "shoot bow"]
SYNSETS = [
    FakeSynset("verb", "verb.contact", ["brush"], "move a brush through hair or over a surface", 3),
    FakeSynset("noun", "noun.body", ["hair"], "the threads that grow from the skin of the head", 5),
    FakeSynset("verb", "verb.motion", ["climb"], "go upward using the hands and the feet", 4),
    FakeSynset("verb", "verb.motion", ["dive"], "jump into water head first", 3),
    FakeSynset("verb", "verb.contact", ["kick"], "strike out with the foot", 4),
    FakeSynset("noun", "noun.artifact", ["ball"], "a round object that is thrown or kicked in games", 6),
    FakeSynset("verb", "verb.motion", ["ride"], "sit on and control a moving vehicle or animal", 4),
    FakeSynset("noun", "noun.artifact", ["bike", "bicycle"], "a two-wheeled vehicle moved by pedals", 3),
    FakeSynset("verb", "verb.contact", ["shoot"], "send an arrow or a bullet towards a target", 4),
    FakeSynset("noun", "noun.artifact", ["bow"], "a bent stick with a string, for shooting arrows", 2),
]
pytestmark = pytest.mark.slow


def artifacts_dir() -> Path:
    return Path(os.environ.get("KGEN_TEST_ARTIFACTS", REPO / "test-artifacts")) / "report"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("report")
    ws = Workspace(root=base / "workspace", cache=base / "cache")
    classes = base / "actions.txt"
    classes.write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KGEN_WORDNET_DIR", str(write_wordnet(base / "wordnet", SYNSETS)))
        ws.build_knowledge(["--classes", str(classes)])
    _import_variant(ws.root / "knowledge" / "actions")
    ws.encode_banks(["--classes", str(classes)])
    videos = ws.synthetic_videos(base / "videos", len(CLASSES))
    for kind in ("names", "prompts"):
        ws.eval_frozen_clip(["--classes", str(classes)], kind, videos, ws.root / "results" / f"{kind}.json")
    run = ws.root / "runs" / "tiny-ap-clip"
    ws.train(run, ["--classes", str(classes)], videos, logger="csv", steps=6)
    ws.eval_checkpoint(run, ["--classes", str(classes)], videos)
    ws.report_args = ["--classes", str(classes)]
    ws.kgen("report", *ws.report_args)
    return ws


def _import_variant(folder: Path) -> None:
    """An imported variant of the ASKG (as `kgen import stdd-askg` writes one), with a dropped entry."""
    from kgen.knowledge.askg import ASKGFile
    from kgen.knowledge.imported import ImportProblem, ImportProvenance, SourceFile

    own = ASKGFile.load(folder / "askg.json")
    provenance = ImportProvenance(
        import_format="stdd-askg", variant="stdd-askg", repository="https://github.com/Mia-YatingYu/STDD",
        files=[SourceFile(role="askg", path="classes_ASKG_actions.yml", sha256="0" * 64)],
        problems=[ImportProblem(class_name="kick ball", code="malformed-triple", entry="[ball, ]", action="dropped",
                                reason="the triple has no object")],
    )
    own.model_copy(update={"provenance": provenance, "classes": own.classes[:4]}).save(
        folder / "imported" / "stdd-askg" / "askg.json")


def _report(ws: Workspace) -> Path:
    return ws.root / "reports" / "actions"


def test_report_files_hold_every_figure_s_data(workspace: Workspace) -> None:
    report = _report(workspace)
    # the folder was built as a private temporary folder, then renamed: it has the umask's mode
    assert (report.stat().st_mode & 0o777) == (0o777 & ~current_umask())
    assert ((report / "report.json").stat().st_mode & 0o777) == (0o666 & ~current_umask())
    summary = json.loads((report / "report.json").read_text())
    assert summary["counts"] == {"classes": 6, "kinds": 6, "banks": 6, "maps": 1, "results": 2, "runs": 1}
    # bank heatmap: the CSV is the cosine of the bank's classifier rows, labelled by class
    banks = sorted((report / "figures" / "banks").iterdir())
    assert len([b for b in banks if b.is_dir()]) == 6
    prompts_dir = next(b for b in banks if "-prompts-" in b.name)
    bank = load_bank(workspace.root / "banks" / prompts_dir.name)
    with open(prompts_dir / "similarity.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][1:] == bank.class_names and [r[0] for r in rows[1:]] == bank.class_names
    values = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    assert np.allclose(values, similarity_matrix(bank.classifier().numpy()), atol=2e-6)
    pairs = json.loads((prompts_dir / "confusable_pairs.json").read_text())
    assert len(pairs["pairs"]) == 15  # all 6 x 5 / 2 pairs (fewer than --top 20)
    best = pairs["pairs"][0]
    i, j = bank.class_names.index(best["a"]), bank.class_names.index(best["b"])
    assert best["cosine"] == pytest.approx(values[i, j], abs=2e-6) == pytest.approx(values[values < 0.999999].max(), abs=2e-6)
    # map: one point per class and bank
    with open(report / "figures" / "map" / "map-1" / "points.csv", newline="") as handle:
        points = list(csv.DictReader(handle))
    assert len(points) == 6 * len(KINDS) and {p["kind"] for p in points} == set(KINDS)
    # evaluation: per-class accuracy and confusion as the results hold them
    result = json.loads((workspace.root / "results" / "names.json").read_text())["runs"][0]["lists"][0]
    per_class_csv = next((report / "figures" / "eval").glob("*-names/*.per_class.csv"))
    with open(per_class_csv, newline="") as handle:
        per_class = list(csv.DictReader(handle))
    assert [r["class"] for r in per_class] == result["class_names"]
    assert [float(r["top1"]) for r in per_class] == pytest.approx(result["per_class_top1"])
    differences = list((report / "figures" / "eval" / "differences").glob("*.csv"))
    assert len(differences) == 1
    # training curves: the logged steps
    curves = next((report / "figures" / "training").glob("*/curves.csv"))
    with open(curves, newline="") as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle)]
    logged = [json.loads(line)["step"] for line in (workspace.root / "runs" / "tiny-ap-clip" / "metrics.jsonl").read_text().splitlines()]
    assert steps == logged == [1, 2, 3, 4, 5, 6]
    # nothing in the folder points at the network
    for path in [report / "index.html", *(report / "assets").iterdir()]:
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text


def test_a_rebuild_replaces_the_report_and_a_foreign_folder_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    report = _report(workspace)
    (report / "stale.txt").write_text("from an older report")
    workspace.kgen("report", *workspace.report_args, "--bank", "actions-names-kgen-tiny-vit-random@latest", "--run", str(tmp_path / "none"),
                   expect=2)  # a --run that is no run folder: an input error, nothing replaced
    assert (report / "stale.txt").is_file()
    workspace.kgen("report", *workspace.report_args)
    assert not (report / "stale.txt").exists() and (report / "index.html").is_file()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    workspace.kgen("report", *workspace.report_args, "--out", str(foreign), expect=2)
    assert (foreign / "notes.txt").read_text() == "keep me" and not (foreign / "index.html").exists()


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        if os.environ.get("KGEN_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
        pytest.skip("chromium is not installed: run scripts/setup.sh (apt-get install chromium)")
    with HeadlessChromium(width=1400, height=1000) as running:
        yield running


FIGURES = {
    "knowledge": ["#class-search", "#class-list li", ".askg-graph .node", ".attr-tree .prompt", "#k-descriptions .definition",
                  "#k-descriptions .sense-choice",
                  "#k-attributes .chip", "#k-action-descriptions li"],
    "banks": ["#heatmap", "#pairs-table tbody tr", "#bank-summary tbody tr"],
    "map": ["#class-map circle"],
    "evaluation": ["#per-class-accuracy rect", "#confusion", "#top-confusions", "#accuracy-difference rect"],
    "training": ["#curve-run-1-loss path", "#curve-run-1-lr path", "#curve-run-1-accuracy path",
                 "#curve-run-1-clips_per_second path", "#curve-run-1-accuracy circle", "#evals-run-1 tbody tr"],
}


def _count(browser: HeadlessChromium, selector: str) -> int:
    return browser.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length")


def test_the_page_in_a_headless_browser(workspace: Workspace, browser: HeadlessChromium) -> None:
    report = _report(workspace)
    shots = artifacts_dir()
    shutil.rmtree(shots, ignore_errors=True)
    browser.open((report / "index.html").as_uri())
    browser.wait_for("document.querySelectorAll('#tabs a').length === 6")
    assert browser.evaluate("document.title") == "actions (actions.txt) — kgen report"
    browser.screenshot(shots / "index.png")
    assert (shots / "index.png").stat().st_size > 10_000
    assert browser.evaluate("document.querySelector('#view-overview .stat-row').innerText").replace("\n", " ").startswith("6 classes")

    # the class search finds a class, and Enter opens it
    browser.evaluate("location.hash = '#knowledge'")
    browser.wait_for("document.querySelectorAll('#class-list li').length === 6")
    browser.evaluate("""(() => { const box = document.getElementById('class-search'); box.value = 'kick';
        box.dispatchEvent(new Event('input')); })()""")
    visible = browser.evaluate("[...document.querySelectorAll('#class-list li')].filter(li => !li.hidden).map(li => li.dataset.name)")
    assert visible == ["kick ball"]
    browser.evaluate("""document.getElementById('class-search').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}))""")
    browser.wait_for("document.getElementById('class-title') && document.getElementById('class-title').textContent === 'kick ball'")
    assert browser.evaluate("location.hash") == "#knowledge/kick%20ball"
    graph_nodes = _count(browser, "#askg-graph-askg .node")
    askg = json.loads((workspace.root / "knowledge" / "actions" / "askg.json").read_text())
    entry = next(c for c in askg["classes"] if c["class_name"] == "kick ball")
    assert graph_nodes == 1 + len(entry["objects"]) + len(entry["sub_actions"])
    assert _count(browser, "#askg-graph-askg .edge") == len(entry["triples"])
    # the imported variant is a panel of its own, with its provenance and what its import dropped here
    imported = browser.evaluate("document.getElementById('k-askg@stdd-askg').innerText")
    assert "imported: stdd-askg" in imported and "imported (stdd-askg) from https://github.com/Mia-YatingYu/STDD" in imported
    assert "import dropped (malformed-triple): [ball, ] — the triple has no object" in imported
    assert _count(browser, "#askg-graph-askg-stdd-askg .node") == graph_nodes
    assert _count(browser, ".attr-tree .prompt") == 36

    for tab, selectors in FIGURES.items():
        browser.evaluate(f"location.hash = '#{tab}'")
        browser.wait_for(f"!!document.querySelector({json.dumps(selectors[0])})")
        for selector in selectors:
            assert _count(browser, selector) > 0, f"{tab}: nothing matches {selector}"
        browser.screenshot(shots / f"{tab}.png", full_page=True)
    # figures hold what they should
    browser.evaluate("location.hash = '#map'")
    assert _count(browser, "#class-map circle") == 6 * len(KINDS)
    browser.evaluate("location.hash = '#evaluation'")
    assert _count(browser, "#per-class-accuracy rect") == 6
    for key in ("names", "prompts"):  # every bank's heatmap draws (each is loaded on demand)
        bank_key = browser.evaluate(f"KGEN.store.overview.banks.find(b => b.kind === '{key}').key")
        browser.evaluate(f"location.hash = '#banks/{bank_key}'")
        browser.wait_for(f"document.querySelector('#fig-bank-heatmap .fig-title') && "
                         f"document.querySelector('#fig-bank-heatmap .fig-title').textContent.endsWith('{key} bank')")
        painted = browser.evaluate("""(() => { const c = document.getElementById('heatmap');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();
            for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]); return seen.size; })()""")
        assert painted > 20  # many colours: the matrix is drawn, not a blank canvas
    requested = browser.requested_urls()
    assert any(url.endswith("/data/knowledge.js") for url in requested) and any(url.endswith("/assets/report.css") for url in requested)
    assert all(url.startswith("file://") for url in requested), [u for u in requested if not u.startswith("file://")]
    assert browser.errors() == []


def test_a_report_of_knowledge_only_opens_without_errors(workspace: Workspace, browser: HeadlessChromium, tmp_path: Path) -> None:
    out = tmp_path / "bare"
    workspace.kgen("report", *workspace.report_args, "--bank", "actions-names-kgen-tiny-vit-random@latest",
                   "--eval", str(workspace.root / "results" / "names.json"), "--out", str(out))
    before = len(browser.errors())
    browser.open((out / "index.html").as_uri())
    for tab in ("knowledge", "banks", "map", "evaluation", "training"):
        browser.evaluate(f"location.hash = '#{tab}'")
        browser.wait_for(f"!document.getElementById('view-{tab}').hidden && document.querySelectorAll('#view-{tab} .empty, #view-{tab} .figure, #view-{tab} .card, #view-{tab} .browser').length")
    # one result only: the difference figure says what to give it
    browser.evaluate("location.hash = '#evaluation'")
    browser.wait_for("!!document.getElementById('accuracy-difference-empty')")
    assert browser.errors()[before:] == []
