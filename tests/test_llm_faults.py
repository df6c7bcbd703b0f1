"""Servers that fail in ways a user meets: a web page instead of an API, every call failing,
nothing listening, a server that accepts connections and never answers (issue 20, items 7, 8, 10)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
from openai_server import FakeOpenAIServer, Reply

from kgen.backoff import Backoff
from kgen.cache import ResponseCache
from kgen.knowledge.base import load_knowledge
from kgen.llm import openai_backend, settings
from kgen.llm.answers import ListSpec
from kgen.llm.client import LLMClient, LLMRequest
from kgen.llm.errors import FatalBackendError
from kgen.llm.openai_backend import OpenAIBackend
from kgen.llm.types import Message

CLASSES = ["abseiling", "brush hair", "ride bike"]


@pytest.fixture
def classes_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.txt"
    path.write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    return path


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("error:")]
    return line


def test_an_html_page_answering_200_stops_the_run_at_once_with_a_base_url_hint(run_cli, classes_file) -> None:
    with FakeOpenAIServer() as server:
        server.handler = lambda req: Reply.html_page()
        result = run_cli("build-descriptions", "--classes", str(classes_file), "--base-url", server.base_url, "--model", "m")
        assert result.exit_code == 2
        line = one_line_error(result.stderr)
        assert "not an OpenAI-compatible chat-completions response" in line and "Sign in - Corporate Proxy" in line
        assert "--base-url / OPENAI_BASE_URL" in result.stderr
        assert server.count <= len(CLASSES)  # no retries, no repair rounds: each class asked once at most


def test_json_that_is_not_a_chat_completion_stops_the_run_too(run_cli, classes_file) -> None:
    with FakeOpenAIServer() as server:
        server.handler = lambda req: Reply(raw_body=b'{"status": "ok", "service": "grafana"}')
        result = run_cli("build-descriptions", "--classes", str(classes_file), "--base-url", server.base_url, "--model", "m")
        assert result.exit_code == 2 and "grafana" in one_line_error(result.stderr)


def test_refresh_with_every_call_failing_exits_5_and_counts_no_class_as_built(run_cli, classes_file) -> None:
    with FakeOpenAIServer() as server:
        server.handler = lambda req: Reply(content=json.dumps({"items": ["This video shows a person doing it."]}))
        args = ["build-descriptions", "--classes", str(classes_file), "--base-url", server.base_url, "--model", "m"]
        assert run_cli(*args).exit_code == 0
        server.handler = lambda req: Reply.server_error(500)
        result = run_cli(*args, "--refresh", "--max-retries", "1")
    assert result.exit_code == 5
    assert "action-descriptions: 0/3 classes" in result.stderr
    assert "3 class(es) failed" in result.stderr and "keeps the earlier entry of 3 of them" in result.stderr
    # nothing already paid for is lost: the file still holds the earlier answers
    assert len(load_knowledge("mini", "action-descriptions").classes) == 3


def request() -> LLMRequest:
    return LLMRequest(purpose="t", messages=(Message(role="user", content="Objects of abseiling?"),), spec=ListSpec(1, 3))


def ask_once(client: LLMClient):
    async def main():
        try:
            return await client.ask(request())
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc
        finally:
            await client.backend.aclose()

    return asyncio.run(main())


def test_nothing_listening_fails_in_seconds_with_the_default_retry_settings(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        url = server.base_url  # the port is free again once the server stopped
    backend = OpenAIBackend(model="m", base_url=url)
    client = LLMClient(backend, ResponseCache(tmp_path / "c"), backoff=Backoff())  # default retries and backoff
    start = time.monotonic()
    error = ask_once(client)
    elapsed = time.monotonic() - start
    assert isinstance(error, FatalBackendError) and error.unavailable and "cannot connect" in str(error)
    assert elapsed < 8, elapsed  # was about 40 s: six retries with backoff up to 32 s
    client.cache.close()


def test_connect_timeout_is_a_few_seconds(tmp_path, monkeypatch) -> None:
    assert openai_backend.CONNECT_TIMEOUT_S <= 5
    monkeypatch.setattr(openai_backend, "CONNECT_TIMEOUT_S", 0.5)
    # A listening socket whose backlog is full: the kernel drops further connection attempts, so
    # a client waits for its connect timeout, as with an unroutable address.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.2)
    try:
        backend = OpenAIBackend(model="m", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=60)
        client = LLMClient(backend, ResponseCache(tmp_path / "c"), backoff=Backoff(base_s=0.01, max_s=0.01))
        start = time.monotonic()
        error = ask_once(client)
        elapsed = time.monotonic() - start
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert isinstance(error, FatalBackendError) and error.unavailable, error
    assert elapsed < 10, elapsed  # 3 tries of 0.5 s (the read timeout is 60 s)
    client.cache.close()


def test_a_hung_server_is_bounded_by_the_per_call_deadline(run_cli, classes_file) -> None:
    assert settings.SERVER_DEADLINE_S <= 300  # with the defaults: 5 minutes, not 7 x 120 s plus backoff
    with FakeOpenAIServer() as server:
        server.handler = lambda req: Reply(content="{}", delay_s=30)
        start = time.monotonic()
        result = run_cli(
            "build-descriptions", "--classes", str(classes_file), "--base-url", server.base_url, "--model", "m",
            "--timeout", "0.5", "--deadline", "2",
        )
        elapsed = time.monotonic() - start
    assert result.exit_code == 4
    line = one_line_error(result.stderr)
    assert "accepted the requests but answered none" in line and "--deadline 2 s" in line
    assert elapsed < 8, elapsed
