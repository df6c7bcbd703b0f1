"""How alike a bank's classes are: the cosine between classifier rows.

A bank's classifier row for class ``k`` is the renormalised mean of its text embeddings
(:meth:`kgen.banks.Bank.classifier`); a zero-shot model scores a video against these rows, so two
classes whose rows are close are the pairs the text side cannot separate. This module gives

* :func:`similarity_matrix`: the ``[C, C]`` cosine matrix (for heatmaps);
* :func:`confusable_pairs`: the ``top`` most similar pairs of distinct classes, computed in row
  blocks so that it also works for label sets far larger than a heatmap can show;
* :func:`clustered_order`: an order of the classes that puts similar classes next to each other
  (average-linkage clustering of the cosine distance, leaves in merge order), so that a heatmap
  shows blocks instead of label-order noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Rows of the classifier multiplied at once by confusable_pairs (bounds memory to BLOCK x C floats).
BLOCK_ROWS = 1024


class ConfusablePair(BaseModel):
    """Two distinct classes and the cosine of their classifier rows."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(description="1 for the most similar pair")
    a: str
    b: str
    a_id: int
    b_id: int
    cosine: float


class BankSimilarity(BaseModel):
    """What ``kgen bank sim --json`` prints (and the report writes per bank)."""

    model_config = ConfigDict(extra="forbid")

    bank_id: str
    kind: str
    classes: int
    mean_cosine: float = Field(description="mean cosine over all pairs of distinct classes")
    max_cosine: float
    pairs: list[ConfusablePair]


def as_unit_rows(classifier: np.ndarray) -> np.ndarray:
    """``classifier`` as float32 rows of unit length (a bank stores them so; this guards fp16 banks)."""
    rows = np.asarray(classifier, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def similarity_matrix(classifier: np.ndarray) -> np.ndarray:
    """``[C, C]`` float32 cosines of the classifier rows (the diagonal is 1)."""
    rows = as_unit_rows(classifier)
    sim = rows @ rows.T
    np.fill_diagonal(sim, 1.0)
    return np.clip(sim, -1.0, 1.0)


def confusable_pairs(
    classifier: np.ndarray, class_names: Sequence[str], class_ids: Sequence[int], top: int = 20
) -> list[ConfusablePair]:
    """The ``top`` pairs of distinct classes with the highest cosine, most similar first.

    Ties are broken by label order (the lower first index, then the lower second), so the list is
    the same from run to run.
    """
    rows = as_unit_rows(classifier)
    count = len(rows)
    if count < 2 or top <= 0:
        return []
    candidates_sim: list[np.ndarray] = []
    candidates_i: list[np.ndarray] = []
    candidates_j: list[np.ndarray] = []
    for start in range(0, count, BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS] @ rows.T
        i_index = np.arange(start, start + len(block))[:, None]
        j_index = np.arange(count)[None, :]
        block = np.where(j_index > i_index, block, -np.inf)  # each unordered pair once, no diagonal
        flat = block.ravel()
        keep = min(top, int(np.isfinite(flat).sum()))
        if keep == 0:
            continue
        chosen = np.argpartition(-flat, keep - 1)[:keep]
        candidates_sim.append(flat[chosen])
        candidates_i.append(chosen // count + start)
        candidates_j.append(chosen % count)
    sims = np.concatenate(candidates_sim)
    first = np.concatenate(candidates_i)
    second = np.concatenate(candidates_j)
    order = np.lexsort((second, first, -sims))[:top]
    return [
        ConfusablePair(
            rank=rank + 1,
            a=class_names[int(first[k])],
            b=class_names[int(second[k])],
            a_id=int(class_ids[int(first[k])]),
            b_id=int(class_ids[int(second[k])]),
            cosine=float(sims[k]),
        )
        for rank, k in enumerate(order)
    ]


def pair_statistics(classifier: np.ndarray) -> tuple[float, float]:
    """Mean and maximum cosine over all pairs of distinct classes (computed in row blocks)."""
    rows = as_unit_rows(classifier)
    count = len(rows)
    if count < 2:
        return 0.0, 0.0
    total = rows.sum(axis=0, dtype=np.float64)
    # sum over i != j of <r_i, r_j> = |sum r|^2 - sum |r_i|^2
    mean = (float(total @ total) - float((rows.astype(np.float64) ** 2).sum())) / (count * (count - 1))
    best = -1.0
    for start in range(0, count, BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS] @ rows.T
        inside = np.arange(len(block))
        block[inside, start + inside] = -np.inf
        best = max(best, float(block.max()))
    return mean, best


def bank_similarity(
    bank_id: str, kind: str, classifier: np.ndarray, class_names: Sequence[str], class_ids: Sequence[int], top: int
) -> BankSimilarity:
    mean, best = pair_statistics(classifier)
    return BankSimilarity(
        bank_id=bank_id,
        kind=kind,
        classes=len(class_names),
        mean_cosine=mean,
        max_cosine=best,
        pairs=confusable_pairs(classifier, class_names, class_ids, top),
    )


def clustered_order(sim: np.ndarray) -> list[int]:
    """Class indices ordered so that similar classes sit together.

    Average-linkage agglomerative clustering on the cosine distance ``1 - sim`` (the same
    linkage seaborn's clustermap uses by default); when two clusters merge, their leaf lists are
    joined in whichever of the four orientations puts the most similar pair of ends side by side.
    O(C^2) memory and O(C^3) worst-case time in vectorised steps: about a second at C = 1000.
    """
    count = len(sim)
    if count <= 2:
        return list(range(count))
    dist = (1.0 - np.asarray(sim, dtype=np.float64)).copy()
    np.fill_diagonal(dist, np.inf)
    sizes = np.ones(count)
    leaves: dict[int, list[int]] = {k: [k] for k in range(count)}
    for _ in range(count - 1):
        flat = int(np.argmin(dist))
        i, j = divmod(flat, count)
        if i > j:
            i, j = j, i
        merged = (sizes[i] * dist[i] + sizes[j] * dist[j]) / (sizes[i] + sizes[j])
        dist[i, :] = merged
        dist[:, i] = merged
        dist[i, i] = np.inf
        dist[j, :] = np.inf
        dist[:, j] = np.inf
        sizes[i] += sizes[j]
        leaves[i] = _join(leaves[i], leaves.pop(j), sim)
    (order,) = leaves.values()
    return order


def _join(left: list[int], right: list[int], sim: np.ndarray) -> list[int]:
    options = [
        (left, right),
        (left, right[::-1]),
        (left[::-1], right),
        (left[::-1], right[::-1]),
    ]
    best = max(options, key=lambda pair: float(sim[pair[0][-1], pair[1][0]]))
    return best[0] + best[1]
