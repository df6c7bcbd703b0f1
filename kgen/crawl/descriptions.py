"""``knowledge/<dataset>/descriptions.json``: crawled definitions of every class (``kgen crawl``).

Per class: every text found (Wikipedia intro, Wiktionary definitions, WordNet glosses), each with
its provenance, and the *refined* description: the smallest set of sentences that defines the
action, as ER-ZSAR (Chen & Huang, ICCV 2021) built its elaborative descriptions and Kim et al.
(§3.2) feed them to the LLM for keyword extraction.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kgen.console import warn
from kgen.datasets import Dataset
from kgen.knowledge.base import ClassTexts, KnowledgeFile, Provenance, register_kind
from kgen.knowledge.imported import ImportProvenance

# "imported": a definition read from a paper's released file (``kgen import er-zsar``), never crawled.
SourceName = Literal["wikipedia", "wiktionary", "wordnet", "imported"]
SOURCE_NAMES: tuple[SourceName, ...] = ("wikipedia", "wiktionary", "wordnet")
# How the refined description was made (see docs/crawl.md, "Refinement").
RefinedRule = Literal["wikipedia", "dictionary-phrase", "dictionary-words", "imported"]


class SourceText(BaseModel):
    """One text a source returned, with where and when it came from."""

    model_config = ConfigDict(extra="forbid")

    source: SourceName
    query: str = Field(description="what was looked up (a title, a headword, a lemma)")
    title: str = Field(description="the article title, headword or synset that answered")
    url: str | None = None
    revision_id: int | None = Field(default=None, description="MediaWiki revision id (None for WordNet)")
    retrieved_at: str = Field(description="ISO 8601 time of the response (the cached response's time on reruns)")
    text: str
    note: str | None = Field(default=None, description="e.g. 'redirected from X', 'chosen from disambiguation page Y'")
    sense: str | None = Field(default=None, description="dictionary sense: 'brush.v.01' (WordNet), 'verb 1' (Wiktionary)")
    used: bool = Field(default=False, description="whether this text is part of the refined description")


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

    @property
    def found(self) -> bool:
        return bool(self.refined)


class CrawlProvenance(Provenance):
    sources: list[SourceName] = []
    offline: bool = False


@register_kind("descriptions", "descriptions.json", "crawled definitions (Wikipedia, Wiktionary, WordNet) and refined descriptions")
class DescriptionsFile(KnowledgeFile):
    FORMAT = "kgen.descriptions"
    VERSION = 1

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
