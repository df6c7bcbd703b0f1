"""The trainer: one loop for one device and for many (DDP), resumable to the step.

``Trainer(config, bank=..., run_dir=...).run()``:

1. joins the process group when launched by torchrun (:mod:`zsar.engine.distributed`);
2. reads the training list, checks that its videos are there, and restricts the bank to the
   list's label space (a bank of other classes is refused);
3. builds the model (:func:`zsar.models.build_model`), AdamW and the warm-up + cosine schedule
   (per optimizer step), mixed precision (bf16 autocast on CUDA, fp32 on CPU; fp16 with a
   gradient scaler on request), DDP when there are several processes;
4. resumes from ``<run_dir>/checkpoints/last.pt`` when it exists (refusing one written by a
   different config), then trains: each optimizer step takes one global batch (split over
   processes and accumulation steps, see :mod:`zsar.data.loader`), soft targets (label
   smoothing, mixup/cutmix), the model's loss, gradient clipping; unreadable videos are masked
   out of the loss and written to ``skipped.jsonl``. A loss that compares the clips of a batch
   (``model.couples_batch``, DA-STI) is computed over the whole global batch
   (:mod:`zsar.engine.whole_batch`); a tuned text tower re-encodes the class texts every
   ``model.text_update_every`` steps (:mod:`zsar.models.text_tower`);
5. logs to ``metrics.jsonl`` (and ``train.logger``: TensorBoard, W&B or CSV, see
   :mod:`zsar.engine.loggers`) and a progress bar, checkpoints every
   ``train.checkpoint_every_steps`` steps and at each epoch end, so a crash loses at most those
   steps.

Run folder: ``config.yaml`` (the resolved config), ``run.json``, ``metrics.jsonl``,
``skipped.jsonl``, ``checkpoints/last.pt`` (and ``epoch_NNN.pt`` with
``train.save_epoch_weights``).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from kgen import __version__
from kgen.banks import Bank, load_bank
from kgen.console import info, progress, warn
from kgen.datasets import Dataset, resolve_dataset
from kgen.errors import InputError
from kgen.fileformat import atomic_write_text
from kgen.knowledge.base import utc_now
from zsar.data import (
    ClipBatch,
    ClipDataset,
    TrainBatchSampler,
    TrainTransform,
    check_videos_exist,
    make_loader,
    make_sampler,
    read_video_list,
    resolve_list,
)
from zsar.data.mixing import ClipMixer, smooth_one_hot
from zsar.data.transforms import CLIP_MEAN, CLIP_STD
from zsar.data.unreadable import too_many_unreadable
from zsar.engine import distributed, loggers
from zsar.engine.checkpoint import (
    capture_rng,
    check_room_for_checkpoints,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)
from zsar.engine.config import RunConfig
from zsar.engine.optim import build_optimizer, build_scheduler
from zsar.models import TrainTargets, VideoModel, build_model
from zsar.models.textside import TextSide, text_side_for


@dataclass
class TrainResult:
    """What a (possibly partial) run did."""

    run_dir: Path
    checkpoint: Path
    global_step: int
    epoch: int
    finished: bool
    history: list[dict[str, float]] = field(default_factory=list)
    skipped: int = 0


def dataset_of(config: RunConfig) -> Dataset:
    data = config.data
    return resolve_dataset(data.dataset, Path(data.classes) if data.classes else None)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype a precision setting means on a device (None: plain fp32)."""
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


