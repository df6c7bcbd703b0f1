"""The dataset registry: built-in datasets, readable names, users' class lists, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgen.datasets import builtin_names, load_builtin, readable_name, resolve_dataset
from kgen.datasets.user_lists import read_class_file
from kgen.errors import InputError


def test_builtin_datasets_have_their_published_class_counts() -> None:
    counts = {name: len(load_builtin(name).classes) for name in builtin_names()}
    assert counts == {"hmdb51": 51, "k400": 400, "k600": 600, "ssv2": 174, "ucf101": 101}


@pytest.mark.parametrize(
    ("dataset", "split", "size"),
    [
        ("ucf101", "base", 51), ("ucf101", "novel", 50), ("hmdb51", "base", 26), ("hmdb51", "novel", 25),
        ("k400", "base", 200), ("k400", "novel", 200), ("ssv2", "base", 87), ("ssv2", "novel", 87),
        ("k600", "novel220", 220), ("k600", "zs_split1", 160), ("k600", "zs_split2", 160), ("k600", "zs_split3", 160),
    ],
)
def test_class_splits_have_their_published_sizes(dataset: str, split: str, size: int) -> None:
    assert len(load_builtin(dataset).split_classes(split)) == size


def test_base_and_novel_halves_partition_the_classes() -> None:
    for name in ("ucf101", "hmdb51", "k400", "ssv2"):
        dataset = load_builtin(name)
        base = set(dataset.class_split("base").class_ids)
        novel = set(dataset.class_split("novel").class_ids)
        assert not base & novel and base | novel == set(range(len(dataset.classes)))


def test_k600_novel_classes_are_absent_from_k400_and_contain_the_zero_shot_splits() -> None:
    k400 = {c.name for c in load_builtin("k400").classes}
    k600 = load_builtin("k600")
    novel = {c.name for c in k600.split_classes("novel220")}
    assert not novel & k400
    for i in (1, 2, 3):
        assert {c.name for c in k600.split_classes(f"zs_split{i}")} <= novel
    # the three 160-class splits differ from one another
    assert len({tuple(k600.class_split(f"zs_split{i}").class_ids) for i in (1, 2, 3)}) == 3


def test_readable_names_keep_the_original_label_and_id() -> None:
    ucf = load_builtin("ucf101")
    assert ucf.classes[0].label == "ApplyEyeMakeup" and ucf.classes[0].name == "apply eye makeup"
    hmdb = load_builtin("hmdb51")
    assert hmdb.classes[0].label == "brush_hair" and hmdb.classes[0].name == "brush hair"
    assert load_builtin("k400").find_class("passing American football (in game)").name == "passing American football (in game)"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("ApplyEyeMakeup", "apply eye makeup"), ("brush_hair", "brush hair"), ("HandstandPushups", "handstand pushups"),
        ("TaiChi", "tai chi"), ("playing-guitar", "playing guitar"), ("Approaching something with your camera", "Approaching something with your camera"),
        ("  extra   spaces  here ", "extra spaces here"), ("jump2", "jump 2"),
    ],
)
def test_readable_name(label: str, name: str) -> None:
    assert readable_name(label) == name


def test_hmdb51_label_order_matches_its_video_lists() -> None:
    """ViFi-CLIP's label CSV swaps kick/kick ball and sword/sword exercise; the lists do not."""
    hmdb = load_builtin("hmdb51")
    order = [c.label for c in hmdb.classes]
    assert order == sorted(order)
    assert order.index("kick") == 20 and order.index("sword_exercise") == 45
    lines = hmdb.video_list_path("test1").read_text().splitlines()
    for line in lines:
        video, label = line.rsplit(maxsplit=1)
        if "_sword_exercise_" in video:
            assert hmdb.classes[int(label)].label == "sword_exercise"


def test_aliases_resolve_and_unknown_names_list_the_known_ones() -> None:
    assert resolve_dataset("Kinetics-400").name == "k400"
    assert resolve_dataset("HMDB").name == "hmdb51"
    with pytest.raises(InputError) as info:
        resolve_dataset("kinetics-700")
    assert "hmdb51" in (info.value.hint or "") and "ucf101" in (info.value.hint or "")


def test_user_text_list_drops_duplicates_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.txt"
    path.write_text("# my classes\nbrush_hair\n\nApplyEyeMakeup\nBrush Hair\nsauté des oignons\n", encoding="utf-8")
    entries = read_class_file(path)
    assert [(e.id, e.label, e.name) for e in entries] == [
        (0, "brush_hair", "brush hair"), (1, "ApplyEyeMakeup", "apply eye makeup"), (2, "sauté des oignons", "sauté des oignons"),
    ]
    assert "duplicate" in capsys.readouterr().err


def test_user_csv_and_json_lists_keep_their_ids(tmp_path: Path) -> None:
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("id,name\n5,jump rope\n2,ride_bike\n", encoding="utf-8")
    assert [(e.id, e.name) for e in read_class_file(csv_path)] == [(2, "ride bike"), (5, "jump rope")]
    json_path = tmp_path / "c.json"
    json_path.write_text(json.dumps({"1": "kiss", "0": "hug"}), encoding="utf-8")
    assert [(e.id, e.name) for e in read_class_file(json_path)] == [(0, "hug"), (1, "kiss")]
    objects = tmp_path / "o.json"
    objects.write_text(json.dumps([{"id": 3, "name": "wave"}, {"id": 1, "label": "SkyDiving"}]), encoding="utf-8")
    assert [(e.id, e.name) for e in read_class_file(objects)] == [(1, "sky diving"), (3, "wave")]


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("", ".txt", "holds no class names"),
        ("\n# only a comment\n", ".txt", "holds no class names"),
        ("{not json", ".json", "not valid JSON"),
        ("id,name\nx,jump\n", ".csv", "not a non-negative integer"),
        ("id,name\n1,jump\n1,run\n", ".csv", "used twice"),
    ],
)
def test_bad_class_files_give_clear_errors(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_class_file(path)


def test_unreadable_class_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_class_file(tmp_path / "missing.txt")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        read_class_file(binary)


def test_cli_datasets_list_and_show(run_cli) -> None:
    result = run_cli("datasets", "list", "--json")
    assert result.exit_code == 0
    assert {row["name"] for row in json.loads(result.stdout)} == {"hmdb51", "k400", "k600", "ssv2", "ucf101"}
    shown = run_cli("datasets", "show", "k600", "--split", "zs_split2", "--json")
    data = json.loads(shown.stdout)
    assert data["split"] == "zs_split2" and len(data["classes"]) == 160


def test_cli_bad_input_exits_non_zero_with_a_hint(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", "show", "nope")
    assert result.exit_code == 2 and "unknown dataset" in result.stderr and "hmdb51" in result.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_cli("datasets", "show", "--classes", str(empty))
    assert result.exit_code == 2 and "no class names" in result.stderr
    result = run_cli("datasets", "show", "hmdb51", "--split", "zs_split1")
    assert result.exit_code == 2 and "base, novel" in result.stderr
