"""How long to wait before retrying a transient failure.

Exponential backoff with jitter: attempt ``n`` (0-based) waits a random time in
``[base * 2**n / 2, base * 2**n]``, capped at ``max_s`` ("equal jitter": concurrent clients that
failed together do not retry together, and no wait collapses to zero). A server's ``Retry-After``
(seconds or an HTTP date) or ``retry-after-ms`` header wins: the client waits that long, plus up
to 10 % so that a crowd of clients does not come back on the same millisecond.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass
class Backoff:
    base_s: float = 1.0
    max_s: float = 60.0
    max_retry_after_s: float = 600.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        if retry_after_s is not None and retry_after_s >= 0:
            wait = min(retry_after_s, self.max_retry_after_s)
            return wait * (1.0 + 0.1 * self.rng.random())
        ceiling = min(self.max_s, self.base_s * (2**attempt))
        return ceiling / 2 + self.rng.random() * ceiling / 2


def retry_after_seconds(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait (``retry-after-ms``, ``Retry-After`` seconds or date)."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
