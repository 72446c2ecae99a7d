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


# --------------------------------------------------------------------------- average pooling
def _window_sum(ns, z, axis, k, s, o):
    """Σ_{i<k} z[…, s·h + i, …] for h < o along ``axis``: k basic slices, added in order (as
    ops/pool.py's _window_sum)."""
    before = (slice(None),) * axis
    total = z[before + (slice(0, s * (o - 1) + 1, s), Ellipsis)]
    for i in range(1, k):
        total = total + z[before + (slice(i, i + s * (o - 1) + 1, s), Ellipsis)]
    return total


def _window_sum_adjoint(ns, g, axis, k, s, length):
    """The adjoint of :func:`_window_sum`: each g[…, h, …] is added to z[…, s·h + i, …]."""
    o = g.shape[axis]
    z = ns.zeros(g.shape[:axis] + (length,) + g.shape[axis + 1:], dtype=g.dtype,
                 device=g.device)
    before = (slice(None),) * axis
    for i in range(k):
        where = before + (slice(i, i + s * (o - 1) + 1, s), Ellipsis)
        z[where] = z[where] + g
    return z


def avg_forward(x, kernel, stride, padding, out, extra, div):
    """Average pooling, y = (separable window sums of the zero-padded x) / D (ops/pool.py's
    AvgPool); ``div`` is D, a NumPy array of the output's spatial shape (or a scalar)."""
    ns = B.namespace(x)
    y = padded(ns, x, _widths(padding, extra), 0.0)
    for a in range(len(kernel)):
        y = _window_sum(ns, y, 2 + a, kernel[a], stride[a], out[a])
    return y / ns.asarray(div, device=x.device)


def avg_backward(g, div, x_shape, kernel, stride, padding, extra):
    """∂L/∂x of average pooling: G/D spread back over each window, axis by axis."""
    ns = B.namespace(g)
    gs = g / ns.asarray(div, device=g.device)
    spatial = tuple(x_shape[2:])
    for a in reversed(range(len(kernel))):
        length = spatial[a] + 2 * padding[a] + extra[a]
        gs = _window_sum_adjoint(ns, gs, 2 + a, kernel[a], stride[a], length)
    return gs[_interior(spatial, _widths(padding, (0,) * len(spatial)))]


# --------------------------------------------------------------------------- max unpooling
def unpool_forward(x, positions, size):
    """Max unpooling (ops/pool.py's MaxUnpool) by one gather: ``positions`` (host NumPy, (N·C,
    L)) are the flat output positions of x's values within each channel's plane of ``size``
    values. Which input each output position takes is worked out on the host (NumPy's own
    assignment of the positions, so a repeated position takes the input NumPy's route would
    write last); positions never written read a zero appended to x."""
    ns = B.namespace(x)
    rows, count = positions.shape
    flat = (B.xp.arange(rows)[:, None] * size + positions).reshape(-1)
    source = B.xp.full(rows * size, rows * count, dtype=B.xp.int64)
    source[flat] = B.xp.arange(rows * count)
    values = ns.concat([B.reshape(x, (-1,)), ns.zeros((1,), dtype=x.dtype, device=x.device)])
    y = ns.take(values, ns.asarray(source, device=x.device), axis=0)
    return B.reshape(y, (rows, size))


def unpool_backward(g, positions, x_shape):
    """∂L/∂x[n,c,h] = G[n,c, idx[n,c,h]]: one gather from the flattened gradient."""
    ns = B.namespace(g)
    rows, count = positions.shape
    size = B.reshape(g, (rows, -1)).shape[1]
    flat = (B.xp.arange(rows)[:, None] * size + positions).reshape(-1)
    picked = ns.take(B.reshape(g, (-1,)), ns.asarray(flat, device=g.device), axis=0)
    return B.reshape(picked, tuple(x_shape))


# --------------------------------------------------------------------------- indices
def plane_indices(arg, kernel, stride, padding, dilation, out, spatial):
    """PyTorch's max-pooling indices from the kernel offsets ``arg`` (N, C, H′, …) that
    :func:`forward` chose: the flat position (d·H + h)·W + w of each window's maximum within its
    channel's plane, int64, in ``arg``'s library. Offset t of a window splits row-major into
    (i_D, i_H, i_W) (last axis fastest); along axis a the maximum sits at s·h − p + d·i, clipped
    into the input (a window of −∞ padding alone points at its first element inside)."""
    ns = B.namespace(arg)
    arg = ns.astype(arg, ns.int64)
    nd = len(kernel)
    flat = None
    inner = plane = 1
    for a in reversed(range(nd)):
        offset = (arg // inner) % kernel[a]
        inner *= kernel[a]
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + a] = out[a]
        start = B.asarray_like((B.xp.arange(out[a], dtype=B.xp.int64) * stride[a]
                                - padding[a]).reshape(shape), arg)
        coord = ns.clip(start + offset * dilation[a], 0, spatial[a] - 1) * plane
        flat = coord if flat is None else flat + coord
        plane *= spatial[a]
    return flat


# --------------------------------------------------------------------------- adaptive max
def adaptive_max_positions(data, grid):
    """The position of every bin's maximum in ``data`` (N·C, plane) as PyTorch's adaptive max
    pooling scans it (ops/pool.py's _adaptive_max_pool_nd): ``grid`` (host NumPy, (cells, taps))
    lists each bin's flat plane positions; tap by tap, a later element takes over when strictly
    larger or NaN (ties keep the first maximum, the last NaN wins). Returns (N·C, cells) int64 in
    ``data``'s library."""
    ns = B.namespace(data)
    cells, taps = grid.shape
    on = B.asarray_like(grid, data)
    best = ns.take(data, on[:, 0], axis=1)
    arg = ns.zeros(best.shape, dtype=ns.int64, device=data.device)
    for t in range(1, taps):
        v = ns.take(data, on[:, t], axis=1)
        take = (v > best) | ns.isnan(v)
        best = ns.where(take, v, best)
        arg = ns.where(take, t, arg)
    first = B.asarray_like(B.xp.arange(cells, dtype=B.xp.int64) * taps, data)
    picked = ns.take(B.reshape(on, (-1,)), B.reshape(first + arg, (-1,)), axis=0)
    return B.reshape(picked, arg.shape)
