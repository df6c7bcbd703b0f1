"""When unreadable videos stop a run: one rule for training and evaluation.

An unreadable video (missing, corrupt, no frames) never crashes a run: it is skipped and listed
(:mod:`zsar.data.dataset`). But a run that could read only a few of its videos must not end as
if it had succeeded: when more than ``data.max_skip_fraction`` (default 0.5) of the videos read
so far were unreadable, the run stops with an error (exit 2).

The rule is judged as the videos are read. Before a whole pass over the videos it takes at least
:data:`MIN_EVIDENCE` unreadable videos, so that the first unlucky clip of a tiny first batch does
not stop a healthy training run; after a whole pass (an evaluation list, read to its end) the
fraction alone decides. So "1 readable video of 4" fails in training from the step that reads
them and in evaluation at the end of the list.
"""

from __future__ import annotations

MIN_EVIDENCE = 3


def too_many_unreadable(skipped: int, read: int, total: int, max_fraction: float) -> bool:
    """True when ``skipped`` of the ``read`` videos (of ``total``) exceed ``max_fraction`` (module docstring)."""
    evidence = skipped >= MIN_EVIDENCE or read >= total
    return evidence and skipped > max_fraction * read
