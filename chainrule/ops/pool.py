r"""Pooling over any number of spatial axes: max, average, adaptive average and adaptive max,
power-average, and max unpooling (PyTorch's F.max_pool1d/2d/3d, F.avg_pool1d/2d/3d,
F.adaptive_avg_pool1d/2d/3d, F.adaptive_max_pool1d/2d/3d, F.lp_pool1d/2d/3d,
F.max_unpool1d/2d/3d and the *_with_indices forms).

Indices (``return_indices``) follow PyTorch: the flat index of each maximum within its channel's
input plane (h·W + w in 2-d, (d·H + h)·W + w in 3-d), int64. Adaptive max pooling gathers every
bin through one fancy index (bins padded to a common length by repeating their last element) and
is a composite of getitem, so autograd differentiates it; max unpooling is a primitive whose VJP
is a gather at the same indices.

Notation, per spatial axis: kernel k, stride s (default k), padding p, dilation d (max only),
output size H′ = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1, or with ceil_mode ⌈…⌉ + 1 less one if the last
window would start in the right padding (PyTorch's rule). Window h covers the input positions
s·h − p + d·i, i = 0…k−1.

Every kernel here is whole-array: a loop over the k×k… kernel offsets only, each step one strided
slice of the (padded) input, never a loop over pixels, channels or images. The average is
separable (a window sum is a sum along each axis in turn, and PyTorch's divisor is a product of
per-axis counts), so it costs 2k slice additions in 2-d instead of k².
"""
from __future__ import annotations

import itertools
import math

from .. import backend as B
from .. import kernels, layouts
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, Node, primitive, records
from ..backend import is_foreign_array, pad_constant, xp
from ..parallel import parallel_for
from ..tensor import Tensor
from .conv import ConvTranspose, _kernel_slices, _ntuple
from .movement import ScatterAdd, expand_dims, squeeze


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


# --------------------------------------------------------------------------- geometry
def pool_output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: ⌊ or ⌈(H + 2p − d(k−1) − 1)/s⌉ + 1; in ceil mode the last
    window must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (hasattr(stride, "__len__") and not len(stride)) \
        else _ntuple(stride, nd, "stride", op)
    padding = _ntuple(padding, nd, "padding", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    for name, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v < 1 for v in values):
            raise ValueError(f"{op}: {name} must be ≥ 1, got {values}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding should be at most half of the kernel size, but got "
                         f"padding={padding} and kernel_size={kernel}")
    spatial = tuple(x.shape[2:])
    out = tuple(pool_output_size(h, k, s, p, d, ceil_mode) for h, k, s, p, d in
                zip(spatial, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: input of shape ({_dims(x.shape)}) is too small for "
                         f"kernel_size={kernel}, stride={stride}, padding={padding}, "
                         f"dilation={dilation}: the output size would be {out}")
    return kernel, stride, padding, dilation, out


def _extra(spatial, kernel, stride, padding, dilation, out):
    """Padding needed after the right padding for ceil_mode's last window."""
    return tuple(max(0, s * (o - 1) + d * (k - 1) + 1 - (h + 2 * p))
                 for h, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, out))


def _pad(x, padding, extra, value):
    widths = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(padding, extra))
    if not any(a or b for a, b in widths):
        return x
    return pad_constant(x, widths, value)


def _batched(op, x, nd):
    """(input with a batch axis, whether one was added) — PyTorch accepts unbatched inputs."""
    layout = ("C, L", "C, H, W", "C, D, H, W")[nd - 1] if nd <= 3 else "C, …"
    if x.ndim == nd + 1:
        return expand_dims(x, 0), True
    if x.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d input (N, {layout}) or an unbatched "
                         f"{nd + 1}-d input ({layout}), got shape ({_dims(x.shape)})")
    return x, False


# --------------------------------------------------------------------------- max pooling
def _window_positions(offset_index, kernel, stride, padding, dilation, out):
    """Input coordinates (per spatial axis, broadcastable) of the chosen kernel offsets."""
    offsets = xp.unravel_index(offset_index, kernel)
    nd = len(kernel)
    coords = []
    for a in range(nd):
        shape = [1] * nd
        shape[a] = out[a]
        start = (xp.arange(out[a]) * stride[a] - padding[a]).reshape(shape)
        coords.append(start + offsets[a] * dilation[a])
    return coords


def _max_pool_reference(x, kernel_size=None, stride=None, padding=None, dilation=None,
                        ceil_mode=False):
    """The definition: the maximum over each window's real (unpadded) elements."""
    spatial = x.shape[2:]
    out = tuple(pool_output_size(h, k, s, p, d, ceil_mode) for h, k, s, p, d in
                zip(spatial, kernel_size, stride, padding, dilation))
    y = xp.empty(x.shape[:2] + out, dtype=x.dtype)
    for index in itertools.product(*(range(o) for o in out)):
        positions = [[o * s - p + d * i for i in range(k) if 0 <= o * s - p + d * i < h]
                     for o, k, s, p, d, h in zip(index, kernel_size, stride, padding, dilation,
                                                 spatial)]
        window = x[(slice(None), slice(None)) + xp.ix_(*positions)]
        y[(slice(None), slice(None)) + index] = window.reshape(x.shape[:2] + (-1,)).max(-1)
    return y


def _offsets(kernel):
    return enumerate(itertools.product(*(range(k) for k in kernel)))


def _running_max(xpad, kernel, stride, padding, dilation, out, with_arg: bool = True):
    """The window maxima and the first kernel offset reaching each (a loop over offsets only;
    the batch split over the intra-op threads when it is large). ``with_arg=False``: the maxima
    alone (no backward will need the offsets), arg is None.

    Offsets are visited in row-major order and an offset takes over only when strictly larger,
    so ties keep the first maximum; offset numbers grow, so ``arg = max(arg, t·[v > best])``
    records the last takeover without a masked copy.
    """
    lead = (slice(None), slice(None))
    arg_dtype = xp.uint8 if math.prod(kernel) <= 256 else xp.int32
    n = xpad.shape[0]
    best = xp.empty(xpad.shape[:2] + tuple(out), dtype=xpad.dtype)
    arg = xp.empty(best.shape, dtype=arg_dtype) if with_arg else None

    def part(lo, hi):
        top = best[lo:hi]
        step = None
        for t, offset in _offsets(kernel):
            v = xpad[lo:hi][lead + _kernel_slices(offset, stride, dilation, out)]
            if t == 0:
                xp.copyto(top, v)
                if with_arg:
                    arg[lo:hi] = 0
                    step = xp.empty(top.shape, dtype=arg_dtype)
                continue
            if with_arg:
                take = xp.greater(v, top)
                xp.multiply(take, arg_dtype(t), out=step)
                xp.maximum(arg[lo:hi], step, out=arg[lo:hi])
            xp.maximum(top, v, out=top)

    parallel_for(n, part, best.nbytes * math.prod(kernel))
    return best, arg


