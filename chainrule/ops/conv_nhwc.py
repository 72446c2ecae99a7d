r"""The 2-d convolution computed in channels-last order inside (NHWC), for NCHW tensors.

Same mathematics as ``conv.py`` (y = W ⋆ x + b; ∂L/∂W = G ⋆ x; ∂L/∂x = G ⋆_full flip(W)), a
different memory order for the work in between. The input is copied once into a zero-padded
(N, H̃, W̃, C) array; its im2col matrix is then a strided view ordered (n, h′, w′, i, j, c),

    cols[(n, h′, w′), (i, j, c)] = x̃[n, s_h·h′ + d_h·i, s_w·w′ + d_w·j, c]

whose copy runs over contiguous stretches of k_w·C values (all of a window row's channels), where
the channel-major order of ``conv.py`` copies stretches of W′ values. The products become

    Y = cols · Wₘ          (N·H′·W′ × k²C) · (k²C × O)   — positions × output channels
    ∂L/∂Wₘ = colsᵀ · G    (one GEMM whose reduction runs over every image and position)
    ∂cols = G · Wₘᵀ        then col2im: each row of ∂cols added back at its window

with Wₘ[(i, j, c), o] = W[o, c, i, j] and G = ∂L/∂y in (N·H′·W′ × O) order. Y and G are small
for the shapes this route is chosen for (few output channels), so their transposing copies to and
from NCHW cost little. The batch runs in chunks whose columns fit in the L2 cache (as in
``conv.py``) and is split over the intra-op threads.

col2im here is the numba kernel ``kernels.conv.col2im_nhwc`` (contiguous runs of k_w·C adds).
Without numba it is NumPy's, grouped by residue (:func:`col2im`): the windows w = r, r + q,
r + 2q, … (q = ⌈k_w / s_w⌉) of one kernel row never overlap, so each group is one add over a
strided view whose inner runs are k_w·C values — k_h·q adds in all, where one add per kernel
offset would move runs of only C values. LeNet's second layer at batch 64: 1.37 ms (numba:
0.53 ms); its whole pure-NumPy backward 2.4 ms on this route against 3.9 ms on ``conv.py``'s.

When (``takes``): 2-d, one group, a few input channels, a reduction k²C between 100 and
``conv.PER_IMAGE_MAX_K`` and a small output (see ``MAX_POSITIONS``): there the per-image GEMMs of
``conv.py`` are many small products and its col2im adds runs of only W′ values. Measured on
LeNet's second convolution (6 → 16 channels, 5×5, 14×14 input, batch 64, one thread, float32):
forward 1.0 ms against 1.5 ms, backward 2.1 ms against 3.8 ms. Elsewhere the other routes win
(the measurements are under ``MIN_CHANNELS``).
"""
from __future__ import annotations

import math

from .. import kernels
from ..backend import xp
from ..parallel import parallel_for, sum_parts

_as_strided = xp.lib.stride_tricks.as_strided


def takes(x, w, groups: int, out) -> bool:
    """Whether this route computes the convolution of x with w into spatial size ``out``, its
    forward and its backward (see the module's "When")."""
    from .conv import PER_IMAGE_MAX_K

    if x.ndim != 4 or groups != 1 or type(x).__module__ != "numpy" or not ENABLED:
        return False
    reduction = math.prod(w.shape[1:])
    return (w.shape[1] >= MIN_CHANNELS and MIN_K <= reduction <= PER_IMAGE_MAX_K
            and out[0] * out[1] <= MAX_POSITIONS)


MIN_CHANNELS = 4
MIN_K = 100
MAX_POSITIONS = 100
"""Where the route is taken: C ≥ 4 input channels, a reduction 100 ≤ k²C ≤ 160 and at most
100 output positions per image. Measured over 64 shapes (C 2–16, O 8–32, H′ 8–28, k 3 and 5,
batch 32, one thread, forward + backward against ``conv.py``'s routes): inside this region
0.50–1.04× (median 0.86), outside it mostly slower (up to 2.6× for C = 2 on 28×28 outputs),
where the transposing copies of y and G and the tall, skinny GEMM cost more than the long
contiguous copy saves. LeNet-5's second convolution (6 → 16, 5×5, 10×10 out) is inside."""

ENABLED = True
"""Switch for the tests and benchmarks (False: ``conv.py``'s routes only)."""


