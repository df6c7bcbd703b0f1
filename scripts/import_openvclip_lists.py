"""Add Open-VCLIP's half-class draws and K600 val-only lists to the built-in datasets.

Run once by a developer after ``scripts/import_refdata.py``; its output is committed. Input:
``--zs-label-db``, Open-VCLIP's ``zs_label_db/`` folder as released (wengzejia1/Open-VCLIP @ 047a817;
FROSTER and STDD ship the same files), of which only these are read:

* ``ucf101_half_test/{0..9}/test.csv`` and ``hmdb_half_test/{0..9}/test.csv``: the half-class
  protocol (Brattoli et al. 2020's EP1; STDD Table 1): 10 random draws of 50 of UCF101's 101
  classes (25 of HMDB51's 51), each with every split-1 video of the drawn classes (UCF101: train
  and test list; HMDB51: the rows tagged 1 or 2); labels number the drawn classes in the
  dataset's own order;
* ``k600_split{1,2,3}/test.csv`` with ``k600-openset-index2cls.json`` and
  ``k600_split1/resource/classes620_label_defn.json``: the K600 zero-shot splits on the K600
  *validation* videos only (about 7.3k per split), the pool of Open-VCLIP, FROSTER, STDD and
  SC-CLIP, labelled in alphabetical order of the 160 classes.

Changes made to fit the other built-in lists of each dataset (checked row by row, see below):

* paths lose the class folder (``ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi`` ->
  ``v_ApplyEyeMakeup_g01_c01.avi``; ``val/acting_in_play/X.mp4`` -> ``val/X.mp4``), the layout
  of ViFi-CLIP's lists already built in, so one ``--video-root`` serves all lists of a dataset;
* ``path label`` lines instead of ``path,label``;
* K600 labels are renumbered from the alphabetical order into the split's ER-ZSAR order
  (``zs_split{i}``, the label space of the ViFi-CLIP pool's lists), so both pools share one label
  space; the half-class draws get class splits ``half0..half9`` in the released label order.

Checks: every row's class folder names the class its label says (UCF101 and HMDB51 by raw label,
K600 by name), every UCF101/HMDB51 file name encodes that class, and every K600 split's classes
are exactly the 160 of ER-ZSAR's split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kgen.datasets.names import name_key  # noqa: E402
from kgen.datasets.registry import builtin_dir, load_builtin  # noqa: E402
from kgen.datasets.spec import ClassSplit, DatasetSpec, Source, VideoList  # noqa: E402

SOURCE = Source(
    what="open-vclip",
    repository="https://github.com/wengzejia1/Open-VCLIP (the same files ship with Visual-AI/FROSTER and Mia-YatingYu/STDD)",
    commit="047a817",
    path="zs_label_db/{ucf101,hmdb}_half_test/{0..9}/test.csv, zs_label_db/k600_split{1,2,3}/test.csv",
)
DRAWS = 10


def read_rows(path: Path) -> list[tuple[str, int]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            video, label = line.rsplit(",", 1)
            rows.append((video.strip(), int(label)))
    return rows


def write_list(path: Path, rows: list[tuple[str, int]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{video} {label}\n" for video, label in rows), encoding="utf-8")
    return len(rows)


def file_names_class(dataset: str, file_name: str, label: str) -> bool:
    if dataset == "ucf101":
        match = re.match(r"v_([A-Za-z]+)_g\d+_c\d+", file_name)
        return bool(match) and match.group(1).casefold() == label.casefold()
    return bool(re.search(rf"_{re.escape(label)}_[a-z]_", Path(file_name).stem))


def half_class(zs: Path, dataset: str, folder: str) -> tuple[list[ClassSplit], list[VideoList]]:
    data = load_builtin(dataset)
    by_label = {entry.label: entry for entry in data.classes}
    splits, lists = [], []
    total = len(data.classes)
    for draw in range(DRAWS):
        rows = read_rows(zs / folder / str(draw) / "test.csv")
        class_of_label: dict[int, int] = {}
        out = []
        for video, label in rows:
            class_folder, file_name = video.split("/", 1)
            entry = by_label[class_folder]
            assert class_of_label.setdefault(label, entry.id) == entry.id, (dataset, draw, video)
            assert file_names_class(dataset, file_name, entry.label), (dataset, draw, video)
            out.append((file_name, label))
        labels = sorted(class_of_label)
        assert labels == list(range(total // 2)), (dataset, draw, len(labels))
        ids = [class_of_label[label] for label in labels]
        assert ids == sorted(ids), "the released labels number the drawn classes in the dataset's order"
        name = f"half{draw}"
        splits.append(ClassSplit(
            name=name,
            description=f"half-class draw {draw}: {len(ids)} of the {total} classes (Open-VCLIP half_test/{draw}, "
            "random.seed(2023))",
            class_ids=ids, source=SOURCE.what,
        ))
        count = write_list(builtin_dir() / dataset / "lists" / f"{name}.txt", out)
        lists.append(VideoList(
            name=name,
            description=f"half-class draw {draw}: every split-1 video of its {len(ids)} classes (EP1)",
            file=f"lists/{name}.txt", rows=count, label_space=name, source=SOURCE.what,
        ))
    return splits, lists


def k600_val_pool(zs: Path) -> list[VideoList]:
    data = load_builtin("k600")
    words = [entry["word"] for entry in json.loads((zs / "k600_split1/resource/classes620_label_defn.json").read_text())]
    novel = data.class_split("novel220").class_ids  # ER-ZSAR order: entries 400..619 of classes620
    id_of_word = {name_key(word): novel[i] for i, word in enumerate(words[400:620])}
    lists = []
    for split in (1, 2, 3):
        folder = zs / f"k600_split{split}"
        index2cls = {int(k): v for k, v in json.loads((folder / "k600-openset-index2cls.json").read_text()).items()}
        space = f"zs_split{split}"
        order = data.class_split(space).class_ids
        label_of_id = {cid: i for i, cid in enumerate(order)}
        assert sorted(id_of_word[name_key(n)] for n in index2cls.values()) == sorted(order), split
        out = []
        for video, label in read_rows(folder / "test.csv"):
            pool, class_folder, file_name = video.split("/")
            assert pool == "val" and class_folder == index2cls[label].replace(" ", "_"), video
            out.append((f"val/{file_name}", label_of_id[id_of_word[name_key(index2cls[label])]]))
        name = f"zs_split{split}_val"
        count = write_list(builtin_dir() / "k600" / "lists" / f"{name}.txt", out)
        lists.append(VideoList(
            name=name,
            description=f"zero-shot split {split} evaluation videos, K600 validation videos only (Open-VCLIP/FROSTER/STDD "
            "pool)",
            file=f"lists/{name}.txt", rows=count, label_space=space, source=SOURCE.what,
        ))
    return lists


def update(dataset: str, splits: list[ClassSplit], lists: list[VideoList]) -> None:
    path = builtin_dir() / dataset / "dataset.json"
    spec = DatasetSpec.load(path)
    new_split_names = {s.name for s in splits}
    new_list_names = {v.name for v in lists}
    spec.class_splits = [s for s in spec.class_splits if s.name not in new_split_names] + splits
    spec.video_lists = [v for v in spec.video_lists if v.name not in new_list_names] + lists
    spec.sources = [s for s in spec.sources if s.what != SOURCE.what] + [SOURCE]
    spec.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zs-label-db", type=Path, required=True, help="Open-VCLIP's zs_label_db folder")
    args = parser.parse_args()
    zs = args.zs_label_db
    for dataset, folder in (("ucf101", "ucf101_half_test"), ("hmdb51", "hmdb_half_test")):
        update(dataset, *half_class(zs, dataset, folder))
    update("k600", [], k600_val_pool(zs))


if __name__ == "__main__":
    main()
