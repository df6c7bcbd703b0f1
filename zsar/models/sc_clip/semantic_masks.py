"""SC-CLIP's semantic-related masks (§3.2, eq. 2): window seeds, K-means, mask fusion; batched in torch.

Input: the dense tokens ``O`` of the frozen CLIP for a group of frames (one video: ``T`` frames),
``[G, T, H, W, D]`` for ``G`` groups. Output: :class:`SemanticMasks`, a partition of each group's
``T x H x W`` tokens into semantic regions.

1. **Seeds** (eq. 2): for every window size ``s`` in ``S`` (``{3, 7}``, the authors' call
   ``SelfCorrespondenceMulti([3, 7], ...)``), the mean of ``O`` over every ``s x s`` window at the
   positions ``I = J = {0, floor(s/2), ..., H - s}`` (stride ``floor(s/2)``, i.e.
   ``avg_pool2d(kernel=s, stride=max(1, s // 2))``). §3.2 treats "the T frames as a collection
   of individual frames", so the seeds are taken **per frame** (kgen's reading): a 14 x 14 grid
   gives 144 + 9 = 153 seeds per frame, 1,224 for 8 frames.
2. **K-means** (the authors: one iteration, ``iters=1``): every token of the group is assigned to
   its nearest seed by **cosine** similarity (kgen's choice: CLIP's joint space is compared by
   cosine everywhere else), then each centre becomes the mean of its tokens (renormalised); a
   centre that receives no token is dropped. After the iterations, each token belongs to its
   nearest remaining centre: the clusters.
3. **Mask fusion**: clusters whose centres have cosine ``>= delta`` are merged, transitively
   (connected components of the thresholded similarity graph, found by batched min-label
   propagation). ``delta = 1`` keeps distinct clusters apart, ``delta = -1`` merges all.
   (Table 1: 0.9 UCF101, 0.85 HMDB51/SSv2, 0.8 K600; §5.3.2: a larger ``delta`` keeps more masks.)

4. **Cap** (the authors' call passes ``patch_num=64``; ``mask_generate.py``, which would say what
   it does, is not in the release): kgen reads it as the most regions a video may have. When
   fusion leaves more than ``max_regions``, the largest regions (most tokens; ties: the lower
   region index) are kept, in their original order, and the tokens of the others belong to no
   region (they are pooled into no query and biased towards no query). ``None``: no cap.

The number of merged regions differs per group, so masks are padded to the largest count ``Q``
with a validity mask. Everything runs batched on the tokens' device; there is no Python loop
over videos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class SemanticMasks:
    """Semantic regions of ``G`` groups of ``N = T*H*W`` tokens.

    ``region [G, N]``: each token's region index (``0..count[g]-1``, ``-1`` for a token of a region
    dropped by the cap); ``masks [G, Q, N]`` bool
    (``masks[g, q, n] == (region[g, n] == q)``); ``valid [G, Q]``: which of the ``Q`` padded
    regions exist; ``count [G]``.
    """

    region: torch.Tensor
    masks: torch.Tensor
    valid: torch.Tensor
    count: torch.Tensor

    @property
    def num_queries(self) -> int:
        return int(self.masks.shape[1])


def window_seeds(tokens: torch.Tensor, window_sizes: Sequence[int]) -> torch.Tensor:
    """Eq. (2) per frame: ``[G, T, H, W, D]`` -> seeds ``[G, T * sum_s |I_s| |J_s|, D]``.

    Windows of one size come in row-major order of their top-left corner, sizes in the order given.
    """
    if tokens.ndim != 5:
        raise ValueError(f"expected dense tokens [G, T, H, W, D], got {tuple(tokens.shape)}")
    groups, frames, height, width, dim = tokens.shape
    grid = tokens.permute(0, 1, 4, 2, 3).reshape(groups * frames, dim, height, width)
    seeds = []
    for size in window_sizes:
        if not 1 <= size <= min(height, width):
            raise ValueError(f"window size {size} does not fit a {height} x {width} token grid")
        pooled = F.avg_pool2d(grid, kernel_size=size, stride=max(1, size // 2))  # [G*T, D, |I|, |J|]
        seeds.append(pooled.flatten(2).transpose(1, 2))  # [G*T, |I||J|, D]
    return torch.cat(seeds, dim=1).reshape(groups, -1, dim)


def kmeans_refine(
    points: torch.Tensor, seeds: torch.Tensor, iterations: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cosine K-means from ``seeds``: ``points [G, N, D]``, ``seeds [G, K, D]``.

    Returns ``(centres [G, K, D] unit, alive [G, K] bool, assignment [G, N])``: after
    ``iterations`` update steps, each point's nearest living centre.
    """
    points = F.normalize(points.float(), dim=-1)
    centres = F.normalize(seeds.float(), dim=-1)
    groups, num_points, dim = points.shape
    num_centres = centres.shape[1]
    alive = torch.ones(groups, num_centres, dtype=torch.bool, device=points.device)
    offsets = (torch.arange(groups, device=points.device) * num_centres).unsqueeze(1)

    def assign() -> torch.Tensor:
        similarity = torch.einsum("gnd,gkd->gnk", points, centres)
        return similarity.masked_fill(~alive.unsqueeze(1), float("-inf")).argmax(dim=2)

    for _ in range(iterations):
        assignment = assign()
        flat = (assignment + offsets).flatten()
        sums = torch.zeros(groups * num_centres, dim, device=points.device, dtype=points.dtype)
        sums.index_add_(0, flat, points.reshape(-1, dim))
        counts = torch.bincount(flat, minlength=groups * num_centres).view(groups, num_centres)
        alive = counts > 0
        centres = torch.where(alive.unsqueeze(2), F.normalize(sums.view(groups, num_centres, dim), dim=-1), centres)
    return centres, alive, assign()


