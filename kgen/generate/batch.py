"""``kgen build-* --batch submit | write | status | collect``: a build through a batch job.

* ``submit`` plans the build against the cache (:mod:`kgen.generate.plan`): every call not
  answered yet whose prompt is known goes into a JSONL request file, one line per call, holding
  exactly the request body a direct call would send, with ``custom_id`` = the cache key
  (``llm-<sha256>``); the file is uploaded (Files API, purpose ``batch``) and a batch is created
  (``/v1/batches``, endpoint ``/v1/chat/completions``, completion window 24 h). The job is
  recorded in ``batches/<dataset>/<command>/job.json`` (:mod:`kgen.llm.batch_job`) after each step.
* ``write`` does the same without uploading: run the file with ``vllm run-batch -i FILE -o OUT``
  and pass ``OUT`` to ``collect --output-file``.
* ``status`` shows each batch's progress.
* ``collect`` downloads the output and error files (when the batch is finished; exit 7 while it
  is not) and hands every answer to the client as the first try of its request: a valid answer is
  stored in the response cache under the key the direct path uses, an invalid one goes through
  the normal repair rounds as direct calls. Calls that depend on the answers just collected (ASKG
  asks for relations between the objects it got) go out as the next round, at once (exit 7 again);
  every kind whose answers are all in is written exactly as the direct path writes it, its
  provenance counting the batch's calls and tokens as the direct path counts its own. Requests
  that got no answer (error lines, an expired or cancelled batch) fail their classes: the files
  keep the rest, and the command exits 5; a new ``--batch submit`` asks only for what is missing.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgen.cache import ResponseCache
from kgen.console import info, progress
from kgen.errors import InputError, SourceUnavailable
from kgen.fileformat import atomic_write_text
from kgen.generate.dry_run import request_body
from kgen.generate.plan import KindPlan, PlannedCall, plan_kinds
from kgen.generate.runner import KindBuilder, run_kinds
from kgen.hashing import sha256_json
from kgen.llm import batch_job as jobs
from kgen.llm.batch_api import ENDPOINT, BatchAPI, BatchInfo
from kgen.llm.batch_job import (
    BatchJob,
    BatchPart,
    BatchRound,
    custom_id,
    job_dir,
    key_of,
    load_job,
    save_job,
)
from kgen.llm.client import Answer, AskFailed, LLMClient, LLMRequest
from kgen.llm.errors import FatalBackendError, GenerationIncomplete, TransientBackendError
from kgen.llm.openai_backend import _public_url, completion_from_body
from kgen.llm.settings import LLMSettings, make_client, offline_client
from kgen.llm.types import Completion
from kgen.llm.usage import Usage, usage_sink

ACTIONS = ("submit", "write", "status", "collect")
PENDING_EXIT = 7  # the batch is not finished (or a next round was just submitted): collect again later


@dataclass
class _Context:
    builders: list[KindBuilder]
    settings: LLMSettings
    command: str
    client: LLMClient

    @property
    def dataset(self) -> str:
        return self.builders[0].dataset.name

    @property
    def base_url(self) -> str | None:
        return self.settings.effective_base_url()

    @property
    def folder(self) -> Path:
        return job_dir(self.dataset, self.command)


def options_sha256(builders: list[KindBuilder], settings: LLMSettings, command: str) -> str:
    """What decides the requests: the command, the classes, the model and the builders' options."""

    def simple(builder: KindBuilder) -> dict[str, Any]:
        return {
            name: (str(value) if isinstance(value, Path) else value)
            for name, value in vars(builder).items()
            if isinstance(value, str | int | float | bool | Path) or value is None
        }

    return sha256_json({
        "command": command,
        "classes": [entry.name for entry in builders[0].dataset.classes],
        "model": settings.effective_model(),
        "structured": settings.structured,
        "builders": [{"kind": b.kind, **simple(b)} for b in builders],
    })


