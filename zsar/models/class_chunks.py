"""Class-wise scores computed a block of classes at a time, so memory does not grow with the label set.

Every model scores a video against every class: ViFi-CLIP's and SC-CLIP's cosines ``[B, C]``,
the late interaction of AP-CLIP and STDD (a ``[B, T, C, N]`` block of frame/prompt cosines), and
DA-STI's class-conditioned features ``[B, C, D]``. With C = 100,000 classes and 36 prompts a
class, the late interaction's block alone is ``8 x 8 x 100k x 36`` floats (0.9 GB for a batch of
8 videos of 8 frames, and as much again for its masked copy), and DA-STI's intermediate
``[B*T, C, D]`` tensors are tens of GB. The scores of a class depend only on that class, so they
are computed for blocks of classes and concatenated, and the working memory is one block's. The
result is the same up to float32 rounding: a block's matrix product is smaller than the whole
label set's, and BLAS may sum a dot product in another order for it (seen at D = 16: one cosine
in ten differs in its last bit; at D = 512 the benchmark finds them bit for bit equal); rankings
are unchanged (tested).

* :func:`class_chunk_size`: how many classes a block holds, from the number of elements one class
  adds to the largest intermediate tensors and the budget :data:`CLASS_BLOCK_ELEMENTS`.
* :func:`over_class_chunks`: runs a scoring function block by block and concatenates its outputs.

**Training.** When autograd records the scores (grad mode on and an input that requires grad,
:func:`needs_grad`), each block's intermediates would be kept for the backward pass, so
plain chunking would not bound memory. When gradients are needed the budget is larger
(:data:`GRAD_CLASS_BLOCK_ELEMENTS`: an ordinary training label space of a few hundred classes is
one block, computed as before), and when a label set exceeds it each block is *recomputed* in the
backward pass (``torch.utils.checkpoint``, non-reentrant): only the inputs and each block's
outputs are kept. The gradients are those of the unchunked computation up to the order of
floating-point sums (tested); the cost is one more forward pass of the scoring head, not of the
image tower.

:func:`class_blocks` changes both budgets for a ``with`` block (tests, benchmarks, or a GPU with
memory to spare).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence

import torch
from torch.utils.checkpoint import checkpoint

# The largest intermediate of one block of classes, in elements: 2^24 floats (64 MiB in fp32).
# At B = 8 videos of T = 8 frames and N = 36 prompts of D = 512 this is about 800 classes a
# block, so C = 100,000 classes take ~125 blocks of a few hundred MB of working memory.
CLASS_BLOCK_ELEMENTS = 1 << 24
# With gradients: 2^28 elements (1 GiB in fp32) before the classes are split and recomputed.
GRAD_CLASS_BLOCK_ELEMENTS = 1 << 28

_budget: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("class_block_budget", default=None)


@contextlib.contextmanager
def class_blocks(elements: int, grad_elements: int | None = None) -> Iterator[None]:
    """Use these budgets (elements of one block's largest intermediates) inside the ``with`` block."""
    if elements < 1 or (grad_elements is not None and grad_elements < 1):
        raise ValueError("a class block budget must be at least one element")
    token = _budget.set((elements, elements if grad_elements is None else grad_elements))
    try:
        yield
    finally:
        _budget.reset(token)


def block_budget(with_grad: bool) -> int:
    """The budget in force: with gradients or without."""
    budget = _budget.get()
    if budget is None:
        return GRAD_CLASS_BLOCK_ELEMENTS if with_grad else CLASS_BLOCK_ELEMENTS
    return budget[1] if with_grad else budget[0]


def class_chunk_size(num_classes: int, elements_per_class: int, *, with_grad: bool) -> int:
    """Classes per block so that ``block x elements_per_class`` stays within the budget (at least 1)."""
    per_class = max(1, int(elements_per_class))
    return max(1, min(max(1, num_classes), block_budget(with_grad) // per_class))


def needs_grad(*tensors: torch.Tensor | None) -> bool:
    """Whether autograd will record a computation on ``tensors`` (grad mode on and one of them requires grad)."""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def over_class_chunks(
    score: Callable[[int, int], Sequence[torch.Tensor]],
    num_classes: int,
    elements_per_class: int,
    dims: Sequence[int],
    *,
    with_grad: bool,
) -> list[torch.Tensor]:
    """``score(start, stop)`` over consecutive blocks of classes, each output concatenated along its ``dims``.

    The blocks hold :func:`class_chunk_size` classes (``elements_per_class``: what one class adds
    to the block's largest intermediates). ``score`` returns a tuple of tensors whose class
    dimension is given by ``dims`` (one per output). With one block it is called once, as
    without chunking. ``with_grad`` says whether the result will be differentiated (see
    :func:`needs_grad`): then the larger budget applies, and with several blocks each block runs
    under ``torch.utils.checkpoint`` (recomputed in the backward pass; module docstring).
    """
    chunk = class_chunk_size(num_classes, elements_per_class, with_grad=with_grad)
    if num_classes <= chunk:
        return list(score(0, num_classes))
    parts: list[Sequence[torch.Tensor]] = []
    for start in range(0, num_classes, chunk):
        stop = min(num_classes, start + chunk)
        if with_grad:
            parts.append(checkpoint(_as_tuple, score, start, stop, use_reentrant=False))
        else:
            parts.append(score(start, stop))
    return [torch.cat([part[k] for part in parts], dim=dim) for k, dim in enumerate(dims)]


def _as_tuple(score: Callable[[int, int], Sequence[torch.Tensor]], start: int, stop: int) -> tuple[torch.Tensor, ...]:
    return tuple(score(start, stop))
