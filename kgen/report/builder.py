"""``kgen report``: one folder with a static HTML report of a dataset's workspace.

Layout of the folder (it opens from disk: no server, no network, nothing from a CDN)::

    index.html              the page (tabs: overview, knowledge, banks, class map, evaluation, training)
    assets/report.js|css    kgen's own drawing code (canvas heatmaps, SVG charts and graphs)
    data/*.js               the page's data, one script per part, loaded when a tab needs it
    figures/...             every figure's data as CSV/JSON, for notebooks
    report.json             what went into the report and how long each part took

The folder is built beside the target and swapped in at the end, so an interrupted run leaves the
previous report whole.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from kgen import __version__, paths
from kgen.banks.store import find_banks, latest_per_lineage
from kgen.console import info, warn
from kgen.datasets import Dataset
from kgen.errors import InputError, KgenError
from kgen.fileformat import VersionedFile
from kgen.filemode import make_shareable
from kgen.knowledge.base import utc_now
from kgen.report import figures
from kgen.report.embedding_map import MapMethod, embed_2d
from kgen.report.eval_view import collect_result, find_results, per_class_difference
from kgen.report.knowledge_view import collect_knowledge
from kgen.report.similarity import bank_similarity, clustered_order, similarity_matrix
from kgen.report.training_view import collect_run, curves_table, find_runs

ASSET_FILES = ("report.js", "report.css", "index.html")
# Points (classes x banks) one map may hold; banks beyond it are left out of the map, with a note.
MAP_POINT_LIMIT = 4000


class ReportSummary(VersionedFile):
    """``report.json``: what went into a report and how long each part took."""

    FORMAT = "kgen.report"
    VERSION = 1

    dataset: str
    created_at: str
    kgen_version: str = __version__
    counts: dict[str, int] = Field(description="classes, knowledge files, banks, maps, results, runs")
    timings_s: dict[str, float] = Field(description="seconds per part: knowledge, banks, map, evaluation, training")
    notes: list[str] = []


@dataclass
class ReportRequest:
    dataset: Dataset
    out_dir: Path | None = None
    banks: list[str] | None = None  # bank references; None: the newest bank of every lineage of the dataset
    map_banks: list[str] | None = None  # banks drawn in the class map (default: all the report's banks)
    evals: list[Path] | None = None  # None: results found under results/ and runs/
    runs: list[Path] | None = None  # None: run folders under runs/
    top_pairs: int = 20
    map_method: MapMethod = "auto"
    map_iterations: int = 1000
    seed: int = 0


@dataclass
class ReportResult:
    path: Path
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def part(self, name: str) -> _TimedPart:
        return _TimedPart(self, name)


class _TimedPart:
    def __init__(self, timer: _Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timer.timings[self.name] = round(self.timer.timings.get(self.name, 0.0) + time.perf_counter() - self.start, 3)


# --------------------------------------------------------------------------------------- banks
def _report_banks(request: ReportRequest) -> list[Path]:
    from kgen.banks.store import resolve_bank_path

    if request.banks:
        return [resolve_bank_path(reference) for reference in request.banks]
    stored = [b for b in latest_per_lineage(find_banks(paths.banks_dir())).values()
              if b.summary is not None and b.summary.dataset == request.dataset.name]
    return [b.path for b in sorted(stored, key=lambda b: (_KIND_ORDER.get(b.summary.kind, 99), b.path.name))]  # type: ignore[union-attr]


_KIND_ORDER = {"names": 0, "descriptions": 1, "prompts": 2, "askg": 3, "attributes": 4, "action-descriptions": 5}


@dataclass
class _LoadedBank:
    key: str
    bank_id: str
    kind: str
    path: Path
    class_names: list[str]
    class_ids: list[int]
    classifier: np.ndarray
    space: tuple[str, str, str]  # (model, weights, text tower hash): banks that may share a map
    info: dict[str, Any]


def _load_bank(path: Path, key: str) -> _LoadedBank:
    from kgen.banks import load_bank

    bank = load_bank(path)
    clip = bank.manifest.clip
    counts = bank.texts_per_class
    variant = getattr(bank.manifest.knowledge, "variant", None)  # an imported variant of the kind (kgen import)
    return _LoadedBank(
        key=key,
        bank_id=bank.bank_id,
        kind=bank.kind if not variant else f"{bank.kind}@{variant}",
        path=path,
        class_names=bank.class_names,
        class_ids=bank.class_ids,
        classifier=bank.classifier().float().cpu().numpy(),
        space=(clip.model_name, clip.pretrained, clip.text_tower_sha256),
        info={
            "model": clip.model_name,
            "pretrained": clip.pretrained,
            "random": clip.is_random,
            "dim": bank.dim,
            "texts": bank.num_texts,
            "texts_per_class": [min(counts, default=0), max(counts, default=0)],
            "split": bank.manifest.split,
            "created_at": bank.manifest.created_at,
        },
    )


def _bank_part(bank: _LoadedBank, request: ReportRequest, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(summary for the overview, the page data of the bank's heatmap) and the bank's figure files."""
    sim = similarity_matrix(bank.classifier)
    order = clustered_order(sim)
    stats = bank_similarity(bank.bank_id, bank.kind, bank.classifier, bank.class_names, bank.class_ids, request.top_pairs)
    folder = out / "figures" / "banks" / figures.safe_name(bank.bank_id)
    figures.write_matrix_csv(folder / "similarity.csv", bank.class_names, sim)
    figures.write_json(folder / "clustered_order.json", {"order": order, "class_names": [bank.class_names[i] for i in order]})
    figures.write_json(folder / "confusable_pairs.json", stats.model_dump(mode="json"))
    figures.write_csv(
        folder / "confusable_pairs.csv", ["rank", "class_a", "class_b", "class_a_id", "class_b_id", "cosine"],
        [[p.rank, p.a, p.b, p.a_id, p.b_id, p.cosine] for p in stats.pairs],
    )
    rel = folder.relative_to(out).as_posix()
    summary = {
        "key": bank.key,
        "bank_id": bank.bank_id,
        "kind": bank.kind,
        "classes": len(bank.class_names),
        "mean_cosine": stats.mean_cosine,
        "max_cosine": stats.max_cosine,
        **bank.info,
        "figures": {"similarity": f"{rel}/similarity.csv", "pairs": f"{rel}/confusable_pairs.csv",
                    "pairs_json": f"{rel}/confusable_pairs.json", "order": f"{rel}/clustered_order.json"},
    }
    page = {
        **summary,
        "class_names": bank.class_names,
        "class_ids": bank.class_ids,
        "order": order,
        "matrix": figures.quantized_matrix(sim),
        "pairs": [p.model_dump(mode="json") for p in stats.pairs],
    }
    return summary, page


