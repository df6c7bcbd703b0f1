"""Issue 20, point 1: knowledge is matched to classes by identity (normalised name, then id), never
by position; every writer records the class list it built for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crawl_content import crawl_environment
from openai_server import FakeOpenAIServer, Reply

from kgen import paths
from kgen.banks import load_bank
from kgen.crawl.descriptions import ClassDescription, CrawlProvenance, DescriptionsFile
from kgen.datasets import load_user_list
from kgen.datasets.spec import ClassEntry
from kgen.datasets.workspace import claim_workspace
from kgen.errors import InputError
from kgen.generate.action_descriptions import ActionDescriptionsBuilder
from kgen.generate.runner import _previous_entries
from kgen.knowledge.base import ClassListInfo, load_knowledge
from kgen.knowledge.identity import (
    check_class_identity,
    class_list_info,
    class_list_sha256,
    compare_classes,
)

TINY = ("--model", "kgen-tiny-vit", "--pretrained", "random")
DEFINITIONS = {
    "run": "move fast by using one's feet",
    "jump": "move forward by leaps and bounds",
    "swim": "travel through water",
}


def _write_list(path: Path, names: list[str]) -> Path:
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def _crawled(classes_file: Path, *, stamp: bool = True, names: dict[str, str] | None = None) -> Path:
    """descriptions.json for the list in ``classes_file``, as ``kgen crawl`` writes it."""
    dataset = load_user_list(classes_file)
    names = names or {}
    entries = [
        ClassDescription(class_id=c.id, class_name=names.get(c.name, c.name), label=c.label,
                         refined=DEFINITIONS.get(c.name, "a definition"), refined_rule="wikipedia")
        for c in dataset.classes
    ]
    file = DescriptionsFile(dataset=dataset.name, class_list=class_list_info(dataset.classes) if stamp else None,
                            provenance=CrawlProvenance(sources=["wordnet"], offline=True), classes=entries)
    claim_workspace(dataset)  # as kgen crawl does: knowledge/<name>/ records the list it was made from
    return file.save(paths.knowledge_dir(dataset.name) / "descriptions.json")


def test_a_reordered_class_list_is_refused_not_paired_by_position(tmp_path: Path, run_cli) -> None:
    """Before: encode-bank paired 'swim' with run's definition after the list was reordered; exit 0."""
    classes = _write_list(tmp_path / "mine.txt", ["run", "jump", "swim"])
    _crawled(classes)
    first = run_cli("encode-bank", "--classes", str(classes), "--kind", "descriptions", *TINY)
    assert first.exit_code == 0, first.stderr
    bank = load_bank(first.stdout.strip())
    assert bank.class_texts(2) == ["swim: travel through water"]

    _write_list(classes, ["swim", "jump", "run"])
    result = run_cli("encode-bank", "--classes", str(classes), "--kind", "descriptions", *TINY, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "does not match the classes of mine (3 classes)" in message
    assert "2 under another id (the class list was reordered?)" in message
    assert "'run' is id 0 in the knowledge file, id 2 in the class list" in message
    assert "'swim' is id 2 in the knowledge file, id 0 in the class list" in message
    assert "'jump'" not in message  # jump kept its place
    assert not (tmp_path / "out").exists()
    shown = run_cli("show", "descriptions", "--classes", str(classes), "--class", "swim")
    assert shown.exit_code == 2 and "under another id" in " ".join(shown.stderr.split())


def test_case_and_spacing_of_a_name_do_not_count(tmp_path: Path, run_cli) -> None:
    classes = _write_list(tmp_path / "mine.txt", ["run", "jump", "swim"])
    _crawled(classes, names={"jump": "  Jump "}, stamp=False)  # a file of an older kgen: no class list recorded
    result = run_cli("encode-bank", "--classes", str(classes), "--kind", "descriptions", *TINY)
    assert result.exit_code == 0, result.stderr
    assert load_bank(result.stdout.strip()).class_texts(1) == ["jump: move forward by leaps and bounds"]


def _entries(*pairs: tuple[int, str]) -> list[tuple[int, str]]:
    return list(pairs)


def _classes(*names: str) -> list[ClassEntry]:
    return [ClassEntry(id=i, label=name, name=name) for i, name in enumerate(names)]


def test_every_kind_of_mismatch_is_listed() -> None:
    classes = _classes("run", "jump", "swim")
    recorded = class_list_info(classes)
    assert not compare_classes(_entries((0, "run"), (1, "jump"), (2, "swim")), classes, recorded).refused
    renamed = compare_classes(_entries((0, "run"), (1, "leap"), (2, "swim")), classes, recorded)
    assert renamed.refused and renamed.renamed == ["id 1 is 'leap' in the knowledge file, 'jump' in the class list"]
    extra = compare_classes(_entries((0, "run"), (1, "jump"), (2, "swim"), (7, "fly")), classes, recorded)
    assert extra.refused and extra.extra == ["'fly' (id 7)"]
    duplicate = compare_classes(_entries((0, "run"), (1, "jump"), (1, "Jump"), (2, "swim")), classes, recorded)
    assert duplicate.refused and duplicate.duplicate == ["2 entries for 'jump'", "2 entries with id 1"]
    # A class without an entry: a failed build of this very list is not refused (each kind reports it) ...
    partial = compare_classes(_entries((0, "run"), (2, "swim")), classes, recorded)
    assert not partial.refused and partial.missing == ["'jump' (id 1)"]
    # ... nor in a file that records no list; but a list that gained a class since the build is.
    assert not compare_classes(_entries((0, "run"), (2, "swim")), classes, None).refused
    grown = compare_classes(_entries((0, "run"), (1, "jump"), (2, "swim")), [*classes, ClassEntry(id=3, label="dive", name="dive")], recorded)
    assert grown.refused and grown.missing == ["'dive' (id 3)"] and grown.list_changed
    assert any(line.startswith("1 missing (classes of the list without an entry): 'dive' (id 3)") for line in grown.lines())


def test_a_list_that_gained_a_class_is_refused_with_the_missing_one(tmp_path: Path, run_cli) -> None:
    classes = _write_list(tmp_path / "mine.txt", ["run", "jump", "swim"])
    _crawled(classes)
    _write_list(classes, ["run", "jump", "swim", "dive"])
    result = run_cli("encode-bank", "--classes", str(classes), "--kind", "descriptions", *TINY)
    assert result.exit_code == 2 and "1 missing (classes of the list without an entry): 'dive' (id 3)" in " ".join(result.stderr.split())


def test_the_crawl_records_the_class_list(tmp_path: Path, isolated_workspace: Path, run_cli) -> None:
    with crawl_environment(tmp_path) as env:
        result = run_cli(*env.cli_args("--offline"))
    assert result.exit_code == 0, result.stderr
    described = load_knowledge("testset", "descriptions")
    dataset = load_user_list(env.classes_file, "testset")
    assert described.class_list == ClassListInfo(sha256=class_list_sha256(dataset.classes), count=len(dataset.classes))
    raw = json.loads((isolated_workspace / "knowledge" / "testset" / "descriptions.json").read_text())
    assert raw["dataset"] == "testset" and raw["class_list"]["count"] == len(dataset.classes)


def test_llm_builds_record_the_class_list_and_keep_earlier_entries_by_identity(tmp_path: Path, run_cli) -> None:
    classes = _write_list(tmp_path / "mini.txt", ["run", "jump", "swim"])
    with FakeOpenAIServer() as server:
        server.handler = lambda req: Reply(content=json.dumps({"items": ["This video shows someone moving."]}))
        built = run_cli("build-descriptions", "--classes", str(classes), "--base-url", server.base_url, "--model", "fake-model")
    assert built.exit_code == 0, built.stderr
    knowledge = load_knowledge("mini", "action-descriptions")
    assert knowledge.class_list is not None and knowledge.class_list.sha256 == class_list_sha256(load_user_list(classes).classes)
    # After a reorder, an earlier entry is kept (for a class whose call fails) only where id and name still agree.
    _write_list(classes, ["swim", "jump", "run"])
    builder = ActionDescriptionsBuilder(load_user_list(classes))
    kept = _previous_entries(builder, knowledge.provenance.content_sha256)
    assert {cid: entry.class_name for cid, entry in kept.items()} == {1: "jump"}
    with pytest.raises(InputError, match="under another id"):
        check_class_identity(knowledge, load_user_list(classes).classes, "mini")


def test_build_attributes_refuses_descriptions_of_another_list(tmp_path: Path, run_cli) -> None:
    classes = _write_list(tmp_path / "mine.txt", ["run", "jump", "swim"])
    _crawled(classes)
    _write_list(classes, ["swim", "jump", "run"])
    with FakeOpenAIServer() as server:
        result = run_cli("build-attributes", "--classes", str(classes), "--base-url", server.base_url, "--model", "fake-model")
        assert server.count == 0  # refused before any call
    message = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "descriptions.json does not match the classes of mine" in message
    assert "run `kgen crawl` again for this class list" in message
