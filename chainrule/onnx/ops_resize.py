r"""Resizing: ONNX Resize, nearest and (multi)linear, one axis at a time.

For an axis of input length n resized to length m with scale r (given, or m/n from ``sizes``),
output position x maps to the input coordinate x′ by ``coordinate_transformation_mode``:

    half_pixel            x′ = (x + ½)/r − ½
    pytorch_half_pixel    x′ = (x + ½)/r − ½ if m > 1, else 0
    align_corners         x′ = x·(n − 1)/(m − 1) if m > 1, else 0
    asymmetric            x′ = x / r
    tf_half_pixel_for_nn  x′ = (x + ½)/r            (opsets 11–12)

``nearest`` reads X at x′ rounded by ``nearest_mode`` (round_prefer_floor, round_prefer_ceil,
floor, ceil), clamped to [0, n − 1]; ``linear`` clamps x′ to [0, n − 1] and interpolates
between ⌊x′⌋ and ⌊x′⌋ + 1: Y = (1 − w)·X[⌊x′⌋] + w·X[⌊x′⌋ + 1], w = x′ − ⌊x′⌋ — separably
along each resized axis, which is bilinear/trilinear interpolation.

Derivative: each output is a fixed combination of inputs, so the gradient flows back through
the gathers (index_select, whose VJP adds into the gathered rows) with the same weights.
(Upsample, of opsets 7–9, reaches the importer as Resize: older models are converted to opset
11 first.)
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from .registry import Node, op
from .values import array, is_tensor, tensor

_MODES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
          "tf_half_pixel_for_nn")
_ROUNDING = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _source(x: np.ndarray, n: int, m: int, scale, mode: str) -> np.ndarray:
    """x′ of the output positions x, in float32 arithmetic, as onnxruntime computes it (a
    coordinate that lands a rounding error away from an integer then rounds the same way)."""
    x, scale, half = x.astype(np.float32), np.float32(scale), np.float32(0.5)
    if mode == "half_pixel":
        return (x + half) / scale - half
    if mode == "pytorch_half_pixel":
        return (x + half) / scale - half if m > 1 else np.zeros_like(x)
    if mode == "align_corners":
        return x * np.float32((n - 1) / (m - 1)) if m > 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x / scale
    return (x + half) / scale                      # tf_half_pixel_for_nn


def _round(c: np.ndarray, how: str) -> np.ndarray:
    if how == "floor":
        return np.floor(c)
    if how == "ceil":
        return np.ceil(c)
    half = np.floor(c) + 0.5
    if how == "round_prefer_floor":
        return np.where(c == half, np.floor(c), np.round(c))
    return np.where(c == half, np.ceil(c), np.round(c))


def _take(x, axis: int, idx: np.ndarray):
    if is_tensor(x):
        return _ops.index_select(x, axis, _ops.as_tensor(idx.astype(np.int64)))
    return np.take(x, idx, axis=axis)


@op("Resize")
def resize(node: Node):
    r"""Resize(X, roi?, scales?, sizes?): nearest or linear, per the module's formulas."""
    mode = node.choice("mode", "nearest", ("nearest", "linear"))
    transform = node.choice("coordinate_transformation_mode", "half_pixel", _MODES)
    if transform == "tf_half_pixel_for_nn" and node.opset >= 13:
        raise node.refuse("coordinate_transformation_mode=tf_half_pixel_for_nn exists only in "
                          "opsets 11–12")
    rounding = node.choice("nearest_mode", "round_prefer_floor", _ROUNDING)
    if node.attr("antialias", 0) != 0:
        raise node.refuse("antialias=1 is not supported")
    node.choice("keep_aspect_ratio_policy", "stretch", ("stretch",))
    axes_attr = node.ints("axes")

    def run(x, roi=None, scales=None, sizes=None):
        r = x.ndim
        axes = tuple(a % r for a in axes_attr) if axes_attr else tuple(range(r))
        scales = None if scales is None or array(scales).size == 0 else \
            array(scales).astype(np.float64).reshape(-1)
        sizes = None if sizes is None or array(sizes).size == 0 else \
            array(sizes).astype(np.int64).reshape(-1)
        if (scales is None) == (sizes is None):
            raise ValueError("Resize: exactly one of scales and sizes must be given")
        given = scales if scales is not None else sizes
        if len(given) != len(axes):
            raise ValueError(f"Resize: {'scales' if sizes is None else 'sizes'} "
                             f"{given.tolist()} must have one entry per resized axis "
                             f"({len(axes)} for an input of shape {list(x.shape)})")
        out = x
        for k, a in enumerate(axes):
            n = x.shape[a]
            if scales is not None:
                scale = float(scales[k])
                if scale <= 0:
                    raise ValueError(f"Resize: scales must be positive, got {scales.tolist()}")
                m = int(math.floor(n * scale))
            else:
                m = int(sizes[k])
                scale = np.float32(m) / np.float32(n) if n else 1.0
            if m < 1:
                raise ValueError(f"Resize: axis {a} of length {n} would become {m}")
            if m == n and scale == 1.0:
                continue
            c = _source(np.arange(m), n, m, scale, transform).astype(np.float64)
            shape = [1] * r
            shape[a] = m
            if mode == "nearest":
                idx = np.clip(_round(c, rounding), 0, n - 1).astype(np.int64)
                out = _take(out, a, idx)
                continue
            c = np.clip(c, 0, n - 1)
            lo = np.floor(c).astype(np.int64)
            hi = np.minimum(lo + 1, n - 1)
            w = (c - lo).reshape(shape)
            x0, x1 = _take(out, a, lo), _take(out, a, hi)
            if is_tensor(out):
                weight = tensor(w.astype(np.dtype(out.dtype)))
                out = x0 + (x1 - x0) * weight
            else:
                out = (x0 + (x1 - x0) * w).astype(x0.dtype)
        return out

    return run
