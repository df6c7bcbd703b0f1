"""Losses over the whole global batch: gathering across processes with gradient, accumulation cached.

A batch-level loss such as DA-STI's symmetric video-class loss (Kim et al. eq. 11-13) compares
every clip of a batch with every other one: its ``B x B`` matrix, and so its value, depend on
which clips share the batch. Computed per process and per accumulation step it would shrink to
``B / (W x A)`` clips (one 64-clip matrix gives another loss than eight 8-clip ones), so the
objective would change with the number of GPUs and accumulation steps. Here it is always the
loss of the whole global batch:

* **across processes** (:func:`gather_with_grad`): every process gathers every process's logits
  (``all_gather``); the backward pass sums the gathered gradients over processes
  (``all_reduce``) and keeps its own rows, as open_clip's contrastive loss does with
  ``gather_with_grad``. Every process computes the same global loss, so each process's rows get
  ``W x dL/d(rows)`` and DDP's averaging of parameter gradients gives exactly ``dL/dθ``;
* **across accumulation steps** (:func:`whole_batch_step`, GradCache, Gao et al. 2021): the
  micro-batches are first run without gradient and their logits cached; the loss of the whole
  batch is computed once from the cached logits, which gives ``dL/d(logits)`` of every
  micro-batch; then each micro-batch is run again with gradient and back-propagated with its
  cached logit gradient. Random generators are restored between the two runs so both see the
  same randomness (STDD-style random masks would otherwise differ). This costs one extra
  forward pass per micro-batch and the memory of one micro-batch.

With one process and no accumulation the loss is computed directly, with no extra pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from zsar.engine import distributed
from zsar.models.base import LossOutput, ModelOutput, TrainTargets, VideoModel
from zsar.models.textside import TextSide


class _GatherWithGrad(torch.autograd.Function):
    """``all_gather`` whose backward sums the gradients over processes and keeps this process's rows."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor, world_size: int, rank: int) -> torch.Tensor:  # type: ignore[override]
        ctx.rank, ctx.rows = rank, tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(world_size)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        summed = grad.contiguous().clone()
        dist.all_reduce(summed, op=dist.ReduceOp.SUM)
        return summed[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows], None, None


def gather_with_grad(ctx: distributed.DistContext, tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor`` (equal shapes), concatenated in rank order; differentiable (module docstring)."""
    if not ctx.distributed:
        return tensor
    return _GatherWithGrad.apply(tensor, ctx.world_size, ctx.rank)


def gather(ctx: distributed.DistContext, tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor`` concatenated in rank order, without gradient."""
    if not ctx.distributed:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(ctx.world_size)]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


@dataclass
class MicroBatch:
    """One accumulation step's inputs."""

    video: torch.Tensor
    targets: TrainTargets


RandomState = tuple[torch.Tensor, list[torch.Tensor] | None]


def _random_state() -> RandomState:
    return torch.get_rng_state(), (torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None)


def _set_random_state(state: RandomState) -> None:
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state_all(state[1])


def whole_batch_step(
    net: torch.nn.Module,
    model: VideoModel,
    micro_batches: list[MicroBatch],
    text: TextSide,
    ctx: distributed.DistContext,
    *,
    autocast: Callable[[], contextlib.AbstractContextManager],
    scale_loss: Callable[[torch.Tensor], torch.Tensor],
    no_sync: Callable[[], contextlib.AbstractContextManager],
) -> tuple[LossOutput, list[torch.Tensor]]:
    """One optimizer step's backward pass for a batch-coupled loss; returns the loss and each micro-batch's logits.

    ``net`` is the (possibly DDP-wrapped) model, ``model`` the model itself (its ``loss``);
    ``autocast()`` the mixed-precision context; ``scale_loss`` the gradient scaler's ``scale``;
    ``no_sync()`` DDP's ``no_sync`` (a null context without DDP). The gradients are left in the
    parameters, for the whole global batch.
    """
    targets = TrainTargets(
        labels=gather(ctx, torch.cat([m.targets.labels for m in micro_batches])),
        soft=gather(ctx, torch.cat([m.targets.soft for m in micro_batches])),
        # as uint8: not every backend gathers bool tensors
        valid=gather(ctx, torch.cat([m.targets.valid for m in micro_batches]).to(torch.uint8)).bool(),
    )
    if len(micro_batches) == 1:
        with autocast():
            output = net(micro_batches[0].video, text)
        logits = gather_with_grad(ctx, output.logits.float())
        loss = model.loss(ModelOutput(logits), targets, text)
        scale_loss(loss.loss).backward()
        return loss, [output.logits.detach()]

    # GradCache: 1) the micro-batches' logits without gradient, 2) the whole batch's loss and its
    # gradient with respect to them, 3) each micro-batch again with gradient, back-propagated
    # with its share of that gradient.
    states: list[RandomState] = []
    cached: list[torch.Tensor] = []
    with torch.no_grad():
        for micro in micro_batches:
            states.append(_random_state())
            with autocast():
                cached.append(model(micro.video, text).logits.float())
    after = _random_state()
    local = torch.cat(cached).requires_grad_(True)
    loss = model.loss(ModelOutput(gather_with_grad(ctx, local)), targets, text)
    scale_loss(loss.loss).backward()
    assert local.grad is not None
    grads = local.grad.split([c.shape[0] for c in cached])
    for index, (micro, state, grad) in enumerate(zip(micro_batches, states, grads, strict=True)):
        last = index == len(micro_batches) - 1
        _set_random_state(state)  # the same random draws as in the cached pass
        with contextlib.nullcontext() if last else no_sync():
            with autocast():
                output = net(micro.video, text)
            (output.logits.float() * grad).sum().backward()
    _set_random_state(after)  # where one pass over the micro-batches leaves the generators
    return loss, [c.detach() for c in cached]