class Trainer:
    """See the module docstring."""

    def __init__(
        self,
        config: RunConfig,
        *,
        bank: str | Path | Bank,
        run_dir: Path,
        device: str = "auto",
        resume: bool = True,
        max_steps: int | None = None,
        show_progress: bool = True,
    ) -> None:
        self.config = config
        self.bank_source = bank
        self.run_dir = Path(run_dir)
        self.device_request = device
        self.resume = resume
        self.max_steps = max_steps
        self.show_progress = show_progress

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        config = self.config
        self.ctx = distributed.init_distributed(self.device_request)
        device = self.ctx.device
        if config.data.train_list is None:
            raise InputError("no training list", hint="set data.train_list in the recipe or pass --train-list")
        self.dataset = dataset_of(config)
        list_path, label_space = resolve_list(self.dataset, config.data.train_list, config.data.label_space)
        root = Path(config.data.video_root).expanduser() if config.data.video_root else None
        self.index = read_video_list(list_path, dataset=self.dataset, label_space=label_space, video_root=root)
        check_videos_exist(self.index)
        bank = self.bank_source if isinstance(self.bank_source, Bank) else load_bank(self.bank_source)
        self.text: TextSide = text_side_for(bank, self.dataset, label_space).to(device)

        self.model: VideoModel = build_model(config.model.name, config.model, device=device, seed=config.train.seed)
        self.model.check_text(self.text)
        size = config.data.input_size or self.model.backbone.image_size
        mean = tuple(self.model.preprocess_cfg.get("mean", CLIP_MEAN))
        std = tuple(self.model.preprocess_cfg.get("std", CLIP_STD))
        transform = TrainTransform(
            size,
            scale_mode=config.data.scale_mode,
            jitter_scales=config.data.jitter_scales,
            crop_scales=config.data.crop_scales,
            flip_prob=config.data.flip_prob,
            color_jitter_prob=config.data.color_jitter_prob,
            grayscale_prob=config.data.grayscale_prob,
            mean=mean,
            std=std,
        )
        sampler = make_sampler(config.data.sampling, config.model.frames, config.data.sampling_stride)
        self.clips = ClipDataset(
            self.index, sampler, train_transform=transform, seed=config.train.seed, decode_threads=config.data.decode_threads
        )
        optim = config.optim
        self.steps_per_epoch = len(self.index) // optim.global_batch_size
        if self.steps_per_epoch == 0:
            raise InputError(
                f"the training list has {len(self.index)} videos, fewer than one global batch of {optim.global_batch_size}",
                hint="lower optim.global_batch_size (--set optim.global_batch_size=N)",
            )
        if optim.global_batch_size % (self.ctx.world_size * optim.accumulation_steps):
            raise InputError(
                f"optim.global_batch_size {optim.global_batch_size} is not divisible by processes x accumulation steps "
                f"({self.ctx.world_size} x {optim.accumulation_steps})",
                hint="choose a global batch that splits evenly",
            )
        self.total_steps = optim.epochs * self.steps_per_epoch
        if self.ctx.is_main:  # before any work: the run folder can take the checkpoints this run writes
            check_room_for_checkpoints(self.run_dir, self.model, epoch_weights=optim.epochs if config.train.save_epoch_weights else 0)
        self.optimizer = build_optimizer(self.model, optim, device)
        self.scheduler = build_scheduler(self.optimizer, optim, self.steps_per_epoch)
        self.amp_dtype = autocast_dtype(config.train.precision, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)
        self.mixer = ClipMixer(mixup_alpha=optim.mixup_alpha, cutmix_alpha=optim.cutmix_alpha, switch_prob=optim.mixup_switch_prob)
        if self.model.text_tower is not None and self.model.couples_batch:
            raise InputError(f"{config.model.name}'s whole-batch loss cannot be combined with a tuned text tower",
                             hint="set model.text_tower=frozen")
        self.text_tokens = self.model.text_tower.tokenize(self.text.texts) if self.model.text_tower is not None else None
        self.text_cache: torch.Tensor | None = None  # the last re-encoded class texts (tuned text tower)
        self.net: torch.nn.Module = self.model
        if self.ctx.distributed:
            if self.model.text_tower is not None:
                # The text tower runs outside the model's forward (once per step, zsar/models/text_tower.py):
                # DDP leaves it alone and the trainer averages its gradients itself.
                ignored = [f"text_tower.{name}" for name, _ in self.model.text_tower.named_parameters()]
                ignored += [f"text_tower.{name}" for name, _ in self.model.text_tower.named_buffers()]
                DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(self.model, ignored)
            self.net = DistributedDataParallel(
                self.model,
                device_ids=[device.index] if device.type == "cuda" else None,
                broadcast_buffers=False,
                find_unused_parameters=config.train.find_unused_parameters,
            )
        self.epoch, self.step_in_epoch, self.global_step, self.finished = 0, 0, 0, False
        self.history: list[dict[str, float]] = []
        self.skipped_total = 0
        self.read_total = 0
        self._saved_step = -1
        self._loader: torch.utils.data.DataLoader | None = None
        self._sampler: TrainBatchSampler | None = None

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoints" / "last.pt"

    def _text_info(self) -> dict[str, Any]:
        bank = self.text.bank
        return {
            "bank_id": bank.bank_id,
            "content_hash": bank.manifest.content_hash,
            "kind": bank.kind,
            "dataset": self.dataset.name,
            "label_space": self.text.label_space,
            "class_names": self.text.class_names,
        }

    def _save(self) -> None:
        self._saved_step = self.global_step
        rng_states = distributed.all_gather_objects(self.ctx, capture_rng())
        if not self.ctx.is_main:
            return
        save_checkpoint(
            self.checkpoint_path,
            {
                "config": self.config.model_dump(mode="json"),
                "fingerprint": self.config.training_fingerprint(),
                "architecture": self.model.architecture(),
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "rng": rng_states,
                "progress": {
                    "epoch": self.epoch,
                    "step_in_epoch": self.step_in_epoch,
                    "global_step": self.global_step,
                    "steps_per_epoch": self.steps_per_epoch,
                    "finished": self.finished,
                    "world_size": self.ctx.world_size,
                },
                "text": self._text_info(),
                "text_embeddings": None if self.text_cache is None else self.text_cache.detach().cpu(),
                "saved_at": utc_now(),
            },
        )

    def _export_weights(self) -> None:
        """The finished model as a plain safetensors file (``checkpoints/model.safetensors``, zsar/weights_file.py)."""
        from zsar.engine.weights_file import FINAL_WEIGHTS_FILE, save_weights

        save_weights(
            {
                "config": self.config.model_dump(mode="json"),
                "architecture": self.model.architecture(),
                "model": self.model.state_dict(),
                "progress": {"epoch": self.epoch, "global_step": self.global_step, "finished": self.finished},
                "text": self._text_info(),
            },
            self.run_dir / "checkpoints" / FINAL_WEIGHTS_FILE,
        )

    def _save_epoch_weights(self, epoch: int) -> None:
        if self.ctx.is_main:
            save_checkpoint(
                self.run_dir / "checkpoints" / f"epoch_{epoch:03d}.pt",
                {
                    "config": self.config.model_dump(mode="json"),
                    "architecture": self.model.architecture(),
                    "model": self.model.state_dict(),
                    "progress": {"epoch": epoch, "global_step": self.global_step},
                    "text": self._text_info(),
                },
            )

    def _restore(self) -> None:
        payload = load_checkpoint(self.checkpoint_path, map_location=self.ctx.device)
        if payload.get("fingerprint") != self.config.training_fingerprint():
            raise InputError(
                f"{self.checkpoint_path} was written by a run with a different config",
                hint="give a new --out to start another run, or the same recipe and options to resume this one",
            )
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        self.scaler.load_state_dict(payload["scaler"])
        progress_state = payload["progress"]
        self.epoch = int(progress_state["epoch"])
        self.step_in_epoch = int(progress_state["step_in_epoch"])
        self.global_step = int(progress_state["global_step"])
        self.finished = bool(progress_state["finished"])
        cached_text = payload.get("text_embeddings")
        self.text_cache = None if cached_text is None else cached_text.to(self.ctx.device)
        states = payload["rng"]
        if len(states) == self.ctx.world_size:
            restore_rng(states[self.ctx.rank])
        else:
            warn(f"the checkpoint was written by {len(states)} process(es), this run has {self.ctx.world_size}: "
                 "random generators are not restored (data order and augmentation are unaffected)")
        if self.ctx.is_main:
            info(f"resumed {self.run_dir} at epoch {self.epoch + 1}, step {self.global_step}/{self.total_steps}")

    def _write_run_files(self) -> None:
        if not self.ctx.is_main:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # No checkpoint: this is a fresh start, whatever an earlier attempt left before its first checkpoint goes.
        for stale in ("skipped.jsonl", *(p.name for p in self.run_dir.glob("skipped.rank*.jsonl"))):
            (self.run_dir / stale).unlink(missing_ok=True)
        loggers.remove_stale_logs(self.run_dir)
        atomic_write_text(self.run_dir / "config.yaml", self.config.to_yaml())
        meta = {
            "kgen_version": __version__,
            "started_at": utc_now(),
            "model": self.config.model.name,
            "backbone": self.config.model.backbone,
            "train_list": self.index.source,
            "videos": len(self.index),
            "world_size": self.ctx.world_size,
            "device": str(self.ctx.device),
            "precision": str(self.amp_dtype or torch.float32).replace("torch.", ""),
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "tunable_parameters": self.model.tunable_parameter_count(),
            "text": self._text_info(),
        }
        atomic_write_text(self.run_dir / "run.json", json.dumps(meta, indent=2) + "\n")

    # ------------------------------------------------------------------ the loop
    def run(self) -> TrainResult:
        self._setup()
        self.logger: loggers.RunLogger = loggers.NoLogger()
        try:
            return self._run()
        finally:
            self._loader = None  # stops persistent data-loading workers
            self.logger.close()
            distributed.shutdown(self.ctx)

    def _open_logger(self) -> None:
        if self.ctx.is_main:
            train = self.config.train
            self.logger = loggers.open_logger(train.logger, self.run_dir, run_name=self.config.name, project=train.wandb_project,
                                      config=self.config.model_dump(mode="json"))

    def _run(self) -> TrainResult:
        distributed.check_shared_folder(
            self.ctx, self.run_dir,
            why="rank 0 writes the checkpoints there and every process reads checkpoints/last.pt to resume",
        )
        # Rank 0 decides whether this is a resumed run; every process then reads the same last.pt.
        if distributed.broadcast_object(self.ctx, self.checkpoint_path.is_file()):
            if not self.resume:
                raise InputError(
                    f"{self.run_dir} already holds a run (checkpoints/last.pt)",
                    hint="resume it (leave out --no-resume), or choose another --out",
                )
            self._restore()
        else:
            self._write_run_files()
        self._open_logger()
        distributed.barrier(self.ctx)
        stop_at = self.total_steps if self.max_steps is None else min(self.max_steps, self.total_steps)
        if self.finished or self.global_step >= stop_at:
            return self._result()
        bar = progress() if (self.ctx.is_main and self.show_progress) else None
        with bar or contextlib.nullcontext():
            task = bar.add_task(f"train {self.config.model.name}", total=self.total_steps, completed=self.global_step) if bar else None
            while self.epoch < self.config.optim.epochs and self.global_step < stop_at:
                self._run_epoch(stop_at, bar, task)
        if self.global_step >= self.total_steps:
            self.finished = True
        if self._saved_step != self.global_step:
            self._save()
        if self.finished and self.ctx.is_main:
            self._export_weights()
        if self.finished and self.config.train.weight_average != "off" and self.ctx.is_main:
            from zsar.engine.weight_average import average_run

            average_run(self.run_dir, start=self.config.train.weight_average_start, method=self.config.train.weight_average)
        distributed.barrier(self.ctx)
        return self._result()

    def _run_epoch(self, stop_at: int, bar: Any, task: Any) -> None:
        optim = self.config.optim
        if self._loader is None:
            # One loader for the whole run: with workers, they persist across epochs (no restart of
            # every worker process at each epoch); the sampler moves to the next epoch instead.
            self._sampler = TrainBatchSampler(
                len(self.clips),
                global_batch=optim.global_batch_size,
                accumulation=optim.accumulation_steps,
                rank=self.ctx.rank,
                world_size=self.ctx.world_size,
                seed=self.config.train.seed,
                epoch=self.epoch,
                start_step=self.step_in_epoch,
            )
            self._loader = make_loader(self.clips, self._sampler, workers=self.config.data.workers,
                                       pin_memory=self.ctx.device.type == "cuda", persistent=True)
        assert self._sampler is not None
        self._sampler.set_epoch(self.epoch, start_step=self.step_in_epoch)
        batches = iter(self._loader)
        self.model.train()
        while self.step_in_epoch < self.steps_per_epoch and self.global_step < stop_at:
            started = time.perf_counter()
            record = self._train_step(batches)
            record["seconds"] = time.perf_counter() - started
            self.global_step += 1
            self.step_in_epoch += 1
            self.history.append(record)
            if bar is not None:
                bar.update(task, completed=self.global_step,
                           description=f"train {self.config.model.name} e{self.epoch + 1} loss {record['loss']:.3f}")
            if self.global_step % self.config.train.log_every_steps == 0 or self.global_step == stop_at:
                self._log(record)
            every = self.config.train.checkpoint_every_steps
            if every and self.global_step % every == 0 and self.step_in_epoch < self.steps_per_epoch:
                self._save()
        if self.step_in_epoch >= self.steps_per_epoch:
            finished_epoch = self.epoch
            self.epoch += 1
            self.step_in_epoch = 0
            self.finished = self.epoch >= self.config.optim.epochs
            self._save()
            if self.config.train.save_epoch_weights:
                self._save_epoch_weights(finished_epoch + 1)

    def _step_text(self) -> TextSide:
        """The text side of this optimizer step: the bank, or its texts re-encoded by the tuned text tower.

        On a re-encoding step the embeddings are a leaf that collects ``dL/dE`` over the
        micro-batches (:meth:`_text_tower_backward` then runs the tower with gradient).
        """
        tower = self.model.text_tower
        if tower is None:
            return self.text
        assert self.text_tokens is not None
        if self.global_step % self.config.model.text_update_every == 0 or self.text_cache is None:
            with self._autocast():
                embeddings = tower.encode(self.text_tokens)
            self.text_cache = embeddings
            return self.text.with_embeddings(embeddings.detach().requires_grad_(True))
        return self.text.with_embeddings(self.text_cache.detach())

    def _text_tower_backward(self, text: TextSide) -> None:
        """Back-propagate the collected ``dL/dE`` through the text tower; average its gradients over processes."""
        tower = self.model.text_tower
        if tower is None or text.reencoded is None or not text.reencoded.requires_grad:
            return
        assert self.text_tokens is not None
        grad = text.reencoded.grad
        if grad is not None:
            with self._autocast():
                tower.backward_from(self.text_tokens, grad)
        if self.ctx.distributed:
            params = [p for p in tower.parameters() if p.requires_grad]
            for param in params:
                if param.grad is None:
                    param.grad = torch.zeros_like(param)
            flat = torch.cat([p.grad.flatten() for p in params])
            torch.distributed.all_reduce(flat, op=torch.distributed.ReduceOp.SUM)
            flat /= self.ctx.world_size
            offset = 0
            for param in params:
                count = param.numel()
                param.grad.copy_(flat[offset : offset + count].view_as(param))
                offset += count

    def _autocast(self) -> contextlib.AbstractContextManager:
        device = self.ctx.device
        return torch.autocast(device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None)

    def _micro_batch(self, batches: Any, micro: int) -> tuple[ClipBatch, torch.Tensor, TrainTargets]:
        """The next micro-batch on the device, with its (mixed) video and targets."""
        optim = self.config.optim
        batch: ClipBatch = next(batches)
        batch = batch.to(self.ctx.device)
        targets = smooth_one_hot(batch.labels, self.text.num_classes, optim.label_smoothing)
        rng = np.random.default_rng([self.config.train.seed, self.global_step, self.ctx.rank, micro])
        video, soft, valid = self.mixer(batch.video, targets, batch.valid, rng)
        return batch, video, TrainTargets(batch.labels, soft, valid)

    def _train_step(self, batches: Any) -> dict[str, float]:
        optim = self.config.optim
        self.optimizer.zero_grad(set_to_none=True)
        totals = torch.zeros(4, dtype=torch.float64)  # loss x valid, valid, correct, read
        skipped: list[tuple[int, str]] = []
        step_text = self._step_text()

        def count(batch: ClipBatch, logits: torch.Tensor, loss_value: float) -> None:
            valid = float(batch.valid.sum())
            correct = float(((logits.argmax(dim=-1) == batch.labels) & batch.valid).sum())
            totals.add_(torch.tensor([loss_value * valid, valid, correct, len(batch)], dtype=torch.float64))

        if self.model.couples_batch:
            # The loss of the whole global batch (zsar/engine/whole_batch.py): gathered across processes,
            # accumulation steps cached (GradCache).
            from zsar.engine.whole_batch import MicroBatch, whole_batch_step

            micro_batches, read = [], []
            for micro in range(optim.accumulation_steps):
                batch, video, targets = self._micro_batch(batches, micro)
                skipped.extend(batch.errors)
                micro_batches.append(MicroBatch(video, targets))
                read.append(batch)
            no_sync = self.net.no_sync if self.ctx.distributed else contextlib.nullcontext
            loss, logits = whole_batch_step(
                self.net, self.model, micro_batches, step_text, self.ctx,
                autocast=self._autocast, scale_loss=self.scaler.scale, no_sync=no_sync,
            )
            with torch.no_grad():
                for batch, micro_logits in zip(read, logits, strict=True):
                    count(batch, micro_logits, float(loss.loss.detach()))
        else:
            for micro in range(optim.accumulation_steps):
                batch, video, targets = self._micro_batch(batches, micro)
                skipped.extend(batch.errors)
                # A fresh view of the step's text per micro-batch: its graph to the text
                # embeddings is used by this micro-batch's backward only.
                text = step_text if step_text.reencoded is None else step_text.with_embeddings(step_text.reencoded)
                last = micro == optim.accumulation_steps - 1
                sync = contextlib.nullcontext() if (last or not self.ctx.distributed) else self.net.no_sync()
                with sync:
                    with self._autocast():
                        output = self.net(video, text)
                    loss = self.model.loss(output, targets, text).loss
                    self.scaler.scale(loss / optim.accumulation_steps).backward()
                with torch.no_grad():
                    count(batch, output.logits, float(loss.detach()))
        self._text_tower_backward(step_text)
        if optim.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            grad_norm = float(torch.nn.utils.clip_grad_norm_(
                [p for p in self.model.parameters() if p.requires_grad], optim.grad_clip))
        else:
            grad_norm = float("nan")
        lr = self.optimizer.param_groups[0]["lr"]
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self._report_skipped(skipped)
        totals[3] = totals[3] - totals[1]  # unreadable clips in this step
        summed = distributed.all_reduce_sum(self.ctx, totals)
        loss_sum, valid_sum, correct_sum, skipped_sum = summed.tolist()
        self._check_skip_rate(int(skipped_sum), int(optim.global_batch_size))
        return {
            "step": self.global_step + 1,
            "epoch": self.epoch + 1,
            "loss": loss_sum / max(valid_sum, 1.0),
            "accuracy": correct_sum / max(valid_sum, 1.0),
            "lr": lr,
            "grad_norm": grad_norm,
            "valid": valid_sum,
            "logit_scale": float(self.model.scale().detach()),
        }

    def _report_skipped(self, skipped: list[tuple[int, str]]) -> None:
        if not skipped:
            return
        name = "skipped.jsonl" if self.ctx.world_size == 1 else f"skipped.rank{self.ctx.rank}.jsonl"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / name, "a", encoding="utf-8") as handle:
            for position, error in skipped:
                path = str(self.index.records[position].path)
                handle.write(json.dumps({"step": self.global_step + 1, "video": path, "error": error}) + "\n")
                warn(f"skipped unreadable video {path}: {error}")

    def _check_skip_rate(self, skipped: int, read: int) -> None:
        self.skipped_total += skipped
        self.read_total += read
        limit = self.config.data.max_skip_fraction
        # Judged from the first step (a run that could read 1 video in 4 must not end "finished"),
        # by the rule evaluation uses too (zsar/data/unreadable.py).
        if too_many_unreadable(self.skipped_total, self.read_total, len(self.clips), limit):
            raise InputError(
                f"{self.skipped_total} of the {self.read_total} videos read so far were unreadable "
                f"(more than data.max_skip_fraction = {limit})",
                hint="check --video-root and the list file; the unreadable videos are in skipped.jsonl",
            )

    def _log(self, record: dict[str, float]) -> None:
        if not self.ctx.is_main:
            return
        clips = self.config.optim.global_batch_size / max(record["seconds"], 1e-9)
        line = loggers.clean_record({**record, "clips_per_second": clips, "skipped_total": self.skipped_total, "time": utc_now()})
        loggers.append_jsonl(self.run_dir / loggers.METRICS_FILE, line)
        self.logger.log_train(int(line["step"]), line)

    def _result(self) -> TrainResult:
        return TrainResult(
            run_dir=self.run_dir,
            checkpoint=self.checkpoint_path,
            global_step=self.global_step,
            epoch=self.epoch,
            finished=self.finished,
            history=self.history,
            skipped=self.skipped_total,
        )
