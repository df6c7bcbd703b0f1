"""``kgen crawl``: every class's definitions from Wikipedia, Wiktionary and WordNet, refined.

The crawl runs in batched rounds over *all* classes at once, so that the number of requests grows
with the number of batches, not of classes:

* Wikipedia: (1) the title variants of every class, 50 per request; (2) the links of the
  disambiguation pages hit, then the candidate senses, 50 per request; (3) one search per class still
  without an article (see ``article.py``).
* Wiktionary (at the same time, sharing the client's concurrency bound): (1) every headword the
  names need (whole names, chunks, WordNet lemmas), 50 per request; (2) the lemmas that form-of
  senses point to.
* WordNet: local lookups.

Every answer is cached as it arrives (``ResponseCache``), so a killed crawl resumes where it stopped
and a rerun asks for nothing. When the network is closed, the crawl says so once and goes on with
what is cached and with WordNet.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgen.cache import ResponseCache
from kgen.console import progress, warn, warn_once
from kgen.crawl import article as articles
from kgen.crawl.descriptions import (
    SOURCE_NAMES,
    ClassDescription,
    CrawlProvenance,
    DescriptionsFile,
    OverrideRecord,
    SourceName,
    SourceText,
)
from kgen.crawl.dictionary import (
    Definition,
    form_of_targets,
    pinned_definition,
    wiktionary_definition,
    wordnet_definition,
)
from kgen.crawl.discourse import NameToChoose, choose_dataset_senses
from kgen.crawl.http import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT_S,
    ClientStats,
    PoliteClient,
    RetryPolicy,
)
from kgen.crawl.mediawiki import MAX_TITLES_PER_REQUEST
from kgen.crawl.network import NetworkProbe
from kgen.crawl.overrides import ClassOverride, Overrides, default_overrides_path, load_overrides
from kgen.crawl.phrase import Chunk, Phrase, analyse, sanitize_title, wikipedia_titles
from kgen.crawl.refine import (
    MAX_SENTENCES,
    MIN_WORDS,
    REFINED_WORD_BUDGET,
    ChunkDefinitions,
    refine,
)
from kgen.crawl.roles import mostly_verb
from kgen.crawl.senses import LOW_CONFIDENCE_MARGIN, ChunkChoice, SenseChooser
from kgen.crawl.similarity import INSTALL_HINT as SIMILARITY_INSTALL_HINT
from kgen.crawl.similarity import SIMILARITY_ENV, Similarity, find_model
from kgen.crawl.textclean import clean_encyclopedia_text
from kgen.crawl.wikipedia import SEARCH_LIMIT, Wikipedia, wikipedia_api
from kgen.crawl.wiktionary import Wiktionary, WiktionaryEntry, wiktionary_api
from kgen.crawl.wordnet import INSTALL_HINT, Synset, WordNet, locate_wordnet_dir
from kgen.datasets import Dataset
from kgen.errors import InputError, SourceUnavailable
from kgen.knowledge.base import utc_now
from kgen.knowledge.identity import class_list_info

WEB_SOURCES: tuple[SourceName, ...] = ("wikipedia", "wiktionary")


@dataclass(frozen=True)
class CrawlSettings:
    sources: tuple[SourceName, ...] = SOURCE_NAMES
    offline: bool = False
    refresh: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    batch_size: int = MAX_TITLES_PER_REQUEST  # titles per request (1 = the benchmark's baseline)
    timeout_s: float = DEFAULT_TIMEOUT_S
    wikipedia_api: str | None = None
    wiktionary_api: str | None = None
    wordnet_dir: Path | None = None
    contact: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    show_progress: bool = True
    overrides: Path | None = None  # an overrides file; None: the dataset's crawl-overrides.yaml, if any
    use_overrides: bool = True
    similarity: bool = True  # sentence-embedding evidence in the sense choice, when the model is installed


@dataclass
class SourceSummary:
    classes_with_text: int = 0
    requests: int = 0
    cached: int = 0
    fetched: int = 0
    failed: int = 0
    note: str = ""


@dataclass
class CrawlOutcome:
    file: DescriptionsFile
    sources: dict[str, SourceSummary]
    network_closed: str | None
    http: ClientStats
    choices: dict[int, list[ChunkChoice]] = field(default_factory=dict)  # WordNet, per class id


@dataclass
class Pin:
    """An override of one class, resolved against WordNet."""

    override: ClassOverride
    source: str  # the overrides file
    chunks: dict[int, Synset] = field(default_factory=dict)  # chunk index -> pinned sense
    whole: Synset | None = None  # a sense pinned for the whole name

    def record(self) -> OverrideRecord:
        return OverrideRecord(
            file=self.source,
            kind=self.override.kind,
            value=self.override.value,
            note=self.override.note,
        )


@dataclass
class _ClassWork:
    entry_id: int
    name: str
    label: str
    phrase: Phrase
    titles: list[str]
    article: articles.ArticleChoice | None = None
    problems: list[str] = field(default_factory=list)
    pin: Pin | None = None

    def failed(self, source: str, what: str, reason: str) -> None:
        """Note a lookup that got no answer; a closed network is noted once per source."""
        if reason.startswith("network closed"):
            message = f"{source}: not reached (network closed)"
        else:
            message = f"{source}: no answer for {what}: {reason}"
        if message not in self.problems:
            self.problems.append(message)


def effective_sources(settings: CrawlSettings) -> tuple[SourceName, ...]:
    sources = tuple(s for s in SOURCE_NAMES if s in settings.sources)
    if not sources:
        raise InputError(
            "no source selected", hint="use --sources with some of: " + ", ".join(SOURCE_NAMES)
        )
    if settings.offline:
        sources = tuple(s for s in sources if s not in WEB_SOURCES)
        if not sources:
            raise InputError(
                "--offline leaves no source to crawl: Wikipedia and Wiktionary need the network",
                hint="add wordnet to --sources, or drop --offline",
            )
    return sources


def open_wordnet(settings: CrawlSettings, sources: tuple[SourceName, ...]) -> WordNet | None:
    """WordNet, or None (with a warning) when it is missing but a web source can stand in."""
    if "wordnet" not in sources:
        return None
    try:
        return WordNet(settings.wordnet_dir)
    except SourceUnavailable as exc:
        if not any(s in WEB_SOURCES for s in sources):
            where = "--offline" if settings.offline else "--sources wordnet"
            raise SourceUnavailable(
                f"{exc.message}; with {where} there is no other source",
                hint=f"{INSTALL_HINT}; or crawl online (Wikipedia, Wiktionary) without {where}",
            ) from exc
        warn(f"{exc.message}: crawling without WordNet ({INSTALL_HINT})")
        return None


def crawl(
    dataset: Dataset, settings: CrawlSettings, cache: ResponseCache | None = None
) -> CrawlOutcome:
    """Crawl ``dataset``'s classes (blocking; see the module docstring)."""
    own_cache = cache is None
    cache = cache or ResponseCache()
    try:
        return asyncio.run(_crawl(dataset, settings, cache))
    finally:
        if own_cache:
            cache.close()


