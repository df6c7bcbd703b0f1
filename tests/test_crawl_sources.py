"""Wikipedia and Wiktionary lookups: batching, continuation, real answer shapes, caching, article choice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from crawl_content import build_wikipedia, build_wiktionary
from mediawiki_server import FakeWiki, Fault, MediaWikiServer

from kgen.cache import ResponseCache
from kgen.crawl import article as articles
from kgen.crawl.http import PoliteClient, RetryPolicy
from kgen.crawl.phrase import analyse
from kgen.crawl.wikipedia import WikiPage, Wikipedia
from kgen.crawl.wiktionary import Wiktionary

FAST = RetryPolicy(attempts=2, backoff_base_s=0.01, backoff_max_s=0.02)
T = TypeVar("T")


@pytest.fixture
def wikipedia() -> Iterator[tuple[FakeWiki, str]]:
    fake = build_wikipedia()
    with MediaWikiServer(fake) as server:
        yield fake, server.url


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ResponseCache]:
    with ResponseCache(tmp_path / "cache") as store:
        yield store


def run_wikipedia(
    url: str, cache: ResponseCache, work: Callable[[Wikipedia], Awaitable[T]], **kwargs: object
) -> tuple[T, Wikipedia]:
    async def go() -> tuple[T, Wikipedia]:
        async with PoliteClient(policy=FAST) as client:
            source = Wikipedia(name="wikipedia", api=url, client=client, cache=cache, **kwargs)  # type: ignore[arg-type]
            return await work(source), source

    return asyncio.run(go())


def test_pages_resolve_normalisation_redirects_missing_invalid_and_disambiguation(
    wikipedia: tuple[FakeWiki, str], cache: ResponseCache
) -> None:
    fake, url = wikipedia
    titles = ["fencing", "Flic flac", "Diving", "No such page", "bad|title", "Pétanque"]
    pages, source = run_wikipedia(url, cache, lambda s: s.pages(titles))
    assert (
        fake.request_count == 1
    )  # "bad|title" was split by '|', as MediaWiki would: 7 titles, one request
    fencing = pages["fencing"]
    assert (
        fencing.exists
        and fencing.title == "Fencing"
        and fencing.extract.startswith("Fencing is a combat sport")
    )
    assert fencing.revision_id == fake.pages["Fencing"].revid
    assert fencing.url == "https://en.wikipedia.org/wiki/Fencing"
    flic = pages["Flic flac"]
    assert (
        flic.title == "Back handspring"
        and flic.redirected_from == "Flic flac"
        and flic.fragment == "Technique"
    )
    assert pages["Diving"].disambiguation
    assert not pages["No such page"].exists
    assert pages["Pétanque"].url == "https://en.wikipedia.org/wiki/P%C3%A9tanque"
    assert fake.requests[0]["maxlag"] == "5" and fake.requests[0]["formatversion"] == "2"
    assert source.stats.requests == 1 and source.stats.fetched == len(titles)


def test_fifty_titles_per_request_and_extract_continuation(cache: ResponseCache) -> None:
    fake = FakeWiki()
    for i in range(70):
        fake.add_page(f"Sport {i}", f"Sport {i} is a sport played with a ball.")
    titles = [f"Sport {i}" for i in range(70)] + ["Missing 1", "Missing 2"]
    with MediaWikiServer(fake) as server:
        pages, source = run_wikipedia(server.url, cache, lambda s: s.pages(titles))
    # 72 titles -> batches of 50 and 22; TextExtracts gives 20 extracts per request: 50 existing
    # pages take 3 requests, 20 existing (and 2 missing) take 1. The two batches run concurrently,
    # so the order in which they reach the server is not fixed.
    first_requests = [len(r["titles"].split("|")) for r in fake.requests if "excontinue" not in r]
    assert sorted(first_requests) == [22, 50]
    assert sorted(r.get("excontinue", "0") for r in fake.requests) == ["0", "0", "20", "40"]
    assert fake.request_count == 4 and source.stats.requests == 4
    assert all(
        pages[f"Sport {i}"].extract == f"Sport {i} is a sport played with a ball."
        for i in range(70)
    )
    assert not pages["Missing 2"].exists


def test_answers_are_cached_per_title_and_a_rerun_asks_nothing(
    wikipedia: tuple[FakeWiki, str], cache: ResponseCache
) -> None:
    fake, url = wikipedia
    first, _ = run_wikipedia(url, cache, lambda s: s.pages(["Fencing", "Nothing here"]))
    again, source = run_wikipedia(url, cache, lambda s: s.pages(["Nothing here", "Fencing"]))
    assert fake.request_count == 1 and source.stats.cached == 2 and source.stats.requests == 0
    assert again == first
    # a new title in the batch: only it is asked for
    run_wikipedia(url, cache, lambda s: s.pages(["Fencing", "Smoking"]))
    assert fake.requests[-1]["titles"] == "Smoking"
    # --refresh asks again
    run_wikipedia(url, cache, lambda s: s.pages(["Fencing"]), refresh=True)
    assert fake.requests[-1]["titles"] == "Fencing" and fake.request_count == 3


@pytest.mark.parametrize("kind", ["500", "malformed", "shape", "429"])
def test_failed_answers_are_never_cached(
    wikipedia: tuple[FakeWiki, str], cache: ResponseCache, kind: str
) -> None:
    fake, url = wikipedia
    fake.add_fault(Fault(kind, times=2, retry_after="0"))
    pages, source = run_wikipedia(url, cache, lambda s: s.pages(["Fencing"]))
    assert pages == {} and "Fencing" in source.failures
    assert cache.count_by_namespace() == {}
    fake.faults.clear()  # the server recovers
    pages, source = run_wikipedia(url, cache, lambda s: s.pages(["Fencing"]))
    assert pages["Fencing"].exists and cache.count_by_namespace() == {"wikipedia": 1}


def test_links_follow_continuation(cache: ResponseCache) -> None:
    fake = FakeWiki()
    fake.add_page(
        "Hub",
        "Hub may refer to:",
        disambiguation=True,
        links=[f"Hub ({i:03d})" for i in range(620)],
    )
    with MediaWikiServer(fake) as server:
        links, _ = run_wikipedia(server.url, cache, lambda s: s.links(["Hub"]))
    assert fake.request_count == 2  # pllimit=max is 500 links per request
    assert len(links["Hub"]) == 620 and links["Hub"][0] == "Hub (000)"


def test_search_returns_ranked_hits_with_intros(
    wikipedia: tuple[FakeWiki, str], cache: ResponseCache
) -> None:
    fake, url = wikipedia
    hits, _ = run_wikipedia(url, cache, lambda s: s.search(["rock climbing indoor"]))
    found = hits["rock climbing indoor"]
    assert found[0].title == "Indoor climbing" and found[0].search_rank == 1
    assert [h.search_rank for h in found] == sorted(h.search_rank or 0 for h in found)
    assert found[0].extract.startswith("Indoor climbing is")
    assert fake.requests[0]["generator"] == "search" and fake.requests[0]["gsrlimit"] == "5"


def test_wiktionary_entries_keep_the_english_section_only(cache: ResponseCache) -> None:
    fake = build_wiktionary()

    async def go(url: str) -> dict:
        async with PoliteClient(policy=FAST) as client:
            source = Wiktionary(name="wiktionary", api=url, client=client, cache=cache)
            return await source.entries(["brush", "Brush", "hair", "nope"])

    with MediaWikiServer(fake) as server:
        entries = asyncio.run(go(server.url))
    assert fake.request_count == 1
    assert fake.requests[0]["rvslots"] == "main" and "content" in fake.requests[0]["rvprop"]
    brush = entries["brush"]
    assert brush.exists and "==French==" not in brush.english and "{{en-verb}}" in brush.english
    assert (
        brush.revision_id == fake.pages["brush"].revid
        and brush.url == "https://en.wiktionary.org/wiki/brush"
    )
    assert not entries["Brush"].exists  # Wiktionary titles are case-sensitive
    assert not entries["nope"].exists
    assert [d.pos for d in entries["hair"].definitions()] == ["noun"]


# -- choosing the article ------------------------------------------------------------------------


def page(title: str, extract: str, **fields: object) -> WikiPage:
    return WikiPage(
        requested=title, title=title, exists=True, extract=extract, retrieved_at="t", **fields
    )  # type: ignore[arg-type]


def test_action_score_reads_the_definitional_head() -> None:
    assert articles.action_score("Fencing is a combat sport that features sword fighting.") >= 1
    assert (
        articles.action_score(
            "Smoking is the practice of burning a substance and inhaling the smoke."
        )
        >= 2
    )
    assert articles.action_score("Smoke is a suspension of airborne particulates and gases.") == 0
    assert articles.action_score("Diving is a 2017 French drama film.") < 0
    assert (
        articles.action_score(
            "A hairbrush is a brush with rigid bristles used in hair care for smoothing."
        )
        == 0
    )


def test_choose_by_title_prefers_what_reads_as_an_action() -> None:
    smoke = page("Smoke", "Smoke is a suspension of airborne particulates and gases.")
    smoking = page(
        "Smoking", "Smoking is the practice of burning a substance and inhaling the smoke."
    )
    choice = articles.choose_by_title([smoke, smoking])
    assert choice is not None and choice.page.title == "Smoking" and choice.match == "title"
    film = page("Catch", "Catch is a 2001 American film directed by someone.")
    assert articles.choose_by_title([film]) is None
    hub = page("Dive", "Dive may refer to:")  # no pageprops: detected by its wording
    assert articles.choose_by_title([hub]) is None and articles.disambiguation_pages([hub]) == [
        "Dive"
    ]
    moved = page(
        "Back handspring", "A back handspring is a gymnastics move.", redirected_from="Flic flac"
    )
    choice = articles.choose_by_title([moved])
    assert (
        choice is not None
        and choice.match == "redirect"
        and choice.note == "redirected from Flic flac"
    )


def test_disambiguation_candidates_and_choice() -> None:
    phrase = analyse("diving")
    links = [
        "Diving (album)",
        "Diving (film)",
        "Diving bell",
        "Underwater diving",
        "Diving (sport)",
        "Cliff",
    ]
    candidates = articles.disambiguation_candidates(links, phrase, ["Diving"])
    assert candidates[0] == "Diving (sport)"
    assert (
        "Diving (film)" not in candidates
        and "Diving (album)" not in candidates
        and "Cliff" not in candidates
    )
    sport = page("Diving (sport)", "Diving is the sport of jumping or falling into water.")
    bell = page("Diving bell", "A diving bell is a rigid chamber used to transport divers.")
    choice = articles.choose_from_disambiguation([bell, sport], via="Diving")
    assert choice is not None and choice.page.title == "Diving (sport)"
    assert choice.note == "chosen from disambiguation page Diving"
    assert articles.choose_from_disambiguation([bell], via="Diving") is None


def test_search_hits_must_be_about_the_action() -> None:
    phrase = analyse("brush hair")
    hairbrush = page(
        "Hairbrush",
        "A hairbrush is a brush with rigid or soft bristles used in hair care for smoothing.",
        search_rank=1,
    )
    assert articles.choose_from_search([hairbrush], phrase, "brush hair") is None
    phrase = analyse("rock climbing indoor")
    wall = page(
        "Climbing wall",
        "A climbing wall is an artificially constructed wall with grips.",
        search_rank=1,
    )
    indoor = page(
        "Indoor climbing",
        "Indoor climbing is a form of rock climbing performed on artificial structures.",
        search_rank=2,
    )
    other = page(
        "Bouldering",
        "Bouldering is a form of free climbing performed on small rock formations.",
        search_rank=3,
    )
    choice = articles.choose_from_search([wall, indoor, other], phrase, "rock climbing indoor")
    assert (
        choice is not None and choice.page.title == "Indoor climbing" and choice.match == "search"
    )
