"""Custom class lists: knowledge folders are never shared by two lists, hints name commands that
work, and class names with control characters are refused."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from kgen.datasets import load_builtin, resolve_dataset
from kgen.datasets.workspace import ClassListRecord


@pytest.fixture
def two_lists(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    first = tmp_path / "x" / "mine.txt"
    second = tmp_path / "y" / "mine.txt"
    first.write_text("fencing\ndiving\n")
    second.write_text("swimming\ndiving\n")
    return first, second


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_two_lists_with_the_same_file_name_never_share_knowledge(
    two_lists: tuple[Path, Path], run_cli, isolated_workspace: Path
) -> None:
    first, second = two_lists
    assert run_cli("crawl", "--classes", str(first), "--offline").exit_code == 0
    folder = isolated_workspace / "knowledge" / "mine"
    before = (folder / "descriptions.json").read_bytes()
    record = ClassListRecord.load(folder / "class-list.json")
    assert record.origin == str(first.resolve()) and [c.name for c in record.classes] == ["fencing", "diving"]
    for args in (
        ["crawl", "--classes", str(second), "--offline"],
        ["build-descriptions", "--classes", str(second), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
        ["show", "prompts", "--classes", str(second), "--class", "swimming"],
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        message = _flat(result.stderr)
        assert f"knowledge/mine/ belongs to the class list {first.resolve()} (2 classes), not to {second.resolve()}" in message
        assert "1 class(es) only in the new list: swimming; 1 only in the recorded one: fencing" in message
        assert "--name y-mine" in message
    assert (folder / "descriptions.json").read_bytes() == before  # the first list's knowledge is untouched
    # the suggested name works, and keeps its own folder
    assert run_cli("crawl", "--classes", str(second), "--offline", "--name", "y-mine").exit_code == 0
    own = json.loads((isolated_workspace / "knowledge" / "y-mine" / "descriptions.json").read_text())
    assert [c["class_name"] for c in own["classes"]] == ["swimming", "diving"]
    assert (folder / "descriptions.json").read_bytes() == before
    # names-only banks and video commands never touch knowledge: no refusal for them
    assert resolve_dataset(None, second).name == "mine"


def test_the_same_list_edited_keeps_its_folder_with_a_warning(two_lists: tuple[Path, Path], run_cli, isolated_workspace: Path) -> None:
    first, _ = two_lists
    assert run_cli("crawl", "--classes", str(first), "--offline").exit_code == 0
    first.write_text("fencing\ndiving\nboxing\n")
    result = run_cli("crawl", "--classes", str(first), "--offline")
    assert result.exit_code == 0
    assert "changed since knowledge/mine/ was made from it (1 class(es) only in the new list: boxing)" in _flat(result.stderr)
    record = ClassListRecord.load(isolated_workspace / "knowledge" / "mine" / "class-list.json")
    assert [c.name for c in record.classes] == ["fencing", "diving", "boxing"]


def test_a_folder_of_an_older_kgen_is_checked_against_its_knowledge(
    two_lists: tuple[Path, Path], run_cli, isolated_workspace: Path
) -> None:
    first, second = two_lists
    assert run_cli("crawl", "--classes", str(first), "--offline").exit_code == 0
    folder = isolated_workspace / "knowledge" / "mine"
    (folder / "class-list.json").unlink()  # as an older kgen left it
    refused = run_cli("crawl", "--classes", str(second), "--offline")
    assert refused.exit_code == 2
    assert "belongs to another class list (descriptions.json there names 2 classes)" in _flat(refused.stderr)
    adopted = run_cli("crawl", "--classes", str(first), "--offline")  # its own list: adopted, recorded
    assert adopted.exit_code == 0 and (folder / "class-list.json").is_file()


def test_a_custom_list_cannot_take_a_built_in_datasets_name(tmp_path: Path, run_cli) -> None:
    classes = tmp_path / "mine.txt"
    classes.write_text("fencing\n")
    result = run_cli("crawl", "--classes", str(classes), "--name", "HMDB-51", "--offline")
    assert result.exit_code == 2 and "is the name of a built-in dataset" in result.stderr
    own = tmp_path / "hmdb51.txt"
    own.write_text("fencing\n")
    assert resolve_dataset(None, own).name == "hmdb51-custom"


def test_hints_for_a_custom_list_name_commands_that_work(tmp_path: Path, run_cli) -> None:
    folder = tmp_path / "my lists"
    folder.mkdir()
    classes = folder / "k3.txt"
    classes.write_text("fencing\ndiving\nboxing\n")
    dataset = resolve_dataset(None, classes)
    assert dataset.selector == f"--classes {shlex.quote(str(classes.resolve()))}"
    assert resolve_dataset(None, classes, "k3-renamed").selector.endswith("--name k3-renamed")
    assert load_builtin("hmdb51").selector == "--dataset hmdb51"
    # the case: a missing class names `kgen datasets show k3`, which fails; now a command that works
    missing = run_cli("show", "prompts", "--classes", str(classes), "--class", "curling")
    assert missing.exit_code == 2
    hint = missing.stderr.split("hint: run `", 1)[1].split("`", 1)[0]
    assert hint == f"kgen datasets show --classes {shlex.quote(str(classes.resolve()))}"
    shown = run_cli(*shlex.split(hint)[1:])
    assert shown.exit_code == 0 and "boxing" in shown.stdout
    # a selector, pasted into another command, selects the same list under the same name
    for name in (None, "k3-renamed"):
        chosen = resolve_dataset(None, classes, name)
        crawl = run_cli("crawl", *shlex.split(chosen.selector), "--offline")
        assert crawl.exit_code == 0 and f"knowledge/{chosen.name}/descriptions.json" in _flat(crawl.stdout + crawl.stderr)


@pytest.mark.parametrize(
    ("file_name", "content", "shown"),
    [
        ("nul.txt", "running\nrun\x00fast\n", "U+0000"),
        ("bell.json", json.dumps(["running", "ring\u0007bell"]), "U+0007"),
        ("newline.csv", 'id,name\n0,running\n1,"two\nlines"\n', "U+000A"),
        ("surrogate.json", '["running", "bad \\ud800 name"]', "U+D800"),
        ("c1.json", json.dumps(["running", "next\u0085line"]), "U+0085"),
    ],
)
def test_class_names_with_control_characters_are_refused(tmp_path: Path, run_cli, file_name: str, content: str, shown: str) -> None:
    path = tmp_path / file_name
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    result = run_cli("datasets", "show", "--classes", str(path))
    assert result.exit_code == 2, result.stderr
    assert "class 2" in result.stderr and f"holds the character {shown}" in result.stderr
    assert "printable text" in result.stderr


def test_a_tab_in_a_class_name_is_spacing(tmp_path: Path) -> None:
    path = tmp_path / "tabs.json"
    path.write_text(json.dumps(["brush\thair"]))
    assert resolve_dataset(None, path).class_names == ["brush hair"]
