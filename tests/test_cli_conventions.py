"""One CLI that reads the same everywhere (issue 17): flag names, --json, old spellings, hints,
exit codes, `python -m kgen`, and docs/cli.md made from the app."""

from __future__ import annotations

import inspect
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from kgen.cli_app import click_app
from kgen.cli_reference import DOC, current_doc, param_type
from kgen.commands.conventions import (
    DEPRECATED_COMMANDS,
    SHARED_FLAGS,
    is_group,
    rewrite_args,
    walk_commands,
)
from kgen.errors import EXIT_CODES

REPO = Path(__file__).resolve().parent.parent
# Spellings that had several meanings in kgen 0.1: no current command may take them.
RETIRED = {"--model", "-m", "--backbone", "--pretrained", "--output", "--dir", "--max-retries"}


def _commands():
    return [e for e in walk_commands(click_app()) if not e.deprecated]


def _options(command):
    return [p for p in command.params if p.param_type_name == "option" and p.name != "help"]


def _element_type(param) -> str:
    kind = param_type(param)
    return kind[5:-1] if kind.startswith("list[") else kind


def test_docs_cli_table_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert current_doc(click_app(), text) == text, "docs/cli.md is stale: run `python -m kgen.cli_reference`"


def test_every_flag_has_one_meaning() -> None:
    spellings: dict[str, set[tuple]] = defaultdict(set)  # flag -> {(all its spellings, element type)}
    used_by: dict[str, set[str]] = defaultdict(set)
    for entry in _commands():
        for param in _options(entry.command):
            names = tuple(param.opts + param.secondary_opts)
            for name in names:
                spellings[name].add((names, _element_type(param)))
                used_by[name].add(entry.path)
    problems = [f"{flag}: {sorted(ways)}" for flag, ways in spellings.items() if len(ways) > 1]
    assert not problems, "a flag spelled or typed two ways:\n" + "\n".join(problems)
    shared = {flag for flag, commands in used_by.items() if len(commands) > 1 and flag.startswith("--")}
    undocumented = sorted(shared - set(SHARED_FLAGS))
    assert not undocumented, f"flags of several commands without their one meaning in SHARED_FLAGS: {undocumented}"
    stale = sorted(set(SHARED_FLAGS) - set(used_by))
    assert not stale, f"SHARED_FLAGS lists flags no command takes: {stale}"
    assert not RETIRED & set(used_by), f"retired ambiguous spellings in use: {sorted(RETIRED & set(used_by))}"


def _prints_results(function) -> bool:
    """Whether a command's function (or a function of its module it calls) writes to stdout."""
    module = sys.modules[function.__module__]
    seen: set[str] = set()
    todo = [function]
    while todo:
        current = todo.pop()
        if current.__name__ in seen:
            continue
        seen.add(current.__name__)
        source = inspect.getsource(current)
        if "out_console" in source or "typer.echo" in source:
            return True
        for name in current.__code__.co_names:
            value = getattr(module, name, None)
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                todo.append(value)
    return False


def test_every_command_that_prints_results_has_json() -> None:
    checked, missing = [], []
    for entry in _commands():
        if is_group(entry.command) or entry.command.callback is None:
            continue
        function = inspect.unwrap(entry.command.callback)
        if not _prints_results(function):
            continue
        checked.append(entry.path)
        if "--json" not in {name for p in _options(entry.command) for name in p.opts}:
            missing.append(entry.path)
    assert not missing, f"commands that print results without --json: {missing}"
    assert {"crawl", "build", "encode-bank", "train", "eval", "recipes", "show", "bank verify"} <= set(checked)


def _sample_command() -> None:  # prints through a helper of its module, as most commands do
    _sample_helper()


def _sample_helper() -> None:
    import typer

    typer.echo("x")


def test_the_static_check_sees_a_printing_command() -> None:
    assert _prints_results(_sample_command)
    assert not _prints_results(_element_type)


def test_no_bool_metavar_in_any_help(run_cli) -> None:
    for entry in walk_commands(click_app()):
        result = run_cli(*entry.path.split(), "--help")
        assert result.exit_code == 0, entry.path
        assert "<bool>" not in result.stdout, entry.path
    top = run_cli("--help")
    assert "<bool>" not in top.stdout


def test_rewrite_args_maps_old_spellings(capsys) -> None:
    assert rewrite_args("encode-bank", ["-d", "x", "--model", "RN50", "-pfoo", "--pretrained=openai"]) == [
        "-d", "x", "--clip-model", "RN50", "--clip-pretrained=foo", "--clip-pretrained=openai"]
    assert rewrite_args("eval", ["--model", "stdd", "--", "--model"]) == ["--video-model", "stdd", "--", "--model"]
    assert rewrite_args("datasets list", ["--json"]) == ["--json"]
    err = capsys.readouterr().err
    assert "--model` is now `--clip-model`" in err and "deprecated" in err


