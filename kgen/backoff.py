"""How long to wait before retrying a transient failure: the LLM client's and the crawler's backoff.

Exponential backoff with jitter: after failed attempt ``n`` (0-based) the wait is
``min(max_s, base * 2**n)`` times a random factor from ``jitter``. The LLM client uses the default
``(0.5, 1.0)`` ("equal jitter": concurrent clients that failed together do not retry together, and
no wait collapses to zero); the MediaWiki client (:mod:`kgen.crawl.http`) waits ``(1.0, 1.25)``
times, never less than the doubling delay, as Wikimedia's API etiquette prefers.

A server's ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms`` header wins
(:func:`retry_after_seconds` reads it): the LLM client waits that long, plus up to 10 % so that a
crowd of clients does not come back on the same millisecond (:meth:`Backoff.delay`); the crawler
pauses all its requests that long (see :mod:`kgen.crawl.http`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass
class Backoff:
    base_s: float = 1.0  # the wait after the first failure, before jitter
    max_s: float = 60.0  # the doubling stops here (before jitter)
    max_retry_after_s: float = 600.0  # longer Retry-After values are cut to this
    rng: random.Random = field(default_factory=random.Random)
    jitter: tuple[float, float] = (0.5, 1.0)  # the wait is the capped doubling delay times a factor from this range

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based); ``retry_after_s``: what the server asked."""
        if retry_after_s is not None and retry_after_s >= 0:
            wait = min(retry_after_s, self.max_retry_after_s)
            return wait * (1.0 + 0.1 * self.rng.random())
        ceiling = min(self.max_s, self.base_s * (2**attempt))
        low, high = self.jitter
        return ceiling * low + self.rng.random() * ceiling * (high - low)


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
