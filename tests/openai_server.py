"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

Real HTTP on 127.0.0.1 (port 0: the OS picks one), the real wire format of
``POST /v1/chat/completions`` (``choices[].message.content``/``refusal``, ``finish_reason``,
``usage``; errors as ``{"error": {...}}`` with their status codes and headers), and
``GET /v1/models``.

Answers come, in order of precedence, from a script (``server.script(Reply(...), ...)``: one
reply per request, consumed first), from a handler function (``handler(request_json) -> Reply``),
or from :func:`answer_from_schema`, which writes a valid answer for the JSON schema the request
carries (in ``response_format``, or written into the prompt in JSON mode and plain-text mode), so
that a whole kgen build can run against the server without scripting every answer.

Faults are replies: ``Reply.rate_limited(retry_after=...)`` (429 + Retry-After),
``Reply.server_error()`` (500), ``Reply.malformed()`` (content that is not JSON),
``Reply.refusal(...)``, ``Reply(content=..., finish_reason="length")`` (truncated),
``Reply(..., delay_s=...)`` (slow), ``Reply.html_page()`` (a proxy's or web server's page
answering 200). ``reject_formats={"json_schema"}`` makes the server answer 400
to that ``response_format``, as servers without structured output do.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kgen.text.grounding import Grounding

# Kim et al.'s keyword question (the seed may be the messages as JSON, quotes escaped)
_KEYWORDS_FROM = re.compile(r'essential keywords from \\*"(.+?)\\*" that best')
_SCHEMA_IN_PROMPT = re.compile(r"It must match this JSON schema:\n(\{.*\})\s*$", re.DOTALL)
_WORDS = (
    "rope harness helmet cliff glove wall ledge grip anchor carabiner water ball racket net court field mat "
    "bench bar hand foot arm leg head shoulder knee park gym street kitchen stage pool river snow grass"
).split()


@dataclass
class Reply:
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw_body: bytes | None = None  # sent as is (e.g. a broken HTTP body, an HTML page)
    content_type: str = "application/json"
    error_message: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def rate_limited(cls, retry_after: float | str = 1, message: str = "Rate limit reached") -> Reply:
        return cls(status=429, headers={"Retry-After": str(retry_after)}, error_message=message)

    @classmethod
    def server_error(cls, status: int = 500, message: str = "The server had an error") -> Reply:
        return cls(status=status, error_message=message)

    @classmethod
    def malformed(cls) -> Reply:
        return cls(content='{"items": ["rope", "harness",, oops')

    @classmethod
    def html_page(cls) -> Reply:
        page = b"<!DOCTYPE html>\n<html><head><title>Sign in - Corporate Proxy</title></head><body>Please sign in</body></html>"
        return cls(raw_body=page, content_type="text/html; charset=utf-8")

    @classmethod
    def refused(cls, text: str = "I'm sorry, but I can't help with that.") -> Reply:
        return cls(content=None, refusal=text, finish_reason="stop")


Handler = Callable[[dict[str, Any]], Reply]