def dataset_overrides(dataset: Dataset, settings: CrawlSettings) -> Overrides | None:
    """The overrides that apply to ``dataset`` (checked against its class names), if any."""
    if not settings.use_overrides:
        return None
    path = settings.overrides or default_overrides_path(dataset.name)
    if path is None:
        return None
    return load_overrides(path, [entry.name for entry in dataset.classes])


def resolve_pin(
    override: ClassOverride, source: str, class_name: str, phrase: Phrase, wordnet: WordNet | None
) -> Pin:
    """Check an override against WordNet and the name's chunks (InputError when it does not fit)."""
    pin = Pin(override=override, source=source)
    if override.kind != "wordnet":
        return pin
    if wordnet is None:
        raise InputError(
            f"{source}: {class_name!r} pins a WordNet sense, but WordNet is not used in this crawl",
            hint=f"add wordnet to --sources ({INSTALL_HINT})",
        )
    pins = override.wordnet if isinstance(override.wordnet, dict) else {"": str(override.wordnet)}
    chunk_texts = [c.text for c in phrase.chunks]
    for chunk_text, sense_id in pins.items():
        try:
            synset = wordnet.sense(sense_id)
        except KeyError as exc:
            raise InputError(
                f"{source}: {class_name!r}: {exc.args[0]}",
                hint=f"see the candidates with `kgen crawl --explain {class_name!r}`",
            ) from exc
        if chunk_text:
            wanted = chunk_text.strip().lower()
            if wanted not in chunk_texts:
                raise InputError(
                    f"{source}: {class_name!r} has no chunk {chunk_text!r}",
                    hint="its chunks are " + ", ".join(repr(c) for c in chunk_texts)
                    + " (or pin one sense for the whole name: `wordnet: <sense>`)",
                )
            pin.chunks[chunk_texts.index(wanted)] = synset
            continue
        index = _chunk_of(wordnet, phrase, synset)
        if index is None:
            pin.whole = synset  # a sense of none of its words: it defines the whole name
        else:
            pin.chunks[index] = synset
    return pin


