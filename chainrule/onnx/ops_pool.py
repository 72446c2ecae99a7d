"""Pooling: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.

Where ONNX's window matches one PyTorch can express (the same pads at both ends, each at most
half the kernel, the same output size), the pool is chainrule's fused max_poolNd/avg_poolNd.
Otherwise (asymmetric pads, large pads, dilated average pooling, a ceil-mode window that
reaches past the end padding) the input is padded explicitly to exactly the span the windows
cover and pooled without padding: the same function, a little slower.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from ..nn import functional as F
from ..ops.pool import pool_output_size
from .geometry import Window
from .registry import Node, op
from .values import tensor

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _geometry(window: Window, x):
    nd = len(window.kernel)
    if x.ndim != nd + 2:
        raise ValueError(f"input of shape {list(x.shape)} does not match kernel_shape "
                         f"{list(window.kernel)} (expected a {nd + 2}-d input (N, C, …))")
    if nd not in _MAX:
        raise ValueError(f"{nd} spatial axes: chainrule pools over 1, 2 or 3")
    return window.resolve(tuple(x.shape[2:]))


def _torch_expressible(spatial, kernel, strides, dilations, pads, outs, ceil_mode) -> bool:
    """Whether PyTorch's symmetric-padding pool gives exactly ONNX's windows."""
    for h, k, s, d, (b, e), o in zip(spatial, kernel, strides, dilations, pads, outs):
        if b != e or b > k // 2:
            return False
        if pool_output_size(h, k, s, b, d, ceil_mode) != o:
            return False
        if (o - 1) * s + d * (k - 1) + 1 > h + b + e:   # a ceil-mode window past the end pad
            return False
    return True


def _pad_to_windows(x, pads, kernel, strides, dilations, outs, value: float):
    """x padded by ``value`` (or cropped) to exactly the extent its windows cover."""
    widths = []
    for h, k, s, d, (b, _), o in zip(x.shape[2:], kernel, strides, dilations, pads, outs):
        extent = (o - 1) * s + d * (k - 1) + 1
        widths.append((b, extent - h - b))
    flat = []
    for b, e in reversed(widths):
        flat += [b, e]
    return F.pad(x, flat, value=value)


@op("MaxPool")
def max_pool(node: Node):
    r"""MaxPool(X): Y[n, c, p] = max_{k} X̃[n, c, s·p + d·k], X̃ = X padded with −∞.

    Derivative: the gradient goes to the (first) position of each window's maximum.
    The Indices output and storage_order are not supported.
    """
    window = Window.read(node, pooling=True)
    if node.n_outputs() > 1:
        raise node.refuse("the Indices output is not supported")
    if node.attr("storage_order", 0) != 0:
        raise node.refuse("storage_order=1 is not supported")

    def run(x):
        x = tensor(x)
        kernel, strides, dilations, pads, outs = _geometry(window, x)
        nd = len(kernel)
        if _torch_expressible(x.shape[2:], kernel, strides, dilations, pads, outs,
                              window.ceil_mode):
            return _MAX[nd](x, kernel, strides, tuple(b for b, _ in pads), dilations,
                            ceil_mode=window.ceil_mode)
        xp = _pad_to_windows(x, pads, kernel, strides, dilations, outs, -math.inf)
        return _MAX[nd](xp, kernel, strides, 0, dilations)

    return run


def _divisor(spatial, kernel, strides, dilations, pads, outs, include_pad: bool, dtype):
    """Per output position, how many window entries count: those inside the input, or (with
    count_include_pad) inside the padded input [−b, H + e). A product of per-axis counts."""
    div = np.ones((1,) * len(spatial), dtype=dtype)
    for a, (h, k, s, d, (b, e), o) in enumerate(zip(spatial, kernel, strides, dilations, pads,
                                                   outs)):
        pos = np.arange(o)[:, None] * s - b + np.arange(k)[None, :] * d
        lo, hi = (-b, h + e) if include_pad else (0, h)
        count = ((pos >= lo) & (pos < hi)).sum(axis=1)
        shape = [1] * len(spatial)
        shape[a] = o
        div = div * count.astype(dtype).reshape(shape)
    return div


@op("AveragePool")
def average_pool(node: Node):
    r"""AveragePool(X): Y[n, c, p] = (1 / |W_p|) Σ_{k} X̃[n, c, s·p + d·k], X̃ = X zero-padded.

    |W_p| counts the window's entries inside the input, or with count_include_pad=1 inside the
    padded input; ceil_mode's extra window past the end pad counts only what it covers.
    Derivative: each output's gradient is spread evenly (÷ |W_p|) over its window.
    """
    window = Window.read(node, pooling=True)
    include_pad = node.flag("count_include_pad")

    def run(x):
        x = tensor(x)
        kernel, strides, dilations, pads, outs = _geometry(window, x)
        nd = len(kernel)
        spatial = tuple(x.shape[2:])
        if all(d == 1 for d in dilations) and _torch_expressible(
                spatial, kernel, strides, dilations, pads, outs, window.ceil_mode):
            return _AVG[nd](x, kernel, strides, tuple(b for b, _ in pads),
                            ceil_mode=window.ceil_mode, count_include_pad=include_pad)
        xp = _pad_to_windows(x, pads, kernel, strides, dilations, outs, 0.0)
        total = None
        for offset in np.ndindex(*kernel):
            index = (slice(None), slice(None)) + tuple(
                slice(j * d, j * d + (o - 1) * s + 1, s)
                for j, d, o, s in zip(offset, dilations, outs, strides))
            term = xp[index]
            total = term if total is None else total + term
        div = _divisor(spatial, kernel, strides, dilations, pads, outs, include_pad,
                       np.dtype(x.dtype))
        return total / tensor(np.maximum(div, 1))

    return run


@op("GlobalAveragePool")
def global_average_pool(node: Node):
    r"""GlobalAveragePool(X): Y[n, c, 1, …, 1] = mean over every spatial position of X[n, c].

    Derivative: ∂Y/∂X[n, c, p] = 1 / (number of spatial positions).
    """
    def run(x):
        x = tensor(x)
        return x.mean(dim=tuple(range(2, x.ndim)), keepdim=True)

    return run


@op("GlobalMaxPool")
def global_max_pool(node: Node):
    r"""GlobalMaxPool(X): Y[n, c, 1, …, 1] = max over every spatial position of X[n, c].

    Derivative: to the maximum (ties share it evenly, as chainrule's amax).
    """
    def run(x):
        x = tensor(x)
        return _ops.amax(x, dim=tuple(range(2, x.ndim)), keepdim=True)

    return run
