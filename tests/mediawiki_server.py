"""A local MediaWiki Action API (``api.php``) for tests and benchmarks: Wikipedia- or Wiktionary-like.

It answers ``action=query&format=json&formatversion=2`` the way MediaWiki does, in the real JSON
shapes: ``titles`` (at most 50, else a ``toomanyvalues`` error), ``normalized``, ``redirects=1``
(``redirects`` with ``tofragment``), missing and invalid pages, ``prop=info`` (``lastrevid``,
``inprop=url``), ``prop=pageprops`` (``ppprop=disambiguation``), ``prop=extracts`` (``exintro``,
``explaintext``, ``exlimit`` at most 20 with ``excontinue`` continuation), ``prop=links``
(``pllimit``, ``plcontinue``), ``prop=revisions`` (``rvprop=content|ids``, ``rvslots=main``) and
``generator=search`` (``gsrsearch``, ``gsrlimit``, ``gsroffset``; hits carry ``index``).

Faults can be scripted per request: HTTP 429 with ``Retry-After``, HTTP 500, a ``maxlag`` error, a
timeout (the answer comes after a delay longer than the client waits), malformed JSON, and valid
JSON of the wrong shape. Every request is counted (and its parameters kept); a fixed latency can be
added to every answer. Threaded: requests are served concurrently, as a real server does.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

MAX_TITLES = 50
MAX_EXTRACTS = 20
_ILLEGAL = re.compile(r"[#<>\[\]|{}]")


@dataclass
class FakePage:
    title: str
    extract: str = ""  # plain-text intro (Wikipedia)
    wikitext: str = ""  # page source (Wiktionary)
    disambiguation: bool = False
    links: list[str] = field(default_factory=list)
    pageid: int = 0
    revid: int = 0


@dataclass
class Fault:
    """Answer the next ``times`` matching requests with a fault instead of the real answer."""

    kind: str  # "429" | "500" | "503" | "maxlag" | "timeout" | "malformed" | "shape" | "apierror"
    times: int = 1
    match: Callable[[dict[str, str]], bool] | None = None
    retry_after: str | None = "1"
    delay_s: float = 2.0  # for "timeout"


class FakeWiki:
    """The content and behaviour of one fake wiki."""

    def __init__(
        self,
        *,
        capitalize: bool = True,
        site: str = "https://en.wikipedia.org",
        latency_s: float = 0.0,
    ) -> None:
        self.capitalize = (
            capitalize  # Wikipedia capitalises the first letter of titles; Wiktionary does not
        )
        self.site = site
        self.latency_s = latency_s
        self.pages: dict[str, FakePage] = {}
        self.redirects: dict[str, tuple[str, str | None]] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)

    # -- content ---------------------------------------------------------------------------------

    def add_page(
        self,
        title: str,
        extract: str = "",
        *,
        wikitext: str = "",
        disambiguation: bool = False,
        links: list[str] | None = None,
    ) -> FakePage:
        page = FakePage(
            title=title,
            extract=extract,
            wikitext=wikitext,
            disambiguation=disambiguation,
            links=list(links or []),
            pageid=next(self._ids),
            revid=next(self._ids) * 1000 + 7,
        )
        self.pages[title] = page
        return page

    def add_redirect(self, source: str, target: str, fragment: str | None = None) -> None:
        self.redirects[source] = (target, fragment)

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- request handling --------------------------------------------------------------------------

    def handle(
        self, params: dict[str, str], user_agent: str
    ) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, delay before answering)."""
        with self._lock:
            self.requests.append(dict(params))
            self.user_agents.append(user_agent)
            fault = next(
                (f for f in self.faults if f.times > 0 and (f.match is None or f.match(params))),
                None,
            )
            if fault is not None:
                fault.times -= 1
        delay = self.latency_s
        if fault is not None:
            if fault.kind == "timeout":
                status, headers, body = self._answer(params)
                return status, headers, body, delay + fault.delay_s
            return (*self._fault(fault), delay)
        return (*self._answer(params), delay)

    def _fault(self, fault: Fault) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if fault.kind in {"429", "500", "503"}:
            html = {
                "429": "Too many requests",
                "500": "Internal Server Error",
                "503": "Service Unavailable",
            }[fault.kind]
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            return (
                int(fault.kind),
                headers,
                f"<!DOCTYPE html><html><body><h1>{html}</h1></body></html>".encode(),
            )
        if fault.kind == "maxlag":
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            headers["X-Database-Lag"] = "7"
            body = {
                "error": {
                    "code": "maxlag",
                    "info": "Waiting for 10.64.48.35: 7 seconds lagged.",
                    "host": "10.64.48.35",
                    "lag": 7,
                    "type": "db",
                    "*": "See https://en.wikipedia.org/w/api.php for API usage.",
                },
                "servedby": "mw-api-ext.eqiad.main-1",
            }
            return 200, headers, json.dumps(body).encode()
        if fault.kind == "malformed":
            return (
                200,
                headers,
                b'{"batchcomplete": true, "query": {"pages": [{"pageid": 12, "title": "Fenc',
            )
        if fault.kind == "shape":
            # formatversion=1's shape (pages keyed by id, "missing" as ""): not what the client asked for.
            return 200, headers, json.dumps({"query": {"pages": {"12": {"pageid": "x"}}}}).encode()
        if fault.kind == "apierror":
            body = {
                "error": {
                    "code": "badvalue",
                    "info": 'Unrecognized value for parameter "prop": bogus.',
                }
            }
            return 200, headers, json.dumps(body).encode()
        raise ValueError(f"unknown fault {fault.kind}")

    def _error(self, code: str, info: str) -> tuple[int, dict[str, str], bytes]:
        body = {
            "error": {"code": code, "info": info, "*": "See api.php for API usage."},
            "servedby": "fake",
        }
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()

    def _normalize(self, title: str) -> str:
        text = re.sub(r"[ _]+", " ", title).strip()
        if self.capitalize and text:
            text = text[0].upper() + text[1:]
        return text

    def _page_json(self, page: FakePage, props: set[str], params: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"pageid": page.pageid, "ns": 0, "title": page.title}
        if "info" in props:
            entry.update(
                contentmodel="wikitext",
                pagelanguage="en",
                pagelanguagehtmlcode="en",
                pagelanguagedir="ltr",
                touched="2024-05-01T12:00:00Z",
                lastrevid=page.revid,
                length=len(page.wikitext or page.extract),
            )
            if "url" in params.get("inprop", "").split("|"):
                url = f"{self.site}/wiki/{quote(page.title.replace(' ', '_'))}"
                entry.update(fullurl=url, editurl=url + "?action=edit", canonicalurl=url)
        if "pageprops" in props and page.disambiguation:
            wanted = params.get("ppprop", "disambiguation").split("|")
            if "disambiguation" in wanted:
                entry["pageprops"] = {"disambiguation": ""}
        if "revisions" in props:
            revision: dict[str, Any] = {"revid": page.revid, "parentid": page.revid - 1}
            if "content" in params.get("rvprop", "ids|timestamp|flags|comment|user").split("|"):
                revision["slots"] = {
                    "main": {
                        "contentmodel": "wikitext",
                        "contentformat": "text/x-wiki",
                        "content": page.wikitext,
                    }
                }
            entry["revisions"] = [revision]
        return entry

    def _answer(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if params.get("action") != "query":
            return self._error("badvalue", 'Unrecognized value for parameter "action".')
        if params.get("format") != "json" or params.get("formatversion") != "2":
            return self._error(
                "badvalue", "this fake wiki answers only format=json&formatversion=2"
            )
        props = set(filter(None, params.get("prop", "").split("|")))
        answer: dict[str, Any] = {}
        query: dict[str, Any] = {}
        continuation: dict[str, Any] = {}

        order: list[str] = []  # good page titles, in the order their extracts are counted
        pages: dict[str, dict[str, Any]] = {}
        if params.get("generator") == "search":
            words = re.findall(r"\w+", params.get("gsrsearch", "").lower())
            limit = int(params.get("gsrlimit", "10"))
            offset = int(params.get("gsroffset", "0"))
            scored = []
            for page in self.pages.values():
                title_words = set(re.findall(r"\w+", page.title.lower()))
                text_words = set(re.findall(r"\w+", page.extract.lower()))
                score = sum(2 for w in words if w in title_words) + sum(
                    1 for w in words if w in text_words
                )
                if score:
                    scored.append((-score, page.title))
            hits = [self.pages[t] for _, t in sorted(scored)]
            window = hits[offset : offset + limit]
            if offset + limit < len(hits):
                continuation.update({"gsroffset": offset + limit, "continue": "gsroffset||"})
            for rank, page in enumerate(window, start=offset + 1):
                entry = self._page_json(page, props, params)
                entry["index"] = rank
                pages[page.title] = entry
                order.append(page.title)
        elif "titles" in params:
            raw = params["titles"]
            titles = raw[1:].split("\x1f") if raw.startswith("\x1f") else raw.split("|")
            if len(titles) > MAX_TITLES:
                return self._error(
                    "toomanyvalues",
                    f'Too many values supplied for parameter "titles". The limit is {MAX_TITLES}.',
                )
            normalized, redirects = [], []
            for title in titles:
                if len(title.encode()) > 255:
                    pages[title] = {
                        "title": title,
                        "invalidreason": "The requested page title is too long.",
                        "invalid": True,
                    }
                    continue
                if not title.strip() or _ILLEGAL.search(title):
                    bad = next(iter(_ILLEGAL.findall(title)), "")
                    pages[title] = {
                        "title": title,
                        "invalidreason": f'The requested page title contains invalid characters: "{bad}".'
                        if bad
                        else "The requested page title is empty or contains only the name of a namespace.",
                        "invalid": True,
                    }
                    continue
                name = self._normalize(title)
                if name != title:
                    normalized.append({"fromencoded": False, "from": title, "to": name})
                if params.get("redirects") and name in self.redirects:
                    target, fragment = self.redirects[name]
                    redirect: dict[str, Any] = {"from": name, "to": target}
                    if fragment:
                        redirect["tofragment"] = fragment
                    if redirect not in redirects:
                        redirects.append(redirect)
                    name = target
                page = self.pages.get(name)
                if page is None:
                    pages.setdefault(name, {"ns": 0, "title": name, "missing": True})
                elif name not in pages:
                    pages[name] = self._page_json(page, props, params)
                    order.append(name)
            if normalized:
                query["normalized"] = normalized
            if redirects:
                query["redirects"] = redirects

        if "extracts" in props and params.get("exintro"):
            raw_limit = params.get("exlimit", "20")
            requested = MAX_EXTRACTS if raw_limit == "max" else int(raw_limit)
            limit = min(requested, MAX_EXTRACTS)
            if requested > MAX_EXTRACTS:
                answer["warnings"] = {
                    "extracts": {
                        "warnings": f'"exlimit" may not be over {MAX_EXTRACTS} (set to {MAX_EXTRACTS}) for users.'
                    }
                }
            start = int(params.get("excontinue", "0"))
            for title in order[start : start + limit]:
                pages[title]["extract"] = self.pages[title].extract
            if start + limit < len(order):
                continuation.update({"excontinue": start + limit, "continue": "||"})
        if "links" in props:
            raw_limit = params.get("pllimit", "10")
            limit = 500 if raw_limit == "max" else int(raw_limit)
            after = params.get("plcontinue")
            pending = []
            for title in sorted(order, key=lambda t: self.pages[t].pageid):
                for link in sorted(self.pages[title].links):
                    pending.append((self.pages[title].pageid, title, link))
            if after:
                pageid_text, _, link_after = after.split("|", 2)
                pending = [p for p in pending if (p[0], p[2]) >= (int(pageid_text), link_after)]
            for _pageid, title, link in pending[:limit]:
                pages[title].setdefault("links", []).append({"ns": 0, "title": link})
            if len(pending) > limit:
                pageid, _, link = pending[limit]
                continuation.update({"plcontinue": f"{pageid}|0|{link}", "continue": "||"})

        if pages:
            query["pages"] = list(pages.values())
        if continuation:
            answer["continue"] = continuation
        else:
            answer["batchcomplete"] = True
        if query:
            answer["query"] = query
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(answer).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        wiki = self.server.wiki
        if not urlsplit(self.path).path.endswith("/api.php"):
            self.send_error(404, "Not Found")
            return
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        with wiki._lock:
            wiki.in_flight += 1
            wiki.max_in_flight = max(wiki.max_in_flight, wiki.in_flight)
        try:
            status, headers, body, delay = wiki.handle(params, self.headers.get("User-Agent", ""))
            if delay:
                time.sleep(delay)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
        finally:
            with wiki._lock:
                wiki.in_flight -= 1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    wiki: FakeWiki


class MediaWikiServer:
    """Serves a :class:`FakeWiki` at ``http://127.0.0.1:<free port>/w/api.php`` in a background thread."""

    def __init__(self, wiki: FakeWiki) -> None:
        self.wiki = wiki
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.wiki = wiki
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/w/api.php"

    def start(self) -> MediaWikiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MediaWikiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
