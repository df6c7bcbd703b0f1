"""Evaluation protocols end to end on built-in lists (with small real videos written at their paths)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from bank_helpers import bank_from_embeddings
from zsar_helpers import TINY, names_bank, synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.datasets import load_builtin, resolve_dataset
from kgen.errors import InputError
from zsar.data.index import read_video_list, resolve_list
from zsar.data.synthetic import moving_square, write_unreadable_video, write_video
from zsar.engine.checkpoint import load_checkpoint, save_checkpoint
from zsar.engine.config import apply_overrides
from zsar.engine.evaluate import Prediction, config_for_evaluation, list_result
from zsar.engine.protocols import protocol_plan, protocol_targets, summarize
from zsar.engine.rebuild import checkpoint_config, rebuild_model
from zsar.engine.recipes import load_recipe
from zsar.engine.results import EvalReport, ListResult, RunResult
from zsar.engine.train import Trainer
from zsar.models import build_model


def _write_list_videos(dataset: str, lists: list[str], root: Path, limit: int) -> None:
    """Small real videos at the paths of the first ``limit`` rows of built-in lists."""
    data = load_builtin(dataset)
    rng = np.random.default_rng(0)
    for name in lists:
        path, space = resolve_list(data, name)
        for record in read_video_list(path, dataset=data, label_space=space, video_root=root).records[:limit]:
            if not record.path.exists():
                write_video(record.path, moving_square(record.label, rng, frames=8))


def _hmdb_bank_dir(tmp_path: Path) -> Path:
    hmdb = load_builtin("hmdb51")
    bank = names_bank([c.name for c in hmdb.classes], dataset="hmdb51", class_ids=[c.id for c in hmdb.classes])
    return bank.save(tmp_path / "hmdb-bank")


def _checkpoint(tmp_path: Path, synthetic, seed: int) -> Path:  # noqa: F811
    config = tiny_run_config(synthetic, train={"seed": seed},
                             eval={"temporal_views": 2, "spatial_crops": 1, "aggregation": "joint-frames"})
    return Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / f"run{seed}", max_steps=1,
                   show_progress=False).run().checkpoint


def test_protocol_lists_and_label_spaces() -> None:
    def plan(protocol: str, dataset: str, **kw) -> list[tuple[str, str]]:
        return [(t.role, t.list_name) for t in protocol_targets(protocol, load_builtin(dataset), **kw)]

    assert plan("zero-shot", "ucf101") == [("split1", "test1"), ("split2", "test2"), ("split3", "test3")]
    assert plan("zero-shot", "hmdb51", full_list="full.txt")[-1] == ("full", "full.txt")
    assert plan("zero-shot", "k600") == [(f"split{i}", f"zs_split{i}_eval") for i in (1, 2, 3)]
    assert plan("zero-shot", "k400") == [("test", "val")]
    assert plan("zero-shot", "ssv2") == [("test", "validation")]
    assert plan("base-to-novel", "k400") == [("base", "b2n_base_val"), ("novel", "b2n_novel_val")]
    assert plan("few-shot", "hmdb51") == [("test", "test1")] and plan("few-shot", "ssv2") == [("test", "validation")]
    assert plan("list", "ucf101", lists=["test2", "/x/mine.txt"]) == [("test2", "test2"), ("mine", "/x/mine.txt")]
    # K600's splits are classified among their own 160 classes.
    k600 = load_builtin("k600")
    assert [resolve_list(k600, f"zs_split{i}_eval")[1] for i in (1, 2, 3)] == ["zs_split1", "zs_split2", "zs_split3"]
    with pytest.raises(InputError, match="no built-in list b2n_base_val"):
        protocol_targets("base-to-novel", load_builtin("k600"))
    with pytest.raises(InputError, match="unknown protocol"):
        protocol_targets("leave-one-out", load_builtin("ucf101"))


def test_half_class_protocol_uses_ten_draws_of_half_the_classes() -> None:
    for dataset, classes, half, smallest, largest in (("ucf101", 101, 50, 6483, 6696), ("hmdb51", 51, 25, 2500, 2500)):
        data = load_builtin(dataset)
        plan = protocol_plan("half-class", data)
        assert [(t.role, t.list_name) for t in plan.targets] == [(f"draw{i}", f"half{i}") for i in range(10)]
        assert plan.pool.name == "half-class-draws"
        sizes, drawn = [], set()
        for i in range(10):
            ids = data.class_split(f"half{i}").class_ids
            assert len(ids) == half and len(set(ids)) == half and all(0 <= c < classes for c in ids)
            drawn.add(tuple(ids))
            path, space = resolve_list(data, f"half{i}")
            index = read_video_list(path, dataset=data, label_space=space)
            assert space == f"half{i}" and index.num_classes == half
            sizes.append(len(index))
        assert len(drawn) == 10  # ten different draws
        assert (min(sizes), max(sizes)) == (smallest, largest)  # Open-VCLIP's half_test lists: every split-1 video
    # Open-VCLIP's first UCF101 draw starts with these classes (zs_label_db/ucf101_half_test/0/ucf101-index2cls.json)
    ucf = load_builtin("ucf101")
    first = [ucf.classes[c].label for c in ucf.class_split("half0").class_ids[:5]]
    assert first == ["ApplyEyeMakeup", "ApplyLipstick", "BandMarching", "Biking", "Billiards"]


def test_kinetics_600_has_two_video_pools() -> None:
    k600 = load_builtin("k600")
    rows = {}
    for pool, pattern in (("er-zsar", "zs_split{}_eval"), ("val-only", "zs_split{}_val")):
        plan = protocol_plan("zero-shot", k600, pool=pool)
        assert plan.pool.name == pool
        assert [(t.role, t.list_name) for t in plan.targets] == [(f"split{i}", pattern.format(i)) for i in (1, 2, 3)]
        for i in (1, 2, 3):
            path, space = resolve_list(k600, pattern.format(i))
            assert space == f"zs_split{i}"  # both pools: the split's 160 classes in ER-ZSAR order
            rows[(pool, i)] = len(read_video_list(path, dataset=k600, label_space=space))
    # ViFi-CLIP's ER-ZSAR lists and Open-VCLIP's val-only lists (docs/formats, SOURCES.md)
    assert [rows[("er-zsar", i)] for i in (1, 2, 3)] == [14084, 13978, 14136]
    assert [rows[("val-only", i)] for i in (1, 2, 3)] == [7276, 7226, 7261]
    assert protocol_plan("zero-shot", k600).pool.name == "er-zsar"  # without --pool
    with pytest.raises(InputError, match="unknown Kinetics-600 video pool"):
        protocol_plan("zero-shot", k600, pool="test-only")
    with pytest.raises(InputError, match="no meaning"):
        protocol_plan("zero-shot", load_builtin("ucf101"), pool="val-only")


def _result(role: str, top1: float, top5: float = 100.0) -> ListResult:
    return ListResult(name=role, role=role, source="x", label_space=None, num_classes=10, videos=10, evaluated=10,
                      top1=top1, top5=top5, mean_class_accuracy=top1)


def test_summaries_mean_std_and_harmonic_mean() -> None:
    runs = [RunResult(label=f"s{i}", checkpoint=None, model="ap-clip", backbone=TINY,
                      lists=[_result("base", b), _result("novel", n)])
            for i, (b, n) in enumerate([(80.0, 60.0), (70.0, 50.0), (75.0, 55.0)], start=1)]
    summary, hm = summarize("base-to-novel", runs)
    assert summary["base top-1"].mean == pytest.approx(75.0) and summary["novel top-1"].mean == pytest.approx(55.0)
    assert summary["base top-1"].std == pytest.approx(np.std([80, 70, 75]))
    assert hm == pytest.approx(2 * 75 * 55 / 130)
    zero = [RunResult(label="m", checkpoint=None, model="ap-clip", backbone=TINY,
                      lists=[_result("split1", 50.0, 80.0), _result("split2", 54.0, 82.0), _result("split3", 52.0, 84.0),
                             _result("full", 61.0)])]
    summary, hm = summarize("zero-shot", zero)
    assert hm is None and summary["top-1"].mean == pytest.approx(52.0) and summary["top-1"].values == [50.0, 54.0, 52.0]
    assert summary["top-5"].mean == pytest.approx(82.0) and summary["full-set top-1"].mean == 61.0


def test_top1_top5_and_class_mean_from_predictions(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("a.avi 0\nb.avi 0\nc.avi 1\nd.avi 2\n")
    index = read_video_list(tmp_path / "l.txt", dataset=load_builtin("hmdb51"))
    predictions = [
        Prediction(0, 0, True, "", (0, 1, 2, 3, 4), (9.0, 8.0, 7.0, 6.0, 5.0)),
        Prediction(1, 0, True, "", (1, 2, 3, 4, 5), (9.5, 8.5, 7.5, 6.5, 5.5)),  # wrong, not in top-5
        Prediction(2, 1, True, "", (2, 1, 0, 3, 4), (3.0, 2.0, 1.0, 0.5, 0.25)),  # wrong, in top-5
        Prediction(3, 2, False, "no such file", ()),
    ]
    hmdb = load_builtin("hmdb51")
    result = list_result(predictions, index, name="l", role="test", num_classes=51,
                         class_ids=[c.id for c in hmdb.classes], class_names=hmdb.class_names)
    assert (result.evaluated, len(result.skipped)) == (3, 1)
    assert result.top1 == pytest.approx(100 / 3) and result.top5 == pytest.approx(200 / 3)
    assert result.mean_class_accuracy == pytest.approx(25.0)  # class 0: 1/2, class 1: 0
    assert result.skipped[0].video.endswith("d.avi") and result.skipped[0].error == "no such file"
    # per class, confusion matrix (rows: true label, columns: predicted), predictions, names
    assert result.per_class_videos[:3] == [2, 1, 0] and sum(result.per_class_videos) == 3
    assert result.per_class_top1[:3] == [50.0, 0.0, None]
    assert len(result.confusion) == 51 and all(len(row) == 51 for row in result.confusion)
    assert (result.confusion[0][0], result.confusion[0][1], result.confusion[1][2]) == (1, 1, 1)
    assert sum(map(sum, result.confusion)) == 3
    assert result.class_names[:3] == ["brush hair", "cartwheel", "catch"] and result.top_k == 5
    assert [(p.video, p.label, p.top[0], p.scores[0]) for p in result.predictions] == [
        ("a.avi", 0, 0, 9.0), ("b.avi", 0, 1, 9.5), ("c.avi", 1, 2, 3.0)]


def test_top5_is_hidden_with_five_classes_or_fewer(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("a.avi 0\nb.avi 3\n")
    data = resolve_dataset(None, _four_classes(tmp_path))
    index = read_video_list(tmp_path / "l.txt", dataset=data)
    predictions = [Prediction(0, 0, True, "", (0, 1, 2, 3), (4.0, 3.0, 2.0, 1.0)),
                   Prediction(1, 3, True, "", (2, 3, 0, 1), (4.0, 3.0, 2.0, 1.0))]
    result = list_result(predictions, index, name="l", role="split1", num_classes=4)
    assert result.top5 is None and result.top1 == 50.0 and result.top_k == 4
    summary, _ = summarize("zero-shot", [RunResult(label="m", checkpoint=None, model="ap-clip", backbone=TINY, lists=[result])])
    assert list(summary) == ["top-1"]


def _four_classes(tmp_path: Path) -> Path:
    path = tmp_path / "classes.txt"
    path.write_text("walk\nrun\njump\nswim\n")
    return path


def test_the_result_file_is_compact_and_reads_back(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("a.avi 0\nb.avi 1\n")
    hmdb = load_builtin("hmdb51")
    index = read_video_list(tmp_path / "l.txt", dataset=hmdb)
    predictions = [Prediction(0, 0, True, "", (0, 1, 2, 3, 4), (5.0, 4.0, 3.0, 2.0, 1.0)),
                   Prediction(1, 1, True, "", (0, 1, 2, 3, 4), (5.0, 4.0, 3.0, 2.0, 1.0))]
    result = list_result(predictions, index, name="l", role="test", num_classes=51, class_names=hmdb.class_names,
                         class_ids=[c.id for c in hmdb.classes])
    run = RunResult(label="m", checkpoint=None, model="ap-clip", backbone=TINY, lists=[result])
    summary, _ = summarize("list", [run])
    report = EvalReport(protocol="list", dataset="hmdb51", video_pool={"name": "lists", "description": "l.txt"},
                        bank={"bank_id": "b"}, views={"frames": 8}, runs=[run], summary=summary)
    text = report.to_json()
    lines = text.splitlines()
    rows = [line.strip().rstrip(",") for line in lines if line.strip().startswith("[") and line.strip().endswith(("]", "],"))]
    assert len([r for r in rows if r.count(",") == 50]) >= 51  # each confusion row (51 counts) on one line
    assert any('"video": "a.avi"' in line and '"top": [0, 1, 2, 3, 4]' in line for line in lines)  # one line per video
    assert len(lines) < 200
    path = tmp_path / "r.json"
    report.save(path)
    again = EvalReport.load(path)
    assert again.runs[0].lists[0].confusion == result.confusion and again.format_version == 3


def _dense_run(tmp_path: Path, synthetic) -> Path:  # noqa: F811
    config = tiny_run_config(synthetic, data={"sampling": "dense", "sampling_stride": 3},
                             eval={"temporal_views": 3, "spatial_crops": 1, "aggregation": "mean-logits"})
    return Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "dense", max_steps=1,
                   show_progress=False).run().checkpoint


def test_eval_reads_the_frames_the_recipe_samples(tmp_path: Path, synthetic, run_cli, monkeypatch) -> None:  # noqa: F811
    import zsar.data.dataset as dataset_module

    read: list[tuple[str, int, list[int]]] = []
    real = dataset_module.read_frames

    def spy(path, choose, **kwargs):
        def recording(total: int):
            chosen = choose(total)
            read.append((Path(path).name, total, [int(i) for i in chosen]))
            return chosen

        return real(path, recording, **kwargs)

    checkpoint = _dense_run(tmp_path, synthetic)
    monkeypatch.setattr(dataset_module, "read_frames", spy)  # from here on: what the evaluator reads
    bank_dir = synthetic_bank(synthetic).save(tmp_path / "bank")
    common = ["eval", "--checkpoint", str(checkpoint), "--bank", str(bank_dir), "--classes", str(synthetic.classes_file),
              "--protocol", "list", "--list", str(synthetic.list_file), "--video-root", str(synthetic.root),
              "--limit", "2", "--workers", "0", "--json"]
    result = run_cli(*common)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["views"]["sampling"], report["views"]["sampling_stride"], report["views"]["temporal_views"]) == ("dense", 3, 3)
    # The recipe's dense sampling, 4 frames 3 apart, 3 views spread over the 16-frame videos:
    # windows of 10 frames starting at 0, 3 and 6 (PySlowFast's test offsets)
    assert [entry[1:] for entry in read] == [(16, [0, 3, 6, 9, 3, 6, 9, 12, 6, 9, 12, 15])] * 2
    read.clear()
    result = run_cli(*common, "--set", "data.sampling=segment")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["views"]["sampling"] == "segment"
    # Segment sampling, 3 views: floor((i + (v + 0.5) / 3) * 16 / 4) for frames i = 0..3
    assert [entry[1:] for entry in read] == [(16, [0, 4, 8, 12, 2, 6, 10, 14, 3, 7, 11, 15])] * 2


def test_sc_clip_evaluates_each_dataset_with_its_table_1_row(tmp_path: Path) -> None:
    config = load_recipe("sc-clip-zero-shot-k400")  # trained with the K-600 row: delta 0.8, 1/tau 50
    table_1 = {"ucf101": (0.9, 65.0), "hmdb51": (0.85, 40.0), "ssv2": (0.85, 45.0), "k600": (0.8, 50.0)}
    for dataset, (delta, inverse_tau) in table_1.items():
        evaluated, record = config_for_evaluation(config, dataset, [])
        assert (evaluated.model.fusion_threshold, evaluated.model.inverse_temperature) == (delta, inverse_tau)
        assert (evaluated.model.alpha, evaluated.model.beta) == (0.0001, 0.3)  # training-only weights are left alone
        if dataset == "k600":
            assert record == {}
        else:
            assert record["paper_defaults"] == {"model.fusion_threshold": [0.8, delta],
                                                "model.inverse_temperature": [50.0, inverse_tau]}
    # --set wins over the paper's row, for the option it names only
    evaluated, record = config_for_evaluation(config, "ucf101", ["model.fusion_threshold=0.7", "eval.temporal_views=1"])
    assert (evaluated.model.fusion_threshold, evaluated.model.inverse_temperature) == (0.7, 65.0)
    assert evaluated.eval.temporal_views == 1 and record["set"] == ["model.fusion_threshold=0.7", "eval.temporal_views=1"]
    assert record["paper_defaults"] == {"model.inverse_temperature": [50.0, 65.0]}
    # other models have no per-dataset rows
    assert config_for_evaluation(load_recipe("stdd-zero-shot-k400"), "ucf101", [])[1] == {}
    # a checkpoint is rebuilt with the evaluation's options (its weights still fit)
    model = build_model("sc-clip", backbone=TINY, pretrained="random", frames=4)
    tiny = apply_overrides(config, [f"model.backbone={TINY}", "model.pretrained=random", "model.frames=4",
                                    "model.trainable_blocks=[-1]"])
    path = save_checkpoint(tmp_path / "sc.pt", {"config": tiny.model_dump(mode="json"), "architecture": model.architecture(),
                                                 "model": model.state_dict()})
    payload = load_checkpoint(path)
    rebuilt, _ = rebuild_model(payload, config=config_for_evaluation(checkpoint_config(payload), "hmdb51", [])[0])
    assert (rebuilt.sc_config.fusion_threshold, float(rebuilt.scale())) == (0.85, 40.0)


@pytest.mark.slow
def test_base_to_novel_over_two_seeds_through_the_cli(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    root = tmp_path / "hmdb"
    _write_list_videos("hmdb51", ["b2n_base_val", "b2n_novel_val"], root, limit=3)
    bank_dir = _hmdb_bank_dir(tmp_path)
    checkpoints = [_checkpoint(tmp_path, synthetic, seed) for seed in (1, 2)]
    out = tmp_path / "b2n.json"
    result = run_cli(
        "eval", "--checkpoint", str(checkpoints[0]), "--checkpoint", str(checkpoints[1]), "--bank", str(bank_dir),
        "--dataset", "hmdb51", "--protocol", "base-to-novel", "--video-root", str(root), "--limit", "3",
        "--workers", "0", "--out", str(out),
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["format"] == "kgen.zsar.eval" and report["protocol"] == "base-to-novel"
    assert [run["label"] for run in report["runs"]] == ["s1", "s2"]
    assert report["views"]["temporal_views"] == 2 and report["views"]["aggregation"] == "joint-frames"  # the recipe's
    for run in report["runs"]:
        base, novel = run["lists"]
        assert (base["role"], base["num_classes"], base["evaluated"]) == ("base", 26, 3)
        assert (novel["role"], novel["num_classes"], novel["label_space"]) == ("novel", 25, "novel")
    b, n = report["summary"]["base top-1"]["mean"], report["summary"]["novel top-1"]["mean"]
    assert report["harmonic_mean"] == pytest.approx(2 * b * n / (b + n) if b + n else 0.0)
    assert "HM" in result.stdout and "b2n_novel_val" in result.stdout


@pytest.mark.slow
def test_zero_shot_frozen_clip_baseline_with_a_full_set_and_a_bad_video(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "hmdb"
    _write_list_videos("hmdb51", ["test1", "test2", "test3"], root, limit=2)
    hmdb = load_builtin("hmdb51")
    first = read_video_list(hmdb.video_list_path("test1"), dataset=hmdb, video_root=root).records[0]
    write_unreadable_video(root / "broken.avi")
    full = tmp_path / "full.txt"
    full.write_text(f"{first.path} {first.label}\nbroken.avi 3\n")
    result = run_cli(
        "eval", "--model", "vifi-clip", "--pretrained", "random", "--backbone", TINY, "--frames", "4",
        "--bank", str(_hmdb_bank_dir(tmp_path)), "--dataset", "hmdb51", "--video-root", str(root),
        "--limit", "2", "--views", "1x2", "--aggregation", "mean-softmax", "--full-list", str(full), "--workers", "0",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    lists = report["runs"][0]["lists"]
    assert [item["role"] for item in lists] == ["split1", "split2", "split3", "full"]
    assert all(item["num_classes"] == 51 and item["evaluated"] == 2 for item in lists[:3])
    assert lists[3]["evaluated"] == 1 and lists[3]["skipped"][0]["video"].endswith("broken.avi")
    assert report["summary"]["top-1"]["values"] == [item["top1"] for item in lists[:3]]
    assert report["views"] == {"frames": 4, "input_size": 64, "sampling": "segment", "sampling_stride": None,
                               "test_short_side": None, "temporal_views": 1, "spatial_crops": 2,
                               "aggregation": "mean-softmax", "precision": "auto", "limit": 2}
    assert report["video_pool"]["name"] == "official-test-splits+full"
    assert "skipped 1 unreadable video" in result.stderr


def test_eval_refuses_a_bank_of_another_dataset(tmp_path: Path, run_cli) -> None:
    ucf = load_builtin("ucf101")
    bank = names_bank([c.name for c in ucf.classes][:3], dataset="ucf101", class_ids=[0, 1, 2]).save(tmp_path / "b")
    result = run_cli("eval", "--model", "ap-clip", "--pretrained", "random", "--backbone", TINY, "--bank", str(bank),
                     "--dataset", "hmdb51", "--video-root", str(tmp_path))
    assert result.exit_code == 2 and "holds the 3 classes of 'ucf101'" in result.stderr


def test_eval_needs_exactly_one_model_source(run_cli, tmp_path: Path) -> None:
    result = run_cli("eval", "--bank", "x", "--dataset", "hmdb51")
    assert result.exit_code == 2 and "give --checkpoint" in result.stderr
    result = run_cli("eval", "--bank", "x", "--dataset", "hmdb51", "--model", "ap-clip", "--checkpoint", str(tmp_path))
    assert result.exit_code == 2


def test_bad_views_option(run_cli) -> None:
    result = run_cli("eval", "--bank", "x", "--model", "ap-clip", "--pretrained", "random", "--backbone", TINY,
                     "--dataset", "hmdb51", "--views", "two")
    assert result.exit_code == 2 and "cannot read --views" in result.stderr


def test_half_class_and_table_1_settings_through_the_cli(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "hmdb"
    _write_list_videos("hmdb51", [f"half{i}" for i in range(10)], root, limit=1)
    result = run_cli(
        "eval", "--model", "sc-clip", "--pretrained", "random", "--backbone", TINY, "--frames", "4",
        "--bank", str(_hmdb_bank_dir(tmp_path)), "--dataset", "hmdb51", "--protocol", "half-class",
        "--video-root", str(root), "--limit", "1", "--workers", "0", "--set", "eval.temporal_views=2", "--json",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["protocol"] == "half-class" and report["video_pool"]["name"] == "half-class-draws"
    lists = report["runs"][0]["lists"]
    assert [item["role"] for item in lists] == [f"draw{i}" for i in range(10)]
    assert all(item["num_classes"] == 25 and item["evaluated"] == 1 and len(item["class_names"]) == 25 for item in lists)
    assert len(report["summary"]["top-1"]["values"]) == 10
    assert report["views"]["temporal_views"] == 2
    # SC-CLIP's Table 1 row for HMDB-51 replaced the model's defaults (0.9 and 65, the UCF-101 row)
    assert report["settings"][0]["paper_defaults"] == {"model.fusion_threshold": [0.9, 0.85],
                                                       "model.inverse_temperature": [65.0, 40.0]}
    assert report["settings"][0]["set"] == ["eval.temporal_views=2", "eval.workers=0"]  # --workers is a shortcut of --set


def test_kinetics_600_pool_follows_the_models_paper_unless_chosen(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "k600"
    _write_list_videos("k600", [f"zs_split{i}_{pool}" for i in (1, 2, 3) for pool in ("eval", "val")], root, limit=1)
    k600 = load_builtin("k600")
    # random text vectors: the test is about which videos are read (encoding 600 names would take half a minute)
    vectors = torch.randn(len(k600.classes), 1, 32, generator=torch.Generator().manual_seed(0))
    bank = bank_from_embeddings(list(vectors), class_names=[c.name for c in k600.classes],
                                class_ids=[c.id for c in k600.classes], dataset="k600").save(tmp_path / "b")
    pools = {}
    for model, extra in (("stdd", []), ("ap-clip", []), ("ap-clip", ["--pool", "val-only"])):
        result = run_cli("eval", "--model", model, "--pretrained", "random", "--backbone", TINY, "--frames", "4",
                         "--bank", str(bank), "--dataset", "k600", "--video-root", str(root), "--limit", "1",
                         "--workers", "0", "--json", *extra)
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        pools[(model, bool(extra))] = (report["video_pool"]["name"], [item["name"] for item in report["runs"][0]["lists"]])
    assert pools[("stdd", False)] == ("val-only", ["zs_split1_val", "zs_split2_val", "zs_split3_val"])  # STDD: FROSTER's lists
    assert pools[("ap-clip", False)] == ("er-zsar", ["zs_split1_eval", "zs_split2_eval", "zs_split3_eval"])  # ViFi-CLIP's
    assert pools[("ap-clip", True)][0] == "val-only"


def test_a_large_label_set_keeps_its_confusion_matrix_sparse(tmp_path: Path) -> None:
    import tracemalloc

    (tmp_path / "l.txt").write_text("a.avi 4999\nb.avi 4999\nc.avi 17\n")
    index = read_video_list(tmp_path / "l.txt", dataset=resolve_dataset(None, _class_list(tmp_path, 5000)))
    predictions = [
        Prediction(0, 4999, True, "", (4999, 1, 2, 3, 4), (9.0, 8.0, 7.0, 6.0, 5.0)),
        Prediction(1, 4999, True, "", (17, 4999, 3, 4, 5), (9.5, 8.5, 7.5, 6.5, 5.5)),
        Prediction(2, 17, True, "", (17, 1, 0, 3, 4), (3.0, 2.0, 1.0, 0.5, 0.25)),
    ]
    tracemalloc.start()
    try:
        result = list_result(predictions, index, name="l", role="test", num_classes=5000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6  # a dense 5000 x 5000 int64 matrix alone is 200 MB
    assert result.confusion_layout == "sparse" and result.confusion == []
    assert result.confusion_entries == [[17, 17, 1], [4999, 17, 1], [4999, 4999, 1]]
    assert result.confusion_cells() == {(17, 17): 1, (4999, 17): 1, (4999, 4999): 1}
    assert result.per_class_videos[4999] == 2 and result.per_class_top1[4999] == 50.0 and result.per_class_top1[0] is None
    assert result.top1 == pytest.approx(200 / 3) and result.mean_class_accuracy == pytest.approx(75.0)
    # The same predictions with 1000 classes or fewer: dense, and the same cells.
    (tmp_path / "s.txt").write_text("a.avi 999\nc.avi 17\n")
    small = list_result([Prediction(0, 999, True, "", (999, 1, 2, 3, 4)), Prediction(1, 17, True, "", (999, 1, 0, 3, 4))],
                        read_video_list(tmp_path / "s.txt", dataset=resolve_dataset(None, _class_list(tmp_path, 1000))),
                        name="s", role="test", num_classes=1000)
    assert small.confusion_layout == "dense" and len(small.confusion) == 1000 and small.confusion_entries == []
    assert small.confusion_cells() == {(999, 999): 1, (17, 999): 1}


def _class_list(tmp_path: Path, count: int) -> Path:
    path = tmp_path / f"classes{count}.txt"
    path.write_text("".join(f"action number {k}\n" for k in range(count)))
    return path


def test_a_version_2_result_file_reads_as_a_dense_one(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("a.avi 0\n")
    hmdb = load_builtin("hmdb51")
    result = list_result([Prediction(0, 0, True, "", (0, 1, 2, 3, 4), (5.0, 4.0, 3.0, 2.0, 1.0))],
                         read_video_list(tmp_path / "l.txt", dataset=hmdb), name="l", role="test", num_classes=51)
    run = RunResult(label="m", checkpoint=None, model="ap-clip", backbone=TINY, lists=[result])
    raw = EvalReport(protocol="list", dataset="hmdb51", video_pool={"name": "lists", "description": "l.txt"},
                     bank={"bank_id": "b"}, views={"frames": 8}, runs=[run], summary={}).model_dump(mode="json")
    raw["format_version"] = 2  # as kgen wrote it before the sparse layout existed
    for item in raw["runs"][0]["lists"]:
        del item["confusion_layout"], item["confusion_entries"]
    (tmp_path / "v2.json").write_text(json.dumps(raw))
    again = EvalReport.load(tmp_path / "v2.json")
    assert again.format_version == 3 and again.runs[0].lists[0].confusion_layout == "dense"
    assert again.runs[0].lists[0].confusion_cells() == {(0, 0): 1}


def test_eval_of_1200_classes_writes_a_sparse_confusion_matrix(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    # The synthetic videos' 4 classes, then 1196 more: labels 0..3 of the list index the same names.
    names = list(synthetic.class_names) + [f"extra action {k}" for k in range(1196)]
    classes = tmp_path / "big.txt"
    classes.write_text("".join(f"{name}\n" for name in names))
    generator = torch.Generator().manual_seed(0)
    bank = bank_from_embeddings([torch.randn(2, 32, generator=generator) for _ in names], class_names=names,
                                dataset="big")
    out = tmp_path / "r.json"
    result = run_cli(
        "eval", "--model", "ap-clip", "--pretrained", "random", "--backbone", TINY, "--frames", "4",
        "--bank", str(bank.save(tmp_path / "bank")), "--classes", str(classes), "--protocol", "list",
        "--list", str(synthetic.list_file), "--video-root", str(synthetic.root), "--workers", "0", "--out", str(out),
    )
    assert result.exit_code == 0, result.stderr
    listed = EvalReport.load(out).runs[0].lists[0]
    assert listed.num_classes == 1200 and listed.evaluated == 8
    assert listed.confusion_layout == "sparse" and listed.confusion == []
    assert sum(count for _, _, count in listed.confusion_entries) == 8
    assert all(0 <= true < 4 and 0 <= guess < 1200 for true, guess, _ in listed.confusion_entries)
    assert any("1,200 classes" in note and "sparse" in note for note in EvalReport.load(out).notes)
    assert "stored sparse" in result.stdout


def test_the_unreadable_video_rule_of_training_and_evaluation() -> None:
    from zsar.data.unreadable import too_many_unreadable

    # Before a whole pass: at least 3 unreadable videos, and more than the fraction.
    assert not too_many_unreadable(2, 2, 100, 0.5)
    assert too_many_unreadable(3, 4, 100, 0.5)
    assert not too_many_unreadable(3, 6, 100, 0.5)
    # After a whole pass (an evaluation list): the fraction alone.
    assert too_many_unreadable(1, 1, 1, 0.5) and too_many_unreadable(2, 3, 3, 0.5)
    assert not too_many_unreadable(1, 2, 2, 0.5) and not too_many_unreadable(4, 4, 4, 1.0)


def test_eval_stops_when_most_of_a_lists_videos_are_unreadable(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    root = tmp_path / "videos"
    root.mkdir()
    (root / "good.mp4").symlink_to(synthetic.videos[0])
    for k in range(3):
        write_unreadable_video(root / f"broken{k}.mp4", seed=k)
    listing = tmp_path / "list.txt"
    listing.write_text("good.mp4 0\nbroken0.mp4 1\nbroken1.mp4 2\nbroken2.mp4 3\n")  # 1 readable of 4
    out = tmp_path / "r.json"
    common = ["eval", "--model", "vifi-clip", "--pretrained", "random", "--backbone", TINY, "--frames", "4",
              "--bank", str(synthetic_bank(synthetic).save(tmp_path / "bank")), "--classes", str(synthetic.classes_file),
              "--protocol", "list", "--list", str(listing), "--video-root", str(root), "--workers", "0", "--out", str(out)]
    result = run_cli(*common)
    assert result.exit_code == 2, result.stderr
    assert "3 of its 4 videos were unreadable" in result.stderr and "data.max_skip_fraction" in result.stderr
    assert not out.exists()  # no result file that looks like an evaluation
    result = run_cli(*common, "--set", "data.max_skip_fraction=1")
    assert result.exit_code == 0, result.stderr
    listed = EvalReport.load(out).runs[0].lists[0]
    assert (listed.evaluated, len(listed.skipped)) == (1, 3)
