"""docs/cli.md's table of every command's flags, made from the Typer app itself.

``python -m kgen.cli_reference`` rewrites the generated part of docs/cli.md (between the two
markers); tests/test_cli_conventions.py fails when the file is not current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kgen.commands.conventions import (
    DEPRECATED_COMMANDS,
    DEPRECATED_OPTIONS,
    SHARED_FLAGS,
    Command,
    walk_commands,
)

BEGIN = "<!-- BEGIN GENERATED: python -m kgen.cli_reference -->"
END = "<!-- END GENERATED -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def param_type(param) -> str:
    """``flag`` for a boolean flag, else the value's type as Typer reads it (``str``, ``list[Path]``...)."""
    if param.param_type_name == "option" and param.is_flag:
        return "flag"
    try:
        return param.bare_type().replace("NoneType", "").strip(" |")
    except (AttributeError, AssertionError):
        return "value"


def _default(param) -> str:
    if param.required:
        return "required"
    default = param.default
    if default is None or default == () or default == []:
        return ""
    if param.param_type_name == "option" and param.is_flag and param.secondary_opts:
        return param.opts[0] if default else param.secondary_opts[0]
    if default is False:
        return ""
    return f"`{default}`" if str(default).strip() else f"`{default!r}`"


def _rows(command: Command) -> list[str]:
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        if param.param_type_name == "argument":
            flag = (param.metavar or param.name.upper()) + ("..." if param.nargs == -1 else "")
        else:
            flag = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        rows.append(f"| {flag} | {param_type(param)} | {_cell(_default(param))} | {_cell(getattr(param, 'help', '') or '')} |")
    return rows


def generate(root: Command) -> str:
    """The generated part of docs/cli.md (markers included)."""
    out = [BEGIN, "", "## Flags that several commands take: one meaning each", ""]
    out += ["| flag | meaning, in every command that takes it |", "|---|---|"]
    out += [f"| `{flag}` | {_cell(meaning)} |" for flag, meaning in SHARED_FLAGS.items()]
    out += ["", "## Every command's flags", ""]
    out += ["Global options (before the command: `kgen --root DIR crawl ...`):", ""]
    out += ["| flag | type | default | meaning |", "|---|---|---|---|", *_rows(root), ""]
    for entry in walk_commands(root):
        if entry.deprecated:
            continue
        first = (entry.command.help or "").strip().split("\n\n")[0]
        out += [f"### kgen {entry.path}", "", _cell(first), ""]
        rows = _rows(entry.command)
        if rows:
            out += ["| flag | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    out += ["## Old spellings (work until " + "kgen 0.2, with a deprecation message on stderr)", ""]
    out += ["| command | old | new |", "|---|---|---|"]
    for command, renames in DEPRECATED_OPTIONS.items():
        if command in DEPRECATED_COMMANDS:
            continue
        for old, new in renames.items():
            out.append(f"| kgen {command} | `{old}` | `{new}` |")
    for old, new in DEPRECATED_COMMANDS.items():
        out.append(f"| kgen {old} | (the command) | `{new}` |")
    out += ["", END]
    return "\n".join(out) + "\n"


def current_doc(root: Command, text: str) -> str:
    """``text`` (docs/cli.md) with its generated part replaced by the current one."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"{DOC} lacks the markers {BEGIN!r} ... {END!r}")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return head + generate(root).rstrip("\n") + tail


def main() -> int:
    from kgen.cli_app import click_app

    text = DOC.read_text(encoding="utf-8")
    new = current_doc(click_app(), text)
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"updated {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