def _chunk_of(wordnet: WordNet, phrase: Phrase, synset: Synset) -> int | None:
    """The chunk of ``phrase`` that ``synset`` is a sense of."""
    for index, chunk in enumerate(phrase.chunks):
        for lemma in wordnet.lemmas_for(chunk.entry, synset.pos):
            if any(s.id == synset.id for s in wordnet.synsets(lemma, synset.pos)):
                return index
    return None


async def _crawl(dataset: Dataset, settings: CrawlSettings, cache: ResponseCache) -> CrawlOutcome:
    sources = effective_sources(settings)
    overrides = dataset_overrides(dataset, settings)
    wordnet = open_wordnet(settings, sources)
    similarity = sense_similarity(settings) if wordnet is not None else None
    if similarity is not None and similarity.is_cold():
        similarity.start_worker()  # a first crawl: the model loads beside the work below
    web = [s for s in sources if s in WEB_SOURCES]
    work = []
    for entry in dataset.classes:
        phrase = analyse(entry.name, wordnet)
        item = _ClassWork(
            entry.id,
            entry.name,
            entry.label,
            phrase,
            wikipedia_titles(phrase, entry.name, wordnet),
        )
        override = overrides.get(entry.name) if overrides is not None else None
        if override is not None:
            source = str(overrides.path) if overrides is not None else ""
            item.pin = resolve_pin(override, source, entry.name, phrase, wordnet)
            if override.kind == "wikipedia" and override.wikipedia:
                item.titles = [sanitize_title(override.wikipedia)]
        work.append(item)
    summaries: dict[str, SourceSummary] = {s: SourceSummary() for s in sources}
    entries: dict[str, WiktionaryEntry] = {}
    http_stats = ClientStats()
    closed_reason: str | None = None
    bar = progress(transient=True) if settings.show_progress else nullcontext()
    with bar as bars:

        def advance(description: str, total: int) -> Callable[[int], None]:
            if bars is None:
                return lambda n: None
            task = bars.add_task(description, total=total)
            return lambda n: bars.advance(task, n)

        if web:
            async with PoliteClient(
                contact=settings.contact,
                timeout_s=settings.timeout_s,
                concurrency=settings.concurrency,
                policy=settings.retry,
                probe=NetworkProbe(),
            ) as client:
                tasks = []
                wiki = wikt = None
                if "wikipedia" in web:
                    wiki = Wikipedia(
                        name="wikipedia",
                        api=wikipedia_api(settings.wikipedia_api),
                        client=client,
                        cache=cache,
                        refresh=settings.refresh,
                        batch_size=settings.batch_size,
                    )
                    tasks.append(_wikipedia_rounds(wiki, work, advance))
                if "wiktionary" in web:
                    wikt = Wiktionary(
                        name="wiktionary",
                        api=wiktionary_api(settings.wiktionary_api),
                        client=client,
                        cache=cache,
                        refresh=settings.refresh,
                        batch_size=settings.batch_size,
                    )
                    tasks.append(_wiktionary_rounds(wikt, work, wordnet, entries, advance))
                await asyncio.gather(*tasks)
                http_stats = client.stats
                for source in (wiki, wikt):
                    if source is None:
                        continue
                    summary = summaries[source.name]
                    summary.requests = source.stats.requests
                    summary.cached = source.stats.cached
                    summary.fetched = source.stats.fetched
                    summary.failed = source.stats.failed
                    if source.closed is not None:
                        closed_reason = source.closed.reason
                        summary.note = "network closed"
        if closed_reason is not None:
            warn_once(
                "network-closed",
                f"the network is closed ({closed_reason}): using cached answers and offline sources "
                "(WordNet) only; pass --offline to skip the network",
            )
        try:
            classes, choices = _assemble(work, wordnet, entries, advance, similarity)
        finally:
            if similarity is not None:
                similarity.close()
    for source in sources:
        summaries[source].classes_with_text = sum(
            1 for c in classes if any(t.source == source for t in c.texts)
        )
    parameters = _parameters(settings, sources, wordnet, closed_reason)
    if overrides is not None:
        parameters["overrides"] = {"file": str(overrides.path), "classes": len(overrides)}
    for w in work:
        if w.pin is not None and w.pin.override.kind == "wikipedia" and (
            w.article is None or w.article.match != "pinned"
        ):
            reason = (
                "the network is not used (--offline)"
                if settings.offline or "wikipedia" not in web
                else "no such article"
            )
            for c in classes:
                if c.class_id == w.entry_id:
                    c.problems.insert(
                        0,
                        f"wikipedia: the pinned title {w.pin.override.wikipedia!r} was not used: {reason}",
                    )
    provenance = CrawlProvenance(
        sources=list(sources),
        offline=settings.offline,
        parameters=parameters,
    )
    if wordnet is not None:
        wordnet.close()
    file = DescriptionsFile(
        dataset=dataset.name, class_list=class_list_info(dataset.classes), provenance=provenance, classes=classes
    )
    return CrawlOutcome(
        file=file, sources=summaries, network_closed=closed_reason, http=http_stats, choices=choices
    )