def _pool_2x2_kernel_takes(xpad, x, kernel, stride, padding, dilation, out) -> bool:
    """Whether kernels/pool.py's 2×2 forward computes this pooling: 2-d, 2×2 windows at
    stride 2, no padding (nor ceil_mode's overhang), a C-contiguous input (the fast extra)."""
    return (xpad is x and x.ndim == 4 and tuple(kernel) == (2, 2) and tuple(stride) == (2, 2)
            and tuple(dilation) == (1, 1) and kernels.takes(x, contiguous=True))


def _pool_2x2(x, out):
    """The 2×2, stride-2 window maxima and their offsets by the numba kernel, the batch split
    over the intra-op threads."""
    from ..kernels.pool import max_pool2d_2x2

    best = xp.empty(x.shape[:2] + tuple(out), dtype=x.dtype)
    arg = xp.empty(best.shape, dtype=xp.uint8)
    parallel_for(x.shape[0], lambda lo, hi: max_pool2d_2x2(x, best, arg, lo, hi), x.nbytes)
    return best, arg


def _separable_max(xpad, kernel, stride, padding, dilation, out):
    """The window maxima alone, one spatial axis at a time: max over a k_h × k_w window is the
    max over i of the row maxima max over j, so the last axis is reduced first (k_w − 1
    elementwise maxima of strided views), then the one before it. The same values as the
    running maximum over all k_h·k_w offsets (max is exact and NaN propagates either way), in
    fewer and shorter passes: LeNet's first pooling at batch 500, 1.1 ms against 2.0 ms."""
    lead = xpad.ndim - len(kernel)

    def part(lo, hi):
        z, target = xpad[lo:hi], best[lo:hi]
        for axis in reversed(range(len(kernel))):
            k, s, d, o = kernel[axis], stride[axis], dilation[axis], out[axis]
            index = [slice(None)] * z.ndim
            views = []
            for i in range(k):
                index[lead + axis] = slice(d * i, d * i + s * (o - 1) + 1, s)
                views.append(z[tuple(index)])
            if k == 1:
                z = views[0]
                continue
            # the first axis's maxima go straight into the result
            z = xp.maximum(views[0], views[1], out=target if axis == 0 else None)
            for v in views[2:]:
                xp.maximum(z, v, out=z)
        if z is not target:         # the first axis had a kernel of 1: nothing written yet
            target[...] = z

    n = xpad.shape[0]
    best = xp.empty(xpad.shape[:lead] + tuple(out), dtype=xpad.dtype)
    parallel_for(n, part, best.nbytes * math.prod(kernel))
    return best


def _exact_argmax(xpad, spatial, padded, kernel, stride, padding, dilation, out):
    """PyTorch's CPU rule where NaN or −∞ are involved: start at the window's first element inside
    the input, then move to any strictly larger value or to any NaN."""
    lead = (slice(None), slice(None))
    best = arg = unset = None
    for t, offset in _offsets(kernel):
        v = xpad[lead + _kernel_slices(offset, stride, dilation, out)]
        if best is None:
            best = v.copy()
            arg = xp.zeros(best.shape, dtype=xp.uint8 if math.prod(kernel) <= 256 else xp.int32)
            if padded:
                valid = _valid(offset, spatial, stride, padding, dilation, out)
                unset = xp.broadcast_to(~valid, best.shape).copy()
            continue
        take = xp.greater(v, best)
        take |= xp.isnan(v)
        if padded:
            take |= unset & _valid(offset, spatial, stride, padding, dilation, out)
            unset &= ~take
        xp.copyto(best, v, where=take)
        xp.copyto(arg, t, where=take)
    return arg


def _fast(a) -> bool:
    """Whether the numba max-pool backward kernel (chainrule.kernels, the ``fast`` extra) takes
    this array: 1-d or 2-d pooling of floating-point values. (The forward stays NumPy's: its
    running maximum over strided views measured faster than a numba loop.)"""
    return a.ndim in (3, 4) and kernels.takes(a)


def _as_2d(a):
    """A (N, C, L) array as (N, C, 1, L); a (N, C, H, W) array as itself."""
    return a[:, :, None, :] if a.ndim == 3 else a


def _pairs(*values):
    """Geometry tuples of one axis given a leading unit axis (1-d pooling run as 2-d)."""
    return tuple(v if len(v) == 2 else (u,) + tuple(v) for v, u in zip(values, (1, 1, 0, 1, 1)))


def _fast_max_pool_backward(g, arg, x_shape, kernel, stride, padding, dilation):
    """∂L/∂x of max pooling by the one-pass scatter kernel."""
    from ..kernels import pool as K

    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pairs(kernel, stride, padding, dilation)
    gx = xp.empty(x_shape, dtype=g.dtype)
    g4, arg4, gx4 = _as_2d(xp.ascontiguousarray(g)), _as_2d(arg), _as_2d(gx)
    parallel_for(g.shape[0], lambda n0, n1: K.max_pool2d_backward(
        g4, arg4, kh, kw, sh, sw, ph, pw, dh, dw, gx4, n0, n1), gx.nbytes)
    return gx


