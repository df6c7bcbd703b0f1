"""The polite client against a local MediaWiki: retries, Retry-After, maxlag, timeouts, bad answers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from mediawiki_server import FakeWiki, Fault, MediaWikiServer

from kgen.crawl.http import (
    ApiError,
    NetworkClosed,
    PoliteClient,
    RequestFailed,
    RetryPolicy,
    parse_retry_after,
)
from kgen.crawl.mediawiki import MalformedAnswer, query

FAST = RetryPolicy(attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)
QUERY = {
    "action": "query",
    "format": "json",
    "formatversion": "2",
    "titles": "Fencing",
    "prop": "info",
}


@pytest.fixture
def wiki() -> Iterator[tuple[FakeWiki, str]]:
    fake = FakeWiki()
    fake.add_page("Fencing", "Fencing is a combat sport.")
    with MediaWikiServer(fake) as server:
        yield fake, server.url


def get(url: str, policy: RetryPolicy = FAST, **kwargs: object) -> dict:
    async def run() -> dict:
        async with PoliteClient(policy=policy, **kwargs) as client:  # type: ignore[arg-type]
            return await client.get_json(url, QUERY)

    return asyncio.run(run())


def test_a_normal_answer_and_a_descriptive_user_agent(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    answer = get(url, contact="lab@example.org")
    assert answer["query"]["pages"][0]["title"] == "Fencing"
    assert fake.request_count == 1
    agent = fake.user_agents[0]
    assert agent.startswith("kgen/") and "lab@example.org" in agent and "httpx/" in agent


@pytest.mark.parametrize("kind", ["500", "503", "malformed"])
def test_server_errors_and_malformed_json_are_retried(
    wiki: tuple[FakeWiki, str], kind: str
) -> None:
    fake, url = wiki
    fake.add_fault(Fault(kind, times=2, retry_after=None))
    assert get(url)["query"]["pages"][0]["title"] == "Fencing"
    assert fake.request_count == 3


def test_429_waits_as_long_as_retry_after_says(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("429", times=1, retry_after="1"))
    started = time.monotonic()
    assert get(url)["query"]["pages"][0]["title"] == "Fencing"
    assert time.monotonic() - started >= 0.95  # Retry-After: 1, not the 0.01 s backoff
    assert fake.request_count == 2


def test_maxlag_error_is_waited_out_and_retried(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("maxlag", times=1, retry_after="1"))
    started = time.monotonic()
    assert get(url)["query"]["pages"][0]["title"] == "Fencing"
    assert time.monotonic() - started >= 0.95
    assert fake.request_count == 2


def test_retries_are_bounded(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("500", times=10, retry_after=None))
    with pytest.raises(RequestFailed, match=r"HTTP 500 \(after 3 attempts\)"):
        get(url)
    assert fake.request_count == 3


def test_a_timeout_never_hangs(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("timeout", times=10, delay_s=1.5))
    with pytest.raises(RequestFailed, match="timed out after 0.2 s"):
        get(url, RetryPolicy(attempts=2, backoff_base_s=0.01), timeout_s=0.2)
    assert fake.request_count == 2


def test_a_timeout_then_an_answer(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("timeout", times=1, delay_s=1.5))
    assert get(url, timeout_s=0.3)["query"]["pages"][0]["title"] == "Fencing"


def test_api_errors_and_client_errors_are_not_retried(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("apierror", times=1))
    with pytest.raises(ApiError, match="badvalue"):
        get(url)
    assert fake.request_count == 1
    with pytest.raises(RequestFailed, match="HTTP 404"):
        get(url.replace("/w/api.php", "/nothing-here"))


def test_valid_json_of_the_wrong_shape_is_refused(wiki: tuple[FakeWiki, str]) -> None:
    fake, url = wiki
    fake.add_fault(Fault("shape", times=1))

    async def run() -> None:
        async with PoliteClient(policy=FAST) as client:
            await query(client, url, {"titles": "Fencing", "prop": "info"})

    with pytest.raises(MalformedAnswer):
        asyncio.run(run())


def test_a_closed_network_fails_fast_without_a_request() -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(NetworkClosed) as info:
        get(f"http://127.0.0.1:{port}/w/api.php")
    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{port}" in info.value.probe.target
    with pytest.raises(NetworkClosed, match="cannot resolve"):
        get("http://no-such-host.invalid/w/api.php")


def test_concurrency_is_bounded() -> None:
    fake = FakeWiki(latency_s=0.15)
    fake.add_page("Fencing", "Fencing is a combat sport.")
    with MediaWikiServer(fake) as server:

        async def run() -> None:
            async with PoliteClient(policy=FAST, concurrency=2) as client:
                await asyncio.gather(*(client.get_json(server.url, QUERY) for _ in range(6)))

        asyncio.run(run())
    assert fake.request_count == 6
    assert fake.max_in_flight == 2


def test_retry_after_header_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert (
        0 <= (parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") or 0) < 1
    )  # a date in the past: no wait
    with pytest.raises(ValueError):
        PoliteClient(concurrency=0)