def _parameters(
    settings: CrawlSettings,
    sources: tuple[SourceName, ...],
    wordnet: WordNet | None,
    closed: str | None,
) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "requested_sources": list(settings.sources),
        "titles_per_request": settings.batch_size,
        "refined_min_words": MIN_WORDS,
        "refined_max_sentences": MAX_SENTENCES,
        "refined_word_budget": REFINED_WORD_BUDGET,
        "low_confidence_margin": LOW_CONFIDENCE_MARGIN,
    }
    if "wikipedia" in sources:
        parameters["wikipedia_api"] = wikipedia_api(settings.wikipedia_api)
        parameters["search_limit"] = SEARCH_LIMIT
    if "wiktionary" in sources:
        parameters["wiktionary_api"] = wiktionary_api(settings.wiktionary_api)
    if "wordnet" in sources:
        parameters["wordnet_dir"] = str(
            wordnet.directory if wordnet else locate_wordnet_dir(settings.wordnet_dir)
        )
        parameters["wordnet_version"] = wordnet.version if wordnet else None
        parameters["sense_similarity"] = similarity_note(settings)
    if closed is not None:
        parameters["network"] = f"closed: {closed}"
    return parameters


# -- Wikipedia -------------------------------------------------------------------------------------


async def _wikipedia_rounds(
    wiki: Wikipedia, work: list[_ClassWork], advance: Callable[..., Callable[[int], None]]
) -> None:
    titles = [t for w in work for t in w.titles]
    wiki.on_progress = advance("wikipedia: titles", len(dict.fromkeys(titles)))
    pages = await wiki.pages(titles)
    pending_disambiguation: dict[int, list[str]] = {}
    for w in work:
        found = [pages[t] for t in w.titles if t in pages]
        for title in w.titles:
            if title in wiki.failures:
                w.failed("wikipedia", f"title {title!r}", wiki.failures[title])
        if w.pin is not None and w.pin.override.kind == "wikipedia":
            w.article = articles.choose_pinned(found[0] if found else None, w.pin.source)
            continue  # the user chose the article: no disambiguation, no search
        w.article = articles.choose_by_title(found)
        if w.article is None:
            hubs = articles.disambiguation_pages(found)
            if hubs:
                pending_disambiguation[w.entry_id] = hubs

    if wiki.closed is not None:
        return  # nothing more can be asked; what was cached is used

    # Round 2: the senses listed on the disambiguation pages hit.
    hubs = list(dict.fromkeys(h for hs in pending_disambiguation.values() for h in hs))
    if hubs:
        wiki.on_progress = advance("wikipedia: disambiguation pages", len(hubs))
        links = await wiki.links(hubs)
        candidates: dict[int, list[tuple[str, str]]] = {}
        for w in work:
            for hub in pending_disambiguation.get(w.entry_id, []):
                if hub in wiki.failures:
                    w.failed("wikipedia", f"the links of {hub!r}", wiki.failures[hub])
                for link in articles.disambiguation_candidates(
                    links.get(hub, []), w.phrase, w.titles
                ):
                    candidates.setdefault(w.entry_id, []).append((hub, link))
        wanted = list(dict.fromkeys(link for pairs in candidates.values() for _, link in pairs))
        if wanted:
            wiki.on_progress = advance("wikipedia: senses", len(wanted))
            sense_pages = await wiki.pages(wanted)
        else:
            sense_pages = {}
        for w in work:
            hubs_of = pending_disambiguation.get(w.entry_id)
            if not hubs_of:
                continue
            for hub in hubs_of:
                pairs = [link for h, link in candidates.get(w.entry_id, []) if h == hub]
                choice = articles.choose_from_disambiguation(
                    [sense_pages[p] for p in pairs if p in sense_pages], hub
                )
                if choice is not None:
                    w.article = choice
                    break
            if w.article is None and wiki.closed is None:
                w.problems.append(
                    f"wikipedia: disambiguation page {', '.join(repr(h) for h in hubs_of)} lists no sense that reads as an action"
                )

    if wiki.closed is not None:
        return

    # Round 3: search for the classes still without an article.
    searching = [
        w
        for w in work
        if w.article is None and not (w.pin is not None and w.pin.override.kind == "wikipedia")
    ]
    if searching:
        queries = [w.name for w in searching]
        wiki.on_progress = advance("wikipedia: search", len(dict.fromkeys(queries)))
        hits = await wiki.search(queries)
        for w in searching:
            if w.name in wiki.failures:
                w.failed("wikipedia", f"the search {w.name!r}", wiki.failures[w.name])
                continue
            w.article = articles.choose_from_search(hits.get(w.name, []), w.phrase, w.name)
            if w.article is None and w.name in hits:
                tried = ", ".join(repr(t) for t in w.titles)
                w.problems.append(
                    f"wikipedia: no article about this action (titles tried: {tried}; "
                    f"{len(hits[w.name])} search hit(s) for {w.name!r}, none about it)"
                )


