"""What Wikipedia and Wiktionary share: the MediaWiki Action API ``action=query`` in
``formatversion=2``, batches of titles, continuation, and the mapping of each requested title through
``normalized`` and ``redirects`` to its page.

Facts of the API this relies on (mediawiki.org, API:Query, API:Continue, Extension:TextExtracts):

* ``titles`` takes at most 50 titles per request (500 for bots), joined by ``|``;
* ``formatversion=2`` answers ``query.pages`` as a list; a missing page is ``{"title": ...,
  "missing": true}``, an invalid title ``{"title": ..., "invalid": true, "invalidreason": ...}``;
* ``redirects=1`` resolves redirects and lists them in ``query.redirects`` (``from``, ``to``,
  optional ``tofragment``); title normalisation (first letter, underscores) is listed in
  ``query.normalized``;
* when a module cannot answer for every page in one go (TextExtracts gives at most 20 intro extracts
  per request, ``exlimit``; ``prop=links`` at most ``pllimit``), the answer has a ``continue`` object
  whose fields are sent back verbatim with the same parameters, until an answer has no ``continue``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kgen.crawl.http import PoliteClient

MAX_TITLES_PER_REQUEST = 50
MAXLAG_S = 5  # Wikimedia's advice for non-interactive clients
BASE_PARAMS = {"action": "query", "format": "json", "formatversion": "2", "maxlag": str(MAXLAG_S)}
MAX_CONTINUATIONS = 100  # a guard against a server that never stops continuing


class MalformedAnswer(Exception):
    """Valid JSON that is not the shape of an ``action=query`` answer."""


class _Normalized(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str


class _Redirect(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    tofragment: str | None = None


class _Page(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str
    pageid: int | None = None
    ns: int | None = None
    missing: bool = False
    invalid: bool = False


class _QueryBlock(BaseModel):
    model_config = ConfigDict(extra="allow")
    normalized: list[_Normalized] = []
    redirects: list[_Redirect] = []
    pages: list[_Page] = []


class _QueryAnswer(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    query: _QueryBlock | None = None
    continue_: dict[str, Any] | None = Field(default=None, alias="continue")
    batchcomplete: bool | str | None = None


@dataclass
class QueryResult:
    """An ``action=query`` answer with all its continuations merged."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by title
    normalized: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    requests: int = 0

    def resolve(self, title: str) -> Resolution:
        """Follow ``title`` through normalisation and one redirect to its page entry."""
        current = self.normalized.get(title, title)
        normalized_to = current if current != title else None
        redirected_from: str | None = None
        fragment: str | None = None
        if current in self.redirects:
            redirected_from = current
            current, fragment = self.redirects[current]
        return Resolution(
            requested=title,
            title=current,
            normalized_to=normalized_to,
            redirected_from=redirected_from,
            fragment=fragment,
            page=self.pages.get(current),
        )


@dataclass
class Resolution:
    requested: str
    title: str
    normalized_to: str | None
    redirected_from: str | None
    fragment: str | None
    page: dict[str, Any] | None


def _merge_page(into: dict[str, Any], page: dict[str, Any]) -> None:
    for key, value in page.items():
        if isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + [item for item in value if item not in into[key]]
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key] = {**into[key], **value}
        else:
            into[key] = value


def parse_answer(payload: dict[str, Any]) -> _QueryAnswer:
    try:
        return _QueryAnswer.model_validate(payload)
    except ValidationError as exc:
        raise MalformedAnswer(f"not an action=query answer: {exc.errors()[0].get('msg')}") from exc


async def query(
    client: PoliteClient, api: str, params: dict[str, str], *, follow_continue: bool = True
) -> QueryResult:
    """Run ``action=query`` with ``params`` and merge every continuation into one result."""
    result = QueryResult()
    continuation: dict[str, Any] = {}
    for _ in range(MAX_CONTINUATIONS):
        payload = await client.get_json(api, {**BASE_PARAMS, **params, **continuation})
        result.requests += 1
        answer = parse_answer(payload)
        block = answer.query
        if block is not None:
            for entry in block.normalized:
                result.normalized[entry.from_] = entry.to
            for redirect in block.redirects:
                result.redirects[redirect.from_] = (redirect.to, redirect.tofragment)
            for raw_page in payload["query"].get("pages", []):
                title = raw_page["title"]
                if title in result.pages:
                    _merge_page(result.pages[title], raw_page)
                else:
                    result.pages[title] = dict(raw_page)
        if not follow_continue or not answer.continue_:
            return result
        continuation = {key: str(value) for key, value in answer.continue_.items()}
    raise MalformedAnswer(f"the server kept asking to continue after {MAX_CONTINUATIONS} requests")


def batches(items: Iterable[str], size: int) -> list[list[str]]:
    """``items`` (duplicates removed, order kept) in lists of at most ``size``."""
    unique = list(dict.fromkeys(items))
    size = max(1, min(size, MAX_TITLES_PER_REQUEST))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def page_url(api: str, title: str) -> str:
    """The article URL for ``title`` on the wiki of ``api`` (when the answer gave none)."""
    from urllib.parse import quote

    base = api.rsplit("/w/api.php", 1)[0] if "/w/api.php" in api else api.rsplit("/", 1)[0]
    return f"{base}/wiki/{quote(title.replace(' ', '_'))}"
