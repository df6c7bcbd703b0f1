"""A polite asynchronous JSON client for the MediaWiki Action API (Wikipedia, Wiktionary).

Politeness, as Wikimedia's API etiquette and User-Agent policy ask:

* a descriptive ``User-Agent`` naming kgen, its version and (``--contact`` / ``$KGEN_CONTACT``) a way
  to reach the operator; gzip is accepted (httpx's default);
* ``maxlag``: the MediaWiki layer adds ``maxlag=5`` to every request; a ``{"error": {"code":
  "maxlag"}}`` answer is waited out (its ``Retry-After`` header, else 5 s) and retried;
* bounded concurrency (a semaphore; default 2 requests in flight);
* retries with exponential backoff and jitter on HTTP 429 and 5xx, connection errors, timeouts and
  malformed JSON, honouring ``Retry-After`` (seconds or an HTTP date); a ``Retry-After`` pauses
  *every* request of the client, not just the one that got it;
* timeouts on every request, and a TCP probe before the first request to a host, so that a closed
  network fails in seconds (:mod:`kgen.crawl.network`).

The client caches nothing: callers validate an answer and then store it (see ``ResponseCache``), so a
malformed answer, a 429 or a 5xx is never cached.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from kgen import __version__
from kgen.backoff import Backoff, retry_after_seconds
from kgen.crawl.network import NetworkProbe, ProbeResult

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 4
DEFAULT_CONCURRENCY = 2
MAX_CONCURRENCY = 8


class NetworkClosed(Exception):
    """The host of a request cannot be reached at all (the probe failed)."""

    def __init__(self, probe: ProbeResult) -> None:
        super().__init__(f"network closed: {probe.reason}")
        self.probe = probe


class RequestFailed(Exception):
    """A request failed for good (retries exhausted, or an error that a retry cannot fix)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(f"{reason} (after {attempts} attempt{'s' if attempts != 1 else ''})")
        self.reason = reason
        self.attempts = attempts


class ApiError(Exception):
    """The API answered with an error object other than maxlag (e.g. a bad parameter)."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"API error {code}: {info}")
        self.code = code
        self.info = info


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_RETRIES + 1  # attempts per request, the first one included
    backoff_base_s: float = 1.0  # wait before the 2nd attempt; doubles each time
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0  # longer Retry-After values are cut to this
    maxlag_wait_s: float = 5.0  # Wikimedia's advice when a maxlag error has no Retry-After


@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    failures: int = 0  # requests given up
    problems: Counter[str] = field(default_factory=Counter)


def user_agent(contact: str | None = None) -> str:
    """kgen's User-Agent: tool/version, purpose, contact (when given), library/version."""
    about = "zero-shot action recognition research; crawls class definitions"
    if contact:
        about += f"; {contact}"
    return f"kgen/{__version__} ({about}) httpx/{httpx.__version__}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    return retry_after_seconds({"Retry-After": value.strip()}) if value else None


class PoliteClient:
    """GETs JSON from MediaWiki-style APIs with the politeness rules above. Use as an async context manager."""

    def __init__(
        self,
        *,
        contact: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        policy: RetryPolicy | None = None,
        probe: NetworkProbe | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be 1..{MAX_CONCURRENCY}")
        self.timeout_s = timeout_s
        self.policy = policy or RetryPolicy()
        self.probe = probe or NetworkProbe()
        self.stats = ClientStats()
        self._semaphore = asyncio.Semaphore(concurrency)
        # The doubling delay plus up to 25 % (never less than it). Since the LLM client's backoff was shared
        # (kgen.backoff) the cap applies before the jitter: at the cap a wait is backoff_max_s to 1.25x that.
        self._backoff = Backoff(base_s=self.policy.backoff_base_s, max_s=self.policy.backoff_max_s, jitter=(1.0, 1.25))
        self._pause_until = 0.0
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent(contact), "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            follow_redirects=True,
            transport=transport,
        )

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _wait_for_pause(self) -> None:
        delay = self._pause_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def get_json(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        """The JSON object answered to ``GET url?params``.

        Raises :class:`NetworkClosed` (host unreachable), :class:`ApiError` (an error object other
        than maxlag) or :class:`RequestFailed` (retries exhausted, or an HTTP 4xx other than 429).
        """
        probe = await self.probe.check(url)
        if not probe.open:
            raise NetworkClosed(probe)
        problem = "no attempt made"
        attempts = self.policy.attempts
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            await self._wait_for_pause()
            async with self._semaphore:
                await self._wait_for_pause()
                self.stats.requests += 1
                try:
                    response = await self._client.get(url, params=params)
                except httpx.TimeoutException:
                    problem = f"timed out after {self.timeout_s:g} s"
                except httpx.TransportError as exc:
                    problem = f"connection failed ({type(exc).__name__}: {exc})"
                else:
                    status = response.status_code
                    if status == 429 or status >= 500:
                        problem = f"HTTP {status}"
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    elif status >= 400:
                        self.stats.failures += 1
                        self.stats.problems[f"HTTP {status}"] += 1
                        raise RequestFailed(f"HTTP {status} for {response.url}", attempt)
                    else:
                        try:
                            payload = json.loads(response.content)
                        except (ValueError, UnicodeDecodeError):
                            problem = "malformed JSON"
                        else:
                            if not isinstance(payload, dict):
                                problem = "malformed JSON (not an object)"
                            elif isinstance(payload.get("error"), dict):
                                error = payload["error"]
                                code = str(error.get("code", "unknown"))
                                if code != "maxlag":
                                    self.stats.failures += 1
                                    self.stats.problems[f"API error {code}"] += 1
                                    raise ApiError(code, str(error.get("info", "")))
                                problem = f"server lagged (maxlag: {error.get('info', '')})"
                                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                                if retry_after is None:
                                    retry_after = self.policy.maxlag_wait_s
                            else:
                                return payload
            self.stats.problems[problem.split(" (")[0]] += 1
            if attempt == attempts:
                break
            self.stats.retries += 1
            if retry_after is not None:
                delay = min(retry_after, self.policy.max_retry_after_s)
                # The server asked everybody to wait: hold back every request of this client.
                self._pause_until = max(self._pause_until, time.monotonic() + delay)
                await self._wait_for_pause()
            else:
                await asyncio.sleep(self._backoff.delay(attempt - 1))  # attempt is 1-based here
        self.stats.failures += 1
        raise RequestFailed(problem, attempts)
