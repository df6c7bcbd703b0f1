"""A local stand-in of the OpenAI Batch API, on top of the fake chat-completions server.

Real HTTP on 127.0.0.1 with the wire format of the endpoints kgen uses:

* ``POST /v1/files`` (multipart form: ``file``, ``purpose``), ``GET /v1/files/{id}/content``;
* ``POST /v1/batches`` (``input_file_id``, ``endpoint``, ``completion_window``, ``metadata``),
  ``GET /v1/batches/{id}``, ``GET /v1/batches`` (a list page, newest first).

A batch is created ``in_progress`` and stays so until the test calls :meth:`BatchServer.finish`
(or at once with ``auto_finish=True``). Finishing runs every request line through the same
replies as the direct endpoint (script, handler, or a valid answer for the schema), writes the
output file (status 200 lines) and the error file (other lines; with ``expire_after=N`` only the
first N lines run and the rest get ``batch_expired``), exactly as the Batch API lays them out.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from typing import Any

from openai_server import FakeOpenAIServer, Reply

_BATCH = re.compile(r"^/v1/batches/([^/?]+)$")
_CONTENT = re.compile(r"^/v1/files/([^/?]+)/content$")


class BatchServer(FakeOpenAIServer):
    def __init__(self, *args: Any, auto_finish: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auto_finish = auto_finish
        self.files: dict[str, dict[str, Any]] = {}  # id -> {"bytes": ..., "purpose": ..., "filename": ...}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_requests: list[dict[str, Any]] = []  # every request body run inside a batch
        self.api_calls: list[tuple[str, str]] = []  # (method, path) of every Files/Batches call
        self._batch_lock = threading.Lock()

    # -- control ---------------------------------------------------------------------------
    @property
    def everything(self) -> int:
        """Requests of any kind this server received."""
        return self.count + len(self.api_calls)

    def finish(self, expire_after: int | None = None, fail: set[str] | None = None) -> None:
        """Run every unfinished batch. ``expire_after``: only that many lines run, the batch
        expires. ``fail``: request bodies whose user message contains one of these strings get
        a 500 error line."""
        with self._batch_lock:
            pending = [b for b in self.batches.values() if b["status"] in ("validating", "in_progress")]
        for batch in pending:
            self._run(batch, expire_after, fail or set())

    # -- the endpoints ---------------------------------------------------------------------
    def handle_extra(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, str] | None:
        route = path.split("?")[0].rstrip("/")
        if not (route.startswith("/v1/files") or route.startswith("/v1/batches")):
            return None
        with self._lock:
            self.api_calls.append((method, route))
        if method == "POST" and route == "/v1/files":
            return self._upload(headers, raw)
        if method == "GET" and (found := _CONTENT.match(route)):
            stored = self.files.get(found.group(1))
            if stored is None:
                return _error(404, f"No such File object: {found.group(1)}")
            return 200, stored["bytes"], "application/octet-stream"
        if method == "POST" and route == "/v1/batches":
            return self._create(json.loads(raw or b"{}"))
        if method == "GET" and route == "/v1/batches":
            with self._batch_lock:
                data = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
            page = {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None, "has_more": False}
            return 200, json.dumps(page).encode(), "application/json"
        if method == "GET" and (found := _BATCH.match(route)):
            batch = self.batches.get(found.group(1))
            if batch is None:
                return _error(404, f"No batch found with id '{found.group(1)}'.")
            return 200, json.dumps(batch).encode(), "application/json"
        return _error(404, f"no route {method} {route}")

    def _upload(self, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, str]:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_payload(decode=True))
        if "file" not in fields or "purpose" not in fields:
            return _error(400, "'file' and 'purpose' are required")
        purpose = fields["purpose"][1].decode()
        if purpose != "batch":
            return _error(400, f"unexpected purpose {purpose}")
        with self._batch_lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = {"bytes": fields["file"][1], "purpose": purpose, "filename": fields["file"][0]}
        body = {"id": file_id, "object": "file", "bytes": len(fields["file"][1]), "created_at": int(time.time()),
                "filename": fields["file"][0], "purpose": purpose, "status": "processed"}
        return 200, json.dumps(body).encode(), "application/json"

    def _create(self, request: dict[str, Any]) -> tuple[int, bytes, str]:
        if request.get("endpoint") != "/v1/chat/completions" or request.get("completion_window") != "24h":
            return _error(400, "endpoint must be /v1/chat/completions and completion_window 24h")
        if request.get("input_file_id") not in self.files:
            return _error(400, f"No such File object: {request.get('input_file_id')}")
        lines = [line for line in self.files[request["input_file_id"]]["bytes"].decode().splitlines() if line.strip()]
        now = int(time.time())
        with self._batch_lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            batch = {
                "id": batch_id, "object": "batch", "endpoint": request["endpoint"], "errors": None,
                "input_file_id": request["input_file_id"], "completion_window": "24h", "status": "in_progress",
                "output_file_id": None, "error_file_id": None, "created_at": now + len(self.batches),
                "in_progress_at": now, "expires_at": now + 86400, "completed_at": None, "expired_at": None,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "metadata": request.get("metadata") or {},
            }
            self.batches[batch_id] = batch
        if self.auto_finish:
            self._run(batch, None, set())
        return 200, json.dumps(batch).encode(), "application/json"

    def _run(self, batch: dict[str, Any], expire_after: int | None, fail: set[str]) -> None:
        lines = [json.loads(line) for line in self.files[batch["input_file_id"]]["bytes"].decode().splitlines() if line.strip()]
        outputs, errors = [], []
        for index, line in enumerate(lines):
            number = f"{batch['id']}-{index + 1}"
            if expire_after is not None and index >= expire_after:
                errors.append({"id": f"batch_req_{number}", "custom_id": line["custom_id"], "response": None, "error": {
                    "code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})
                continue
            body = line["body"]
            with self._lock:
                self.batch_requests.append(body)
            user = (body.get("messages") or [{}])[-1].get("content", "")
            reply = Reply.server_error() if any(marker in user for marker in fail) else self._reply_for(body)
            response = {"status_code": reply.status, "request_id": f"req_{number}", "body": self.response_body(body, reply, index + 1)}
            entry = {"id": f"batch_req_{number}", "custom_id": line["custom_id"], "response": response, "error": None}
            (outputs if reply.status == 200 else errors).append(entry)
        with self._batch_lock:
            for kind, entries in (("output", outputs), ("error", errors)):
                if entries:
                    file_id = f"file-{len(self.files) + 1}"
                    data = "".join(json.dumps(e) + "\n" for e in entries).encode()
                    self.files[file_id] = {"bytes": data, "purpose": f"batch_{kind}", "filename": f"{batch['id']}_{kind}.jsonl"}
                    batch[f"{kind}_file_id"] = file_id
            expired = expire_after is not None and expire_after < len(lines)
            batch["status"] = "expired" if expired else "completed"
            batch["expired_at" if expired else "completed_at"] = int(time.time())
            batch["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}


def _error(status: int, message: str) -> tuple[int, bytes, str]:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return status, json.dumps(body).encode(), "application/json"