def test_old_spellings_still_work_with_a_message(run_cli) -> None:
    old = run_cli("profile", "--model", "vifi-clip", "--backbone", "ViT-B-16", "--classes", "7", "--frames", "1", "--json")
    new = run_cli("profile", "--video-model", "vifi-clip", "--clip-model", "ViT-B-16", "--num-classes", "7", "--frames", "1", "--json")
    assert old.exit_code == new.exit_code == 0, old.stderr
    assert old.stdout == new.stdout
    assert "deprecated: `kgen profile --classes` is now `--num-classes`" in " ".join(old.stderr.split())
    assert "deprecated" not in new.stderr
    listed = run_cli("bank", "list", "--dir", "nowhere", "--all", "--json")
    assert listed.exit_code == 0 and '"staging"' in listed.stdout


def test_old_build_commands_are_hidden_aliases(run_cli, tmp_path) -> None:
    top = run_cli("--help").stdout
    assert "build-all" not in top and " build " in top
    for old, new in DEPRECATED_COMMANDS.items():
        result = run_cli(old, "--dataset", "nosuchdataset")
        assert result.exit_code == 2
        text = " ".join(result.stderr.split())
        assert f"`kgen {old}` is now `{new}`" in text


def test_build_kinds_are_checked(run_cli) -> None:
    result = run_cli("build", "prompt", "--dataset", "hmdb51")
    assert result.exit_code == 2 and "did you mean 'prompts'?" in result.stderr
    result = run_cli("build", "askg", "--dataset", "hmdb51", "--top-n", "4")
    text = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "--top-n" in text and "kgen build askg attributes" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("datasets", "show", "hmbd51"), "did you mean 'hmdb51'?"),
        (("show", "askg", "--dataset", "hmdb51", "--class", "brush hiar"), "did you mean 'brush hair'?"),
        (("show", "askgg", "--dataset", "hmdb51", "--class", "brush hair"), "did you mean 'askg'?"),
        (("encode-bank", "--dataset", "hmdb51", "--kind", "definitons"), "did you mean 'definitions'"),
        (("recipes", "tiny-smok"), "did you mean 'tiny-smoke'?"),
        (("train", "--recipe", "tiny-smok", "--bank", "x"), "did you mean 'tiny-smoke'?"),
        (("profile", "--video-model", "vifi"), "did you mean 'vifi-clip'?"),
    ],
)
def test_did_you_mean(run_cli, args, expected) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert expected in " ".join(result.stderr.split())


def test_missing_knowledge_hint_names_the_command(run_cli) -> None:
    result = run_cli("show", "askg", "--dataset", "hmdb51", "--class", "brush hair")
    assert result.exit_code == 2
    text = " ".join(result.stderr.split())
    assert "kgen build askg --dataset hmdb51" in text and "kgen --help" not in text
    result = run_cli("show", "definitions", "--dataset", "hmdb51", "--class", "brush hair")
    assert "kgen crawl --dataset hmdb51" in " ".join(result.stderr.split())


def test_exit_codes_in_help_and_readme(run_cli) -> None:
    help_text = " ".join(run_cli("--help").stdout.split())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in help_text
        assert f"| {code} |" in readme, f"README lacks exit code {code}"


def test_python_dash_m_kgen_and_packaging() -> None:
    done = subprocess.run([sys.executable, "-m", "kgen", "--version"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("kgen ")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["kgen"] == "kgen.cli_app:main"
    assert "cli" not in project.get("tool", {}).get("setuptools", {}).get("py-modules", [])
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["kgen*", "zsar*"]


def test_show_descriptions_prints_one_class_and_no_encode_warning(run_cli, tmp_path) -> None:
    from kgen import paths
    from kgen.crawl.descriptions import ClassDescription, CrawlProvenance, DescriptionsFile
    from kgen.datasets import resolve_dataset

    classes_file = tmp_path / "mini.txt"
    classes_file.write_text("abseiling\nbrush hair\nride bike\n", encoding="utf-8")
    dataset = resolve_dataset(None, classes_file)
    entries = [
        ClassDescription(class_id=c.id, class_name=c.name, label=c.label,
                         refined="" if c.name == "ride bike" else f"{c.name.capitalize()} is an activity.")
        for c in dataset.classes
    ]
    folder = paths.knowledge_dir("mini")
    folder.mkdir(parents=True, exist_ok=True)
    DescriptionsFile(dataset="mini", provenance=CrawlProvenance(), classes=entries).save(folder / "descriptions.json")
    shown = run_cli("show", "definitions", "--classes", str(classes_file), "--class", "abseiling")
    assert shown.exit_code == 0, shown.stderr
    assert "Abseiling is an activity." in shown.stdout
    assert "warning" not in shown.stderr and "encoded by their name" not in shown.stderr  # ride bike has none
    as_json = run_cli("show", "descriptions", "--classes", str(classes_file), "--class", "abseiling", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    import json

    data = json.loads(as_json.stdout)
    assert data["kind"] == "descriptions" and data["entry"]["refined"] == "Abseiling is an activity."
    assert "warning" not in as_json.stderr
