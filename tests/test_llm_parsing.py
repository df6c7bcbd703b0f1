"""Answer specs, lenient reading, text utilities, backoff and rate limiting (no network)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from kgen.backoff import Backoff, retry_after_seconds
from kgen.llm.answers import KeyedSpec, ListSpec, TripleSpec
from kgen.llm.errors import AnswerInvalid
from kgen.llm.lenient import extract_json, looks_like_refusal
from kgen.llm.ratelimit import RateLimiter
from kgen.text.clip_tokens import count_tokens, truncate_to_tokens
from kgen.text.concepts import concept_key
from kgen.text.normalize import normalize_sentence


def test_list_spec_reads_json_fences_trailing_commas_and_dedupes() -> None:
    spec = ListSpec(3, 5, "object")
    value = spec.parse('Sure!\n```json\n{"items": ["Rope", "harness", "rope", "Helmet",]}\n```')
    assert value.items == ["Rope", "harness", "Helmet"]


def test_list_spec_reads_numbered_lines_and_drops_preamble() -> None:
    spec = ListSpec(2, 4, "object")
    value = spec.parse("Here are the objects:\n1. **rope**\n2. harness.\n3) helmet\nHope this helps")
    assert value.items == ["rope", "harness", "helmet"]


def test_list_spec_too_few_items_says_how_many_are_needed() -> None:
    with pytest.raises(AnswerInvalid, match="5 to 10 keywords"):
        ListSpec(5, 10, "keyword").parse('{"items": ["a", "b"]}')


def test_list_spec_caps_at_max_items() -> None:
    assert ListSpec(1, 2).parse('{"items": ["a", "b", "c"]}').items == ["a", "b"]


def test_broken_json_is_reported_not_read_as_lines() -> None:
    with pytest.raises(AnswerInvalid, match="not valid JSON"):
        ListSpec(2, 5).parse('{"items": ["rope", "harness",, oops')


def test_keyed_spec_matches_keys_loosely_and_reports_missing() -> None:
    spec = KeyedSpec(["environment", "clothing"], key_label="attribute", value_label="sentence")
    value = spec.parse("Environment (the place): A cliff.\n- **clothing**: Climbing gear.")
    assert value.values == {"environment": "A cliff.", "clothing": "Climbing gear."}
    with pytest.raises(AnswerInvalid, match='no usable sentence for 1 of the 2 attributes: "clothing"'):
        spec.parse('{"environment": "A cliff."}')


def test_triple_spec_keeps_entities_from_the_list_only() -> None:
    spec = TripleSpec(["rope", "harness", "hand"], 1, 3)
    value = spec.parse("1. <rope, attached to, harnesses>\n2. <hand, holds, rope>\n3. <moon, lights, rope>")
    assert [(t.subject, t.predicate, t.object) for t in value.triples] == [
        ("rope", "attached to", "harness"),
        ("hand", "holds", "rope"),
    ]
    schema = spec.json_schema()
    assert schema["properties"]["triples"]["items"]["properties"]["subject"]["enum"] == ["rope", "harness", "hand"]


def test_extract_json_repairs_curly_quotes_and_raw_newlines() -> None:
    assert extract_json('{\u201ca\u201d: "line one\nline two"}') == {"a": "line one\nline two"}


def test_refusal_detection() -> None:
    assert looks_like_refusal("I'm sorry, but I can't help with that.")
    assert not looks_like_refusal("1. rope")


def test_truncation_keeps_whole_sentences_within_30_clip_tokens() -> None:
    text = (
        "The climber descends a steep rock face. She controls the rope with her right hand while her feet push "
        "against the wall. A helmet protects her head from falling stones and debris."
    )
    cut, was_cut = truncate_to_tokens(text, 30)
    assert was_cut
    assert cut == "The climber descends a steep rock face. She controls the rope with her right hand while her feet push against the wall."
    assert count_tokens(cut) <= 30
    assert count_tokens(cut + " A helmet protects her head from falling stones and debris.") > 30
    whole, was_cut = truncate_to_tokens("A short sentence.", 30)
    assert (whole, was_cut) == ("A short sentence.", False)


def test_truncation_of_one_long_sentence_ends_with_a_full_stop_within_budget() -> None:
    text = "The athlete " + "runs quickly and jumps high " * 12 + "over the bar"
    cut, was_cut = truncate_to_tokens(text, 30)
    assert was_cut and cut.endswith(".") and count_tokens(cut) <= 30
    assert not cut.rstrip(".").endswith((" and", " the"))


def test_normalize_sentence_spaces_and_punctuation() -> None:
    assert normalize_sentence("  **the  man** holds a rope ,and  climbs!!  ") == "The man holds a rope, and climbs!"
    assert normalize_sentence("- \u201chands grip the bar\u201d") == "Hands grip the bar."


def test_concept_keys_share_nodes() -> None:
    assert concept_key("the Hands") == concept_key("hand") == "hand"
    assert concept_key("glasses") == "glasses"
    assert concept_key("knives") == "knife"


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": format_datetime(now + timedelta(seconds=7), usegmt=True)}, now=now) == 7.0
    assert retry_after_seconds({}) is None


def test_backoff_grows_and_honours_retry_after() -> None:
    import random

    backoff = Backoff(base_s=1.0, max_s=8.0, rng=random.Random(0))
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 8.0)]:
        delay = backoff.delay(attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert 5.0 <= backoff.delay(0, retry_after_s=5.0) <= 5.5


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(120, clock=lambda: now[0], sleep=fake_sleep)

    async def main() -> None:
        for _ in range(4):
            await limiter.acquire()

    asyncio.run(main())
    assert waits == pytest.approx([0.5, 0.5, 0.5])


def _strings_and_arrays(node, found):
    if isinstance(node, dict):
        if node.get("type") in ("string", "array"):
            found.append(node)
        for value in node.values():
            _strings_and_arrays(value, found)
    return found


@pytest.mark.parametrize(
    "spec",
    [
        ListSpec(5, 10, "object", max_words=4),
        ListSpec(1, 1, "sentence", max_chars=300),
        KeyedSpec(["environment", "clothing"], max_chars=160),
        KeyedSpec(["1", "2"], max_words=6),
        TripleSpec(["rope", "harness", "hand"], 1, 3),
    ],
)
def test_every_list_and_free_string_of_a_schema_is_bounded(spec) -> None:
    for node in _strings_and_arrays(spec.json_schema(), []):
        if node["type"] == "array":
            assert node["minItems"] >= 1 and node["maxItems"] >= node["minItems"]
        elif "enum" not in node:
            assert node.get("maxLength") or node.get("pattern"), node


def test_phrase_patterns_bound_the_words() -> None:
    import re

    pattern = ListSpec(5, 10, "object", max_words=4).json_schema()["properties"]["items"]["items"]["pattern"]
    assert re.fullmatch(pattern, "climbing rope") and re.fullmatch(pattern, "t-shirt of the climber")
    assert not re.fullmatch(pattern, "a rope that is very long") and not re.fullmatch(pattern, "}] .filter(")
    assert not re.fullmatch(pattern, "topfivevaluableobjectsfromactionlist")  # words of at most 24 letters


def test_counting_clip_tokens_does_not_import_torch() -> None:
    """torch costs 0.7 GB of memory: kgen build-* with the embedded model must stay under 1 GB."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; from kgen.text.clip_tokens import count_tokens; n = count_tokens('a video of brush hair.'); "
        "assert 'torch' not in sys.modules; import torch; assert torch.zeros(1).shape == (1,); print(n)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6"  # a, video, of, brush, hair, .