@primitive
class MaxPool(Function):
    r"""N-d max pooling (PyTorch's F.max_pool1d / F.max_pool2d / F.max_pool3d).

    Forward:     y[n,c,h] = max_i x̃[n,c, s·h − p + d·i]   (x̃ padded with −∞)
    Derivative:  ∂y[n,c,h]/∂x[n,c,j] = 1 if j is the window's argmax, else 0;
                 ∂L/∂x[n,c,j] = Σ_{h : argmax(h) = j} G[n,c,h]  (overlapping windows add up)
    VJP:         G scattered to the argmax positions: for each kernel offset, the slice of G
                 whose window chose that offset is added back at the offset's strided positions
    Numerics:    no arithmetic in the forward; the argmax is kept as a kernel-offset index per
                 output (one byte for kernels of up to 256 elements).
    Kinks:       ties: the first maximum in the window's row-major order wins the whole gradient,
                 and a NaN wins over any number (the last NaN if several), as in PyTorch's CPU
                 kernel; a window of −∞ values points at its first element inside the input.
    """

    name = "max_pool"
    array_api = True
    text = ("y[n,c,h] = max_i x̃[n,c, s·h − p + d·i]",
            "∂L/∂x[j] = Σ_{h: argmax(h) = j} G[h]  (ties: the first maximum in the window)")
    latex = (r"y_{n,c,h} = \max_i \tilde{x}_{n,c,\,s h - p + d i}",
             r"\frac{\partial L}{\partial x_j} = \sum_{h:\ \arg\max(h) = j} G_h")
    explanation = ("Only the largest element of a window affects the output, so it alone "
                   "receives the window's gradient; the other elements get zero.")
    domain = "distinct"
    reference = staticmethod(_max_pool_reference)

    @staticmethod
    def forward(ctx, x, kernel_size=None, stride=None, padding=None, dilation=None,
                ceil_mode=False):
        spatial = x.shape[2:]
        out = tuple(pool_output_size(h, k, s, p, d, ceil_mode) for h, k, s, p, d in
                    zip(spatial, kernel_size, stride, padding, dilation))
        extra = _extra(spatial, kernel_size, stride, padding, dilation, out)
        geometry = (tuple(kernel_size), stride, padding, dilation, out)
        ctx.x_shape = x.shape
        ctx.geometry = geometry + (extra,)
        if is_foreign_array(x):             # another array library: the standard's route
            from . import pool_standard

            best, ctx.arg = pool_standard.forward(x, *geometry, extra)
            return best
        xpad = _pad(x, padding, extra, -xp.inf)
        if _pool_2x2_kernel_takes(xpad, x, *geometry):     # PyTorch's choice, NaN included
            best, ctx.arg = _pool_2x2(x, out)
            return best
        if not records(ctx):        # no backward will run: the maxima alone
            return _separable_max(xpad, *geometry)
        best, arg = _running_max(xpad, *geometry)
        padded = xpad is not x
        special = xp.isnan(best)
        if padded:
            special |= xp.isneginf(best)
        if special.any():  # NaN or all-−∞ windows: PyTorch's exact choice of index
            arg = _exact_argmax(xpad, spatial, padded, *geometry)
        ctx.arg = arg
        return best

    @staticmethod
    def vjp(ctx, g):
        kernel, stride, padding, dilation, out, extra = ctx.geometry
        if is_foreign_array(g):
            from . import pool_standard

            return pool_standard.backward(g, ctx.arg, ctx.x_shape, kernel, stride, padding,
                                          dilation, extra)
        if isinstance(g, Tensor):
            index = flat_indices(ctx.arg, ctx.x_shape, kernel, stride, padding, dilation, out)
            size = math.prod(ctx.x_shape)
            return ScatterAdd.apply(g.reshape(-1), shape=(size,),
                                    index=index.reshape(-1)).reshape(ctx.x_shape)
        if _fast(g):
            return _fast_max_pool_backward(g, ctx.arg, ctx.x_shape, kernel, stride, padding,
                                           dilation)
        spatial = ctx.x_shape[2:]
        padded = tuple(h + 2 * p + e for h, p, e in zip(spatial, padding, extra))
        gx = xp.zeros(ctx.x_shape[:2] + padded, dtype=g.dtype)
        lead = (slice(None), slice(None))
        # Windows that do not overlap write disjoint positions: G·[arg = t] goes straight into
        # them (one pass per offset). G·[arg = t] is exact only for finite G (∞·0 is NaN), so
        # otherwise the masked values are selected with where.
        disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        finite = bool(xp.isfinite(g).all())
        zero = g.dtype.type(0)
        for t, offset in _offsets(kernel):
            target = gx[lead + _kernel_slices(offset, stride, dilation, out)]
            mask = ctx.arg == t
            if disjoint and finite:
                xp.multiply(g, mask, out=target)
            else:
                target += g * mask if finite else xp.where(mask, g, zero)
        return gx[lead + tuple(slice(p, p + h) for p, h in zip(padding, spatial))]


def _valid(offset, spatial, stride, padding, dilation, out):
    """Whether kernel offset ``offset`` of each window lands on a real (unpadded) element."""
    nd = len(spatial)
    mask = True
    for a in range(nd):
        pos = xp.arange(out[a]) * stride[a] - padding[a] + offset[a] * dilation[a]
        shape = [1] * nd
        shape[a] = out[a]
        mask = mask & ((pos >= 0) & (pos < spatial[a])).reshape(shape)
    return mask


def flat_indices(arg, x_shape, kernel, stride, padding, dilation, out):
    """The argmax of each window as a flat index into x (N·C·H·W…): a gather/scatter index."""
    spatial = x_shape[2:]
    coords = _window_positions(arg, kernel, stride, padding, dilation, out)
    n, c = x_shape[:2]
    plane = xp.ravel_multi_index(coords, spatial, mode="clip")
    base = (xp.arange(n * c) * math.prod(spatial)).reshape((n, c) + (1,) * len(spatial))
    return plane + base


