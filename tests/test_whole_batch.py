"""DA-STI's batch-level loss (eq. 11-13) is the loss of the whole global batch (issue 15, point 4).

The loss and every parameter gradient must be the same for one process with one step, one process
with two accumulation steps, two processes (gloo on the CPU), and two processes with two
accumulation steps each; computed per micro-batch, as before, they are not.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from dasti_helpers import attributes_bank
from zsar_helpers import TINY, synthetic, tiny_run_config  # noqa: F401

from zsar.engine import distributed
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.train import Trainer
from zsar.engine.whole_batch import MicroBatch, whole_batch_step
from zsar.models import TrainTargets, build_model
from zsar.models.da_sti.symmetric_loss import symmetric_class_video_loss
from zsar.models.textside import TextSide

CLASSES = ["kick ball", "ride bike", "climb stairs", "brush hair"]
LABELS = [0, 1, 2, 3, 0, 1, 2, 2]  # repeated classes: positives beyond the diagonal


def _model():
    return build_model("da-sti", backbone=TINY, pretrained="random", frames=2)


def _text() -> TextSide:
    return TextSide(attributes_bank(CLASSES, {"kick ball": ["ball", "foot"], "ride bike": ["wheels"]}))


def _batch() -> tuple[torch.Tensor, TrainTargets]:
    video = torch.randn(8, 2, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    labels = torch.tensor(LABELS)
    soft = torch.nn.functional.one_hot(labels, len(CLASSES)).float()
    return video, TrainTargets(labels, soft, torch.ones(8, dtype=torch.bool))


def _slice(targets: TrainTargets, rows: slice) -> TrainTargets:
    return TrainTargets(targets.labels[rows], targets.soft[rows], targets.valid[rows])


def _step(model, net, ctx, micro_batches: list[MicroBatch], text: TextSide) -> tuple[float, dict[str, torch.Tensor]]:
    no_sync = net.no_sync if ctx.distributed else contextlib.nullcontext
    loss, _ = whole_batch_step(net, model, micro_batches, text, ctx, autocast=contextlib.nullcontext,
                               scale_loss=lambda value: value, no_sync=no_sync)
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None}
    return float(loss.loss.detach()), grads


def _single(accumulation: int) -> tuple[float, dict[str, torch.Tensor]]:
    model = _model().train()
    video, targets = _batch()
    size = 8 // accumulation
    micro = [MicroBatch(video[i : i + size], _slice(targets, slice(i, i + size))) for i in range(0, 8, size)]
    return _step(model, model, distributed.DistContext(0, 1, 0, torch.device("cpu"), False), micro, _text())


def test_one_step_is_the_symmetric_loss_of_the_whole_batch() -> None:
    loss, grads = _single(1)
    model = _model().train()
    video, targets = _batch()
    direct, _ = symmetric_class_video_loss(model(video, _text()).logits, targets.labels)
    assert loss == pytest.approx(float(direct.detach()), abs=1e-6)
    assert grads and all(g.abs().sum() > 0 for name, g in grads.items() if name.startswith("interaction"))


def test_two_accumulation_steps_give_the_loss_and_gradients_of_one() -> None:
    loss1, grads1 = _single(1)
    loss2, grads2 = _single(2)
    assert loss2 == pytest.approx(loss1, abs=1e-6)
    assert grads1.keys() == grads2.keys()
    for name in grads1:
        torch.testing.assert_close(grads2[name], grads1[name], atol=1e-6, rtol=1e-5, msg=name)


def test_per_micro_batch_matrices_would_change_the_loss() -> None:
    # What the whole-batch computation avoids: two 4-clip matrices give another objective.
    model = _model().eval()
    video, targets = _batch()
    with torch.no_grad():
        logits = model(video, _text()).logits
        whole, _ = symmetric_class_video_loss(logits, targets.labels)
        halves = [symmetric_class_video_loss(logits[i : i + 4], targets.labels[i : i + 4])[0] for i in (0, 4)]
    assert abs(float(whole) - float(sum(halves) / 2)) > 0.05


def _worker(rank: int, world: int, accumulation: int, init_file: str, out: str) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        ctx = distributed.DistContext(rank, world, rank, torch.device("cpu"), True)
        model = _model().train()
        net = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
        video, targets = _batch()
        share = 8 // world
        mine = slice(rank * share, (rank + 1) * share)
        video, targets = video[mine], _slice(targets, mine)
        size = share // accumulation
        micro = [MicroBatch(video[i : i + size], _slice(targets, slice(i, i + size))) for i in range(0, share, size)]
        loss, grads = _step(model, net, ctx, micro, _text())
        if rank == 0:
            torch.save({"loss": loss, "grads": grads}, out)
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
@pytest.mark.parametrize("accumulation", [1, 2])
def test_two_processes_give_the_loss_and_gradients_of_one(tmp_path: Path, accumulation: int) -> None:
    out = tmp_path / "rank0.pt"
    mp.start_processes(_worker, args=(2, accumulation, str(tmp_path / "init"), str(out)), nprocs=2, join=True,
                       start_method="spawn")
    result = torch.load(out, weights_only=True)
    loss1, grads1 = _single(1)
    assert result["loss"] == pytest.approx(loss1, abs=1e-6)
    assert result["grads"].keys() == grads1.keys()
    for name in grads1:  # DDP averages the two processes' gradients: the whole batch's gradient, not half of it
        torch.testing.assert_close(result["grads"][name], grads1[name], atol=1e-6, rtol=1e-5, msg=name)


def test_the_trainer_gives_the_same_step_with_and_without_accumulation(tmp_path: Path, synthetic) -> None:  # noqa: F811
    bank = attributes_bank(synthetic.class_names, dataset=Path(synthetic.classes_file).stem)
    runs = {}
    for accumulation in (1, 2, 4):
        config = tiny_run_config(
            synthetic,
            model={"name": "da-sti", "backbone": TINY, "pretrained": "random", "frames": 2},
            optim={"epochs": 1, "global_batch_size": 8, "accumulation_steps": accumulation, "eps": 1e-3},
        )
        result = Trainer(config, bank=bank, run_dir=tmp_path / f"acc{accumulation}", show_progress=False).run()
        runs[accumulation] = (result.history[0], load_checkpoint(result.checkpoint)["model"])
    for accumulation in (2, 4):
        assert runs[accumulation][0]["loss"] == pytest.approx(runs[1][0]["loss"], abs=1e-5)
        assert runs[accumulation][0]["grad_norm"] == pytest.approx(runs[1][0]["grad_norm"], rel=1e-4) or (
            runs[1][0]["grad_norm"] != runs[1][0]["grad_norm"]  # nan: no clipping asked for
        )
        for name, value in runs[1][1].items():
            torch.testing.assert_close(runs[accumulation][1][name], value, atol=1e-5, rtol=0, msg=name)