# -- Wiktionary ------------------------------------------------------------------------------------


def _wiktionary_headwords(phrase: Phrase, name: str, wordnet: WordNet | None) -> list[str]:
    heads: list[str] = []
    whole = " ".join(phrase.words)
    if whole:
        heads.append(whole)
        if len(phrase.words) > 1:
            heads.append(
                "-".join(phrase.words)
            )  # "flic flac" -> "flic-flac", "push up" -> "push-up"
    written = sanitize_title(name)
    if written and written.lower() != written and written not in heads:
        heads.append(written)  # case-sensitive titles: "American football"
    for chunk in phrase.chunks:
        heads.append(chunk.text)
        heads.extend(_lemmas(chunk, wordnet))
    return [h for h in dict.fromkeys(heads) if h]


def _lemmas(chunk: Chunk, wordnet: WordNet | None) -> list[str]:
    if wordnet is None:
        return []
    lemmas: list[str] = []
    for pos in ("verb", "noun") if chunk.action else ("noun", "verb"):
        lemmas.extend(wordnet.lemmas_for(chunk.entry, pos)[:2])
    return [lemma for lemma in dict.fromkeys(lemmas) if lemma != chunk.text]


async def _wiktionary_rounds(
    wikt: Wiktionary,
    work: list[_ClassWork],
    wordnet: WordNet | None,
    entries: dict[str, WiktionaryEntry],
    advance: Callable[..., Callable[[int], None]],
) -> None:
    heads_of = {w.entry_id: _wiktionary_headwords(w.phrase, w.name, wordnet) for w in work}
    heads = [h for hs in heads_of.values() for h in hs]
    wikt.on_progress = advance("wiktionary: entries", len(dict.fromkeys(heads)))
    entries.update(await wikt.entries(heads))
    if wikt.closed is None:
        lemmas = [
            t for e in entries.values() if e.exists for t in form_of_targets(e) if t not in entries
        ]
        if lemmas:
            wikt.on_progress = advance("wiktionary: lemmas", len(dict.fromkeys(lemmas)))
            entries.update(await wikt.entries(lemmas))
    for w in work:
        for head in heads_of[w.entry_id]:
            if head in wikt.failures:
                w.failed("wiktionary", f"{head!r}", wikt.failures[head])


