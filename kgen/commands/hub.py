"""``kgen bank push`` and ``kgen bank pull``: sharing banks through a Hugging Face Hub repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kgen.commands.options import JsonOpt, out_option
from kgen.console import info


def push_command(
    bank: Annotated[str, typer.Argument(help="Bank directory, bank id (or unique prefix), or LINEAGE@latest.")],
    repo: Annotated[str, typer.Argument(help="Hub repository ORG/REPO (a model repository; made if missing).")],
    revision: Annotated[str | None, typer.Option("--revision", help="Branch to commit to (made if missing; default: main).")] = None,
    private: Annotated[bool, typer.Option("--private", help="Make the repository private if it is created now.")] = False,
    message: Annotated[str | None, typer.Option("--message", help="Commit message (default: 'kgen bank <bank id>').")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a bank and commit it, with a generated model card (README.md), to a Hugging Face Hub repository.

    The Hub is $HF_ENDPOINT (default https://huggingface.co); the token is $HF_TOKEN or `hf auth login`'s.

    Example: kgen bank push hmdb51-prompts-vit-b-16-openai@latest my-lab/hmdb51-prompts-vit-b-16
    """
    from kgen.banks.hub import is_hub_reference, push_bank
    from kgen.errors import InputError

    if is_hub_reference(bank):
        raise InputError(f"{bank} is already on the Hub", hint="push a bank of this machine (a path, a bank id or LINEAGE@latest)")
    from kgen.banks.store import resolve_bank_path

    result = push_bank(resolve_bank_path(bank), repo, revision=revision, private=private, message=message)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    info(f"pushed {result.bank_id} to {result.repo_id} on {result.endpoint}: commit {result.commit[:12]} ({', '.join(result.files)})")
    info(f"others get it with `kgen bank pull {result.repo_id}@{result.commit[:12]}` or load_bank(\"hf-hub:{result.repo_id}@{result.commit}\")")
    typer.echo(result.commit_url)


def pull_command(
    repo: Annotated[str, typer.Argument(help="Hub repository ORG/REPO, optionally @REVISION (branch, tag or commit).")],
    out: Annotated[Path | None, out_option("Folder to put the bank in (default: the workspace's banks/).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch a bank from a Hugging Face Hub repository, verify it, and put it in banks/<bank id>/.

    Example: kgen bank pull my-lab/hmdb51-prompts-vit-b-16@main
    """
    from kgen.banks.hub import pull_bank
    from kgen.banks.manifest import BankSummary

    result = pull_bank(repo, out_dir=out)
    manifest = result.manifest
    if result.created:
        info(f"pulled {manifest.bank_id} ({manifest.num_texts} texts of {len(manifest.class_names)} classes, verified) into {result.path}")
    else:
        info(f"bank {manifest.bank_id} is already here (same content hash {manifest.content_hash[:10]}): {result.path}")
    if as_json:
        row = BankSummary.of(manifest).listing() | {"path": str(result.path), "created": result.created}
        typer.echo(json.dumps(row, indent=2, ensure_ascii=False))
    else:
        typer.echo(str(result.path))


def register(bank_app: typer.Typer) -> None:
    bank_app.command("push")(push_command)
    bank_app.command("pull")(pull_command)
