"""Benchmark of ``kgen crawl``: batched requests against a one-title-per-request baseline.

400 synthetic classes are crawled from a local MediaWiki (tests/mediawiki_server.py: Wikipedia and
Wiktionary, real formatversion=2 answers) that adds 50 ms to every answer. The same crawler code
runs twice from an empty cache, once asking for 50 titles per request (what the API allows) and
once for 1 (the baseline), then once more on the warm cache of the batched run. It prints HTTP
requests and wall time of each, and their ratios. This is a benchmark, not a test: nothing is
asserted.

    PYTHONPATH=. /work/main/.venv/bin/python bench/crawl.py [--classes 400] [--latency-ms 50] [--concurrency 2]

The synthetic wiki: a quarter of the classes have an article at their exact title, a quarter at the
gerund title ("Kicking ball"), 15% a redirect, 10% a disambiguation page whose "(sport)" sense is the
article, the rest nothing (a search finds an article for half of those). Wiktionary has every verb
and noun, and the -ing forms as "present participle of" entries. WordNet is left out so that the
figures do not depend on the machine's dictionary files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mediawiki_server import FakeWiki, MediaWikiServer  # noqa: E402

from kgen.cache import ResponseCache  # noqa: E402
from kgen.crawl.crawler import CrawlSettings, crawl  # noqa: E402
from kgen.crawl.phrase import gerund  # noqa: E402
from kgen.datasets import Dataset, load_user_list  # noqa: E402

VERBS = """kick throw catch push pull lift carry swing climb jump ride roll spin toss hit punch drag lower
raise shake""".split()
NOUNS = """ball rope bar box wheel stone bag pole ring board hoop disc stick bottle chair drum kite net
sled block""".split()


def synthetic_names(count: int) -> list[str]:
    names = [f"{verb} {noun}" for noun in NOUNS for verb in VERBS]
    if count > len(names):
        names += [
            f"{verb} {noun} {i}"
            for i in range(count)
            for verb, noun in [(VERBS[i % 20], NOUNS[(i // 20) % 20])]
        ]
    return names[:count]


def build_wikis(names: list[str], latency_s: float) -> tuple[FakeWiki, FakeWiki]:
    wikipedia = FakeWiki(capitalize=True, latency_s=latency_s)
    for i, name in enumerate(names):
        verb, rest = name.split(" ", 1)
        title = name[0].upper() + name[1:]
        activity = f"{gerund(verb).capitalize()} {rest}"
        text = f"{activity} is a sport in which players {verb} a {rest} as far as possible. It is played outdoors."
        slot = i % 20
        if slot < 5:
            wikipedia.add_page(title, text)
        elif slot < 10:
            wikipedia.add_page(activity, text)
        elif slot < 13:
            wikipedia.add_page(f"{activity} (game)", text)
            wikipedia.add_redirect(title, f"{activity} (game)")
        elif slot < 15:
            wikipedia.add_page(f"{title} (sport)", text)
            wikipedia.add_page(f"{title} (film)", f"{title} is a 2011 film.")
            wikipedia.add_page(
                title,
                f"{title} may refer to:",
                disambiguation=True,
                links=[f"{title} (sport)", f"{title} (film)"],
            )
        elif slot < 18:
            wikipedia.add_page(
                f"{rest.capitalize()} {verb}ing contest {i}",
                f"A {rest} {verb}ing contest is a competition.",
            )
        # slots 18-19: nothing at all
    wiktionary = FakeWiki(capitalize=False, site="https://en.wiktionary.org", latency_s=latency_s)
    for verb in VERBS:
        wiktionary.add_page(
            verb,
            wikitext=f"==English==\n===Verb===\n{{{{en-verb}}}}\n\n# To {verb} something with force.\n",
        )
        wiktionary.add_page(
            gerund(verb),
            wikitext=f"==English==\n===Verb===\n# {{{{present participle of|en|{verb}}}}}\n",
        )
    for noun in NOUNS:
        wiktionary.add_page(
            noun,
            wikitext=f"==English==\n===Noun===\n{{{{en-noun}}}}\n\n# A {noun} used in games.\n",
        )
    return wikipedia, wiktionary


def run(
    dataset: Dataset,
    wikis: tuple[FakeWiki, FakeWiki],
    urls: tuple[str, str],
    batch_size: int,
    concurrency: int,
    cache_dir: Path,
) -> tuple[int, float, int]:
    """(HTTP requests, wall seconds, classes described) of one crawl."""
    before = sum(wiki.request_count for wiki in wikis)
    with ResponseCache(cache_dir) as cache:
        settings = CrawlSettings(
            sources=("wikipedia", "wiktionary"),
            batch_size=batch_size,
            concurrency=concurrency,
            wikipedia_api=urls[0],
            wiktionary_api=urls[1],
            show_progress=False,
        )
        started = time.perf_counter()
        outcome = crawl(dataset, settings, cache)
        elapsed = time.perf_counter() - started
    requests = sum(wiki.request_count for wiki in wikis) - before
    assert requests == outcome.http.requests
    return requests, elapsed, sum(1 for c in outcome.file.classes if c.refined)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    names = synthetic_names(args.classes)
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        classes = tmp_path / "classes.txt"
        classes.write_text("\n".join(names) + "\n", encoding="utf-8")
        dataset = load_user_list(classes, "bench")
        results = {}
        for label, batch_size in (("batched", 50), ("baseline", 1)):
            wikis = build_wikis(names, latency)
            with MediaWikiServer(wikis[0]) as wp, MediaWikiServer(wikis[1]) as wk:
                cache = tmp_path / f"{label}-cache"
                results[label] = run(
                    dataset, wikis, (wp.url, wk.url), batch_size, args.concurrency, cache
                )
                if label == "batched":  # the same servers and cache again: the warm-cache rerun
                    results["warm"] = run(
                        dataset, wikis, (wp.url, wk.url), batch_size, args.concurrency, cache
                    )
        batched, baseline, warm = results["batched"], results["baseline"], results["warm"]
    print(
        f"kgen crawl: {args.classes} classes, local Wikipedia + Wiktionary with {args.latency_ms:g} ms latency, "
        f"concurrency {args.concurrency}"
    )
    print(f"{'':34}{'requests':>10}{'wall s':>10}{'described':>11}")
    for label, (requests, seconds, described) in [
        ("batched (50 titles per request)", batched),
        ("baseline (1 title per request)", baseline),
        ("warm-cache rerun (batched)", warm),
    ]:
        print(f"{label:34}{requests:>10}{seconds:>10.2f}{described:>11}")
    print(
        f"{'baseline / batched':34}{baseline[0] / batched[0]:>9.1f}x{baseline[1] / batched[1]:>9.1f}x"
    )
    print(f"{'batched / warm rerun (time)':34}{'':>10}{batched[1] / warm[1]:>9.1f}x")


if __name__ == "__main__":
    main()
