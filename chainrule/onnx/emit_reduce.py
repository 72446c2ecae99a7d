"""Reductions: sum, mean, max, min, prod, logsumexp, var, std, vector norms, cumulative sum.

ReduceSum takes its axes as an input from opset 13, the other Reduce* operators from opset 18
(an attribute before); :func:`reduce` writes whichever the opset wants. ``axis=None`` reduces
every axis, which ONNX writes as all the axes listed.
"""
from __future__ import annotations

import math

import numpy as np

from .builder import Op
from .emitters import emits

_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin",
           "prod": "ReduceProd", "logsumexp": "ReduceLogSumExp"}


def axes_of(axis, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    return sorted(int(a) % rank for a in axes) if rank else []


def reduce(op: Op, op_type: str, x: str, axes: list[int], keepdims: bool) -> str:
    """``op_type`` over ``axes`` (axes as an input or an attribute, as the opset wants)."""
    keep = int(bool(keepdims))
    if not axes:                                    # a 0-d input: nothing to reduce
        return op.node("Identity", [x])
    if op_type == "ReduceSum" and op.opset >= 13 or op.opset >= 18:
        return op.node(op_type, [x, op.ints(axes)], keepdims=keep)
    return op.node(op_type, [x], axes=axes, keepdims=keep)


@emits(*_REDUCE)
def reduction(op: Op) -> str:
    """Σ, mean, max, min, Π and log Σ exp over the axes: ReduceSum, ReduceMean, ReduceMax,
    ReduceMin, ReduceProd, ReduceLogSumExp (max and min on ties: the value, which is the same).
    A floating-point mean or max over every axis after the first two, keeping them, is
    GlobalAveragePool or GlobalMaxPool (the same numbers; what the importer reads those as, so
    that export → import → export gives the same graph)."""
    rank = len(op.shape(0))
    axes = axes_of(op.param("axis"), rank)
    keep = op.param("keepdims", False)
    x = op.x(0, op.out_dtype)
    if op.name in ("mean", "max") and keep and rank >= 3 and axes == list(range(2, rank)) \
            and np.dtype(op.out_dtype).kind == "f":
        return op.node("GlobalAveragePool" if op.name == "mean" else "GlobalMaxPool", [x])
    return reduce(op, _REDUCE[op.name], x, axes, keep)


@emits("var", "std")
def variance(op: Op) -> str:
    """var = Σ(x − x̄)²/(n − correction) over the axes (std its square root): ReduceMean for x̄,
    Sub, Mul, ReduceSum, Div by the fixed count n − correction (n may not depend on a dynamic
    axis)."""
    shape = op.shape(0)
    axes = axes_of(op.param("axis"), len(shape))
    count = {math.prod(s[a] for a in axes) for s in (shape, op.shape_b(0))}
    if len(count) != 1:
        raise op.fail("it reduces over a dynamic axis, and the count it divides by would have "
                      "to follow that axis; export with that axis fixed")
    n = count.pop() - float(op.param("correction", 1))
    keep = op.param("keepdims", False)
    x, dt = op.x(0, op.out_dtype), op.out_dtype
    centred = op.node("Sub", [x, reduce(op, "ReduceMean", x, axes, True)])
    ss = reduce(op, "ReduceSum", op.node("Mul", [centred, centred]), axes, keep)
    out = op.node("Div", [ss, op.const(n, dt)])
    return op.node("Sqrt", [out]) if op.name == "std" else out


@emits("vector_norm")
def vector_norm(op: Op) -> str:
    """‖x‖_p over the axes: ReduceL2 (p = 2), ReduceL1 (p = 1), ReduceMax of |x| (p = ∞),
    (Σ|x|^p)^{1/p} otherwise."""
    p = float(op.param("p", 2.0))
    axes = axes_of(op.param("axes"), len(op.shape(0)))
    keep = op.param("keepdims", False)
    x, dt = op.x(0, op.out_dtype), op.out_dtype
    if p == 2.0:
        return reduce(op, "ReduceL2", x, axes, keep)
    if p == 1.0:
        return reduce(op, "ReduceL1", x, axes, keep)
    if math.isinf(p):
        return reduce(op, "ReduceMax" if p > 0 else "ReduceMin", op.node("Abs", [x]), axes, keep)
    if p == 0.0:
        raise op.refuse("p = 0 (the count of non-zeros) has no ONNX form here")
    powered = op.node("Pow", [op.node("Abs", [x]), op.const(p, dt)])
    return op.node("Pow", [reduce(op, "ReduceSum", powered, axes, keep), op.const(1.0 / p, dt)])


@emits("cumsum")
def cumsum(op: Op) -> str:
    """y_i = Σ_{j ≤ i} x_j along an axis: CumSum (axis as an input)."""
    axis = op.param("axis", 0)
    return op.node("CumSum", [op.x(0, op.out_dtype), op.const(np.int64(axis))])


@emits("nansum")
def nansum(op: Op) -> str:
    """Σ over the axes with NaN entries as 0: Where(IsNaN(x), 0, x), then ReduceSum (an integer
    input has no NaN: ReduceSum alone)."""
    axes = axes_of(op.param("axis"), len(op.shape(0)))
    x = op.x(0, op.out_dtype)
    if np.dtype(op.out_dtype).kind == "f":
        x = op.node("Where", [op.node("IsNaN", [x]), op.const(0, op.out_dtype), x])
    return reduce(op, "ReduceSum", x, axes, op.param("keepdims", False))
