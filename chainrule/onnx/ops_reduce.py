"""Reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL2; ArgMax, ArgMin.

``axes`` is an attribute before opset 13 (ReduceSum) or 18 (the others) and an optional input
from then on. No axes means every axis — or, with noop_with_empty_axes = 1, no
reduction at all. keepdims (default 1) keeps the reduced axes with length 1.
"""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import ints, is_tensor

_AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18,
                     "ReduceProd": 18, "ReduceL2": 18}


def _reduction(node: Node, tensor_fn, array_fn):
    keepdims = node.flag("keepdims", 1)
    noop = node.flag("noop_with_empty_axes")
    axes_as_input = node.opset >= _AXES_INPUT_SINCE[node.op_type]
    attribute_axes = None if axes_as_input else node.ints("axes")

    def run(x, axes=None):
        given = (ints(axes) if axes is not None else None) if axes_as_input else attribute_axes
        if not given:
            if noop:
                return x
            dims = tuple(range(x.ndim))
        else:
            if any(not -x.ndim <= a < x.ndim for a in given):
                raise ValueError(f"{node.op_type}: axes {list(given)} out of range for an "
                                 f"input of shape {list(x.shape)}")
            dims = tuple(sorted({a % x.ndim for a in given}))
        if not dims:
            return x
        if is_tensor(x):
            return tensor_fn(x, dims, keepdims)
        x = np.asarray(x)
        return np.asarray(array_fn(x, axis=dims, keepdims=keepdims)).astype(x.dtype)

    return run


@op("ReduceMean")
def reduce_mean(node: Node):
    r"""ReduceMean(X) = (1/n) Σ X over the axes (n the number of reduced entries).

    Derivative: g / n broadcast back over the reduced axes.
    """
    return _reduction(node, lambda x, d, k: x.mean(dim=d, keepdim=k), np.mean)


@op("ReduceSum")
def reduce_sum(node: Node):
    r"""ReduceSum(X) = Σ X over the axes.   Derivative: g broadcast back over the reduced axes."""
    return _reduction(node, lambda x, d, k: x.sum(dim=d, keepdim=k), np.sum)


@op("ReduceMax")
def reduce_max(node: Node):
    r"""ReduceMax(X) = max X over the axes.

    Derivative: g to the maximal entries (ties share it evenly, as chainrule's amax).
    """
    return _reduction(node, lambda x, d, k: _ops.amax(x, dim=d, keepdim=k), np.max)


@op("ReduceMin")
def reduce_min(node: Node):
    r"""ReduceMin(X) = min X over the axes.

    Derivative: g to the minimal entries (ties share it evenly, as chainrule's amin).
    """
    return _reduction(node, lambda x, d, k: _ops.amin(x, dim=d, keepdim=k), np.min)


def _prod(x, dims, keepdim):
    for d in sorted(dims, reverse=True):
        x = x.prod(dim=d, keepdim=keepdim)
    return x


@op("ReduceProd")
def reduce_prod(node: Node):
    r"""ReduceProd(X) = Π X over the axes.   Derivative: ∂/∂X_i = Π_{j≠i} X_j."""
    return _reduction(node, _prod, np.prod)


@op("ReduceL2")
def reduce_l2(node: Node):
    r"""ReduceL2(X) = √(Σ X²) over the axes.   Derivative: X / ReduceL2(X)."""
    return _reduction(node, lambda x, d, k: (x * x).sum(dim=d, keepdim=k).sqrt(),
                      lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis,
                                                               keepdims=keepdims)))


def _arg(node: Node, fn):
    axis = int(node.attr("axis", 0))
    keepdims = node.flag("keepdims", 1)
    last = node.flag("select_last_index")

    def run(x):
        a = np.asarray(x.detach().numpy() if is_tensor(x) else x)
        if not -a.ndim <= axis < max(a.ndim, 1):
            raise ValueError(f"{node.op_type}: axis={axis} is out of range for an input of "
                             f"shape {list(a.shape)}")
        ax = axis % a.ndim
        if last:       # the last extreme: search the reversed axis, map back
            flipped = np.flip(a, axis=ax)
            out = a.shape[ax] - 1 - fn(flipped, axis=ax)
        else:
            out = fn(a, axis=ax)
        out = out.astype(np.int64)
        return np.expand_dims(out, ax) if keepdims else out

    return run


@op("ArgMax")
def argmax(node: Node):
    r"""ArgMax(X) = the index of the largest entry along ``axis`` (the first one, or the last
    with select_last_index = 1), int64. Not differentiable (an index)."""
    return _arg(node, np.argmax)


@op("ArgMin")
def argmin(node: Node):
    r"""ArgMin(X) = the index of the smallest entry along ``axis`` (the first one, or the last
    with select_last_index = 1), int64. Not differentiable (an index)."""
    return _arg(node, np.argmin)
