"""``kgen export-weights``: a checkpoint's model as a plain safetensors file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kgen.commands.options import JsonOpt, out_option
from kgen.console import info


def export_weights_command(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint file (last.pt, epoch_NNN.pt, averaged.pt) or run folder (its last.pt).")],
    out: Annotated[Path | None, out_option("Weights file to write (default: model.safetensors beside last.pt, else the checkpoint's name with .safetensors).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a checkpoint's model weights alone as a safetensors file (format kgen.zsar.weights) that any
    program loads with safetensors.torch.load_file; its header keeps the run's config, so kgen eval reads it too.

    Finished training runs and averaged checkpoints get one already; this is for any other checkpoint.

    Example: kgen export-weights runs/ap-clip-k400/checkpoints/epoch_010.pt
    """
    from safetensors import safe_open

    from zsar.engine.checkpoint import export_weights

    path = export_weights(checkpoint, out)
    with safe_open(str(path), framework="pt") as reader:
        count = len(list(reader.keys()))
    size = path.stat().st_size
    info(f"wrote {count} tensors ({size / 1e6:.1f} MB) to {path}")
    if as_json:
        typer.echo(json.dumps({"path": str(path), "tensors": count, "bytes": size}))
    else:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("export-weights")(export_weights_command)
