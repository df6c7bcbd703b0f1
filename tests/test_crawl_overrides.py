"""Overrides (``crawl-overrides.yaml``), ``kgen crawl --explain`` and the sense records of
descriptions.json, end to end through the CLI (offline, on the sense fixture's WordNet)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from crawl_content import crawl_environment
from sense_fixture import sense_wordnet

from kgen.crawl.descriptions import DescriptionsFile
from kgen.knowledge.base import load_knowledge

CLASSES = ["catch", "clap", "playing cello", "flic flac", "hurling (sport)", "opening present"]


def flat(text: str) -> str:
    return " ".join(text.split())


def setup(tmp_path: Path, workspace: Path, overrides: str | None, name: str = "crawl-overrides.yaml") -> list[str]:
    classes = tmp_path / "classes.txt"
    classes.write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    wordnet = sense_wordnet(tmp_path / "wordnet")
    if overrides is not None:
        folder = workspace / "knowledge" / "testset"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(overrides, encoding="utf-8")
    return ["crawl", "--classes", str(classes), "--name", "testset", "--offline", "--wordnet-dir", str(wordnet)]


def load() -> dict:
    loaded = load_knowledge("testset", "descriptions")
    assert isinstance(loaded, DescriptionsFile)
    return {c.class_name: c for c in loaded.classes}


OVERRIDES = """\
classes:
  catch:
    wordnet: catch.v.01
    note: the sense we want
  Playing Cello:
    wordnet: {playing: play.v.01}
  flic flac:
    text: a back handspring, a gymnastics move
  hurling (sport):
    wikipedia: Hurling
