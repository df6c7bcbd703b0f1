"""Batch jobs (``--batch submit|write|status|collect``) against a local stand-in of the Batch API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from batch_server import BatchServer
from openai_server import FakeOpenAIServer, Reply
from test_knowledge_builds import REPO, write_descriptions

from kgen.knowledge.base import load_knowledge
from kgen.llm import batch_job as jobs
from kgen.llm.batch_job import BatchJob

TWO = ["abseiling", "brush hair"]
THREE = ["abseiling", "brush hair", "ride bike"]
PENDING = 7


def classes_file(tmp_path: Path, names: list[str], stem: str) -> Path:
    path = tmp_path / f"{stem}.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


def use_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    monkeypatch.setenv("KGEN_ROOT", str(root))
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / f"{name}-cache"))
    return root


def without_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timestamps(v) for k, v in value.items() if k not in ("created_at", "generated_at")}
    if isinstance(value, list):
        return [without_timestamps(v) for v in value]
    return value


def knowledge_files(root: Path, dataset: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted((root / "knowledge" / dataset).iterdir()):
        if path.suffix == ".json":
            out[path.name] = without_timestamps(json.loads(path.read_text()))
        else:
            out[path.name] = path.read_text()
    return out


def job_of(root: Path, dataset: str, command: str) -> BatchJob:
    return BatchJob.load(root / "batches" / dataset / command / "job.json")


def test_batch_build_writes_the_same_files_as_the_direct_path(run_cli, tmp_path, monkeypatch) -> None:
    two = classes_file(tmp_path, TWO, "two")
    with BatchServer() as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model"]
        direct_root = use_workspace(monkeypatch, tmp_path, "direct")
        write_descriptions("two", two)
        result = run_cli("build-all", "--classes", str(two), *llm)
        assert result.exit_code == 0, result.stderr
        direct_requests = [json.dumps(r, sort_keys=True) for r in server.requests]
        assert len(direct_requests) == 2 * (3 + 7 + 1 + 1)

        batch_root = use_workspace(monkeypatch, tmp_path, "batch")
        write_descriptions("two", two)
        monkeypatch.setattr(jobs, "MAX_REQUESTS", 5)  # round 1 (14 requests) goes out in 3 files
        submitted = run_cli("build-all", "--classes", str(two), *llm, "--batch", "submit")
        assert submitted.exit_code == 0, submitted.stderr
        job = job_of(batch_root, "two", "build-all")
        assert [part.requests for part in job.rounds[0].parts] == [5, 5, 4]
        assert len(server.batches) == 3 and all(b["status"] == "in_progress" for b in server.batches.values())
        # the request file: one line per call, custom_id = the cache key, the direct path's exact body
        part = job.rounds[0].parts[0]
        lines = [json.loads(line) for line in (batch_root / "batches/two/build-all" / part.request_file).read_text().splitlines()]
        assert [line["custom_id"] for line in lines] == [key.replace("llm:", "llm-") for key in part.keys]
        assert all(line["method"] == "POST" and line["url"] == "/v1/chat/completions" for line in lines)

        status = run_cli("build-all", "--classes", str(two), *llm, "--batch", "status")
        assert status.exit_code == 0 and "in_progress" in status.stderr
        early = run_cli("build-all", "--classes", str(two), *llm, "--batch", "collect")
        assert early.exit_code == PENDING and "not finished yet" in early.stderr

        rounds = 0
        code = PENDING
        while code == PENDING:
            server.finish()
            collected = run_cli("build-all", "--classes", str(two), *llm, "--batch", "collect")
            code = collected.exit_code
            rounds += 1
            assert code in (0, PENDING), collected.stderr
        assert rounds == 3  # ASKG: objects and sub-actions; their relations; the sentences
        assert server.count == len(direct_requests)  # not one direct call on the batch path
        batch_requests = [json.dumps(r, sort_keys=True) for r in server.batch_requests]
        again = run_cli("build-all", "--classes", str(two), *llm, "--batch", "collect")
        assert again.exit_code == 0 and "finished" in again.stderr
    assert sorted(batch_requests) == sorted(direct_requests)
    assert job_of(batch_root, "two", "build-all").finished
    assert knowledge_files(batch_root, "two") == knowledge_files(direct_root, "two")
    usage = load_knowledge("two", "askg").provenance.usage
    assert usage["calls"] == 14 and usage["answered"] == 14 and usage["prompt_tokens"] > 0


def test_submit_resumes_after_a_crash_and_collect_needs_only_the_workspace(run_cli, tmp_path, monkeypatch, isolated_workspace) -> None:
    three = classes_file(tmp_path, THREE, "three")
    from kgen.llm.batch_api import BatchAPI

    real_create = BatchAPI.create

    def create_then_die(self, input_file_id, metadata):
        real_create(self, input_file_id, metadata)
        raise KeyboardInterrupt  # killed after the batch was made, before its id was recorded

    with BatchServer() as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model"]
        monkeypatch.setattr(BatchAPI, "create", create_then_die)
        crashed = run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "submit")
        assert crashed.exit_code == 130
        part = job_of(isolated_workspace, "three", "build-descriptions").rounds[0].parts[0]
        assert part.input_file_id == "file-1" and part.batch_id is None
        monkeypatch.setattr(BatchAPI, "create", real_create)

        resumed = run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "submit")
        assert resumed.exit_code == 0, resumed.stderr
        assert "resuming" in resumed.stderr
        assert len(server.batches) == 1 and len(server.files) == 1  # found by its metadata: not made twice
        assert job_of(isolated_workspace, "three", "build-descriptions").rounds[0].parts[0].batch_id == "batch_1"
        server.finish()

        # collect in another process: everything it needs is in the workspace and the cache
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "cli", "build-descriptions", "--classes", str(three), *llm, "--batch", "collect"]
        collected = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert collected.returncode == 0, collected.stderr
        assert server.count == 0
    assert [c.class_name for c in load_knowledge("three", "action-descriptions").classes] == THREE


def test_error_lines_and_an_expired_batch_fail_their_classes_with_exit_5(run_cli, tmp_path) -> None:
    three = classes_file(tmp_path, THREE, "three")
    with BatchServer() as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model"]
        assert run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "submit").exit_code == 0
        server.finish(fail={'"brush hair"'})
        result = run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "collect")
        assert result.exit_code == 5, result.stderr
        text = " ".join(result.stderr.split())
        assert "brush hair" in text and "HTTP 500" in text and "1 class(es) failed" in text
        assert [c.class_name for c in load_knowledge("three", "action-descriptions").classes] == ["abseiling", "ride bike"]
        assert server.count == 0  # an error line is reported, not retried as a direct call

        # a new job asks only for what is missing; this batch expires before it runs
        resubmitted = run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "submit")
        assert resubmitted.exit_code == 0, resubmitted.stderr
        assert "1 requests" in " ".join(resubmitted.stderr.split())
        server.finish(expire_after=0)
        expired = run_cli("build-descriptions", "--classes", str(three), *llm, "--batch", "collect")
        assert expired.exit_code == 5
        assert "expired" in expired.stderr and "brush hair" in expired.stderr
        assert len(load_knowledge("three", "action-descriptions").classes) == 2


def test_an_invalid_batch_answer_goes_through_repair_rounds_as_direct_calls(run_cli, tmp_path) -> None:
    two = classes_file(tmp_path, TWO, "two")
    with BatchServer() as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model"]
        assert run_cli("build-descriptions", "--classes", str(two), *llm, "--batch", "submit").exit_code == 0
        server.script(Reply(content='{"items": []}'))  # the first line of the batch gets an empty list
        server.finish()
        result = run_cli("build-descriptions", "--classes", str(two), *llm, "--batch", "collect")
        assert result.exit_code == 0, result.stderr
        assert server.count == 1  # one repair round, sent directly
        repair = server.requests[0]["messages"]
        assert repair[-2] == {"role": "assistant", "content": '{"items": []}'}
        assert repair[-1]["content"].startswith("Your answer could not be used: the answer has 0 usable sentences")
    knowledge = load_knowledge("two", "action-descriptions")
    assert len(knowledge.classes) == 2
    assert knowledge.provenance.usage["calls"] == 3 and knowledge.provenance.usage["repairs"] == 1


def vllm_run_batch(requests: Path, output: Path, fail: str | None = None) -> None:
    """What `vllm run-batch -i requests -o output` writes: one output line per request (the same
    answers as the fake server), a failed request as a line with a status code and an error."""
    out = []
    for number, raw in enumerate(requests.read_text().splitlines(), start=1):
        line = json.loads(raw)
        body = line["body"]
        if fail and fail in body["messages"][-1]["content"]:
            out.append({"id": f"vllm-{number}", "custom_id": line["custom_id"],
                        "response": {"status_code": 400, "request_id": f"vllm-batch-{number}", "body": None},
                        "error": "The prompt is too long for this model"})
            continue
        reply = FakeOpenAIServer.default_reply(body)
        out.append({"id": f"vllm-{number}", "custom_id": line["custom_id"],
                    "response": {"status_code": 200, "request_id": f"vllm-batch-{number}",
                                 "body": FakeOpenAIServer.response_body(body, reply, number)}, "error": None})
    output.write_text("".join(json.dumps(line) + "\n" for line in out))


def test_write_for_vllm_run_batch_and_collect_its_output_file(run_cli, tmp_path, isolated_workspace, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    three = classes_file(tmp_path, THREE, "three")
    written = run_cli("build-descriptions", "--classes", str(three), "--model", "my-vllm-model", "--batch", "write")
    assert written.exit_code == 0, written.stderr
    assert "vllm run-batch -i" in " ".join(written.stderr.split())
    folder = isolated_workspace / "batches" / "three" / "build-descriptions"
    requests = folder / "round-1-part-1.requests.jsonl"
    first = json.loads(requests.read_text().splitlines()[0])
    assert first["body"]["model"] == "my-vllm-model" and first["body"]["response_format"]["type"] == "json_schema"

    missing = run_cli("build-descriptions", "--classes", str(three), "--model", "my-vllm-model", "--batch", "collect")
    assert missing.exit_code == 2 and "--output-file" in missing.stderr

    output = tmp_path / "out.jsonl"
    vllm_run_batch(requests, output, fail='"ride bike"')
    result = run_cli("build-descriptions", "--classes", str(three), "--model", "my-vllm-model", "--batch", "collect", "--output-file", str(output))
    assert result.exit_code == 5, result.stderr
    assert "The prompt is too long" in result.stderr
    knowledge = load_knowledge("three", "action-descriptions")
    assert [c.class_name for c in knowledge.classes] == ["abseiling", "brush hair"]
    assert knowledge.provenance.model == "my-vllm-model"


def test_collect_refuses_other_options_and_batch_refuses_the_embedded_backend(run_cli, tmp_path) -> None:
    two = classes_file(tmp_path, TWO, "two")
    with BatchServer() as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model"]
        assert run_cli("build-askg", "--classes", str(two), *llm, "--batch", "submit").exit_code == 0
        other = run_cli("build-askg", "--classes", str(two), *llm, "--k-max", "8", "--batch", "collect")
        assert other.exit_code == 2 and "other options" in other.stderr
        twice = run_cli("build-askg", "--classes", str(two), *llm, "--batch", "submit")
        assert twice.exit_code == 2 and "is open" in twice.stderr
        assert len(server.batches) == 1
    embedded = run_cli("build-askg", "--classes", str(two), "--backend", "embedded", "--batch", "submit")
    assert embedded.exit_code == 2 and "OpenAI-compatible" in embedded.stderr
    unknown = run_cli("build-askg", "--classes", str(two), "--model", "m", "--batch", "send")
    assert unknown.exit_code == 2 and "unknown --batch action" in unknown.stderr


def test_dataset_level_questions_go_first_then_the_classes(run_cli, tmp_path) -> None:
    """--propose-attributes: the three aspects' attributes in round 1, the classes' prompts in round 2."""
    three = classes_file(tmp_path, THREE, "three")

    def handler(request):
        user = request["messages"][-1]["content"]
        for aspect in ("Scene", "Actor", "Body"):
            if f"Consider the aspect {aspect}" in user:
                return Reply(content=json.dumps({"items": [f"{aspect.lower()} trait {i}" for i in range(4)]}))
        return FakeOpenAIServer.default_reply(request)

    with BatchServer(handler=handler, auto_finish=True) as server:
        llm = ["--base-url", server.base_url, "--model", "fake-model", "--propose-attributes"]
        submitted = run_cli("build-prompts", "--classes", str(three), *llm, "--batch", "submit")
        assert submitted.exit_code == 0 and "3 requests (prompts 3)" in " ".join(submitted.stderr.split())
        second = run_cli("build-prompts", "--classes", str(three), *llm, "--batch", "collect")
        assert second.exit_code == PENDING and "9 requests (prompts 9)" in " ".join(second.stderr.split())
        done = run_cli("build-prompts", "--classes", str(three), *llm, "--batch", "collect")
        assert done.exit_code == 0, done.stderr
        assert server.count == 0 and len(server.batch_requests) == 12
    knowledge = load_knowledge("three", "prompts")
    assert [len(a.attributes) for a in knowledge.aspects] == [4, 4, 4] and len(knowledge.classes) == 3
