"""What every ``kgen`` command shares, applied in one place to the whole command tree.

* Old spellings of renamed options keep working for one release: :data:`DEPRECATED_OPTIONS` maps,
  per command, an old spelling to its new one; the command line is rewritten before Click parses it
  and a deprecation message goes to stderr. They are not options of the command (so ``--help`` and
  docs/cli.md show only the new names, and no flag name has two meanings).
* Old command names (``build-prompts`` ...) are hidden commands that say what replaces them.
* Boolean flags are shown without a ``<bool>`` type (``--offline``, not ``--offline <bool>``).

The docs' table of every command's flags (docs/cli.md) is made from the same tree:
:func:`walk_commands`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import typer

from kgen.console import err_console

# command path (as typed after `kgen`) -> {old spelling: new spelling}. Kept for one release
# after the rename (kgen 0.2 removes them); docs/cli.md lists them.
DEPRECATED_OPTIONS: dict[str, dict[str, str]] = {
    "crawl": {"--output": "--out", "--max-retries": "--retries"},
    "encode-bank": {"--model": "--clip-model", "-m": "--clip-model", "--pretrained": "--clip-pretrained", "-p": "--clip-pretrained"},
    "bank list": {"--dir": "--banks-dir", "--all": "--staging"},
    "bank verify": {"--dir": "--banks-dir"},
    "bank sim": {"-n": "--top"},
    "eval": {"--model": "--video-model", "--backbone": "--clip-model", "--pretrained": "--clip-pretrained", "-c": "--checkpoint"},
    "profile": {"--model": "--video-model", "-m": "--video-model", "--backbone": "--clip-model", "--classes": "--num-classes"},
}
_LLM_RENAMES = {"--model": "--llm-model", "-m": "--llm-model", "--max-retries": "--retries"}
for _command in ("build", "build-prompts", "build-askg", "build-attributes", "build-descriptions", "build-all"):
    DEPRECATED_OPTIONS[_command] = dict(_LLM_RENAMES)

# old command -> the command line that replaces it
DEPRECATED_COMMANDS: dict[str, str] = {
    "build-prompts": "kgen build prompts",
    "build-askg": "kgen build askg",
    "build-attributes": "kgen build attributes",
    "build-descriptions": "kgen build action-descriptions",
    "build-all": "kgen build all",
}

REMOVED_IN = "kgen 0.2"

# Every flag that two or more commands take, with its one meaning (docs/cli.md shows this table;
# tests/test_cli_conventions.py fails on a shared flag missing here, or spelled or typed two ways).
SHARED_FLAGS: dict[str, str] = {
    "--dataset": "a built-in dataset name or alias (`kgen datasets list`); short `-d`",
    "--classes": "your own class list file (never a number: a count is `--num-classes`)",
    "--name": "the dataset name for `--classes`",
    "--split": "a class split of the dataset (its label order)",
    "--variant": "an imported variant of a knowledge kind (`kgen import`)",
    "--clip-model": "the CLIP architecture (open_clip name or hf-hub:ORG/REPO)",
    "--clip-pretrained": "the CLIP weights: pretrained tag, hf-hub: id, checkpoint, or 'random'",
    "--video-model": "a registered video model (vifi-clip, ap-clip, stdd, sc-clip, da-sti)",
    "--bank": "a bank: directory, id, unique prefix or LINEAGE@latest; short `-b`",
    "--banks-dir": "a folder of banks to read",
    "--out": "where the command writes (a file or a folder: each command's help says which); short `-o`",
    "--json": "print the results as JSON on stdout (messages stay on stderr)",
    "--device": "auto, cpu, cuda or cuda:N",
    "--batch-size": "items per forward pass (texts for encode-bank, videos for eval)",
    "--frames": "frames per clip",
    "--views": "test views per video: TEMPORALxSPATIAL or N (= Nx1)",
    "--video-root": "the folder a video list's paths are relative to",
    "--label-space": "the class split a video list's labels index",
    "--set": "change one config value: KEY=VALUE (repeatable)",
    "--refresh": "ask again even when the cache has an answer (and replace it)",
    "--dry-run": "read, check and report what would be done; send and write nothing",
    "--retries": "retries of a failed request (429, 5xx, timeout, malformed answer), with backoff",
    "--concurrency": "requests in flight at once; short `-j`",
    "--timeout": "seconds before one try is given up (then retried)",
    "--top": "how many of the most similar class pairs to list",
    "--show": "how many classes to list",
}


def deprecation(message: str) -> None:
    err_console.print(f"[yellow]deprecated:[/yellow] {message}", highlight=False)


def rewrite_args(command_path: str, args: list[str]) -> list[str]:
    """``args`` with the old spellings of ``command_path``'s options replaced by the new ones."""
    renames = DEPRECATED_OPTIONS.get(command_path)
    if not renames:
        return args
    out: list[str] = []
    told: set[str] = set()
    for position, arg in enumerate(args):
        if arg == "--":
            out.extend(args[position:])
            break
        new = None
        if arg in renames:
            old, new, rest = arg, renames[arg], None
        elif arg.startswith("--") and "=" in arg and arg.split("=", 1)[0] in renames:
            old, value = arg.split("=", 1)
            new, rest = renames[old], value
        elif len(arg) > 2 and arg[0] == "-" and arg[1] != "-" and arg[:2] in renames:
            old, new, rest = arg[:2], renames[arg[:2]], arg[2:]  # -mViT-B-16
        if new is None or new == old:
            out.append(arg)
            continue
        if old not in told:
            told.add(old)
            deprecation(f"`kgen {command_path} {old}` is now `{new}`; the old spelling goes in {REMOVED_IN}")
        out.append(new if rest is None else f"{new}={rest}")
    return out


# Typer (0.29) carries its own copy of Click: its commands are not `click.Command`s, so the tree is
# walked by duck typing (`list_commands` makes a group).
Command = Any


def is_group(command: Command) -> bool:
    return hasattr(command, "list_commands")


def _install_rewrite(command: Command, path: str) -> None:
    parse_args = command.parse_args

    def parse_with_old_spellings(ctx: typer.Context, args: list[str]) -> list[str]:
        return parse_args(ctx, rewrite_args(path, args))

    command.parse_args = parse_with_old_spellings  # type: ignore[method-assign]


def _hide_bool_type(command: Command) -> None:
    for param in command.params:
        if param.param_type_name == "option" and param.is_flag and param.metavar is None:
            param.metavar = ""  # Typer would print "<bool>", which reads as "takes a value"
    get_help_option = command.get_help_option

    def help_option_without_type(ctx: typer.Context) -> Any:
        option = get_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = help_option_without_type  # type: ignore[method-assign]


@dataclass(frozen=True)
class CommandEntry:
    path: str  # "bank list"
    command: Command
    deprecated: bool


def walk_commands(group: Command, prefix: str = "") -> Iterator[CommandEntry]:
    """Every command of the tree (groups' callbacks with options included), in help order."""
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        path = f"{prefix}{name}"
        yield CommandEntry(path, command, bool(getattr(command, "hidden", False)) or path in DEPRECATED_COMMANDS)
        if is_group(command):
            yield from walk_commands(command, prefix=f"{path} ")


def apply_conventions(root: Command) -> Command:
    _hide_bool_type(root)
    for entry in walk_commands(root):
        _hide_bool_type(entry.command)
        if entry.path in DEPRECATED_OPTIONS:
            _install_rewrite(entry.command, entry.path)
    return root
