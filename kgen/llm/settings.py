"""Choosing and configuring the backend from command-line options and the environment.

* ``--backend auto`` (default): the OpenAI-compatible backend when a base URL is given
  (``--base-url`` or ``OPENAI_BASE_URL``), the embedded llama.cpp model otherwise.
* The OpenAI-compatible backend needs a model (``--llm-model`` or ``OPENAI_MODEL``) and reads its key
  from ``OPENAI_API_KEY`` (never from the command line, where it would land in shell history).
* Concurrency defaults to 8 requests in flight for a server and to the number of slots
  (``--parallel``) for the embedded model, so that every slot is busy and none waits.
* Time limits: a server's try times out after 120 s and a call (its retries included) after
  300 s. The embedded model runs in process and is never "hung": one try may take up to 30 min
  (a loaded machine), and there is nothing to retry against.
"""

from __future__ import annotations

import os
from typing import Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field

from kgen.backoff import Backoff
from kgen.cache import ResponseCache
from kgen.errors import InputError
from kgen.llm.client import LLMClient

DEFAULT_PARALLEL = 16
SERVER_TIMEOUT_S, SERVER_DEADLINE_S = 120.0, 300.0
EMBEDDED_TIMEOUT_S = 1800.0

BackendName = Literal["auto", "embedded", "openai"]
StructuredMode = Literal["auto", "json_schema", "json_object", "text"]


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: BackendName = "auto"
    model: str | None = None
    base_url: str | None = None
    structured: StructuredMode = "auto"
    concurrency: int | None = Field(default=None, ge=1, le=1024)
    rpm: float | None = Field(default=None, gt=0)
    max_retries: int = Field(default=6, ge=0, le=50)
    max_repairs: int = Field(default=3, ge=0, le=10)
    timeout_s: float | None = Field(default=None, gt=0)
    deadline_s: float | None = Field(default=None, gt=0)
    gguf: str | None = None
    threads: int | None = Field(default=None, ge=1, le=512)
    parallel: int = Field(default=DEFAULT_PARALLEL, ge=1, le=256)
    refresh: bool = False

    def effective_base_url(self) -> str | None:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def effective_backend(self) -> Literal["embedded", "openai"]:
        if self.backend != "auto":
            return self.backend
        return "openai" if self.effective_base_url() else "embedded"

    def effective_model(self) -> str | None:
        return self.model or os.environ.get("OPENAI_MODEL") or None


class OfflineBackend:
    """A backend's identity (name, model, structured-output mode) without any connection or model
    loaded: what a dry run needs to build the cache keys and request bodies. It sends nothing."""

    def __init__(self, name: str, model_id: str, structured_mode: str, base_url: str | None = None) -> None:
        self.name = name
        self._model_id = model_id
        self._mode = structured_mode
        self.base_url = base_url

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def structured_mode(self) -> str:
        return self._mode

    def describe(self) -> dict[str, str | None]:
        return {"backend": self.name, "model": self._model_id, "base_url": self.base_url, "structured_output": self._mode}

    def request_body(self, messages, examples, spec, sampling) -> dict:  # noqa: ANN001 - the Backend protocol's types
        from kgen.llm.backend import conversation
        from kgen.llm.wire import chat_body

        return chat_body(self._model_id, conversation(messages, examples, spec), spec, sampling, self._mode)

    async def complete(self, *args: object) -> NoReturn:
        raise RuntimeError("an offline backend sends nothing (dry run)")

    async def aclose(self) -> None:
        return None


def offline_client(settings: LLMSettings, cache: ResponseCache) -> LLMClient:
    """A client with the identity :func:`make_client` would give, that can send nothing."""
    if settings.effective_backend() == "openai":
        model = settings.effective_model()
        if not model:
            raise InputError(
                "the OpenAI-compatible backend needs a model name",
                hint="pass --llm-model NAME (or set OPENAI_MODEL), e.g. --llm-model gpt-4o-mini",
            )
        mode = "json_schema" if settings.structured == "auto" else settings.structured
        backend = OfflineBackend("openai", model, mode, settings.effective_base_url())
    else:
        from kgen.llm.gguf import load_gguf

        backend = OfflineBackend("embedded", load_gguf(settings.gguf, cache).model_id, "json_schema")
    return LLMClient(backend, cache, refresh=settings.refresh)  # type: ignore[arg-type]


def make_client(settings: LLMSettings, cache: ResponseCache | None = None) -> LLMClient:
    """The client for ``settings`` (the embedded model is started only when a call needs it)."""
    backend_name = settings.effective_backend()
    cache = cache or ResponseCache()
    if backend_name == "openai":
        from kgen.llm.openai_backend import OpenAIBackend

        model = settings.effective_model()
        if not model:
            raise InputError(
                "the OpenAI-compatible backend needs a model name",
                hint="pass --llm-model NAME (or set OPENAI_MODEL), e.g. --llm-model gpt-4o-mini",
            )
        backend = OpenAIBackend(
            model=model,
            base_url=settings.effective_base_url(),
            api_key=os.environ.get("OPENAI_API_KEY"),
            timeout_s=settings.timeout_s or SERVER_TIMEOUT_S,
            structured=settings.structured,
        )
        concurrency = settings.concurrency or 8
        deadline = settings.deadline_s or SERVER_DEADLINE_S
    else:
        from kgen.llm.embedded import EmbeddedBackend

        if settings.structured not in ("auto", "json_schema"):
            raise InputError(
                f"--structured {settings.structured} applies to OpenAI-compatible servers",
                hint="the embedded model always answers under the JSON schema; drop --structured",
            )
        timeout = settings.timeout_s or EMBEDDED_TIMEOUT_S
        backend = EmbeddedBackend(
            gguf=settings.gguf, cache=cache, threads=settings.threads, parallel=settings.parallel, timeout_s=timeout
        )
        concurrency = settings.concurrency or settings.parallel
        deadline = settings.deadline_s or timeout
    return LLMClient(
        backend,
        cache,
        concurrency=concurrency,
        rpm=settings.rpm,
        max_retries=settings.max_retries,
        max_repairs=settings.max_repairs,
        deadline_s=deadline,
        refresh=settings.refresh,
        backoff=Backoff(),
    )
