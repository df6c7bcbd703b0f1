"""The LLM client: cache, concurrency, rate limit, retries, validation and repair, usage.

``await client.ask(request)`` returns a validated answer or raises :class:`AskFailed`:

1. The cache key is made of the backend, the model, the full messages, the sampling parameters
   and the answer spec (name, version, hash of its JSON schema). A cached answer costs no call;
   ``refresh=True`` skips the lookup (and overwrites the entry when the new answer is valid).
2. Each call waits for the requests-per-minute limiter, then for a concurrency slot.
3. Transient failures (429, 5xx, timeouts, dropped connections) are retried up to ``max_retries``
   times with exponential backoff and jitter, honouring ``Retry-After``, within ``deadline_s``
   seconds a call (no try runs past it). A server that cannot be reached at all (it never
   answered this run and ``CONNECT_RETRIES`` more tries fail too), one that answers no try of a
   call within the deadline (hung), bad credentials or an unknown model stop the run
   (:class:`FatalBackendError`).
4. An answer that does not meet its spec (or a list answer that is mostly the worked example's
   own answer: then the question is asked afresh without the example) is shown back to the model with the validation error as
   a new user message, up to ``max_repairs`` times; a repair round samples at temperature
   ``REPAIR_TEMPERATURE`` at least (greedy decoding tends to write the rejected answer again); only
   the latest rejected answer is shown, and the last try asks the whole question afresh without it
   (after top-ups, what its answer adds is merged into the kept part). A
   refusal is not argued with.
   A request may name a ``fallback``: a narrower spec (e.g. predicates from a closed vocabulary)
   and a note appended to the question; after ``FALLBACK_AFTER`` failed attempts the question is
   asked afresh under it (a small model shown its letter-soup predicate writes the same soup
   again; an ``enum`` in the schema it cannot leave). Once most of a step's settled questions
   needed their fallback (``SWITCH_AFTER`` of them, ``SWITCH_SHARE`` or more), the rest of that
   step's questions in this run are asked under the fallback at once (those in flight at their
   next attempt): a model that cannot answer the free question is not asked it again and again
   (see :meth:`LLMClient.fallback_due`).
5. Only a valid answer is stored, at once, in its own transaction: a run killed at any moment
   loses nothing it was answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from kgen.backoff import Backoff
from kgen.cache import ResponseCache
from kgen.llm.answers import AnswerIncomplete, AnswerSpec
from kgen.llm.backend import Backend
from kgen.llm.errors import AnswerInvalid, FatalBackendError, RequestRejected, TransientBackendError
from kgen.llm.lenient import key_form, looks_like_refusal
from kgen.llm.ratelimit import RateLimiter
from kgen.llm.types import Completion, Example, Message, SamplingParams
from kgen.llm.usage import Usage, usage_sink
from kgen.text.lexicon import words_of

CACHE_NAMESPACE = "llm"
CONNECT_RETRIES = 2  # tries after the first when the server has never been reached this run
REPAIR_TEMPERATURE = 0.7
# Failed attempts (the first answer and its first repair) before a request's fallback spec is used.
FALLBACK_AFTER = 2
# A step whose settled questions mostly needed their fallback (at least SWITCH_AFTER of them,
# SWITCH_SHARE or more of those settled) asks its remaining questions under the fallback at once.
# Measured on SmolLM2-135M's ASKG relation questions (docs/llm.md): each one that fell back had
# cost 3-7 calls first; a model that answers the free questions never trips the switch.
SWITCH_AFTER = 4
SWITCH_SHARE = 0.75


@dataclass(frozen=True)
class Fallback:
    """What a request falls back on when its answers keep failing: a narrower ``spec`` and a
    ``note`` appended to the question (e.g. "Choose each predicate from: on, in, ...")."""

    spec: AnswerSpec
    note: str


@dataclass(frozen=True)
class LLMRequest:
    """One question: what to ask, how to sample, what the answer must look like."""

    purpose: str  # the step it serves, for reports ("askg.objects")
    messages: tuple[Message, ...]
    spec: AnswerSpec
    sampling: SamplingParams = field(default_factory=SamplingParams)
    examples: tuple[Example, ...] = ()  # worked examples, placed after the system message
    # "always": every backend sees the examples (they are part of the method, e.g. STDD's one-shot
    # prompt); "embedded": only the small embedded model does (format help the papers did not use).
    example_policy: str = "embedded"
    fallback: Fallback | None = None

    @property
    def step(self) -> str:
        """The step this question belongs to ("askg.objects" of "askg.objects [pick]")."""
        return self.purpose.partition(" [")[0]


@dataclass(frozen=True)
class Answer:
    value: BaseModel
    text: str  # the raw text of the valid answer
    cached: bool
    attempts: int


class AskFailed(Exception):
    """No valid answer for one request (after retries and repairs, or a refusal)."""

    def __init__(self, purpose: str, reason: str) -> None:
        super().__init__(f"{purpose}: {reason}")
        self.purpose = purpose
        self.reason = reason


class CopiedExample(AnswerInvalid):
    """A list answer that is mostly the worked example's answer; the repair round goes without it."""


