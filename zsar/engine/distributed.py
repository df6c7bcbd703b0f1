"""One code path for one device and for many: ``torchrun`` and DistributedDataParallel.

Run on one device as ``kgen train ...``; on several as
``torchrun --nproc_per_node=8 -m kgen train ...`` (or ``torchrun --nproc_per_node=8 $(which kgen)
train ...``); on several nodes, one ``torchrun`` per node with ``--nnodes`` and a rendezvous
(``--rdzv-backend=c10d --rdzv-endpoint=HOST:PORT --rdzv-id=JOB``; a SLURM example is in
``docs/video.md``). :func:`init_distributed` reads torchrun's environment (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``) and joins the process group:
NCCL on CUDA, gloo on CPU. Without that environment it returns a world of one and nothing is
initialised; the trainer then skips the DDP wrapper and every collective below is the identity.

**Devices under torchrun.** Each process takes the GPU of its ``LOCAL_RANK`` (``--device cuda``
or ``auto``). An explicit ``--device cuda:N`` is refused when there are several processes (the
same command line runs on every process, so every process would take GPU N): choose the GPUs a
node uses with ``CUDA_VISIBLE_DEVICES``. More processes on a node than visible GPUs is refused
too (NCCL cannot share a GPU between ranks).

**Shared run folder.** Rank 0 writes the checkpoints; on resume *every* process reads
``checkpoints/last.pt``. So with several nodes the run folder must be on a filesystem that every
node mounts at the same path (NFS, Lustre, GPFS, ...): :func:`check_shared_folder` checks this
at start-up and refuses a folder that is not shared, instead of letting the nodes resume from
different states.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from kgen.errors import InputError


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the run."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialized: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def choose_device(request: str, local_rank: int = 0, world_size: int = 1) -> torch.device:
    """``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``; under torchrun, the LOCAL_RANK's GPU."""
    if request == "auto":
        request = "cuda" if torch.cuda.is_available() else "cpu"
    if request == "cpu":
        return torch.device("cpu")
    if not (request == "cuda" or re.fullmatch(r"cuda:\d+", request)):
        raise InputError(f"unknown device {request!r}", hint="auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise InputError(f"--device {request} was asked for but no CUDA device is visible", hint="use --device cpu")
    count = torch.cuda.device_count()
    if world_size > 1:
        if request != "cuda":
            raise InputError(
                f"--device {request} under torchrun: the same command runs on all {world_size} processes, so every "
                f"process would use GPU {request.split(':')[1]}; each process takes the GPU of its LOCAL_RANK instead",
                hint="use --device cuda (or auto); to choose which GPUs a node uses, set CUDA_VISIBLE_DEVICES "
                "(e.g. CUDA_VISIBLE_DEVICES=2,3 torchrun --nproc_per_node=2 ...)",
            )
        if local_rank >= count:
            raise InputError(
                f"this process has LOCAL_RANK {local_rank}, but only {count} GPU(s) are visible on its node",
                hint=f"start at most {count} process(es) per node: torchrun --nproc_per_node={count}",
            )
        return torch.device("cuda", local_rank)
    if request == "cuda":
        return torch.device("cuda", local_rank % count)
    index = int(request.split(":")[1])
    if index >= count:
        raise InputError(f"--device {request}: only {count} GPU(s) are visible (cuda:0..cuda:{count - 1})",
                         hint="choose one of them, or --device cuda")
    return torch.device("cuda", index)


def init_distributed(device_request: str = "auto") -> DistContext:
    """Join torchrun's process group when launched by it; otherwise a world of one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = choose_device(device_request, local_rank, world_size)
    if world_size <= 1:
        return DistContext(0, 1, 0, device, False)
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank, world_size, local_rank, device, True)


def check_shared_folder(ctx: DistContext, folder: Path, *, why: str, wait_s: float = 30.0) -> None:
    """Refuse to go on unless every process sees ``folder`` as rank 0 does (the same files).

    Rank 0 writes a probe file with a random token; every other process looks for it, for up to
    ``wait_s`` seconds (a network filesystem may show a new file late); all processes then learn
    who could not see it and raise the same error (exit 2), naming the ranks and hosts. ``why``
    says what needs the folder shared. Nothing happens in a world of one.
    """
    if not ctx.distributed:
        return
    token = broadcast_object(ctx, secrets.token_hex(16) if ctx.is_main else None)
    probe = Path(folder) / f".kgen-shared-check-{token}"
    if ctx.is_main:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_text(token, encoding="ascii")
    barrier(ctx)
    deadline = time.monotonic() + wait_s
    seen = _holds(probe, token)
    while not seen and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = _holds(probe, token)
    views = all_gather_objects(ctx, (ctx.rank, socket.gethostname(), seen))
    barrier(ctx)
    if ctx.is_main:
        probe.unlink(missing_ok=True)
    blind = [(rank, host) for rank, host, ok in views if not ok]
    if blind:
        where = ", ".join(f"rank {rank} on {host}" for rank, host in blind)
        raise InputError(
            f"{folder} is not shared by every process: {where} cannot see the file rank 0 ({views[0][1]}) wrote there; {why}",
            hint="put the folder on a filesystem that every node mounts at the same path (NFS, Lustre, GPFS...), "
            "and give it as an absolute path",
        )


def _holds(probe: Path, token: str) -> bool:
    try:
        return probe.read_text(encoding="ascii") == token
    except OSError:
        return False


def shutdown(ctx: DistContext) -> None:
    if ctx.initialized and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def all_reduce_sum(ctx: DistContext, values: torch.Tensor) -> torch.Tensor:
    """The element-wise sum of ``values`` over processes (a copy; the input is unchanged)."""
    out = values.detach().clone()
    if ctx.distributed:
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out


def all_gather_objects(ctx: DistContext, value: Any) -> list[Any]:
    """Every process's ``value`` (picklable), in rank order."""
    if not ctx.distributed:
        return [value]
    gathered: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def broadcast_object(ctx: DistContext, value: Any) -> Any:
    """Rank 0's ``value`` on every process."""
    if not ctx.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]
