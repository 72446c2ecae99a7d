"""Batching rules of the (N, C, *spatial) layers that vmap.py's first rules left to the loop:
group_norm, conv_transpose and conv_weight_grad, adaptive_mean, im2col / col2im, max_unpool,
grid_sample and affine_grid.

Most fold the vmap batch into N: every example's rows (N, C, …) are independent rows of one
call, (B, N, C, …) → (B·N, C, …), and the result is unfolded again. Unbatched operands that pair
with rows (grid_sample's grid, max_unpool's indices) are broadcast to the batch first.

Per-example weights (an ensemble's, or grad of the weights inside vmap: per-sample gradients)
fold into the *groups* of a grouped convolution instead, as conv's rule does: the input
(N, B·C, …), the weights (B·Cᵢₙ, Cₒᵤₜ/g, …) for conv_transpose, and groups g·B, so that example
b's channels meet only example b's kernels; conv_weight_grad (the kernel gradient of a
convolution, which vmap meets in double backward and jacobians) folds the same way and returns
the B kernel gradients stacked. group_norm with a per-example weight or bias normalizes with the
folded call and applies each example's γ, β after it.
"""
from __future__ import annotations

import builtins

from ..backend import xp


def _ops():
    from .. import ops

    return ops


def _expanded(v, size: int):
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


def _fold(v):
    """(B, N, …) → (B·N, …)."""
    return _ops().reshape(v, (v.shape[0] * v.shape[1],) + tuple(v.shape[2:]))


def _unfold(y, size: int):
    """(B·N, …) → (B, N, …)."""
    return _ops().reshape(y, (size, y.shape[0] // size) + tuple(y.shape[1:]))


def _channels_to_groups(x):
    """(B, N, C, …) → (N, B·C, …)."""
    ops = _ops()
    return ops.reshape(ops.moveaxis(x, 0, 1), (x.shape[1], x.shape[0] * x.shape[2])
                       + tuple(x.shape[3:]))


def _groups_to_channels(y, size: int):
    """(N, B·O, …) → (B, N, O, …)."""
    ops = _ops()
    y = ops.reshape(y, (y.shape[0], size, y.shape[1] // size) + tuple(y.shape[2:]))
    return ops.moveaxis(y, 1, 0)


# ----------------------------------------------------------------------------- normalization
def group_norm(cls, values, batched, params, size):
    x, weight, bias = (list(values) + [None, None])[:3]
    bx, bw, bb = (list(batched) + [False, False])[:3]
    x = x if bx else _expanded(x, size)
    if not bw and not bb:
        return _unfold(cls.apply(_fold(x), weight, bias, **params), size)
    y = _unfold(cls.apply(_fold(x), None if bw else weight, None if bb else bias, **params),
                size)
    per_channel = (size, 1, -1) + (1,) * (y.ndim - 3)       # (B, C) → (B, 1, C, 1, …)
    ops = _ops()
    if bw and weight is not None:
        y = y * ops.reshape(weight, per_channel)
    if bb and bias is not None:
        y = y + ops.reshape(bias, per_channel)
    return y


# ----------------------------------------------------------------------------- convolutions
def conv_transpose(cls, values, batched, params, size):
    x, w, *rest = values
    bx, bw, *brest = batched
    b = rest[0] if rest else None
    bb = bool(brest and brest[0])
    if not bw and not bb:
        if not bx:
            return NotImplemented
        return _unfold(cls.apply(_fold(x), w, *rest, **params), size)
    ops = _ops()
    # per-example weights (B, Cin, Cout/g, …): the batch becomes groups
    x = x if bx else _expanded(x, size)
    w = w if bw else _expanded(w, size)
    groups = params.get("groups", 1)
    out_channels = w.shape[2] * groups
    folded_w = ops.reshape(w, (size * w.shape[1],) + tuple(w.shape[2:]))
    if b is not None:
        b = ops.reshape(b if bb else _expanded(b, size), (size * out_channels,))
    y = cls.apply(_channels_to_groups(x), folded_w, b, **dict(params, groups=groups * size))
    return _groups_to_channels(y, size)


def conv_weight_grad(cls, values, batched, params, size):
    """x (N, C, …) and g (N, O, …) per example → the kernel gradient (O, C/g, k…) per example."""
    x, g = values
    x = x if batched[0] else _expanded(x, size)
    g = g if batched[1] else _expanded(g, size)
    groups = params.get("groups", 1)
    y = cls.apply(_channels_to_groups(x), _channels_to_groups(g),
                  **dict(params, groups=groups * size))
    return _unfold(y, size)


# ----------------------------------------------------------------------------- pooling, folds
def along_axis(cls, values, batched, params, size):
    """adaptive_mean: one logical axis."""
    from .batching_rules import _shift

    x = values[0]
    return cls.apply(x, **dict(params, axis=_shift(params.get("axis", -1), x.ndim - 1)))


def rows(cls, values, batched, params, size):
    """im2col, col2im: (N, …) rows."""
    if builtins.any(batched[1:]):
        return NotImplemented
    return _unfold(cls.apply(_fold(values[0]), *values[1:], **params), size)


def max_unpool(cls, values, batched, params, size):
    indices = params["indices"]
    if hasattr(indices, "_level"):
        return NotImplemented           # batched at an outer vmap too: that level first
    x = values[0]
    if hasattr(indices, "_data"):       # per-example indices: this level's value (B, N, C, …)
        idx = indices._data
    else:
        idx = xp.broadcast_to(xp.asarray(indices), (size,) + tuple(xp.shape(indices)))
    idx = idx.reshape((size * idx.shape[1],) + tuple(idx.shape[2:]))
    return _unfold(cls.apply(_fold(x), **dict(params, indices=idx)), size)


max_unpool.batched_params = True


def grid_sample(cls, values, batched, params, size):
    x, grid = values
    x = x if batched[0] else _expanded(x, size)
    grid = grid if batched[1] else _expanded(grid, size)
    return _unfold(cls.apply(_fold(x), _fold(grid), **params), size)


def affine_grid(cls, values, batched, params, size):
    theta = values[0]
    shape = tuple(params["size"])
    folded = (size * shape[0],) + shape[1:]
    return _unfold(cls.apply(_fold(theta), **dict(params, size=folded)), size)


RULES = {
    "group_norm": group_norm, "conv_transpose": conv_transpose,
    "conv_weight_grad": conv_weight_grad, "adaptive_mean": along_axis, "im2col": rows,
    "col2im": rows, "max_unpool": max_unpool, "grid_sample": grid_sample,
    "affine_grid": affine_grid,
}
