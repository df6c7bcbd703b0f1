"""Kim et al. §3.2: description attributes from crawled descriptions.

One call per class with the paper's prompt, to the letter: "Extract 5-10 essential keywords from
{description} that best describe the action {action name} in the paragraph. Focus on objects,
motions, and contexts related to the action." (temperature 0.7, max_tokens 256). kgen puts the
description in double quotes so the model can tell where it ends (the paper's template has the
paragraph inline; the quotes are kgen's choice).

The keywords are split into words; stopwords (``kgen/text/stopwords_en.txt``), tokens without a
letter and duplicates are dropped, in the LLM's order: these are the candidates, whose top N form
DA(c) (the split into words is kgen's choice: the paper's examples are single words, and N = 16
could not be reached from 5-10 phrases otherwise).

"Extract ... from {description}" is checked (kgen's choice; the paper used GPT-3 and says no more):
every content word of a keyword must be a word of the description or of the action's name, up to
its ending (``kgen/text/grounding.py``). A small model otherwise writes words from nowhere ("johnny,
carrot, gadget" for *cartwheel*) or the prompt's own ("objects, motions, contexts"). A description
with fewer than 5 distinct content words ("exchange thoughts; talk with") is asked for as many as
it has. Where the free answers keep failing, the question falls back on choosing the keywords from
the description's words (an ``enum``), the list written into the question. Where the crawl found
no definition, the keywords come from the model's knowledge of the name, unchecked.
"""

from __future__ import annotations

import re
from typing import Any

from kgen.crawl.descriptions import DescriptionsFile
from kgen.datasets import Dataset
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError
from kgen.generate.runner import ClassFailed, KindBuilder, PromptTemplate
from kgen.hashing import sha256_text
from kgen.knowledge.attributes import ALLOWED_TOP_N, AttributesFile, ClassAttributes
from kgen.knowledge.base import KnowledgeFile, knowledge_path
from kgen.knowledge.identity import check_class_identity
from kgen.knowledge.llm_provenance import LLMProvenance, PromptRecord
from kgen.llm.answers import ListSpec
from kgen.llm.client import Fallback, LLMClient, LLMRequest
from kgen.llm.types import SamplingParams
from kgen.text.grounding import Grounding
from kgen.text.stopwords import english_stopwords

KEYWORDS = PromptTemplate(
    "attributes.keywords",
    "You are a helpful assistant.",
    'Extract 5-10 essential keywords from "{description}" that best describe the action {action} in the paragraph. '
    "Focus on objects, motions, and contexts related to the action.",
    SamplingParams(temperature=0.7, max_tokens=256),  # Kim et al. §3.2
)
_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
MIN_KEYWORDS, MAX_KEYWORDS = 5, 10  # "Extract 5-10 essential keywords"
MAX_KEYWORD_WORDS = 4


def keywords_spec(description: str, action: str, grounded: bool) -> tuple[ListSpec, Fallback | None]:
    """What a keywords answer must be, and what it falls back on: keywords drawn from the
    description and the action's name (``grounded``), at least as many as they have words (up to
    5); the fallback chooses them from those words."""
    if not grounded:
        return ListSpec(MIN_KEYWORDS, MAX_KEYWORDS, "keyword", max_words=MAX_KEYWORD_WORDS), None
    grounding = Grounding(f"{description} {action}")
    words = grounding.words()
    low = max(1, min(MIN_KEYWORDS, len(words)))
    spec = ListSpec(low, MAX_KEYWORDS, "keyword", max_words=MAX_KEYWORD_WORDS, grounding=grounding)
    if not words:
        return spec, None
    narrow = ListSpec(low, min(MAX_KEYWORDS, len(words)), "keyword", max_words=MAX_KEYWORD_WORDS, choices=words)
    return spec, Fallback(narrow, f"Choose each keyword from this list of the paragraph's words: {', '.join(words)}.")


def candidate_words(keywords: list[str]) -> list[str]:
    """Keyword words, lowercased, without stopwords, non-words and duplicates, in order."""
    stop = english_stopwords()
    seen: set[str] = set()
    out: list[str] = []
    for keyword in keywords:
        for word in _WORD.findall(keyword.casefold()):
            word = word.strip("'-")
            if len(word) < 2 or word in stop or word in seen:
                continue
            seen.add(word)
            out.append(word)
    return out


class AttributesBuilder(KindBuilder[ClassAttributes]):
    kind = "attributes"
    file_model = AttributesFile

    def __init__(self, dataset: Dataset, top_n: int = 8, separator: str = ", ") -> None:
        super().__init__(dataset)
        if top_n not in ALLOWED_TOP_N:
            raise InputError(f"--top-n must be one of {', '.join(map(str, ALLOWED_TOP_N))} (got {top_n})", hint="Kim et al. use 8")
        self.top_n, self.separator = top_n, separator
        self.descriptions: DescriptionsFile | None = None

    def check_inputs(self) -> None:
        path = knowledge_path(self.dataset.name, "descriptions")
        if not path.exists():
            raise InputError(
                f"the attributes of {self.dataset.name} need its crawled descriptions, and {path} does not exist",
                hint=f"run `kgen crawl {self.dataset.selector}` first",
            )
        descriptions = DescriptionsFile.load(path)
        check_class_identity(
            descriptions, self.dataset.classes, self.dataset.name, path=path,
            rebuild_hint="run `kgen crawl` again for this class list (same --dataset/--classes), then rerun build-attributes",
        )
        self.descriptions = descriptions

    async def build_class(self, client: LLMClient, entry: ClassEntry) -> ClassAttributes:
        if self.descriptions is None:
            self.check_inputs()
        assert self.descriptions is not None
        found = self.descriptions.for_class(entry.id)
        # kgen's choice where the crawl found no definition (e.g. HMDB51's "flic flac" offline):
        # the keywords are extracted from the action's name alone, and the entry says so, rather
        # than leaving the class without attributes (which would stop every bank of the dataset).
        crawled = found is not None and bool(found.refined.strip())
        description = " ".join(found.refined.split()) if crawled and found is not None else entry.name
        spec, fallback = keywords_spec(description, entry.name, grounded=crawled)
        request = LLMRequest(
            purpose=f"{KEYWORDS.step} [{entry.name}]",
            messages=KEYWORDS.messages(description=description, action=entry.name),
            spec=spec,
            sampling=KEYWORDS.sampling,
            fallback=fallback,
        )
        answer = await client.ask(request)
        keywords = list(answer.value.items)  # type: ignore[attr-defined]
        candidates = candidate_words(keywords)
        if not candidates:
            raise ClassFailed("attributes.keywords: every keyword was a stopword")
        return ClassAttributes(
            class_id=entry.id, class_name=entry.name, label=entry.label, description_sha256=sha256_text(description),
            description_source="crawl" if crawled else "class-name", keywords=keywords, candidates=candidates,
        )

    def prompt_records(self) -> list[PromptRecord]:
        return [KEYWORDS.record()]

    def parameters(self) -> dict[str, Any]:
        # top_n and separator only shape bank_texts: entries stay valid when they change.
        return {"keywords": "5-10", "stopwords": "kgen/text/stopwords_en.txt", "keywords_from": "description"}

    def make_file(self, entries: list[ClassAttributes], provenance: LLMProvenance) -> KnowledgeFile:
        provenance.parameters = {**provenance.parameters, "top_n": self.top_n, "separator": self.separator}
        return AttributesFile(
            dataset=self.dataset.name, provenance=provenance, top_n=self.top_n, separator=self.separator, classes=entries
        )
