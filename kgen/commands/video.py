"""``kgen train``, ``kgen eval``, ``kgen profile``, ``kgen recipes``, ``kgen average-weights``: the video models of :mod:`zsar`.

torch, open_clip and zsar are imported inside the commands, so ``kgen --help`` stays fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from kgen.commands.options import (
    CLIP_MODEL_HELP,
    CLIP_PRETRAINED_HELP,
    VIDEO_MODEL_HELP,
    ClassesOpt,
    DatasetOpt,
    JsonOpt,
    out_option,
)
from kgen.errors import InputError

DeviceOption = Annotated[str, typer.Option("--device", help="auto (CUDA when present), cpu, cuda or cuda:N; under torchrun each process takes its LOCAL_RANK's GPU (cuda:N is refused).")]


def train(
    recipe: Annotated[str, typer.Option("--recipe", "-r", help="Built-in recipe name (kgen recipes) or a YAML file.")],
    bank: Annotated[str, typer.Option("--bank", "-b", help="Bank directory, id, or unique id prefix (kgen bank list).")],
    train_list: Annotated[str | None, typer.Option("--train-list", help="Built-in list name or 'path label' file.")] = None,
    video_root: Annotated[Path | None, typer.Option("--video-root", help="Folder the list's video paths are relative to.")] = None,
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    label_space: Annotated[str | None, typer.Option("--label-space", help="Class split the list's labels index.")] = None,
    out: Annotated[Path | None, out_option("Run folder (default: runs/<recipe name> in the workspace).")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Override a recipe value: KEY=VALUE, e.g. optim.lr=1e-5 (repeatable).")] = None,
    max_steps: Annotated[int | None, typer.Option("--max-steps", min=1, help="Stop (with a checkpoint) after this many optimizer steps.")] = None,
    device: DeviceOption = "auto",
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue a run already in --out (--no-resume: refuse to).")] = True,
    print_config: Annotated[bool, typer.Option("--print-config", help="Print the resolved config and exit.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train a video model on a video list against a text bank; resumes a run left unfinished.

    Several GPUs: torchrun --nproc_per_node=8 -m kgen train ... (the same command otherwise).

    Several nodes: one torchrun per node with --nnodes, --rdzv-backend=c10d, --rdzv-endpoint=HOST:PORT and --rdzv-id; --out must be on a filesystem all nodes share (checked); SLURM: docs/video.md.

    Example: kgen train --recipe ap-clip-zero-shot-k400 --bank k400-prompts --train-list /data/k400/train.txt --video-root /data/k400
    """
    from kgen import paths
    from kgen.console import info, out_console
    from zsar.engine.config import apply_overrides
    from zsar.engine.recipes import load_recipe

    config = load_recipe(_known_recipe(recipe))
    assignments = list(overrides or [])
    for key, value in (
        ("data.train_list", train_list),
        ("data.video_root", str(video_root.expanduser().resolve()) if video_root else None),
        ("data.label_space", label_space),
    ):
        if value is not None:
            assignments.append(f"{key}={json.dumps(value)}")
    if dataset is not None or classes is not None:
        assignments.append(f"data.dataset={json.dumps(dataset)}")
        assignments.append(f"data.classes={json.dumps(str(classes.expanduser().resolve()) if classes else None)}")
    config = apply_overrides(config, assignments) if assignments else config
    if print_config:
        typer.echo(config.to_yaml(), nl=False)
        return
    run_dir = out if out is not None else paths.workspace_root() / "runs" / config.name
    from kgen.storage import check_writable_dir
    from zsar.engine.train import Trainer

    check_writable_dir(run_dir, "the run folder")

    result = Trainer(config, bank=bank, run_dir=run_dir, device=device, resume=resume, max_steps=max_steps).run()
    last = result.history[-1] if result.history else None
    state = "finished" if result.finished else f"stopped at step {result.global_step}"
    summary = f"{state}: {result.global_step} steps, epoch {result.epoch}"
    if last:
        summary += f", last loss {last['loss']:.4f}, train top-1 {100 * last['accuracy']:.1f}%"
    if result.skipped:
        summary += f", {result.skipped} unreadable videos skipped (skipped.jsonl)"
    info(summary)
    if as_json:
        typer.echo(json.dumps({
            "run": str(run_dir), "checkpoint": str(result.checkpoint), "finished": result.finished,
            "global_step": result.global_step, "epoch": result.epoch, "skipped_videos": result.skipped, "last": last,
        }, indent=2, default=str))
    else:
        out_console.print(str(result.checkpoint), highlight=False)


