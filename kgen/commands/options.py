"""Options that several commands take, defined once so that a flag has one name and one meaning
everywhere (docs/cli.md lists them; tests/test_cli_conventions.py checks it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# --- which classes -------------------------------------------------------------------------
DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d", help="Built-in dataset name or alias (`kgen datasets list`).")]
ClassesOpt = Annotated[Path | None, typer.Option("--classes", help="Your own class list (.txt one per line, .csv or .json) instead of --dataset.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Dataset name for --classes (default: the file's stem).")]

# --- CLIP and video models -------------------------------------------------------------------
CLIP_MODEL_HELP = "open_clip architecture (ViT-B-16, ...) or hf-hub:ORG/REPO."
CLIP_PRETRAINED_HELP = "CLIP weights: a pretrained tag (openai, ...), hf-hub: id, a checkpoint file or folder, or 'random'."
ClipModelOpt = Annotated[str, typer.Option("--clip-model", help=CLIP_MODEL_HELP)]
ClipPretrainedOpt = Annotated[str, typer.Option("--clip-pretrained", help=CLIP_PRETRAINED_HELP)]
VIDEO_MODEL_HELP = "Registered video model: vifi-clip, ap-clip, stdd, sc-clip, da-sti (`kgen profile --help`)."

# --- output ----------------------------------------------------------------------------------
JSON_HELP = "Print the results as JSON on stdout (messages stay on stderr)."
JsonOpt = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


def out_option(help_text: str) -> typer.models.OptionInfo:
    """``--out/-o``: where a command writes (its help says whether a file or a folder, and the default)."""
    return typer.Option("--out", "-o", help=help_text)


# --- network requests: the same names and meanings for the crawl and the LLM -----------------
# Defaults differ where the servers do (docs/cli.md, "Conventions"): Wikimedia asks for few
# parallel requests and answers in seconds; an LLM answer takes minutes.
DEFAULT_RETRIES = 6
RETRIES_HELP = "Retries of a failed request (429, 5xx, timeout, malformed answer), with backoff."
CONCURRENCY_HELP = "Requests in flight at once"
TIMEOUT_HELP = "Seconds before one try is given up (then retried)"
