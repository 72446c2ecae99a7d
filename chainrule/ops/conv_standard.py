"""Convolution with the array API standard's functions alone: the route for array libraries other
than NumPy (CuPy, array_api_strict), where ops/conv.py's strided views (``as_strided``) and
numba kernels are not available.

The mathematics is ops/conv.py's (see its docstring); only the im2col differs. The column matrix is
built from one basic slice of the padded input per kernel offset i — the positions s·h + d·i,
h < H′, of every image and channel at once — stacked along a new axis, so a loop runs over the
k×k… offsets only, never over pixels, channels or images:

    cols[n, c, i, h] = x̃[n, c, s·h + d·i],   y[n, o, h] = b[o] + Σ_{c,i} W[o, c, i]·cols[n, c, i, h]

(one batched GEMM per group), and the input gradient adds each offset's slice of
cols′ = Wᵀ G back at the same positions (col2im).
"""
from __future__ import annotations

import itertools
import math

from .. import backend as B


def _offsets(kernel):
    return list(itertools.product(*(range(k) for k in kernel)))


def _positions(offset, stride, dilation, out):
    """The slice of the padded input that kernel offset ``offset`` reads: s·h + d·i, h < H′."""
    return tuple(slice(d * i, d * i + s * (o - 1) + 1, s)
                 for i, s, d, o in zip(offset, stride, dilation, out))


def _padded_shape(spatial, pads, extra):
    return tuple(h + p + q + e for h, (p, q), e in zip(spatial, pads, extra))


def _pad(ns, x, pads, extra):
    """x with zeros around its spatial axes ((before, after + extra) per axis)."""
    if not any(p or q or e for (p, q), e in zip(pads, extra)):
        return x
    padded = ns.zeros(x.shape[:2] + _padded_shape(x.shape[2:], pads, extra), dtype=x.dtype)
    padded[(slice(None), slice(None)) + tuple(slice(p, p + h) for h, (p, _) in
                                              zip(x.shape[2:], pads))] = x
    return padded


def columns(x, kernel, stride, pads, dilation, out, extra, groups):
    """cols (N, G, C/G·k…, H′·W′…): the im2col matrix of x, one slice per kernel offset."""
    ns = B.namespace(x)
    xpad = _pad(ns, x, pads, extra)
    lead = (slice(None), slice(None))
    cols = ns.stack([xpad[lead + _positions(t, stride, dilation, out)] for t in _offsets(kernel)],
                    axis=2)                                       # (N, C, K, H′…)
    n, c = x.shape[:2]
    return B.reshape(cols, (n, groups, (c // groups) * math.prod(kernel), math.prod(out)))


def forward(x, w, b, stride, pads, dilation, groups, out, extra):
    """y = W ⋆ x + b (N, O, H′…)."""
    n, o = x.shape[0], w.shape[0]
    cols = columns(x, tuple(w.shape[2:]), stride, pads, dilation, out, extra, groups)
    wm = B.reshape(w, (1, groups, o // groups, -1))
    y = B.reshape(wm @ cols, (n, o) + tuple(out))
    if b is not None:
        y = y + B.reshape(b, (1, o) + (1,) * len(out))
    return y


def backward(x, w, g, stride, pads, dilation, groups, extra, need_x, need_w):
    """(∂L/∂x, ∂L/∂W) of y = W ⋆ x given G = ∂L/∂y."""
    ns = B.namespace(g)
    n, o = g.shape[:2]
    kernel, out = tuple(w.shape[2:]), tuple(g.shape[2:])
    rows = B.reshape(g, (n, groups, o // groups, math.prod(out)))
    gx = gw = None
    if need_w:
        cols = columns(x, kernel, stride, pads, dilation, out, extra, groups)
        gw = B.reshape(ns.sum(rows @ B.matrix_transpose(cols), axis=0), w.shape)
    if need_x:
        c = x.shape[1]
        wt = B.matrix_transpose(B.reshape(w, (1, groups, o // groups, -1)))
        gcols = B.reshape(wt @ rows, (n, c, math.prod(kernel)) + out)
        gxpad = ns.zeros(x.shape[:2] + _padded_shape(x.shape[2:], pads, extra), dtype=g.dtype)
        lead = (slice(None), slice(None))
        for t, offset in enumerate(_offsets(kernel)):
            where = lead + _positions(offset, stride, dilation, out)
            gxpad[where] = gxpad[where] + gcols[:, :, t, ...]
        gx = gxpad[lead + tuple(slice(p, p + h) for h, (p, _) in zip(x.shape[2:], pads))]
    return gx, gw