def run_batch(
    builders: list[KindBuilder], settings: LLMSettings, command: str, action: str, output_files: list[Path],
    dry_run: bool = False, prices: Path | None = None,
) -> int:
    """Run one ``--batch`` action; returns the exit code (0, or ``PENDING_EXIT``)."""
    action = action.lower()
    if action not in ACTIONS:
        raise InputError(f"unknown --batch action {action!r}", hint=f"use one of: {', '.join(ACTIONS)}")
    if settings.backend == "embedded":
        raise InputError("--batch runs on an OpenAI-compatible model, not the embedded one",
                         hint="drop --backend embedded and pass --llm-model NAME (and --base-url for a server other than OpenAI's)")
    settings = settings.model_copy(update={"backend": "openai"})
    if settings.refresh:
        raise InputError("--refresh does not go with --batch", hint="a batch job asks only for what the cache lacks; clear answers with `kgen cache clear`")
    if output_files and action != "collect":
        raise InputError("--output-file goes with --batch collect", hint="e.g. --batch collect --output-file results.jsonl")
    for builder in builders:
        builder.check_inputs()
    if dry_run:
        if action not in ("submit", "write"):
            raise InputError("--dry-run goes with --batch submit or write (or no --batch)", hint="drop --dry-run")
        from kgen.generate.dry_run import run_dry

        with ResponseCache() as cache:
            run_dry(builders, offline_client(settings, cache), command, prices)
        return 0
    cache = ResponseCache()
    try:
        client = make_client(settings, cache)
        context = _Context(builders, settings, command, client)
        return asyncio.run(_run_action(context, action, output_files))
    finally:
        cache.close()


async def _run_action(context: _Context, action: str, output_files: list[Path]) -> int:
    try:
        if action in ("submit", "write"):
            return await _submit(context, "api" if action == "submit" else "file")
        if action == "status":
            return _status(context)
        return await _collect(context, output_files)
    finally:
        await context.client.backend.aclose()


# -- submit ----------------------------------------------------------------------------------


async def _submit(context: _Context, target: str) -> int:
    fingerprint = options_sha256(context.builders, context.settings, context.command)
    job = load_job(context.dataset, context.command)
    if job is not None and not job.finished:
        _check_same(job, fingerprint, context)
        unsent = [part for part in job.rounds[-1].parts if part.batch_id is None] if job.rounds else []
        if target == "api" and job.target == "api" and unsent:
            info(f"resuming the submission of round {job.rounds[-1].number} of batch job {job.job_id}")
            _send(context, job, unsent, resuming=True)
            _report_round(context, job, job.rounds[-1])
            return 0
        raise InputError(
            f"a batch job for {context.command} on {context.dataset} is open ({job.job_id}, round {len(job.rounds)})",
            hint="follow it with --batch status and collect it with --batch collect (exit 7 means: not finished yet)",
        )
    plans = await plan_kinds(context.builders, context.client, "frontier")
    if job is not None:
        jobs.archive(job)
    job = BatchJob(
        command=context.command, dataset=context.dataset, kinds=[b.kind for b in context.builders], target=target,  # type: ignore[arg-type]
        model=context.client.backend.model_id, base_url=_public_url(context.base_url), options_sha256=fingerprint,
    )
    if not any(plan.calls for plan in plans):
        info("nothing to submit: every answer this build needs is in the cache; writing the files")
        return await _advance(context, job, plans)
    return _new_round(context, job, plans)


def _check_same(job: BatchJob, fingerprint: str, context: _Context) -> None:
    if job.options_sha256 != fingerprint:
        raise InputError(
            f"batch job {job.job_id} was made with other options, classes or model than this command's",
            hint=f"rerun with the options it was submitted with (model {job.model}), or remove {context.folder} to drop the job",
        )
    if job.target == "api" and job.base_url != _public_url(context.base_url):
        raise InputError(
            f"batch job {job.job_id} was submitted to {job.base_url or 'api.openai.com'}, not {_public_url(context.base_url) or 'api.openai.com'}",
            hint="pass the same --base-url (or OPENAI_BASE_URL) as for --batch submit",
        )


def _new_round(context: _Context, job: BatchJob, plans: list[KindPlan]) -> int:
    """Write the request files of the next round, record them, send them (target api)."""
    calls: list[PlannedCall] = [call for plan in plans for call in plan.calls]
    number = len(job.rounds) + 1
    folder = context.folder
    parts: list[BatchPart] = []
    lines: list[str] = []
    keys: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal lines, keys, size
        name = f"round-{number}-part-{len(parts) + 1}"
        atomic_write_text(folder / f"{name}.requests.jsonl", "".join(lines))
        parts.append(BatchPart(name=name, request_file=f"{name}.requests.jsonl", requests=len(lines), keys=keys))
        lines, keys, size = [], [], 0

    for call in calls:
        line = json.dumps(
            {"custom_id": custom_id(call.key), "method": "POST", "url": ENDPOINT, "body": request_body(context.client, call.request)},
            ensure_ascii=False,
        ) + "\n"
        length = len(line.encode("utf-8"))
        if lines and (len(lines) >= jobs.MAX_REQUESTS or size + length > jobs.MAX_BYTES):
            flush()
        lines.append(line)
        keys.append(call.key)
        size += length
    if lines:
        flush()
    round_ = BatchRound(number=number, created_at=jobs.now(), requests_by_kind=dict(Counter(c.kind for c in calls)), parts=parts)
    job.rounds.append(round_)
    save_job(job)
    if job.target == "api":
        _send(context, job, parts, resuming=False)
    _report_round(context, job, round_)
    return PENDING_EXIT if number > 1 else 0


