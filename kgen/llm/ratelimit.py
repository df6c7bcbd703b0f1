"""A requests-per-minute limit: request starts are spaced ``60 / rpm`` seconds apart.

Spacing (rather than allowing a burst of ``rpm`` requests and then a minute's silence) keeps a
run under the limit over *any* 60-second window, which is how providers count, and never makes a
request wait longer than one interval behind the one before it. Each ``acquire`` reserves the next
free slot synchronously, so concurrent tasks never share a slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        rpm: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rpm is not None and rpm <= 0:
            raise ValueError("requests per minute must be positive")
        self.rpm = rpm
        self.interval = 60.0 / rpm if rpm else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_slot: float | None = None

    async def acquire(self) -> float:
        """Wait for the next free slot; returns the seconds waited."""
        if not self.interval:
            return 0.0
        now = self._clock()
        slot = now if self._next_slot is None else max(now, self._next_slot)
        self._next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            await self._sleep(wait)
        return wait
