"""Running one kind of knowledge over a dataset: every class concurrently, failures per class,
a partial file when some classes fail, a report and a usage summary at the end.

A builder (:class:`KindBuilder`) knows its prompts and how to turn answers into a file; the
runner knows nothing about either. Answers are cached by the client the moment they are valid, so
a run killed at any point resumes with only the missing calls; the file itself is written
(atomically) once all classes have been tried. Several kinds may run at once on one client (one
progress display): their requests share the client's slots, which stay busy until the end.

A class that gets no valid answer in this run is a failure, and any failure makes the command
exit with code 5, even where the file keeps that class's entry from an earlier run made with the
same prompts and model (e.g. under ``--refresh``): the report says how many were kept.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from rich.progress import Progress

from kgen import paths
from kgen.console import err_console, info, progress, warn
from kgen.datasets import Dataset
from kgen.datasets.names import name_key
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError, SourceUnavailable
from kgen.hashing import sha256_json
from kgen.knowledge.base import KnowledgeFile
from kgen.knowledge.identity import stamped
from kgen.knowledge.llm_provenance import LLMProvenance, PromptRecord
from kgen.llm.client import AskFailed, LLMClient
from kgen.llm.errors import FatalBackendError, GenerationIncomplete
from kgen.llm.types import Message, SamplingParams
from kgen.llm.usage import Usage, usage_sink

E = TypeVar("E", bound=BaseModel)


def fill(template: str, **values: Any) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``: plain replacement, so other
    braces (in a description, a user's prompt file, a JSON example) are left alone."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


@dataclass(frozen=True)
class PromptTemplate:
    """One step's prompt: a system message and a user message with ``{placeholders}``."""

    step: str
    system: str
    user: str
    sampling: SamplingParams = field(default_factory=SamplingParams)

    def messages(self, **values: Any) -> tuple[Message, ...]:
        return (Message(role="system", content=fill(self.system, **values)), Message(role="user", content=fill(self.user, **values)))

    def record(self, examples: list[dict[str, Any]] | None = None) -> PromptRecord:
        return PromptRecord(
            step=self.step, system=self.system, user=self.user, examples=examples or [], sampling=self.sampling.model_dump()
        )


class ClassFailed(Exception):
    """A class that could not be built (no valid answer, or missing input), with the reason."""


class KindBuilder(ABC, Generic[E]):
    """Builds one kind of knowledge for a dataset, class by class."""

    kind: str  # the register_kind name
    file_model: type[KnowledgeFile]

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    @property
    def path(self) -> Path:
        from kgen.knowledge.base import knowledge_path

        return knowledge_path(self.dataset.name, self.kind)

    def check_inputs(self) -> None:
        """Raise InputError before any call when an input is missing (default: nothing needed)."""

    async def prepare(self, client: LLMClient) -> None:
        """Dataset-level steps before the classes (e.g. proposing attributes); default none."""

    @abstractmethod
    async def build_class(self, client: LLMClient, entry: ClassEntry) -> E:
        """The entry of one class; raises AskFailed or ClassFailed."""

    @abstractmethod
    def prompt_records(self) -> list[PromptRecord]:
        """Every prompt template used, for provenance."""

    @abstractmethod
    def parameters(self) -> dict[str, Any]:
        """The builder's parameters, for provenance and the content hash."""

    @abstractmethod
    def make_file(self, entries: list[E], provenance: LLMProvenance) -> KnowledgeFile:
        """The knowledge file holding ``entries`` (label order)."""

    def extra_files(self, knowledge: KnowledgeFile) -> list[Path]:
        """Write files that accompany the main file (graphs); default none."""
        return []

    @staticmethod
    def entry_class_id(entry: BaseModel) -> int:
        return int(entry.class_id)  # type: ignore[attr-defined]


@dataclass
class KindOutcome:
    kind: str
    path: Path | None
    built: int
    total: int
    failures: dict[str, str] = field(default_factory=dict)  # class name -> reason
    kept: int = 0  # failed classes whose entry was kept from the previous file
    fatal: FatalBackendError | None = None
    usage: Usage = field(default_factory=Usage)


def content_hash(builder: KindBuilder, client: LLMClient) -> str:
    records = [r.model_dump(exclude={"sha256"}) for r in builder.prompt_records()]
    return sha256_json(
        {"backend": client.backend.name, "model": client.backend.model_id, "prompts": records, "parameters": builder.parameters()}
    )


def _previous_entries(builder: KindBuilder, digest: str) -> dict[int, BaseModel]:
    """Entries of the file already on disk that were made with the same prompts, model and
    parameters: kept for classes that fail in this run (e.g. under --refresh)."""
    path = builder.path
    if not path.exists():
        return {}
    try:
        previous = builder.file_model.load(path)
    except Exception:  # an unreadable old file is simply replaced
        return {}
    provenance = getattr(previous, "provenance", None)
    if getattr(provenance, "content_sha256", "") != digest:
        return {}
    # Kept by class identity: an entry counts only where its id and (normalised) name are both
    # those of the class now (a reordered or renamed list must not hand one class another's entry).
    names = {e.id: name_key(e.name) for e in builder.dataset.classes}
    return {
        builder.entry_class_id(e): e
        for e in getattr(previous, "classes", [])
        if names.get(builder.entry_class_id(e)) == name_key(str(getattr(e, "class_name", "")))
    }


