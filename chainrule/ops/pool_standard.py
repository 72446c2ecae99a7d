"""Max pooling with the array API standard's functions alone: the route for array libraries other
than NumPy (CuPy, array_api_strict). The rule is ops/pool.py's MaxPool (see its docstring): a loop
over the kernel offsets only, each reading one basic slice of the padded input (the positions
s·h − p + d·i of every window at once):

    y[n,c,h] = max_i x̃[n,c, s·h − p + d·i],   arg = the offset of the first maximum

with PyTorch's rule for the special values built in (a NaN wins, the last one if several; a
window of −∞ points at its first element inside the input). The backward adds G·[arg = i] back
at offset i's positions, in the same order as the NumPy path.
"""
from __future__ import annotations

from .. import backend as B
from .conv_standard import _interior, _offsets, _positions, padded


def _widths(padding, extra):
    return tuple((p, p + e) for p, e in zip(padding, extra))


def _inside(ns, offset, spatial, stride, padding, dilation, out):
    """Whether offset i of each window lands on a real (unpadded) element: (1, 1, H′, …)."""
    mask = None
    for a, (i, h, s, p, d, o) in enumerate(zip(offset, spatial, stride, padding, dilation, out)):
        pos = ns.arange(o) * s - p + d * i
        shape = [1] * (2 + len(out))
        shape[2 + a] = o
        axis = B.reshape((pos >= 0) & (pos < h), tuple(shape))
        mask = axis if mask is None else mask & axis
    return mask


def forward(x, kernel, stride, padding, dilation, out, extra):
    """(window maxima, the kernel offset each took its maximum from)."""
    ns = B.namespace(x)
    xpad = padded(ns, x, _widths(padding, extra), -float("inf"))
    best = arg = unset = None
    for t, offset in enumerate(_offsets(kernel)):
        v = xpad[_positions(offset, stride, dilation, out)]
        inside = _inside(ns, offset, x.shape[2:], stride, padding, dilation, out)
        if best is None:
            best = v
            arg = ns.zeros(v.shape, dtype=ns.int32)
            unset = ns.broadcast_to(~inside, v.shape)
            continue
        take = (v > best) | ns.isnan(v) | (unset & inside)
        best = ns.where(take, v, best)
        arg = ns.where(take, t, arg)
        unset = unset & ~take
    return best, arg


def backward(g, arg, x_shape, kernel, stride, padding, dilation, extra):
    """∂L/∂x: G routed to each window's chosen offset (overlapping windows add up)."""
    ns = B.namespace(g)
    out = tuple(g.shape[2:])
    widths = _widths(padding, extra)
    shape = tuple(x_shape[:2]) + tuple(h + a + b for h, (a, b) in zip(x_shape[2:], widths))
    gx = ns.zeros(shape, dtype=g.dtype)
    for t, offset in enumerate(_offsets(kernel)):
        where = _positions(offset, stride, dilation, out)
        gx[where] = gx[where] + ns.where(arg == t, g, 0.0)
    return gx[_interior(x_shape[2:], widths)]
