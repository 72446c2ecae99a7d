"""Structured matrices and index sets (PyTorch's ``torch.block_diag``, ``cartesian_prod``,
``combinations``, ``tril_indices``, ``triu_indices``): the index sets are built on the host; the
matrices are gathers and zero-padding of their inputs, so gradients flow back to each entry.
"""
from __future__ import annotations

import itertools

from ..backend import xp
from ..tensor import Tensor
from .movement import concatenate, getitem, pad, reshape, stack


def _indices(rows, cols, dtype, which):
    from ..backend import numpy_dtype

    if rows < 0 or cols < 0:
        raise RuntimeError(f"{which}_indices: row and col must be non-negative, got {rows}, "
                           f"{cols}")
    return rows, cols, numpy_dtype(dtype) if dtype is not None else xp.int64


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle (j ≤ i + offset), row-major."""
    row, col, dtype = _indices(row, col, dtype, "tril")
    i, j = xp.tril_indices(row, offset, col)
    return Tensor._from_op(xp.stack([i, j]).astype(dtype), None)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle (j ≥ i + offset), row-major."""
    row, col, dtype = _indices(row, col, dtype, "triu")
    i, j = xp.triu_indices(row, offset, col)
    return Tensor._from_op(xp.stack([i, j]).astype(dtype), None)


def block_diag(*tensors) -> Tensor:
    """The block-diagonal matrix of the tensors (0-d: 1×1, 1-d: one row, 2-d: as they are),
    zero elsewhere; the dtype is their common one."""
    from .promotion import promote

    if not tensors:
        return Tensor._from_op(xp.zeros((1, 0), dtype=xp.float32), None)
    blocks = []
    for k, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {k} has {t.ndim} dimensions")
        blocks.append(reshape(t, (1, -1) if t.ndim < 2 else tuple(t.shape)))
    blocks = list(promote(*blocks)[0]) if len(blocks) > 1 else blocks
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, ((0, 0), (left, width - left - b.shape[1]))))
        left += b.shape[1]
    return concatenate(rows, 0)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one entry from each 1-d tensor, as rows (N₁·N₂·…, k); one tensor
    gives itself."""
    for k, t in enumerate(tensors):
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expect a 1D vector, but got shape "
                               f"{tuple(t.shape)} for tensor {k}")
    if len(tensors) == 1:
        return tensors[0]
    grids = xp.meshgrid(*[xp.arange(t.shape[0]) for t in tensors], indexing="ij")
    return stack([getitem(t, g.reshape(-1)) for t, g in zip(tensors, grids)], 1)


def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-r combinations of the entries of a 1-d tensor, as rows, in
    itertools.combinations order (with_replacement: combinations_with_replacement)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {tuple(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._from_op(xp.zeros((0,), dtype=input._data.dtype), None)
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = xp.array(list(pick(range(input.shape[0]), r)), dtype=xp.int64).reshape(-1, r)
    return stack([getitem(input, rows[:, k]) for k in range(r)], 1)