# -- Assembly --------------------------------------------------------------------------------------


def sense_similarity(settings: CrawlSettings) -> Similarity | None:
    """The sentence-embedding similarity the sense choice uses: None when switched off
    (``--no-similarity``, ``KGEN_SIMILARITY=off``) or when its model is not installed."""
    if not settings.similarity or os.environ.get(SIMILARITY_ENV, "").lower() in ("0", "off", "no", "false"):
        return None
    return Similarity.available()


def similarity_note(settings: CrawlSettings) -> str:
    """What the record and the summary say about the similarity evidence."""
    if not settings.similarity or os.environ.get(SIMILARITY_ENV, "").lower() in ("0", "off", "no", "false"):
        return "off"
    files = find_model()
    if files is None:
        return f"not installed ({SIMILARITY_INSTALL_HINT}); senses chosen without it"
    return files.model_id


def choose_all_senses(
    wordnet: WordNet, work: list[_ClassWork], similarity: Similarity | None = None
) -> dict[int, list[ChunkChoice]]:
    """The WordNet senses of every class (``senses.choose_dataset_senses``), by class id."""
    chosen = choose_dataset_senses(
        SenseChooser(wordnet, similarity),
        [
            NameToChoose(
                w.name,
                w.phrase,
                pins=w.pin.chunks if w.pin is not None else None,
                pinned_from=_pin_source(w),
            )
            for w in work
        ],
    )
    return {w.entry_id: chosen[w.name] for w in work}


def _pin_source(w: _ClassWork) -> str | None:
    return w.pin.source if w.pin is not None else None


