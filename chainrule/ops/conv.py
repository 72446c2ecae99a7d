r"""Convolution (cross-correlation, as in deep learning) and its adjoint, the transposed
convolution, over any number of spatial axes, as fused primitives.

Notation, for one spatial axis (every spatial axis behaves the same way): input x (N, C, H),
weight W (O, C/G, k), stride s, dilation d, padding p (before) and q (after), G groups, output
y (N, O, H′) with H′ = ⌊(H + p + q − d(k − 1) − 1)/s⌋ + 1. Output channel o reads the input
channels of its group, c ∈ group(o):

    y[n, o, h] = b[o] + Σ_{c ∈ group(o)} Σ_i W[o, c, i] · x̃[n, c, s·h + d·i]

where x̃ is x padded with zeros. The three derivatives are themselves convolutions:

- ∂L/∂x (input gradient) = the *full* correlation of the output gradient G with the *flipped*
  kernel, which is the transposed convolution of G with W: x̃-position s·h + d·i collects
  G[n, o, h] · W[o, c, i] from every output that read it, and the padding is cropped away.
- ∂L/∂W (weight gradient) = the correlation of the input with the output gradient:
  ∂L/∂W[o, c, i] = Σ_{n, h} G[n, o, h] · x̃[n, c, s·h + d·i].
- ∂L/∂b[o] = Σ_{n, h} G[n, o, h].

How it is computed (NumPy/BLAS): *im2col* — a strided view (``as_strided``) of the padded input
ordered (C, k…, N, H′…), copied once into the contiguous matrix "cols" (C·k… × N·H′…), and one
GEMM W (O × C·k…) · cols for the whole batch (one per group); a last pass puts the result in NCHW
order and adds the bias. The backward recomputes cols (the forward keeps only x and W, as
PyTorch does), forms ∂L/∂W as one GEMM G · colsᵀ, releases cols, and then forms ∂L/∂x as
Wᵀ · G (the gradient of cols, one GEMM) scattered back by *col2im*: a loop over the k×k… kernel
offsets only, each adding one strided slice (never a loop over pixels, channels or images). G
is rearranged channel-major (O × N·H′…) once for both GEMMs. The backward's peak memory is
therefore one im2col buffer plus arrays of the size of x and y.

Why one GEMM for the whole batch rather than one per image: the same FLOPs at the same BLAS
speed, but one call (one fork/join of BLAS's threads instead of N), and the weight gradient's sum
over images happens inside the GEMM rather than as N partial products.

Three primitives close the loop of derivatives, so every order of derivative is available
(``create_graph=True``): ``conv`` (backward: ``conv_transpose`` and ``conv_weight_grad``),
``conv_transpose`` (backward: ``conv`` and ``conv_weight_grad``), and ``conv_weight_grad``
(bilinear in x and G; backward: ``conv_transpose`` and ``conv``). On arrays the rules call the
NumPy kernels directly; on Tensors they call the primitives.
"""
from __future__ import annotations

import itertools
import math
from typing import NamedTuple

from .. import backend as B
from .. import kernels
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive, records
from ..backend import is_foreign_array, pad_constant, xp
from ..parallel import parallel_for, sharing, sum_parts
from ..tensor import Tensor
from . import conv_nhwc
from .movement import expand_dims, squeeze

_as_strided = xp.lib.stride_tricks.as_strided


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


# --------------------------------------------------------------------------- geometry
def _ntuple(value, n: int, name: str, op: str) -> tuple[int, ...]:
    """``value`` as a tuple of ``n`` ints (an int is repeated), as PyTorch's _pair/_single."""
    if not hasattr(value, "__len__"):
        out = (int(value),) * n
    else:
        out = tuple(int(v) for v in value)
        if len(out) == 1 and n > 1:
            out = out * n
        if len(out) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return out


def _out_sizes(spatial, kernel, stride, pads, dilation) -> tuple[int, ...]:
    """H′ = ⌊(H + p + q − d(k − 1) − 1)/s⌋ + 1 per spatial axis."""
    return tuple((h + p + q - d * (k - 1) - 1) // s + 1
                 for h, k, s, (p, q), d in zip(spatial, kernel, stride, pads, dilation))


