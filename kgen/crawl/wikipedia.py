"""Wikipedia through the MediaWiki Action API: page intros by title (50 per request), the links of
disambiguation pages, and full-text search.

Requests (all ``action=query&formatversion=2&maxlag=5``):

* pages: ``titles=A|B|...`` (at most 50), ``prop=extracts|pageprops|info``, ``exintro``,
  ``explaintext``, ``exlimit=20`` (TextExtracts' maximum; a 50-title batch is answered in 3 requests
  through ``continue``), ``ppprop=disambiguation``, ``inprop=url`` (``fullurl``; ``lastrevid`` is the
  revision id), ``redirects=1``;
* disambiguation links: ``titles=...``, ``prop=links``, ``plnamespace=0``, ``pllimit=max``;
* search: ``generator=search`` (one query per request: the API has no batched search),
  ``gsrnamespace=0``, ``gsrlimit=5``, with the same page properties, so one request returns the top
  results *with* their intros.

Every answer is cached per lookup (one title, one disambiguation page, one search query) under
``wikipedia:<hash of api, what, title|query>``, missing pages included: a rerun asks for nothing it
has, whatever batches it forms, and a killed run keeps every batch that completed.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict

from kgen.crawl.mediawiki import QueryResult, page_url, query
from kgen.crawl.sources import WebSource, run_all
from kgen.knowledge.base import utc_now

DEFAULT_WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
WIKIPEDIA_API_ENV = "KGEN_WIKIPEDIA_API"
EXTRACTS_PER_REQUEST = 20  # TextExtracts' exlimit maximum with exintro
SEARCH_LIMIT = 5

_PAGE_PARAMS = {
    "prop": "extracts|pageprops|info",
    "exintro": "1",
    "explaintext": "1",
    "exlimit": str(EXTRACTS_PER_REQUEST),
    "ppprop": "disambiguation",
    "inprop": "url",
    "redirects": "1",
}


def wikipedia_api(override: str | None = None) -> str:
    return override or os.environ.get(WIKIPEDIA_API_ENV) or DEFAULT_WIKIPEDIA_API


class WikiPage(BaseModel):
    """What Wikipedia answered for one title (or one search hit)."""

    model_config = ConfigDict(extra="forbid")

    requested: str
    title: str  # after normalisation and redirect
    exists: bool
    invalid: bool = False
    disambiguation: bool = False
    redirected_from: str | None = None
    fragment: str | None = None
    pageid: int | None = None
    revision_id: int | None = None
    url: str | None = None
    extract: str = ""
    search_rank: int | None = None
    retrieved_at: str


class _Links(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    links: list[str]
    retrieved_at: str


class _SearchHits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str
    hits: list[WikiPage]
    retrieved_at: str


def _page_from_entry(
    api: str, requested: str, entry: dict[str, Any] | None, title: str, now: str, **extra: Any
) -> WikiPage:
    if entry is None or entry.get("missing") or entry.get("invalid"):
        return WikiPage(
            requested=requested,
            title=title,
            exists=False,
            invalid=bool(entry and entry.get("invalid")),
            retrieved_at=now,
            **extra,
        )
    props = entry.get("pageprops") or {}
    return WikiPage(
        requested=requested,
        title=entry["title"],
        exists=True,
        disambiguation="disambiguation" in props,
        pageid=entry.get("pageid"),
        revision_id=entry.get("lastrevid"),
        url=entry.get("fullurl") or page_url(api, entry["title"]),
        extract=str(entry.get("extract") or ""),
        retrieved_at=now,
        **extra,
    )


class Wikipedia(WebSource):
    """Cached, batched Wikipedia lookups. Failed lookups are left out of results and listed in ``failures``."""

    async def pages(self, titles: list[str]) -> dict[str, WikiPage]:
        """The page each title leads to (missing pages included), from the cache or the API."""

        def read(result: QueryResult, title: str, now: str) -> WikiPage:
            resolution = result.resolve(title)
            return _page_from_entry(
                self.api,
                title,
                resolution.page,
                resolution.title,
                now,
                redirected_from=resolution.redirected_from,
                fragment=resolution.fragment,
            )

        return await self.lookup_titles(titles, "page", WikiPage, _PAGE_PARAMS, read)

    async def links(self, titles: list[str]) -> dict[str, list[str]]:
        """The article links (namespace 0) of each page, e.g. the senses a disambiguation page lists."""

        def read(result: QueryResult, title: str, now: str) -> _Links:
            entry = result.resolve(title).page or {}
            links = [
                str(link["title"])
                for link in entry.get("links", [])
                if isinstance(link, dict) and "title" in link
            ]
            return _Links(title=title, links=links, retrieved_at=now)

        params = {"prop": "links", "plnamespace": "0", "pllimit": "max"}
        answers = await self.lookup_titles(titles, "links", _Links, params, read)
        return {title: answer.links for title, answer in answers.items()}

    async def search(
        self, queries: list[str], limit: int = SEARCH_LIMIT
    ) -> dict[str, list[WikiPage]]:
        """The top ``limit`` articles for each query, best first, with their intros."""
        found: dict[str, list[WikiPage]] = {}
        todo: list[str] = []
        for text in dict.fromkeys(queries):
            hit = self.cached(self.key("search", query=text, limit=limit), _SearchHits)
            if hit is not None:
                found[text] = hit.hits
                self.stats.cached += 1
            else:
                todo.append(text)
        self.progress(len(found))

        async def fetch(text: str) -> None:
            params = {
                **_PAGE_PARAMS,
                "generator": "search",
                "gsrsearch": text,
                "gsrnamespace": "0",
                "gsrlimit": str(limit),
                "exlimit": str(min(limit, EXTRACTS_PER_REQUEST)),
            }
            # The generator's own continuation (gsroffset) would page to results 6-10: not wanted.
            result = await query(self.client, self.api, params, follow_continue=False)
            self.stats.requests += result.requests
            now = utc_now()
            hits = []
            for entry in result.pages.values():
                if entry.get("missing") or entry.get("invalid"):
                    continue
                rank = entry.get("index")
                hits.append(
                    _page_from_entry(self.api, text, entry, entry["title"], now, search_rank=rank)
                )
            hits.sort(key=lambda page: (page.search_rank is None, page.search_rank or 0))
            self.store(
                self.key("search", query=text, limit=limit),
                _SearchHits(query=text, hits=hits, retrieved_at=now),
            )
            found[text] = hits
            self.stats.fetched += 1
            self.progress(1)

        await run_all([self.guarded([text], lambda t=text: fetch(t)) for text in todo])
        return found