def request_schema(request: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request carries: in response_format, or written into its last message."""
    response_format = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"]["schema"]
    messages = request.get("messages") or []
    if messages:
        found = _SCHEMA_IN_PROMPT.search(messages[-1].get("content") or "")
        if found:
            return json.loads(found.group(1))
    return None


def answer_from_schema(schema: dict[str, Any], seed: str = "") -> Any:
    """A valid value for ``schema`` (objects, arrays with min/maxItems, enums, strings),
    deterministic for a given ``seed``."""
    counter = [int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16)]
    paragraph = _KEYWORDS_FROM.search(seed)
    quoted = Grounding(paragraph.group(1)).words() if paragraph else []

    def word() -> str:
        counter[0] += 1
        return _WORDS[counter[0] % len(_WORDS)]

    def make(node: dict[str, Any], name: str, index: int) -> Any:
        kind = node.get("type")
        if "enum" in node:
            return node["enum"][index % len(node["enum"])]
        if kind == "object":
            props = node.get("properties", {})
            if "subject" in props and "object" in props and "enum" in props["subject"]:
                entities = props["subject"]["enum"]
                return {
                    "subject": entities[index % len(entities)],
                    "predicate": "is used with",
                    "object": entities[(index + 1) % len(entities)],
                }
            return {key: make(sub, key, i) for i, (key, sub) in enumerate(props.items())}
        if kind == "array":
            low, high = node.get("minItems", 1), node.get("maxItems", 6)
            count = max(low, min(high, 6))
            return [make(node.get("items", {}), name, i) for i in range(count)]
        if kind == "string":
            if name == "items" and quoted:  # keywords are extracted from the quoted description
                return quoted[index % len(quoted)]
            if name == "items" and len(short := f"{word()} {index + 1}") >= node.get("minLength", 1):
                return short
            return f"The {word()} and the {word()} are seen near the {word()} during the action."
        if kind in ("integer", "number"):
            return index
        if kind == "boolean":
            return True
        return None

    return make(schema, "", 0)


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) refuses connections when many clients connect at once.
    request_queue_size = 256


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: ... server.base_url ...``"""

    def __init__(
        self,
        handler: Handler | None = None,
        latency_s: float = 0.0,
        reject_formats: set[str] | None = None,
        model_names: tuple[str, ...] = ("fake-model",),
    ) -> None:
        self.handler = handler
        self.latency_s = latency_s
        self.reject_formats = set(reject_formats or ())
        self.model_names = model_names
        self.requests: list[dict[str, Any]] = []
        self.replies: list[Reply] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        server = _Server(("127.0.0.1", 0), self._make_handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------
    def _reply_for(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted
        fmt = (request.get("response_format") or {}).get("type", "text")
        if fmt in self.reject_formats:
            return Reply(status=400, error_message=f"response_format {fmt} is not supported by this server")
        if self.handler is not None:
            return self.handler(request)
        return self.default_reply(request)

    @staticmethod
    def default_reply(request: dict[str, Any]) -> Reply:
        schema = request_schema(request)
        if schema is None:
            return Reply(content="I do not know what to answer.")
        seed = json.dumps(request.get("messages"), sort_keys=True)
        return Reply(content=json.dumps(answer_from_schema(schema, seed)))

    def _make_handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _extra(self, method: str, raw: bytes = b"") -> bool:
                handled = server.handle_extra(method, self.path, dict(self.headers), raw)
                if handled is None:
                    return False
                status, body, content_type = handled
                self._send(status, body, content_type=content_type)
                return True

            def do_GET(self) -> None:
                if self._extra("GET"):
                    return
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": name, "object": "model", "owned_by": "kgen-tests"} for name in server.model_names]
                    self._send(200, json.dumps({"object": "list", "data": data}).encode())
                else:
                    self._send(404, json.dumps({"error": {"message": "not found", "type": "invalid_request_error"}}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self._extra("POST", raw):
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}).encode())
                    return
                try:
                    request = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, json.dumps({"error": {"message": "body is not JSON"}}).encode())
                    return
                with server._lock:
                    server.requests.append(request)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server._reply_for(request)
                    with server._lock:
                        server.replies.append(reply)
                    delay = reply.delay_s + (server.latency_s if reply.status == 200 else 0.0)
                    if delay:
                        time.sleep(delay)
                    self._answer(request, reply)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, request: dict[str, Any], reply: Reply) -> None:
                if reply.raw_body is not None:
                    self._send(reply.status, reply.raw_body, reply.headers, reply.content_type)
                    return
                with server._lock:
                    number = len(server.requests)
                self._send(reply.status, json.dumps(server.response_body(request, reply, number)).encode(), reply.headers)

        return _Handler

    # -- hooks for subclasses (tests/batch_server.py) ---------------------------------------
    def handle_extra(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, str] | None:
        """Answer a request to another endpoint: (status, body, content type), or None."""
        return None

    @staticmethod
    def response_body(request: dict[str, Any], reply: Reply, number: int) -> dict[str, Any]:
        """The JSON body of the answer ``reply`` to a chat-completions ``request`` (an error
        object for a status other than 200)."""
        if reply.status != 200:
            kind = {429: "rate_limit_error", 400: "invalid_request_error"}.get(reply.status, "server_error")
            return {"error": {"message": reply.error_message or "error", "type": kind, "param": None, "code": None}}
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
        completion_words = len((reply.content or reply.refusal or "").split())
        prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else prompt_words
        completion_tokens = reply.completion_tokens if reply.completion_tokens is not None else completion_words
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "fake-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
