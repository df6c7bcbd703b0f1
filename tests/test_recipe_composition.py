"""Composed recipes (issue 19): ``_base_`` merging, pieces, ``kgen recipes NAME --print``.

That every built-in recipe resolves to exactly the config it had before composition is checked
against the golden dump in ``tests/test_layout.py``.
"""

from __future__ import annotations

import re

import pytest
import yaml

from kgen.errors import FormatError, InputError
from zsar.engine.recipes import (
    RECIPES_DIR,
    list_recipes,
    load_recipe,
    merge_config,
    recipe_sources,
    resolve_recipe_file,
)


def _leaves(tree: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_merge_mappings_key_by_key_lists_whole_delete_drops() -> None:
    base = {"optim": {"lr": 1.0, "betas": [0.9, 0.98]}, "data": {"dataset": "k400", "workers": 8}}
    merged = merge_config(base, {"optim": {"lr": 2.0, "betas": [0.5]}, "data": {"_delete_": True, "dataset": "ucf101"}})
    assert merged == {"optim": {"lr": 2.0, "betas": [0.5]}, "data": {"dataset": "ucf101"}}
    assert base["optim"]["lr"] == 1.0  # the base is not changed
    with pytest.raises(FormatError, match="_delete_ must be true or false"):
        merge_config(base, {"data": {"_delete_": "yes"}})


def test_a_users_recipe_builds_on_a_builtin_and_never_inherits_its_name(tmp_path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("_base_: sc-clip-zero-shot-k400\nname: mine\noptim: {lr: 1.0e-5}\n", encoding="utf-8")
    config = load_recipe(mine)
    builtin = load_recipe("sc-clip-zero-shot-k400")
    assert config.name == "mine" and config.optim.lr == 1.0e-5
    assert config.model == builtin.model and config.data == builtin.data
    assert config.optim.model_copy(update={"lr": builtin.optim.lr}) == builtin.optim
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("_base_: [mine.yaml]\n", encoding="utf-8")
    assert load_recipe(nameless).name == "run"  # the run config's default, not the base's name


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("_base_: loop.yaml\nname: x\n", FormatError, "is its own base"),
        ("_base_: 3\nname: x\n", FormatError, "must be a file path or a list"),
        ("_base_: nowhere.yaml\nname: x\n", InputError, "neither a file"),
    ],
)
def test_bad_bases_are_refused_with_a_clear_message(tmp_path, text: str, error: type, message: str) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=message):
        load_recipe(path)


def test_pieces_are_never_listed_and_names_are_file_stems() -> None:
    recipes = list_recipes()
    assert "vifi-clip-k400" not in recipes and "_base-to-novel" not in recipes
    assert all(path.stem == name and not path.name.startswith("_") and "_base_" not in path.parts for name, path in recipes.items())
    assert {path.relative_to(RECIPES_DIR).parts[0] for path in recipes.values()} == {
        "vifi_clip", "ap_clip", "stdd", "sc_clip", "da_sti", "tiny-smoke.yaml"}
    for name, path in recipes.items():
        assert load_recipe(name).name == name == yaml.safe_load(path.read_text(encoding="utf-8"))["name"]


@pytest.mark.parametrize("name", sorted(list_recipes()))
def test_a_recipe_states_only_what_differs_from_its_bases(name: str) -> None:
    """A value a recipe file repeats from its bases must at least cite another source (another row of a table)."""
    path = list_recipes()[name]
    own = yaml.safe_load(path.read_text(encoding="utf-8"))
    bases = own.pop("_base_", None)
    if bases is None:
        return
    _, files = resolve_recipe_file(path)
    inherited_raw, base_files = {}, []
    for base in [bases] if isinstance(bases, str) else bases:
        base_path = (path.parent / base) if (path.parent / base).is_file() else list_recipes()[base]
        raw, files_of_base = resolve_recipe_file(base_path)
        inherited_raw, base_files = merge_config(inherited_raw, raw), [*base_files, *files_of_base]
    inherited, own_sources, base_sources = _leaves(inherited_raw), recipe_sources(files), recipe_sources(base_files)
    repeated = {key: value for key, value in _leaves(own).items()
                if key != "name" and inherited.get(key, object()) == value
                and (not own_sources[key].comment or own_sources[key].comment == base_sources[key].comment)}
    assert repeated == {}, f"{name} repeats what its bases give, with the same source: {repeated}"


def test_kgen_recipes_print_shows_the_resolved_recipe_with_every_values_source(run_cli) -> None:
    result = run_cli("recipes", "sc-clip-base-to-novel-ssv2", "--print")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout) == load_recipe("sc-clip-base-to-novel-ssv2").model_dump(mode="json")
    lines = {line.split(":")[0].strip(): line for line in result.stdout.splitlines() if re.match(r"^  \w+: ", line)}
    assert "# [SC] §4.3 (UCF101 5e-5, HMDB51 1e-3, SSv2 8e-4)  [sc_clip/sc-clip-base-to-novel-ssv2.yaml]" in lines["lr"]
    assert "[sc_clip/_base-to-novel.yaml]" in lines["epochs"] and "18 epochs per dataset" in lines["epochs"]
    assert "# [SC] §4.3  [sc_clip/sc-clip-zero-shot-k400.yaml]" in lines["backbone"]
    assert lines["quick_gelu"].endswith("# kgen default")
    # Every value line names its source: a file of the recipe or the run config's default.
    assert all("# " in line for line in lines.values())
    as_written = run_cli("recipes", "sc-clip-base-to-novel-ssv2")
    assert as_written.exit_code == 0 and yaml.safe_load(as_written.stdout)["_base_"] == "_base-to-novel.yaml"
    assert run_cli("recipes", "--print").exit_code == 2


def test_sources_follow_the_merge_order_and_continued_comments(tmp_path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text("optim:\n  lr: 1.0    # [A] the base's\n  epochs: 3  # [A] first line\n"
                    "             # second line\ndata:\n  workers: 2\n", encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("_base_: base.yaml\nname: top\noptim:\n  lr: 2.0    # [B] the top's\ndata:\n  _delete_: true\n",
                   encoding="utf-8")
    _, files = resolve_recipe_file(top)
    sources = recipe_sources(files)
    assert (sources["optim.lr"].file, sources["optim.lr"].comment) == (top, "[B] the top's")
    assert sources["optim.epochs"].comment == "[A] first line second line"
    assert "data.workers" not in sources  # dropped by _delete_
