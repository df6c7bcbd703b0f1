"""Which calls a build would make now, without making any.

The builders themselves are run against a :class:`PlanningClient`, so the requests it sees are
exactly the ones the direct path would send (same prompts, examples, sampling, answer specs and
cache keys). Cached answers are served as usual; for a question the cache cannot answer the
client records the request and then either

* stops that class there (``mode="frontier"``: :class:`Pending`): what a batch job can submit
  now, every call whose prompt is known; calls that depend on an answer not in yet (ASKG's
  relations need its objects) come in a later round; or
* answers it with a stand-in answer in the middle of the spec's bounds (``mode="simulate"``,
  :func:`kgen.llm.estimate.typical_answer`), so that the calls depending on it are made too:
  what a dry run counts. Calls asked after a stand-in answer in the same class are marked
  ``estimated`` (their prompts may hold stand-in text).

Questions of one step that go out together (``asyncio.gather``) are all recorded before any of
them is answered, so independent questions are never marked estimated.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from kgen.generate.runner import ClassFailed, KindBuilder
from kgen.hashing import sha256_text
from kgen.llm.client import Answer, AskFailed, LLMClient, LLMRequest
from kgen.llm.estimate import typical_answer
from kgen.llm.types import Completion

PlanMode = Literal["frontier", "simulate"]


class Pending(Exception):
    """A question the cache cannot answer yet (frontier planning): its class waits for it."""


@dataclass
class PlannedCall:
    kind: str
    request: LLMRequest
    key: str
    estimated: bool = False


@dataclass
class KindPlan:
    """What one kind still needs."""

    kind: str
    calls: list[PlannedCall] = field(default_factory=list)
    cached: int = 0  # questions answered from the cache
    failed: dict[str, str] = field(default_factory=dict)  # class name -> reason (known failures)
    waiting: int = 0  # classes that wait for an answer (frontier) or got stand-ins (simulate)

    @property
    def ready(self) -> bool:
        """Nothing left to ask: the file can be written from the cache."""
        return not self.calls


@dataclass
class _ClassState:
    stood_in: bool = False  # a stand-in answer was given in this class


_kind: ContextVar[KindPlan | None] = ContextVar("plan_kind", default=None)
_class: ContextVar[_ClassState | None] = ContextVar("plan_class", default=None)


class PlanningClient(LLMClient):
    """Answers from the cache only and records every other question (see the module doc)."""

    def __init__(self, client: LLMClient, mode: PlanMode, failed: dict[str, str] | None = None) -> None:
        super().__init__(client.backend, client.cache, refresh=client.refresh)
        self.mode = mode
        self.failed = dict(failed or {})  # cache key -> why it has no answer (a batch's error line)
        self._seen: set[str] = set()

    async def ask(self, request: LLMRequest, first: Completion | None = None) -> Answer:
        plan = _kind.get()
        assert plan is not None, "PlanningClient.ask outside plan_kinds"
        hit = None if self.refresh else self.cached_answer(request)
        if hit is not None:
            plan.cached += 1
            return hit
        key = self.cache_key(request)
        if key in self.failed:
            raise AskFailed(request.purpose, self.failed[key])
        state = _class.get()
        if key not in self._seen:  # the same question twice (two kinds, two classes) is one call
            self._seen.add(key)
            plan.calls.append(PlannedCall(plan.kind, request, key, estimated=bool(state and state.stood_in)))
        await asyncio.sleep(0)  # the other questions of this step are asked before any answer
        if self.mode == "frontier":
            raise Pending(request.purpose)
        # Stand-ins differ between the steps of a class (three aspects' attributes must differ)
        # and are the same for every class (so their processing is counted once, not per class).
        step = request.purpose.split(" [")[0]
        value = request.spec.check(typical_answer(request.spec, seed=_stable_seed(step)))
        if state is not None:
            state.stood_in = True
        return Answer(value=value, text=request.spec.render_json(value.model_dump()), cached=False, attempts=1)


def _stable_seed(text: str) -> int:
    return int(sha256_text(text)[:6], 16)


async def _plan_kind(builder: KindBuilder, client: PlanningClient) -> KindPlan:
    plan = KindPlan(builder.kind)
    _kind.set(plan)
    dataset_level = _ClassState()  # a stand-in answer here (proposed attributes) shapes every class's prompts
    _class.set(dataset_level)
    try:
        await builder.prepare(client)
    except Pending:
        return plan  # the dataset-level questions come first; the classes wait for them
    except AskFailed as exc:
        plan.failed["(all classes)"] = f"{exc.purpose}: {exc.reason}"
        return plan

    async def one(name: str, build) -> None:
        _class.set(_ClassState(stood_in=dataset_level.stood_in))
        try:
            await build
        except Pending:
            plan.waiting += 1
        except AskFailed as exc:
            plan.failed[name] = f"{exc.purpose}: {exc.reason}"
        except ClassFailed as exc:  # on cached (or stand-in) answers: reported, nothing to ask
            plan.failed[name] = str(exc)

    await asyncio.gather(*(one(entry.name, builder.build_class(client, entry)) for entry in builder.dataset.classes))
    return plan


async def plan_kinds(builders: list[KindBuilder], client: LLMClient, mode: PlanMode, failed: dict[str, str] | None = None) -> list[KindPlan]:
    """The calls each builder still needs (builders' inputs must be checked already)."""
    planner = PlanningClient(client, mode, failed)
    return list(await asyncio.gather(*(_plan_kind(builder, planner) for builder in builders)))
