"""Any OpenAI-compatible chat-completions server, through the ``openai`` client.

Structured output is negotiated once per run (``structured="auto"``): first the JSON schema of
the answer as ``response_format={"type": "json_schema", "strict": true, ...}``; if the server
rejects that (HTTP 400 naming the response format), JSON mode (``{"type": "json_object"}`` with the
schema written into the prompt); if that is rejected too, plain text with the same instructions.
Whatever comes back is parsed leniently and validated against the same schema by the client.

Every schema bounds its lists and free strings (``maxLength``, or a word ``pattern``); a server that
rejects those keywords (HTTP 400 naming them) is sent the same schema without them (the client
still checks the bounds), before any step down to JSON mode.

The client's own retries are off (``max_retries=0``): :class:`~kgen.llm.client.LLMClient` retries,
so that every retry is counted and its wait honours ``Retry-After``. Connecting times out after
``CONNECT_TIMEOUT_S``. A 200 answer whose body is not JSON (an HTML page from a proxy, a wrong
base URL) stops the run at once: no retry would change it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import openai

from kgen.backoff import retry_after_seconds
from kgen.llm.answers import AnswerSpec
from kgen.llm.backend import conversation
from kgen.llm.errors import (
    FatalBackendError,
    RequestRejected,
    StructuredOutputUnsupported,
    TransientBackendError,
)
from kgen.llm.types import Completion, Example, Message, SamplingParams
from kgen.llm.wire import chat_body

MODES = ("json_schema", "json_object", "text")
CONNECT_TIMEOUT_S = 5.0
_FORMAT_WORDS = re.compile(r"response_format|json_schema|json_object|structured|schema|guided|grammar", re.IGNORECASE)
_BOUND_WORDS = re.compile(r"maxLength|minLength|pattern", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_MAX_COMPLETION = re.compile(r"max_completion_tokens", re.IGNORECASE)


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        structured: str = "auto",
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if structured not in ("auto", *MODES):
            raise ValueError(f"unknown structured-output mode {structured!r}")
        self.model = model
        self.base_url = base_url
        self.auto = structured == "auto"
        self._mode = "json_schema" if self.auto else structured
        self._token_param = "max_tokens"
        self._bounded = True  # string bounds in the schema (dropped if the server rejects them)
        self.extra_body = dict(extra_body or {})
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",  # local servers (vLLM, llama.cpp, Ollama) ignore it
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            max_retries=0,
        )

    @property
    def model_id(self) -> str:
        return self.model

    @property
    def structured_mode(self) -> str:
        return self._mode

    def describe(self) -> dict[str, str | None]:
        return {"backend": self.name, "model": self.model, "base_url": _public_url(self.base_url), "structured_output": self._mode}

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(
        self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec, sampling: SamplingParams
    ) -> Completion:
        while True:
            mode = self._mode
            try:
                return await self._complete_once(conversation(messages, examples, spec), spec, sampling, mode)
            except StructuredOutputUnsupported:
                if not self.auto or mode == "text":
                    raise
                # Only step down once per mode, even when many requests fail at the same moment.
                if self._mode == mode:
                    self._mode = MODES[MODES.index(mode) + 1]

    def request_body(
        self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec, sampling: SamplingParams
    ) -> dict[str, Any]:
        """The JSON body of the chat-completions request this backend sends now for one question
        (the first try: structured-output mode, token parameter and schema bounds as negotiated so
        far). A batch request file holds exactly this body on each line."""
        body = chat_body(
            self.model, conversation(messages, examples, spec), spec, sampling, self._mode, self._token_param, self._bounded
        )
        return {**body, **self.extra_body}

    async def _complete_once(self, messages: list[Message], spec: AnswerSpec, sampling: SamplingParams, mode: str) -> Completion:
        bounded = self._bounded
        kwargs = chat_body(self.model, messages, spec, sampling, mode, self._token_param, bounded)
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        try:
            response = await self._client.chat.completions.create(**kwargs)
        except openai.BadRequestError as exc:
            text = _error_text(exc)
            if self._token_param == "max_tokens" and _MAX_COMPLETION.search(text):
                self._token_param = "max_completion_tokens"
                return await self._complete_once(messages, spec, sampling, mode)
            if mode == "json_schema" and bounded and _BOUND_WORDS.search(text):
                self._bounded = False
                return await self._complete_once(messages, spec, sampling, mode)
            if mode != "text" and _FORMAT_WORDS.search(text):
                raise StructuredOutputUnsupported(f"the server rejected response_format {mode}: {text}", 400) from exc
            raise RequestRejected(f"the server rejected the request (400): {text}", 400) from exc
        except openai.AuthenticationError as exc:
            raise FatalBackendError(
                f"the server at {_public_url(self.base_url) or 'api.openai.com'} refused the credentials (401): {_error_text(exc)}",
                hint="set OPENAI_API_KEY to a valid key for this server",
            ) from exc
        except openai.PermissionDeniedError as exc:
            raise FatalBackendError(f"access denied (403): {_error_text(exc)}", hint="check the key's permissions for this model") from exc
        except openai.NotFoundError as exc:
            raise FatalBackendError(
                f"model {self.model!r} or endpoint not found (404): {_error_text(exc)}",
                hint="check --llm-model and --base-url (it usually ends in /v1)",
            ) from exc
        except openai.RateLimitError as exc:
            raise TransientBackendError(f"rate limited (429): {_error_text(exc)}", _retry_after(exc), 429) from exc
        except openai.APITimeoutError as exc:
            if type(exc.__cause__).__name__ == "ConnectTimeout":
                where = _public_url(self.base_url) or "the server"
                raise TransientBackendError(f"cannot connect to {where}: no answer within {CONNECT_TIMEOUT_S:g} s", connection=True) from exc
            raise TransientBackendError("the request timed out", timeout=True) from exc
        except openai.APIConnectionError as exc:
            where = _public_url(self.base_url) or "the server"
            raise TransientBackendError(f"cannot connect to {where}: {exc}", connection=True) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status >= 500 or status in (408, 409, 425):
                raise TransientBackendError(f"server error ({status}): {_error_text(exc)}", _retry_after(exc), status) from exc
            raise RequestRejected(f"the server rejected the request ({status}): {_error_text(exc)}", status) from exc
        except openai.APIResponseValidationError as exc:
            raise TransientBackendError(f"the server sent a response the client cannot read: {exc}") from exc
        if isinstance(response, str) or getattr(response, "choices", None) is None:
            # The openai client returns the text of a body that is not JSON; JSON without
            # "choices" is not a chat-completions answer either.
            body = response if isinstance(response, str) else json.dumps(response.model_dump(exclude_unset=True), default=str)
            raise FatalBackendError(
                f"the server at {_public_url(self.base_url) or 'api.openai.com'} answered with something that is not "
                f"an OpenAI-compatible chat-completions response: {_glimpse(body)}",
                hint="check --base-url / OPENAI_BASE_URL: it must point at the chat-completions API "
                "(usually ending in /v1), not at a web page or a proxy's login page",
            )
        return _completion(response, mode)


def completion_from_body(body: dict[str, Any], mode: str) -> Completion:
    """A completion from a chat-completions response body given as JSON (a batch output line)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
    message = first.get("message") if first is not None else None
    if not isinstance(message, dict):
        raise TransientBackendError(f"the answer is not a chat-completions response: {_glimpse(json.dumps(body, default=str))}")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    finish = first.get("finish_reason") or "stop"
    refusal = message.get("refusal") or None
    return Completion(
        text=str(message.get("content") or ""),
        finish_reason=finish if finish in ("stop", "length") else ("refusal" if refusal else "other"),
        refusal=refusal,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        mode=mode,
    )


def _glimpse(body: str) -> str:
    """What a body is, on one line: an HTML page's title, else the start of the text."""
    title = _TITLE.search(body)
    if title:
        return f"an HTML page titled {' '.join(title.group(1).split())[:100]!r}"
    text = " ".join(body.split())
    return repr(text[:120] + ("..." if len(text) > 120 else "")) if text else "an empty body"


def _completion(response: Any, mode: str) -> Completion:
    if not getattr(response, "choices", None):
        raise TransientBackendError("the server answered without any choice")
    choice = response.choices[0]
    message = choice.message
    finish = choice.finish_reason or "stop"
    refusal = getattr(message, "refusal", None)
    usage = getattr(response, "usage", None)
    return Completion(
        text=message.content or "",
        finish_reason=finish if finish in ("stop", "length") else ("refusal" if refusal else "other"),
        refusal=refusal or None,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        mode=mode,
    )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return retry_after_seconds(dict(headers) if headers is not None else None)


def _error_text(exc: openai.APIStatusError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(getattr(exc, "message", exc))[:300]


def _public_url(url: str | None) -> str | None:
    """The base URL without any user:password part (it goes into provenance and messages)."""
    if not url:
        return url
    return re.sub(r"//[^/@]*@", "//", url)
