"""What the report shows of evaluation results (``kgen eval --out``, format ``kgen.zsar.eval``).

Per result and video list: the headline numbers, per-class top-1 and the confusion matrix (format
versions 2 and 3 store both; a version 1 file has only the headline numbers and the page says so).
Above 1,000 classes version 3 stores a list's matrix sparse (``confusion_entries``); the report
draws no matrix for such a list (the page says it has none). When
a result holds several models (base-to-novel seeds), per-class top-1 is averaged over them and the
confusion counts are summed.

:func:`per_class_difference` compares two results list by list (matched by list name), class by
class (matched by the dataset's class id): the classes a knowledge bank helps and hurts.

The file is read as plain JSON, not through ``zsar.engine.results``: the report must read results written
by every kgen version, and importing ``zsar`` would pay for torch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kgen.errors import FormatError, InputError

EVAL_FORMAT = "kgen.zsar.eval"


def load_result(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no evaluation result at {path}", hint="give a file written by `kgen eval --out FILE`")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}", hint="give a file written by `kgen eval --out FILE`") from exc
    if not isinstance(raw, dict) or raw.get("format") != EVAL_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise FormatError(f"{path} has format {found!r}, expected {EVAL_FORMAT!r}", hint="give a file written by `kgen eval --out FILE`")
    return raw


def looks_like_result(path: Path) -> bool:
    """Whether a JSON file is an evaluation result (reads only its first bytes)."""
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return bool(re.search(r'"format"\s*:\s*"kgen\.zsar\.eval"', head))


def find_results(folders: list[Path], dataset: str) -> list[Path]:
    """Evaluation results of ``dataset`` anywhere under ``folders`` (sorted by path)."""
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.json")):
            if looks_like_result(path):
                try:
                    if load_result(path).get("dataset") == dataset:
                        found.append(path)
                except (InputError, FormatError):
                    continue
    return found


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _list_view(name: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """One list of a result, merged over the result's runs (models)."""
    first = entries[0]
    names = first.get("class_names") or []
    ids = first.get("class_ids") or []
    per_class: list[float | None] = []
    videos: list[int] = []
    confusion: list[list[int]] | None = None
    has_detail = bool(names) and all(len(e.get("per_class_top1") or []) == len(names) for e in entries)
    if has_detail:
        for k in range(len(names)):
            values = [e["per_class_top1"][k] for e in entries if e["per_class_top1"][k] is not None]
            per_class.append(_mean(values))
            videos.append(sum(int((e.get("per_class_videos") or [0] * len(names))[k]) for e in entries))
        matrices = [e.get("confusion") for e in entries if e.get("confusion")]
        if matrices and all(len(m) == len(names) for m in matrices):
            confusion = [[sum(m[i][j] for m in matrices) for j in range(len(names))] for i in range(len(names))]
    return {
        "name": name,
        "role": first.get("role"),
        "label_space": first.get("label_space"),
        "num_classes": first.get("num_classes"),
        "runs": len(entries),
        "evaluated": sum(int(e.get("evaluated") or 0) for e in entries),
        "top1": _mean([float(e["top1"]) for e in entries if e.get("top1") is not None]),
        "top5": _mean([float(e["top5"]) for e in entries if e.get("top5") is not None]),
        "mean_class_accuracy": _mean([float(e["mean_class_accuracy"]) for e in entries if e.get("mean_class_accuracy") is not None]),
        "class_ids": ids,
        "class_names": names,
        "per_class_top1": per_class if has_detail else None,
        "per_class_videos": videos if has_detail else None,
        "confusion": confusion,
    }


def collect_result(path: Path, key: str) -> dict[str, Any]:
    """One result file as page data (``key``: its id in the page and in figure file names)."""
    raw = load_result(path)
    by_list: dict[str, list[dict[str, Any]]] = {}
    for run in raw.get("runs") or []:
        for entry in run.get("lists") or []:
            by_list.setdefault(str(entry.get("name")), []).append(entry)
    bank = raw.get("bank") or {}
    lists = [_list_view(name, entries) for name, entries in by_list.items()]
    return {
        "key": key,
        "label": f"{Path(path).stem}",
        "path": str(path),
        "format_version": raw.get("format_version"),
        "protocol": raw.get("protocol"),
        "dataset": raw.get("dataset"),
        "video_pool": (raw.get("video_pool") or {}).get("name"),
        "bank_id": bank.get("bank_id"),
        "bank_kind": bank.get("kind"),
        "models": [run.get("label") for run in raw.get("runs") or []],
        "created_at": raw.get("created_at"),
        "summary": {k: v.get("mean") for k, v in (raw.get("summary") or {}).items() if isinstance(v, dict)},
        "harmonic_mean": raw.get("harmonic_mean"),
        "lists": lists,
        "per_class": any(item["per_class_top1"] is not None for item in lists),
    }


def per_class_difference(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Per list both results evaluated, each class's top-1 in A and in B and B - A, largest gain first.

    Classes are matched by dataset class id (by name when a result has no ids); a class without
    videos in either result is left out.
    """
    comparisons = []
    lists_b = {item["name"]: item for item in b["lists"]}
    for list_a in a["lists"]:
        list_b = lists_b.get(list_a["name"])
        if list_b is None or list_a["per_class_top1"] is None or list_b["per_class_top1"] is None:
            continue

        def keyed(item: dict[str, Any]) -> dict[Any, tuple[str, float | None]]:
            keys = item["class_ids"] or item["class_names"]
            return {k: (item["class_names"][i], item["per_class_top1"][i]) for i, k in enumerate(keys)}

        in_a, in_b = keyed(list_a), keyed(list_b)
        rows = []
        for key, (name, acc_a) in in_a.items():
            if key not in in_b:
                continue
            acc_b = in_b[key][1]
            if acc_a is None or acc_b is None:
                continue
            rows.append({"class_id": key if list_a["class_ids"] else None, "class": name, "a": acc_a, "b": acc_b,
                         "difference": acc_b - acc_a})
        rows.sort(key=lambda r: (-r["difference"], r["class"]))
        comparisons.append(
            {
                "list": list_a["name"],
                "a": a["key"],
                "b": b["key"],
                "a_label": a["label"],
                "b_label": b["label"],
                "mean_a": _mean([r["a"] for r in rows]),
                "mean_b": _mean([r["b"] for r in rows]),
                "gained": sum(1 for r in rows if r["difference"] > 0),
                "lost": sum(1 for r in rows if r["difference"] < 0),
                "rows": rows,
            }
        )
    return comparisons