def conv_padding(padding, kernel, stride, dilation, op: str) -> tuple[tuple[int, int], ...]:
    """PyTorch's ``padding`` (int, tuple, 'valid' or 'same') as (before, after) per axis.

    'same' pads d·(k − 1) in total, the smaller half before (PyTorch's choice for even kernels),
    and needs stride 1.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                                 f"(stride={stride}); use an explicit padding")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got "
                         f"{padding!r}")
    pads = _ntuple(padding, n, "padding", op)
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: padding must be ≥ 0, got {padding!r}")
    return tuple((p, p) for p in pads)


def _positive(values, name: str, op: str) -> None:
    if any(v < 1 for v in values):
        raise ValueError(f"{op}: {name} must be ≥ 1, got {values}")


# --------------------------------------------------------------------------- array kernels
def _pad(x, pads, extra=None):
    """x with zeros added on the spatial axes: (before, after + extra) per axis."""
    extra = extra or (0,) * len(pads)
    widths = ((0, 0), (0, 0)) + tuple((p, q + e) for (p, q), e in zip(pads, extra))
    if not any(p or q for p, q in widths):
        return x
    return pad_constant(x, widths)


def _windows(xpad, kernel, stride, dilation, out, batch_last: bool = True):
    """Read-only view v[c, i…, n, h…] = xpad[n, c, s·h + d·i …] (no copy).

    The axes are ordered (c, i…, n, h…) ("channel-major"): copied, the view is the im2col
    matrix cols (C·k… × N·H′…), whose one GEMM with W (O × C·k…) covers the whole batch. With
    ``batch_last=False`` the order is (n, c, i…, h…) (used by the references).
    """
    s_n, s_c, *s_sp = xpad.strides
    k_strides = tuple(st * d for st, d in zip(s_sp, dilation))
    o_strides = tuple(st * s for st, s in zip(s_sp, stride))
    n, c = xpad.shape[:2]
    if batch_last:
        shape = (c, *kernel, n, *out)
        strides = (s_c, *k_strides, s_n, *o_strides)
    else:
        shape = (n, c, *kernel, *out)
        strides = (s_n, s_c, *k_strides, *o_strides)
    return _as_strided(xpad, shape, strides, writeable=False)


def _kernel_slices(offset, stride, dilation, out):
    """The positions s·h + d·i (h < H′) of kernel offset i, as one basic slice per axis."""
    return tuple(slice(d * i, d * i + s * (o - 1) + 1, s)
                 for i, s, d, o in zip(offset, stride, dilation, out))


def _overhang(spatial, kernel, stride, pads, dilation, out):
    """Zeros needed after the padding when ``out`` windows reach past the padded input (a
    transposed convolution's output_padding read back by its adjoint)."""
    return tuple(max(0, s * (o - 1) + d * (k - 1) + 1 - (h + p + q))
                 for h, k, s, (p, q), d, o in zip(spatial, kernel, stride, pads, dilation, out))


def _im2col(x, kernel, stride, pads, dilation, out, groups):
    """The im2col matrix of x, (G, C/G·k…, N·H′…): one strided view, one copy (the batch split
    over the intra-op threads when it is large)."""
    n, c = x.shape[:2]
    nd = len(kernel)
    extra = _overhang(x.shape[2:], kernel, stride, pads, dilation, out)
    cols = xp.empty((c, *kernel, n, *out), dtype=x.dtype)
    lead = (slice(None),) * (1 + nd)

    def part(lo, hi):
        xpad = _pad(x[lo:hi], pads, extra)
        if _im2col_kernel_takes(xpad, stride, dilation):
            from ..kernels.conv import im2col_channels

            im2col_channels(xpad, *kernel, stride[0], dilation[0], *out, lo,
                            cols.reshape(-1, n, math.prod(out)))
            return
        xp.copyto(cols[lead + (slice(lo, hi),)], _windows(xpad, kernel, stride, dilation, out))

    parallel_for(n, part, cols.nbytes)
    return cols.reshape(groups, -1, n * math.prod(out))


def _im2col_kernel_takes(xpad, stride, dilation) -> bool:
    """Whether kernels/conv.py's im2col copies the windows of ``xpad`` (the fast extra): 2-d, a
    C-contiguous padded input, stride and dilation 1 along the width."""
    return (IM2COL_KERNEL and xpad.ndim == 4 and stride[1] == 1 and dilation[1] == 1
            and kernels.takes(xpad, contiguous=True))


IM2COL_KERNEL = True
"""Switch for the tests and benchmarks (False: NumPy's copy of the window view)."""


def _channel_major(g, groups):
    """g (N, O, H′…) as (G, O/G, N·H′…): the channel-major rows of the GEMMs (a copy unless g is
    already stored channel-major)."""
    n, o = g.shape[:2]
    view = g.reshape(n, o, -1).transpose(1, 0, 2)
    if view.flags.c_contiguous:
        return view.reshape(groups, o // groups, -1)
    rows = xp.empty(view.shape, dtype=g.dtype)

    def part(lo, hi):
        xp.copyto(rows[:, lo:hi], view[:, lo:hi])

    parallel_for(n, part, rows.nbytes)
    return rows.reshape(groups, o // groups, -1)


def _batch_major(a, bias=None, scratch: bool = False, out=None):
    """The channel-major array a (C, N, H′…) as the NCHW array (N, C, H′…): one copy, which also
    adds the bias. ``scratch``: a is a temporary, so the bias may be added to it in place first
    (a contiguous addition is cheaper than one fused into the transposing copy). ``out``: where
    to write (a fresh array otherwise)."""
    nd = a.ndim - 2
    order = (1, 0) + tuple(range(2, 2 + nd))
    if out is None:
        out = xp.empty(tuple(a.shape[i] for i in order), dtype=a.dtype)
    b = None if bias is None else bias.reshape((-1, 1) + (1,) * nd)

    def part(lo, hi):
        src = a[:, lo:hi]
        if b is not None and scratch:
            src += b
        if b is None or scratch:
            xp.copyto(out[lo:hi], src.transpose(order))
        else:
            xp.add(src.transpose(order), b.reshape((1, -1) + (1,) * nd), out=out[lo:hi])

    parallel_for(a.shape[1], part, out.nbytes)
    return out


PER_IMAGE_MAX_K = 160
"""Convolutions whose reduction C/G·k… is at most this run one GEMM per image (W (O × C·k…) ·
cols_n (C·k… × H′…), batch-major) instead of one GEMM over the whole batch. OpenBLAS runs a
short, very wide product slowly (LeNet's conv1, 6 × 25 · 25 × 100352: 1.2 ms whole vs 0.5 ms
per image; conv2, 16 × 150: 0.97 vs 0.69 ms; their input gradients 1.6 vs 0.7 and 0.92 vs
0.55 ms), and per image the output and G need no transposing copy. From C·k ≈ 300 on (VGG's
inner layers) the whole-batch GEMM is as fast or faster (measured one thread, float32)."""


def _per_image(w) -> bool:
    return math.prod(w.shape[1:]) <= PER_IMAGE_MAX_K


def _im2col_images(x, kernel, stride, pads, dilation, out, groups, ones: bool = False,
                   into=None):
    """Batch-major im2col: (N, G, C/G·k…, H′·W′…), image n's columns contiguous. ``ones``
    (one group): a last row of ones is appended, (N, 1, C·k… + 1, H′·W′…), so that the GEMM
    with [W | b] adds the bias (no pass of its own over the output). ``into``: where to write
    (an (N, G, C/G·k… + ones, H′·W′…) array; a fresh one otherwise)."""
    extra = _overhang(x.shape[2:], kernel, stride, pads, dilation, out)
    xpad = _pad(x, pads, extra)
    n, k, positions = x.shape[0], x.shape[1] * math.prod(kernel), math.prod(out)
    shape = (n, k + int(ones), positions)
    cols = xp.empty(shape, dtype=x.dtype) if into is None else into.reshape(shape)
    if _im2col_kernel_takes(xpad, stride, dilation):
        from ..kernels.conv import im2col_images

        im2col_images(xpad, *kernel, stride[0], dilation[0], *out, cols)
    else:
        view = _windows(xpad, kernel, stride, dilation, out, batch_last=False)
        xp.copyto(cols[:, :k].reshape(view.shape), view)
    if ones:
        cols[:, k] = 1
    return cols.reshape(n, groups, -1, positions)


def _input_grad_images(rows, w, out, stride, pads, dilation, groups, spatial, into):
    """col2im, batch-major (2-d, the fast path): cols′_n = Wᵀ G_n per image (rows: G as
    (N, G, O/G, H′·W′)), then the numba kernel adds each image's cols′ into its padded gradient
    plane by plane, and the padding is cropped into ``into``. (NumPy's one strided add per
    kernel offset runs rows of W′ values only, 10 for LeNet's conv2, and lost to the
    whole-batch route; without numba that route is taken.)"""
    from ..kernels.conv import col2im2d

    n = rows.shape[0]
    o, cg = w.shape[:2]
    c = cg * groups
    kernel = w.shape[2:]
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    extra = _overhang(spatial, kernel, stride, pads, dilation, out)
    padded = tuple(h + pb + pa + e for h, (pb, pa), e in zip(spatial, pads, extra))
    crop = tuple(slice(pb, pb + h) for h, (pb, _) in zip(spatial, pads))
    gcols = xp.matmul(wt, rows).reshape((n * c,) + tuple(kernel) + tuple(out))
    target = xp.zeros((n * c,) + padded, dtype=gcols.dtype)
    col2im2d(gcols, *stride, *dilation, target)
    xp.copyto(into, target.reshape((n, c) + padded)[(slice(None), slice(None)) + crop])


def _matmul(a, b):
    """Grouped GEMM: a (G, m, k) @ b (G, k, n), one BLAS call when G = 1."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return xp.matmul(a, b)


class Columns(NamedTuple):
    """The im2col matrix a forward kept for its backward's ∂L/∂W: which route built it
    ("nhwc": ``conv_nhwc``'s (N·H′·W′ × k²C); "images": the per-image (N, G, C/G·k… [+ 1],
    H′·W′…)) and the array."""
    route: str
    array: object


KEEP_COLUMNS_BYTES = 6 << 20
"""A convolution whose im2col matrix takes at most this many bytes keeps it from the forward
for the backward's weight gradient, instead of building it a second time (a workspace, as
cuDNN's): LeNet-5's two convolutions at batch 64, one thread, backward 0.58 → 0.26 ms and
1.81 → 1.51 ms, for 5.2 + 3.8 MB held from forward to backward. The budget is per process: the
parts of a compiled step split over threads share it (``parallel.sharing``), so splitting a
step over threads does not multiply the memory. Set it to 0 to keep none."""


def keeps_columns(x, w, out) -> bool:
    """Whether a forward of x with kernel w (output spatial size ``out``) keeps its columns."""
    return type(x).__module__ == "numpy" and \
        _cols_bytes(x, w.shape[2:], out) <= KEEP_COLUMNS_BYTES // sharing()


def _needs(ctx, i: int) -> bool:
    """Whether input i will get a gradient (assumed so for a forward called directly)."""
    return getattr(ctx, "inputs", None) is None or ctx.needs(i)


def conv_forward(x, w, stride, pads, dilation, groups, out=None, bias=None, into=None,
                 keep=False):
    """y = W ⋆ x + b on arrays: im2col through a strided view, one GEMM W (O × C·k…) · cols
    (C·k… × N·H′…) for the whole batch, then one pass to NCHW order that also adds the bias —
    or, for a short reduction C·k… (see :func:`_per_image`), one GEMM per image, written straight
    into the NCHW output. ``keep``: return (y, Columns or None): the routes that build their
    im2col matrix image by image keep it whole for the backward (the whole-batch route's is
    too large to be worth keeping)."""
    kernel = w.shape[2:]
    if out is None:
        out = _out_sizes(x.shape[2:], kernel, stride, pads, dilation)
    if conv_nhwc.takes(x, w, groups, tuple(out)) and (into is None or into.flags.c_contiguous):
        y = conv_nhwc.forward(x, w, stride, pads, dilation, tuple(out), bias, into, keep)
        return (y[0], Columns("nhwc", y[1])) if keep else y
    n, o = x.shape[0], w.shape[0]
    y = xp.empty((n, o) + tuple(out), dtype=xp.result_type(x, w)) if into is None else into
    if _depthwise_kernel_takes(x, w, groups, y):         # builds no columns: keeps none
        y = _depthwise(x, w, stride, pads, dilation, bias, y)
        return (y, None) if keep else y
    wm = w.reshape(groups, o // groups, -1)
    per_image = _per_image(w) and y.flags.c_contiguous
    fold = per_image and bias is not None and groups == 1
    if fold:        # [W | b]: the bias rides in the GEMM on a row of ones (see _im2col_images)
        wm = xp.concatenate([wm, bias.astype(wm.dtype, copy=False).reshape(1, o, 1)], axis=2)
    kept = None
    if keep and per_image:
        kept = xp.empty((n, groups, wm.shape[2], math.prod(out)), dtype=x.dtype)

    def part(lo, hi):
        for a, b in _chunks(lo, hi, x, kernel, out):
            if per_image:
                cols = _im2col_images(x[a:b], kernel, stride, pads, dilation, out, groups,
                                      ones=fold, into=None if kept is None else kept[a:b])
                rows = y[a:b].reshape(b - a, groups, o // groups, -1)
                xp.matmul(wm, cols, out=rows)
                if bias is not None and not fold:
                    rows += bias.reshape(groups, o // groups, 1)
                continue
            cols = _im2col(x[a:b], kernel, stride, pads, dilation, out, groups)
            rows = _matmul(wm, cols)
            del cols
            _batch_major(rows.reshape((o, b - a) + tuple(out)), bias, scratch=True, out=y[a:b])

    parallel_for(n, part, _cols_bytes(x, kernel, out), blas=True)
    if keep:
        return y, None if kept is None else Columns("images", kept)
    return y


def _depthwise_kernel_takes(x, w, groups, y) -> bool:
    """Whether the depthwise numba kernel computes this forward: 2-d, one filter per channel
    (groups = C = O), NumPy arrays of one float dtype, contiguous input and output."""
    return (x.ndim == 4 and groups == x.shape[1] == w.shape[0] and w.shape[1] == 1
            and x.flags.c_contiguous and y.flags.c_contiguous and kernels.takes(x, w, y))


def _depthwise(x, w, stride, pads, dilation, bias, y):
    """y = W ⋆ x + b for a depthwise convolution, by kernels.conv.depthwise2d (images split
    over threads), in training and inference alike (so a forward's bits do not depend on
    whether gradients are needed); it builds no im2col columns, so a backward builds its own."""
    from ..kernels.conv import depthwise2d

    c, (h, wd), (ho, wo) = x.shape[1], x.shape[2:], y.shape[2:]
    b = xp.zeros(c, dtype=x.dtype) if bias is None else xp.ascontiguousarray(bias, dtype=x.dtype)
    k = xp.ascontiguousarray(w)

    def part(lo, hi):
        depthwise2d(x[lo:hi].reshape(-1), hi - lo, c, h, wd, k, b, pads[0][0], pads[1][0],
                    *stride, *dilation, ho, wo, y[lo:hi].reshape(-1))

    parallel_for(x.shape[0], part, y.nbytes)
    return y


CHUNK_BYTES = 2 << 20
"""The largest im2col matrix a convolution builds at once: the size of one core's L2 here, so
the GEMM reads the columns from cache (LeNet step, one thread: 16.7 ms at 2 MB, 17.8 ms at 4 MB;
VGG unchanged; 1 MB chunks cost more in per-chunk overhead than they gain)."""


def _cols_bytes(x, kernel, out) -> int:
    """The size of x's im2col matrix: the measure of a convolution's memory-bound work."""
    return x.shape[0] * x.shape[1] * math.prod(kernel) * math.prod(out) * x.itemsize


def _chunks(lo, hi, x, kernel, out):
    """Images lo … hi − 1 in consecutive chunks whose im2col matrices hold at most CHUNK_BYTES
    (one image at least): the im2col buffer stays small whatever the batch (VGG's 32-channel
    layer at batch 64 would need 75 MB at once), so a step's peak memory stays near the
    activations'."""
    per_image = max(1, _cols_bytes(x[:1], kernel, out))
    step = max(1, CHUNK_BYTES // per_image)
    return [(a, min(a + step, hi)) for a in range(lo, hi, step)]


def _input_grad_rows(rows, w, n, out, stride, pads, dilation, groups, spatial, bias=None,
                     into=None):
    """col2im: given G as channel-major rows (G, O/G, N·H′…), cols′ = Wᵀ G (one GEMM), then for
    each kernel offset i the slice cols′[:, i] is added to the padded gradient at positions
    s·h + d·i (a loop over the k×k… offsets only); the padding is cropped."""
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    c = cg * groups
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    gcols = _matmul(wt, rows).reshape((c,) + tuple(kernel) + (n,) + tuple(out))
    extra = _overhang(spatial, kernel, stride, pads, dilation, out)
    padded = tuple(h + pb + pa + e for h, (pb, pa), e in zip(spatial, pads, extra))
    gx = xp.empty((c, n) + padded, dtype=gcols.dtype)  # channel-major, like cols′
    offsets = list(itertools.product(*(range(k) for k in kernel)))

    def part(lo, hi):
        target = gx[:, lo:hi]
        target.fill(0)
        for offset in offsets:
            window = target[(slice(None), slice(None)) + _kernel_slices(offset, stride, dilation,
                                                                        out)]
            window += gcols[(slice(None),) + offset + (slice(lo, hi),)]

    parallel_for(n, part, gcols.nbytes)
    lead = (slice(None), slice(None))
    gcols = None    # released before the copy below (the closure above shares this variable)
    crop = tuple(slice(pb, pb + h) for h, (pb, _) in zip(spatial, pads))
    return _batch_major(gx[lead + crop], bias, scratch=True, out=into)


def _gather_wins(w, stride, pads, dilation, groups) -> bool:
    """Whether ∂L/∂x is cheaper as a gather (a convolution of G with the flipped kernel) than
    as col2im: stride 1 only, padding within the dilated kernel's reach, and O < 1.7·C — the
    gather copies O·k… values per position where col2im adds C·k… of them, and an add (read,
    modify, write) costs ~1.7 copies (measured: VGG's 32→32 3×3 layer, 21-27 ms of adds vs a
    13 ms copy). And a finite kernel: the gather multiplies the kernel by the zeros G is
    padded with, and 0·∞ would put NaN where PyTorch's col2im has none."""
    o, cg = w.shape[:2]
    return (all(s == 1 for s in stride) and 10 * o < 17 * cg * groups
            and all(max(pb, pa) <= d * (k - 1)
                    for (pb, pa), d, k in zip(pads, dilation, w.shape[2:]))
            and bool(xp.isfinite(w).all()))


def _gather_kernel(w, pads, dilation, groups):
    """(kernel, padding) that turn ∂L/∂x of a stride-1 convolution into a convolution of G:
    x-position y collects G[h]·W[i] for h = y + p − d·i, which is the correlation of G, padded
    by d(k − 1) − p, with the kernel flipped and its in/out channels exchanged (per group)."""
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    nd = len(kernel)
    flipped = w.reshape((groups, o // groups, cg) + tuple(kernel)).swapaxes(1, 2)
    flipped = flipped[(slice(None),) * 3 + (slice(None, None, -1),) * nd]
    flipped = xp.ascontiguousarray(flipped).reshape((groups * cg, o // groups) + tuple(kernel))
    gpads = tuple((d * (k - 1) - pb, d * (k - 1) - pa)
                  for (pb, pa), d, k in zip(pads, dilation, kernel))
    return flipped, gpads


def conv_input_grad(g, w, stride, pads, dilation, groups, spatial, bias=None):
    """∂L/∂x of y = W ⋆ x given G = ∂L/∂y, for an input of spatial size ``spatial``: the
    transposed convolution of G with W (col2im of Wᵀ G); ``bias`` is added to the result."""
    return _input_grad_rows(_channel_major(g, groups), w, g.shape[0], g.shape[2:], stride, pads,
                            dilation, groups, spatial, bias)


def _weight_grad_rows(x, rows, kernel, stride, pads, dilation, groups, out):
    """∂L/∂W = G · colsᵀ, one GEMM (O × N·H′…) · (N·H′… × C·k…) per group, computed as its
    transpose cols · Gᵀ (:data:`WEIGHT_GRAD_TRANSPOSED`)."""
    cols = _im2col(x, kernel, stride, pads, dilation, out, groups)
    gw = _matmul_long(cols, rows.transpose(0, 2, 1)).transpose(0, 2, 1)
    return gw.reshape((gw.shape[0] * gw.shape[1], -1) + tuple(kernel))


WEIGHT_GRAD_TRANSPOSED = """OpenBLAS runs G · colsᵀ, whose second operand is a transposed view,
at half its speed on VGG's shapes (one thread, float32: (32 × 1024)·(1024 × 288) at 63 GFLOP/s)
and the transposed product cols · Gᵀ, the same sums, at its usual speed (117 GFLOP/s); the
result is a small (C·k… × O) array, transposed back in the weight's reshape. The VGG-style
step's weight-gradient products replayed alone (bench_gemm.py's log, one thread): 55 → 30 ms; the
whole step on one thread 0.97× its time before (A/B blocks in one process; at two threads within
the noise)."""


_LONG_CHUNK = 2048


def _matmul_long(a, b):
    """Grouped a (G, m, K) @ b (G, K, n) for a long reduction K (the weight gradient's sum over
    every image and position). When the result is tiny (m·n ≤ 256, e.g. a 1-channel first layer:
    6 × 25) OpenBLAS runs such a product on one thread at ~10 GFLOP/s (LeNet's conv1: 2.1 ms);
    summing products over K-chunks of 2048 keeps each chunk in cache (0.7 ms)."""
    m, k, n = a.shape[1], a.shape[2], b.shape[2]
    if m * n > 256 or k < 4 * _LONG_CHUNK:
        return _matmul(a, b)
    out = _matmul(a[:, :, :_LONG_CHUNK], b[:, :_LONG_CHUNK])
    for start in range(_LONG_CHUNK, k, _LONG_CHUNK):
        out += _matmul(a[:, :, start:start + _LONG_CHUNK], b[:, start:start + _LONG_CHUNK])
    return out


def conv_weight_grad(x, g, kernel, stride, pads, dilation, groups):
    """∂L/∂W of y = W ⋆ x given G = ∂L/∂y: the correlation of x with G."""
    return _weight_grad_rows(x, _channel_major(g, groups), tuple(kernel), stride, pads, dilation,
                             groups, g.shape[2:])


def _bias_shape(b, nd: int):
    return b.reshape((1, -1) + (1,) * nd)


def _check(op: str, x, w, b, groups: int, nd: int, transposed: bool = False) -> None:
    """Shape checks with messages that say what was given and what was expected."""
    layout = ("N, C, L", "N, C, H, W", "N, C, D, H, W")[nd - 1] if nd <= 3 else "N, C, …"
    if x.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d input ({layout}), got shape "
                         f"({_dims(x.shape)})")
    if w.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d weight, got shape ({_dims(w.shape)})")
    if groups < 1:
        raise ValueError(f"{op}: groups must be ≥ 1, got {groups}")
    if transposed:
        if x.shape[1] != w.shape[0]:
            raise ValueError(f"{op}: the input has {x.shape[1]} channels (shape "
                             f"({_dims(x.shape)})), but the weight ({_dims(w.shape)}) expects "
                             f"in_channels = weight.shape[0] = {w.shape[0]}")
        if w.shape[0] % groups:
            raise ValueError(f"{op}: in_channels = {w.shape[0]} is not divisible by groups = "
                             f"{groups}")
        channels_out = w.shape[1] * groups
    else:
        if x.shape[1] != w.shape[1] * groups:
            raise ValueError(f"{op}: the input has {x.shape[1]} channels (shape "
                             f"({_dims(x.shape)})), but the weight ({_dims(w.shape)}) with groups "
                             f"= {groups} expects in_channels = weight.shape[1] × groups = "
                             f"{w.shape[1] * groups}")
        if w.shape[0] % groups:
            raise ValueError(f"{op}: out_channels = {w.shape[0]} is not divisible by groups = "
                             f"{groups}")
        channels_out = w.shape[0]
    if b is not None and tuple(b.shape) != (channels_out,):
        raise ValueError(f"{op}: expected a bias of shape ({channels_out},), got "
                         f"({_dims(b.shape)})")


# --------------------------------------------------------------------------- references
def _conv_reference(x, w, b=None, stride=None, padding=None, dilation=None, groups=1, out=None):
    """The definition, term by term (einsum over the window view, one group at a time)."""
    nd = x.ndim - 2
    kernel = w.shape[2:]
    stride = stride or (1,) * nd
    dilation = dilation or (1,) * nd
    padding = padding or ((0, 0),) * nd
    out = out or _out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    xpad = _pad(x, padding, _overhang(x.shape[2:], kernel, stride, padding, dilation, out))
    view = _windows(xpad, kernel, stride, dilation, out, batch_last=False)
    og, cg = w.shape[0] // groups, w.shape[1]
    ks, ps = "ijk"[:nd], "pqr"[:nd]
    spec = f"oc{ks},nc{ks}{ps}->no{ps}"
    parts = [xp.einsum(spec, w[g * og:(g + 1) * og], view[:, g * cg:(g + 1) * cg])
             for g in range(groups)]
    y = xp.concatenate(parts, axis=1)
    return y if b is None else y + _bias_shape(b, nd)


def _conv_transpose_reference(x, w, b=None, stride=None, padding=None, dilation=None, groups=1,
                              out=None):
    """The definition as a scatter: input position h sends x[n, o, h]·W[o, c, i] to output
    position s·h + d·i − p (one kernel offset at a time)."""
    nd = x.ndim - 2
    kernel = w.shape[2:]
    stride = stride or (1,) * nd
    dilation = dilation or (1,) * nd
    padding = padding or ((0, 0),) * nd
    n, o = x.shape[:2]
    og, cg = o // groups, w.shape[1]
    spatial = x.shape[2:]
    if out is None:
        out = tuple(s * (h - 1) - p - q + d * (k - 1) + 1
                    for h, k, s, (p, q), d in zip(spatial, kernel, stride, padding, dilation))
    big = tuple(s * (h - 1) + d * (k - 1) + 1
                for h, k, s, d in zip(spatial, kernel, stride, dilation))
    size = tuple(max(b_, p + o_) for b_, (p, _), o_ in zip(big, padding, out))
    y = xp.zeros((n, cg * groups) + size, dtype=xp.result_type(x, w))
    for g in range(groups):
        xs = x[:, g * og:(g + 1) * og]
        for offset in itertools.product(*(range(k) for k in kernel)):
            wk = w[(slice(g * og, (g + 1) * og), slice(None)) + offset]
            contrib = xp.einsum("no...,oc->nc...", xs, wk)
            index = (slice(None), slice(g * cg, (g + 1) * cg)) + tuple(
                slice(d * i, d * i + s * (h - 1) + 1, s)
                for i, s, d, h in zip(offset, stride, dilation, spatial))
            y[index] += contrib
    y = y[(slice(None), slice(None)) + tuple(slice(p, p + o_) for (p, _), o_ in
                                             zip(padding, out))]
    return y if b is None else y + _bias_shape(b, nd)


def _weight_grad_reference(x, g, kernel_size=None, stride=None, padding=None, dilation=None,
                           groups=1):
    nd = x.ndim - 2
    stride = stride or (1,) * nd
    dilation = dilation or (1,) * nd
    padding = padding or ((0, 0),) * nd
    out = g.shape[2:]
    xpad = _pad(x, padding, _overhang(x.shape[2:], kernel_size, stride, padding, dilation, out))
    view = _windows(xpad, kernel_size, stride, dilation, out, batch_last=False)
    og, cg = g.shape[1] // groups, x.shape[1] // groups
    ks, ps = "ijk"[:nd], "pqr"[:nd]
    spec = f"no{ps},nc{ks}{ps}->oc{ks}"
    parts = [xp.einsum(spec, g[:, k * og:(k + 1) * og], view[:, k * cg:(k + 1) * cg])
             for k in range(groups)]
    return xp.concatenate(parts, axis=0)


# --------------------------------------------------------------------------- primitives
@primitive
class Conv(Function):
    r"""N-d convolution (cross-correlation) with stride, zero padding, dilation, groups and bias:
    PyTorch's F.conv1d / F.conv2d / F.conv3d.

    Forward:     y[n,o,h] = b[o] + Σ_{c∈group(o)} Σ_i W[o,c,i] · x̃[n,c, s·h + d·i]
                 (x̃: x zero-padded; h, i run over every spatial axis)
    Derivative:  ∂L/∂x = G ⋆_full flip(W): the full correlation of the output gradient with the
                 flipped kernel, i.e. the transposed convolution of G with W, cropped by p;
                 ∂L/∂W[o,c,i] = Σ_{n,h} G[n,o,h] · x̃[n,c, s·h + d·i]: the correlation of the
                 input with the output gradient;  ∂L/∂b[o] = Σ_{n,h} G[n,o,h]
    VJP:         ∂L/∂W = one GEMM G · colsᵀ (cols recomputed, then released);
                 ∂L/∂x = col2im(Wᵀ G), a loop over kernel offsets only
    Numerics:    im2col through a strided view, one copy, one BLAS GEMM for the whole batch;
                 no loop over pixels, channels or images. Backward peak memory: one im2col
                 buffer (N·C·k…·H′… elements) plus arrays of the size of x and y.
    """

    name = "conv"
    array_api = True
    text = ("y[n,o,h] = b[o] + Σ_{c,i} W[o,c,i] · x̃[n,c, s·h + d·i]",
            "∂L/∂x = G ⋆_full flip(W) (transposed convolution of G with W),  "
            "∂L/∂W[o,c,i] = Σ_{n,h} G[n,o,h] x̃[n,c, s·h + d·i],  ∂L/∂b[o] = Σ_{n,h} G[n,o,h]")
    latex = (r"y_{n,o,h} = b_o + \sum_{c \in \mathcal{G}(o)} \sum_i W_{o,c,i}\,"
             r"\tilde{x}_{n,c,\,s h + d i}",
             r"\frac{\partial L}{\partial x} = G \star_{\text{full}} \operatorname{flip}(W),\quad "
             r"\frac{\partial L}{\partial W_{o,c,i}} = \sum_{n,h} G_{n,o,h}\,"
             r"\tilde{x}_{n,c,\,s h + d i},\quad "
             r"\frac{\partial L}{\partial b_o} = \sum_{n,h} G_{n,o,h}")
    explanation = ("Each output is a dot product of the kernel with one window of the input, so "
                   "an input pixel's gradient collects kernel-weighted output gradients from every "
                   "window that saw it (a correlation with the flipped kernel), and the kernel's "
                   "gradient correlates the input with the output gradient.")
    reference = staticmethod(_conv_reference)

    @staticmethod
    def forward(ctx, x, w, b=None, stride=None, padding=None, dilation=None, groups=1,
                out=None):
        nd = x.ndim - 2
        stride = stride or (1,) * nd
        dilation = dilation or (1,) * nd
        padding = padding or ((0, 0),) * nd
        _check("conv", x, w, b, groups, nd)
        if out is None:
            out = _out_sizes(x.shape[2:], w.shape[2:], stride, padding, dilation)
        if any(o < 1 for o in out):
            raise ValueError(_too_small("conv", x, w, stride, padding, dilation))
        ctx.save(x, w)
        ctx.geometry = (stride, padding, dilation, groups)
        if is_foreign_array(x):             # another array library: the standard's route
            from . import conv_standard

            extra = _overhang(x.shape[2:], w.shape[2:], stride, padding, dilation, out)
            return conv_standard.forward(x, w, b, stride, padding, dilation, groups, out, extra)
        if _forward_keeps(ctx, x, w, stride, padding, dilation, groups, out):
            y, ctx.columns = conv_forward(x, w, stride, padding, dilation, groups, out, b,
                                          keep=True)
            return y
        return conv_forward(x, w, stride, padding, dilation, groups, out, b)

    @staticmethod
    def vjp(ctx, g):
        x, w = ctx.saved
        stride, padding, dilation, groups = ctx.geometry
        need = ctx.needs_input_grad
        nd = len(stride)
        gx = gw = gb = None
        if is_foreign_array(g):
            from . import conv_standard

            extra = _overhang(x.shape[2:], w.shape[2:], stride, padding, dilation, g.shape[2:])
            gx, gw = conv_standard.backward(x, w, g, stride, padding, dilation, groups, extra,
                                            need[0], need[1])
            if len(need) > 2 and need[2]:
                gb = B.total(g, axis=(0,) + tuple(range(2, 2 + nd)))
            return gx, gw, gb
        if isinstance(g, Tensor):
            if need[1]:
                gw = ConvWeightGrad.apply(x, g, kernel_size=tuple(w.shape[2:]), stride=stride,
                                          padding=padding, dilation=dilation, groups=groups)
            if need[0]:
                gx = ConvTranspose.apply(g, w, stride=stride, padding=padding,
                                         dilation=dilation, groups=groups,
                                         out=tuple(x.shape[2:]))
        elif need[0] or need[1]:
            columns = getattr(ctx, "columns", None)
            if ctx.consumable:      # the node is dropped after this vjp: so are the columns
                ctx.columns = None
            gx, gw = _conv_backward(x, w, g, stride, padding, dilation, groups, need[0],
                                    need[1], columns)
        if len(need) > 2 and need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, 2 + nd)))
        return gx, gw, gb

    @classmethod
    def explain_error(cls, exc, arrays, params):
        if isinstance(exc, ValueError) and str(exc).startswith("conv"):
            return exc
        return super().explain_error(exc, arrays, params)


def _conv_backward(x, w, g, stride, padding, dilation, groups, need_x, need_w, columns=None):
    """(∂L/∂x, ∂L/∂W) on arrays, the batch split over the intra-op threads (each part runs its
    own GEMMs with BLAS at one thread; the parts' weight gradients are summed). Within a part,
    G in channel-major rows serves both GEMMs, and the weight gradient comes first: its im2col
    buffer is released before col2im's buffer is made. ``columns``: the forward's kept im2col
    matrix (:class:`Columns`), used when this backward takes the route that built it."""
    kept = None if columns is None else columns.route
    route, gather = _backward_route(x, w, g, stride, padding, dilation, groups,
                                    tuple(g.shape[2:]), need_x)
    if route == "nhwc":
        return conv_nhwc.backward(x, w, g, stride, padding, dilation, need_x, need_w,
                                  columns.array if kept == "nhwc" else None)
    n = x.shape[0]
    kernel, out = tuple(w.shape[2:]), g.shape[2:]
    if gather:
        flipped, gpads = _gather_kernel(w, padding, dilation, groups)
    gx = xp.empty(x.shape, dtype=xp.result_type(g, w)) if need_x else None
    partial_w = {}
    per_image = route == "images"
    o = w.shape[0]

    def part(lo, hi):
        for a, b in _chunks(lo, hi, x, kernel, out):
            if per_image:
                rows = xp.ascontiguousarray(g[a:b]).reshape(b - a, groups, o // groups, -1)
            elif need_w or (need_x and not gather):
                rows = _channel_major(g[a:b], groups)
            if need_w and per_image:
                if kept == "images":    # without the row of ones a folded bias added
                    cols = columns.array[a:b, :, :math.prod(w.shape[1:])]
                else:
                    cols = _im2col_images(x[a:b], kernel, stride, padding, dilation, out,
                                          groups)
                gw = xp.matmul(cols, rows.swapaxes(2, 3)).sum(axis=0)       # (cols Gᵀ)ᵀ
                gw = gw.swapaxes(1, 2).reshape(w.shape)
                del cols
            elif need_w:
                gw = _weight_grad_rows(x[a:b], rows, kernel, stride, padding, dilation, groups,
                                       out)
            if need_w:
                if lo in partial_w:
                    partial_w[lo] += gw
                else:
                    partial_w[lo] = gw
            if gather:      # ∂L/∂x as a convolution of G (see _gather_kernel)
                conv_forward(g[a:b], flipped, (1,) * len(kernel), gpads, dilation, groups,
                             tuple(x.shape[2:]), into=gx[a:b])
            elif need_x and per_image:
                _input_grad_images(rows, w, out, stride, padding, dilation, groups,
                                   x.shape[2:], gx[a:b])
            elif need_x:
                _input_grad_rows(rows, w, b - a, out, stride, padding, dilation, groups,
                                 x.shape[2:], into=gx[a:b])

    parallel_for(n, part, _cols_bytes(x, kernel, out), blas=True)
    return gx, sum_parts(partial_w)


def _backward_route(x, w, g, stride, padding, dilation, groups, out, need_x):
    """(route, gather): which route :func:`_conv_backward` takes — "nhwc" (channels-last,
    ``conv_nhwc``), "images" (one GEMM per image, see PER_IMAGE_MAX_K; for ∂L/∂x only with the
    fast col2im kernel or the gather) or "batch" (channel-major GEMMs over the whole batch) —
    and whether its ∂L/∂x is the gather (:func:`_gather_wins`)."""
    if conv_nhwc.takes(x, w, groups, out):
        return "nhwc", False
    gather = need_x and _gather_wins(w, stride, padding, dilation, groups)
    if _per_image(w) and (not need_x or gather or (len(out) == 2 and kernels.takes(g, w))):
        return "images", gather
    return "batch", gather


def _forward_keeps(ctx, x, w, stride, padding, dilation, groups, out) -> bool:
    """Whether this forward keeps its columns: a weight gradient will be computed, they fit the
    workspace, and the backward will take the route that builds the same columns (the forward's
    and the backward's routes differ where the fast kernels decide the backward's, e.g. conv 2 of
    LeNet-5 without numba: channels-last forward, whole-batch backward)."""
    if not (records(ctx) and _needs(ctx, 1) and keeps_columns(x, w, out)):
        return False
    if type(x) is xp.ndarray and _depthwise_kernel_takes(x, w, groups, x):
        return False                                # the depthwise kernel: no columns
    forward = "nhwc" if conv_nhwc.takes(x, w, groups, tuple(out)) else \
        "images" if _per_image(w) else "batch"
    backward, _ = _backward_route(x, w, x, stride, padding, dilation, groups, tuple(out),
                                  _needs(ctx, 0))
    return forward != "batch" and backward == forward


def _too_small(op, x, w, stride, padding, dilation) -> str:
    padded = tuple(h + p + q for h, (p, q) in zip(x.shape[2:], padding))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation))
    return (f"{op}: the padded input is ({_dims(padded)}) per channel (input "
            f"({_dims(x.shape)}), padding {padding}), smaller than the dilated kernel "
            f"({_dims(reach)}) (kernel {tuple(w.shape[2:])}, dilation {dilation}): the "
            f"output would be empty")


@primitive
class ConvTranspose(Function):
    r"""N-d transposed convolution (the adjoint of :class:`Conv`; "deconvolution"): PyTorch's
    F.conv_transpose1d / F.conv_transpose2d. Weight layout (C_in, C_out/G, k…).

    Forward:     y = Convᵀ x:  ỹ[n,c, s·h + d·i] += Σ_{o∈group(c)} x[n,o,h] · W[o,c,i], then the
                 padding p is cropped from ỹ and b[c] is added; output size
                 (H − 1)s − 2p + d(k − 1) + output_padding + 1
    Derivative:  ∂L/∂x = conv(G, W) (the ordinary convolution with the same s, p, d, G);
                 ∂L/∂W[o,c,i] = Σ_{n,h} x[n,o,h] · G̃[n,c, s·h + d·i] (the correlation of the
                 output gradient with the input);  ∂L/∂b[c] = Σ_{n,h} G[n,c,h]
    VJP:         y = Aᵀx for the linear map A = conv(·, W), so ∂L/∂x = A G
    Numerics:    one GEMM Wᵀ x for the whole batch, then col2im (a loop over kernel offsets
                 only).
    """

    name = "conv_transpose"
    array_api = True
    text = ("ỹ[n,c, s·h + d·i] += Σ_o x[n,o,h] · W[o,c,i];  y = crop_p(ỹ) + b",
            "∂L/∂x = conv(G, W),  ∂L/∂W[o,c,i] = Σ_{n,h} x[n,o,h] G̃[n,c, s·h + d·i],  "
            "∂L/∂b[c] = Σ_{n,h} G[n,c,h]")
    latex = (r"\tilde{y}_{n,c,\,s h + d i} \mathrel{+}= \sum_{o} x_{n,o,h} W_{o,c,i},\quad "
             r"y = \operatorname{crop}_p(\tilde{y}) + b",
             r"\frac{\partial L}{\partial x} = \operatorname{conv}(G, W),\quad "
             r"\frac{\partial L}{\partial W_{o,c,i}} = \sum_{n,h} x_{n,o,h}\,"
             r"\tilde{G}_{n,c,\,s h + d i},\quad "
             r"\frac{\partial L}{\partial b_c} = \sum_{n,h} G_{n,c,h}")
    explanation = ("The transposed convolution is the adjoint of a convolution: each input value "
                   "stamps a scaled copy of the kernel into the output, so its gradient is the "
                   "ordinary convolution of the output gradient with the same kernel.")
    reference = staticmethod(_conv_transpose_reference)

    @staticmethod
    def forward(ctx, x, w, b=None, stride=None, padding=None, dilation=None, groups=1,
                out=None):
        nd = x.ndim - 2
        stride = stride or (1,) * nd
        dilation = dilation or (1,) * nd
        padding = padding or ((0, 0),) * nd
        _check("conv_transpose", x, w, b, groups, nd, transposed=True)
        if out is None:
            out = tuple(s * (h - 1) - p - q + d * (k - 1) + 1 for h, k, s, (p, q), d in
                        zip(x.shape[2:], w.shape[2:], stride, padding, dilation))
        if any(o < 1 for o in out):
            raise ValueError(f"conv_transpose: the output size {out} would be empty (input "
                             f"({_dims(x.shape)}), weight ({_dims(w.shape)}), stride {stride}, "
                             f"padding {padding}, dilation {dilation})")
        ctx.save(x, w)
        ctx.geometry = (stride, padding, dilation, groups)
        if is_foreign_array(x):             # another array library: the standard's route
            from . import conv_standard

            extra = _overhang(out, w.shape[2:], stride, padding, dilation, x.shape[2:])
            return conv_standard.transposed(x, w, b, stride, padding, dilation, groups, out,
                                            extra)
        return conv_input_grad(x, w, stride, padding, dilation, groups, out, b)

    @staticmethod
    def vjp(ctx, g):
        x, w = ctx.saved
        stride, padding, dilation, groups = ctx.geometry
        need = ctx.needs_input_grad
        nd = len(stride)
        gx = gw = gb = None
        out = tuple(x.shape[2:])
        if is_foreign_array(g):
            from . import conv_standard

            extra = _overhang(g.shape[2:], w.shape[2:], stride, padding, dilation, out)
            if need[1]:
                gw = conv_standard.weight_grad(g, x, w.shape[2:], stride, padding, dilation,
                                               groups, extra)
            if need[0]:
                gx = conv_standard.forward(g, w, None, stride, padding, dilation, groups, out,
                                           extra)
            if len(need) > 2 and need[2]:
                gb = B.total(g, axis=(0,) + tuple(range(2, 2 + nd)))
            return gx, gw, gb
        if isinstance(g, Tensor):
            if need[1]:
                gw = ConvWeightGrad.apply(g, x, kernel_size=tuple(w.shape[2:]), stride=stride,
                                          padding=padding, dilation=dilation, groups=groups)
            if need[0]:
                gx = Conv.apply(g, w, stride=stride, padding=padding, dilation=dilation,
                                groups=groups, out=out)
        else:
            if need[1]:
                gw = _weight_grad_rows(g, _channel_major(x, groups), tuple(w.shape[2:]), stride,
                                       padding, dilation, groups, out)
            if need[0]:
                gx = conv_forward(g, w, stride, padding, dilation, groups, out)
        if len(need) > 2 and need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, 2 + nd)))
        return gx, gw, gb

    @classmethod
    def explain_error(cls, exc, arrays, params):
        if isinstance(exc, ValueError) and str(exc).startswith("conv"):
            return exc
        return super().explain_error(exc, arrays, params)


