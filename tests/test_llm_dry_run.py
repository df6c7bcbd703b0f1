"""``--dry-run``: calls, tokens and cost of a build, with nothing sent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from batch_server import BatchServer
from test_knowledge_builds import write_descriptions

from kgen.llm.answers import KeyedSpec, ListSpec, TripleSpec
from kgen.llm.estimate import completion_tokens, prompt_tokens, text_tokens, typical_answer
from kgen.llm.prices import Prices
from kgen.llm.types import SamplingParams
from kgen.text.clip_tokens import _tokenizer, count_tokens

CLASSES = ["abseiling", "brush hair", "ride bike"]


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.txt"
    path.write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    return path


def rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows: kind -> its cells."""
    out = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in ("prompts", "askg", "attributes", "action-descriptions", "total"):
            out[cells[0]] = cells[1:]
    return out


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


@pytest.mark.parametrize(
    ("command", "kind", "calls"),
    [("build-prompts", "prompts", 9), ("build-askg", "askg", 21), ("build-attributes", "attributes", 3),
     ("build-descriptions", "action-descriptions", 3)],
)
def test_every_build_command_has_a_dry_run_that_sends_nothing(run_cli, mini, command, kind, calls) -> None:
    write_descriptions("mini", mini)
    with BatchServer() as server:
        result = run_cli(command, "--classes", str(mini), "--base-url", server.base_url, "--model", "gpt-4o-mini", "--dry-run")
        assert result.exit_code == 0, result.stderr
        assert server.everything == 0
    table = rows(result.stdout)
    assert number(table[kind][0]) == calls
    assert "nothing was sent" in result.stdout and "Estimated cost with gpt-4o-mini" in result.stdout


def test_dry_run_counts_what_a_real_run_sends(run_cli, mini) -> None:
    """The calls and the prompt tokens of every call whose prompt is known are those of the real
    requests; ASKG's dependent calls are counted from the specs and marked estimated."""
    write_descriptions("mini", mini)
    with BatchServer() as server:
        llm = ["--classes", str(mini), "--base-url", server.base_url, "--model", "fake-model"]
        dry = run_cli("build-all", *llm, "--dry-run")
        assert dry.exit_code == 0, dry.stderr
        assert server.everything == 0
        table = rows(dry.stdout)
        assert [number(table[k][0]) for k in ("prompts", "askg", "attributes", "action-descriptions", "total")] == [9, 21, 3, 3, 36]
        assert number(table["askg"][1]) == 15 and number(table["prompts"][1]) == 0  # estimated calls
        assert "15 of 21 calls depend on earlier answers" in " ".join(dry.stdout.split())
        assert "No price for model 'fake-model'" in " ".join(dry.stdout.split())

        real = run_cli("build-descriptions", *llm)
        assert real.exit_code == 0 and server.count == 3
        sent = sum(prompt_tokens(request) for request in server.requests)
        assert number(table["action-descriptions"][3]) == sent  # prompt tokens: the real bodies, counted alike
        assert number(table["action-descriptions"][4]) >= 3  # completion tokens

        again = run_cli("build-all", *llm, "--dry-run")
        assert server.count == 3
    after = rows(again.stdout)
    assert number(after["action-descriptions"][0]) == 0 and number(after["action-descriptions"][2]) == 3  # cached


