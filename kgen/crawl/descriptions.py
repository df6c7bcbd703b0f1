"""``knowledge/<dataset>/descriptions.json``: crawled definitions of every class (``kgen crawl``).

Per class: every text found (Wikipedia intro, Wiktionary definitions, WordNet glosses), each with
its provenance, and the *refined* description: the smallest set of sentences that defines the
action, as ER-ZSAR (Chen & Huang, ICCV 2021) built its elaborative descriptions and Kim et al.
(§3.2) feed them to the LLM for keyword extraction.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen.console import warn
from kgen.datasets import Dataset
from kgen.knowledge.base import ClassTexts, KnowledgeFile, Provenance, register_kind
from kgen.knowledge.imported import ImportProvenance

# "imported": a definition read from a paper's released file (``kgen import er-zsar``), never crawled.
SourceName = Literal["wikipedia", "wiktionary", "wordnet", "imported"]
SOURCE_NAMES: tuple[SourceName, ...] = ("wikipedia", "wiktionary", "wordnet")
# Where a text came from: a crawled source, a paper's released file ("imported"), or a user's
# overrides file ("manual").
TextSource = Literal["wikipedia", "wiktionary", "wordnet", "imported", "manual"]
# How the refined description was made (see docs/crawl.md, "Refinement"); "manual": a hand-written
# definition from the overrides file; "imported": read from a paper's released file.
RefinedRule = Literal["wikipedia", "dictionary-phrase", "dictionary-words", "imported", "manual"]


class SenseCandidate(BaseModel):
    """A WordNet sense that competed for a chunk of the class name."""

    model_config = ConfigDict(extra="forbid")

    sense: str = Field(description="'play.v.01' (first lemma, part of speech, sense number)")
    id: str = Field(description="WordNet's offset and part of speech, '01072967-v'")
    score: float = Field(description="the best total score of a combination with this sense")
    definition: str


class SenseChoice(BaseModel):
    """Why WordNet's sense was chosen for one chunk of the class name (``senses.py``)."""

    model_config = ConfigDict(extra="forbid")

    chunk: str = Field(description="the words of the class name it defines, e.g. 'playing'")
    role: str = Field(description="action, object, modifier, head, alone or gerund-alone")
    sense_id: str = Field(description="WordNet's offset and part of speech of the chosen sense")
    score: float
    margin: float | None = Field(default=None, description="score minus the runner-up's; None when there was no other candidate")
    decided_by: str = Field(description="the kind of evidence that put it ahead of the runner-up: frequency, role, frames, names, hypernym, domain, ... , pinned")
    low_confidence: bool = Field(default=False, description="margin below the low-confidence bar: worth a look")
    evidence: list[str] = Field(default=[], description="'+3.00 hypernym: play.v.07 names ...' per piece of evidence")
    runners_up: list[SenseCandidate] = []
    candidates: int = Field(default=0, description="how many senses competed")
    pinned: str | None = Field(default=None, description="the overrides file that pinned this sense")


class SourceText(BaseModel):
    """One text a source returned, with where and when it came from."""

    model_config = ConfigDict(extra="forbid")

    source: TextSource
    query: str = Field(description="what was looked up (a title, a headword, a lemma)")
    title: str = Field(description="the article title, headword or synset that answered")
    url: str | None = None
    revision_id: int | None = Field(default=None, description="MediaWiki revision id (None for WordNet)")
    retrieved_at: str = Field(description="ISO 8601 time of the response (the cached response's time on reruns)")
    text: str
    note: str | None = Field(default=None, description="e.g. 'redirected from X', 'chosen from disambiguation page Y'")
    sense: str | None = Field(default=None, description="dictionary sense: 'brush.v.01' (WordNet), 'verb 1' (Wiktionary)")
    used: bool = Field(default=False, description="whether this text is part of the refined description")
    choice: SenseChoice | None = Field(default=None, description="WordNet: why this sense (score, runners-up); v2")


class OverrideRecord(BaseModel):
    """A user's override of one class (``crawl-overrides.yaml``), as applied."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="the overrides file")
    kind: Literal["wordnet", "wikipedia", "text"]
    value: str = Field(description="the pinned sense(s), title or text, as written")
    note: str | None = None


class ClassDescription(BaseModel):
    """What the crawl found for one class."""

    model_config = ConfigDict(extra="forbid")

    class_id: int
    class_name: str
    label: str
    texts: list[SourceText] = []
    refined: str = Field(default="", description="smallest set of sentences that defines the action; '' if none")
    refined_rule: RefinedRule | None = Field(default=None, description="which rule made `refined` (None: nothing found)")
    problems: list[str] = Field(default=[], description="what went wrong per source, for the report")
    qualifiers: list[str] = Field(default=[], description="bracketed qualifiers of the name, e.g. 'sport', 'not on a tie' (v2)")
    override: OverrideRecord | None = Field(default=None, description="the override applied to this class (v2)")
    low_confidence: list[str] = Field(default=[], description="chunks whose sense was a close call (v2)")

    @property
    def found(self) -> bool:
        return bool(self.refined)


class CrawlProvenance(Provenance):
    sources: list[SourceName] = []
    offline: bool = False


def _from_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had no sense choices, qualifiers or overrides: every new field has a default."""
    return raw


@register_kind("descriptions", "descriptions.json", "crawled definitions (Wikipedia, Wiktionary, WordNet) and refined descriptions")
class DescriptionsFile(KnowledgeFile):
    FORMAT = "kgen.descriptions"
    VERSION = 2
    MIGRATIONS = {1: _from_v1}

    provenance: CrawlProvenance | ImportProvenance
    classes: list[ClassDescription]

    def for_class(self, class_id: int) -> ClassDescription | None:
        return next((c for c in self.classes if c.class_id == class_id), None)

    def bank_texts(self, dataset: Dataset) -> list[ClassTexts]:
        """One text per class: ``"{name}: {refined description}"`` (ER-ZSAR's elaborative description).

        A class the crawl found no definition for is encoded as its name alone (kgen's choice, so that
        one undefined class does not stop the whole bank); the classes are named in a warning.
        """
        missing = []
        result = []
        for entry in dataset.classes:
            found = self.for_class(entry.id)
            if found is None or not found.refined:
                missing.append(entry.name)
                result.append(ClassTexts(class_id=entry.id, class_name=entry.name, texts=[entry.name]))
                continue
            result.append(ClassTexts(class_id=entry.id, class_name=entry.name, texts=[f"{entry.name}: {found.refined}"]))
        if missing:
            warn(
                f"{len(missing)} class(es) of {dataset.name} have no refined description and are encoded by their name "
                f"alone: {', '.join(missing[:8])} (rerun `kgen crawl` with the network open to find them)"
            )
        return result
