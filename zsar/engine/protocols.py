"""The papers' evaluation protocols: which lists, which label spaces, which headline numbers.

* ``zero-shot`` (train on Kinetics-400, test elsewhere; X-CLIP/ViFi-CLIP/AP-CLIP Table 1, STDD's
  EP 3, SC-CLIP Table 3): UCF101 and HMDB51 on their three official test splits (``test1..3``,
  all classes), reported as mean ± std of top-1 over the splits; optionally the full set
  (``--full-list``, Open-VCLIP's "UCF*"/"HMDB*", STDD's EP 2: a single top-1, reported apart);
  Kinetics-600 on the three 160-class novel splits, each classified among its own 160 classes,
  mean ± std, on one of two **video pools** (``--pool``): ``er-zsar`` (``zs_split{i}_eval``,
  ViFi-CLIP's lists, ~14k videos per split, mostly K600 train files; X-CLIP, ViFi-CLIP, BIKE,
  AP-CLIP) or ``val-only`` (``zs_split{i}_val``, K600 validation videos only, ~7.3k per split;
  Open-VCLIP, FROSTER, STDD, SC-CLIP); Kinetics-400 ``val`` and SSv2 ``validation`` as single
  lists.
* ``half-class`` (Brattoli et al. 2020's EP 1; STDD Table 1): UCF101 and HMDB51 on ten random
  draws of half of their classes (``half0..half9``: 50 of 101, 25 of 51; every split-1 video of
  the drawn classes, Open-VCLIP's draws), each classified among its own classes; mean ± std of
  top-1 over the ten draws.
* ``base-to-novel`` (ViFi-CLIP; AP-CLIP Table 2): one model per training seed (``s1..s3``,
  trained on ``b2n_base_train_s{i}``). Base = top-1 on ``b2n_base_val`` among the base classes,
  Novel = top-1 on ``b2n_novel_val`` among the novel classes; both averaged over the seeds; HM =
  ``2 B N / (B + N)`` of the averages.
* ``few-shot`` (X-CLIP/ViFi-CLIP; AP-CLIP Table 3): a K-shot model (``fewshot{K}_train``) on
  split 1 (``test1``) for UCF101/HMDB51, on ``validation`` for SSv2, all classes.
* ``list``: any lists (``--list NAME|FILE``, repeatable) in a chosen label space.

Accuracy is top-1 and top-5 in percent; std is the population standard deviation (ddof=0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kgen.datasets import Dataset
from kgen.errors import InputError
from zsar.engine.results import MetricSummary, RunResult

PROTOCOLS = ("zero-shot", "half-class", "base-to-novel", "few-shot", "list")
K600_POOLS = {
    "er-zsar": ("zs_split{}_eval", "ViFi-CLIP's lists of ER-ZSAR's three splits: ~14k videos per split, mostly K600 "
                "train files (X-CLIP, ViFi-CLIP, BIKE, AP-CLIP)"),
    "val-only": ("zs_split{}_val", "K600 validation videos only: ~7.3k per split (Open-VCLIP, FROSTER, STDD, SC-CLIP)"),
}
HALF_CLASS_DRAWS = 10


@dataclass(frozen=True)
class EvalTarget:
    """One list to evaluate: its role in the protocol, the list, the label space (None: the list's own)."""

    role: str
    list_name: str
    label_space: str | None = None


@dataclass(frozen=True)
class VideoPool:
    """Which videos a protocol evaluates on (named in every result file)."""

    name: str
    description: str


@dataclass(frozen=True)
class ProtocolPlan:
    """The lists a protocol evaluates and the pool they come from."""

    targets: list[EvalTarget]
    pool: VideoPool


def _builtin_lists(dataset: Dataset) -> set[str]:
    return {v.name for v in dataset.spec.video_lists} if dataset.spec else set()


def protocol_targets(
    protocol: str,
    dataset: Dataset,
    *,
    lists: list[str] | None = None,
    label_space: str | None = None,
    full_list: str | None = None,
    pool: str | None = None,
) -> list[EvalTarget]:
    """The lists a protocol evaluates on ``dataset`` (see the module docstring)."""
    return protocol_plan(protocol, dataset, lists=lists, label_space=label_space, full_list=full_list, pool=pool).targets


def protocol_plan(
    protocol: str,
    dataset: Dataset,
    *,
    lists: list[str] | None = None,
    label_space: str | None = None,
    full_list: str | None = None,
    pool: str | None = None,
) -> ProtocolPlan:
    """The lists a protocol evaluates on ``dataset`` and their video pool (see the module docstring).

    ``pool`` chooses Kinetics-600's zero-shot pool (``er-zsar`` or ``val-only``; default
    ``er-zsar``); other datasets and protocols have one pool and refuse another name.
    """
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}", hint=f"protocols: {', '.join(PROTOCOLS)}")
    available = _builtin_lists(dataset)
    is_k600_zero_shot = protocol == "zero-shot" and not lists and {"zs_split1_eval", "zs_split1_val"} & available
    if pool is not None and not is_k600_zero_shot:
        raise InputError(
            f"--pool {pool} has no meaning for the {protocol} protocol on {dataset.name}",
            hint="video pools exist for Kinetics-600's zero-shot splits (er-zsar or val-only)",
        )
    if protocol == "list" or lists:
        if not lists:
            raise InputError("the list protocol needs at least one --list", hint="--list test1 or --list /path/to/list.txt")
        targets = [EvalTarget(role=_role_of(name), list_name=name, label_space=label_space) for name in lists]
        return ProtocolPlan(targets, VideoPool("lists", "the lists given with --list: " + ", ".join(lists)))

    def need(names: list[str]) -> None:
        missing = [name for name in names if name not in available]
        if missing:
            raise InputError(
                f"{dataset.name} has no built-in list {', '.join(missing)} for the {protocol} protocol",
                hint="give the lists with --list (protocol 'list')",
            )

    targets: list[EvalTarget]
    if protocol == "zero-shot":
        if {"test1", "test2", "test3"} <= available:
            targets = [EvalTarget(f"split{i}", f"test{i}") for i in (1, 2, 3)]
            chosen = VideoPool("official-test-splits", f"{dataset.name}'s three official test lists, all classes")
        elif is_k600_zero_shot:
            name = pool or "er-zsar"
            if name not in K600_POOLS:
                raise InputError(f"unknown Kinetics-600 video pool {name!r}", hint=f"pools: {', '.join(K600_POOLS)}")
            pattern, description = K600_POOLS[name]
            need([pattern.format(i) for i in (1, 2, 3)])
            targets = [EvalTarget(f"split{i}", pattern.format(i)) for i in (1, 2, 3)]
            chosen = VideoPool(name, description)
        elif "val" in available:
            targets = [EvalTarget("test", "val")]
            chosen = VideoPool("val", f"{dataset.name}'s validation list")
        elif "validation" in available:
            targets = [EvalTarget("test", "validation")]
            chosen = VideoPool("validation", f"{dataset.name}'s validation list")
        else:
            raise InputError(f"no zero-shot lists are known for {dataset.name}", hint="use --protocol list --list FILE")
        if full_list:
            targets.append(EvalTarget("full", full_list))
            chosen = VideoPool(chosen.name + "+full", chosen.description + f"; and the full set {full_list}")
        return ProtocolPlan(targets, chosen)
    if protocol == "half-class":
        names = [f"half{i}" for i in range(HALF_CLASS_DRAWS)]
        need(names)
        targets = [EvalTarget(f"draw{i}", name) for i, name in enumerate(names)]
        return ProtocolPlan(targets, VideoPool(
            "half-class-draws", "Open-VCLIP's 10 random draws of half the classes, every split-1 video of the drawn classes",
        ))
    if protocol == "base-to-novel":
        need(["b2n_base_val", "b2n_novel_val"])
        return ProtocolPlan(
            [EvalTarget("base", "b2n_base_val"), EvalTarget("novel", "b2n_novel_val")],
            VideoPool("base-to-novel", "ViFi-CLIP's base and novel validation lists, each among its own half's classes"),
        )
    # few-shot
    name = "test1" if "test1" in available else "validation" if "validation" in available else "val"
    need([name])
    return ProtocolPlan([EvalTarget("test", name)], VideoPool(name, f"{dataset.name}'s {name} list, all classes"))


