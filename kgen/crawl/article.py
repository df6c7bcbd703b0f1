"""Which Wikipedia article describes the action: the rules, with no network in sight.

The crawler asks Wikipedia in rounds, each batched across all classes (see ``crawler.py``):

1. **titles**: the class name as written and its gerund form ("ride horse", "Riding horse"), 50 titles
   per request, redirects followed. A page that exists, is not a disambiguation page and does not
   read as something other than an action is taken; among several, the one whose first sentence
   reads most like an action wins, then the earlier title.
2. **disambiguation**: for a class whose title led to a disambiguation page, the page's links whose
   title is the class name plus a qualifier ("Diving (sport)") or that contain every word of the name
   are fetched (again batched), and the sense that reads most like an action is taken; a sense must
   read like one (score >= 1).
3. **search**: for the rest, one ``generator=search`` request per class; the first of the top 5
   hits whose title shares a word with the class name, whose title and first sentence together hold
   every word of the name, and whose first sentence reads like an action (score >= 1) is taken.

"Reads like an action" is scored on the *definitional head* of the first sentence (what follows
"is", "are", "was", "refers to", ...; MOS:FIRST makes that the definition): +1 for each distinct
cue word of an activity (sport, exercise, movement, technique, act, ...) or -ing verb form among
its first 7 words (the genus: "a combat sport", "the practice of burning"; not "a brush ... used for
smoothing"), -2 for each cue of something else (film, album, village, species, surname, ...) among
its first 14. The lists are
kgen's choice (the papers say only "the best matching article") and are in this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kgen.crawl.phrase import STOPWORDS, Phrase, is_gerund
from kgen.crawl.textclean import clean_encyclopedia_text, split_sentences, stem, words_of
from kgen.crawl.wikipedia import WikiPage

MatchKind = Literal["title", "redirect", "disambiguation", "search", "pinned"]

ACTION_CUES = frozenset(
    """act acts action actions activity activities sport sports exercise exercises movement movements
    move moves motion technique techniques skill skills game games practice practices process method
    manoeuvre maneuver maneuvers manoeuvres discipline event events competition art dance dances stroke
    strokes shot shots throw throws jump jumps kick kicks position posture stance gesture gestures
    expression behavior behaviour habit locomotion gait pastime recreation hobby routine training workout
    performance procedure ritual trick tricks feat feats play playing way manner style""".split()
)
NON_ACTION_CUES = frozenset(
    """film films movie album albums song songs single band novel book magazine newspaper journal company
    corporation brand manufacturer village town city municipality county district province region river
    lake mountain island television tv series episode sitcom character surname genus species plant ship
    racehorse software videogame ep musical opera fictional comic manga anime footballer politician actor
    actress singer musician rapper writer website station school university building bridge road street
    team club league organization organisation airline restaurant hotel mineral chemical compound protein
    gene newspaper railway census neighbourhood neighborhood""".split()
)
# Words ending in -ing that are not verb forms.
_NOT_GERUNDS = frozenset(
    "during including according something anything nothing everything building morning evening clothing "
    "ceiling king ring rings wing wings spring string thing things bring sing sting swing".split()
)
_COPULA = re.compile(
    r"\b(?:is|are|was|were|refers to|refer to|describes|means|denotes|consists of)\b", re.IGNORECASE
)
_MAY_REFER = re.compile(r"\b(?:may|might|can|could) (?:also )?refer to\b", re.IGNORECASE)
HEAD_WORDS = 14  # negative cues are looked for this far into the definition
GENUS_WORDS = 7  # positive cues only this far: the genus ("a sport", "the practice of burning")


@dataclass(frozen=True)
class ArticleChoice:
    page: WikiPage
    match: MatchKind
    via: str | None  # the disambiguation page or the search query
    score: int

    @property
    def note(self) -> str | None:
        if self.match == "redirect":
            note = f"redirected from {self.page.redirected_from}"
            return note + (f" (section {self.page.fragment})" if self.page.fragment else "")
        if self.match == "disambiguation":
            return f"chosen from disambiguation page {self.via}"
        if self.match == "pinned":
            return f"pinned by {self.via}"
        if self.match == "search":
            return f"search result #{(self.page.search_rank or 0)} for {self.via!r}"
        return None


def first_sentence(extract: str) -> str:
    sentences = split_sentences(clean_encyclopedia_text(extract))
    return sentences[0] if sentences else ""


def definitional_head(sentence: str) -> list[str]:
    """The words that say what the subject *is*: after the first copula, at most HEAD_WORDS."""
    match = _COPULA.search(sentence)
    rest = sentence[match.end() :] if match else sentence
    return words_of(rest)[:HEAD_WORDS]


def action_score(extract: str) -> int:
    head = definitional_head(first_sentence(extract))
    genus = head[:GENUS_WORDS]
    positives = {w for w in genus if w in ACTION_CUES}
    positives |= {w for w in genus if w not in _NOT_GERUNDS and is_gerund(w)}
    negatives = {w for w in head if w in NON_ACTION_CUES}
    return len(positives) - 2 * len(negatives)


def looks_like_disambiguation(page: WikiPage) -> bool:
    """pageprops says so, or the intro is a 'X may refer to:' list (wikis without PageProps)."""
    return page.disambiguation or bool(_MAY_REFER.search(first_sentence(page.extract)))


def choose_by_title(pages: list[WikiPage]) -> ArticleChoice | None:
    """Step 1: among the pages the title variants led to (best variant first)."""
    best: ArticleChoice | None = None
    for page in pages:
        if not page.exists or not page.extract.strip() or looks_like_disambiguation(page):
            continue
        score = action_score(page.extract)
        if score < 0:
            continue
        kind: MatchKind = "redirect" if page.redirected_from else "title"
        if best is None or score > best.score:
            best = ArticleChoice(page=page, match=kind, via=None, score=score)
    return best


def choose_pinned(page: WikiPage | None, pinned_from: str) -> ArticleChoice | None:
    """The article a user pinned (an overrides file), whatever it reads like, if it exists."""
    if page is None or not page.exists or not page.extract.strip():
        return None
    return ArticleChoice(page=page, match="pinned", via=pinned_from, score=0)


def disambiguation_pages(pages: list[WikiPage]) -> list[str]:
    return list(dict.fromkeys(p.title for p in pages if p.exists and looks_like_disambiguation(p)))


_QUALIFIED = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
ACTION_QUALIFIERS = frozenset(
    """sport sports gymnastics exercise activity dance martial arts athletics swimming wrestling boxing
    yoga acrobatics skateboarding skiing cheerleading football basketball baseball cricket golf tennis
    volleyball hockey move movement action motion climbing diving fencing archery combat""".split()
)


def _qualifier_score(qualifier: str) -> int:
    words = set(words_of(qualifier))
    if words & NON_ACTION_CUES:
        return -5
    return 2 if words & ACTION_QUALIFIERS else 0


def disambiguation_candidates(
    links: list[str], phrase: Phrase, variants: list[str], limit: int = 8
) -> list[str]:
    """Links of a disambiguation page that may be the action's article, most promising first."""
    wanted = {v.casefold() for v in variants} | {" ".join(phrase.words).casefold()}
    name_stems = {stem(w) for w in phrase.words if w not in STOPWORDS}
    scored: list[tuple[int, int, str]] = []
    for order, link in enumerate(links):
        match = _QUALIFIED.match(link)
        base, qualifier = (match.group(1), match.group(2)) if match else (link, "")
        if base.casefold() in wanted:
            score = 3 + (_qualifier_score(qualifier) if qualifier else 1)
        elif name_stems and name_stems <= {stem(w) for w in words_of(link)}:
            score = 1 + (_qualifier_score(qualifier) if qualifier else 0)
        else:
            continue
        if score > 0:
            scored.append((-score, order, link))
    return [link for _, _, link in sorted(scored)[:limit]]