@primitive
class ConvWeightGrad(Function):
    r"""The weight gradient of a convolution, as a primitive of its own so that it can be
    differentiated again: the correlation of the input x with the output gradient G.

    Forward:     V[o,c,i] = Σ_{n,h} G[n,o,h] · x̃[n,c, s·h + d·i]
    Derivative:  bilinear in (x, G): with U = ∂L/∂V,
                 ∂L/∂G = conv(x, U)  and  ∂L/∂x = conv_transpose(G, U)
    VJP:         ⟨U, V(x, G)⟩ = ⟨G, conv(x, U)⟩ = ⟨conv_transpose(G, U), x⟩
    Numerics:    one GEMM per group, G (O × N·H′…) · colsᵀ.
    """

    name = "conv_weight_grad"
    array_api = True
    text = ("V[o,c,i] = Σ_{n,h} G[n,o,h] · x̃[n,c, s·h + d·i]",
            "∂L/∂G = conv(x, U),  ∂L/∂x = conv_transpose(G, U),  U = ∂L/∂V")
    latex = (r"V_{o,c,i} = \sum_{n,h} G_{n,o,h}\,\tilde{x}_{n,c,\,s h + d i}",
             r"\frac{\partial L}{\partial G} = \operatorname{conv}(x, U),\quad "
             r"\frac{\partial L}{\partial x} = \operatorname{conv}^{\top}(G, U)")
    explanation = ("The weight gradient is bilinear in the input and the output gradient; each "
                   "partial derivative is a convolution or a transposed convolution with U.")
    reference = staticmethod(_weight_grad_reference)

    @staticmethod
    def forward(ctx, x, g, kernel_size=None, stride=None, padding=None, dilation=None, groups=1):
        nd = x.ndim - 2
        stride = stride or (1,) * nd
        dilation = dilation or (1,) * nd
        padding = padding or ((0, 0),) * nd
        ctx.save(x, g)
        ctx.geometry = (stride, padding, dilation, groups)
        if is_foreign_array(x):             # another array library: the standard's route
            from . import conv_standard

            extra = _overhang(x.shape[2:], kernel_size, stride, padding, dilation, g.shape[2:])
            return conv_standard.weight_grad(x, g, kernel_size, stride, padding, dilation,
                                             groups, extra)
        return conv_weight_grad(x, g, tuple(kernel_size), stride, padding, dilation, groups)

    @staticmethod
    def vjp(ctx, u):
        x, g = ctx.saved
        stride, padding, dilation, groups = ctx.geometry
        need = ctx.needs_input_grad
        gx = gg = None
        if is_foreign_array(u):
            from . import conv_standard

            kernel = tuple(u.shape[2:])
            extra = _overhang(x.shape[2:], kernel, stride, padding, dilation, g.shape[2:])
            if need[0]:
                gx = conv_standard.transposed(g, u, None, stride, padding, dilation, groups,
                                              x.shape[2:], extra)
            if need[1]:
                gg = conv_standard.forward(x, u, None, stride, padding, dilation, groups,
                                           tuple(g.shape[2:]), extra)
            return gx, gg
        if isinstance(u, Tensor):
            if need[0]:
                gx = ConvTranspose.apply(g, u, stride=stride, padding=padding, dilation=dilation,
                                         groups=groups, out=tuple(x.shape[2:]))
            if need[1]:
                gg = Conv.apply(x, u, stride=stride, padding=padding, dilation=dilation,
                                groups=groups, out=tuple(g.shape[2:]))
        else:
            if need[0]:
                gx = conv_input_grad(g, u, stride, padding, dilation, groups, x.shape[2:])
            if need[1]:
                gg = conv_forward(x, u, stride, padding, dilation, groups, g.shape[2:])
        return gx, gg


