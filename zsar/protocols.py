"""The papers' evaluation protocols: which lists, which label spaces, which headline numbers.

* ``zero-shot`` (train on Kinetics-400, test elsewhere; X-CLIP/ViFi-CLIP/AP-CLIP Table 1):
  UCF101 and HMDB51 on their three official test splits (``test1..3``, all classes), reported as
  mean ± std of top-1 over the splits; optionally the full set (``--full-list``, Open-VCLIP's
  "UCF*"/"HMDB*": a single top-1, reported apart); Kinetics-600 on the three 160-class novel
  splits (``zs_split1..3_eval``), each classified among its own 160 classes, mean ± std;
  Kinetics-400 ``val`` and SSv2 ``validation`` as single lists.
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
from zsar.results import MetricSummary, RunResult

PROTOCOLS = ("zero-shot", "base-to-novel", "few-shot", "list")


@dataclass(frozen=True)
class EvalTarget:
    """One list to evaluate: its role in the protocol, the list, the label space (None: the list's own)."""

    role: str
    list_name: str
    label_space: str | None = None


def _builtin_lists(dataset: Dataset) -> set[str]:
    return {v.name for v in dataset.spec.video_lists} if dataset.spec else set()


def protocol_targets(
    protocol: str,
    dataset: Dataset,
    *,
    lists: list[str] | None = None,
    label_space: str | None = None,
    full_list: str | None = None,
) -> list[EvalTarget]:
    """The lists a protocol evaluates on ``dataset`` (see the module docstring)."""
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}", hint=f"protocols: {', '.join(PROTOCOLS)}")
    available = _builtin_lists(dataset)
    if protocol == "list" or lists:
        if not lists:
            raise InputError("the list protocol needs at least one --list", hint="--list test1 or --list /path/to/list.txt")
        return [EvalTarget(role=_role_of(name), list_name=name, label_space=label_space) for name in lists]

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
        elif {"zs_split1_eval", "zs_split2_eval", "zs_split3_eval"} <= available:
            targets = [EvalTarget(f"split{i}", f"zs_split{i}_eval") for i in (1, 2, 3)]
        elif "val" in available:
            targets = [EvalTarget("test", "val")]
        elif "validation" in available:
            targets = [EvalTarget("test", "validation")]
        else:
            raise InputError(f"no zero-shot lists are known for {dataset.name}", hint="use --protocol list --list FILE")
        if full_list:
            targets.append(EvalTarget("full", full_list))
        return targets
    if protocol == "base-to-novel":
        need(["b2n_base_val", "b2n_novel_val"])
        return [EvalTarget("base", "b2n_base_val"), EvalTarget("novel", "b2n_novel_val")]
    # few-shot
    name = "test1" if "test1" in available else "validation" if "validation" in available else "val"
    need([name])
    return [EvalTarget("test", name)]


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
        splits = [r for r in run.lists if r.role.startswith("split")] or [r for r in run.lists if r.role != "full"]
        if splits:
            summary[f"{prefix}top-1"] = stats([r.top1 for r in splits])
            summary[f"{prefix}top-5"] = stats([r.top5 for r in splits])
        for r in run.lists:
            if r.role == "full":
                summary[f"{prefix}full-set top-1"] = stats([r.top1])
    return summary, None