def _parse_views(text: str) -> tuple[int, int]:
    """``--views``: ``TEMPORALxSPATIAL`` (``2x2``), or ``N`` for ``Nx1``."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX*]\s*(\d+)\s*)?", text)
    temporal, spatial = (int(match.group(1)), int(match.group(2) or 1)) if match else (0, 0)
    if temporal < 1 or spatial < 1:
        raise InputError(f"cannot read --views {text!r}", hint="write TEMPORALxSPATIAL, e.g. 2x2 or 1x1 (or N for Nx1)")
    return temporal, spatial


def _check_video_model(name: str) -> None:
    """An unknown video model name: refused with "did you mean" before anything is built."""
    from kgen.suggest import unknown_name_hint
    from zsar.models.registry import available_models

    known = available_models()
    if name not in known:
        raise InputError(f"unknown video model {name!r}", hint=unknown_name_hint(name, known, f"video models: {', '.join(known)}"))


def evaluate(
    bank: Annotated[str, typer.Option("--bank", "-b", help="Bank of the evaluation dataset's classes.")],
    checkpoint: Annotated[list[Path] | None, typer.Option("--checkpoint", help="Checkpoint file or run folder (repeat once per seed for base-to-novel).")] = None,
    model: Annotated[str | None, typer.Option("--video-model", help=f"Without --checkpoint: evaluate this model with pretrained CLIP weights (zero-shot baseline). {VIDEO_MODEL_HELP}")] = None,
    pretrained: Annotated[str, typer.Option("--clip-pretrained", help=f"With --video-model: {CLIP_PRETRAINED_HELP}")] = "openai",
    backbone: Annotated[str, typer.Option("--clip-model", help=f"With --video-model: {CLIP_MODEL_HELP}")] = "ViT-B-16",
    frames: Annotated[int, typer.Option("--frames", min=1, help="With --video-model: frames per clip.")] = 8,
    dataset: DatasetOpt = None,
    classes: ClassesOpt = None,
    protocol: Annotated[str, typer.Option("--protocol", "-p", help="zero-shot, half-class, base-to-novel, few-shot or list.")] = "zero-shot",
    pool: Annotated[str | None, typer.Option("--pool", help="Kinetics-600 zero-shot videos: er-zsar (ViFi-CLIP's ~14k per split) or val-only (~7.3k, Open-VCLIP/FROSTER); default: the model's paper's.")] = None,
    lists: Annotated[list[str] | None, typer.Option("--list", help="Video list (built-in name or file) for --protocol list (repeatable).")] = None,
    label_space: Annotated[str | None, typer.Option("--label-space", help="Class split the --list labels index.")] = None,
    full_list: Annotated[str | None, typer.Option("--full-list", help="Zero-shot: also report the full set from this list (UCF*/HMDB*).")] = None,
    video_root: Annotated[Path | None, typer.Option("--video-root", help="Folder the lists' video paths are relative to.")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Override a value of the run's config for this evaluation: KEY=VALUE, e.g. eval.temporal_views=1 or model.fusion_threshold=0.85 (repeatable).")] = None,
    views: Annotated[str | None, typer.Option("--views", help="Test views per video, TEMPORALxSPATIAL, e.g. 2x2 (N alone: Nx1; default: the checkpoint's recipe, else 1x1).")] = None,
    aggregation: Annotated[str | None, typer.Option("--aggregation", help="mean-logits, mean-softmax or joint-frames (default: the recipe's).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Videos per batch.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=0, help="Data-loading worker processes.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Evaluate only the first N videos of each list (smoke runs).")] = None,
    out: Annotated[Path | None, out_option("Write the results (format kgen.zsar.eval) to this JSON file.")] = None,
    as_json: JsonOpt = False,
    device: DeviceOption = "auto",
) -> None:
    """Evaluate trained checkpoints (or frozen CLIP) with a paper protocol; prints a table, writes JSON.

    Test settings come from the checkpoint's recipe (views, aggregation, frame sampling and its
    stride, input size, precision); --set changes any of them, or a model option. Options a
    model's paper sets per dataset (SC-CLIP's Table 1: delta and 1/tau) are applied for the
    evaluated dataset unless --set names them; the result file records every change.

    Example: kgen eval --checkpoint runs/ap-clip-k400 --bank ucf101-prompts --dataset ucf101 --protocol zero-shot --video-root /data/ucf101

    Frozen CLIP baseline: kgen eval --video-model vifi-clip --clip-pretrained openai --bank ucf101-names --dataset ucf101 --video-root /data/ucf101
    """
    from kgen.banks import load_bank
    from kgen.console import info, out_console
    from kgen.datasets import resolve_dataset
    from zsar.engine import distributed
    from zsar.engine.checkpoint import load_checkpoint
    from zsar.engine.config import config_from_dict
    from zsar.engine.evaluate import EvalModel, config_for_evaluation, settings_from_config
    from zsar.engine.evaluate import evaluate as run_evaluation
    from zsar.engine.rebuild import checkpoint_config, rebuild_model
    from zsar.engine.results import report_table
    from zsar.models import build_model, model_class

    if model:
        _check_video_model(model)
    if bool(checkpoint) == bool(model):
        raise InputError("give --checkpoint (trained models) or --video-model (pretrained CLIP), not both and not neither",
                         hint="e.g. --checkpoint runs/ap-clip-k400, or --video-model vifi-clip --clip-pretrained openai")
    assignments = list(overrides or [])
    if views:
        temporal, spatial = _parse_views(views)
        assignments += [f"eval.temporal_views={temporal}", f"eval.spatial_crops={spatial}"]
    if aggregation:
        if aggregation not in ("mean-logits", "mean-softmax", "joint-frames"):
            raise InputError(f"unknown --aggregation {aggregation!r}", hint="mean-logits, mean-softmax or joint-frames")
        assignments.append(f"eval.aggregation={aggregation}")
    if batch_size:
        assignments.append(f"eval.batch_size={batch_size}")
    if workers is not None:
        assignments.append(f"eval.workers={workers}")
    data = resolve_dataset(dataset, classes)
    if out is not None:
        from kgen.storage import check_writable_dir

        check_writable_dir(out.absolute().parent, "the results folder")
    ctx = distributed.init_distributed(device)
    try:
        eval_models: list[EvalModel] = []
        logged_checkpoints: list[dict] = []  # for zsar.engine.loggers.log_eval_into_runs
        run_settings: list[dict] = []
        first_config = None
        if checkpoint:
            for position, path in enumerate(checkpoint):
                payload = load_checkpoint(path)
                config, record = config_for_evaluation(checkpoint_config(payload), data.name, assignments)
                built, config = rebuild_model(payload, config=config)
                first_config = first_config or config
                label = f"s{position + 1}" if protocol == "base-to-novel" and len(checkpoint) > 1 else _label_of(Path(payload["path"]))
                eval_models.append(EvalModel(label, built, payload["path"]))
                logged_checkpoints.append({"label": label, "path": payload["path"], "config": payload.get("config"),
                                           "step": (payload.get("progress") or {}).get("global_step")})
                run_settings.append({"run": label, **record})
        else:
            assert model is not None
            base = config_from_dict({"name": model, "model": {"name": model, "backbone": backbone, "pretrained": pretrained,
                                                            "frames": frames}}, origin=f"--video-model {model}")
            config, record = config_for_evaluation(base, data.name, assignments)
            built = build_model(model, config.model)
            first_config = config
            label = f"{model} ({pretrained})"
            eval_models.append(EvalModel(label, built.eval(), None, pretrained))
            run_settings.append({"run": label, **record})
        assert first_config is not None
        settings = settings_from_config(first_config, limit=limit)
        if ctx.is_main:
            for entry in run_settings:
                for key, (old, new) in entry.get("paper_defaults", {}).items():
                    info(f"{entry['run']}: {key} = {new} for {data.name} (the paper's setting; the run used {old})")
        chosen_pool = pool
        if chosen_pool is None and protocol == "zero-shot" and not lists and data.name == "k600":
            chosen_pool = model_class(first_config.model.name).K600_POOL
        text_bank = load_bank(bank)
        report = run_evaluation(
            protocol, data, eval_models, text_bank, settings, ctx,
            video_root=video_root.expanduser().resolve() if video_root else None,
            lists=lists, label_space=label_space, full_list=full_list, pool=chosen_pool, run_settings=run_settings,
        )
    finally:
        distributed.shutdown(ctx)
    if not ctx.is_main:
        return
    if out is not None:
        report.save(out)
    from zsar.engine.loggers import log_eval_into_runs

    log_eval_into_runs(report, logged_checkpoints, str(out.resolve()) if out is not None else None)
    if as_json:
        typer.echo(report.to_json(), nl=False)
    else:
        out_console.print(report_table(report))
        out_console.print(f"video pool: {report.video_pool['name']} ({report.video_pool['description']})", highlight=False)
        for note in report.notes:
            out_console.print(f"note: {note}", highlight=False)
        if out is not None:
            out_console.print(f"results written to {out}", highlight=False)


def _label_of(path: Path) -> str:
    if path.name == "last.pt" and path.parent.name == "checkpoints":
        return path.parent.parent.name
    return path.stem


def profile(
    model: Annotated[str, typer.Option("--video-model", help=VIDEO_MODEL_HELP)],
    frames: Annotated[int, typer.Option("--frames", min=1, help="Frames per clip.")] = 8,
    views_text: Annotated[str, typer.Option("--views", help="Test views per video, TEMPORALxSPATIAL or N (the total cost is views x per view).")] = "1",
    backbone: Annotated[str, typer.Option("--clip-model", help=CLIP_MODEL_HELP)] = "ViT-B-16",
    num_classes: Annotated[int, typer.Option("--num-classes", min=1, help="Classes in the text side the clip is scored against.")] = 400,
    texts_per_class: Annotated[int | None, typer.Option("--texts-per-class", min=1, help="Texts per class (default: the model's usual, 36 for AP-CLIP).")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="A model option: model.KEY=VALUE, e.g. model.temporal_scales=[1] (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {model, backbone, frames, views, inference_params, training_only_params, tunable_params, gflops_per_view, regions_per_video, max_regions} on stdout.")] = False,
) -> None:
    """Parameters (at inference, training-only, tunable) and GFLOPs per view, on CPU with random weights.

    GFLOPs count one multiply-add as one flop (fvcore's convention, the papers' tables):
    torch's FlopCounterMode count divided by 2. The text encoder is not counted unless the model
    fine-tunes it (model.text_tower=tuned): banks replace it.

    Example: kgen profile --video-model stdd --frames 8 --views 3 --set model.temporal_scales=[1] --json
    """
    import yaml
    from rich.table import Table

    from kgen.console import out_console
    from zsar.engine.profile import profile_model

    temporal, spatial = _parse_views(views_text)
    views = temporal * spatial
    _check_video_model(model)
    options = {}
    for assignment in overrides or []:
        key, sep, text = assignment.partition("=")
        if not sep or not key.startswith("model.") or key.count(".") != 1:
            raise InputError(f"cannot read --set {assignment!r}", hint="write model.KEY=VALUE, e.g. model.temporal_scales=[1]")
        options[key.removeprefix("model.")] = yaml.safe_load(text) if text.strip() else None
    try:
        report = profile_model(model, backbone=backbone, frames=frames, views=views, num_classes=num_classes,
                               texts_per_class=texts_per_class, options=options)
    except ValueError as exc:  # a model option the model's config class refuses
        raise InputError(f"--set: {exc}".splitlines()[0], hint="see the model's options in docs/papers/") from exc
    if as_json:
        typer.echo(json.dumps(report.model_dump()))
        return
    table = Table(title=f"{model} on {backbone}, {frames} frames (random weights, CPU)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("parameters at inference", f"{report.inference_params:,} ({report.inference_params / 1e6:.2f} M)")
    table.add_row("training-only parameters", f"{report.training_only_params:,} ({report.training_only_params / 1e6:.2f} M)")
    table.add_row("tunable parameters", f"{report.tunable_params:,} ({report.tunable_params / 1e6:.2f} M)")
    table.add_row("GFLOPs per view", f"{report.gflops_per_view:.2f}")
    table.add_row(f"GFLOPs for {views} view(s)", f"{report.gflops_per_view * views:.2f}")
    if report.regions_per_video is not None:
        table.add_row("regions per video (profiling clip)", f"{report.regions_per_video:.1f} (cap {report.max_regions})")
    out_console.print(table)
    out_console.print(
        "GFLOPs = giga multiply-adds (fvcore convention: torch's FlopCounterMode count / 2); the text encoder is not "
        "counted unless the model fine-tunes it: banks replace it.", highlight=False,
    )


def _known_recipe(name: str) -> str:
    """A recipe that is a built-in name or an existing file; else "did you mean"."""
    from kgen.suggest import unknown_name_hint
    from zsar.engine.recipes import list_recipes

    known = list_recipes()
    if name in known or Path(name).expanduser().is_file():
        return name
    raise InputError(
        f"no built-in recipe and no file {name!r}",
        hint=unknown_name_hint(name, known, "`kgen recipes` lists the built-in ones; or give the path of a YAML file"),
    )


def recipes(
    name: Annotated[str | None, typer.Argument(help="Print this recipe's YAML file, as written (with its _base_).")] = None,
    resolved: Annotated[bool, typer.Option("--print", help="Print NAME (a built-in recipe or a YAML file) resolved: "
                                           "its bases merged in, every value with its source and the file that set it.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the built-in training recipes, or print one (as written, or resolved with --print).

    Example: kgen recipes sc-clip-base-to-novel-ucf101 --print
    """
    from rich.table import Table

    from kgen.console import out_console
    from zsar.engine.recipes import list_recipes, load_recipe, print_resolved

    known = list_recipes()
    if resolved:
        if name is None:
            raise InputError("--print needs a recipe", hint="kgen recipes NAME --print (kgen recipes lists the names)")
        typer.echo(print_resolved(name), nl=False)
        return
    if name is not None:
        if name not in known:
            from kgen.suggest import unknown_name_hint

            raise InputError(f"no built-in recipe {name!r}", hint=unknown_name_hint(name, known, f"built-in recipes: {', '.join(known)}"))
        if as_json:
            typer.echo(json.dumps(load_recipe(name).model_dump(mode="json"), indent=2))
        else:
            typer.echo(known[name].read_text(encoding="utf-8"), nl=False)
        return
    if as_json:
        rows = []
        for recipe_name in known:
            config = load_recipe(recipe_name)
            rows.append({"recipe": recipe_name, "model": config.model.name, "dataset": config.data.dataset,
                         "train_list": config.data.train_list, "description": config.description, "path": str(known[recipe_name])})
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="training recipes (kgen recipes NAME prints one)")
    for column in ("recipe", "model", "dataset", "train list", "description"):
        table.add_column(column)
    for recipe_name in known:
        config = load_recipe(recipe_name)
        table.add_row(recipe_name, config.model.name, config.data.dataset or "(yours)", config.data.train_list or "(yours)",
                      config.description)
    out_console.print(table)