"""


def test_overrides_pin_a_sense_a_chunk_a_text_and_a_title(tmp_path: Path, isolated_workspace: Path, run_cli) -> None:
    result = run_cli(*setup(tmp_path, isolated_workspace, OVERRIDES))
    assert result.exit_code == 0, result.stderr
    classes = load()
    path = str(isolated_workspace / "knowledge" / "testset" / "crawl-overrides.yaml")

    catch = classes["catch"]
    assert catch.refined.startswith("discover or come upon accidentally")
    assert catch.override is not None and catch.override.kind == "wordnet" and catch.override.note == "the sense we want"
    assert catch.override.file == path
    [used] = [t for t in catch.texts if t.used]
    assert used.source == "wordnet" and used.choice is not None and used.choice.pinned == path
    assert used.choice.decided_by == "pinned"

    cello = classes["playing cello"]  # matched whatever the case in the file
    assert cello.refined.startswith("participate in games or sport")
    pinned = {t.query: t.choice.pinned for t in cello.texts if t.choice is not None}
    assert pinned == {"playing": path, "cello": None}  # the other chunk is still chosen by the rules

    flic = classes["flic flac"]
    assert flic.refined == "a back handspring, a gymnastics move." and flic.refined_rule == "manual"
    assert [t.source for t in flic.texts if t.used] == ["manual"]

    hurling = classes["hurling (sport)"]
    assert hurling.qualifiers == ["sport"]
    assert "wikipedia: the pinned title 'Hurling' was not used: the network is not used (--offline)" in hurling.problems
    assert hurling.refined.startswith("a traditional Irish game")  # WordNet, with "(sport)" as context

    described = load_knowledge("testset", "descriptions")
    assert described.provenance.parameters["overrides"] == {"file": path, "classes": 4}  # type: ignore[attr-defined]
    assert "4 overridden" in flat(result.stdout)


def test_an_overrides_file_can_be_json_named_on_the_command_line_or_ignored(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    args = setup(tmp_path, isolated_workspace, OVERRIDES)  # the workspace's YAML ...
    other = tmp_path / "pins.json"
    other.write_text(json.dumps({"classes": {"clap": {"text": "strike the palms together"}}}), encoding="utf-8")
    assert run_cli(*args, "--overrides", str(other)).exit_code == 0  # ... replaced by this file
    classes = load()
    assert classes["clap"].refined == "strike the palms together." and classes["catch"].override is None
    assert run_cli(*args, "--no-overrides").exit_code == 0
    assert all(c.override is None for c in load().values())


def test_a_wrong_overrides_file_is_a_clear_error(tmp_path: Path, isolated_workspace: Path, run_cli) -> None:
    cases = [
        ("classes:\n  cathc:\n    wordnet: catch.v.01\n", "'cathc' is not a class of this dataset", "did you mean 'catch'"),
        ("classes:\n  catch:\n    wordnet: catch.v.99\n", "'catch' has 3 verb sense(s), not 99", "--explain"),
        ("classes:\n  catch:\n    wordnet: catch.x.1\n", "is not a WordNet sense id", "--explain"),
        ("classes:\n  playing cello:\n    wordnet: {pitching: play.v.01}\n", "has no chunk 'pitching'", "'playing', 'cello'"),
        ("classes:\n  catch:\n    wordnet: catch.v.01\n    text: x\n", "give exactly one of", "exactly one"),
        ("classes: [catch\n", "is not valid YAML", "fix the syntax"),
    ]
    for text, message, hint in cases:
        args = setup(tmp_path, isolated_workspace, text)
        result = run_cli(*args)
        assert result.exit_code == 2, (text, result.stdout)
        assert message in flat(result.stderr) and hint in flat(result.stderr), flat(result.stderr)
        assert not (isolated_workspace / "knowledge" / "testset" / "descriptions.json").exists()


def test_a_pinned_wikipedia_title_is_fetched_and_used(tmp_path: Path, isolated_workspace: Path, run_cli) -> None:
    folder = isolated_workspace / "knowledge" / "testset"
    folder.mkdir(parents=True)
    (folder / "crawl-overrides.yaml").write_text(
        "classes:\n  flic flac:\n    wikipedia: Back handspring\n  brush hair:\n    wikipedia: No such page\n",
        encoding="utf-8",
    )
    with crawl_environment(tmp_path, classes=["flic flac", "brush hair"]) as env:
        result = run_cli(*env.cli_args())
    assert result.exit_code == 0, result.stderr
    classes = load()
    flic = classes["flic flac"]
    assert flic.refined_rule == "wikipedia" and flic.refined.startswith("A back handspring")
    article = next(t for t in flic.texts if t.source == "wikipedia")
    assert article.note is not None and article.note.startswith("pinned by")
    brush = classes["brush hair"]
    assert "wikipedia: the pinned title 'No such page' was not used: no such article" in brush.problems
    assert brush.refined.startswith("rub with a brush")  # the dictionary rules stand in


def test_explain_prints_candidates_scores_and_why_and_writes_nothing(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    args = setup(tmp_path, isolated_workspace, None)
    result = run_cli(*args, "--explain", "Opening Present")
    assert result.exit_code == 0, result.stderr
    out = flat(result.stdout)
    assert "opening present (testset), offline, WordNet" in out
    assert "'present': role object" in out and "something presented as a gift" in out
    assert "the period of time that is happening now" in out  # a runner-up, with its score
    assert "why: decided by" in out and "evidence for the runner-up" in out
    assert "evidence for the runner-up present.a.01" in out and "role: object: a adj.all" in out
    assert "to pin another sense, add to" in out and "wordnet: {present: present.a.01}" in out
    assert not (isolated_workspace / "knowledge" / "testset" / "descriptions.json").exists()
    unknown = run_cli(*args, "--explain", "opening presents")
    assert unknown.exit_code == 2 and "did you mean 'opening present'" in flat(unknown.stderr)


def test_descriptions_record_each_sense_choice_and_the_report_sums_them_up(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    result = run_cli(*setup(tmp_path, isolated_workspace, None), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["refined_rules"]["dictionary-phrase"] >= 2
    assert set(summary["senses_decided_by"]) <= {
        "frequency", "role", "frames", "agent", "restates", "register", "instance", "names",
        "hypernym", "domain", "cognate", "objects", "qualifier", "derived", "discourse", "dataset", "only sense", "pinned",
    }
    assert sum(summary["senses_decided_by"].values()) >= len(CLASSES)
    catch = load()["catch"]
    [text] = [t for t in catch.texts if t.used]
    choice = text.choice
    assert choice is not None and choice.chunk == "catch" and choice.role == "alone"
    assert re.fullmatch(r"\d{8}-v", choice.sense_id) and choice.runners_up and choice.candidates == 3
    assert choice.margin == round(choice.score - choice.runners_up[0].score, 3)
    assert any(line.startswith(("+", "-")) and "frequency:" in line for line in choice.evidence)
    assert catch.low_confidence == (["catch"] if choice.low_confidence else [])
    text_report = run_cli(*setup(tmp_path, isolated_workspace, None))
    assert "WordNet senses, by what decided them:" in flat(text_report.stdout)


def test_a_version_1_descriptions_file_is_still_read(tmp_path: Path) -> None:
    v1 = {
        "format": "kgen.descriptions",
        "format_version": 1,
        "dataset": "testset",
        "provenance": {"kgen_version": "0.1.0", "created_at": "2026-01-01T00:00:00+00:00", "parameters": {},
                       "sources": ["wordnet"], "offline": True},
        "classes": [
            {"class_id": 0, "class_name": "catch", "label": "catch", "refined": "take hold of.",
             "refined_rule": "dictionary-phrase",
             "texts": [{"source": "wordnet", "query": "catch", "title": "catch", "url": None, "revision_id": None,
                        "retrieved_at": "2026-01-01T00:00:00+00:00", "text": "take hold of", "note": None,
                        "sense": "catch.v.04", "used": True}],
             "problems": []}
        ],
    }
    path = tmp_path / "descriptions.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    loaded = DescriptionsFile.load(path)
    assert loaded.format_version == 2 and loaded.classes[0].texts[0].choice is None
    assert loaded.classes[0].override is None and loaded.classes[0].qualifiers == []


def test_a_chunk_no_sense_fits_is_left_out_with_the_reason_in_explain_and_the_file(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    """On Debian's WordNet, "salsa" is only the sauce: the crawl leaves it out of "salsa dancing",
    says why in the class's problems, and ``--explain`` prints the reason."""
    system = Path("/usr/share/wordnet")
    if not (system / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    classes = tmp_path / "classes.txt"
    classes.write_text("salsa dancing\ndodgeball\n", encoding="utf-8")
    args = ["crawl", "--classes", str(classes), "--name", "testset", "--offline", "--wordnet-dir", str(system)]
    explained = run_cli(*args, "--explain", "salsa dancing")
    assert explained.exit_code == 0, explained.stderr
    out = flat(explained.stdout)
    assert "'salsa': role modifier, 1 candidate sense(s)" in out
    assert "no sense fits the name, left out of the description: every sense of 'salsa' is a noun.food" in out
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    salsa = load()["salsa dancing"]
    assert salsa.refined.startswith("move in a pattern") and "sauce" not in salsa.refined
    assert any("no WordNet sense of 'salsa' fits the name (left out)" in p for p in salsa.problems)
    dodgeball = load()["dodgeball"]
    assert [t.query for t in dodgeball.texts if t.used] == ["dodge", "ball"]
