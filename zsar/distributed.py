"""One code path for one device and for many: ``torchrun`` and DistributedDataParallel.

Run on one device as ``kgen train ...``; on several as
``torchrun --nproc_per_node=8 -m cli train ...`` (or ``torchrun --nproc_per_node=8 $(which kgen)
train ...``). :func:`init_distributed` reads torchrun's environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``) and joins the process group: NCCL on CUDA,
gloo on CPU. Without that environment it returns a world of one and nothing is initialised;
the trainer then skips the DDP wrapper and every collective below is the identity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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


def choose_device(request: str, local_rank: int = 0) -> torch.device:
    """``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    if request == "auto":
        request = "cuda" if torch.cuda.is_available() else "cpu"
    if request.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError("--device cuda was asked for but no CUDA device is visible", hint="use --device cpu")
        if request == "cuda":
            return torch.device("cuda", local_rank % torch.cuda.device_count())
    if request not in ("cpu",) and not request.startswith("cuda"):
        raise InputError(f"unknown device {request!r}", hint="auto, cpu, cuda or cuda:N")
    return torch.device(request)


def init_distributed(device_request: str = "auto") -> DistContext:
    """Join torchrun's process group when launched by it; otherwise a world of one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = choose_device(device_request, local_rank)
    if world_size <= 1:
        return DistContext(0, 1, 0, device, False)
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank, world_size, local_rank, device, True)


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
