"""Shape and movement: Shape, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Gather,
Slice, Expand, Identity.

These move numbers without changing them: on a Tensor the gradient is moved back the same way
(reshaped, permuted, scattered into the gathered or sliced positions, summed over expanded
axes); on NumPy arrays (the integer shape arithmetic exporters write) they are NumPy's.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from ..nn import functional as F
from .registry import Node, op
from .values import any_tensor, ints, is_tensor, tensor


def _axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"{what}={axis} is out of range for rank {rank}")
    return axis % rank


def _reshape(x, shape):
    return x.reshape(tuple(shape)) if is_tensor(x) else np.reshape(x, tuple(shape))


@op("Shape")
def shape(node: Node):
    r"""Shape(X) = X's dimensions (int64), from ``start`` to ``end`` (opset 15; clamped)."""
    start = int(node.attr("start", 0))
    end = node.attr("end")

    def run(x):
        dims = np.asarray(tuple(x.shape), dtype=np.int64)
        return dims[start:] if end is None else dims[start:int(end)]

    return run


@op("Reshape")
def reshape(node: Node):
    r"""Reshape(X, shape): X's elements in a new shape. An entry −1 is inferred; an entry 0
    copies X's dimension at that position (unless allowzero = 1, opset 14, where 0 means 0).

    Derivative: the gradient reshaped back.
    """
    allowzero = node.flag("allowzero")

    def run(x, target):
        target = list(ints(target))
        if not allowzero:
            for i, t in enumerate(target):
                if t == 0:
                    if i >= x.ndim:
                        raise ValueError(f"Reshape: shape {target} copies dimension {i} (a 0) "
                                         f"of an input of rank {x.ndim}")
                    target[i] = x.shape[i]
        if target.count(-1) > 1 or any(t < -1 for t in target):
            raise ValueError(f"Reshape: invalid shape {target}")
        if -1 in target:
            known = math.prod(t for t in target if t != -1)
            size = math.prod(x.shape)
            if known == 0 or size % known:
                raise ValueError(f"Reshape: cannot infer the −1 in {target} for an input of "
                                 f"shape {list(x.shape)}")
            target[target.index(-1)] = size // known
        if math.prod(target) != math.prod(x.shape):
            raise ValueError(f"Reshape: cannot reshape an input of shape {list(x.shape)} "
                             f"({math.prod(x.shape)} elements) to {target}")
        return _reshape(x, target)

    return run


@op("Flatten")
def flatten(node: Node):
    r"""Flatten(X) = X reshaped to (d₀·…·d_{a−1}, d_a·…·d_{r−1}), a = axis (default 1)."""
    axis = int(node.attr("axis", 1))

    def run(x):
        r = x.ndim
        if not -r <= axis <= r:
            raise ValueError(f"Flatten: axis={axis} is out of range for rank {r}")
        a = axis % r if axis != r else r
        return _reshape(x, (math.prod(x.shape[:a]), math.prod(x.shape[a:])))

    return run


@op("Transpose")
def transpose(node: Node):
    r"""Transpose(X): Y[i_{p(0)}, …] axes permuted by ``perm`` (default: reversed).

    Derivative: the gradient permuted by the inverse permutation.
    """
    perm = node.ints("perm")

    def run(x):
        p = tuple(reversed(range(x.ndim))) if perm is None else perm
        if sorted(p) != list(range(x.ndim)):
            raise ValueError(f"Transpose: perm {list(p)} is not a permutation of the "
                             f"{x.ndim} axes of an input of shape {list(x.shape)}")
        return x.permute(*p) if is_tensor(x) else np.transpose(x, p)

    return run


def _axes_source(node: Node):
    """Squeeze/Unsqueeze read ``axes`` from an attribute before opset 13, an input from 13 on."""
    if node.opset < 13:
        return lambda _input=None: node.ints("axes")
    return lambda given=None: None if given is None else ints(given)


@op("Squeeze")
def squeeze(node: Node):
    r"""Squeeze(X, axes?) removes the listed axes of length 1 (all of them when axes is omitted).

    Derivative: the gradient reshaped back."""
    read_axes = _axes_source(node)

    def run(x, axes=None):
        axes = read_axes(axes)
        r = x.ndim
        if axes is None:
            drop = {i for i, n in enumerate(x.shape) if n == 1}
        else:
            drop = {_axis(a, r, "axes") for a in axes}
            for a in drop:
                if x.shape[a] != 1:
                    raise ValueError(f"Squeeze: axis {a} of shape {list(x.shape)} is not 1")
        if is_tensor(x):                # the squeeze primitive: a re-export writes Squeeze again
            return _ops.squeeze(x, None if axes is None else tuple(sorted(drop)))
        return _reshape(x, [n for i, n in enumerate(x.shape) if i not in drop])

    return run


