"""Choosing and configuring the backend from command-line options and the environment.

* ``--backend auto`` (default): the OpenAI-compatible backend when a base URL is given
  (``--base-url`` or ``OPENAI_BASE_URL``), the embedded SmolLM2 otherwise.
* The OpenAI-compatible backend needs a model (``--model`` or ``OPENAI_MODEL``) and reads its key
  from ``OPENAI_API_KEY`` (never from the command line, where it would land in shell history).
* Concurrency defaults to 8 requests in flight for a server and to twice the batch size for the
  embedded model (so that one batch fills while the other decodes).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen.cache import ResponseCache
from kgen.errors import InputError
from kgen.llm.client import LLMClient
from kgen.llm.retry import Backoff

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
    timeout_s: float = Field(default=120.0, gt=0)
    batch_size: int = Field(default=16, ge=1, le=256)
    refresh: bool = False

    def effective_base_url(self) -> str | None:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def effective_backend(self) -> Literal["embedded", "openai"]:
        if self.backend != "auto":
            return self.backend
        return "openai" if self.effective_base_url() else "embedded"

    def effective_model(self) -> str | None:
        return self.model or os.environ.get("OPENAI_MODEL") or None


def make_client(settings: LLMSettings, cache: ResponseCache | None = None) -> LLMClient:
    """The client for ``settings`` (the embedded model is loaded only when a call needs it)."""
    backend_name = settings.effective_backend()
    if backend_name == "openai":
        from kgen.llm.openai_backend import OpenAIBackend

        model = settings.effective_model()
        if not model:
            raise InputError(
                "the OpenAI-compatible backend needs a model name",
                hint="pass --model NAME (or set OPENAI_MODEL), e.g. --model gpt-4o-mini",
            )
        backend = OpenAIBackend(
            model=model,
            base_url=settings.effective_base_url(),
            api_key=os.environ.get("OPENAI_API_KEY"),
            timeout_s=settings.timeout_s,
            structured=settings.structured,
        )
        concurrency = settings.concurrency or 8
    else:
        from kgen.llm.embedded import EmbeddedBackend

        if settings.structured not in ("auto",):
            raise InputError(
                f"--structured {settings.structured} applies to OpenAI-compatible servers",
                hint="the embedded model always decodes under a grammar; drop --structured",
            )
        backend = EmbeddedBackend(batch_size=settings.batch_size)
        concurrency = settings.concurrency or 2 * settings.batch_size
    return LLMClient(
        backend,
        cache or ResponseCache(),
        concurrency=concurrency,
        rpm=settings.rpm,
        max_retries=settings.max_retries,
        max_repairs=settings.max_repairs,
        refresh=settings.refresh,
        backoff=Backoff(),
    )
