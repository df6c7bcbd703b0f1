"""Several nodes (issue 18): devices under torchrun, a shared run folder, persistent loader workers, a 2-node rendezvous."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from zsar_helpers import synthetic, synthetic_bank, tiny_run_config  # noqa: F401

from kgen.errors import InputError
from zsar.engine import distributed
from zsar.engine.checkpoint import load_checkpoint
from zsar.engine.train import Trainer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


def test_each_process_takes_the_gpu_of_its_local_rank(two_gpus: None) -> None:
    assert distributed.choose_device("cuda", local_rank=1, world_size=4) == torch.device("cuda", 1)
    assert distributed.choose_device("auto", local_rank=0, world_size=4) == torch.device("cuda", 0)
    assert distributed.choose_device("cuda:1") == torch.device("cuda", 1)  # one process: the GPU asked for
    assert distributed.choose_device("cpu", local_rank=1, world_size=4) == torch.device("cpu")


def test_an_explicit_gpu_under_torchrun_is_refused(two_gpus: None) -> None:
    with pytest.raises(InputError, match="every process would use GPU 1") as caught:
        distributed.choose_device("cuda:1", local_rank=0, world_size=2)
    assert "CUDA_VISIBLE_DEVICES" in (caught.value.hint or "")


def test_more_processes_than_gpus_on_a_node_is_refused(two_gpus: None) -> None:
    with pytest.raises(InputError, match="LOCAL_RANK 2, but only 2 GPU") as caught:
        distributed.choose_device("cuda", local_rank=2, world_size=4)
    assert "--nproc_per_node=2" in (caught.value.hint or "")
    with pytest.raises(InputError, match="only 2 GPU"):
        distributed.choose_device("cuda:5")
    with pytest.raises(InputError, match="unknown device"):
        distributed.choose_device("cuda:x")


def _shared_folder_worker(rank: int, init_file: str, shared: str, per_node: list[str], out: str) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        ctx = distributed.DistContext(rank, 2, 0, torch.device("cpu"), True)
        outcomes = []
        for folder in (shared, per_node[rank]):  # one folder for both; then "node" 1 sees another disk at that path
            try:
                distributed.check_shared_folder(ctx, Path(folder), why="resume reads it", wait_s=0.5)
                outcomes.append("ok")
            except InputError as exc:
                outcomes.append(str(exc))
        Path(f"{out}.{rank}").write_text(json.dumps(outcomes))
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_a_run_folder_that_is_not_shared_is_refused_by_every_process(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    per_node = [str(tmp_path / "node0" / "run"), str(tmp_path / "node1" / "run")]
    mp.start_processes(_shared_folder_worker, args=(str(tmp_path / "init"), str(shared), per_node, str(tmp_path / "out")),
                       nprocs=2, join=True, start_method="spawn")
    outcomes = [json.loads((tmp_path / f"out.{rank}").read_text()) for rank in (0, 1)]
    assert [first for first, _ in outcomes] == ["ok", "ok"]
    assert not list(shared.glob(".kgen-shared-check-*"))  # the probe is removed
    for _, second in outcomes:  # both processes stop, naming the blind rank
        assert "is not shared by every process: rank 1 on" in second and "resume reads it" in second


def test_loader_workers_persist_across_epochs_and_give_the_same_run(tmp_path: Path, synthetic, monkeypatch) -> None:  # noqa: F811
    import zsar.engine.train as train_module

    built = []
    real = train_module.make_loader

    def counting(*args, **kwargs):
        loader = real(*args, **kwargs)
        built.append(loader)
        return loader

    monkeypatch.setattr(train_module, "make_loader", counting)
    from zsar.data import ClipDataset, TrainBatchSampler

    read: list[tuple[int, int]] = []
    real_item = ClipDataset.__getitem__
    monkeypatch.setattr(ClipDataset, "__getitem__", lambda self, key: (read.append(key), real_item(self, key))[1])
    runs = {}
    for workers in (0, 2):
        config = tiny_run_config(synthetic, data={"workers": workers}, optim={"epochs": 3, "global_batch_size": 4})
        result = Trainer(config, bank=synthetic_bank(synthetic), run_dir=tmp_path / f"w{workers}", show_progress=False).run()
        runs[workers] = ([h["loss"] for h in result.history], load_checkpoint(result.checkpoint)["model"])
    # In process (0 workers) every item read is recorded: each epoch in its own order, as a fresh sampler gives it.
    expected = [key for epoch in range(3) for batch in TrainBatchSampler(
        8, global_batch=4, accumulation=1, rank=0, world_size=1, seed=0, epoch=epoch) for key in batch]
    assert read == expected and [key[1] for key in read] == [0] * 8 + [1] * 8 + [2] * 8
    assert len(built) == 2  # one loader per run, not one per epoch
    assert built[1].persistent_workers and built[1].num_workers == 2
    assert len(runs[2][0]) == 6 and runs[2][0] == pytest.approx(runs[0][0], abs=1e-6)  # epochs 2 and 3 are not epoch 1 again
    for name, value in runs[0][1].items():
        torch.testing.assert_close(runs[2][1][name], value, atol=1e-6, rtol=0, msg=name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_nodes_through_a_c10d_rendezvous_match_one_process(tmp_path: Path, synthetic) -> None:  # noqa: F811
    # Two torchrun agents ("nodes") of one process each, meeting at a c10d rendezvous on 127.0.0.1,
    # train with gloo into one (shared) run folder; then the run resumes on the two nodes.
    config = tiny_run_config(synthetic, data={"workers": 1}, optim={"epochs": 2, "global_batch_size": 4, "eps": 1e-3})
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(config.to_yaml())
    bank = synthetic_bank(synthetic)
    bank_dir = bank.save(tmp_path / "bank")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1",
               KGEN_ROOT=str(tmp_path))

    def two_nodes(max_steps: int) -> None:
        port = _free_port()
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
                   "--rdzv-backend=c10d", f"--rdzv-endpoint=127.0.0.1:{port}", f"--rdzv-id=kgen-test-{port}",
                   "-m", "kgen", "train", "--recipe", str(recipe), "--bank", str(bank_dir), "--out", str(tmp_path / "multi"),
                   "--device", "cpu", "--max-steps", str(max_steps)]
        nodes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        try:
            outputs = [node.communicate(timeout=300) for node in nodes]
        finally:
            for node in nodes:
                if node.poll() is None:
                    node.kill()
        for node, (_, err) in zip(nodes, outputs, strict=True):
            assert node.returncode == 0, err[-3000:]

    two_nodes(max_steps=2)  # the first epoch, then a stop with a checkpoint
    assert load_checkpoint(tmp_path / "multi")["progress"]["global_step"] == 2
    two_nodes(max_steps=4)  # both nodes resume from the shared last.pt
    multi = load_checkpoint(tmp_path / "multi")
    single = Trainer(config, bank=bank, run_dir=tmp_path / "single", show_progress=False).run()
    assert multi["progress"]["world_size"] == 2 and multi["progress"]["global_step"] == single.global_step == 4
    multi_losses = [json.loads(line)["loss"] for line in (tmp_path / "multi" / "metrics.jsonl").read_text().splitlines()]
    assert multi_losses == pytest.approx([h["loss"] for h in single.history], abs=1e-4)
    for name, value in load_checkpoint(single.checkpoint)["model"].items():
        torch.testing.assert_close(multi["model"][name], value, atol=2e-5, rtol=0, msg=name)
