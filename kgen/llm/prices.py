"""Token prices of known models, for the cost estimate of ``--dry-run``.

The table ships as ``kgen/llm/data/prices.json`` (format ``kgen.llm-prices``, USD per 1 million
tokens, with the date and source of every price). A ``prices.json`` in the workspace, then
``--prices FILE``, are read on top of it: their entries replace the shipped ones of the same
model name and add new ones. A model name matches an entry exactly, or after dropping a dated
snapshot suffix (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini`` unless the table names
the snapshot itself).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kgen import paths
from kgen.fileformat import VersionedFile

BUILTIN_PRICES = Path(__file__).with_name("data") / "prices.json"
WORKSPACE_PRICES = "prices.json"
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    input: float = Field(ge=0, description="prompt tokens, per 1M")
    output: float = Field(ge=0, description="completion tokens, per 1M")
    batch_input: float | None = Field(default=None, ge=0, description="prompt tokens through the Batch API, per 1M")
    batch_output: float | None = Field(default=None, ge=0)
    date: str = ""
    source: str = ""

    def cost(self, prompt_tokens: int, completion_tokens: int, batch: bool = False) -> float | None:
        if batch:
            if self.batch_input is None or self.batch_output is None:
                return None
            return (prompt_tokens * self.batch_input + completion_tokens * self.batch_output) / 1e6
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


class PriceTable(VersionedFile):
    FORMAT = "kgen.llm-prices"
    VERSION = 1

    currency: str = "USD"
    unit: str = "per 1 million tokens"
    note: str = ""
    prices: list[ModelPrice] = []


class Prices:
    """The merged table and where each entry came from."""

    def __init__(self, extra: Path | None = None) -> None:
        self.entries: dict[str, tuple[ModelPrice, Path]] = {}
        self.currency = "USD"
        sources = [BUILTIN_PRICES, paths.workspace_root() / WORKSPACE_PRICES]
        if extra is not None:
            sources.append(extra)
        for index, path in enumerate(sources):
            if index == 1 and not path.exists():
                continue  # the workspace file is optional; --prices must exist (load says so)
            table = PriceTable.load(path)
            self.currency = table.currency
            for price in table.prices:
                self.entries[price.model] = (price, path)

    def lookup(self, model: str) -> tuple[ModelPrice, Path] | None:
        if model in self.entries:
            return self.entries[model]
        base = _SNAPSHOT.sub("", model)
        return self.entries.get(base)