def _send(context: _Context, job: BatchJob, parts: list[BatchPart], resuming: bool) -> None:
    api = BatchAPI(context.base_url)
    try:
        for part in parts:
            if part.input_file_id is None:
                part.input_file_id = api.upload(context.folder / part.request_file)
                part.status = "uploaded"
                save_job(job)
            if part.batch_id is None:
                metadata = {"kgen_job": job.job_id, "kgen_part": part.name}
                # A run stopped between creating the batch and recording it: find it, never pay twice.
                found = api.find(metadata) if resuming else None
                batch = found or api.create(part.input_file_id, metadata)
                _update(part, batch)
                save_job(job)
    finally:
        api.close()


def _update(part: BatchPart, batch: BatchInfo) -> None:
    part.batch_id = batch.id
    part.status = batch.status
    part.completed, part.failed = batch.completed, batch.failed
    if batch.created_at and part.created_at is None:
        part.created_at = datetime.fromtimestamp(batch.created_at, UTC).isoformat()


def _report_round(context: _Context, job: BatchJob, round_: BatchRound) -> None:
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in round_.requests_by_kind.items())
    total = sum(part.requests for part in round_.parts)
    info(f"batch job {job.job_id}, round {round_.number}: {total:,} requests ({kinds}) in {len(round_.parts)} file(s) under {_shown(context.folder)}")
    for part in round_.parts:
        if job.target == "api":
            info(f"  {part.name}: batch {part.batch_id} ({part.status}), file {part.input_file_id}")
        else:
            output = context.folder / f"{part.name}.output.jsonl"
            info(f"  {part.name}: vllm run-batch -i {context.folder / part.request_file} -o {output} --model {job.model}")
    if job.target == "api":
        info("the Batch API answers within 24 h: follow it with --batch status, then rerun this command with --batch collect")
    else:
        info("then rerun this command with --batch collect --output-file OUTPUT (one --output-file per output file)")


def _shown(path: Path) -> str:
    from kgen import paths

    try:
        return str(path.relative_to(paths.workspace_root()))
    except ValueError:
        return str(path)


# -- status ----------------------------------------------------------------------------------


def _load(context: _Context) -> BatchJob:
    job = load_job(context.dataset, context.command)
    if job is None:
        raise InputError(
            f"no batch job for {context.command} on {context.dataset} in this workspace",
            hint="start one with --batch submit (or --batch write for vllm run-batch)",
        )
    return job


def _status(context: _Context) -> int:
    job = _load(context)
    state = "finished" if job.finished else f"round {len(job.rounds)}"
    info(f"batch job {job.job_id} ({job.target}, model {job.model}, created {job.created_at}): {state}")
    if job.written:
        info("  written: " + ", ".join(f"{kind} ({failed} class(es) failed)" if failed else kind for kind, failed in job.written.items()))
    if job.failed:
        info(f"  requests without an answer so far: {len(job.failed):,}")
    if not job.rounds:
        return 0
    round_ = job.rounds[-1]
    api = BatchAPI(context.base_url) if job.target == "api" else None
    try:
        for part in round_.parts:
            if api is not None and part.batch_id and not part.collected:
                _update(part, api.retrieve(part.batch_id))
            counts = f"{part.completed:,} completed, {part.failed:,} failed of {part.requests:,}" if job.target == "api" else f"{part.requests:,} requests"
            status = "collected" if part.collected else part.status
            info(f"  {part.name}: {part.batch_id or part.request_file}: {status}; {counts}")
    finally:
        if api is not None:
            api.close()
    save_job(job)
    return 0


# -- collect ---------------------------------------------------------------------------------


def _read_lines(paths: list[Path]) -> tuple[list[dict[str, Any]], int]:
    lines: list[dict[str, Any]] = []
    unreadable = 0
    for path in paths:
        if not path.exists():
            raise InputError(f"{path} does not exist", hint="give the output file that vllm run-batch (or the Batch API) wrote")
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                unreadable += 1
                continue
            if isinstance(line, dict) and isinstance(line.get("custom_id"), str):
                lines.append(line)
            else:
                unreadable += 1
    return lines, unreadable