def test_prices_from_the_workspace_and_prices_file_and_snapshot_names(run_cli, mini, isolated_workspace, tmp_path) -> None:
    args = ["build-descriptions", "--classes", str(mini), "--base-url", "http://127.0.0.1:9/v1", "--dry-run"]
    snapshot = run_cli(*args, "--model", "gpt-4o-mini-2024-07-18")
    assert snapshot.exit_code == 0 and "Prices for gpt-4o-mini:" in " ".join(snapshot.stdout.split())

    table = {"format": "kgen.llm-prices", "format_version": 1, "prices": [
        {"model": "my-model", "input": 1000.0, "output": 0.0, "date": "2026-01-01", "source": "our contract"}]}
    (isolated_workspace / "prices.json").write_text(json.dumps(table))
    ours = run_cli(*args, "--model", "my-model")
    text = " ".join(ours.stdout.split())
    tokens = number(rows(ours.stdout)["total"][3])
    assert f"direct calls ${tokens * 1000 / 1e6:,.2f} typical" in text and "our contract" in text
    assert "Batch API" not in text.split("Estimated cost")[1].split(".")[0]  # no batch price given

    table["prices"][0]["input"] = 2000.0
    (tmp_path / "p.json").write_text(json.dumps(table))
    given = run_cli(*args, "--model", "my-model", "--prices", str(tmp_path / "p.json"))
    assert f"${tokens * 2000 / 1e6:,.2f} typical" in " ".join(given.stdout.split())

    broken = run_cli(*args, "--model", "my-model", "--prices", str(tmp_path / "missing.json"))
    assert broken.exit_code == 3 and "does not exist" in broken.stderr


def test_shipped_price_table_has_date_and_source_for_every_model(isolated_workspace) -> None:
    prices = Prices()
    assert {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-5-mini"} <= set(prices.entries)
    for model, (price, _) in prices.entries.items():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price.date) and price.source.startswith("https://"), model
        assert price.batch_input == pytest.approx(price.input / 2) and price.batch_output == pytest.approx(price.output / 2)
    assert prices.lookup("gpt-4o-2024-05-13")[0].input == 5.0  # a snapshot with its own price
    assert prices.lookup("gpt-4o-2024-08-06")[0].input == 2.5
    assert prices.lookup("llama-3-8b") is None


def test_embedded_dry_run_loads_no_model_and_has_no_price(run_cli, mini) -> None:
    result = run_cli("build-descriptions", "--classes", str(mini), "--backend", "embedded", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "backend embedded" in result.stdout and "no price per token" in result.stdout
    assert number(rows(result.stdout)["total"][0]) == 3


@pytest.mark.parametrize(
    "spec",
    [ListSpec(5, 10, "object", max_words=4), ListSpec(1, 1, "sentence", max_chars=300), ListSpec(3, 3, "attribute", max_words=4),
     KeyedSpec(["scene", "actor", "body"], max_chars=160), KeyedSpec(["1", "2", "3"], max_words=6),
     TripleSpec(["rope", "harness", "helmet", "glove", "cliff"], 2, 5)],
)
def test_stand_in_answers_are_valid_and_within_the_bounds(spec) -> None:
    answer = typical_answer(spec)
    spec.check(answer)  # raises when invalid
    typical, most = completion_tokens(spec, SamplingParams(max_tokens=4096))
    assert 0 < typical <= most
    assert completion_tokens(spec, SamplingParams(max_tokens=5)) == (5, 5)


def test_fast_token_count_equals_open_clips_encoder() -> None:
    samples = [
        "Hello, world!", "It's a dog's life; isn't it?", 'JSON: {"items": ["rope", "harness"], "n": [1, 2.5]}',
        "  many   spaces\tand\nlines  ", "abc123def 4.5% <start_of_text>", "a & b &amp; c", "café au lait",
        "UPPER lower MiXeD", "~!@#$%^*()_+{}|:\"<>?`-=[]\\;',./", "x" * 80, "",
        json.dumps(KeyedSpec(["clothing", "body part"], max_chars=160).json_schema()),
    ]
    for text in samples:
        assert count_tokens(text) == len(_tokenizer().encode(text)), text
        assert text_tokens(text) == sum(len(_tokenizer().encode(line)) for line in text.split("\n")), text


def test_dry_run_of_proposed_attributes_counts_the_dependent_class_calls(run_cli, mini) -> None:
    result = run_cli("build-prompts", "--classes", str(mini), "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                     "--propose-attributes", "--dry-run")
    assert result.exit_code == 0, result.stderr
    prompts = rows(result.stdout)["prompts"]
    assert number(prompts[0]) == 3 + 9 and number(prompts[1]) == 9  # the class calls hold stand-in attributes
