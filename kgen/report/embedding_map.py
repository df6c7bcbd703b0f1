"""2-D maps of class embeddings: exact t-SNE (always available) or UMAP (when ``umap-learn`` is
installed).

Several banks are drawn in one map by embedding all their classifier rows *together*: a t-SNE or
UMAP of each bank alone would give each its own arbitrary coordinates, and the overlay would mean
nothing. Banks can share a map only when their vectors live in one space (the same CLIP text tower
and weights); :func:`map_groups` groups them so.

The t-SNE is the exact algorithm of van der Maaten & Hinton (JMLR 2008), with the optimisation
settings scikit-learn uses for ``method="exact"``: PCA to 50 dimensions first, perplexity 30 (or
(N - 1) / 3 for small N), Gaussian conditionals found by bisection to that perplexity, symmetric
P, Student-t Q, early exaggeration 12 for the first 250 iterations with momentum 0.5, then 0.8,
per-parameter gains (delta-bar-delta, floor 0.01), learning rate max(N / 12 / 4, 50), PCA
initialisation scaled to a standard deviation of 1e-4. Exact t-SNE costs O(N^2) per iteration:
about 20 ms at N = 2400 on one core, so a few thousand points (600 classes x 4 banks) take under a
minute; beyond ``MAX_POINTS`` the report says so and draws no map rather than take hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kgen.errors import InputError

MapMethod = Literal["auto", "tsne", "umap"]
MAX_POINTS = 8000
EARLY_EXAGGERATION = 12.0
EXAGGERATION_ITERATIONS = 250
GRADIENT_BLOCK = 128  # rows of the N x N kernel computed at once (a block stays in the CPU cache)


@dataclass
class MapResult:
    coords: np.ndarray  # [N, 2]
    method: str  # "t-SNE" or "UMAP"
    parameters: dict[str, Any] = field(default_factory=dict)


def umap_available() -> bool:
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True


def embed_2d(points: np.ndarray, method: MapMethod = "auto", *, seed: int = 0, iterations: int = 1000) -> MapResult:
    """2-D coordinates of ``points`` ([N, D] rows); ``auto`` means UMAP when installed, else t-SNE."""
    if method not in ("auto", "tsne", "umap"):
        raise InputError(f"unknown map method {method!r}", hint="use auto, tsne or umap")
    if method == "umap" or (method == "auto" and umap_available()):
        return _umap(points, seed=seed)
    return tsne(points, seed=seed, iterations=iterations)


def _umap(points: np.ndarray, *, seed: int) -> MapResult:
    try:
        import umap
    except ImportError as exc:
        raise InputError(
            "--map umap needs the umap-learn package", hint="pip install umap-learn, or use --map tsne"
        ) from exc
    neighbours = max(2, min(15, len(points) - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, metric="cosine", random_state=seed)
    coords = np.asarray(reducer.fit_transform(np.asarray(points, dtype=np.float32)), dtype=np.float64)
    return MapResult(coords, "UMAP", {"n_neighbors": neighbours, "metric": "cosine", "random_state": seed})


def _pca(points: np.ndarray, dims: int) -> np.ndarray:
    centred = points - points.mean(axis=0, keepdims=True)
    if centred.shape[1] <= dims:
        return centred
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:dims].T


def _squared_distances(x: np.ndarray) -> np.ndarray:
    norms = (x * x).sum(axis=1)
    dist = norms[:, None] + norms[None, :] - 2.0 * (x @ x.T)
    np.maximum(dist, 0.0, out=dist)
    np.fill_diagonal(dist, 0.0)
    return dist


def _conditional_p(dist: np.ndarray, perplexity: float, tolerance: float = 1e-5, steps: int = 100) -> np.ndarray:
    """Row-wise Gaussian conditionals p(j|i) whose entropy is log(perplexity), by bisection on the
    precision beta = 1 / (2 sigma^2), all rows at once."""
    count = len(dist)
    target = math.log(perplexity)
    # Shift each row by its smallest off-diagonal distance: P is unchanged, exp() cannot underflow to 0.
    off = dist + np.diag(np.full(count, np.inf))
    shifted = dist - off.min(axis=1, keepdims=True)
    np.fill_diagonal(shifted, 0.0)  # p(i|i) is set to 0 below; keep exp() finite there
    beta = np.ones(count)
    low = np.full(count, -np.inf)
    high = np.full(count, np.inf)
    probs = np.zeros_like(dist)
    for _ in range(steps):
        probs = np.exp(-shifted * beta[:, None])
        np.fill_diagonal(probs, 0.0)
        total = np.maximum(probs.sum(axis=1), 1e-300)
        entropy = np.log(total) + beta * (shifted * probs).sum(axis=1) / total
        probs /= total[:, None]
        gap = entropy - target
        if np.all(np.abs(gap) < tolerance):
            break
        too_flat = gap > 0  # entropy too high: sharpen (raise beta)
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(
            too_flat,
            np.where(np.isinf(high), beta * 2.0, (beta + high) / 2.0),
            np.where(np.isinf(low), beta / 2.0, (beta + low) / 2.0),
        )
    return probs


def _gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dC/dy of KL(P || Q) with the Student-t kernel, computed in row blocks that stay in cache:
    grad_i = 4 (sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z), w_ij = (1 + |y_i - y_j|^2)^-1,
    Z = sum_{i != j} w_ij (the same value as the textbook 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j))."""
    count = len(y)
    y0 = np.ascontiguousarray(y[:, 0])
    y1 = np.ascontiguousarray(y[:, 1])
    attract = np.empty_like(y)
    repel = np.empty_like(y)
    z = 0.0
    # Plain element-wise numpy, no BLAS: a threaded BLAS call on these thin (B x N x 2) products
    # is slower than the arithmetic itself on a busy machine.
    for start in range(0, count, GRADIENT_BLOCK):
        stop = min(start + GRADIENT_BLOCK, count)
        dx = np.subtract.outer(y0[start:stop], y0)
        dy = np.subtract.outer(y1[start:stop], y1)
        kernel = dx * dx
        kernel += dy * dy
        kernel += 1.0
        np.reciprocal(kernel, out=kernel)
        inside = np.arange(stop - start)
        kernel[inside, start + inside] = 0.0
        z += float(kernel.sum(dtype=np.float64))
        weights = p[start:stop] * kernel
        attract[start:stop, 0] = (weights * dx).sum(axis=1)
        attract[start:stop, 1] = (weights * dy).sum(axis=1)
        np.multiply(kernel, kernel, out=kernel)
        repel[start:stop, 0] = (kernel * dx).sum(axis=1)
        repel[start:stop, 1] = (kernel * dy).sum(axis=1)
    return 4.0 * (attract - repel / max(z, 1e-12))