def average_weights(
    run: Annotated[Path, typer.Argument(help="Run folder trained with train.save_epoch_weights=true.")],
    start: Annotated[int, typer.Option("--start", min=1, help="First epoch in the average (Open-VCLIP/STDD: 2).")] = 2,
    end: Annotated[int | None, typer.Option("--end", min=1, help="Last epoch in the average (default: the last saved).")] = None,
    method: Annotated[str, typer.Option("--method", help="uniform (swa), gaussian (gwa, mu 15 sigma 10) or ema (decay 0.9).")] = "uniform",
    out: Annotated[Path | None, out_option("Write the averaged checkpoint to this file (default: RUN/checkpoints/averaged.pt).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Average a run's epoch weights into one checkpoint that kgen eval reads (Open-VCLIP weight averaging).

    Example: kgen average-weights runs/stdd-k400 --start 2 --end 22 --method uniform
    """
    from kgen.console import info
    from zsar.engine.weight_average import average_run

    if method not in ("uniform", "gaussian", "ema"):
        raise InputError(f"unknown averaging method {method!r}", hint="uniform, gaussian or ema")
    from kgen.storage import check_writable_dir

    check_writable_dir((out.absolute().parent if out is not None else run / "checkpoints"), "the output folder")
    path = average_run(run, start=start, end=end, method=method, out=out)  # type: ignore[arg-type]
    info(f"averaged checkpoint: {path}")
    if as_json:
        typer.echo(json.dumps({"run": str(run), "checkpoint": str(path), "method": method, "start": start, "end": end}, indent=2))
    else:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(evaluate)
    app.command("profile")(profile)
    app.command("recipes")(recipes)
    app.command("average-weights")(average_weights)