def _max_pool_nd(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices and hasattr(x, "_level"):     # inside chainrule.func.vmap
        from ..func.composite import on_folded_batch

        return on_folded_batch(lambda t: _max_pool_nd(op, nd, t, kernel_size, stride, padding,
                                                      dilation, ceil_mode, True), (x,), {}, nd + 1)
    x, unbatched = _batched(op, x, nd)
    kernel, stride, padding, dilation, out = _geometry(op, x, nd, kernel_size, stride, padding,
                                                       dilation, ceil_mode)
    y = MaxPool.apply(x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                      ceil_mode=bool(ceil_mode))
    if not return_indices:
        return squeeze(y, 0) if unbatched else y
    node = y._node
    if node is None:  # no graph was recorded: run the forward again for the argmax offsets
        node = Node()
        data = x._data if isinstance(x, Tensor) else xp.asarray(x)
        MaxPool.forward(node, data, kernel, stride, padding, dilation, bool(ceil_mode))
    arg = node.arg
    if is_foreign_array(arg):               # another array library: indices computed there
        from . import pool_standard

        indices = Tensor._make(pool_standard.plane_indices(arg, kernel, stride, padding,
                                                           dilation, out, x.shape[2:]))
    else:
        coords = _window_positions(arg, kernel, stride, padding, dilation, out)
        indices = Tensor._make(xp.ravel_multi_index(coords, x.shape[2:],
                                                    mode="clip").astype(xp.int64))
        indices = layouts.relaid(indices, layouts.pointwise, [y._data])   # laid out as y
    if unbatched:
        return squeeze(y, 0), Tensor._make(indices._data[0])
    return y, indices


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """1-d max pooling over (N, C, L) (PyTorch's ``F.max_pool1d``)."""
    return _max_pool_nd("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """2-d max pooling over (N, C, H, W) (PyTorch's ``F.max_pool2d``); stride defaults to the
    kernel size; ``return_indices`` also gives each maximum's flat index h·W + w in its plane."""
    return _max_pool_nd("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


# --------------------------------------------------------------------------- average pooling
def _divisor(spatial, kernel, stride, padding, out, count_include_pad, divisor_override, dtype):
    """PyTorch's divisor per output position, a product of per-axis counts: the window clipped
    to the padded input (count_include_pad) or to the input itself."""
    if divisor_override:
        return xp.asarray(divisor_override, dtype=dtype)
    nd = len(spatial)
    div = xp.ones((1,) * nd, dtype=dtype)
    for a in range(nd):
        start = xp.arange(out[a]) * stride[a] - padding[a]
        end = xp.minimum(start + kernel[a], spatial[a] + padding[a])
        if count_include_pad:
            count = end - start
        else:
            count = xp.minimum(end, spatial[a]) - xp.maximum(start, 0)
        shape = [1] * nd
        shape[a] = out[a]
        div = div * count.astype(dtype).reshape(shape)
    return div


def _window_sum(z, axis, k, s, o):
    """Σ_{i<k} z[…, s·h + i, …] for h < o along ``axis`` (one axis of the separable sum)."""
    before = (slice(None),) * axis
    total = z[before + (slice(0, s * (o - 1) + 1, s),)].copy()
    for i in range(1, k):
        total += z[before + (slice(i, i + s * (o - 1) + 1, s),)]
    return total


def _window_sum_adjoint(g, axis, k, s, length):
    """The adjoint of :func:`_window_sum`: each g[…, h, …] is added to z[…, s·h + i, …]."""
    o = g.shape[axis]
    shape = g.shape[:axis] + (length,) + g.shape[axis + 1:]
    z = xp.zeros(shape, dtype=g.dtype)
    before = (slice(None),) * axis
    for i in range(k):
        z[before + (slice(i, i + s * (o - 1) + 1, s),)] += g
    return z


def _avg_pool_reference(x, kernel_size=None, stride=None, padding=None, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    """The definition, window by window (PyTorch's CPU loop)."""
    spatial = x.shape[2:]
    out = tuple(pool_output_size(h, k, s, p, 1, ceil_mode) for h, k, s, p in
                zip(spatial, kernel_size, stride, padding))
    y = xp.zeros(x.shape[:2] + out, dtype=x.dtype)
    for index in itertools.product(*(range(o) for o in out)):
        starts = [o * s - p for o, s, p in zip(index, stride, padding)]
        ends = [min(a + k, h + p) for a, k, h, p in zip(starts, kernel_size, spatial, padding)]
        pool = math.prod(e - a for a, e in zip(starts, ends))
        starts = [max(a, 0) for a in starts]
        ends = [min(e, h) for e, h in zip(ends, spatial)]
        window = x[(slice(None), slice(None)) + tuple(slice(a, e) for a, e in zip(starts, ends))]
        if divisor_override:
            div = divisor_override
        elif count_include_pad:
            div = pool
        else:
            div = math.prod(e - a for a, e in zip(starts, ends))
        y[(slice(None), slice(None)) + index] = window.sum(axis=tuple(range(2, x.ndim))) / div
    return y


@primitive
class AvgPool(Function):
    r"""N-d average pooling (PyTorch's F.avg_pool1d / F.avg_pool2d / F.avg_pool3d).

    Forward:     y[n,c,h] = (1/D_h) Σ_i x̃[n,c, s·h − p + i]  (x̃ zero-padded); D_h = the window's
                 size within the padded input (count_include_pad) or within the input itself, or
                 divisor_override
    Derivative:  ∂y[n,c,h]/∂x[n,c,j] = 1/D_h for every j in window h;
                 ∂L/∂x[j] = Σ_{h ∋ j} G[h] / D_h
    VJP:         G/D spread back over each window (the adjoint of the window sums, axis by axis)
    Numerics:    separable: a window sum along each spatial axis in turn (k slice additions per
                 axis); D is a product of per-axis counts, as PyTorch computes it.
    """

    name = "avg_pool"
    array_api = True
    text = ("y[n,c,h] = (1/D_h) Σ_i x̃[n,c, s·h − p + i]", "∂L/∂x[j] = Σ_{h ∋ j} G[h] / D_h")
    latex = (r"y_{n,c,h} = \frac{1}{D_h} \sum_i \tilde{x}_{n,c,\,s h - p + i}",
             r"\frac{\partial L}{\partial x_j} = \sum_{h \ni j} \frac{G_h}{D_h}")
    explanation = ("Each output is the mean of its window, so every element of the window "
                   "receives an equal share 1/D of the output's gradient.")
    reference = staticmethod(_avg_pool_reference)

    @staticmethod
    def forward(ctx, x, kernel_size=None, stride=None, padding=None, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        spatial = x.shape[2:]
        nd = len(spatial)
        ones = (1,) * nd
        out = tuple(pool_output_size(h, k, s, p, 1, ceil_mode) for h, k, s, p in
                    zip(spatial, kernel_size, stride, padding))
        extra = _extra(spatial, kernel_size, stride, padding, ones, out)
        if is_foreign_array(x):             # another array library: the standard's route
            from . import pool_standard

            div = _divisor(spatial, kernel_size, stride, padding, out, count_include_pad,
                           divisor_override, B.numpy_dtype(x.dtype))
            ctx.x_shape, ctx.div = x.shape, div
            ctx.geometry = (tuple(kernel_size), stride, padding, out, extra)
            return pool_standard.avg_forward(x, kernel_size, stride, padding, out, extra, div)
        y = _pad(x, padding, extra, 0)
        for a in range(nd):
            y = _window_sum(y, 2 + a, kernel_size[a], stride[a], out[a])
        div = _divisor(spatial, kernel_size, stride, padding, out, count_include_pad,
                       divisor_override, x.dtype)
        y /= div
        ctx.x_shape = x.shape
        ctx.div = div
        ctx.geometry = (tuple(kernel_size), stride, padding, out, extra)
        return y

    @staticmethod
    def vjp(ctx, g):
        kernel, stride, padding, out, extra = ctx.geometry
        if is_foreign_array(g):
            from . import pool_standard

            return pool_standard.avg_backward(g, ctx.div, ctx.x_shape, kernel, stride, padding,
                                              extra)
        spatial = ctx.x_shape[2:]
        nd = len(spatial)
        gs = g / ctx.div
        if isinstance(g, Tensor):
            # The adjoint of a window sum is a transposed convolution with a kernel of ones.
            n, c = ctx.x_shape[:2]
            ones = xp.ones((1, 1) + kernel, dtype=g.dtype)
            gx = ConvTranspose.apply(gs.reshape((n * c, 1) + out), ones, stride=stride,
                                     padding=tuple((p, p) for p in padding),
                                     dilation=(1,) * nd, groups=1, out=tuple(spatial))
            return gx.reshape(ctx.x_shape)
        for a in reversed(range(nd)):
            length = spatial[a] + 2 * padding[a] + extra[a]
            gs = _window_sum_adjoint(gs, 2 + a, kernel[a], stride[a], length)
        lead = (slice(None), slice(None))
        return gs[lead + tuple(slice(p, p + h) for p, h in zip(padding, spatial))]


def _avg_pool_nd(op, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    x, unbatched = _batched(op, x, nd)
    kernel, stride, padding, _, _ = _geometry(op, x, nd, kernel_size, stride, padding, 1,
                                              ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must be non-zero")
    y = AvgPool.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                      ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                      divisor_override=divisor_override)
    return squeeze(y, 0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """1-d average pooling over (N, C, L) (PyTorch's ``F.avg_pool1d``)."""
    return _avg_pool_nd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """2-d average pooling over (N, C, H, W) (PyTorch's ``F.avg_pool2d``)."""
    return _avg_pool_nd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


# --------------------------------------------------------------------------- adaptive average
def adaptive_bins(size: int, out: int) -> tuple[list[int], list[int]]:
    """PyTorch's bins: bin i covers [⌊i·H/H′⌋, ⌈(i+1)·H/H′⌉) (neighbouring bins may overlap)."""
    starts = [(i * size) // out for i in range(out)]
    ends = [-((-(i + 1) * size) // out) for i in range(out)]
    return starts, ends


def _adaptive_avg_pool_nd(op, nd, x, output_size):

    x, unbatched = _batched(op, x, nd)
    spatial = tuple(x.shape[2:])
    if output_size is None or isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {nd} ints (or None), "
                         f"got {output_size!r}")
    out = tuple(h if o is None else int(o) for o, h in zip(output_size, spatial))
    if any(o < 1 for o in out) or any(h < 1 for h in spatial):
        raise ValueError(f"{op}: output_size must be ≥ 1 and the input non-empty; got "
                         f"output_size={output_size} for an input of shape ({_dims(x.shape)})")
    if all(h % o == 0 for h, o in zip(spatial, out)):
        # Equal bins: exactly average pooling with kernel = stride = H/H′.
        kernel = tuple(h // o for h, o in zip(spatial, out))
        y = AvgPool.apply(x, kernel_size=kernel, stride=kernel, padding=(0,) * nd,
                          ceil_mode=False, count_include_pad=True, divisor_override=None)
    else:
        # Unequal or overlapping bins: the bins' means one axis at a time (AdaptiveMean)
        y = x
        for a in range(nd):
            y = AdaptiveMean.apply(y, axis=2 + a, out=out[a])
    y = layouts.relaid(y, layouts.pooled, getattr(x, "_data", x), nd)     # PyTorch's layout
    return squeeze(y, 0) if unbatched else y


def _bin_entries(size: int, out: int):
    """The bins as index arrays: for every (bin, position in it), in bin order, the position
    along the axis and the bin; each bin's first entry; and the bins' lengths."""
    starts, ends = (xp.asarray(v) for v in adaptive_bins(size, out))
    lengths = ends - starts
    first = xp.concatenate(([0], xp.cumsum(lengths)[:-1]))
    bin_of = xp.repeat(xp.arange(out), lengths)
    positions = starts[bin_of] + (xp.arange(bin_of.size) - first[bin_of])
    return positions, bin_of, first, lengths


def _rows(a, axis: int):
    """``a`` (array or Tensor) with ``axis`` first and the rest flattened: (a.shape[axis], R)."""
    from .movement import moveaxis, reshape

    if isinstance(a, Tensor):
        return reshape(moveaxis(a, axis, 0), (a.shape[axis], -1))
    moved = B.namespace(a).moveaxis(a, axis, 0) if is_foreign_array(a) else xp.moveaxis(a, axis, 0)
    return B.reshape(moved, (a.shape[axis], -1))


def _unrows(a2, axis: int, shape):
    """The inverse of :func:`_rows`, for a result of ``shape`` (axis first undone)."""
    from .movement import moveaxis, reshape

    front = (shape[axis],) + tuple(shape[:axis]) + tuple(shape[axis + 1:])
    if isinstance(a2, Tensor):
        return moveaxis(reshape(a2, front), 0, axis)
    a = B.reshape(a2, front)
    return B.namespace(a).moveaxis(a, 0, axis) if is_foreign_array(a) else xp.moveaxis(a, 0,
                                                                                      axis)


@primitive
class AdaptiveMean(Function):
    """The means of PyTorch's adaptive-pooling bins along one axis (adaptive average pooling
    is one of these per spatial axis).

    Forward:     y_i = (1/|bᵢ|) Σ_{j ∈ bᵢ} x_j,  bᵢ = [⌊i·H/H′⌋, ⌈(i+1)·H/H′⌉)
    Derivative:  ∂y_i/∂x_j = 1/|bᵢ| for j in bᵢ (neighbouring bins may share a position)
    VJP:         ∂L/∂x_j = Σ_{i : j ∈ bᵢ} g_i/|bᵢ|
    Numerics:    each bin summed over its own positions in order (the t-th positions of all
                 bins at once, t = 0 … longest − 1), then divided by its length, as PyTorch's
                 kernel: an infinite or NaN x reaches only its own bins (an averaging matrix's
                 zeros would meet it as ∞·0 = NaN in every bin).
    """

    name = "adaptive_mean"
    array_api = True
    text = ("y_i = (1/|bᵢ|) Σ_{j ∈ bᵢ} x_j,  bᵢ = [⌊iH/H′⌋, ⌈(i+1)H/H′⌉)",
            "∂L/∂x_j = Σ_{i : j ∈ bᵢ} g_i / |bᵢ|")
    latex = (r"y_i = \frac{1}{|b_i|}\sum_{j \in b_i} x_j,\quad b_i = "
             r"\left[\lfloor iH/H' \rfloor, \lceil (i+1)H/H' \rceil\right)",
             r"\frac{\partial L}{\partial x_j} = \sum_{i:\,j \in b_i} \frac{g_i}{|b_i|}")
    explanation = ("Each output averages a bin of neighbouring inputs; bins of unequal length "
                   "share their edges, so an input on an edge gets gradient from both bins.")
    reference = staticmethod(lambda x, axis, out: xp.stack(
        [xp.take(x, xp.arange(s, e), axis=axis).mean(axis=axis)
         for s, e in zip(*adaptive_bins(x.shape[axis], out))], axis=axis))

    @staticmethod
    def forward(ctx, x, axis=-1, out=1):
        axis = axis % x.ndim
        positions, bin_of, first, lengths = _bin_entries(x.shape[axis], out)
        ctx.axis, ctx.x_shape, ctx.bins = axis, tuple(x.shape), (positions, bin_of, lengths)
        x2 = _rows(x, axis)
        divisor = B.asarray_like(lengths.astype(B.numpy_dtype(x.dtype))[:, None], x)
        if is_foreign_array(x):     # another array library: no reduceat; the t-th entries
            ns = B.namespace(x)
            total = None
            for t in range(int(lengths.max())):
                term = ns.take(x2, B.asarray_like(positions[xp.minimum(first + t, first +
                                                                       lengths - 1)], x), axis=0)
                if t >= int(lengths.min()):
                    term = ns.where(B.asarray_like((t < lengths)[:, None], x), term,
                                    ns.zeros_like(term))
                total = term if total is None else total + term
            y2 = total / divisor
        else:                       # the t-th entries of the bins that have one, added
            starts = positions[first]
            total = x2[starts]
            for t in range(1, int(lengths.max())):
                inside = xp.flatnonzero(t < lengths)
                total[inside] += x2[starts[inside] + t]
            y2 = total / divisor
        shape = list(x.shape)
        shape[axis] = out
        return _unrows(y2, axis, tuple(shape))

    @staticmethod
    def vjp(ctx, g):
        from .movement import Getitem, ScatterAdd

        positions, bin_of, lengths = ctx.bins
        size = ctx.x_shape[ctx.axis]
        like = g._data if isinstance(g, Tensor) else g
        g2 = _rows(g, ctx.axis)
        share = g2 / B.asarray_like(lengths.astype(B.numpy_dtype(g.dtype))[:, None], like)
        if isinstance(share, Tensor):              # differentiable, for higher derivatives
            entries = Getitem.apply(share, index=bin_of)
            grad2 = ScatterAdd.apply(entries, shape=(size, share.shape[1]), index=positions)
        elif is_foreign_array(share):
            from .movement_standard import scatter_rows

            entries = B.namespace(share).take(share, B.asarray_like(bin_of, share), axis=0)
            grad2 = scatter_rows(entries, positions, size)
        else:                       # each bin's share added to its t-th position, t by t
            starts = positions[xp.concatenate(([0], xp.cumsum(lengths)[:-1]))]
            grad2 = xp.zeros((size, share.shape[1]), dtype=share.dtype)
            distinct = bool((xp.diff(starts) > 0).all())     # (H′ > H: bins share a start)
            for t in range(int(lengths.max())):
                inside = xp.flatnonzero(t < lengths)
                if distinct:
                    grad2[starts[inside] + t] += share[inside]
                else:
                    xp.add.at(grad2, starts[inside] + t, share[inside])
        return _unrows(grad2, ctx.axis, ctx.x_shape)


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    """Adaptive average pooling over (N, C, L) to length ``output_size`` (PyTorch's)."""
    return _adaptive_avg_pool_nd("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Adaptive average pooling over (N, C, H, W) to ``output_size`` = (H′, W′) (PyTorch's):
    bin i of an axis averages [⌊i·H/H′⌋, ⌈(i+1)·H/H′⌉); an entry None keeps that axis' size."""
    return _adaptive_avg_pool_nd("adaptive_avg_pool2d", 2, input, output_size)


# --------------------------------------------------------------------------- 3-d and indices
@autocast_op("max_pool3d")
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """3-d max pooling over (N, C, D, H, W) (PyTorch's ``F.max_pool3d``)."""
    return _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """``F.max_pool1d`` that also returns each maximum's index in its channel's input row."""
    return _max_pool_nd("max_pool1d_with_indices", 1, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """``F.max_pool2d`` that also returns each maximum's flat index h·W + w in its plane."""
    return _max_pool_nd("max_pool2d_with_indices", 2, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


@autocast_op("max_pool3d")
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """``F.max_pool3d`` that also returns each maximum's flat index (d·H + h)·W + w."""
    return _max_pool_nd("max_pool3d_with_indices", 3, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


@autocast_op("avg_pool3d")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """3-d average pooling over (N, C, D, H, W) (PyTorch's ``F.avg_pool3d``)."""
    return _avg_pool_nd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


@autocast_op("adaptive_avg_pool3d")
def adaptive_avg_pool3d(input, output_size):  # noqa: A002
    """Adaptive average pooling over (N, C, D, H, W) to ``output_size`` = (D′, H′, W′)."""
    return _adaptive_avg_pool_nd("adaptive_avg_pool3d", 3, input, output_size)


# --------------------------------------------------------------------------- adaptive max
def _adaptive_sizes(op, nd, x, output_size):
    spatial = tuple(x.shape[2:])
    if output_size is None or isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1 and nd > 1:
        output_size = output_size * nd
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {nd} ints (or None), "
                         f"got {output_size!r}")
    out = tuple(h if o is None else int(o) for o, h in zip(output_size, spatial))
    if any(o < 1 for o in out) or any(h < 1 for h in spatial):
        raise ValueError(f"{op}: output_size must be ≥ 1 and the input non-empty; got "
                         f"output_size={output_size} for an input of shape ({_dims(x.shape)})")
    return spatial, out


def _adaptive_grid(spatial, out):
    """Flat plane indices of every bin, padded to a common length: shape (*out, *K).

    Along an axis, bin i reads [start_i, end_i) and is padded to K = max |bin| positions by
    repeating its last element (a repeat changes neither the maximum nor which element is the
    first maximum or the last NaN, since the repeats come after their original in row-major
    order).
    """
    nd = len(spatial)
    flat = 0
    plane_stride = 1
    for a in reversed(range(nd)):
        starts, ends = (xp.asarray(v) for v in adaptive_bins(spatial[a], out[a]))
        k = int((ends - starts).max())
        pos = xp.minimum(starts[:, None] + xp.arange(k), ends[:, None] - 1)
        shape = [1] * (2 * nd)
        shape[a], shape[nd + a] = out[a], k
        flat = flat + pos.reshape(shape) * plane_stride
        plane_stride *= spatial[a]
    return flat


def _adaptive_max_pool_nd(op, nd, x, output_size, return_indices):
    from .indexing import getitem
    from .movement import reshape

    if hasattr(x, "_level"):                        # inside chainrule.func.vmap
        from ..func.composite import on_folded_batch

        return on_folded_batch(lambda t: _adaptive_max_pool_nd(op, nd, t, output_size,
                                                               return_indices), (x,), {}, nd + 1)
    original = x
    x, unbatched = _batched(op, x, nd)
    spatial, out = _adaptive_sizes(op, nd, x, output_size)
    if all(h % o == 0 for h, o in zip(spatial, out)):
        # Equal bins: exactly max pooling with kernel = stride = H/H′ (the same tie and NaN rules).
        kernel = tuple(h // o for h, o in zip(spatial, out))
        return _max_pool_nd(op, nd, original, kernel, kernel, 0, 1, False, return_indices)
    n, c = x.shape[:2]
    grid = _adaptive_grid(spatial, out)
    cells, taps = math.prod(out), math.prod(grid.shape[nd:])
    grid = grid.reshape(cells, taps)
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    if is_foreign_array(data):              # another array library: the same scan there
        from . import pool_standard

        index = pool_standard.adaptive_max_positions(B.reshape(data, (n * c, -1)), grid)
        rows = B.asarray_like(xp.arange(n * c)[:, None], data)
        y = reshape(getitem(reshape(x, (n * c, -1)), (rows, index)), (n, c) + out)
        y = squeeze(y, 0) if unbatched else y
        if not return_indices:
            return y
        shape = ((n, c) if not unbatched else (c,)) + out
        return y, Tensor._make(B.reshape(index, shape))
    data = data.reshape(n * c, -1)
    # PyTorch's scan, one tap (one position of every bin) at a time: a later element takes over
    # when strictly larger or NaN, so ties keep the first maximum and the last NaN wins.
    best = xp.take(data, grid[:, 0], axis=1)               # (N·C, cells)
    arg = xp.zeros(best.shape, dtype=xp.uint8 if taps <= 256 else xp.int32)
    for t in range(1, taps):
        v = xp.take(data, grid[:, t], axis=1)
        take = xp.greater(v, best)
        take |= xp.isnan(v)
        xp.copyto(best, v, where=take)
        xp.copyto(arg, t, where=take)
    index = grid[xp.arange(cells), arg]                    # (N·C, cells): flat plane indices
    rows = xp.arange(n * c)[:, None]
    y = reshape(getitem(reshape(x, (n * c, -1)), (rows, index)), (n, c) + out)
    y = layouts.relaid(y, layouts.as_suggested, getattr(x, "_data", x))   # channels-last kept
    if unbatched:
        y = squeeze(y, 0)
    if not return_indices:
        return y
    indices = index.astype(xp.int64).reshape(((n, c) if not unbatched else (c,)) + out)
    return y, Tensor._make(layouts.pointwise(indices, [y._data]))


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """Adaptive max pooling over (N, C, L) (PyTorch's ``F.adaptive_max_pool1d``): bin i is
    [⌊i·L/L′⌋, ⌈(i+1)·L/L′⌉); its gradient goes to the bin's first maximum."""
    return _adaptive_max_pool_nd("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Adaptive max pooling over (N, C, H, W) (PyTorch's ``F.adaptive_max_pool2d``)."""
    return _adaptive_max_pool_nd("adaptive_max_pool2d", 2, input, output_size, return_indices)


@autocast_op("adaptive_max_pool3d")
def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002
    """Adaptive max pooling over (N, C, D, H, W) (PyTorch's ``F.adaptive_max_pool3d``)."""
    return _adaptive_max_pool_nd("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    return _adaptive_max_pool_nd("adaptive_max_pool1d_with_indices", 1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    return _adaptive_max_pool_nd("adaptive_max_pool2d_with_indices", 2, input, output_size, True)


@autocast_op("adaptive_max_pool3d")
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    return _adaptive_max_pool_nd("adaptive_max_pool3d_with_indices", 3, input, output_size, True)


# --------------------------------------------------------------------------- max unpooling
def _unpool_reference(x, indices=None, out=None):
    y = xp.zeros(x.shape[:2] + tuple(out), dtype=x.dtype)
    flat = y.reshape(x.shape[0], x.shape[1], -1)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for v, i in zip(x[n, c].reshape(-1), indices[n, c].reshape(-1)):
            flat[n, c, i] = v
    return y


@primitive
class MaxUnpool(Function):
    r"""Max unpooling, the partial inverse of max pooling (PyTorch's F.max_unpool1d/2d/3d).

    Forward:     y = 0 of shape (N, C, *out);  y[n,c,flat = idx[n,c,h]] = x[n,c,h]
                 (idx: flat indices into each channel's output plane, as max pooling returns)
    Derivative:  ∂y[n,c,j]/∂x[n,c,h] = [j = idx[n,c,h]]
    VJP:         ∂L/∂x[n,c,h] = G[n,c, idx[n,c,h]]  (a gather)
    Numerics:    no arithmetic. Repeated indices: the last write wins (PyTorch's CPU order), and
                 each of them reads back the same gradient.
    """

    name = "max_unpool"
    array_api = True
    text = ("y = 0;  y[n,c, idx[n,c,h]] = x[n,c,h]", "∂L/∂x[n,c,h] = G[n,c, idx[n,c,h]]")
    latex = (r"y = 0,\quad y_{n,c,\,\mathrm{idx}_{n,c,h}} = x_{n,c,h}",
             r"\frac{\partial L}{\partial x_{n,c,h}} = G_{n,c,\,\mathrm{idx}_{n,c,h}}")
    explanation = ("Each input value is put back where its maximum came from and the rest is "
                   "zero, so each input's gradient is the output gradient at that position.")
    reference = staticmethod(_unpool_reference)

    @staticmethod
    def forward(ctx, x, indices=None, out=None):
        n, c = x.shape[:2]
        if is_foreign_array(x):             # another array library: the standard's route
            from . import pool_standard

            positions = B.to_numpy(indices).reshape(n * c, -1)
            ctx.index, ctx.x_shape = positions, x.shape
            y = pool_standard.unpool_forward(x, positions, math.prod(out))
            return B.reshape(y, (n, c) + tuple(out))
        idx = xp.asarray(indices).reshape(n * c, -1)
        y = xp.zeros((n * c, math.prod(out)), dtype=x.dtype)
        rows = xp.arange(n * c)[:, None]
        y[rows, idx] = x.reshape(n * c, -1)
        ctx.index = (rows, idx)
        ctx.x_shape = x.shape
        return y.reshape((n, c) + tuple(out))

    @staticmethod
    def vjp(ctx, g):
        n, c = ctx.x_shape[:2]
        if is_foreign_array(g):
            from . import pool_standard

            return pool_standard.unpool_backward(g, ctx.index, ctx.x_shape)
        return g.reshape(n * c, -1)[ctx.index].reshape(ctx.x_shape)


def _unpool_nd(op, nd, x, indices, kernel_size, stride, padding, output_size):
    if hasattr(x, "_level") or hasattr(indices, "_level"):     # inside chainrule.func.vmap
        from ..func.composite import on_folded_batch

        return on_folded_batch(lambda a, i: _unpool_nd(op, nd, a, i, kernel_size, stride,
                                                       padding, output_size), (x, indices), {},
                               nd + 1)
    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (hasattr(stride, "__len__") and not len(stride)) \
        else _ntuple(stride, nd, "stride", op)
    padding = _ntuple(padding, nd, "padding", op)
    idx = indices._data if isinstance(indices, Tensor) else indices
    idx = B.to_numpy(idx)       # positions: read on the host (another library's, copied)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer tensor (int64), got {idx.dtype}")
    if tuple(idx.shape) != tuple(x.shape):
        raise ValueError(f"{op}: expected indices of the input's shape ({_dims(x.shape)}), got "
                         f"({_dims(idx.shape)})")
    x, unbatched = _batched(op, x, nd)
    idx = idx.reshape(x.shape)
    spatial = tuple(x.shape[2:])
    default = tuple((h - 1) * s + k - 2 * p for h, s, k, p in zip(spatial, stride, kernel,
                                                                   padding))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"{op}: output_size should be a sequence of {nd} or {nd + 2} "
                             f"integers, got {tuple(output_size)}")
        for o, dflt, s in zip(out, default, stride):
            if not dflt - s < o < dflt + s:
                raise ValueError(f"{op}: invalid output_size {out} (dim {dflt} must be between "
                                 f"{dflt - s} and {dflt + s}, exclusive)")
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: the output size {out} would be empty")
    size = math.prod(out)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise RuntimeError(f"{op}: found an invalid max index {int(idx.max())} (output volume "
                           f"of size {size}, {out})")
    y = MaxUnpool.apply(x, indices=idx, out=out)
    return squeeze(y, 0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """Inverse of ``max_pool1d`` up to the non-maximal values (PyTorch's ``F.max_unpool1d``);
    default output length (L − 1)·s − 2p + k."""
    return _unpool_nd("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                      output_size)


@autocast_op("max_unpool2d")
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """Inverse of ``max_pool2d`` up to the non-maximal values (PyTorch's ``F.max_unpool2d``):
    each value goes to its flat index in its channel's (H′ × W′) output plane, zeros elsewhere."""
    return _unpool_nd("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                      output_size)


@autocast_op("max_unpool3d")
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """Inverse of ``max_pool3d`` up to the non-maximal values (PyTorch's ``F.max_unpool3d``)."""
    return _unpool_nd("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                      output_size)


# --------------------------------------------------------------------------- power-average
def _lp_pool_nd(op, nd, x, norm_type, kernel_size, stride, ceil_mode):
    """PyTorch's composite: (k… · avg_pool(xᵖ))^{1/p}, with sign(a)·relu(|a|) as PyTorch writes
    it (so a window sum of exactly 0 has gradient 0 rather than NaN for p > 1)."""
    from .activations import relu
    from .elementwise import abs as _abs
    from .elementwise import sign

    kernel = _ntuple(kernel_size, nd, "kernel_size", op)
    out = _avg_pool_nd(op, nd, x ** norm_type, kernel, stride, 0, ceil_mode, True, None)
    if is_foreign_array(out._data):         # sign in the output's own library (no gradient)
        signs = Tensor._make(B.namespace(out._data).sign(out._data))
    else:
        signs = sign(out)
    return (signs * relu(_abs(out)) * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """Power-average pooling over (N, C, L) (PyTorch's ``F.lp_pool1d``): y = (Σ_window xᵖ)^{1/p}."""
    return _lp_pool_nd("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """Power-average pooling over (N, C, H, W) (PyTorch's ``F.lp_pool2d``)."""
    return _lp_pool_nd("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """Power-average pooling over (N, C, D, H, W) (PyTorch's ``F.lp_pool3d``)."""
    return _lp_pool_nd("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)