# --------------------------------------------------------------------------- functions
def _conv_nd(op: str, nd: int, x, weight, bias, stride, padding, dilation, groups):
    w_shape = tuple(weight.shape)
    if len(w_shape) != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d weight (out_channels, in_channels/groups, "
                         f"{'kernel' if nd == 1 else 'kH, kW' if nd == 2 else 'k…'}), got shape "
                         f"({_dims(w_shape)})")
    kernel = w_shape[2:]
    stride = _ntuple(stride, nd, "stride", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    _positive(stride, "stride", op)
    _positive(dilation, "dilation", op)
    pads = conv_padding(padding, kernel, stride, dilation, op)
    return conv_with_pads(op, nd, x, weight, bias, stride, pads, dilation, groups)


def conv_with_pads(op: str, nd: int, x, weight, bias, stride, pads, dilation, groups):
    """The convolution with its zero padding given as (before, after) per spatial axis — which
    may differ, as TensorFlow's 'SAME' padding does (chainrule.models' EfficientNet): padded
    inside the convolution instead of by a copy of the input first. (PyTorch's ``F.conv2d``
    takes one number per axis; this is chainrule's own entry for the asymmetric case.)"""
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = _unsqueeze0(x)
    elif x.ndim != nd + 2:
        layout = ("C, L", "C, H, W", "C, D, H, W")[nd - 1]
        raise ValueError(f"{op}: expected a {nd + 2}-d input (N, {layout}) or an unbatched "
                         f"{nd + 1}-d input ({layout}), got shape ({_dims(x.shape)})")
    args = (x, weight) if bias is None else (x, weight, bias)
    _check(op, x, weight, bias, int(groups), nd)
    y = Conv.apply(*args, stride=stride, padding=pads, dilation=dilation, groups=int(groups))
    return _squeeze0(y) if unbatched else y


def _unsqueeze0(x):
    return expand_dims(x, 0)


def _squeeze0(y):
    return squeeze(y, 0)


@autocast_op("conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-d convolution over (N, C, L) (PyTorch's ``F.conv1d``); padding may be 'same'/'valid'."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@autocast_op("conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-d convolution over (N, C, H, W) (PyTorch's ``F.conv2d``); padding may be 'same'/'valid'.

    >>> y = conv2d(x, w, b, stride=1, padding=1)   # x (N, C, H, W), w (O, C, 3, 3) → (N, O, H, W)
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@autocast_op("conv3d")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """3-d convolution over (N, C, D, H, W) (PyTorch's ``F.conv3d``)."""
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def transposed_output_size(spatial, kernel, stride, padding, output_padding, dilation):
    """(H − 1)s − 2p + d(k − 1) + output_padding + 1 per spatial axis."""
    return tuple((h - 1) * s - 2 * p + d * (k - 1) + op + 1 for h, k, s, p, op, d in
                 zip(spatial, kernel, stride, padding, output_padding, dilation))


def _conv_transpose_nd(op: str, nd: int, x, weight, bias, stride, padding, output_padding,
                       groups, dilation):
    w_shape = tuple(weight.shape)
    if len(w_shape) != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-d weight (in_channels, "
                         f"out_channels/groups, kernel…), got shape ({_dims(w_shape)})")
    kernel = w_shape[2:]
    stride = _ntuple(stride, nd, "stride", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of ints (PyTorch has no "
                         f"'{padding}' padding for transposed convolutions), got {padding!r}")
    pad = _ntuple(padding, nd, "padding", op)
    output_padding = _ntuple(output_padding, nd, "output_padding", op)
    _positive(stride, "stride", op)
    _positive(dilation, "dilation", op)
    if any(p < 0 for p in pad) or any(p < 0 for p in output_padding):
        raise ValueError(f"{op}: padding and output_padding must be ≥ 0, got {pad} and "
                         f"{output_padding}")
    for a, s, d in zip(output_padding, stride, dilation):
        if a >= s and a >= d:
            raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = _unsqueeze0(x)
    elif x.ndim != nd + 2:
        layout = ("C, L", "C, H, W", "C, D, H, W")[nd - 1]
        raise ValueError(f"{op}: expected a {nd + 2}-d input (N, {layout}) or an unbatched "
                         f"{nd + 1}-d input ({layout}), got shape ({_dims(x.shape)})")
    _check(op, x, weight, bias, int(groups), nd, transposed=True)
    out = transposed_output_size(x.shape[2:], kernel, stride, pad, output_padding, dilation)
    args = (x, weight) if bias is None else (x, weight, bias)
    y = ConvTranspose.apply(*args, stride=stride, padding=tuple((p, p) for p in pad),
                            dilation=dilation, groups=int(groups), out=out)
    return _squeeze0(y) if unbatched else y


@autocast_op("conv_transpose1d")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution (PyTorch's ``F.conv_transpose1d``); weight (C_in, C_out/G, k)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


@autocast_op("conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution (PyTorch's ``F.conv_transpose2d``); weight (C_in, C_out/G, kH,
    kW); output size (H − 1)s − 2p + d(k − 1) + output_padding + 1."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


@autocast_op("conv_transpose3d")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0,  # noqa: A002
                     output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution (PyTorch's ``F.conv_transpose3d``); weight (C_in, C_out/G, kD,
    kH, kW); output size (D − 1)s − 2p + d(k − 1) + output_padding + 1 per axis."""
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)