async def run_kinds(builders: list[KindBuilder], client: LLMClient) -> list[KindOutcome]:
    """Build several kinds at once (their requests interleave on the client's slots)."""
    with progress() as bar:
        return list(await asyncio.gather(*(run_kind(builder, client, bar) for builder in builders)))


async def run_kind(builder: KindBuilder, client: LLMClient, bar: Progress | None = None) -> KindOutcome:
    """Build ``builder``'s kind for every class of its dataset and write the file."""
    if bar is None:
        with progress() as own:
            return await run_kind(builder, client, own)
    outcome = KindOutcome(kind=builder.kind, path=None, built=0, total=len(builder.dataset.classes))
    token = usage_sink.set(outcome.usage)  # this task and the class tasks it creates count here
    try:
        return await _run_kind(builder, client, bar, outcome)
    finally:
        usage_sink.reset(token)


async def _run_kind(builder: KindBuilder, client: LLMClient, bar: Progress, outcome: KindOutcome) -> KindOutcome:
    dataset = builder.dataset
    try:
        await builder.prepare(client)
    except AskFailed as exc:
        outcome.failures = {"(all classes)": f"{exc.purpose}: {exc.reason}"}
        _report(outcome)
        return outcome
    except FatalBackendError as exc:
        outcome.fatal = exc
        _report(outcome)
        return outcome

    results: dict[int, BaseModel] = {}
    failures: dict[int, str] = {}

    async def one(entry: ClassEntry) -> None:
        try:
            results[entry.id] = await builder.build_class(client, entry)
        except AskFailed as exc:
            failures[entry.id] = f"{exc.purpose}: {exc.reason}"
        except ClassFailed as exc:
            failures[entry.id] = str(exc)

    task_id = bar.add_task(f"{builder.kind} ({dataset.name})", total=len(dataset.classes))

    async def tracked(entry: ClassEntry) -> None:
        try:
            await one(entry)
        finally:
            bar.advance(task_id)

    tasks = [asyncio.ensure_future(tracked(entry)) for entry in dataset.classes]
    try:
        await asyncio.gather(*tasks)
    except FatalBackendError as exc:
        outcome.fatal = exc
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    digest = content_hash(builder, client)
    if failures:
        previous = _previous_entries(builder, digest)
        for class_id in failures:
            if class_id in previous:
                results[class_id] = previous[class_id]
                outcome.kept += 1
    names = {e.id: e.name for e in dataset.classes}
    outcome.failures = {names[i]: reason for i, reason in sorted(failures.items())}
    if outcome.fatal is not None:
        for entry in dataset.classes:
            if entry.id not in results and entry.name not in outcome.failures:
                outcome.failures[entry.name] = "not asked: the run stopped"
    entries = [results[e.id] for e in dataset.classes if e.id in results]
    outcome.built = len(entries) - outcome.kept
    if entries:
        describe = client.backend.describe()
        provenance = LLMProvenance(
            backend=str(describe.get("backend")),
            model=str(describe.get("model")),
            base_url=describe.get("base_url"),
            structured_output=str(describe.get("structured_output") or ""),
            prompts=builder.prompt_records(),
            usage=outcome.usage.model_dump(),
            parameters=builder.parameters(),
            content_sha256=digest,
        )
        knowledge = stamped(builder.make_file(entries, provenance), dataset.classes)
        builder.path.parent.mkdir(parents=True, exist_ok=True)
        knowledge.save(builder.path)
        builder.extra_files(knowledge)
        outcome.path = builder.path
    _report(outcome)
    return outcome


def _report(outcome: KindOutcome) -> None:
    where = f" -> {_shown(outcome.path)}" if outcome.path else ""
    info(f"{outcome.kind}: {outcome.built}/{outcome.total} classes{where}")
    if outcome.failures:
        kept = f"; the file keeps the earlier entry of {outcome.kept} of them" if outcome.kept else ""
        warn(f"{outcome.kind}: {len(outcome.failures)} class(es) failed (a rerun asks only for these){kept}:")
        for name, reason in outcome.failures.items():
            err_console.print(f"  - {name}: {reason}", highlight=False, markup=False)
    info(f"{outcome.kind} LLM usage: {outcome.usage.summary()}")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(paths.workspace_root()))
    except ValueError:
        return str(path)


def raise_for_outcomes(outcomes: list[KindOutcome]) -> None:
    """Turn the outcomes of a run into its exit status."""
    for outcome in outcomes:
        if outcome.fatal is not None:
            exc = outcome.fatal
            error = SourceUnavailable if exc.unavailable else InputError
            raise error(f"{outcome.kind}: {exc}", hint=exc.hint or "fix the problem and rerun: answers already paid for are cached")
    failed = [o for o in outcomes if o.failures]
    if failed:
        counts = ", ".join(f"{o.kind}: {len(o.failures)} of {o.total}" for o in failed)
        raise GenerationIncomplete(
            f"some classes got no valid answer ({counts}); what succeeded was written",
            hint="rerun the same command: cached answers cost nothing and only the failed classes are asked again",
        )


