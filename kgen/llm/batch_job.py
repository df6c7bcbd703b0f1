"""The record of one batch job in the workspace: ``batches/<dataset>/<command>/job.json``
(format ``kgen.batch-job``), saved after every step, so that a run stopped at any point (after
the upload, after the batch was created, in the middle of collecting) goes on from there.

A job has rounds: round 1 holds every call whose prompt is known; calls that depend on an
answer (ASKG's relations need its objects) go out in the next round, made when the previous one
is collected. A round has one part per request file (at most ``MAX_REQUESTS`` lines and
``MAX_BYTES`` bytes each: the Batch API's limits are 50 000 requests and 200 MB a file).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen import paths
from kgen.fileformat import VersionedFile

JOB_FILE = "job.json"
MAX_REQUESTS = 50_000
MAX_BYTES = 190 * 1024 * 1024


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def custom_id(key: str) -> str:
    """A request's ``custom_id``: its cache key, ``llm:<sha256>`` -> ``llm-<sha256>``."""
    namespace, _, digest = key.partition(":")
    return f"{namespace}-{digest}"


def key_of(custom: str) -> str:
    namespace, _, digest = custom.partition("-")
    return f"{namespace}:{digest}"


class BatchPart(BaseModel):
    """One request file and the batch made of it."""

    model_config = ConfigDict(extra="forbid")

    name: str  # round-1-part-1
    request_file: str  # in the job's folder
    requests: int
    keys: list[str]  # the cache keys of its lines, in order
    input_file_id: str | None = None
    batch_id: str | None = None
    created_at: str | None = None  # when the batch was created
    status: str = "written"  # written, uploaded, then the Batch API's status (validating ... completed, expired ...)
    completed: int = 0
    failed: int = 0
    output_file: str | None = None  # local copy of the output file (downloaded, or given with --output-file)
    error_file: str | None = None
    collected: bool = False


class BatchRound(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: int
    created_at: str
    requests_by_kind: dict[str, int]
    parts: list[BatchPart]

    @property
    def keys(self) -> set[str]:
        return {key for part in self.parts for key in part.keys}


class BatchJob(VersionedFile):
    FORMAT = "kgen.batch-job"
    VERSION = 1

    job_id: str = Field(default_factory=lambda: "kgen-" + secrets.token_hex(6))
    command: str
    dataset: str
    kinds: list[str]
    target: Literal["api", "file"]  # api: uploaded to a Batch API; file: written for `vllm run-batch`
    endpoint: str = "/v1/chat/completions"
    completion_window: str = "24h"
    backend: str = "openai"
    model: str
    base_url: str | None = None
    options_sha256: str  # the command's options and classes: collect refuses other ones
    created_at: str = Field(default_factory=now)
    rounds: list[BatchRound] = []
    # cache key -> usage of the calls that answered it (the batch line, repair rounds): written into
    # the knowledge files' provenance as if the calls had been direct ones
    answers: dict[str, dict[str, int]] = {}
    failed: dict[str, str] = {}  # cache key -> why it has no answer (error line, expired, invalid)
    written: dict[str, int] = {}  # kind -> classes that failed in it, for the kinds whose file is written
    finished: bool = False

    @property
    def keys(self) -> set[str]:
        return {key for round_ in self.rounds for key in round_.keys}


def job_dir(dataset: str, command: str) -> Path:
    return paths.workspace_root() / "batches" / dataset / command


def load_job(dataset: str, command: str) -> BatchJob | None:
    path = job_dir(dataset, command) / JOB_FILE
    return BatchJob.load(path) if path.exists() else None


def save_job(job: BatchJob) -> Path:
    return job.save(job_dir(job.dataset, job.command) / JOB_FILE)


def archive(job: BatchJob) -> Path:
    """Move a finished job's folder aside (``<command>.<job id>``) before a new job starts."""
    folder = job_dir(job.dataset, job.command)
    target = folder.with_name(f"{folder.name}.{job.job_id}")
    folder.rename(target)
    return target