def choose_from_disambiguation(candidates: list[WikiPage], via: str) -> ArticleChoice | None:
    """Step 2: the candidate sense that reads most like an action (score >= 1), first on ties."""
    best: ArticleChoice | None = None
    for page in candidates:
        if not page.exists or not page.extract.strip() or looks_like_disambiguation(page):
            continue
        score = action_score(page.extract)
        match = _QUALIFIED.match(page.title)
        if match:
            score += max(0, _qualifier_score(match.group(2)))
        if score >= 1 and (best is None or score > best.score):
            best = ArticleChoice(page=page, match="disambiguation", via=via, score=score)
    return best


def choose_from_search(hits: list[WikiPage], phrase: Phrase, query: str) -> ArticleChoice | None:
    """Step 3: the first search hit that is about this action."""
    name_stems = {stem(w) for w in phrase.words if w not in STOPWORDS}
    if not name_stems:
        return None
    for page in hits:
        if not page.exists or not page.extract.strip() or looks_like_disambiguation(page):
            continue
        title_stems = {stem(w) for w in words_of(page.title)}
        # "Hairbrush" holds "hair" and "brush": compare inside compounds too.
        title_compact = re.sub(r"[^a-z0-9]", "", page.title.lower())
        in_title = {s for s in name_stems if s in title_stems or s in title_compact}
        sentence_stems = {stem(w) for w in words_of(first_sentence(page.extract))}
        if not in_title or not name_stems <= (in_title | sentence_stems):
            continue
        score = action_score(page.extract)
        if score >= 1:
            return ArticleChoice(page=page, match="search", via=query, score=score)
    return None
