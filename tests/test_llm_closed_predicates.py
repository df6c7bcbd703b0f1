"""ASKG's relation questions fall back on a closed predicate vocabulary (an enum in the JSON schema)
when free predicates fail twice: the vocabulary file, the schemas, the client's fallback path
against a real local HTTP server, and the cache keys. WordNet is the test's own (real file format)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
from openai_server import FakeOpenAIServer, Reply
from wordnet_fixture import small_wordnet

from kgen.backoff import Backoff
from kgen.cache import ResponseCache
from kgen.generate.askg import closed_predicates
from kgen.generate.relation_vocabulary import RELATION_KINDS, relation_vocabulary
from kgen.llm.answers import AnswerIncomplete, KeyedSpec, TripleSpec
from kgen.llm.client import Fallback, LLMClient, LLMRequest
from kgen.llm.errors import AnswerInvalid
from kgen.llm.openai_backend import OpenAIBackend
from kgen.llm.types import Message, SamplingParams
from kgen.text.lexicon import english_lexicon

ENTITIES = ["horse", "floor", "brush"]


@pytest.fixture
def wordnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = small_wordnet(tmp_path / "wordnet")
    monkeypatch.setenv("KGEN_WORDNET_DIR", str(folder))
    return folder


def test_the_vocabulary_holds_the_papers_example_predicates_per_kind() -> None:
    vocabulary = relation_vocabulary()
    # STDD's one-shot "drinking beer" graph: object-object, action-object, action-action
    assert {"poured into", "held by", "placed on", "in"} <= set(vocabulary.object_object)
    assert {"uses", "involves", "requires", "needs", "utilizes"} <= set(vocabulary.action_object)
    assert {"precedes", "before", "then"} <= set(vocabulary.action_action)
    for kind in RELATION_KINDS:
        words = vocabulary.for_kind(kind)
        assert len(words) == len(set(words)) >= 10
    with pytest.raises(ValueError, match="unknown relation kind"):
        vocabulary.for_kind("object-object")


def test_every_vocabulary_predicate_is_english_in_the_systems_wordnet() -> None:
    lexicon = english_lexicon()
    if lexicon is None:
        pytest.skip("WordNet is not installed (Debian's wordnet-base)")
    vocabulary = relation_vocabulary()
    unknown = {p: lexicon.unknown_words(p) for kind in RELATION_KINDS for p in vocabulary.for_kind(kind)}
    assert not {p: u for p, u in unknown.items() if u}


def test_the_fallback_schema_is_an_enum_of_the_kinds_predicates() -> None:
    vocabulary = relation_vocabulary()
    free = TripleSpec(ENTITIES, min_items=1, max_items=3)
    fallback = closed_predicates(free, "object_object")
    triple = fallback.spec.json_schema()["properties"]["triples"]["items"]
    assert triple["properties"]["predicate"] == {"type": "string", "enum": list(vocabulary.object_object)}
    assert triple["properties"]["subject"]["enum"] == ENTITIES and triple["required"] == ["subject", "predicate", "object"]
    assert "pattern" in free.json_schema()["properties"]["triples"]["items"]["properties"]["predicate"]
    assert fallback.note.startswith("Choose each predicate from this list: on, in, ")

    keyed = KeyedSpec(["1", "2"], key_label="pair", value_label="predicate", max_words=6)
    closed = closed_predicates(keyed, "action_action").spec
    schema = closed.json_schema()
    assert schema["required"] == ["1", "2"] and schema["additionalProperties"] is False
    assert all(schema["properties"][k] == {"type": "string", "enum": list(vocabulary.action_action)} for k in ("1", "2"))
    assert closed.fingerprint() != keyed.fingerprint() and fallback.spec.fingerprint() != free.fingerprint()


def test_closed_answers_are_read_as_the_listed_predicate_and_nothing_else(wordnet: Path) -> None:
    spec = closed_predicates(TripleSpec(ENTITIES, min_items=2, max_items=3), "object_object").spec
    value = spec.parse('{"triples": [{"subject": "horse", "predicate": "Next  To", "object": "floor"},'
                       ' {"subject": "brush", "predicate": "on", "object": "horse"}]}')
    assert [t.predicate for t in value.triples] == ["next to", "on"]
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"triples": [{"subject": "horse", "predicate": "on", "object": "floor"},'
                   ' {"subject": "brush", "predicate": "runs on", "object": "horse"}]}')
    assert 'the predicate "runs on" is not one of the allowed predicates (on, in, ' in str(caught.value)
    assert caught.value.rest.predicate_choices == spec.predicate_choices  # a top-up stays closed

    keyed = closed_predicates(
        KeyedSpec(["horse", "floor"], key_label="object", value_label="predicate", max_words=6, values_not_keys=True), "action_object"
    ).spec
    with pytest.raises(AnswerIncomplete) as caught:
        keyed.parse('{"horse": "jsc", "floor": "uses"}')
    assert caught.value.kept == {"floor": "uses"} and caught.value.rest.choices == keyed.choices
    assert keyed.parse('{"horse": "Holds", "floor": "uses"}').values == {"horse": "holds", "floor": "uses"}


def _request(fallback: Fallback | None) -> LLMRequest:
    return LLMRequest(
        purpose="askg.object_relations [ride horse]",
        messages=(Message(role="system", content="You build graphs."), Message(role="user", content="Relations between horse, floor, brush?")),
        spec=TripleSpec(ENTITIES, min_items=1, max_items=3),
        sampling=SamplingParams(temperature=0.0, max_tokens=64),
        fallback=fallback,
    )


class EmbeddedWire(OpenAIBackend):
    """The wire the embedded backend speaks to its llama.cpp server, under the embedded backend's
    name: letter soup is checked (against the English lexicon) for the embedded backend only."""

    name = "embedded"


def _client(server: FakeOpenAIServer, folder: Path, **kwargs) -> LLMClient:
    async def no_sleep(seconds: float) -> None:
        return None

    backend = EmbeddedWire(model="fake-model", base_url=server.base_url, timeout_s=5.0)
    return LLMClient(backend, ResponseCache(folder / "cache"), sleep=no_sleep, backoff=Backoff(base_s=0.01, max_s=0.05), **kwargs)


def _ask(client: LLMClient, request: LLMRequest):
    async def main():
        try:
            return await client.ask(request)
        finally:
            await client.backend.aclose()

    return asyncio.run(main())


SOUP = json.dumps({"triples": [{"subject": "horse", "predicate": "jsc", "object": "floor"}]})
CLOSED = json.dumps({"triples": [{"subject": "horse", "predicate": "on", "object": "floor"}]})


def test_after_the_first_failed_repair_the_question_is_asked_again_under_the_closed_vocabulary(wordnet: Path, tmp_path: Path) -> None:
    free = TripleSpec(ENTITIES, min_items=1, max_items=3)
    request = _request(closed_predicates(free, "object_object"))
    with FakeOpenAIServer() as server:
        server.script(Reply(content=SOUP), Reply(content=SOUP), Reply(content=CLOSED))
        client = _client(server, tmp_path)
        answer = _ask(client, request)
        assert [(t.subject, t.predicate, t.object) for t in answer.value.triples] == [("horse", "on", "floor")]
        assert answer.attempts == 3 and client.usage.fallbacks == 1 and "1 fell back on a closed vocabulary" in client.usage.summary()
        first, repair, closed = (r["response_format"]["json_schema"]["schema"] for r in server.requests)

        def predicate(schema):
            return schema["properties"]["triples"]["items"]["properties"]["predicate"]

        assert "pattern" in predicate(first) and "pattern" in predicate(repair) and "enum" not in predicate(repair)
        assert predicate(closed)["enum"] == list(relation_vocabulary().object_object)
        # asked afresh: the question plus the list, not the conversation holding the soup
        messages = server.requests[2]["messages"]
        assert [m["role"] for m in messages] == ["system", "user"]
        assert messages[1]["content"] == "Relations between horse, floor, brush?\n\n" + request.fallback.note
        assert "jsc" in server.requests[1]["messages"][-2]["content"]  # the repair showed the soup
        # the answer found under the fallback is served from the cache next time
        assert client.cached_answer(request).value.triples[0].predicate == "on"
        client.cache.close()


def test_a_good_first_answer_keeps_its_free_predicate(wordnet: Path, tmp_path: Path) -> None:
    request = _request(closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object"))
    with FakeOpenAIServer() as server:
        server.script(Reply(content=json.dumps({"triples": [{"subject": "brush", "predicate": "runs on", "object": "floor"}]})))
        client = _client(server, tmp_path)
        answer = _ask(client, request)
        assert answer.value.triples[0].predicate == "runs on" and client.usage.fallbacks == 0 and server.count == 1
        client.cache.close()


def test_without_repairs_there_is_no_fallback_and_with_one_it_comes_at_once(wordnet: Path, tmp_path: Path) -> None:
    request = _request(closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object"))
    with FakeOpenAIServer() as server:
        server.script(Reply(content=SOUP), Reply(content=CLOSED))
        client = _client(server, tmp_path / "one", max_repairs=1)
        assert _ask(client, request).value.triples[0].predicate == "on"
        assert "enum" in server.requests[1]["response_format"]["json_schema"]["schema"]["properties"]["triples"]["items"]["properties"]["predicate"]
        client.cache.close()
    with FakeOpenAIServer() as server:
        server.script(Reply(content=SOUP))
        client = _client(server, tmp_path / "none", max_repairs=0)
        with pytest.raises(Exception, match="no valid answer in 1 attempts"):
            _ask(client, request)
        assert client.usage.fallbacks == 0
        client.cache.close()


def test_the_cache_key_changes_with_the_fallback_schema(tmp_path: Path) -> None:
    free = TripleSpec(ENTITIES, min_items=1, max_items=3)
    with FakeOpenAIServer() as server:
        client = _client(server, tmp_path)
        plain = client.cache_key(_request(None))
        closed = client.cache_key(_request(closed_predicates(free, "object_object")))
        other_words = client.cache_key(_request(Fallback(TripleSpec(ENTITIES, 1, 3, predicate_choices=["on", "in"]), "Choose on or in.")))
        other_note = client.cache_key(dataclasses.replace(_request(closed_predicates(free, "object_object")), fallback=Fallback(
            closed_predicates(free, "object_object").spec, "Pick one."
        )))
        assert len({plain, closed, other_words, other_note}) == 4
        assert closed == client.cache_key(_request(closed_predicates(free, "object_object")))  # stable
        client.cache.close()


def test_an_answer_cached_without_a_fallback_is_not_reused_for_a_request_with_one(wordnet: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content=json.dumps({"triples": [{"subject": "brush", "predicate": "runs on", "object": "floor"}]})), Reply(content=CLOSED))
        client = _client(server, tmp_path)
        _ask(client, _request(None))
        client = _client(server, tmp_path)
        answer = _ask(client, _request(closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object")))
        assert not answer.cached and server.count == 2
        client.cache.close()


def test_a_closed_answer_outside_the_list_is_invalid_for_servers_that_ignore_the_schema(wordnet: Path) -> None:
    spec = closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object").spec
    with pytest.raises(AnswerInvalid, match='"jsc" is not one of the allowed predicates'):
        spec.parse(SOUP)


def test_a_predicate_that_repeats_what_it_relates_or_a_single_letter_is_no_relation(wordnet: Path) -> None:
    pairs = KeyedSpec(
        ["1", "2"], key_label="pair", value_label="predicate", max_words=6,
        not_values={"1": ("ride horse", "brush the horse"), "2": ("brush the horse", "ride the horse")},
    )
    with pytest.raises(AnswerIncomplete) as caught:
        pairs.parse('{"1": "Brush the horse", "2": "runs on"}')
    assert '"Brush the horse", which repeats what it relates' in str(caught.value) and caught.value.kept == {"2": "runs on"}
    assert caught.value.rest.not_values == pairs.not_values  # a top-up checks the same
    closed = closed_predicates(pairs, "action_action").spec
    assert closed.not_values == pairs.not_values and closed.parse('{"1": "precedes", "2": "then"}').values["1"] == "precedes"

    triples = TripleSpec(ENTITIES, min_items=1, max_items=3, not_predicates=["ride horse"])
    with pytest.raises(AnswerInvalid, match='the predicate "ride horse" names an entity'):
        triples.parse('{"triples": [{"subject": "horse", "predicate": "ride horse", "object": "floor"}]}')
    assert closed_predicates(triples, "object_object").spec.not_predicates == ("ride horse",)
    keyed = KeyedSpec(["horse"], key_label="object", value_label="predicate", max_words=4)
    with pytest.raises(AnswerInvalid, match='single letter "c"'):
        keyed.parse('{"horse": "c"}')


def _asked_in_turn(client: LLMClient, requests: list[LLMRequest]) -> list:
    async def main():
        try:
            return [await client.ask(r) for r in requests]
        finally:
            await client.backend.aclose()

    return asyncio.run(main())


def _for_class(name: str, fallback: Fallback) -> LLMRequest:
    return dataclasses.replace(
        _request(fallback), purpose=f"askg.object_relations [{name}]",
        messages=(Message(role="system", content="You build graphs."), Message(role="user", content=f"Relations of {name}: horse, floor, brush?")),
    )


def _is_closed(body: dict) -> bool:
    return "enum" in body["response_format"]["json_schema"]["schema"]["properties"]["triples"]["items"]["properties"]["predicate"]


def test_a_step_whose_questions_mostly_fall_back_asks_the_rest_under_the_fallback_at_once(wordnet: Path, tmp_path: Path) -> None:
    fallback = closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object")
    requests = [_for_class(f"class {i}", fallback) for i in range(6)]
    with FakeOpenAIServer() as server:
        # four questions each fail twice under free predicates and are answered under the closed ones:
        # the step switches, and the last two are asked under the closed vocabulary in one call each
        server.script(*[Reply(content=SOUP), Reply(content=SOUP), Reply(content=CLOSED)] * 4, Reply(content=CLOSED), Reply(content=CLOSED))
        client = _client(server, tmp_path)
        answers = _asked_in_turn(client, requests)
        assert all(a.value.triples[0].predicate == "on" for a in answers)
        assert server.count == 4 * 3 + 2 and [a.attempts for a in answers] == [3, 3, 3, 3, 1, 1]
        assert [_is_closed(r) for r in server.requests[-2:]] == [True, True]
        assert server.requests[-1]["messages"][-1]["content"].endswith(fallback.note)
        assert client.switched_steps == ["askg.object_relations"] and client.usage.fallbacks == 6
        # the answers are stored under the question itself: a rerun serves them from the cache
        assert client.cached_answer(requests[-1]).value.triples[0].predicate == "on"
        client.cache.close()


def test_a_step_that_answers_its_free_questions_never_switches(wordnet: Path, tmp_path: Path) -> None:
    fallback = closed_predicates(TripleSpec(ENTITIES, min_items=1, max_items=3), "object_object")
    requests = [_for_class(f"class {i}", fallback) for i in range(6)]
    free = json.dumps({"triples": [{"subject": "brush", "predicate": "runs on", "object": "floor"}]})
    with FakeOpenAIServer() as server:
        # one of the first four fell back (25 %): not most of them, the free question stays first
        server.script(Reply(content=SOUP), Reply(content=SOUP), Reply(content=CLOSED), *[Reply(content=free)] * 5)
        client = _client(server, tmp_path)
        answers = _asked_in_turn(client, requests)
        assert [a.attempts for a in answers] == [3, 1, 1, 1, 1, 1] and not client.switched_steps
        assert not any(_is_closed(r) for r in server.requests[3:])
        client.cache.close()
