"""The gloss-embedding worker: ``python -m kgen.crawl.embed_worker MODEL_FOLDER``.

It loads the model, then reads a JSON list of texts on stdin, embeds them with kgen's all-MiniLM-L6-v2 forward pass
(``similarity.MiniLM``) and writes one float32 vector per text, in order, as raw little-endian bytes
on stdout. ``Similarity.prepare_in_background`` runs it beside the sense choice: its own process
imports torch, loads the model and runs the matrix products while the crawl's interpreter works out
the context evidence, so neither waits for the other (see docs/crawl.md, "Speed").
"""

from __future__ import annotations

import json
import sys
from array import array
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kgen.crawl.embed_worker MODEL_FOLDER < texts.json", file=sys.stderr)
        return 2
    # load the model first: the crawl starts the worker before it knows the texts
    from kgen.crawl.similarity import MiniLM, ModelFiles

    model = MiniLM(ModelFiles(Path(argv[0]), "worker"))
    try:
        texts = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except ValueError:
        texts = None  # the crawl stopped before sending any (its end of the pipe closed)
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        print("expected a JSON list of strings on stdin", file=sys.stderr)
        return 2
    if not texts:
        return 0
    vectors = model.encode(texts)
    out = array("f")
    for vector in vectors:
        out.extend(vector)
    if sys.byteorder != "little":
        out.byteswap()
    sys.stdout.buffer.write(out.tobytes())
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
