"""The dataset as context of its class names: one sense per discourse, and what the classes act on.

``choose_dataset_senses`` chooses the senses of every class of a dataset in two passes. The first
knows nothing of the others. The second lets the dataset speak where a name says nothing else:

* ``discourse``: a word tends to keep one sense within a discourse (Gale, Church & Yarowsky 1992).
  An action word whose name gives no other clue ("playing dhol": WordNet has no "dhol") gains points
  for the sense the same word got, with the support of its own name's context and a clear margin,
  in the dataset's other classes ("playing cello", "playing sitar" ...: "perform music on (a
  musical instrument)");
* ``dataset``: a name of one chunk ("catch") gains points for a gloss that names what the other
  classes act on ("Catch the *ball*!" in HMDB51, where balls are kicked and shot).

The second pass runs only for the classes it can change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kgen.crawl.phrase import STOPWORDS, Phrase
from kgen.crawl.roles import chunk_roles
from kgen.crawl.senses import CONTEXT_KINDS, LOW_CONFIDENCE_MARGIN, ChunkChoice, SenseChooser
from kgen.crawl.textclean import stem, words_of
from kgen.crawl.wordnet import Synset

MIN_DISCOURSE_VOTES = 2  # other classes that must agree before a word's sense is a precedent


@dataclass
class Discourse:
    """The senses a dataset's classes chose with clear evidence, per word (one sense per discourse)."""

    votes: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)  # (word, pos) -> id -> n
    by_class: dict[str, list[tuple[tuple[str, str], str]]] = field(default_factory=dict)
    objects: dict[str, set[str]] = field(default_factory=dict)  # stem -> classes acting on it

    def add(self, class_name: str, choices: Iterable[ChunkChoice]) -> None:
        for choice in choices:
            if choice.chosen is None or choice.pinned is not None:
                continue
            if choice.role not in ("action", "gerund-alone", "alone"):
                continue  # the action's word: "playing" keeps its sense across "playing <instrument>"
            margin = choice.margin
            if margin is None or margin < LOW_CONFIDENCE_MARGIN:
                continue
            if not any(e.kind in CONTEXT_KINDS and e.points > 0 for e in choice.chosen.evidence):
                continue  # a choice the name's context did not support is no precedent
            key = (choice.chunk.text, choice.chosen.pos)
            self.votes.setdefault(key, Counter())[choice.chosen.id] += 1
            self.by_class.setdefault(class_name, []).append((key, choice.chosen.id))

    def add_objects(self, class_name: str, phrase: Phrase, roles: list[str]) -> None:
        """Remember the things a class name acts on (its non-action chunks), as dataset context."""
        for chunk, role in zip(phrase.chunks, roles, strict=True):
            if role in ("object", "modifier", "head"):
                for word in words_of(chunk.text):
                    if word not in STOPWORDS:
                        self.objects.setdefault(stem(word), set()).add(class_name)

    def has_votes(self, class_name: str, word: str) -> bool:
        """Whether enough *other* classes chose a sense for the action word ``word``."""
        for (voted_word, _pos), votes in self.votes.items():
            if voted_word != word:
                continue
            own = sum(1 for key, _ in self.by_class.get(class_name, []) if key[0] == word)
            if sum(votes.values()) - own >= MIN_DISCOURSE_VOTES:
                return True
        return False

    def object_words(self, class_name: str) -> set[str]:
        """Stems of what the dataset's *other* classes act on."""
        return {w for w, owners in self.objects.items() if owners - {class_name}}

    def share(self, class_name: str, word: str, pos: str, synset_id: str) -> tuple[float, int]:
        """The share of the *other* classes' votes for ``word`` that went to ``synset_id``."""
        votes = Counter(self.votes.get((word, pos), Counter()))
        for key, voted in self.by_class.get(class_name, []):
            if key == (word, pos):
                votes[voted] -= 1
        total = sum(n for n in votes.values() if n > 0)
        if total < MIN_DISCOURSE_VOTES:
            return 0.0, total
        return max(votes.get(synset_id, 0), 0) / total, total



@dataclass(frozen=True)
class NameToChoose:
    """A class name for :func:`choose_dataset_senses`, with the user's pins."""

    class_name: str
    phrase: Phrase
    pins: Mapping[int, Synset] | None = None
    pinned_from: str | None = None


def choose_dataset_senses(
    chooser: SenseChooser, names: list[NameToChoose]
) -> dict[str, list[ChunkChoice]]:
    """The senses of every class name of a dataset, in two passes: the second knows what the first
    chose across the dataset (one sense per discourse; what the other classes act on) and is run
    only for the classes it can change."""
    if chooser.similarity is not None:
        # one batched pass over every gloss the dataset's names may need (a cached one costs nothing),
        # in a worker process beside the first pass's context evidence, which needs no similarity
        # (a first Kinetics-400 crawl: docs/crawl.md, "Speed")
        texts: set[str] = set()
        for item in names:
            texts |= chooser.similarity_texts(item.phrase)
        embedding = chooser.similarity.prepare_in_background(texts)
        try:
            for item in names:
                chooser.prepare_pairs(item.phrase, item.pins)
        except BaseException:
            embedding.cancel()
            raise
        embedding.wait()
    discourse = Discourse()
    first: dict[str, list[ChunkChoice]] = {}
    roles: dict[str, list[str]] = {}
    for item in names:
        first[item.class_name] = chooser.choose(
            item.phrase, class_name=item.class_name, pins=item.pins, pinned_from=item.pinned_from
        )
        roles[item.class_name] = chunk_roles(chooser.wordnet, item.phrase)
        discourse.add(item.class_name, first[item.class_name])
        discourse.add_objects(item.class_name, item.phrase, roles[item.class_name])
    final: dict[str, list[ChunkChoice]] = {}
    for item in names:
        if _dataset_matters(chooser, discourse, item, roles[item.class_name]):
            final[item.class_name] = chooser.choose(
                item.phrase,
                class_name=item.class_name,
                discourse=discourse,
                pins=item.pins,
                pinned_from=item.pinned_from,
            )
        else:
            final[item.class_name] = first[item.class_name]
    return final


def _dataset_matters(
    chooser: SenseChooser, discourse: Discourse, item: NameToChoose, roles: list[str]
) -> bool:
    """Whether the dataset can change this class's choice (``choose``: the dataset speaks only where
    the name says nothing else): a name of one chunk, or an action word other classes voted on
    whose name's other chunks WordNet does not know."""
    chunks = item.phrase.chunks
    if len(chunks) == 1:
        return True
    for i, (chunk, role) in enumerate(zip(chunks, roles, strict=True)):
        if role not in ("action", "gerund-alone", "alone"):
            continue
        if any(chooser.has_senses(item.phrase, j) for j in range(len(chunks)) if j != i):
            continue
        if discourse.has_votes(item.class_name, chunk.text):
            return True
    return False


