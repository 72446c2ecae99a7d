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
from .conv import _kernel_slices


def _offsets(kernel):
    return list(itertools.product(*(range(k) for k in kernel)))


def _positions(offset, stride, dilation, out):
    """Every image's and channel's slice that kernel offset ``offset`` reads: s·h + d·i, h < H′."""
    return (slice(None), slice(None)) + _kernel_slices(offset, stride, dilation, out)


def padded(ns, x, widths, value=0.0):
    """x with ``value`` around its spatial axes, ``widths`` = (before, after) per axis."""
    if not any(a or b for a, b in widths):
        return x
    shape = x.shape[:2] + tuple(h + a + b for h, (a, b) in zip(x.shape[2:], widths))
    out = ns.full(shape, value, dtype=x.dtype)
    out[_interior(x.shape[2:], widths)] = x
    return out


def _interior(spatial, widths):
    """The index of the unpadded region inside a padded array."""
    return (slice(None), slice(None)) + tuple(slice(a, a + h) for h, (a, _) in
                                              zip(spatial, widths))


def _widths(pads, extra):
    return tuple((p, q + e) for (p, q), e in zip(pads, extra))


def columns(x, kernel, stride, pads, dilation, out, extra, groups):
    """cols (N, G, C/G·k…, H′·W′…): the im2col matrix of x, one slice per kernel offset."""
    ns = B.namespace(x)
    xpad = padded(ns, x, _widths(pads, extra))
    cols = ns.stack([xpad[_positions(t, stride, dilation, out)] for t in _offsets(kernel)],
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
        widths = _widths(pads, extra)
        gxpad = ns.zeros(x.shape[:2] + tuple(h + a + b for h, (a, b) in
                                             zip(x.shape[2:], widths)), dtype=g.dtype)
        for t, offset in enumerate(_offsets(kernel)):
            where = _positions(offset, stride, dilation, out)
            gxpad[where] = gxpad[where] + gcols[:, :, t, ...]
        gx = gxpad[_interior(x.shape[2:], widths)]
    return gx, gw


# --------------------------------------------------------------------------- transposed, ∂L/∂W
def transposed(g, w, b, stride, pads, dilation, groups, spatial, extra):
    """The transposed convolution of g (N, O, H′…) with W (O, C/G, k…), cropped to ``spatial``,
    plus b (C,): col2im of cols′ = Wᵀ G (ops/conv.py's ConvTranspose forward, and ∂L/∂x of a
    convolution whose input has spatial size ``spatial``)."""
    ns = B.namespace(g)
    n, o = g.shape[:2]
    kernel, out = tuple(w.shape[2:]), tuple(g.shape[2:])
    c = w.shape[1] * groups
    rows = B.reshape(g, (n, groups, o // groups, math.prod(out)))
    wt = B.matrix_transpose(B.reshape(w, (1, groups, o // groups, -1)))
    gcols = B.reshape(wt @ rows, (n, c, math.prod(kernel)) + out)
    widths = _widths(pads, extra)
    y = ns.zeros((n, c) + tuple(h + p + q for h, (p, q) in zip(spatial, widths)),
                 dtype=gcols.dtype, device=g.device)
    for t, offset in enumerate(_offsets(kernel)):
        where = _positions(offset, stride, dilation, out)
        y[where] = y[where] + gcols[:, :, t, ...]
    y = y[_interior(tuple(spatial), widths)]
    if b is not None:
        y = y + B.reshape(b, (1, c) + (1,) * len(out))
    return y


def weight_grad(x, g, kernel, stride, pads, dilation, groups, extra):
    """∂L/∂W[o,c,i] = Σ_{n,h} G[n,o,h] · x̃[n,c, s·h + d·i]: one batched GEMM of G's rows with
    x's im2col columns per group, summed over the images (ops/conv.py's ConvWeightGrad)."""
    ns = B.namespace(g)
    n, o = g.shape[:2]
    out = tuple(g.shape[2:])
    cols = columns(x, tuple(kernel), stride, pads, dilation, out, extra, groups)
    rows = B.reshape(g, (n, groups, o // groups, math.prod(out)))
    gw = ns.sum(rows @ B.matrix_transpose(cols), axis=0)
    return B.reshape(gw, (o, x.shape[1] // groups) + tuple(kernel))


# --------------------------------------------------------------------------- unfold and fold
def unfold(x, kernel, dilation, padding, stride):
    """F.unfold (ops/unfold.py's Im2col): (N, C·K, L), the im2col columns of one group."""
    pads = tuple((p, p) for p in padding)
    out = tuple((h + 2 * p - d * (k - 1) - 1) // s + 1
                for h, k, d, p, s in zip(x.shape[2:], kernel, dilation, padding, stride))
    cols = columns(x, tuple(kernel), stride, pads, dilation, out, (0,) * len(out), 1)
    return B.reshape(cols, (x.shape[0], -1, math.prod(out)))


def fold(y, output_size, kernel, dilation, padding, stride):
    """F.fold (ops/unfold.py's Col2im): each kernel offset's slice of the columns added back
    at its positions of the zero-padded image, then the padding cropped."""
    ns = B.namespace(y)
    out = tuple((h + 2 * p - d * (k - 1) - 1) // s + 1
                for h, k, d, p, s in zip(output_size, kernel, dilation, padding, stride))
    n = y.shape[0]
    c = y.shape[1] // math.prod(kernel)
    cols = B.reshape(y, (n, c, math.prod(kernel)) + out)
    widths = tuple((p, p) for p in padding)
    x = ns.zeros((n, c) + tuple(h + 2 * p for h, p in zip(output_size, padding)), dtype=y.dtype,
                 device=y.device)
    for t, offset in enumerate(_offsets(kernel)):
        where = _positions(offset, stride, dilation, out)
        x[where] = x[where] + cols[:, :, t, ...]
    return x[_interior(tuple(output_size), widths)]