def _map_parts(banks: list[_LoadedBank], request: ReportRequest, out: Path, notes: list[str]) -> list[dict[str, Any]]:
    """One 2-D map per group of banks in the same embedding space (usually one)."""
    chosen = banks
    if request.map_banks:
        wanted = set(request.map_banks)
        chosen = [b for b in banks if b.bank_id in wanted or b.kind in wanted or b.key in wanted]
        if not chosen:
            raise InputError(
                f"--map-bank {', '.join(request.map_banks)} matches none of the report's banks",
                hint="name banks by id or kind: " + ", ".join(b.kind for b in banks),
            )
    groups: dict[tuple[str, str, str], list[_LoadedBank]] = {}
    for bank in chosen:
        groups.setdefault(bank.space, []).append(bank)
    maps = []
    for number, (space, members) in enumerate(sorted(groups.items(), key=lambda item: -len(item[1]))):
        kept, points = [], 0
        for bank in members:
            if points + len(bank.class_names) > MAP_POINT_LIMIT:
                notes.append(f"class map {number + 1}: bank {bank.bank_id} left out ({MAP_POINT_LIMIT} points at most; "
                             "choose the banks with --map-bank)")
                continue
            kept.append(bank)
            points += len(bank.class_names)
        if not kept:
            continue
        stacked = np.concatenate([b.classifier for b in kept], axis=0)
        result = embed_2d(stacked, request.map_method, seed=request.seed, iterations=request.map_iterations)
        rows, offset = [], 0
        for bank in kept:
            for k, name in enumerate(bank.class_names):
                x, y = result.coords[offset + k]
                rows.append([bank.bank_id, bank.kind, bank.class_ids[k], name, float(x), float(y)])
            offset += len(bank.class_names)
        folder = out / "figures" / "map" / f"map-{number + 1}"
        figures.write_csv(folder / "points.csv", ["bank_id", "kind", "class_id", "class", "x", "y"], rows)
        description = {
            "method": result.method,
            "parameters": result.parameters,
            "space": {"model": space[0], "pretrained": space[1], "text_tower_sha256": space[2]},
            "banks": [b.bank_id for b in kept],
        }
        figures.write_json(folder / "map.json", description)
        rel = folder.relative_to(out).as_posix()
        maps.append(
            {
                **description,
                "key": f"map-{number + 1}",
                "series": [
                    {"bank_id": b.bank_id, "kind": b.kind, "class_names": b.class_names,
                     "xy": [[round(float(v), 4) for v in result.coords[i]] for i in range(start, start + len(b.class_names))]}
                    for b, start in zip(kept, np.cumsum([0] + [len(b.class_names) for b in kept[:-1]]), strict=True)
                ],
                "figures": {"points": f"{rel}/points.csv", "map": f"{rel}/map.json"},
            }
        )
    return maps


