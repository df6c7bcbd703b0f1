"""Training: it learns, it resumes to the step (also after a real kill), DDP matches one process, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from zsar_helpers import TINY, names_bank, synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import FormatError, InputError
from zsar.data.synthetic import write_unreadable_video
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.evaluate import EvalModel, EvalSettings, evaluate
from zsar.engine.optim import lr_factor
from zsar.engine.rebuild import rebuild_model
from zsar.engine.train import Trainer, dataset_of

ROOT = Path(__file__).resolve().parent.parent


def _params(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.allclose(a[name], b[name], atol=atol, rtol=0), f"{name}: max diff {(a[name] - b[name]).abs().max()}"


def test_a_tiny_model_learns_four_synthetic_classes(tmp_path: Path, synthetic) -> None:  # noqa: F811
    config = tiny_run_config(synthetic, optim={"epochs": 10, "global_batch_size": 4})
    result = Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False).run()
    assert result.finished and result.global_step == 20
    losses = [h["loss"] for h in result.history]
    assert losses[-1] < 0.25 * losses[0]
    assert [h["accuracy"] for h in result.history[-4:]] == [1.0] * 4
    # Train accuracy measured afresh from the checkpoint, with test views: every video right.
    model, _ = rebuild_model(load_checkpoint(tmp_path / "run"))
    from zsar.engine import distributed

    report = evaluate(
        "list", dataset_of(config), [EvalModel("tiny", model, str(result.checkpoint))], synthetic_bank(synthetic),
        EvalSettings(temporal_views=2, spatial_crops=1, aggregation="joint-frames", workers=0),
        distributed.init_distributed("cpu"), video_root=synthetic.root, lists=[str(synthetic.list_file)],
        show_progress=False,
    )
    assert report.runs[0].lists[0].top1 == 100.0 and report.runs[0].lists[0].evaluated == 8
    assert (tmp_path / "run" / "metrics.jsonl").read_text().count("\n") == 20
    assert (tmp_path / "run" / "config.yaml").is_file() and json.loads((tmp_path / "run" / "run.json").read_text())["videos"] == 8


def test_resume_from_a_checkpoint_gives_the_same_next_step(tmp_path: Path, synthetic) -> None:  # noqa: F811
    # Mixup, cutmix and label smoothing on: their random draws must resume exactly too.
    config = tiny_run_config(
        synthetic,
        optim={"epochs": 2, "global_batch_size": 2, "mixup_alpha": 0.8, "cutmix_alpha": 1.0, "label_smoothing": 0.1,
               "warmup_epochs": 0.5},
    )
    bank = synthetic_bank(synthetic)
    straight = Trainer(config, bank=bank, run_dir=tmp_path / "straight", max_steps=3, show_progress=False).run()
    Trainer(config, bank=bank, run_dir=tmp_path / "stopped", max_steps=2, show_progress=False).run()  # "killed" after 2
    resumed = Trainer(config, bank=bank, run_dir=tmp_path / "stopped", max_steps=3, show_progress=False).run()
    assert [h["step"] for h in resumed.history] == [3.0]  # only the missing step ran
    assert resumed.history[0]["loss"] == pytest.approx(straight.history[2]["loss"], abs=1e-6)
    assert resumed.history[0]["lr"] == straight.history[2]["lr"]
    a = load_checkpoint(tmp_path / "straight")
    b = load_checkpoint(tmp_path / "stopped")
    _assert_same(a["model"], b["model"], atol=1e-6)
    assert a["progress"] == b["progress"] and a["scheduler"] == b["scheduler"]


def test_gradient_accumulation_equals_one_large_batch(tmp_path: Path, synthetic) -> None:  # noqa: F811
    # eps 1e-3 keeps Adam from amplifying rounding noise in near-zero gradients into lr-sized steps.
    bank = synthetic_bank(synthetic)
    runs = {}
    for accumulation in (1, 2):
        config = tiny_run_config(synthetic, optim={"epochs": 1, "accumulation_steps": accumulation, "eps": 1e-3})
        result = Trainer(config, bank=bank, run_dir=tmp_path / f"acc{accumulation}", show_progress=False).run()
        runs[accumulation] = (result.history, load_checkpoint(result.checkpoint)["model"])
    assert runs[1][0][0]["loss"] == pytest.approx(runs[2][0][0]["loss"], abs=1e-5)
    _assert_same(runs[1][1], runs[2][1], atol=1e-5)


def test_an_unreadable_video_is_skipped_and_reported(tmp_path: Path, synthetic) -> None:  # noqa: F811
    bad = write_unreadable_video(tmp_path / "broken.mp4")
    listing = tmp_path / "list.txt"
    listing.write_text(synthetic.list_file.read_text() + f"{bad} 1\n{tmp_path / 'missing.mp4'} 2\n")
    config = tiny_run_config(synthetic, data={"train_list": str(listing)}, optim={"epochs": 1, "global_batch_size": 5})
    result = Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False).run()
    assert result.finished and result.skipped == 2
    lines = [json.loads(line) for line in (tmp_path / "run" / "skipped.jsonl").read_text().splitlines()]
    assert sorted(Path(line["video"]).name for line in lines) == ["broken.mp4", "missing.mp4"]
    assert all(line["error"] for line in lines)
    assert sum(h["valid"] for h in result.history) == 8


def test_mostly_unreadable_videos_stop_the_run(tmp_path: Path, synthetic) -> None:  # noqa: F811
    listing = tmp_path / "list.txt"
    listing.write_text(f"{synthetic.videos[0]} 0\n" + "".join(f"{tmp_path}/gone{k}.mp4 {k % 4}\n" for k in range(40)))
    config = tiny_run_config(synthetic, data={"train_list": str(listing)}, optim={"epochs": 1, "global_batch_size": 40})
    with pytest.raises(InputError, match="were unreadable"):
        Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / "run", show_progress=False).run()


def test_a_bank_of_other_classes_is_refused_by_kgen_train(tmp_path: Path, synthetic, run_cli) -> None:  # noqa: F811
    other = names_bank(["walking", "running", "climbing", "falling"], dataset="classes")
    bank_dir = other.save(tmp_path / "bank")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(tiny_run_config(synthetic).to_yaml())
    result = run_cli("train", "--recipe", str(recipe), "--bank", str(bank_dir), "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert "holds the 4 classes of 'classes'" not in result.stderr  # same dataset name, different names:
    assert "names 4 class(es) differently" in result.stderr and "kgen encode-bank" in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_resuming_with_another_config_is_refused(tmp_path: Path, synthetic) -> None:  # noqa: F811
    bank = synthetic_bank(synthetic)
    Trainer(tiny_run_config(synthetic, optim={"epochs": 1}), bank=bank, run_dir=tmp_path / "run", max_steps=1,
            show_progress=False).run()
    changed = tiny_run_config(synthetic, optim={"epochs": 1, "lr": 5e-4})
    with pytest.raises(InputError, match="different config"):
        Trainer(changed, bank=bank, run_dir=tmp_path / "run", show_progress=False).run()
    with pytest.raises(InputError, match="already holds a run"):
        Trainer(tiny_run_config(synthetic, optim={"epochs": 1}), bank=bank, run_dir=tmp_path / "run", resume=False,
                show_progress=False).run()


def test_learning_rate_schedule() -> None:
    factors = [lr_factor(s, warmup_steps=4, total_steps=14, min_ratio=0.01) for s in range(14)]
    assert factors[:5] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert factors[-1] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(factors[4:], factors[5:], strict=False))
    assert lr_factor(8, warmup_steps=4, total_steps=13, min_ratio=0.0) == pytest.approx(0.5)  # half-way down the cosine


def test_a_corrupt_checkpoint_is_a_format_error(tmp_path: Path) -> None:
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(FormatError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(FormatError, match="not a kgen video-model checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    with pytest.raises(InputError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.pt")


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    env["KGEN_ROOT"] = str(tmp_path)
    return env


@pytest.mark.slow
def test_kill_and_resume_gives_the_same_next_step(tmp_path: Path, synthetic) -> None:  # noqa: F811
    torch.set_num_threads(1)  # the same kernels as the killed process, for bit-identical steps
    config = tiny_run_config(synthetic, optim={"epochs": 40, "global_batch_size": 2}, train={"checkpoint_every_steps": 1})
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(config.to_yaml())
    bank = synthetic_bank(synthetic)
    bank_dir = bank.save(tmp_path / "bank")
    run = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "train", "--recipe", str(recipe), "--bank", str(bank_dir), "--out", str(run),
         "--device", "cpu"],
        cwd=ROOT, env=_subprocess_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            metrics = run / "metrics.jsonl"
            if metrics.is_file() and metrics.read_text().count("\n") >= 3:
                break
            assert process.poll() is None, "training ended before it could be killed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # no cleanup, no final checkpoint
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    step = int(load_checkpoint(run)["progress"]["global_step"])
    assert step >= 2
    resumed = Trainer(config, bank=bank, run_dir=run, max_steps=step + 1, show_progress=False).run()
    straight = Trainer(config, bank=bank, run_dir=tmp_path / "straight", max_steps=step + 1, show_progress=False).run()
    assert [h["step"] for h in resumed.history] == [float(step + 1)]
    assert resumed.history[0]["loss"] == pytest.approx(straight.history[step]["loss"], abs=1e-6)
    _assert_same(load_checkpoint(run)["model"], load_checkpoint(tmp_path / "straight")["model"], atol=1e-6)


DDP_VARIANTS = {
    # the plain trainer
    "ap-clip": ({}, 2),
    # a tuned text tower (outside DDP, averaged by the trainer) and a trained logit scale
    "ap-clip-text": ({"text_tower": "tuned", "train_logit_scale": True}, 1),
    # DA-STI's whole-batch loss: logits gathered across the two processes with gradient
    "da-sti": ({"name": "da-sti", "frames": 2}, 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(DDP_VARIANTS))
def test_two_process_ddp_matches_one_process(tmp_path: Path, synthetic, variant: str) -> None:  # noqa: F811
    options, epochs = DDP_VARIANTS[variant]
    model = {"name": "ap-clip", "backbone": TINY, "pretrained": "random", "frames": 4, **options}
    config = tiny_run_config(synthetic, model=model, optim={"epochs": epochs, "global_batch_size": 4, "eps": 1e-3})
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(config.to_yaml())
    if model["name"] == "da-sti":
        from dasti_helpers import attributes_bank

        bank = attributes_bank(synthetic.class_names, dataset=Path(synthetic.classes_file).stem)
    else:
        bank = synthetic_bank(synthetic)
    bank_dir = bank.save(tmp_path / "bank")
    completed = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "kgen", "train",
         "--recipe", str(recipe), "--bank", str(bank_dir), "--out", str(tmp_path / "ddp"), "--device", "cpu"],
        cwd=ROOT, env=_subprocess_env(tmp_path), capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    single = Trainer(config, bank=bank, run_dir=tmp_path / "single", show_progress=False).run()
    ddp = load_checkpoint(tmp_path / "ddp")
    assert ddp["progress"]["world_size"] == 2 and ddp["progress"]["global_step"] == single.global_step == 2 * epochs
    _assert_same(ddp["model"], load_checkpoint(single.checkpoint)["model"], atol=2e-5)
    ddp_losses = [json.loads(line)["loss"] for line in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    assert ddp_losses == pytest.approx([h["loss"] for h in single.history], abs=1e-4)