def repair_sampling(sampling: SamplingParams, attempt: int) -> SamplingParams:
    """How repair round ``attempt`` (1, 2, ...) samples: warmer, with its own seed."""
    seed = None if sampling.seed is None else sampling.seed + attempt
    return sampling.model_copy(update={"temperature": max(sampling.temperature, REPAIR_TEMPERATURE), "seed": seed})


def _parts(kept: Any) -> int:
    """How many parts (items, triples, keyed values) a kept partial answer holds."""
    if isinstance(kept, dict) and len(kept) == 1 and isinstance(next(iter(kept.values())), list):
        return len(next(iter(kept.values())))
    return len(kept) if isinstance(kept, dict | list) else 0


def topup_messages(messages: list[Message], ask: str) -> list[Message]:
    """The question again with the request for what is missing appended to its last user message
    ("Give 2 more objects, different from these: rope, harness, helmet."): one short question, not a
    conversation holding the model's own earlier answer (which a small model copies)."""
    *head, last = messages
    return [*head, Message(role=last.role, content=f"{last.content}\n\n{ask}")]


def repair_message(error: AnswerInvalid, truncated: bool) -> str:
    cut = " It was also cut off at the length limit: write less." if truncated else ""
    return f"Your answer could not be used: {error}.{cut} Answer the question again, exactly in the required format."


