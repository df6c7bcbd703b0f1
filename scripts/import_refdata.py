"""Build the built-in dataset registry (knowledge/datasets/) from the authors' released data files.

Run once by a developer; its output is committed. Inputs:

* ``--refdata``: the ViFi-CLIP ``labels/`` and ``datasets_splits/`` folders (muzairkhattak/ViFi-CLIP
  @ e2d1948, as copied in ../shared/refdata/vifi-clip);
* ``--classes620``: ER-ZSAR's ``classes620_label_defn.json`` (K400's 400 classes followed by the
  220 Kinetics-600 classes absent from K400), as copied in wengzejia1/Open-VCLIP @ 047a817
  ``zs_label_db/k600_split3/resource/``. Only the class names (``word``) are used.

Every list's labels are checked against the class names embedded in UCF101/HMDB51 file names.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kgen.datasets.names import readable_name  # noqa: E402
from kgen.datasets.spec import ClassSplit, DatasetSpec, Source, VideoList  # noqa: E402

VIFI = Source(
    what="vifi-clip",
    repository="https://github.com/muzairkhattak/ViFi-CLIP",
    commit="e2d1948307f582052078eb8a4afbeb50247166f1",
    path="labels/, datasets_splits/",
)
ER_ZSAR = Source(
    what="er-zsar",
    repository="https://github.com/wengzejia1/Open-VCLIP (copy of ER-ZSAR's resource files, Chen & Huang ICCV 2021)",
    commit="047a817",
    path="zs_label_db/k600_split3/resource/classes620_label_defn.json (names of entries 400..619)",
)

# Readable-name fixes, following Open-VCLIP's normalisation of UCF101 ("Yo Yo" -> "Yoyo").
NAME_OVERRIDES = {"ucf101": {"YoYo": "yoyo"}}

FEW_SHOT = [2, 4, 8, 16]


def read_label_csv(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["id"]) for r in rows] == list(range(len(rows))), path
    return [r["name"].strip() for r in rows]


def write_classes(directory: Path, labels: list[str], names: list[str]) -> None:
    with open(directory / "classes.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label", "name"])
        for index, (label, name) in enumerate(zip(labels, names, strict=True)):
            writer.writerow([index, label, name])


def split_from_names(name: str, description: str, split_names: list[str], all_names: list[str], source: str) -> ClassSplit:
    index = {n: i for i, n in enumerate(all_names)}
    missing = [n for n in split_names if n not in index]
    assert not missing, (name, missing[:5])
    return ClassSplit(name=name, description=description, class_ids=[index[n] for n in split_names], source=source)


def copy_list(src: Path, dst_dir: Path, name: str, description: str, label_space: str | None, n_labels: int, source: str) -> VideoList:
    dst = dst_dir / "lists" / src.name if name == src.stem else dst_dir / "lists" / f"{name}.txt"
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    rows = 0
    for line in src.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = int(line.rsplit(maxsplit=1)[1])
        assert 0 <= label < n_labels, (src, line)
        rows += 1
    return VideoList(
        name=name, description=description, file=str(dst.relative_to(dst_dir)), rows=rows,
        label_space=label_space, source=source,
    )


def check_list_labels(path: Path, class_of_label: list[str], extract) -> None:
    """Every row's label must name the class that the file name says."""
    bad = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        video, label = line.rsplit(maxsplit=1)
        expected = extract(video)
        # case-insensitive: UCF101 names the files of class HandstandPushups "HandStandPushups"
        if expected is not None and expected.casefold() != class_of_label[int(label)].casefold():
            bad += 1
    assert bad == 0, f"{path}: {bad} rows whose label disagrees with the file name"


def ucf_class_from_file(video: str) -> str | None:
    match = re.match(r"v_([A-Za-z]+)_g\d+_c\d+", Path(video).name)
    return match.group(1) if match else None


def hmdb_class_from_file(labels: list[str]):
    ordered = sorted(labels, key=len, reverse=True)

    def extract(video: str) -> str | None:
        stem = Path(video).stem
        for label in ordered:
            if re.search(rf"_{re.escape(label)}_[a-z]_", stem):
                return label
        return None

    return extract