def _line_error(line: dict[str, Any]) -> str:
    error = line.get("error")
    if isinstance(error, dict):
        return f"{error.get('code') or 'error'}: {error.get('message') or 'no message'}"
    if error:
        return str(error)[:300]
    response = line.get("response") or {}
    body = response.get("body") if isinstance(response, dict) else None
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    return f"HTTP {response.get('status_code') if isinstance(response, dict) else '?'}: {message or 'no answer'}"


_MISSING = {
    "expired": "the batch expired (24 h) before this request ran",
    "cancelled": "the batch was cancelled before this request ran",
    "failed": "the batch failed",
}


async def _collect(context: _Context, output_files: list[Path]) -> int:
    job = _load(context)
    _check_same(job, options_sha256(context.builders, context.settings, context.command), context)
    if job.finished:
        info(f"batch job {job.job_id} is finished: its files are written (a new --batch submit starts another job)")
        return _final(job)
    round_ = job.rounds[-1]
    unsent = [part for part in round_.parts if part.batch_id is None]
    if job.target == "api" and unsent and not output_files:
        info(f"round {round_.number} was not fully submitted: submitting the rest")
        _send(context, job, unsent, resuming=True)
        return PENDING_EXIT
    sources: list[Path]
    part_status: dict[str, str] = {}
    if output_files:
        sources = list(output_files)
    elif job.target == "file":
        raise InputError(
            f"round {round_.number} of batch job {job.job_id} was written for an offline run",
            hint="run it with `vllm run-batch` (see --batch status) and pass its output with --output-file FILE",
        )
    else:
        ready = _fetch_outputs(context, job, round_)
        if not ready:
            return PENDING_EXIT
        sources = [context.folder / name for part in round_.parts for name in (part.output_file, part.error_file) if name]
        part_status = {key: part.status for part in round_.parts for key in part.keys}
    if job.target == "file" and not context.base_url:
        context.client.max_repairs = 0  # no server to repair an invalid answer with: it fails its class
    lines, unreadable = _read_lines(sources)
    plans = await plan_kinds(context.builders, context.client, "frontier", job.failed)
    frontier = {call.key: call for plan in plans for call in plan.calls}
    round_keys = round_.keys
    firsts: dict[str, Completion] = {}
    errors: dict[str, str] = {}
    unknown = 0
    mode = context.client.backend.structured_mode
    for line in lines:
        key = key_of(line["custom_id"])
        if key not in round_keys:
            unknown += 1
            continue
        response = line.get("response")
        body = response.get("body") if isinstance(response, dict) else None
        if isinstance(response, dict) and response.get("status_code") == 200 and isinstance(body, dict) and not line.get("error"):
            try:
                firsts[key] = completion_from_body(body, mode)
            except TransientBackendError as exc:
                errors[key] = str(exc)
        else:
            errors[key] = _line_error(line)
    todo = [(frontier[key], firsts[key]) for key in frontier if key in round_keys and key in firsts]
    before = len(job.failed)
    for key in frontier:
        if key not in round_keys or key in firsts:
            continue
        status = part_status.get(key, "completed")
        job.failed[key] = errors.get(key) or _MISSING.get(status, "no line for this request in the batch's output or error file")
    fatal = await _take_answers(context, job, todo)
    for part in round_.parts:
        part.collected = fatal is None
    save_job(job)
    failed_now = len(job.failed) - before
    info(
        f"batch job {job.job_id}, round {round_.number}: {len(todo):,} answers read, {failed_now:,} requests without a valid answer"
        + (f", {unknown:,} lines of other requests ignored" if unknown else "")
        + (f", {unreadable:,} unreadable lines" if unreadable else "")
    )
    if fatal is not None:
        error = SourceUnavailable if fatal.unavailable else InputError
        raise error(f"while repairing invalid batch answers: {fatal}", hint=fatal.hint or "rerun --batch collect: answers already stored are kept")
    return await _advance(context, job)


