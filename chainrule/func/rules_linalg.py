"""Batching rules of the linear-algebra primitives, and vmap for linalg functions that read
their input's values.

Every linalg primitive works on a stack of matrices (*, m, n), so the vmap batch is one more
leading batch dimension: the primitive runs once on the value (det, logabsdet, inv, cholesky,
eigh, qr, svd, pinv, householder_product). Two-operand ones (solve, lu_solve, ormqr) broadcast
their batch dimensions, so the batched operands get size-1 axes after the vmap batch up to the
highest batch rank (as the broadcasting primitives do), and an unbatched operand broadcasts.

Functions that compute on their input's array outside the primitives (slogdet's sign,
matrix_exp's scaling, lu_factor's pivots, …) call :func:`on_leading_batch`: under vmap the
function runs once on the plain tensors underneath, the batch dimensions in front (every linalg
function treats leading dimensions as a batch), and its results are batched again.
"""
from __future__ import annotations

import builtins

from ..tensor import Tensor
from . import tree
from .batched import rewrap


def stacked(cls, values, batched, params, size):
    """One operand (*, m, n): the vmap batch is one more leading dimension."""
    if not batched[0] or builtins.any(batched[1:]):
        return NotImplemented
    return cls.apply(*values, **params)


def _padded(v, rank: int):
    from ..ops import reshape

    missing = rank - (v.ndim - 1)
    if missing <= 0:
        return v
    return reshape(v, (v.shape[0],) + (1,) * missing + tuple(v.shape[1:]))


_VECTOR_SECOND = ("linalg_lu_solve", "linalg_householder_product", "linalg_ormqr")


def aligned(cls, values, batched, params, size):
    """Several stacks whose batch dimensions broadcast: the batched ones padded to the highest
    batch rank (the second operand of lu_solve, householder_product and ormqr, pivots or tau
    (*, k), has one axis of its own, the others two)."""
    own = [1 if i == 1 and cls.name in _VECTOR_SECOND else 2 for i in range(len(values))]
    top = builtins.max(v.ndim - (1 if b else 0) - k
                       for v, b, k in zip(values, batched, own) if isinstance(v, Tensor))
    if cls.name in _VECTOR_SECOND:      # these do not broadcast an unbatched operand: expand it
        values = [_expanded(v, size) if isinstance(v, Tensor) and not b else v
                  for v, b in zip(values, batched)]
        batched = [isinstance(v, Tensor) for v in values]
    out = [_padded(v, top + k) if b else v for v, b, k in zip(values, batched, own)]
    return cls.apply(*out, **params)


def _expanded(v, size: int):
    from ..ops import broadcast_to, expand_dims

    return broadcast_to(expand_dims(v, 0), (size,) + tuple(v.shape))


def on_leading_batch(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` for a function whose leading dimensions are batch dimensions:
    outside vmap (no batched argument) NotImplemented; under vmap, ``fn`` once on the plain
    tensors underneath (every argument lifted to the same vmap levels, their batch dimensions
    in front) and the results batched again."""
    from .composite import _plain

    levels, (p_args, p_kwargs) = _plain(args, kwargs)
    if not levels:
        return NotImplemented
    out = fn(*p_args, **p_kwargs)
    leaves, out_spec = tree.flatten(out)
    return tree.unflatten([rewrap(o, levels) if isinstance(o, Tensor) else o for o in leaves],
                          out_spec)


RULES = {
    **dict.fromkeys(("linalg_det", "linalg_logabsdet", "linalg_inv", "linalg_cholesky",
                     "linalg_eigh", "linalg_qr", "linalg_svd", "linalg_pinv",
                     "linalg_lu_factor"), stacked),
    **dict.fromkeys(("linalg_solve", "linalg_lu_solve", "linalg_householder_product",
                     "linalg_ormqr"), aligned),
}
