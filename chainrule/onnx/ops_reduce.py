"""Reductions: ReduceMean, ReduceSum, ReduceMax.

``axes`` is an attribute before opset 13 (ReduceSum) or 18 (ReduceMean, ReduceMax) and an
optional input from then on. No axes means every axis — or, with noop_with_empty_axes = 1, no
reduction at all. keepdims (default 1) keeps the reduced axes with length 1.
"""
from __future__ import annotations

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import ints, is_tensor

_AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18}


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