def _fetch_outputs(context: _Context, job: BatchJob, round_: BatchRound) -> bool:
    """Retrieve each batch of the round and download its files; False while any is unfinished."""
    api = BatchAPI(context.base_url)
    try:
        waiting = []
        for part in round_.parts:
            if part.collected or part.batch_id is None:
                continue
            batch = api.retrieve(part.batch_id)
            _update(part, batch)
            if not batch.finished:
                waiting.append(f"{part.batch_id} {batch.status} ({batch.completed + batch.failed:,}/{batch.total or part.requests:,})")
                continue
            if batch.output_file_id and part.output_file is None:
                part.output_file = api.download(batch.output_file_id, context.folder / f"{part.name}.output.jsonl").name
            if batch.error_file_id and part.error_file is None:
                part.error_file = api.download(batch.error_file_id, context.folder / f"{part.name}.errors.jsonl").name
            if batch.status == "failed":
                reason = "; ".join(batch.errors) or "no reason given"
                for key in part.keys:
                    job.failed.setdefault(key, f"the batch failed: {reason}"[:500])
        save_job(job)
        if waiting:
            info(f"batch job {job.job_id}, round {round_.number}: not finished yet: {', '.join(waiting)}; collect again later")
            return False
        return True
    finally:
        api.close()


async def _take_answers(context: _Context, job: BatchJob, todo: list[tuple[PlannedCall, Completion]]) -> FatalBackendError | None:
    """Each answer as the first try of its request (validated, stored, or repaired directly)."""
    fatal: list[FatalBackendError] = []

    async def one(call: PlannedCall, first: Completion) -> None:
        usage = Usage()
        token = usage_sink.set(usage)
        try:
            await context.client.ask(call.request, first=first)
        except AskFailed as exc:
            job.failed[call.key] = exc.reason
        except FatalBackendError as exc:
            fatal.append(exc)
            return
        finally:
            usage_sink.reset(token)
        job.answers[call.key] = {name: value for name, value in usage.model_dump().items() if value}

    if not todo:
        return None
    with progress() as bar:
        task = bar.add_task("collecting answers", total=len(todo))

        async def tracked(call: PlannedCall, first: Completion) -> None:
            try:
                await one(call, first)
            finally:
                bar.advance(task)

        await asyncio.gather(*(tracked(call, first) for call, first in todo))
    return fatal[0] if fatal else None


class ReplayClient(LLMClient):
    """Serves a batch job's answers from the cache to the builders when the files are written,
    counting the calls that paid for them (batch lines and repair rounds) as the direct path
    counts its own; a question the job has no answer for fails its class with the reason."""

    def __init__(self, client: LLMClient, job: BatchJob) -> None:
        super().__init__(client.backend, client.cache)
        self.job = job

    async def ask(self, request: LLMRequest, first: Completion | None = None) -> Answer:
        key = self.cache_key(request)
        paid = self.job.answers.get(key)
        hit = self.cached_answer(request)
        if paid is not None:
            for name, amount in paid.items():
                self._count(name, amount)
        if hit is not None:
            if paid is None:
                self._count("cached")
                return hit
            return replace(hit, cached=False)
        raise AskFailed(request.purpose, self.job.failed.get(key, "no answer from the batch job"))


async def _advance(context: _Context, job: BatchJob, plans: list[KindPlan] | None = None) -> int:
    """Write every kind whose answers are all in; send the next round for the others."""
    if plans is None:
        plans = await plan_kinds(context.builders, context.client, "frontier", job.failed)
    ready = [b for b, plan in zip(context.builders, plans, strict=True) if plan.ready and b.kind not in job.written]
    if ready:
        outcomes = await run_kinds(ready, ReplayClient(context.client, job))
        for outcome in outcomes:
            job.written[outcome.kind] = len(outcome.failures)
    pending = [plan for plan in plans if not plan.ready]
    if pending:
        save_job(job)
        waiting = ", ".join(f"{plan.kind} {len(plan.calls):,}" for plan in pending)
        info(f"calls that depend on the answers collected ({waiting}) go out as round {len(job.rounds) + 1}")
        _new_round(context, job, pending)
        return PENDING_EXIT
    job.finished = True
    save_job(job)
    return _final(job)


def _final(job: BatchJob) -> int:
    failed = {kind: count for kind, count in job.written.items() if count}
    if failed:
        counts = ", ".join(f"{kind}: {count}" for kind, count in failed.items())
        raise GenerationIncomplete(
            f"batch job {job.job_id}: some classes got no valid answer ({counts}); what succeeded was written",
            hint="--batch submit starts a new job that asks only for what is missing (or rerun without --batch)",
        )
    return 0


__all__ = ["ACTIONS", "PENDING_EXIT", "ReplayClient", "options_sha256", "run_batch"]