def _padded_nhwc(x, pads):
    """x (N, C, H, W) copied into a zero-padded channels-last array (N, H̃, W̃, C)."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = pads
    out = xp.empty((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
    if pt or pb or pl or pr:
        out[:, :pt] = 0
        out[:, pt + h:] = 0
        out[:, pt:pt + h, :pl] = 0
        out[:, pt:pt + h, pl + w:] = 0
    xp.copyto(out[:, pt:pt + h, pl:pl + w], x.transpose(0, 2, 3, 1))
    return out


def _columns(xn, kernel, stride, dilation, out, into=None):
    """The im2col matrix of the padded NHWC input: (n·H′·W′, kh·kw·C), one copy of a view
    (into ``into`` when given)."""
    n, _, _, c = xn.shape
    s_n, s_h, s_w, s_c = xn.strides
    view = _as_strided(xn, (n, *out, *kernel, c),
                       (s_n, s_h * stride[0], s_w * stride[1], s_h * dilation[0],
                        s_w * dilation[1], s_c), writeable=False)
    cols = xp.empty(view.shape, dtype=xn.dtype) if into is None else into.reshape(view.shape)
    xp.copyto(cols, view)
    return cols.reshape(n * out[0] * out[1], -1)


def col2im(dcols, stride, dilation, c, target):
    """target[n, s_h·h + d_h·i, (s_w·w + d_w·j)·C + c] += dcols[n, h, w, i, j·C + c]: the numba
    kernel where it takes the arrays, else NumPy's adds grouped by residue (module docstring;
    with a width dilation above 1 a window's columns are not contiguous, and one add per kernel
    offset runs instead). The same terms either way, added in different orders."""
    sh, sw = stride
    dh, dw = dilation
    if kernels.takes(dcols, target):
        from ..kernels.conv import col2im_nhwc

        col2im_nhwc(dcols, sh, sw, dh, dw, c, target)
        return
    n, ho, wo, kh, run = dcols.shape
    kw = run // c
    planes = target.reshape(n, target.shape[1], -1, c)
    s_n, s_h, s_w, s_c = planes.strides
    if dw == 1:
        q = -(-kw // sw)            # windows q apart never overlap along the width
        for i in range(kh):
            for r in range(min(q, wo)):
                count = (wo - r + q - 1) // q
                view = _as_strided(planes[:, i * dh:, r * sw:], (n, ho, count, run),
                                   (s_n, sh * s_h, q * sw * s_w, s_c))
                xp.add(view, dcols[:, :, r::q, i], out=view)
        return
    terms = dcols.reshape(n, ho, wo, kh, kw, c)
    for i in range(kh):
        for j in range(kw):
            view = _as_strided(planes[:, i * dh:, j * dw:], (n, ho, wo, c),
                               (s_n, sh * s_h, sw * s_w, s_c))
            xp.add(view, terms[:, :, :, i, j], out=view)


def _weight_matrix(w):
    """Wₘ (kh·kw·C × O): Wₘ[(i, j, c), o] = W[o, c, i, j]."""
    return xp.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1, w.shape[0])


def _chunks(lo, hi, per_image_bytes):
    from .conv import CHUNK_BYTES

    step = max(1, CHUNK_BYTES // max(1, per_image_bytes))
    return [(a, min(a + step, hi)) for a in range(lo, hi, step)]


def forward(x, w, stride, pads, dilation, out, bias=None, into=None, keep=False):
    """y = W ⋆ x + b (NCHW in and out), computed channels-last. ``keep``: return (y, columns),
    the whole batch's im2col matrix (N·H′·W′ × k²C) for :func:`backward`'s ∂L/∂W."""
    n, o = x.shape[0], w.shape[0]
    kernel = w.shape[2:]
    y = xp.empty((n, o, *out), dtype=xp.result_type(x, w)) if into is None else into
    wm = _weight_matrix(w)
    positions = out[0] * out[1]
    per_image = positions * wm.shape[0] * x.itemsize
    kept = xp.empty((n * positions, wm.shape[0]), dtype=x.dtype) if keep else None

    def part(lo, hi):
        xn = _padded_nhwc(x[lo:hi], pads)
        for a, b in _chunks(lo, hi, per_image):
            into_cols = None if kept is None else kept[a * positions:b * positions]
            rows = _columns(xn[a - lo:b - lo], kernel, stride, dilation, out, into_cols) @ wm
            nchw = rows.reshape(b - a, *out, o).transpose(0, 3, 1, 2)
            if bias is None:
                xp.copyto(y[a:b], nchw)
            else:               # the bias added in the transposing copy: one pass, not two
                xp.add(nchw, bias.reshape(o, 1, 1), out=y[a:b])

    parallel_for(n, part, n * per_image, blas=True)
    return (y, kept) if keep else y


def backward(x, w, g, stride, pads, dilation, need_x: bool, need_w: bool, columns=None):
    """(∂L/∂x, ∂L/∂W) of y = W ⋆ x given G = ∂L/∂y (NCHW), computed channels-last;
    ``columns``: the forward's kept im2col matrix (then not built again)."""
    n, c, h, wd = x.shape
    o = w.shape[0]
    kernel, out = tuple(w.shape[2:]), tuple(g.shape[2:])
    wm = _weight_matrix(w)
    positions = out[0] * out[1]
    per_image = positions * wm.shape[0] * x.itemsize
    gx = xp.empty(x.shape, dtype=xp.result_type(g, w)) if need_x else None
    partial_w = {}
    (pt, pb), (pl, pr) = pads

    def part(lo, hi):
        gn = xp.empty((hi - lo, *out, o), dtype=g.dtype)
        xp.copyto(gn, g[lo:hi].transpose(0, 2, 3, 1))
        xn = _padded_nhwc(x[lo:hi], pads) if need_w and columns is None else None
        if need_x:
            target = xp.zeros((hi - lo, h + pt + pb, (wd + pl + pr) * c), dtype=gx.dtype)
        for a, b in _chunks(lo, hi, per_image):
            rows = gn[a - lo:b - lo].reshape(-1, o)
            if need_w:
                cols = _columns(xn[a - lo:b - lo], kernel, stride, dilation, out) \
                    if columns is None else columns[a * positions:b * positions]
                gw = cols.T @ rows
                del cols
                if lo in partial_w:
                    partial_w[lo] += gw
                else:
                    partial_w[lo] = gw
            if need_x:
                dcols = (rows @ wm.T).reshape(b - a, *out, kernel[0], kernel[1] * c)
                col2im(dcols, stride, dilation, c, target[a - lo:b - lo])
                del dcols       # before the next chunk's columns: one buffer at a time
        if need_x:
            padded = target.reshape(hi - lo, h + pt + pb, wd + pl + pr, c)
            xp.copyto(gx[lo:hi], padded[:, pt:pt + h, pl:pl + wd].transpose(0, 3, 1, 2))

    parallel_for(n, part, n * per_image, blas=True)
    gw = sum_parts(partial_w)
    if gw is not None:
        gw = xp.ascontiguousarray(gw.reshape(kernel[0], kernel[1], c, o).transpose(3, 2, 0, 1))
    return gx, gw
