"""What the web sources share: the response cache, request accounting, failure bookkeeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kgen.cache import ResponseCache
from kgen.crawl.http import ApiError, NetworkClosed, PoliteClient, RequestFailed
from kgen.crawl.mediawiki import MalformedAnswer, QueryResult, batches, query
from kgen.crawl.network import ProbeResult
from kgen.knowledge.base import utc_now

M = TypeVar("M", bound=BaseModel)


@dataclass
class SourceStats:
    requests: int = 0  # action=query requests answered (continuations included)
    cached: int = 0  # lookups answered from the cache
    fetched: int = 0  # lookups answered by the network (and now cached)
    failed: int = 0  # lookups that got no answer


@dataclass
class WebSource:
    """A MediaWiki-backed source: answers lookups from the cache, else asks the API in batches."""

    name: str
    api: str
    client: PoliteClient
    cache: ResponseCache
    refresh: bool = False  # ignore cached answers (and replace them)
    batch_size: int = 50
    on_progress: Callable[[int], None] | None = None  # called with the number of lookups answered
    stats: SourceStats = field(default_factory=SourceStats)
    failures: dict[str, str] = field(default_factory=dict)  # lookup -> why it has no answer
    closed: ProbeResult | None = None  # set when the network turned out to be closed

    def key(self, what: str, **parts: Any) -> str:
        # Version 1 of kgen's cached shape for this lookup; the API URL is part of the key because a
        # mirror or another language edition answers differently.
        return ResponseCache.make_key(self.name, api=self.api, what=what, v=1, **parts)

    def cached(self, key: str, model: type[M]) -> M | None:
        if self.refresh:
            return None
        raw = self.cache.get(key)
        if raw is None:
            return None
        try:
            return model.model_validate(raw)
        except ValidationError:
            return None  # an entry of an older shape: ask again (and overwrite it)

    def store(self, key: str, value: BaseModel) -> None:
        self.cache.set(key, value.model_dump(mode="json"))

    def progress(self, count: int) -> None:
        if self.on_progress is not None and count:
            self.on_progress(count)

    async def lookup_titles(
        self,
        titles: Iterable[str],
        what: str,
        model: type[M],
        params: dict[str, str],
        read: Callable[[QueryResult, str, str], M],
    ) -> dict[str, M]:
        """Each title's ``what`` answer: from the cache, else asked ``batch_size`` titles a request.

        ``params``: the query's parameters besides ``titles``; ``read(result, title, retrieved_at)``
        turns one title of an answered batch into its ``model``, which is cached under
        ``key(what, title=title)`` as soon as its batch is answered. A batch that fails is left out
        and each of its titles recorded in ``failures`` (:meth:`guarded`). Duplicates are asked once.
        """
        found: dict[str, M] = {}
        todo: list[str] = []
        for title in dict.fromkeys(titles):
            hit = self.cached(self.key(what, title=title), model)
            if hit is not None:
                found[title] = hit
                self.stats.cached += 1
            else:
                todo.append(title)
        self.progress(len(found))

        async def fetch(batch: list[str]) -> None:
            result = await query(self.client, self.api, {**params, "titles": "|".join(batch)})
            self.stats.requests += result.requests
            now = utc_now()
            for title in batch:
                answer = read(result, title, now)
                self.store(self.key(what, title=title), answer)
                found[title] = answer
            self.stats.fetched += len(batch)
            self.progress(len(batch))

        await run_all([self.guarded(batch, lambda b=batch: fetch(b)) for batch in batches(todo, self.batch_size)])
        return found

    async def guarded(self, lookups: list[str], work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` (one batch); on failure, record why for each of ``lookups``."""
        if self.closed is not None:
            self._fail(lookups, f"network closed ({self.closed.reason})")
            return
        try:
            await work()
        except NetworkClosed as exc:
            self.closed = exc.probe
            self._fail(lookups, f"network closed ({exc.probe.reason})")
        except (RequestFailed, ApiError, MalformedAnswer) as exc:
            self._fail(lookups, str(exc))

    def _fail(self, lookups: list[str], reason: str) -> None:
        for lookup in lookups:
            self.failures[lookup] = reason
        self.stats.failed += len(lookups)
        self.progress(len(lookups))


async def run_all(tasks: list[Awaitable[None]]) -> None:
    """Run batch tasks concurrently (the client's semaphore bounds what is in flight)."""
    if tasks:
        await asyncio.gather(*tasks)