def _kl_divergence(p: np.ndarray, y: np.ndarray) -> float:
    kernel = 1.0 / (1.0 + _squared_distances(y.astype(np.float64)))
    np.fill_diagonal(kernel, 0.0)
    q = np.maximum(kernel / kernel.sum(), 1e-12)
    return float((p * np.log(p / q)).sum(dtype=np.float64))


def tsne(
    points: np.ndarray,
    *,
    perplexity: float = 30.0,
    iterations: int = 1000,
    seed: int = 0,
    pca_dims: int = 50,
) -> MapResult:
    """Exact t-SNE of ``points`` (see the module docstring for the settings)."""
    x = np.asarray(points, dtype=np.float64)
    count = len(x)
    if count > MAX_POINTS:
        raise InputError(
            f"{count} points are too many for an exact t-SNE (at most {MAX_POINTS})",
            hint="draw fewer banks in the map (--map-bank), or install umap-learn and use --map umap",
        )
    if count < 3:
        coords = np.zeros((count, 2))
        if count == 2:
            coords[1, 0] = 1.0
        return MapResult(coords, "t-SNE", {"points": count, "note": "fewer than 3 points: placed on a line"})
    perplexity = min(perplexity, (count - 1) / 3.0)
    reduced = _pca(x, pca_dims)
    conditional = _conditional_p(_squared_distances(reduced), perplexity)
    p = (conditional + conditional.T) / (2.0 * count)
    np.maximum(p, 1e-12, out=p)
    p = p.astype(np.float32)

    # PCA initialisation, scaled as scikit-learn does (std of the first axis 1e-4).
    init = _pca(reduced, 2)
    if init.shape[1] < 2:
        init = np.column_stack([init, np.zeros(count)])
    scale = float(np.std(init[:, 0])) or 1.0
    y = (init / scale * 1e-4).astype(np.float32)
    rng = np.random.default_rng(seed)
    y += rng.normal(0.0, 1e-8, size=y.shape).astype(np.float32)  # breaks exact ties between identical rows

    learning_rate = max(count / EARLY_EXAGGERATION / 4.0, 50.0)
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    exaggerated = p * EARLY_EXAGGERATION
    for step in range(iterations):
        early = step < EXAGGERATION_ITERATIONS
        momentum = 0.5 if early else 0.8
        grad = _gradient(exaggerated if early else p, y)
        same_sign = (grad > 0) == (update > 0)
        gains = np.where(same_sign, gains * 0.8, gains + 0.2)
        np.maximum(gains, 0.01, out=gains)
        update = momentum * update - learning_rate * gains * grad
        y += update
        y -= y.mean(axis=0, keepdims=True)
    kl = _kl_divergence(p, y)
    return MapResult(
        y.astype(np.float64),
        "t-SNE",
        {
            "points": count,
            "perplexity": round(perplexity, 3),
            "iterations": iterations,
            "early_exaggeration": EARLY_EXAGGERATION,
            "learning_rate": round(learning_rate, 3),
            "pca_dims": min(pca_dims, x.shape[1]),
            "seed": seed,
            "kl_divergence": round(kl, 5) if math.isfinite(kl) else None,
        },
    )
