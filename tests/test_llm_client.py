"""The LLM client against a real local HTTP server speaking the chat-completions wire format."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from openai_server import FakeOpenAIServer, Reply

from kgen.backoff import Backoff
from kgen.cache import ResponseCache
from kgen.llm.answers import ListSpec
from kgen.llm.client import AskFailed, LLMClient, LLMRequest
from kgen.llm.errors import FatalBackendError
from kgen.llm.openai_backend import OpenAIBackend
from kgen.llm.types import Message, SamplingParams

SPEC = ListSpec(3, 5, "object")
GOOD = json.dumps({"items": ["rope", "harness", "helmet"]})


def request(action: str = "abseiling", temperature: float = 0.0) -> LLMRequest:
    return LLMRequest(
        purpose=f"test [{action}]",
        messages=(Message(role="system", content="You list objects."), Message(role="user", content=f"Objects of {action}?")),
        spec=SPEC,
        sampling=SamplingParams(temperature=temperature, max_tokens=64),
    )


def make_client(server: FakeOpenAIServer, tmp_path, sleeps: list[float] | None = None, **kwargs) -> LLMClient:
    async def record_sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    backend = OpenAIBackend(
        model="fake-model", base_url=server.base_url, timeout_s=kwargs.pop("timeout_s", 5.0), structured=kwargs.pop("structured", "auto")
    )
    return LLMClient(backend, ResponseCache(tmp_path / "cache"), sleep=record_sleep, backoff=Backoff(base_s=0.01, max_s=0.05), **kwargs)


def ask(client: LLMClient, *requests: LLMRequest):
    async def main():
        try:
            return await asyncio.gather(*(client.ask(r) for r in requests), return_exceptions=True)
        finally:
            await client.backend.aclose()

    return asyncio.run(main())


def test_structured_output_sends_the_schema_and_caches(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content=GOOD, prompt_tokens=11, completion_tokens=7))
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"] and not answer.cached
        sent = server.requests[0]
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["strict"] is True
        assert sent["response_format"]["json_schema"]["schema"]["properties"]["items"]["minItems"] == 3
        assert client.usage.prompt_tokens == 11 and client.usage.completion_tokens == 7
        client.cache.close()

        rerun = make_client(server, tmp_path)
        [again] = ask(rerun, request())
        assert again.cached and again.value.items == answer.value.items
        assert server.count == 1 and rerun.usage.calls == 0 and rerun.usage.cached == 1
        rerun.cache.close()

        refreshed = make_client(server, tmp_path, refresh=True)
        ask(refreshed, request())
        assert server.count == 2
        refreshed.cache.close()
        # sampling parameters are part of the key
        other = make_client(server, tmp_path)
        [sampled] = ask(other, request(temperature=0.7))
        assert not sampled.cached and server.count == 3
        other.cache.close()


def test_malformed_json_and_schema_violations_are_repaired_with_the_error_shown(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply.malformed(), Reply(content='{"items": []}'), Reply(content=GOOD))
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"] and answer.attempts == 3
        assert client.usage.repairs == 2 and client.usage.answered == 1
        second = server.requests[1]["messages"]
        assert second[-2] == {"role": "assistant", "content": '{"items": ["rope", "harness",, oops'}
        assert "not valid JSON" in second[-1]["content"]
        third = server.requests[2]["messages"]
        assert "0 usable objects" in third[-1]["content"] and "3 to 5 objects" in third[-1]["content"]
        # Only the latest rejected answer is shown: the conversation does not grow round by round.
        assert len(third) == len(second) and third[:-2] == second[:-2]
        assert third[-2] == {"role": "assistant", "content": '{"items": []}'}
        assert not any("oops" in m["content"] for m in third)
        client.cache.close()


def test_the_last_try_asks_the_question_afresh_without_the_rejected_answer(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"items": []}'), Reply.malformed(), Reply(content='{"items": []}'), Reply(content=GOOD))
        client = make_client(server, tmp_path, max_repairs=3)
        [answer] = ask(client, request())
        assert answer.attempts == 4 and answer.value.items == ["rope", "harness", "helmet"]
        first, *repairs, last = (r["messages"] for r in server.requests)
        assert all(m[-2]["role"] == "assistant" for m in repairs)  # the repair rounds show the rejected answer
        assert last == first  # the last try is the question alone
        assert server.requests[-1]["temperature"] > 0  # sampled warm, like a repair
        client.cache.close()


def test_top_ups_that_add_something_do_not_use_up_the_repairs_but_empty_ones_do(tmp_path) -> None:
    spec = ListSpec(3, 5, "object")
    growing = dataclasses.replace(request(), spec=spec)
    with FakeOpenAIServer() as server:
        # one repair allowed: the answer grows by one item per top-up, past the single repair (calls
        # stay bounded by twice the repairs)
        server.script(*(Reply(content=json.dumps({"items": [name]})) for name in ["rope", "harness", "helmet"]))
        client = make_client(server, tmp_path, max_repairs=1)
        [answer] = ask(client, growing)
        assert not isinstance(answer, AskFailed), answer.reason
        assert answer.value.items == ["rope", "harness", "helmet"] and answer.attempts == 3
        assert client.usage.repairs == 2 and client.usage.topups == 2
        client.cache.close()
    with FakeOpenAIServer() as server:
        # a top-up that adds nothing is a failed attempt: with one repair allowed, two of them end it
        server.script(Reply(content='{"items": ["rope"]}'), *(Reply(content='{"items": ["rope"]}') for _ in range(2)))
        client = make_client(server, tmp_path / "2", max_repairs=1)
        [failed] = ask(client, growing)
        assert isinstance(failed, AskFailed) and "in 3 attempts" in str(failed) and len(server.requests) == 3
        client.cache.close()
    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"items": ["rope"]}'))
        client = make_client(server, tmp_path / "3", max_repairs=0)
        [failed] = ask(client, growing)
        assert isinstance(failed, AskFailed) and len(server.requests) == 1  # no repair means no top-up either
        client.cache.close()


def test_after_top_ups_that_add_nothing_the_last_try_asks_the_whole_question_and_merges(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(
            Reply(content='{"items": ["rope", "harness"]}'),
            Reply(content='{"items": ["rope"]}'),  # top-ups repeating what is kept
            Reply(content='{"items": ["harness"]}'),
            Reply(content='{"items": ["rope", "helmet", "cliff"]}'),  # the whole question, asked afresh
        )
        client = make_client(server, tmp_path, max_repairs=2)
        [answer] = ask(client, request())
        assert not isinstance(answer, AskFailed), answer.reason
        assert answer.value.items == ["rope", "harness", "helmet", "cliff"] and answer.attempts == 4
        first, last = server.requests[0], server.requests[-1]
        assert last["messages"] == first["messages"]  # no top-up note, no earlier answer
        assert last["response_format"]["json_schema"]["schema"]["properties"]["items"]["minItems"] == 3  # the full spec
        assert "Give 1 more" in server.requests[1]["messages"][-1]["content"]
        client.cache.close()


def test_a_partly_usable_list_is_kept_and_only_the_missing_items_are_asked_for(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(
            Reply(content='{"items": ["rope", "Rope", "the ropes"]}'),
            Reply(content='{"items": ["rope", "harness"]}'),
            Reply(content='{"items": ["helmet"]}'),
        )
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"] and answer.attempts == 3
        assert client.usage.repairs == 2 and client.usage.topups == 2 and "2 of them top-ups" in client.usage.summary()
        first, second, third = server.requests
        # a top-up is the question again plus what is missing: no conversation holding the model's
        # own answer, and a schema asking for the missing items only
        assert [m["role"] for m in second["messages"]] == ["system", "user"]
        assert second["messages"][1]["content"] == first["messages"][1]["content"] + "\n\nGive 2 more objects, different from these: rope."
        assert third["messages"][1]["content"].endswith("Give 1 more object, different from these: rope, harness.")
        items = second["response_format"]["json_schema"]["schema"]["properties"]["items"]
        assert (items["minItems"], items["maxItems"]) == (2, 4)
        assert third["response_format"]["json_schema"]["schema"]["properties"]["items"]["minItems"] == 1
        assert client.cached_answer(request()).value.items == ["rope", "harness", "helmet"]
        client.cache.close()


def test_repairs_are_bounded_and_nothing_invalid_is_cached(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(*[Reply(content='{"items": []}')] * 3)
        client = make_client(server, tmp_path, max_repairs=2)
        [failure] = ask(client, request())
        assert isinstance(failure, AskFailed) and "3 attempts" in failure.reason
        assert server.count == 3 and client.usage.failed == 1
        assert client.cached_answer(request()) is None
        client.cache.close()


def test_refusals_are_not_argued_with(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply.refused(), Reply(content="I'm sorry, I cannot help with that."))
        client = make_client(server, tmp_path)
        first, second = ask(client, request("a"), request("b"))
        assert isinstance(first, AskFailed) and "refused" in first.reason
        assert isinstance(second, AskFailed) and "refused" in second.reason
        assert server.count == 2 and client.usage.refusals == 2
        client.cache.close()


def test_429_honours_retry_after_and_500_is_retried(tmp_path) -> None:
    sleeps: list[float] = []
    with FakeOpenAIServer() as server:
        server.script(Reply.rate_limited(retry_after=2), Reply.server_error(), Reply(content=GOOD))
        client = make_client(server, tmp_path, sleeps=sleeps)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"]
        assert server.count == 3 and client.usage.retries == 2
        assert 2.0 <= sleeps[0] <= 2.2  # Retry-After: 2, plus at most 10 % jitter
        assert sleeps[1] <= 0.05
        client.cache.close()


def test_retries_are_bounded(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(*[Reply.server_error(503)] * 3)
        client = make_client(server, tmp_path, max_retries=2)
        [failure] = ask(client, request())
        assert isinstance(failure, AskFailed) and "503" in failure.reason and "3 tries" in failure.reason
        client.cache.close()


def test_slow_answers_time_out_and_are_retried(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content=GOOD, delay_s=1.5), Reply(content=GOOD))
        client = make_client(server, tmp_path, timeout_s=0.4)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"] and client.usage.retries == 1
        client.cache.close()


def test_truncated_output_is_asked_again_shorter(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"items": ["rope", "harn', finish_reason="length"), Reply(content=GOOD))
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.attempts == 2
        assert "cut off at the length limit" in server.requests[1]["messages"][-1]["content"]
        client.cache.close()


def test_servers_without_structured_output_fall_back_to_json_mode_then_text(tmp_path) -> None:
    with FakeOpenAIServer(reject_formats={"json_schema", "json_object"}) as server:
        server.handler = lambda req: Reply(content="Objects:\n1. rope\n2. harness\n3. helmet")
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.value.items == ["rope", "harness", "helmet"]
        formats = [(r.get("response_format") or {}).get("type", "text") for r in server.requests]
        assert formats == ["json_schema", "json_object", "text"]
        assert "It must match this JSON schema" in server.requests[-1]["messages"][-1]["content"]
        assert client.backend.structured_mode == "text"
        client.cache.close()


def test_concurrency_is_bounded(tmp_path) -> None:
    with FakeOpenAIServer(latency_s=0.15) as server:
        client = make_client(server, tmp_path, concurrency=3)
        answers = ask(client, *(request(f"action {i}") for i in range(9)))
        assert all(not isinstance(a, BaseException) for a in answers)
        assert server.max_in_flight == 3
        client.cache.close()


def test_unreachable_server_stops_the_run(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        url = server.base_url
    backend = OpenAIBackend(model="m", base_url=url, timeout_s=1.0)
    client = LLMClient(backend, ResponseCache(tmp_path / "c"), max_retries=1, backoff=Backoff(base_s=0.01, max_s=0.01))
    [error] = ask(client, request())
    assert isinstance(error, FatalBackendError) and error.unavailable
    client.cache.close()


@pytest.mark.parametrize("status", [401, 404])
def test_bad_credentials_or_model_stop_the_run(tmp_path, status: int) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(status=status, error_message="nope"))
        client = make_client(server, tmp_path)
        [error] = ask(client, request())
        assert isinstance(error, FatalBackendError) and not error.unavailable
        client.cache.close()


def test_servers_that_reject_string_bounds_get_the_schema_without_them(tmp_path) -> None:
    def handler(req):
        schema = json.dumps(req.get("response_format", {}))
        if "maxLength" in schema or "pattern" in schema:
            return Reply(status=400, error_message="Invalid schema: 'maxLength' is not permitted")
        return Reply(content=GOOD)

    spec = ListSpec(3, 5, "object", max_words=3)
    with FakeOpenAIServer(handler=handler) as server:
        client = make_client(server, tmp_path)
        [answer] = ask(client, LLMRequest(purpose="t", messages=(Message(role="user", content="Objects?"),), spec=spec))
        assert answer.value.items == ["rope", "harness", "helmet"]
        formats = [r["response_format"]["type"] for r in server.requests]
        assert formats == ["json_schema", "json_schema"]  # still structured output, not JSON mode
        items = server.requests[1]["response_format"]["json_schema"]["schema"]["properties"]["items"]
        assert items["maxItems"] == 5 and "pattern" not in items["items"]
        client.cache.close()


def test_repair_rounds_sample_warmer_with_their_own_seed(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"items": ["rope"]}'), Reply(content='{"items": ["rope"]}'), Reply(content=GOOD))
        client = make_client(server, tmp_path)
        [answer] = ask(client, request())
        assert answer.attempts == 3
        assert [(r["temperature"], r["seed"]) for r in server.requests] == [(0.0, 0), (0.7, 1), (0.7, 2)]
        client.cache.close()


def test_a_list_copied_from_the_worked_example_is_asked_again(tmp_path) -> None:
    from kgen.llm.types import Example

    example = Example(user="Objects of drinking beer?", answer={"items": ["beer", "glass", "bottle", "hand"]})
    copied = LLMRequest(
        purpose="t", messages=(Message(role="user", content="Objects of pouring?"),), spec=SPEC, examples=(example,),
        example_policy="always",
    )
    with FakeOpenAIServer() as server:
        server.script(Reply(content='{"items": ["beer", "glass", "bottle", "jug"]}'), Reply(content='{"items": ["jug", "glass", "water"]}'))
        client = make_client(server, tmp_path)
        [answer] = ask(client, copied)
        assert answer.value.items == ["jug", "glass", "water"] and answer.attempts == 2  # one shared item is fine
        assert "Objects of drinking beer?" in json.dumps(server.requests[0]["messages"])
        # asked afresh: without the example and without the copied answer
        assert server.requests[1]["messages"] == [{"role": "user", "content": "Objects of pouring?"}]
        client.cache.close()
