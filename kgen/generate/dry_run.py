"""``--dry-run``: what a build would ask and cost, with nothing sent.

The builders run against a :class:`~kgen.generate.plan.PlanningClient` in ``simulate`` mode:
cached answers count as cached, every other question is counted with its real request body and
answered by a stand-in, so the calls that depend on earlier answers (ASKG's relations and
sentences) are counted too, from the specs; their prompts hold stand-in text and are marked
estimated. Token counts and their accuracy: :mod:`kgen.llm.estimate`. Repair rounds are not
counted (they happen only for invalid answers).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from kgen.console import out_console
from kgen.generate.plan import plan_kinds
from kgen.generate.runner import KindBuilder
from kgen.llm.backend import Backend, conversation
from kgen.llm.client import LLMClient, LLMRequest
from kgen.llm.estimate import PROXY, completion_tokens, prompt_tokens
from kgen.llm.prices import ModelPrice, Prices
from kgen.llm.wire import chat_body


def request_body(client: LLMClient, request: LLMRequest) -> dict[str, Any]:
    """The body the backend would send for the first try of ``request``."""
    backend: Backend = client.backend
    examples = client.examples_for(request)
    build = getattr(backend, "request_body", None)
    if build is not None:
        return build(list(request.messages), examples, request.spec, request.sampling)
    # The embedded model is served by llama.cpp's OpenAI-compatible server under strict JSON schema.
    messages = conversation(list(request.messages), examples, request.spec)
    return chat_body(backend.model_id, messages, request.spec, request.sampling, "json_schema")


@dataclass
class KindEstimate:
    kind: str
    classes: int
    calls: int = 0
    estimated_calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    estimated_prompt_tokens: int = 0  # the part of prompt_tokens counted on stand-in prompts
    completion_typical: int = 0
    completion_max: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # calls per step (askg.objects ...)

    def add(self, other: KindEstimate) -> None:
        for name in ("classes", "calls", "estimated_calls", "cached", "prompt_tokens", "estimated_prompt_tokens",
                     "completion_typical", "completion_max"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def estimate(builders: list[KindBuilder], client: LLMClient) -> list[KindEstimate]:
    plans = asyncio.run(plan_kinds(builders, client, "simulate"))
    estimates = []
    for builder, plan in zip(builders, plans, strict=True):
        result = KindEstimate(plan.kind, len(builder.dataset.classes), cached=plan.cached, failed=plan.failed)
        for call in plan.calls:
            tokens = prompt_tokens(request_body(client, call.request))
            typical, most = completion_tokens(call.request.spec, call.request.sampling)
            result.calls += 1
            result.prompt_tokens += tokens
            result.completion_typical += typical
            result.completion_max += most
            if call.estimated:
                result.estimated_calls += 1
                result.estimated_prompt_tokens += tokens
            step = call.request.purpose.split(" ")[0]
            result.steps[step] = result.steps.get(step, 0) + 1
        estimates.append(result)
    return estimates


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "-"
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{value:,.2f}" if value >= 0.1 else f"{symbol}{value:,.4f}"


def run_dry(builders: list[KindBuilder], client: LLMClient, command: str, prices_file: Path | None) -> list[KindEstimate]:
    """Estimate and print (stdout); nothing is sent to any backend."""
    started = time.perf_counter()
    estimates = estimate(builders, client)
    backend = client.backend
    price: tuple[ModelPrice, Path] | None = None
    prices: Prices | None = None
    if backend.name == "openai":
        prices = Prices(prices_file)
        price = prices.lookup(backend.model_id)
    dataset = builders[0].dataset
    total = KindEstimate("total", 0)
    for item in estimates:
        total.add(item)
    total.classes = len(dataset.classes)

    out = out_console
    out.print(
        f"Dry run of kgen {command} for {dataset.name} ({len(dataset.classes)} classes), backend {backend.name}, "
        f"model {backend.model_id}: nothing was sent.",
        highlight=False,
    )
    table = Table(show_edge=False, box=None, padding=(0, 1))
    for column in ("kind", "calls", "estimated", "cached", "prompt tokens", "completion typical", "completion at most"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for item in [*estimates, total]:
        table.add_row(
            item.kind, f"{item.calls:,}", f"{item.estimated_calls:,}", f"{item.cached:,}", f"{item.prompt_tokens:,}",
            f"{item.completion_typical:,}", f"{item.completion_max:,}", style="bold" if item is total else None,
        )
    out.print(table)
    currency = prices.currency if prices else "USD"
    if price is not None:
        model_price = price[0]
        costs = []
        for batch, label in ((False, "direct calls"), (True, "Batch API")):
            low = model_price.cost(total.prompt_tokens, total.completion_typical, batch)
            high = model_price.cost(total.prompt_tokens, total.completion_max, batch)
            if low is not None:
                costs.append(f"{label} {_money(low, currency)} typical, {_money(high, currency)} at most")
        out.print(f"Estimated cost with {backend.model_id}: {'; '.join(costs)}.", highlight=False)
    for item in estimates:
        if item.estimated_calls:
            steps = ", ".join(f"{step} {count:,}" for step, count in item.steps.items())
            out.print(
                f"{item.kind}: {item.estimated_calls:,} of {item.calls:,} calls depend on earlier answers that are not in the cache: "
                "their number comes from the answer specs and their prompts were built on stand-in answers in the middle "
                f"of the specs' bounds ({item.estimated_prompt_tokens:,} of the prompt tokens are estimated). Calls by step: {steps}.",
                highlight=False,
            )
        for name, reason in list(item.failed.items())[:5]:
            out.print(f"{item.kind}: {name}: would not be asked ({reason})", highlight=False)
    out.print(
        f"Prompt tokens: the real request bodies (messages, worked examples, JSON schema) counted with {PROXY} as a proxy "
        "(see docs/llm.md, 'Cost before you pay'). Completion tokens: typical = an answer in the middle of the specs' bounds, "
        "at most = the specs' bounds capped by max_tokens. Repair rounds (invalid answers) are not included.",
        highlight=False,
    )
    if price is not None:
        model_price, source = price
        batch = (
            f", Batch API {model_price.batch_input:g} / {model_price.batch_output:g}"
            if model_price.batch_input is not None and model_price.batch_output is not None
            else ""
        )
        out.print(
            f"Prices for {model_price.model}: {model_price.input:g} / {model_price.output:g} {currency} per 1M prompt / completion "
            f"tokens{batch} (from {source}, dated {model_price.date or 'unknown'}, source {model_price.source or 'unknown'}).",
            highlight=False,
        )
    elif backend.name == "openai":
        out.print(
            f"No price for model {backend.model_id!r}: add it to a prices.json in the workspace or pass --prices FILE "
            "(format kgen.llm-prices, see docs/llm.md).",
            highlight=False,
        )
    else:
        out.print("The embedded model runs locally: no price per token.", highlight=False)
    out.print(f"(estimated in {time.perf_counter() - started:.1f} s)", highlight=False, style="dim")
    return estimates
