"""``kgen crawl`` and ``kgen cache`` end to end, against local Wikipedia and Wiktionary servers."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crawl_content import CrawlEnvironment, crawl_environment
from mediawiki_server import Fault

from kgen.crawl.descriptions import DescriptionsFile
from kgen.datasets import resolve_dataset
from kgen.knowledge.base import load_knowledge

ROOT = Path(__file__).resolve().parent.parent


def load_result(workspace: Path) -> DescriptionsFile:
    loaded = load_knowledge("testset", "descriptions")
    assert isinstance(loaded, DescriptionsFile)
    assert (workspace / "knowledge" / "testset" / "descriptions.json").is_file()
    return loaded


def flat(text: str) -> str:
    """Terminal output with rich's line wrapping undone."""
    return " ".join(text.split())


def by_name(result: DescriptionsFile) -> dict:
    return {c.class_name: c for c in result.classes}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_crawl_writes_refined_descriptions_with_provenance(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        result = run_cli(*env.cli_args())
        assert result.exit_code == 0, result.stderr
        made = env.requests
    assert "refined descriptions: 8/8" in result.stdout
    raw = json.loads((isolated_workspace / "knowledge" / "testset" / "descriptions.json").read_text(encoding="utf-8"))
    assert list(raw) == ["format", "format_version", "dataset", "class_list", "provenance", "classes"]
    assert raw["format"] == "kgen.descriptions" and raw["format_version"] == 2
    described = load_result(isolated_workspace)
    assert described.dataset == "testset" and described.provenance.sources == [
        "wikipedia",
        "wiktionary",
        "wordnet",
    ]
    assert described.provenance.parameters["wikipedia_api"] == env.wikipedia_url
    classes = by_name(described)

    fencing = classes["fencing"]
    assert fencing.refined == "Fencing is a combat sport that features sword fighting."
    assert fencing.refined_rule == "wikipedia" and fencing.problems == []
    article = next(t for t in fencing.texts if t.source == "wikipedia")
    assert (
        article.used
        and article.title == "Fencing"
        and article.url == "https://en.wikipedia.org/wiki/Fencing"
    )
    assert article.revision_id == env.wikipedia.pages["Fencing"].revid and article.retrieved_at
    assert {t.source for t in fencing.texts} == {"wikipedia", "wiktionary", "wordnet"}

    flic = classes["flic flac"]
    assert flic.refined.startswith(
        "A back handspring (also called a flic-flac) is a gymnastics move"
    )
    assert (
        next(t for t in flic.texts if t.source == "wikipedia").note
        == "redirected from Flic flac (section Technique)"
    )

    diving = classes["diving"]
    assert diving.refined.startswith("Diving is the sport of jumping or falling into water")
    assert (
        next(t for t in diving.texts if t.source == "wikipedia").note
        == "chosen from disambiguation page Diving"
    )

    assert classes["smoke"].refined.startswith("Smoking is the practice of burning")
    rock = classes["rock climbing indoor"]
    assert (
        next(t for t in rock.texts if t.source == "wikipedia").note
        == "search result #1 for 'rock climbing indoor'"
    )

    brush = classes["brush hair"]
    assert brush.refined_rule == "dictionary-words"
    assert brush.refined.startswith(
        "rub with a brush, or as if with a brush. a covering for the body"
    )
    used = [t for t in brush.texts if t.used]
    assert [(t.source, t.sense) for t in used] == [
        ("wordnet", "brush.v.01"),
        ("wordnet", "hair.n.01"),
    ]
    wiktionary = [t for t in brush.texts if t.source == "wiktionary"]
    assert wiktionary and all(t.url and t.revision_id for t in wiktionary)
    assert any("no article about this action" in p for p in brush.problems)

    petanque = classes["pétanque"]  # non-ASCII, its pronunciation stripped
    assert (
        petanque.refined
        == "Pétanque is a sport that falls into the category of boules sports, along with raffa and bocce."
    )

    stairs = classes["climb stairs"]
    assert (
        stairs.refined
        == "go upward with gradual or continuous progress. a way of access consisting of a set of steps."
    )

    # the bank builder's contract: "{name}: {refined}" for every class, in label order
    dataset = resolve_dataset(None, env.classes_file, "testset")
    texts = described.bank_texts(dataset)
    assert [t.class_name for t in texts] == [c.name for c in dataset.classes]
    assert texts[0].texts == ["fencing: Fencing is a combat sport that features sword fighting."]
    assert (
        made == 7
    )  # 1 title batch + 1 links + 1 senses + 3 searches; 1 Wiktionary batch (form-of lemmas were in it)


def test_a_rerun_makes_no_request_and_gives_the_same_descriptions(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        assert run_cli(*env.cli_args()).exit_code == 0
        first = load_result(isolated_workspace)
        made = env.requests
        result = run_cli(*env.cli_args("--json"))
        assert result.exit_code == 0
        assert env.requests == made
    summary = json.loads(result.stdout)
    assert summary["http_requests"] == 0 and summary["sources"]["wikipedia"]["fetched"] == 0
    assert summary["sources"]["wikipedia"]["cached"] > 0
    second = load_result(isolated_workspace)
    assert [(c.refined, c.refined_rule, c.problems) for c in second.classes] == [
        (c.refined, c.refined_rule, c.problems) for c in first.classes
    ]


def test_refresh_asks_again(tmp_path: Path, run_cli) -> None:
    with crawl_environment(tmp_path, classes=["fencing"]) as env:
        assert run_cli(*env.cli_args()).exit_code == 0
        made = env.requests
        assert run_cli(*env.cli_args("--refresh")).exit_code == 0
        assert env.requests == 2 * made


def test_offline_uses_wordnet_only_and_never_the_network(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        result = run_cli(*env.cli_args("--offline"))
        assert env.requests == 0
    assert result.exit_code == 0, result.stderr
    described = load_result(isolated_workspace)
    assert described.provenance.offline and described.provenance.sources == ["wordnet"]
    classes = by_name(described)
    # the sport (as the verb "fight with fencing swords" or the noun of act), never the barrier
    assert "swords" in classes["fencing"].refined and "barrier" not in classes["fencing"].refined
    assert classes["brush hair"].refined.startswith("rub with a brush")
    assert classes["flic flac"].refined == "" and classes["flic flac"].refined_rule is None
    assert (
        "no source defines this class: refined description left empty"
        in classes["flic flac"].problems
    )
    assert "3 class(es) have no refined description: flic flac, smoke, pétanque" in flat(
        result.stderr
    )


def test_a_closed_network_is_reported_once_and_wordnet_takes_over(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        port = closed_port()
        env.wikipedia_url = env.wiktionary_url = f"http://127.0.0.1:{port}/w/api.php"
        result = run_cli(*env.cli_args())
    assert result.exit_code == 0, result.stderr
    assert flat(result.stderr).count("the network is closed") == 1
    assert "pass --offline" in flat(result.stderr)
    described = load_result(isolated_workspace)
    classes = by_name(described)
    # the sport (as the verb "fight with fencing swords" or the noun of act), never the barrier
    assert "swords" in classes["fencing"].refined and "barrier" not in classes["fencing"].refined
    assert "wikipedia: not reached (network closed)" in classes["fencing"].problems
    assert described.provenance.parameters["network"].startswith("closed")
    assert "not reached" not in result.stdout  # said once on stderr, not once per class


def test_cached_answers_are_used_when_the_network_closes(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        assert run_cli(*env.cli_args()).exit_code == 0
        online = by_name(load_result(isolated_workspace))
    # the servers are gone: their ports refuse connections now
    result = run_cli(*env.cli_args())
    assert result.exit_code == 0
    assert "network is closed" not in result.stderr  # every answer was cached: no request, no probe
    assert by_name(load_result(isolated_workspace))["fencing"].refined == online["fencing"].refined


def test_without_wordnet_offline_says_what_is_missing(tmp_path: Path, run_cli) -> None:
    with crawl_environment(tmp_path) as env:
        env.wordnet_dir = tmp_path / "no-wordnet"
        result = run_cli(*env.cli_args("--offline"))
    assert result.exit_code == 4
    assert "WordNet is not installed" in flat(
        result.stderr
    ) and "apt-get install wordnet-base" in flat(result.stderr)


def test_without_wordnet_online_warns_and_crawls_the_web(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path) as env:
        env.wordnet_dir = tmp_path / "no-wordnet"
        result = run_cli(*env.cli_args())
    assert result.exit_code == 0, result.stderr
    assert "crawling without WordNet" in flat(result.stderr)
    classes = by_name(load_result(isolated_workspace))
    assert classes["brush hair"].refined == (
        "To apply a brush to; to clean or groom with a brush. A pigmented filament growing from the skin of a mammal."
    )
    assert classes["fencing"].refined_rule == "wikipedia"


def test_a_wiktionary_phrase_entry_defines_the_whole_name(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    with crawl_environment(tmp_path, classes=["flic flac"]) as env:
        result = run_cli(*env.cli_args("--sources", "wiktionary,wordnet"))
        assert env.wikipedia.request_count == 0
    assert result.exit_code == 0, result.stderr
    flic = by_name(load_result(isolated_workspace))["flic flac"]
    assert flic.refined == "A back handspring." and flic.refined_rule == "dictionary-phrase"
    assert flic.texts[0].title == "flic-flac" and flic.texts[0].note == "labels: gymnastics"


def test_faults_during_a_crawl_are_retried_and_never_cached(tmp_path: Path, run_cli) -> None:
    with crawl_environment(tmp_path, classes=["fencing", "brush hair"]) as env:
        env.wikipedia.add_fault(Fault("429", times=1, retry_after="1"))
        env.wiktionary.add_fault(Fault("malformed", times=100))
        result = run_cli(*env.cli_args("--json", "--retries", "1"))
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["http_retries"] >= 2
        assert summary["sources"]["wiktionary"]["failed"] > 0
        assert any(
            "wiktionary: no answer for 'brush'" in p for p in summary["problems"]["brush hair"]
        )
        info = json.loads(run_cli("cache", "info", "--json").stdout)
        assert "wiktionary" not in info["namespaces"] and info["namespaces"]["wikipedia"] > 0
        env.wiktionary.faults.clear()
        before = env.wiktionary.request_count
        assert run_cli(*env.cli_args()).exit_code == 0
        assert env.wiktionary.request_count > before  # the failed lookups are asked again


def test_odd_class_names_never_break_a_batch_or_the_cache(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    odd = [
        "fencing",
        "pipe|split {template} [link] #anchor",
        "🤸 cartwheel 🤸",
        "x" * 300,
        "Ωμέγα δρόμος",
        "???",
    ]
    with crawl_environment(tmp_path, classes=odd) as env:
        result = run_cli(*env.cli_args())
        assert result.exit_code == 0, result.stderr
        made = env.requests
        assert all(len(r.get("titles", "").split("|")) <= 50 for r in env.wikipedia.requests)
        assert run_cli(*env.cli_args()).exit_code == 0
        assert env.requests == made  # every odd answer was cached under its own key
    classes = by_name(load_result(isolated_workspace))
    assert classes["fencing"].refined.startswith("Fencing is a combat sport")
    assert set(classes) == set(odd)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--sources", "wikipedia,books"], 2, "unknown source(s) in --sources: books"),
        (["--offline", "--sources", "wikipedia"], 2, "--offline leaves no source"),
        (["--concurrency", "50"], 2, "--concurrency"),
    ],
)
def test_bad_options_are_refused(
    tmp_path: Path, run_cli, args: list[str], code: int, message: str
) -> None:
    with crawl_environment(tmp_path, classes=["fencing"]) as env:
        result = run_cli(*env.cli_args(*args))
        assert env.requests == 0
    assert result.exit_code == code
    assert message in flat(result.stderr)


def test_unknown_dataset_and_help(run_cli) -> None:
    result = run_cli("crawl", "--dataset", "nope")
    assert result.exit_code == 2 and "hmdb51" in result.stderr
    help_text = run_cli("crawl", "--help").stdout
    assert "Example: kgen crawl --dataset hmdb51" in help_text
    assert "Example: kgen cache info" in run_cli("cache", "--help").stdout


def test_cache_info_and_clear(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with crawl_environment(tmp_path, classes=["fencing"]) as env:
        assert run_cli(*env.cli_args()).exit_code == 0
    counts = json.loads(run_cli("cache", "info", "--json").stdout)["namespaces"]
    assert set(counts) == {"wikipedia", "wiktionary"}
    table = run_cli("cache", "info").stdout
    assert "wikipedia" in table and str(counts["wikipedia"]) in table
    refused = run_cli("cache", "clear", "--namespace", "wikipedai", "--yes")
    assert refused.exit_code == 2 and "namespaces in the cache: wikipedia, wiktionary" in flat(
        refused.stderr
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    aborted = run_cli("cache", "clear")  # asked, answered no: nothing is deleted
    assert aborted.exit_code != 0
    assert json.loads(run_cli("cache", "info", "--json").stdout)["namespaces"] == counts
    cleared = run_cli("cache", "clear", "--namespace", "wiktionary", "--yes")
    assert cleared.exit_code == 0 and f"removed {counts['wiktionary']}" in flat(cleared.stderr)
    assert json.loads(run_cli("cache", "info", "--json").stdout)["namespaces"] == {
        "wikipedia": counts["wikipedia"]
    }
    assert run_cli("cache", "clear", "--yes").exit_code == 0
    assert json.loads(run_cli("cache", "info", "--json").stdout)["namespaces"] == {}


def _run_to_completion_elsewhere(env: CrawlEnvironment, tmp_path: Path) -> tuple[int, dict]:
    """Requests and refined descriptions of a clean crawl (own cache and workspace)."""
    environ = {
        **os.environ,
        "KGEN_CACHE_DIR": str(tmp_path / "clean-cache"),
        "KGEN_ROOT": str(tmp_path / "clean-ws"),
    }
    (tmp_path / "clean-ws").mkdir()
    before = env.requests
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            *env.cli_args("--concurrency", "1", "--titles-per-request", "1"),
        ],
        cwd=ROOT,
        env={**environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )
    described = DescriptionsFile.load(
        tmp_path / "clean-ws" / "knowledge" / "testset" / "descriptions.json"
    )
    return env.requests - before, {c.class_name: c.refined for c in described.classes}


@pytest.mark.slow
def test_a_killed_crawl_resumes_where_it_stopped(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    classes = ["fencing", "diving", "brush hair", "climb stairs", "flic flac"]
    with crawl_environment(tmp_path, classes=classes, latency_s=0.05) as env:
        clean_requests, clean_refined = _run_to_completion_elsewhere(env, tmp_path)
        start = env.requests
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                *env.cli_args("--concurrency", "1", "--titles-per-request", "1"),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while (
            env.requests - start < clean_requests // 2
            and time.monotonic() < deadline
            and process.poll() is None
        ):
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        before_kill = env.requests - start
        assert 0 < before_kill < clean_requests  # killed mid-way
        assert not (isolated_workspace / "knowledge" / "testset" / "descriptions.json").exists()

        result = run_cli(*env.cli_args("--concurrency", "1", "--titles-per-request", "1"))
        assert result.exit_code == 0, result.stderr
        resumed = env.requests - start - before_kill
    # every answer the killed run received and stored is not asked again (at most the one in flight is)
    assert resumed <= clean_requests - before_kill + 1
    assert resumed < clean_requests
    described = load_result(isolated_workspace)
    assert {c.class_name: c.refined for c in described.classes} == clean_refined


def test_wiktionary_and_the_chunks_wordnet_splits_off_or_leaves_out(
    tmp_path: Path, isolated_workspace: Path, run_cli
) -> None:
    """Debian's WordNet lacks "dodgeball" (split into dodge + ball, ``phrase.split_compound``):
    Wiktionary's entry for the whole word defines it before the two chunks do. The "salsa" of "salsa
    dancing", left out by the sense choice, is not defined from Wiktionary's sauce either."""
    system = Path("/usr/share/wordnet")
    if not (system / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    with crawl_environment(tmp_path, classes=["dodgeball", "salsa dancing"]) as env:
        env.wiktionary.add_page(
            "dodgeball",
            wikitext="==English==\n===Noun===\n{{en-noun|-}}\n\n# A [[game]] in which players [[throw]] "
            "[[ball]]s at each other.\n",
        )
        env.wiktionary.add_page(
            "salsa", wikitext="==English==\n===Noun===\n{{en-noun}}\n\n# A spicy [[tomato]] [[sauce]].\n"
        )
        args = env.cli_args("--sources", "wiktionary,wordnet")
        args[args.index(str(env.wordnet_dir))] = str(system)
        result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    dodgeball = by_name(load_result(isolated_workspace))["dodgeball"]
    assert dodgeball.refined == "A game in which players throw balls at each other."
    assert dodgeball.refined_rule == "dictionary-phrase"
    # a chunk the sense choice left out is not defined from Wiktionary either
    salsa = by_name(load_result(isolated_workspace))["salsa dancing"]
    assert "sauce" not in salsa.refined and salsa.refined
