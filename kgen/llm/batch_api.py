"""The OpenAI Batch API endpoints kgen uses, through the ``openai`` client: upload a request
file (Files API, purpose ``batch``), create a batch (``/v1/batches``, endpoint
``/v1/chat/completions``, completion window 24 h), retrieve and list batches, download output and
error files. Failures become :class:`~kgen.errors.KgenError` with a hint (a server that cannot be
reached: exit 4; credentials, a server without these endpoints: exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openai
from pydantic import BaseModel, ConfigDict

from kgen.errors import InputError, SourceUnavailable
from kgen.llm.openai_backend import CONNECT_TIMEOUT_S, _error_text, _public_url

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
TERMINAL = ("completed", "expired", "failed", "cancelled")
T = TypeVar("T")


class BatchInfo(BaseModel):
    """What kgen keeps of a batch object."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: str
    input_file_id: str = ""
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int | None = None
    expires_at: int | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0
    errors: list[str] = []
    metadata: dict[str, str] = {}

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def _info(batch: Any) -> BatchInfo:
    counts = getattr(batch, "request_counts", None)
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    return BatchInfo(
        id=batch.id,
        status=batch.status,
        input_file_id=getattr(batch, "input_file_id", "") or "",
        output_file_id=getattr(batch, "output_file_id", None),
        error_file_id=getattr(batch, "error_file_id", None),
        created_at=getattr(batch, "created_at", None),
        expires_at=getattr(batch, "expires_at", None),
        completed=int(getattr(counts, "completed", 0) or 0),
        failed=int(getattr(counts, "failed", 0) or 0),
        total=int(getattr(counts, "total", 0) or 0),
        errors=[f"{e.code or 'error'}{f' (line {e.line})' if e.line else ''}: {e.message}" for e in errors],
        metadata=dict(getattr(batch, "metadata", None) or {}),
    )


class BatchAPI:
    def __init__(self, base_url: str | None, timeout_s: float = 300.0) -> None:
        self.base_url = base_url
        self.where = _public_url(base_url) or "api.openai.com"
        self._client = openai.OpenAI(
            api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
            max_retries=2,
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, doing: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except openai.AuthenticationError as exc:
            raise InputError(f"{self.where} refused the credentials while {doing} (401): {_error_text(exc)}",
                             hint="set OPENAI_API_KEY to a valid key for this server") from exc
        except openai.NotFoundError as exc:
            raise InputError(
                f"{self.where} has no such Batch API endpoint or object while {doing} (404): {_error_text(exc)}",
                hint="a server without the Batch API (vLLM's OpenAI server, llama.cpp) cannot take --batch submit: write the "
                "file with --batch write and run it with `vllm run-batch`, then --batch collect --output-file FILE",
            ) from exc
        except openai.APIConnectionError as exc:
            raise SourceUnavailable(f"cannot reach {self.where} while {doing}: {exc}",
                                    hint="check the network and --base-url; rerun the same command: nothing is lost") from exc
        except openai.APIStatusError as exc:
            raise InputError(f"{self.where} refused {doing} ({exc.status_code}): {_error_text(exc)}",
                             hint="check the request file and the account's Batch API limits") from exc

    def upload(self, path: Path) -> str:
        def action() -> str:
            with path.open("rb") as handle:
                return self._client.files.create(file=(path.name, handle, "application/jsonl"), purpose="batch").id

        return self._call(f"uploading {path.name}", action)

    def create(self, input_file_id: str, metadata: dict[str, str]) -> BatchInfo:
        return self._call(
            "creating the batch",
            lambda: _info(self._client.batches.create(
                input_file_id=input_file_id, endpoint=ENDPOINT, completion_window=COMPLETION_WINDOW, metadata=metadata,
            )),
        )

    def retrieve(self, batch_id: str) -> BatchInfo:
        return self._call(f"reading batch {batch_id}", lambda: _info(self._client.batches.retrieve(batch_id)))

    def find(self, metadata: dict[str, str], pages: int = 5) -> BatchInfo | None:
        """The newest batch whose metadata holds ``metadata`` (one created by a run that stopped
        before it could record the batch's id), among the latest ``pages`` x 100 batches."""

        def action() -> BatchInfo | None:
            page = self._client.batches.list(limit=100)
            for _ in range(pages):
                for batch in page.data:
                    info = _info(batch)
                    if all(info.metadata.get(k) == v for k, v in metadata.items()):
                        return info
                if not page.has_next_page():
                    return None
                page = page.get_next_page()
            return None

        return self._call("listing batches", action)

    def download(self, file_id: str, path: Path) -> Path:
        from kgen.fileformat import atomic_write_bytes

        content = self._call(f"downloading file {file_id}", lambda: self._client.files.content(file_id).read())
        atomic_write_bytes(path, content)
        return path