class LLMClient:
    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache,
        *,
        concurrency: int = 8,
        rpm: float | None = None,
        max_retries: int = 6,
        max_repairs: int = 3,
        deadline_s: float = 300.0,
        refresh: bool = False,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.backend = backend
        self.cache = cache
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.max_repairs = max_repairs
        self.deadline_s = deadline_s
        self.refresh = refresh
        self.backoff = backoff or Backoff()
        self.usage = Usage()
        self.limiter = RateLimiter(rpm, sleep=sleep)
        self._sleep = sleep
        self._semaphore: asyncio.Semaphore | None = None
        self._reached = False  # some call got an answer from the backend this run
        self._fatal: FatalBackendError | None = None  # once raised, every later call raises it too
        # Per step, how its settled questions that had a fallback ended: [settled, fell back].
        self._fallback_record: dict[str, list[int]] = {}
        self.switched_steps: list[str] = []  # steps asked under their fallback at once (in order)

    def cache_key(self, request: LLMRequest) -> str:
        return ResponseCache.make_key(
            CACHE_NAMESPACE,
            backend=self.backend.name,
            model=self.backend.model_id,
            messages=[m.wire() for m in request.messages],
            examples=[e.model_dump() for e in self.examples_for(request)],
            sampling=request.sampling.model_dump(),
            schema=request.spec.fingerprint(),
            # The fallback changes which answers the request can end with: part of the key.
            **({"fallback": {"schema": request.fallback.spec.fingerprint(), "note": request.fallback.note}} if request.fallback else {}),
        )

    def examples_for(self, request: LLMRequest) -> tuple[Example, ...]:
        """The worked examples this backend is shown for ``request`` (see ``example_policy``)."""
        if request.example_policy == "always" or self.backend.name == "embedded":
            return request.examples
        return ()

    def spec_for(self, request: LLMRequest, spec: AnswerSpec | None = None) -> AnswerSpec:
        """The request's answer spec (or ``spec``), accepting the question's own words in short
        phrases even where no dictionary has them (a class name such as "flic flac"). Phrases are
        checked to be English words only for the embedded backend (a small local model's letter soup)."""
        bound = (spec or request.spec).with_allowed_words(w for m in request.messages for w in words_of(m.content))
        return bound.with_english_check(self.backend.name == "embedded")

    def fallback_due(self, failed_attempts: int, step: str | None = None) -> bool:
        """Whether a request with a fallback switches to it after ``failed_attempts`` failures: after
        the first failed repair, or sooner when --max-repairs leaves no room for that; and at once
        when ``step`` has switched (most of its settled questions needed their fallback)."""
        if self.max_repairs <= 0:
            return False
        if step is not None and self.step_switched(step):
            return True
        return failed_attempts >= min(FALLBACK_AFTER, self.max_repairs)

    def step_switched(self, step: str) -> bool:
        settled, fell_back = self._fallback_record.get(step, (0, 0))
        return settled >= SWITCH_AFTER and fell_back >= SWITCH_SHARE * settled

    def _settled(self, request: LLMRequest, fell_back: bool) -> None:
        """Record how a question with a fallback ended (answered or failed)."""
        if request.fallback is None:
            return
        record = self._fallback_record.setdefault(request.step, [0, 0])
        was = self.step_switched(request.step)
        record[0] += 1
        record[1] += int(fell_back)
        if not was and self.step_switched(request.step):
            self.switched_steps.append(request.step)

    def cached_answer(self, request: LLMRequest) -> Answer | None:
        """The stored answer to ``request``, if any (re-validated; an entry that no longer
        validates is ignored)."""
        stored = self.cache.get(self.cache_key(request))
        if not isinstance(stored, dict) or "value" not in stored:
            return None
        specs = [request.spec] + ([request.fallback.spec] if request.fallback else [])
        for spec in specs:
            try:
                value = self.spec_for(request, spec).check(stored["value"])
                self._check_not_copied(request, value)
                break
            except AnswerInvalid:
                continue
        else:
            return None
        return Answer(value=value, text=str(stored.get("text", "")), cached=True, attempts=int(stored.get("attempts", 1)))

    async def ask(self, request: LLMRequest, first: Completion | None = None) -> Answer:
        """The valid answer to ``request``. ``first``: the answer to the first try, already
        obtained elsewhere (a batch job's output line): it is validated like a direct answer,
        and an invalid one goes through the repair rounds as direct calls."""
        try:
            return await self._ask(request, first)
        except FatalBackendError as exc:
            self._fatal = self._fatal or exc
            raise

    async def _ask(self, request: LLMRequest, first: Completion | None = None) -> Answer:
        if not self.refresh:
            hit = self.cached_answer(request)
            if hit is not None:
                self._count("cached")
                return hit
        messages = list(request.messages)
        question = messages  # the question as asked now (the fallback's note included): what a repair restates
        examples = self.examples_for(request)
        spec = self.spec_for(request)
        pending: AnswerIncomplete | None = None  # a usable part, kept while the rest is asked for
        last_error: AnswerInvalid | None = None
        # A top-up that adds something usable is progress, not a failed attempt: it does not use
        # up --max-repairs (a small model often completes a list one or two items at a time).
        # Calls are still bounded: at most twice the repairs --max-repairs allows (none with 0).
        failed_attempts, attempt = 0, -1
        fell_back = False
        while failed_attempts <= self.max_repairs and attempt + 1 <= 2 * self.max_repairs:
            attempt += 1
            # (A batch job's first answer was written to the free question: it is read as such.)
            step = request.step if (attempt > 0 or first is None) else None
            if request.fallback and not fell_back and self.fallback_due(failed_attempts, step):
                # Asked afresh under the narrower spec: the kept part and the conversation were
                # written under the free one (see Fallback).
                fell_back = True
                spec, pending = self.spec_for(request, request.fallback.spec), None
                messages = question = topup_messages(list(request.messages), request.fallback.note)
                self._count("fallbacks")
            if attempt:
                self._count("repairs")
                if pending is not None:
                    self._count("topups")
            sampling = request.sampling if attempt == 0 else repair_sampling(request.sampling, attempt)
            # The last try: no failure left to spend, or no call left under the bound on calls.
            last_try = attempt > 0 and (failed_attempts == self.max_repairs or attempt == 2 * self.max_repairs)
            if pending is None and last_try and messages is not question:
                # The last try asks the question afresh (warm, its own seed), not shown the rejected
                # answer: a small model shown its answer writes it again ("The environment." for
                # every attribute, three rounds in a row); fresh, it may not.
                messages = question
            if attempt == 0 and first is not None:
                completion = first
                self._count_answered_call(completion)
            elif pending is None:
                completion = await self._call(request, messages, sampling, examples, spec)
            elif last_try:
                # The last try after top-ups that added nothing: the whole question afresh (warm);
                # what its answer adds to the kept part is merged in as a top-up's would be (a
                # small model asked for "1 more keyword, different from these" repeats one of them).
                completion = await self._call(request, question, sampling, examples, spec)
            else:
                # Only what is missing, asked as one short question (see topup_messages).
                completion = await self._call(request, topup_messages(question, pending.ask), sampling, examples, pending.rest)
            if completion.refusal:
                self._fail(refused=True)
                raise AskFailed(request.purpose, f"the model refused: {completion.refusal[:200]}")
            if not completion.text.lstrip().startswith(("{", "[")) and looks_like_refusal(completion.text):
                # "I'm sorry, I can't ..." would otherwise pass as a one-item list.
                self._fail(refused=True)
                raise AskFailed(request.purpose, f"the model refused: {completion.text.strip()[:200]}")
            try:
                if pending is None:
                    value = spec.parse(completion.text, truncated=completion.truncated)
                else:
                    value = spec.merge(pending.kept, completion.text, truncated=completion.truncated)
                self._check_not_copied(request, value)
            except AnswerIncomplete as exc:
                # Some of the answer is usable: keep it and ask only for the rest.
                grew = pending is None or _parts(exc.kept) > _parts(pending.kept)
                last_error, pending = exc, exc
                failed_attempts += 0 if grew else 1
                continue
            except AnswerInvalid as exc:
                if looks_like_refusal(completion.text):
                    self._fail(refused=True)
                    raise AskFailed(request.purpose, f"the model refused: {completion.text.strip()[:200]}") from exc
                last_error = exc
                failed_attempts += 1
                if isinstance(exc, CopiedExample):
                    # The example misled the model, and shown its copy it copies again: ask the
                    # question afresh, without the example.
                    examples, pending = (), None
                    messages = question
                    continue
                if pending is None:
                    # Only the latest rejected answer is shown, in place of earlier ones: the
                    # conversation stays the question plus one answer and one note however many
                    # rounds it takes (a growing one outgrew a 2,048-token llama.cpp slot and was
                    # refused with HTTP 400), and a small model is not shown its older mistakes.
                    messages = question + [
                        Message(role="assistant", content=completion.text or "(empty answer)"),
                        Message(role="user", content=repair_message(exc, completion.truncated)),
                    ]
                continue
            text = completion.text if pending is None else spec.render_json(value.model_dump())
            self._store(request, value, text, attempt + 1)
            self._count("answered")
            self._settled(request, fell_back)
            return Answer(value=value, text=text, cached=False, attempts=attempt + 1)
        self._fail()
        self._settled(request, fell_back)
        raise AskFailed(request.purpose, f"no valid answer in {attempt + 1} attempts; last problem: {last_error}")

    def _check_not_copied(self, request: LLMRequest, value: BaseModel) -> None:
        """A list answer that is mostly the worked example's own answer is invalid: small models
        copy the example ("beer, glass, bottle" as the objects of *pour*)."""
        items = getattr(value, "items", None)
        if not isinstance(items, list) or not items:
            return
        mine = {key_form(str(item)) for item in items}
        theirs: set[str] = set()
        for example in self.examples_for(request):
            listed = example.answer.get("items") if isinstance(example.answer, dict) else None
            theirs |= {key_form(str(item)) for item in listed or []}
        shared = mine & theirs
        if theirs and 2 * len(shared) >= len(mine):
            raise CopiedExample(
                f"{len(shared)} of the {len(mine)} items are copied from the worked examples, which are about "
                f"other questions; answer this question with its own items"
            )

    def _count_answered_call(self, completion: Completion) -> None:
        self._count("calls")
        self._count("prompt_tokens", completion.prompt_tokens)
        self._count("completion_tokens", completion.completion_tokens)

    def _count(self, name: str, amount: int = 1) -> None:
        for usage in (self.usage, usage_sink.get()):
            if usage is not None:
                setattr(usage, name, getattr(usage, name) + amount)

    def _fail(self, refused: bool = False) -> None:
        self._count("failed")
        if refused:
            self._count("refusals")

    def _store(self, request: LLMRequest, value: BaseModel, text: str, attempts: int) -> None:
        record: dict[str, Any] = {
            "value": value.model_dump(),
            "text": text,
            "attempts": attempts,
            "purpose": request.purpose,
            "model": self.backend.model_id,
            "answered_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
        self.cache.set(self.cache_key(request), record)

    async def _call(
        self, request: LLMRequest, messages: list[Message], sampling: SamplingParams, examples: tuple[Example, ...],
        spec: AnswerSpec,
    ) -> Completion:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        last: TransientBackendError | None = None
        started: float | None = None  # the deadline runs from the first try (not the queue before it)
        timeouts = tries = 0
        for attempt in range(self.max_retries + 1):
            await self.limiter.acquire()
            async with self._semaphore:
                if self._fatal is not None:  # another request found that the run cannot go on
                    raise self._fatal
                started = time.monotonic() if started is None else started
                left = self.deadline_s - (time.monotonic() - started)
                if left <= 0:
                    break
                self._count("calls")
                tries += 1
                if attempt:
                    self._count("retries")
                try:
                    completion = await asyncio.wait_for(
                        self.backend.complete(messages, examples, spec, sampling), left
                    )
                except (TransientBackendError, TimeoutError) as exc:
                    last = exc if isinstance(exc, TransientBackendError) else TransientBackendError("the request timed out", timeout=True)
                    timeouts += last.timeout
                except RequestRejected as exc:
                    self._fail()
                    raise AskFailed(request.purpose, str(exc)) from exc
                else:
                    self._reached = True
                    self._count("prompt_tokens", completion.prompt_tokens)
                    self._count("completion_tokens", completion.completion_tokens)
                    return completion
            if last.connection and not self._reached and attempt >= CONNECT_RETRIES:
                break
            if attempt < self.max_retries:
                delay = self.backoff.delay(attempt, last.retry_after_s)
                if time.monotonic() - (started or 0.0) + delay >= self.deadline_s:
                    break
                await self._sleep(delay)
        if last is None:
            last = TransientBackendError(f"no try could start within the {self.deadline_s:g} s deadline", timeout=True)
        gave_up = f"gave up after {tries} tr{'y' if tries == 1 else 'ies'} in {time.monotonic() - (started or 0.0):.0f} s"
        if last.connection and not self._reached:
            raise FatalBackendError(
                f"{last} ({gave_up})",
                hint="check that the server is running and --base-url / OPENAI_BASE_URL points at it",
                unavailable=True,
            )
        if tries and timeouts == tries and not self._reached:
            raise FatalBackendError(
                f"the server accepted the requests but answered none within --timeout ({gave_up}, --deadline {self.deadline_s:g} s)",
                hint="check that the server works (it may be hung or overloaded); raise --timeout for a slow model",
                unavailable=True,
            )
        self._fail()
        raise AskFailed(request.purpose, f"{last} ({gave_up})")
