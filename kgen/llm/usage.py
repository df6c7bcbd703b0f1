"""What a run cost: calls, cache hits, failures, retries, tokens. Printed at the end of every run."""

from __future__ import annotations

from contextvars import ContextVar

from pydantic import BaseModel, ConfigDict


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calls: int = 0  # requests sent to the backend (retries and repair rounds included)
    cached: int = 0  # answers served from the cache, no call made
    answered: int = 0  # new valid answers (each stored in the cache)
    failed: int = 0  # questions left without a valid answer
    retries: int = 0  # calls repeated after 429/5xx/timeouts/dropped connections
    repairs: int = 0  # calls that asked again after an invalid answer
    topups: int = 0  # of those, calls that asked only for what a partly usable answer lacked
    fallbacks: int = 0  # questions asked again under their fallback spec (a closed vocabulary)
    refusals: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        parts = [
            f"{self.calls} call{'s' if self.calls != 1 else ''}",
            f"{self.cached} cached",
            f"{self.answered} answered",
            f"{self.failed} failed",
        ]
        extra = []
        if self.retries:
            extra.append(f"{self.retries} retried")
        if self.repairs:
            topups = f", {self.topups} of them top-ups" if self.topups else ""
            extra.append(f"{self.repairs} repair round{'s' if self.repairs != 1 else ''}{topups}")
        if self.fallbacks:
            extra.append(f"{self.fallbacks} fell back on a closed vocabulary")
        if self.refusals:
            extra.append(f"{self.refusals} refused")
        tokens = f"tokens: {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion"
        return ", ".join(parts) + (f" ({', '.join(extra)})" if extra else "") + "; " + tokens


# Where a run of several kinds at once counts each kind's usage: the runner sets it in the tasks
# of one kind (tasks copy the context they are created in); the client counts into it as well.
usage_sink: ContextVar[Usage | None] = ContextVar("usage_sink", default=None)
