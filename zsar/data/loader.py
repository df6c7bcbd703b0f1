"""The order videos are read in: global batches split over processes and accumulation steps.

Training order is defined once for the whole run, independently of how many processes run it:
epoch ``e`` is a permutation of the videos drawn from ``(seed, e)``; optimizer step ``s`` of that
epoch uses the ``G`` videos ``perm[s*G:(s+1)*G]`` (``G`` = global batch; the last incomplete
batch is dropped). Process ``r`` of ``W`` takes its contiguous share of them and feeds it in
``A`` micro-batches of ``G / (W * A)`` (gradient accumulation). So one process with ``A = 2``
and two processes with ``A = 1`` see the same global batches, and resuming at step ``s`` is just
starting the permutation there.

Evaluation splits a list over processes by stride (process ``r`` reads videos ``r, r+W, ...``).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Sampler

from zsar.data.dataset import ClipDataset, collate_clips


class TrainBatchSampler(Sampler[list[tuple[int, int]]]):
    """Yields this process's micro-batches of ``(video position, epoch)`` for one epoch (module docstring)."""

    def __init__(
        self,
        num_videos: int,
        *,
        global_batch: int,
        accumulation: int,
        rank: int,
        world_size: int,
        seed: int,
        epoch: int,
        start_step: int = 0,
    ) -> None:
        if global_batch % (world_size * accumulation):
            raise ValueError(
                f"the global batch {global_batch} is not a multiple of processes x accumulation steps "
                f"({world_size} x {accumulation})"
            )
        self.num_videos = num_videos
        self.global_batch = global_batch
        self.accumulation = accumulation
        self.rank = rank
        self.world_size = world_size
        self.seed = seed
        self.epoch = epoch
        self.start_step = start_step
        self.micro_batch = global_batch // (world_size * accumulation)

    def set_epoch(self, epoch: int, *, start_step: int = 0) -> None:
        """Yield epoch ``epoch`` from optimizer step ``start_step`` on the next pass (a persistent loader's sampler)."""
        self.epoch = epoch
        self.start_step = start_step

    @property
    def steps_per_epoch(self) -> int:
        return self.num_videos // self.global_batch

    def permutation(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(self.num_videos, generator=generator)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        order = self.permutation()
        share = self.global_batch // self.world_size
        for step in range(self.start_step, self.steps_per_epoch):
            batch = order[step * self.global_batch : (step + 1) * self.global_batch]
            mine = batch[self.rank * share : (self.rank + 1) * share].tolist()
            for micro in range(self.accumulation):
                chunk = mine[micro * self.micro_batch : (micro + 1) * self.micro_batch]
                yield [(position, self.epoch) for position in chunk]

    def __len__(self) -> int:
        return max(self.steps_per_epoch - self.start_step, 0) * self.accumulation


class ShardBatchSampler(Sampler[list[int]]):
    """Evaluation: this process's videos (every ``world_size``-th from ``rank``) in batches."""

    def __init__(self, num_videos: int, *, batch_size: int, rank: int = 0, world_size: int = 1) -> None:
        self.positions = list(range(rank, num_videos, world_size))
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        for start in range(0, len(self.positions), self.batch_size):
            yield self.positions[start : start + self.batch_size]

    def __len__(self) -> int:
        return (len(self.positions) + self.batch_size - 1) // self.batch_size


def make_loader(
    dataset: ClipDataset, batch_sampler: Sampler, *, workers: int, pin_memory: bool = False, persistent: bool = False
) -> DataLoader:
    """A loader of collated clips; ``persistent``: its worker processes live across passes (epochs).

    A persistent loader is reused for every epoch (training): its sampler is moved to the next
    epoch (:meth:`TrainBatchSampler.set_epoch`) before each pass, and the items do not depend on
    which worker reads them, so the batches are those of a fresh loader.
    """
    return DataLoader(
        dataset,
        batch_sampler=batch_sampler,
        num_workers=workers,
        collate_fn=collate_clips,
        pin_memory=pin_memory,
        persistent_workers=persistent and workers > 0,
        prefetch_factor=2 if workers > 0 else None,
    )
