""""Did you mean ...?" for mistyped names (classes, datasets, kinds, recipes, models)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices closest to ``word`` (case, '_', '-' and spacing ignored), best first."""
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(_key(choice), choice)
    keys = difflib.get_close_matches(_key(word), list(by_key), n=n, cutoff=cutoff)
    return [by_key[key] for key in keys]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str | None:
    """``"did you mean 'x'?"`` (or ``'x' or 'y'``), or None when nothing is close."""
    found = close_matches(word, choices, n=n)
    if not found:
        return None
    return "did you mean " + " or ".join(repr(f) for f in found) + "?"


def unknown_name_hint(word: str, choices: Iterable[str], listing: str) -> str:
    """A hint for an unknown name: the close ones first, then where the full list is."""
    choices = list(choices)
    suggestion = did_you_mean(word, choices)
    return f"{suggestion} ({listing})" if suggestion else listing