# ---------------------------------------------------------------------------------- evaluation
def _eval_parts(request: ReportRequest, out: Path, notes: list[str]) -> dict[str, Any]:
    root = paths.workspace_root()
    files = request.evals if request.evals is not None else find_results([root / "results", root / "runs"], request.dataset.name)
    results = []
    for number, path in enumerate(files):
        result = collect_result(Path(path), f"result-{number + 1}")
        if result["dataset"] != request.dataset.name:
            notes.append(f"{path}: results on {result['dataset']}, not {request.dataset.name}; left out")
            continue
        folder = out / "figures" / "eval" / figures.safe_name(f"{number + 1}-{result['label']}")
        rel = folder.relative_to(out).as_posix()
        result["figures"] = {}
        for item in result["lists"]:
            if item["per_class_top1"] is None:
                continue
            list_name = figures.safe_name(item["name"])
            figures.write_csv(
                folder / f"{list_name}.per_class.csv", ["class_id", "class", "videos", "top1"],
                [[cid, name, n, acc] for cid, name, n, acc in
                 zip(item["class_ids"] or [None] * len(item["class_names"]), item["class_names"], item["per_class_videos"],
                     item["per_class_top1"], strict=True)],
            )
            files_of_list = {"per_class": f"{rel}/{list_name}.per_class.csv"}
            if item["confusion"] is not None:
                figures.write_matrix_csv(folder / f"{list_name}.confusion.csv", item["class_names"], np.asarray(item["confusion"]))
                files_of_list["confusion"] = f"{rel}/{list_name}.confusion.csv"
            result["figures"][item["name"]] = files_of_list
        results.append(result)
    differences = []
    with_detail = [r for r in results if r["per_class"]]
    if len(with_detail) >= 2:
        # Every pair (A earlier, B later): the page shows the pair the user picks; the CSVs hold all.
        for i, a in enumerate(with_detail):
            for b in with_detail[i + 1 :]:
                for comparison in per_class_difference(a, b):
                    name = figures.safe_name(f"{a['key']}-vs-{b['key']}-{comparison['list']}")
                    path = out / "figures" / "eval" / "differences" / f"{name}.csv"
                    figures.write_csv(
                        path, ["class_id", "class", f"top1_{a['label']}", f"top1_{b['label']}", "difference"],
                        [[r["class_id"], r["class"], r["a"], r["b"], r["difference"]] for r in comparison["rows"]],
                    )
                    differences.append({k: v for k, v in comparison.items() if k != "rows"} | {
                        "csv": path.relative_to(out).as_posix()})
    return {"results": results, "differences": differences}


def _training_parts(request: ReportRequest, out: Path) -> list[dict[str, Any]]:
    folders = request.runs if request.runs is not None else find_runs(paths.workspace_root() / "runs")
    runs = []
    for number, folder in enumerate(folders):
        run = collect_run(Path(folder))
        run["key"] = f"run-{number + 1}"
        target = out / "figures" / "training" / figures.safe_name(f"{number + 1}-{run['folder']}")
        header, rows = curves_table(run)
        figures.write_csv(target / "curves.csv", header, rows)
        eval_columns = ["step", "run", "list", "role", "bank_id", "top1", "top5", "mean_class_accuracy", "evaluated", "results_file"]
        figures.write_csv(target / "evals.csv", eval_columns, [[e.get(c) for c in eval_columns] for e in run["evals"]])
        rel = target.relative_to(out).as_posix()
        run["figures"] = {"curves": f"{rel}/curves.csv", "evals": f"{rel}/evals.csv"}
        runs.append(run)
    return runs


# ------------------------------------------------------------------------------------- the folder
def _copy_assets(out: Path, title: str) -> None:
    assets = resources.files("kgen.report") / "assets"
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("report.js", "report.css"):
        (out / "assets" / name).write_bytes((assets / name).read_bytes())
    page = (assets / "index.html").read_text(encoding="utf-8")
    from html import escape

    (out / "index.html").write_text(page.replace("{{TITLE}}", escape(title)), encoding="utf-8")


def default_out_dir(dataset: Dataset) -> Path:
    return paths.workspace_root() / "reports" / dataset.name