@op("Unsqueeze")
def unsqueeze(node: Node):
    r"""Unsqueeze(X, axes) inserts axes of length 1 at ``axes`` (positions in the output).

    Derivative: the gradient reshaped back."""
    read_axes = _axes_source(node)

    def run(x, axes=None):
        axes = read_axes(axes)
        if axes is None:
            raise ValueError("Unsqueeze: axes are required")
        r = x.ndim + len(axes)
        new = sorted(_axis(a, r, "axes") for a in axes)
        if len(set(new)) != len(new):
            raise ValueError(f"Unsqueeze: repeated axes {list(axes)}")
        if is_tensor(x):                # expand_dims: a re-export writes Unsqueeze again
            return _ops.expand_dims(x, tuple(new))
        dims = iter(x.shape)
        return _reshape(x, [1 if i in new else next(dims) for i in range(r)])

    return run


@op("Concat")
def concat(node: Node):
    r"""Concat(X₁, …, X_n) joins along ``axis``.   Derivative: the gradient split back."""
    axis = node.attr("axis")
    if axis is None:
        raise node.refuse("the axis attribute is required")

    def run(*xs):
        a = _axis(int(axis), xs[0].ndim)
        if any_tensor(*xs):
            return _ops.cat([tensor(x) for x in xs], dim=a)
        return np.concatenate([np.asarray(x) for x in xs], axis=a)

    return run


@op("Gather")
def gather(node: Node):
    r"""Gather(X, I): Y[i₀…, j…, k…] = X[i₀…, I[j…], k…] along ``axis`` (negative I count from
    the end).   Derivative: the gradient added back into the gathered positions."""
    axis = int(node.attr("axis", 0))

    def run(x, indices):
        a = _axis(axis, x.ndim)
        n = x.shape[a]
        idx = _index_array(indices)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise ValueError(f"Gather: indices {idx.ravel().tolist()[:8]} out of range for "
                             f"axis {a} of length {n}")
        if not is_tensor(x):
            return np.take(np.asarray(x), idx, axis=a)
        if a == 0 and x.ndim == 2 and idx.ndim > 0:
            # a table lookup (an embedding): the embedding primitive, which chainrule's
            # exporter writes back as Gather with the indices as an input
            if idx.size and idx.min() < 0:
                idx = np.where(idx < 0, idx + n, idx)
            return F.embedding(idx, x)
        # negative indices count from the end, as in Python: kept negative, so that x[..., -1]
        # stays "the last" however long the axis is (an export of this module says so too)
        key = (slice(None),) * a + ((int(idx),) if idx.ndim == 0 else (idx,))
        return x[key]

    return run


_INT64_MAX = 2 ** 63 - 1


def _index_array(value) -> np.ndarray:
    a = value.detach().numpy() if is_tensor(value) else np.asarray(value)
    if a.dtype.kind not in "iu":
        raise TypeError(f"expected integer indices, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def _slice_positions(n: int, start: int, end: int, step: int):
    """ONNX Slice's clamping: negatives count from the end; then start ∈ [0, n] and end ∈ [0, n]
    for step > 0, start ∈ [0, n − 1] and end ∈ [−1, n − 1] for step < 0.

    For step > 0 that is Python's slice rule, so the bounds stay as the file gives them (a
    negative one still counts from the end, whatever the length) and an end of INT64_MAX, "to
    the end", becomes None: a re-export writes the same bounds, not the sizes of the traced
    input."""
    if step > 0:
        return slice(start, None if end >= _INT64_MAX else end, step)
    start = start + n if start < 0 else start
    end = end + n if end < 0 else end
    start, end = min(max(start, 0), n - 1), min(max(end, -1), n - 1)
    return np.arange(start, end, step, dtype=np.int64)


@op("Slice")
def slice_(node: Node):
    r"""Slice(X, starts, ends, axes?, steps?): X[…, starts[i] : ends[i] : steps[i], …] along
    ``axes`` (default 0, 1, …), negative steps included.

    Derivative: the gradient placed back at the sliced positions, zero elsewhere.
    """
    def run(x, starts, ends, axes=None, steps=None):
        starts, ends = ints(starts), ints(ends)
        axes = tuple(range(len(starts))) if axes is None else ints(axes)
        steps = (1,) * len(starts) if steps is None else ints(steps)
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise ValueError(f"Slice: starts {list(starts)}, ends {list(ends)}, axes "
                             f"{list(axes)} and steps {list(steps)} must have equal lengths")
        if any(s == 0 for s in steps):
            raise ValueError(f"Slice: steps {list(steps)} must not contain 0")
        out = x
        for start, end, a, step in zip(starts, ends, axes, steps):
            a = _axis(a, x.ndim, "axes")
            where = _slice_positions(x.shape[a], start, end, step)
            out = out[(slice(None),) * a + (where,)]
        return out

    return run


@op("Expand")
def expand(node: Node):
    r"""Expand(X, shape): X broadcast (NumPy's two-way rule) with ``shape``.

    Derivative: the gradient summed over the expanded axes.
    """
    def run(x, target):
        out = np.broadcast_shapes(tuple(x.shape), ints(target))
        if is_tensor(x):
            return x if tuple(x.shape) == out else _ops.broadcast_to(x, out)
        return np.array(np.broadcast_to(x, out))

    return run


@op("Identity")
def identity(node: Node):
    r"""Identity(X) = X."""
    return lambda x: x