def _assemble(
    work: list[_ClassWork],
    wordnet: WordNet | None,
    entries: dict[str, WiktionaryEntry],
    advance: Callable[..., Callable[[int], None]],
    similarity: Similarity | None = None,
) -> tuple[list[ClassDescription], dict[int, list[ChunkChoice]]]:
    tick = advance("refining", len(work))
    now = utc_now()
    have_wiktionary = bool(entries)
    senses = choose_all_senses(wordnet, work, similarity) if wordnet is not None else {}

    def lookup(headword: str) -> WiktionaryEntry | None:
        return entries.get(headword)

    classes = []
    for w in work:
        pin = w.pin
        chunk_defs: list[ChunkDefinitions] = []
        alone = len(w.phrase.chunks) == 1
        choices = senses.get(w.entry_id, [])
        for index, chunk in enumerate(w.phrase.chunks):
            wn_def = (
                wordnet_definition(wordnet, choices[index])
                if wordnet is not None and index < len(choices)
                else None
            )
            wk_def = (
                wiktionary_definition(
                    lookup,
                    chunk.text,
                    _lemmas(chunk, wordnet),
                    action=chunk.action,
                    gerund=chunk.gerund,
                    alone=alone,
                    verb_first=mostly_verb(wordnet, chunk.text) if wordnet else chunk.position == 0,
                )
                # a chunk WordNet's sense choice left out (none of the word's senses fits the name:
                # "salsa" beside dancing) is not defined from Wiktionary either
                if have_wiktionary and not (index < len(choices) and choices[index].left_out)
                else None
            )
            chunk_defs.append(ChunkDefinitions(chunk=chunk, wordnet=wn_def, wiktionary=wk_def))
        phrase_defs: ChunkDefinitions | None = None
        whole = " ".join(w.phrase.words)
        if pin is not None and pin.whole is not None and wordnet is not None:
            first = w.phrase.chunks[0] if w.phrase.chunks else Chunk(whole, 0, True)
            phrase_defs = ChunkDefinitions(
                chunk=Chunk(whole, 0, True, first.gerund),
                wordnet=pinned_definition(wordnet, pin.whole, whole, pin.source),
                wiktionary=None,
            )
        elif w.phrase.whole_is_entry and chunk_defs:
            phrase_defs = chunk_defs[0]
        elif have_wiktionary and (len(w.phrase.words) > 1 or len(w.phrase.chunks) > 1):
            # a closed compound split into chunks ("dodgeball") is first looked up whole, as a name is
            first = w.phrase.chunks[0] if w.phrase.chunks else Chunk(whole, 0, True)
            wk_whole = wiktionary_definition(
                lookup,
                whole,
                ["-".join(w.phrase.words), w.name.strip()],
                action=True,
                gerund=first.gerund,
                alone=True,
            )
            if wk_whole is not None:
                phrase_defs = ChunkDefinitions(
                    chunk=Chunk(whole, 0, True, first.gerund), wordnet=None, wiktionary=wk_whole
                )
        pinned_wordnet = pin is not None and pin.override.kind == "wordnet"
        manual = pin.override.text if pin is not None and pin.override.kind == "text" else None
        refined = refine(
            None if pinned_wordnet else w.article, phrase_defs, chunk_defs, manual_text=manual
        )

        texts: list[SourceText] = []
        if manual is not None and pin is not None:
            texts.append(
                SourceText(
                    source="manual",
                    query=w.name,
                    title="hand-written definition",
                    url=pin.source,
                    retrieved_at=now,
                    text=manual.strip(),
                    note=pin.override.note,
                    used=True,
                )
            )
        if w.article is not None:
            page = w.article.page
            texts.append(
                SourceText(
                    source="wikipedia",
                    query=page.requested,
                    title=page.title,
                    url=page.url,
                    revision_id=page.revision_id,
                    retrieved_at=page.retrieved_at,
                    text=clean_encyclopedia_text(page.extract),
                    note=w.article.note,
                    used=refined.rule == "wikipedia",
                )
            )
        seen: set[tuple[str, str, str]] = set()
        all_defs = (
            [phrase_defs] if phrase_defs and phrase_defs not in chunk_defs else []
        ) + chunk_defs
        for group in all_defs:
            for definition in (group.wordnet, group.wiktionary):
                if definition is None:
                    continue
                key = (definition.source, definition.headword, definition.sense)
                if key in seen:
                    continue
                seen.add(key)
                texts.append(_definition_text(definition, now, used=definition in refined.used))

        # Wikipedia's problems first, then Wiktionary's (the two ran concurrently), then the rest.
        order = {"wikipedia": 0, "wiktionary": 1}
        problems = sorted(w.problems, key=lambda p: order.get(p.split(":", 1)[0], 2))
        left_out = {c.chunk.text: c.left_out for c in choices if c.left_out}
        for chunk_text in refined.undefined:
            if chunk_text in left_out:
                problems.append(f"no WordNet sense of {chunk_text!r} fits the name (left out): {left_out[chunk_text]}")
            else:
                problems.append(f"no dictionary defines {chunk_text!r}")
        if not refined.text:
            problems.append("no source defines this class: refined description left empty")
        classes.append(
            ClassDescription(
                class_id=w.entry_id,
                class_name=w.name,
                label=w.label,
                texts=texts,
                refined=refined.text,
                refined_rule=refined.rule,
                problems=problems,
                qualifiers=[q.text for q in w.phrase.qualifiers],
                override=pin.record() if pin is not None else None,
                low_confidence=[
                    c.chunk.text
                    for c in choices
                    if c.low_confidence and _choice_used(c, refined.used)
                ],
            )
        )
        tick(1)
    return classes, senses


def _choice_used(choice: ChunkChoice, used: tuple[Definition, ...]) -> bool:
    """Whether the refined description uses the WordNet sense of ``choice``."""
    return choice.chosen is not None and any(
        d.source == "wordnet" and d.choice is not None and d.choice.sense_id == choice.chosen.id
        and d.query == choice.chunk.text
        for d in used
    )


def _definition_text(definition: Definition, now: str, used: bool) -> SourceText:
    return SourceText(
        source=definition.source,
        query=definition.query,
        title=definition.headword,
        url=definition.url,
        revision_id=definition.revision_id,
        retrieved_at=definition.retrieved_at or now,
        text=definition.text,
        note=definition.note,
        sense=definition.sense,
        used=used,
        choice=definition.choice,
    )