def build_report(request: ReportRequest) -> ReportResult:
    """Write the report folder; see the module docstring."""
    dataset = request.dataset
    target = Path(request.out_dir) if request.out_dir is not None else default_out_dir(dataset)
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a folder", hint="give another --out")
    if target.is_dir() and any(target.iterdir()) and not (target / "report.json").is_file():
        raise InputError(
            f"{target} is a folder that does not hold a kgen report; refusing to replace it",
            hint="give an empty or new folder with --out",
        )
    from kgen.storage import check_writable_dir

    check_writable_dir(target.parent, "the report's folder")  # before any work: a clear error, exit 6
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    make_shareable(staging)  # mkdtemp's 0700 -> what the umask allows
    timer = _Timer()
    notes: list[str] = []
    try:
        with timer.part("knowledge"):
            knowledge = collect_knowledge(dataset)
            figures.write_json(staging / "figures" / "knowledge" / "knowledge.json", knowledge, indent=None)
            figures.write_csv(
                staging / "figures" / "knowledge" / "coverage.csv",
                ["kind", "file", "classes_covered", "classes_total", "missing"],
                [[k["kind"], k["file"], k.get("classes_covered"), k.get("classes_total"), "|".join(k.get("missing", []))]
                 for k in knowledge["kinds"]],
            )
            figures.write_page_data(staging / "data" / "knowledge.js", "knowledge", knowledge)
        with timer.part("banks"):
            loaded = []
            for number, path in enumerate(_report_banks(request)):
                try:
                    loaded.append(_load_bank(path, f"bank-{number + 1}"))
                except KgenError as exc:
                    notes.append(f"bank {path.name} left out: {exc.message}")
                    warn(f"bank {path.name} left out of the report: {exc.message}")
            bank_summaries = []
            for bank in loaded:
                summary, page = _bank_part(bank, request, staging)
                figures.write_page_data(staging / "data" / f"{bank.key}.js", bank.key, page)
                bank_summaries.append(summary)
            figures.write_csv(
                staging / "figures" / "banks" / "summary.csv",
                ["bank_id", "kind", "classes", "texts", "model", "pretrained", "random", "mean_cosine", "max_cosine"],
                [[b["bank_id"], b["kind"], b["classes"], b["texts"], b["model"], b["pretrained"], b["random"],
                  b["mean_cosine"], b["max_cosine"]] for b in bank_summaries],
            )
        with timer.part("map"):
            maps = _map_parts(loaded, request, staging, notes) if loaded else []
            figures.write_page_data(staging / "data" / "maps.js", "maps", maps)
        with timer.part("evaluation"):
            evaluation = _eval_parts(request, staging, notes)
            figures.write_page_data(staging / "data" / "evaluation.js", "evaluation", evaluation)
        with timer.part("training"):
            runs = _training_parts(request, staging)
            figures.write_page_data(staging / "data" / "training.js", "training", runs)
        title = dataset.title if dataset.is_builtin else f"{dataset.name} ({Path(dataset.origin).name})"
        overview = {
            "title": f"{title} — kgen report",
            "dataset": dataset.name,
            "dataset_title": title,
            "dataset_origin": dataset.origin,
            "classes": len(dataset.classes),
            "class_names": dataset.class_names,
            "workspace": str(paths.workspace_root()),
            "created_at": utc_now(),
            "kgen_version": __version__,
            "kinds": [{k: v for k, v in kind.items() if k != "provenance"} | {"provenance": (kind.get("provenance") or {}).get("summary")}
                      for kind in knowledge["kinds"]],
            "banks": bank_summaries,
            "maps": [{"key": m["key"], "method": m["method"], "banks": m["banks"]} for m in maps],
            "results": [{k: v for k, v in r.items() if k not in ("lists",)} | {
                "lists": [{k: v for k, v in item.items() if k not in ("confusion", "per_class_top1", "per_class_videos",
                                                                      "class_names", "class_ids")} for item in r["lists"]]}
                for r in evaluation["results"]],
            "runs": [{k: run[k] for k in ("key", "name", "folder", "model", "bank_kind", "total_steps", "logger")} | {
                "last_step": run["steps"][-1] if run["steps"] else None,
                "last_loss": next((v for v in reversed(run["series"]["loss"]) if v is not None), None),
                "evals": len(run["evals"])} for run in runs],
            "notes": notes,
        }
        figures.write_page_data(staging / "data" / "overview.js", "overview", overview)
        _copy_assets(staging, overview["title"])
        counts = {"classes": len(dataset.classes), "kinds": len(knowledge["kinds"]), "banks": len(loaded),
                  "maps": len(maps), "results": len(evaluation["results"]), "runs": len(runs)}
        ReportSummary(dataset=dataset.name, created_at=overview["created_at"], counts=counts, timings_s=timer.timings,
                      notes=notes).save(staging / "report.json")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for note in notes:
        info(f"note: {note}")
    return ReportResult(path=target, timings=timer.timings, counts=counts, notes=notes)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` (renames: the old report stays whole until the new one is in)."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{int(time.time() * 1000)}")
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)