def build(refdata: Path, classes620: Path, out: Path) -> None:
    labels_dir = refdata / "labels"
    lists_dir = refdata / "datasets_splits"
    out.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- UCF101
    ucf_labels = read_label_csv(labels_dir / "ucf_101_labels.csv")
    ucf_names = [NAME_OVERRIDES["ucf101"].get(lbl, readable_name(lbl)) for lbl in ucf_labels]
    d = out / "ucf101"
    d.mkdir(exist_ok=True)
    write_classes(d, ucf_labels, ucf_names)
    base = split_from_names("base", "ViFi-CLIP base-to-novel: base half (51 classes)", read_label_csv(labels_dir / "ucf_101_base_labels.csv"), ucf_labels, "vifi-clip")
    novel = split_from_names("novel", "ViFi-CLIP base-to-novel: novel half (50 classes)", read_label_csv(labels_dir / "ucf_101_novel_labels.csv"), ucf_labels, "vifi-clip")
    lists = []
    for i in (1, 2, 3):
        lists.append(copy_list(lists_dir / "ucf_splits" / f"val{i}.txt", d, f"test{i}", f"official test split {i}", None, 101, "vifi-clip"))
    for k in FEW_SHOT:
        lists.append(copy_list(lists_dir / "ucf_splits" / f"train1_few_shot_{k}.txt", d, f"fewshot{k}_train", f"{k}-shot training list (from train split 1)", None, 101, "vifi-clip"))
    b2n = lists_dir / "base2novel_splits" / "ucf_splits"
    lists.append(copy_list(b2n / "base_train.txt", d, "b2n_base_train", "base-to-novel: all base-class training videos", "base", 51, "vifi-clip"))
    for s in (1, 2, 3):
        lists.append(copy_list(b2n / f"fs_base_s{s}_train.txt", d, f"b2n_base_train_s{s}", f"base-to-novel: 16 shots per base class, seed {s}", "base", 51, "vifi-clip"))
    lists.append(copy_list(b2n / "base_val.txt", d, "b2n_base_val", "base-to-novel: base-class evaluation videos", "base", 51, "vifi-clip"))
    lists.append(copy_list(b2n / "novel_val.txt", d, "b2n_novel_val", "base-to-novel: novel-class evaluation videos", "novel", 50, "vifi-clip"))
    by_space = {None: ucf_labels, "base": [ucf_labels[i] for i in base.class_ids], "novel": [ucf_labels[i] for i in novel.class_ids]}
    for vl in lists:
        check_list_labels(d / vl.file, by_space[vl.label_space], ucf_class_from_file)
    DatasetSpec(
        name="ucf101", title="UCF101", aliases=["ucf", "ucf-101", "ucf_101"],
        description="UCF101: 13,320 YouTube videos of 101 human actions (Soomro et al. 2012).",
        num_classes=101, class_splits=[base, novel], video_lists=lists, sources=[VIFI],
    ).save(d / "dataset.json")

    # ---------------------------------------------------------------- HMDB51
    # HMDB's own labels (brush_hair, ...) in sorted order. ViFi-CLIP's hmdb_51_labels.csv lists
    # "kick ball" before "kick" and "sword exercise" before "sword", but its video lists (and the
    # official split files) use sorted order: kick=20, kick_ball=21, sword=44, sword_exercise=45.
    # Read as released, the two disagree on those four classes; we follow the video lists, and
    # check_list_labels below proves every list agrees with this order.
    vifi_hmdb_names = read_label_csv(labels_dir / "hmdb_51_labels.csv")
    hmdb_labels = sorted(n.replace(" ", "_") for n in vifi_hmdb_names)
    hmdb_names = [lbl.replace("_", " ") for lbl in hmdb_labels]
    assert set(hmdb_names) == set(vifi_hmdb_names)
    d = out / "hmdb51"
    d.mkdir(exist_ok=True)
    write_classes(d, hmdb_labels, [readable_name(lbl) for lbl in hmdb_labels])
    # The base/novel CSVs carry the same swap; their lists, too, use sorted label order.
    def hmdb_sorted(names: list[str]) -> list[str]:
        return sorted(names, key=lambda n: n.replace(" ", "_"))

    base = split_from_names("base", "ViFi-CLIP base-to-novel: base half (26 classes)", hmdb_sorted(read_label_csv(labels_dir / "hmdb_51_base_labels.csv")), hmdb_names, "vifi-clip")
    novel = split_from_names("novel", "ViFi-CLIP base-to-novel: novel half (25 classes)", hmdb_sorted(read_label_csv(labels_dir / "hmdb_51_novel_labels.csv")), hmdb_names, "vifi-clip")
    lists = []
    for i in (1, 2, 3):
        lists.append(copy_list(lists_dir / "hmdb_splits" / f"val{i}.txt", d, f"test{i}", f"official test split {i}", None, 51, "vifi-clip"))
    for k in FEW_SHOT:
        lists.append(copy_list(lists_dir / "hmdb_splits" / f"train1_few_shot_{k}.txt", d, f"fewshot{k}_train", f"{k}-shot training list (from train split 1)", None, 51, "vifi-clip"))
    b2n = lists_dir / "base2novel_splits" / "hmdb_splits"
    lists.append(copy_list(b2n / "base_train.txt", d, "b2n_base_train", "base-to-novel: all base-class training videos", "base", 26, "vifi-clip"))
    for s in (1, 2, 3):
        lists.append(copy_list(b2n / f"fs_base_s{s}_train.txt", d, f"b2n_base_train_s{s}", f"base-to-novel: 16 shots per base class, seed {s}", "base", 26, "vifi-clip"))
    lists.append(copy_list(b2n / "base_val.txt", d, "b2n_base_val", "base-to-novel: base-class evaluation videos", "base", 26, "vifi-clip"))
    lists.append(copy_list(b2n / "novel_val.txt", d, "b2n_novel_val", "base-to-novel: novel-class evaluation videos", "novel", 25, "vifi-clip"))
    by_space = {None: hmdb_labels, "base": [hmdb_labels[i] for i in base.class_ids], "novel": [hmdb_labels[i] for i in novel.class_ids]}
    extract = hmdb_class_from_file(hmdb_labels)
    for vl in lists:
        check_list_labels(d / vl.file, by_space[vl.label_space], extract)
    DatasetSpec(
        name="hmdb51", title="HMDB51", aliases=["hmdb", "hmdb-51", "hmdb_51"],
        description="HMDB51: 6,766 clips of 51 human actions from films and web videos (Kuehne et al. 2011).",
        num_classes=51, class_splits=[base, novel], video_lists=lists, sources=[VIFI],
    ).save(d / "dataset.json")

    # ---------------------------------------------------------------- Kinetics-400
    k400 = read_label_csv(labels_dir / "kinetics_400_labels.csv")
    d = out / "k400"
    d.mkdir(exist_ok=True)
    write_classes(d, k400, [readable_name(lbl) for lbl in k400])
    base = split_from_names("base", "ViFi-CLIP base-to-novel: base half (200 classes)", read_label_csv(labels_dir / "kinetics_400_base_labels.csv"), k400, "vifi-clip")
    novel = split_from_names("novel", "ViFi-CLIP base-to-novel: novel half (200 classes)", read_label_csv(labels_dir / "kinetics_400_novel_labels.csv"), k400, "vifi-clip")
    lists = [
        copy_list(lists_dir / "k400_splits" / "val.txt", d, "val", "validation videos", None, 400, "vifi-clip"),
        copy_list(lists_dir / "k400_splits" / "train_tiny.txt", d, "train_tiny", "ViFi-CLIP's reduced training list (60,000 videos)", None, 400, "vifi-clip"),
    ]
    b2n = lists_dir / "base2novel_splits" / "k400_splits"
    for s in (1, 2, 3):
        lists.append(copy_list(b2n / f"fs_base_s{s}_train.txt", d, f"b2n_base_train_s{s}", f"base-to-novel: 16 shots per base class, seed {s}", "base", 200, "vifi-clip"))
    lists.append(copy_list(b2n / "base_val.txt", d, "b2n_base_val", "base-to-novel: base-class validation videos", "base", 200, "vifi-clip"))
    lists.append(copy_list(b2n / "novel_val.txt", d, "b2n_novel_val", "base-to-novel: novel-class validation videos", "novel", 200, "vifi-clip"))
    DatasetSpec(
        name="k400", title="Kinetics-400", aliases=["kinetics400", "kinetics-400", "kinetics_400", "k-400"],
        description="Kinetics-400: about 240k YouTube clips of 400 human actions (Kay et al. 2017).",
        num_classes=400, class_splits=[base, novel], video_lists=lists, sources=[VIFI],
    ).save(d / "dataset.json")

    # ---------------------------------------------------------------- Kinetics-600
    k600 = read_label_csv(labels_dir / "kinetics_600_labels.csv")
    d = out / "k600"
    d.mkdir(exist_ok=True)
    write_classes(d, k600, [readable_name(lbl) for lbl in k600])
    er = json.loads(classes620.read_text(encoding="utf-8"))
    assert len(er) == 620 and [e["word"] for e in er[:400]] == k400
    novel220 = [e["word"] for e in er[400:]]
    splits = [split_from_names("novel220", "the 220 Kinetics-600 classes absent from Kinetics-400 (ER-ZSAR order)", novel220, k600, "er-zsar")]
    lists = []
    for i in (1, 2, 3):
        names = read_label_csv(labels_dir / f"ZS_split{i}_K600.csv")
        assert set(names) <= set(novel220)
        splits.append(split_from_names(f"zs_split{i}", f"zero-shot split {i}: 160 of the 220 novel classes (ER-ZSAR tst_class_idxs[{i - 1}])", names, k600, "vifi-clip"))
        lists.append(copy_list(lists_dir / "k600_splits" / f"ZS_split{i}_K600_eval.txt", d, f"zs_split{i}_eval",
                               f"zero-shot split {i} evaluation videos (ViFi-CLIP/ER-ZSAR pool, mostly K600 train files)", f"zs_split{i}", 160, "vifi-clip"))
    DatasetSpec(
        name="k600", title="Kinetics-600", aliases=["kinetics600", "kinetics-600", "kinetics_600", "k-600"],
        description="Kinetics-600: 600 human actions (Carreira et al. 2018); 220 of them are absent from Kinetics-400.",
        num_classes=600, class_splits=splits, video_lists=lists, sources=[VIFI, ER_ZSAR],
    ).save(d / "dataset.json")

    # ---------------------------------------------------------------- Something-Something v2
    ssv2 = read_label_csv(labels_dir / "ssv2_labels.csv")
    d = out / "ssv2"
    d.mkdir(exist_ok=True)
    write_classes(d, ssv2, [readable_name(lbl) for lbl in ssv2])
    base = split_from_names("base", "ViFi-CLIP base-to-novel: base half (87 templates)", read_label_csv(labels_dir / "ssv2_174_base_labels.csv"), ssv2, "vifi-clip")
    novel = split_from_names("novel", "ViFi-CLIP base-to-novel: novel half (87 templates)", read_label_csv(labels_dir / "ssv2_174_novel_labels.csv"), ssv2, "vifi-clip")
    lists = [copy_list(lists_dir / "ssv2_splits" / "validation.txt", d, "validation", "validation videos", None, 174, "vifi-clip")]
    for k in FEW_SHOT:
        lists.append(copy_list(lists_dir / "ssv2_splits" / f"train1_few_shot_{k}.txt", d, f"fewshot{k}_train", f"{k}-shot training list", None, 174, "vifi-clip"))
    b2n = lists_dir / "base2novel_splits" / "ssv2_splits"
    lists.append(copy_list(b2n / "base_train.txt", d, "b2n_base_train", "base-to-novel: all base-class training videos", "base", 87, "vifi-clip"))
    for s in (1, 2, 3):
        lists.append(copy_list(b2n / f"fs_base_s{s}_train.txt", d, f"b2n_base_train_s{s}", f"base-to-novel: 16 shots per base class, seed {s}", "base", 87, "vifi-clip"))
    lists.append(copy_list(b2n / "base_val.txt", d, "b2n_base_val", "base-to-novel: base-class validation videos", "base", 87, "vifi-clip"))
    lists.append(copy_list(b2n / "novel_val.txt", d, "b2n_novel_val", "base-to-novel: novel-class validation videos", "novel", 87, "vifi-clip"))
    DatasetSpec(
        name="ssv2", title="Something-Something v2", aliases=["something-something-v2", "somethingsomethingv2", "sthsthv2", "ss-v2"],
        description="Something-Something v2: 220,847 videos of 174 object-interaction templates (Goyal et al. 2017).",
        num_classes=174, class_splits=[base, novel], video_lists=lists, sources=[VIFI],
    ).save(d / "dataset.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refdata", type=Path, default=Path("../shared/refdata/vifi-clip"))
    parser.add_argument("--classes620", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("knowledge/datasets"))
    args = parser.parse_args()
    build(args.refdata, args.classes620, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