def _role_of(name: str) -> str:
    stem = name.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0]


def summarize(protocol: str, runs: list[RunResult]) -> tuple[dict[str, MetricSummary], float | None]:
    """The headline numbers of a protocol over its runs and lists; plus HM for base-to-novel."""

    def stats(values: list[float]) -> MetricSummary:
        array = np.asarray(values, dtype=np.float64)
        return MetricSummary(mean=float(array.mean()), std=float(array.std()), values=[float(v) for v in values])

    if protocol == "base-to-novel":
        base = [r.top1 for run in runs for r in run.lists if r.role == "base"]
        novel = [r.top1 for run in runs for r in run.lists if r.role == "novel"]
        summary = {"base top-1": stats(base), "novel top-1": stats(novel)}
        b, n = summary["base top-1"].mean, summary["novel top-1"].mean
        return summary, (2 * b * n / (b + n) if b + n > 0 else 0.0)
    summary: dict[str, MetricSummary] = {}
    for run in runs:
        prefix = f"{run.label} " if len(runs) > 1 else ""
        splits = [r for r in run.lists if r.role.startswith(("split", "draw"))] or [r for r in run.lists if r.role != "full"]
        if splits:
            summary[f"{prefix}top-1"] = stats([r.top1 for r in splits])
            top5 = [r.top5 for r in splits]
            if all(value is not None for value in top5):
                summary[f"{prefix}top-5"] = stats([float(value) for value in top5 if value is not None])
        for r in run.lists:
            if r.role == "full":
                summary[f"{prefix}full-set top-1"] = stats([r.top1])
    return summary, None