def connected_components(adjacency: torch.Tensor) -> torch.Tensor:
    """Batched components of symmetric ``[G, K, K]`` bool graphs: each node's smallest node index in its component."""
    groups, nodes, _ = adjacency.shape
    labels = torch.arange(nodes, device=adjacency.device).expand(groups, nodes).clone()
    big = torch.full_like(labels, nodes)
    for _ in range(nodes):
        neighbour_min = torch.where(adjacency, labels.unsqueeze(1), big.unsqueeze(2)).amin(dim=2)
        updated = torch.minimum(labels, neighbour_min)
        # Pointer jumping: take the label of one's label, which halves long chains each round.
        updated = torch.gather(updated, 1, updated)
        if torch.equal(updated, labels):
            break
        labels = updated
    return labels


def fuse_clusters(centres: torch.Tensor, alive: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Merge clusters whose centres have cosine ``>= threshold`` (transitively).

    Returns ``(compact [G, K], count [G])``: each living centre's merged region index
    (``0..count-1``, regions numbered by their smallest centre index), ``-1`` for dead centres.
    """
    similarity = torch.einsum("gkd,gjd->gkj", centres, centres)
    both_alive = alive.unsqueeze(2) & alive.unsqueeze(1)
    adjacency = (similarity >= threshold) & both_alive
    root = connected_components(adjacency)
    is_root = alive & (root == torch.arange(root.shape[1], device=root.device))
    rank = torch.cumsum(is_root.long(), dim=1) - 1
    compact = torch.gather(rank, 1, root).masked_fill(~alive, -1)
    return compact, is_root.sum(dim=1)


def cap_regions(region: torch.Tensor, count: torch.Tensor, max_regions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep at most ``max_regions`` regions per group, the largest (module docstring, step 4).

    ``region [G, N]`` (indices ``0..count-1``) -> ``(region [G, N]`` renumbered ``0..kept-1``, ``-1``
    for tokens of dropped regions, ``count [G])``.
    """
    if int(count.max()) <= max_regions:
        return region, count
    groups = region.shape[0]
    slots = int(count.max())
    sizes = torch.zeros(groups, slots, dtype=torch.long, device=region.device)
    sizes.scatter_add_(1, region.clamp(min=0), (region >= 0).long())
    # Rank regions by size, ties by the lower index: sort key size * slots - index, descending.
    index = torch.arange(slots, device=region.device)
    key = sizes * slots - index
    key = key.masked_fill(index.unsqueeze(0) >= count.unsqueeze(1), -1)  # padding slots never win
    chosen = torch.zeros(groups, slots, dtype=torch.bool, device=region.device)
    chosen.scatter_(1, key.topk(min(max_regions, slots), dim=1).indices, True)
    chosen &= index.unsqueeze(0) < count.unsqueeze(1)
    renumber = torch.where(chosen, torch.cumsum(chosen.long(), dim=1) - 1, torch.full_like(sizes, -1))
    capped = torch.where(region >= 0, torch.gather(renumber, 1, region.clamp(min=0)), region)
    return capped, chosen.sum(dim=1)


def semantic_masks(
    tokens: torch.Tensor,
    *,
    window_sizes: Sequence[int] = (3, 7),
    iterations: int = 1,
    threshold: float = 0.9,
    max_regions: int | None = 64,
) -> SemanticMasks:
    """SQG's masks for dense tokens ``[G, T, H, W, D]`` (see the module docstring)."""
    groups, frames, height, width, dim = tokens.shape
    with torch.no_grad():
        seeds = window_seeds(tokens.float(), window_sizes)
        points = tokens.reshape(groups, frames * height * width, dim)
        centres, alive, assignment = kmeans_refine(points, seeds, iterations)
        compact, count = fuse_clusters(centres, alive, threshold)
        region = torch.gather(compact, 1, assignment)  # [G, N], every assigned centre is alive
        if max_regions is not None:
            region, count = cap_regions(region, count, max_regions)
        num_queries = max(1, int(count.max()))
        query_index = torch.arange(num_queries, device=tokens.device)
        masks = region.unsqueeze(1) == query_index.view(1, -1, 1)
        valid = query_index.unsqueeze(0) < count.unsqueeze(1)
    return SemanticMasks(region=region, masks=masks, valid=valid, count=count)


def mask_pool(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Eq. (3): the mean of ``features [G, N, W]`` over each mask ``[G, Q, N]`` -> ``[G, Q, W]`` (0 for an empty mask)."""
    weights = masks.to(features.dtype)
    sums = torch.einsum("gqn,gnw->gqw", weights, features)
    return sums / weights.sum(dim=2, keepdim=True).clamp(min=1.0)
