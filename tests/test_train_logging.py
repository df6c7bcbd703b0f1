"""Training logs: metrics.jsonl (integer steps, null not NaN), train.logger csv | tensorboard | wandb,
and evaluations logged into the run that made the checkpoint."""

from __future__ import annotations

import csv
import json
import sys
import types
from pathlib import Path

import pytest
from zsar_helpers import synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import InputError
from zsar.engine import loggers
from zsar.engine.train import Trainer


def _train(tmp_path: Path, videos, logger: str, steps: int = 3, name: str = "run") -> tuple[Path, list[dict]]:
    config = tiny_run_config(videos, train={"logger": logger, "log_every_steps": 1}, optim={"epochs": 2})
    run_dir = tmp_path / name
    Trainer(config, bank=synthetic_bank(videos), run_dir=run_dir, max_steps=steps, show_progress=False).run()
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return run_dir, [json.loads(line) for line in lines]


def _eval_into_run(run_cli, tmp_path: Path, videos, run_dir: Path) -> dict:
    bank = synthetic_bank(videos).save(tmp_path / "bank")
    out = tmp_path / "eval.json"
    result = run_cli(
        "eval", "--checkpoint", str(run_dir), "--bank", str(bank), "--classes", str(videos.classes_file),
        "--protocol", "list", "--list", str(videos.list_file), "--video-root", str(videos.root), "--workers", "0",
        "--out", str(out),
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(out.read_text())


def test_metrics_jsonl_has_integer_steps_and_null_for_nan_and_csv_matches(tmp_path: Path, synthetic) -> None:  # noqa: F811
    run_dir, records = _train(tmp_path, synthetic, "csv")
    text = (run_dir / "metrics.jsonl").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert [r["step"] for r in records] == [1, 2, 3] and all(type(r["step"]) is int and type(r["epoch"]) is int for r in records)
    assert all(r["grad_norm"] is None for r in records)  # no gradient clipping in this recipe: no norm
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert [float(r["loss"]) for r in rows] == [r["loss"] for r in records]
    assert all(r["grad_norm"] == "" for r in rows)


def test_clean_record() -> None:
    cleaned = loggers.clean_record({"step": 3.0, "epoch": 1.0, "loss": float("nan"), "lr": float("inf"), "x": 0.5})
    assert cleaned == {"step": 3, "epoch": 1, "loss": None, "lr": None, "x": 0.5}
    assert type(cleaned["step"]) is int


@pytest.mark.slow
def test_tensorboard_gets_training_and_the_evaluation_of_the_checkpoint(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir, records = _train(tmp_path, synthetic, "tensorboard")
    report = _eval_into_run(run_cli, tmp_path, synthetic, run_dir)
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    losses = events.Scalars("train/loss")
    assert [e.step for e in losses] == [1, 2, 3]
    assert [e.value for e in losses] == pytest.approx([r["loss"] for r in records], rel=1e-6)
    assert "train/grad_norm" not in events.Tags()["scalars"]  # nulls are not logged as values
    top1 = report["runs"][0]["lists"][0]["top1"]
    list_name = report["runs"][0]["lists"][0]["name"]
    (logged,) = events.Scalars(f"eval/{list_name}/top1")
    assert (logged.step, logged.value) == (3, pytest.approx(top1))
    (line,) = [json.loads(x) for x in (run_dir / "evals.jsonl").read_text().splitlines()]
    assert (line["step"], line["top1"], line["list"], line["protocol"]) == (3, top1, list_name, "list")


def test_wandb_logger_is_optional_and_resumes_the_same_run(tmp_path: Path, synthetic, run_cli, monkeypatch) -> None:  # noqa: F811
    calls: list[tuple] = []

    class FakeRun:
        step = 0

        def log(self, values, step=None):
            calls.append(("log", values, step))

        def define_metric(self, name, step_metric=None):
            calls.append(("define_metric", name, step_metric))

        def finish(self):
            calls.append(("finish",))

    def init(**kwargs):
        calls.append(("init", kwargs))
        return FakeRun()

    fake = types.SimpleNamespace(init=init, util=types.SimpleNamespace(generate_id=lambda: "run-id-1"))
    monkeypatch.setitem(sys.modules, "wandb", fake)
    run_dir, records = _train(tmp_path, synthetic, "wandb", steps=2)
    (first_init,) = [c for c in calls if c[0] == "init"]
    assert first_init[1]["id"] == "run-id-1" and first_init[1]["resume"] == "allow" and first_init[1]["project"] == "kgen"
    logged = [c for c in calls if c[0] == "log"]
    assert [c[2] for c in logged] == [1, 2] and logged[0][1]["train/loss"] == records[0]["loss"]
    assert "train/grad_norm" not in logged[0][1]
    assert json.loads((run_dir / "logger.json").read_text())["wandb_id"] == "run-id-1"
    calls.clear()
    fake.util.generate_id = lambda: "another-id"
    report = _eval_into_run(run_cli, tmp_path, synthetic, run_dir)
    (again,) = [c for c in calls if c[0] == "init"]
    assert again[1]["id"] == "run-id-1"  # the evaluation joins the training's W&B run
    (eval_log,) = [c for c in calls if c[0] == "log"]
    list_name = report["runs"][0]["lists"][0]["name"]
    assert eval_log[1][f"eval/{list_name}/top1"] == report["runs"][0]["lists"][0]["top1"]
    assert eval_log[1]["eval/checkpoint_step"] == 2
    assert ("define_metric", "eval/*", "eval/checkpoint_step") in calls and calls[-1] == ("finish",)


def test_wandb_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(InputError, match="wandb package") as caught:
        loggers.open_logger("wandb", tmp_path / "run")
    assert "pip install wandb" in (caught.value.hint or "")


def test_logger_is_a_validated_config_option_outside_the_fingerprint(synthetic) -> None:  # noqa: F811
    csv_config = tiny_run_config(synthetic, train={"logger": "csv"})
    plain = tiny_run_config(synthetic)
    assert plain.train.logger == "none"
    assert csv_config.training_fingerprint() == plain.training_fingerprint()  # resuming with another logger is allowed
    from zsar.engine.config import apply_overrides

    with pytest.raises(InputError, match="train.logger"):
        apply_overrides(plain, ["train.logger=mlflow"])


def test_a_fresh_start_removes_logs_of_an_attempt_without_checkpoint(tmp_path: Path, synthetic) -> None:  # noqa: F811
    run_dir = tmp_path / "run"
    (run_dir / "tensorboard").mkdir(parents=True)
    (run_dir / "tensorboard" / "events.out.tfevents.stale").write_text("x")
    for name in ("metrics.jsonl", "metrics.csv", "evals.jsonl", "eval.csv"):
        (run_dir / name).write_text("stale\n")
    _train(tmp_path, synthetic, "csv", steps=1)
    assert not (run_dir / "tensorboard").exists() and not (run_dir / "evals.jsonl").exists()
    assert (run_dir / "metrics.jsonl").read_text().count("\n") == 1 and "stale" not in (run_dir / "metrics.csv").read_text()
