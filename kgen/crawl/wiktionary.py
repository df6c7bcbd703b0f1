"""Wiktionary through the MediaWiki Action API: the English section of entries, 50 per request.

Wiktionary has no batched definitions endpoint: the REST ``page/definition`` endpoint answers one
term per request, and TextExtracts returns whole-page extracts one page per request (only intro
extracts come 20 at a time, and a Wiktionary entry has no intro). kgen therefore asks for the
wikitext of up to 50 entries in one request (``prop=revisions&rvprop=content|ids&rvslots=main``,
plus ``prop=info&inprop=url`` for the page URL, ``redirects=1``) and parses the definitions of the
``==English==`` section itself (:mod:`kgen.crawl.wikitext`). Entry titles are case-sensitive on
Wiktionary (no first-letter capitalisation), so kgen asks for lower-case headwords.

Only the English section of each entry is cached (``wiktionary:<hash of api, title>``), not the
whole page: that keeps the cache small and lets a better parser reread it without asking again.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict

from kgen.crawl.mediawiki import QueryResult, page_url
from kgen.crawl.sources import WebSource
from kgen.crawl.wikitext import WiktionaryDefinition, english_section, parse_definitions

DEFAULT_WIKTIONARY_API = "https://en.wiktionary.org/w/api.php"
WIKTIONARY_API_ENV = "KGEN_WIKTIONARY_API"

_ENTRY_PARAMS = {
    "prop": "revisions|info",
    "rvprop": "content|ids",
    "rvslots": "main",
    "inprop": "url",
    "redirects": "1",
}


def wiktionary_api(override: str | None = None) -> str:
    return override or os.environ.get(WIKTIONARY_API_ENV) or DEFAULT_WIKTIONARY_API


class WiktionaryEntry(BaseModel):
    """What Wiktionary answered for one headword."""

    model_config = ConfigDict(extra="forbid")

    requested: str
    title: str
    exists: bool
    redirected_from: str | None = None
    revision_id: int | None = None
    url: str | None = None
    english: str = ""  # the wikitext of the ==English== section ('' when there is none)
    retrieved_at: str

    def definitions(self) -> list[WiktionaryDefinition]:
        return parse_definitions(self.english) if self.english else []


class Wiktionary(WebSource):
    """Cached, batched Wiktionary lookups."""

    async def entries(self, titles: list[str]) -> dict[str, WiktionaryEntry]:
        def read(result: QueryResult, title: str, now: str) -> WiktionaryEntry:
            resolution = result.resolve(title)
            page = resolution.page
            if page is None or page.get("missing") or page.get("invalid"):
                return WiktionaryEntry(requested=title, title=resolution.title, exists=False, retrieved_at=now)
            revisions = page.get("revisions") or [{}]
            revision = revisions[0] if isinstance(revisions[0], dict) else {}
            slot = (revision.get("slots") or {}).get("main") or {}
            content = slot.get("content", revision.get("content", ""))
            return WiktionaryEntry(
                requested=title,
                title=page["title"],
                exists=True,
                redirected_from=resolution.redirected_from,
                revision_id=revision.get("revid") or page.get("lastrevid"),
                url=page.get("fullurl") or page_url(self.api, page["title"]),
                english=english_section(str(content or "")),
                retrieved_at=now,
            )

        return await self.lookup_titles((t for t in titles if t), "entry", WiktionaryEntry, _ENTRY_PARAMS, read)
