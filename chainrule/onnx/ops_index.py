"""Indexing, ordering and counting: GatherElements, TopK, CumSum, Trilu, Range, Size.

On a Tensor the gradient flows back to the positions read (GatherElements, TopK's values, the
triangle Trilu keeps) or through the running sum (CumSum); the index outputs (TopK's indices),
Range and Size are integer arrays outside the autograd graph.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import array, ints, is_tensor


def _axis(axis: int, rank: int, op_type: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ValueError(f"{op_type}: axis={axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


@op("GatherElements")
def gather_elements(node: Node):
    r"""GatherElements(X, I): Y[…, j, …] = X[…, I[…, j, …], …] along ``axis`` (I has X's rank;
    negative entries count from the end) — PyTorch's ``gather``.

    Derivative: the gradient added back at the gathered positions (a scatter-add).
    """
    axis = int(node.attr("axis", 0))

    def run(x, indices):
        a = _axis(axis, x.ndim, "GatherElements")
        idx = array(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"GatherElements: expected integer indices, got dtype {idx.dtype}")
        n = x.shape[a]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise ValueError(f"GatherElements: indices out of range for axis {a} of length {n}")
        idx = np.where(idx < 0, idx + n, idx).astype(np.int64)
        if is_tensor(x):
            return _ops.gather(x, a, _ops.as_tensor(idx))
        return np.take_along_axis(np.asarray(x), idx, axis=a)

    return run


@op("TopK", max_outputs=2)
def top_k(node: Node):
    r"""TopK(X, K) → (values, indices): the K largest (largest = 1) or smallest entries along
    ``axis``, in order; equal entries by their position, the lower index first. (With
    sorted = 0 the order is the implementation's choice: this one is sorted too.)

    Derivative: the values' gradient goes back to the entries they were taken from.
    """
    axis = int(node.attr("axis", -1))
    largest = node.flag("largest", 1)
    node.flag("sorted", 1)

    def run(x, k):
        k = ints(k)
        if len(k) != 1 or k[0] < 0:
            raise ValueError(f"TopK: K must be one non-negative integer, got {list(k)}")
        k = k[0]
        a = _axis(axis, x.ndim, "TopK")
        if k > x.shape[a]:
            raise ValueError(f"TopK: K={k} is more than the {x.shape[a]} entries of axis {a}")
        values = array(x)
        # a stable sort of the keys keeps equal entries in index order, as ONNX asks
        order = np.argsort(-values if largest else values, axis=a, kind="stable")
        idx = np.take(order, np.arange(k), axis=a).astype(np.int64)
        if is_tensor(x):
            return _ops.gather(x, a, _ops.as_tensor(idx)), idx
        return np.take_along_axis(values, idx, axis=a), idx

    return run


@op("CumSum")
def cum_sum(node: Node):
    r"""CumSum(X, axis): Y_i = Σ_{j ≤ i} X_j along the axis (j < i with exclusive = 1; from the
    end with reverse = 1).

    Derivative: the reversed running sum of the gradient (∂L/∂X_j = Σ_{i ≥ j} g_i).
    """
    exclusive = node.flag("exclusive")
    reverse = node.flag("reverse")

    def run(x, axis):
        axes = ints(axis)
        if len(axes) != 1:
            raise ValueError(f"CumSum: axis must be one integer, got {list(axes)}")
        a = _axis(axes[0], x.ndim, "CumSum")
        if not is_tensor(x):
            v = np.asarray(x)
            v = np.flip(v, a) if reverse else v
            out = np.cumsum(v, axis=a, dtype=v.dtype)
            if exclusive:
                out = out - v
            return np.ascontiguousarray(np.flip(out, a) if reverse else out)
        v = _ops.flip(x, (a,)) if reverse else x
        if exclusive:      # shift by one: a zero first, the last entry dropped
            zero = _ops.zeros_like(_ops.narrow(v, a, 0, 1))
            v = _ops.cat([zero, _ops.narrow(v, a, 0, v.shape[a] - 1)], dim=a)
        out = _ops.cumsum(v, dim=a)
        return _ops.flip(out, (a,)) if reverse else out

    return run


@op("Trilu")
def trilu(node: Node):
    r"""Trilu(X, k?): the upper (upper = 1) or lower triangle of the last two axes, from the
    k-th diagonal; the rest is 0.   Derivative: the gradient on the kept triangle, 0 elsewhere."""
    upper = node.flag("upper", 1)

    def run(x, k=None):
        diagonal = 0 if k is None else ints(k)[0]
        if x.ndim < 2:
            raise ValueError(f"Trilu: expected an input of rank ≥ 2, got shape {list(x.shape)}")
        if is_tensor(x):
            return _ops.triu(x, diagonal) if upper else _ops.tril(x, diagonal)
        return (np.triu if upper else np.tril)(np.asarray(x), diagonal)

    return run


@op("Range")
def range_(node: Node):
    r"""Range(start, limit, delta) = start, start + delta, … while short of limit:
    max(⌈(limit − start) / delta⌉, 0) entries, of start's type."""
    def run(start, limit, delta):
        s, l, d = (array(v).reshape(()) for v in (start, limit, delta))
        if d == 0:
            raise ValueError("Range: delta must not be 0")
        n = max(int(math.ceil((float(l) - float(s)) / float(d))), 0)
        return (s + d * np.arange(n, dtype=s.dtype)).astype(s.dtype)

    return run


@op("Size")
def size(node: Node):
    r"""Size(X) = the number of X's entries, as an int64 scalar."""
    return lambda x: np.asarray(math.prod(x.shape), dtype=np.int64)
