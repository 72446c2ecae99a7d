r"""Resampling: padding (constant, reflect, replicate, circular), interpolation (nearest,
nearest-exact, linear, bilinear, bicubic, trilinear, area) and pixel (un)shuffle, with PyTorch's
signatures and index formulas.

All of it is composed of existing primitives, so every derivative (of every order) follows from
theirs:

- **Padding**: constant and circular modes crop the negative pads first (a basic slice), then
  pad (constant: the ``pad`` primitive); reflect and replicate index in the frame of the whole
  input (as PyTorch: a reflection may reach into a cropped part). The non-constant modes gather,
  along each padded axis, the source positions

      reflect:    i ↦ −i (i < 0),  2(n − 1) − i (i ≥ n)
      replicate:  i ↦ clamp(i, 0, n − 1)
      circular:   i ↦ i mod n

  with one integer-array index (``getitem``). The gather's adjoint is a scatter-add, so the
  gradient of each output position accumulates into the source position it was copied from.
- **Interpolation** is separable: along each spatial axis, output position j reads a few input
  taps i_t(j) with weights w_t(j) (one tap of weight 1 for nearest, two for linear, four for
  cubic), y = Σ_t w_t ⊙ x[…, i_t, …] — one gather per tap, whole-array. The source coordinate is
  PyTorch's (``area_pixel_compute_source_index``):

      align_corners=True:   s(j) = j·(n_in − 1)/(n_out − 1)          (0 when n_out = 1)
      align_corners=False:  s(j) = (j + ½)·r − ½,  clamped at 0 for linear (not for cubic)

  where r = 1/scale_factor when a scale factor is given (and recompute_scale_factor is not
  True), else n_in/n_out. Linear: i₀ = ⌊s⌋, i₁ = min(i₀ + 1, n − 1), w₁ = s − i₀, w₀ = 1 − w₁.
  Cubic (Keys, A = −0.75): taps ⌊s⌋ − 1 … ⌊s⌋ + 2 clamped to [0, n − 1], weights from
  t = s − ⌊s⌋. Nearest: i = min(⌊j·r⌋, n − 1); nearest-exact: i = min(⌊(j + ½)·r⌋, n − 1),
  the product rounded to float32 before the floor as PyTorch does. Area is adaptive average
  pooling. ``antialias=True`` (bilinear, bicubic, lanczos; Pillow's resampling) widens the
  filter by the downsampling ratio and normalises its weights (see ``_aa_taps``).
- **Pixel shuffle** is a reshape, a permutation and a reshape.
"""
from __future__ import annotations

import math

from .. import layouts
from ..amp.autocast_mode import autocast_op
from ..backend import asarray_like, is_foreign_array, namespace, numpy_dtype, xp
from ..tensor import Tensor
from .arithmetic import add, multiply
from .linalg import matmul
from .movement import Pad, getitem, moveaxis, permute, reshape


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


# ---------------------------------------------------------------------------------- padding
_MODES = ("constant", "reflect", "replicate", "circular")


def _along(ndim: int, axis: int, index):
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _source_positions(mode: str, n: int, before: int, after: int):
    """The source index of every output position −before … n + after − 1 of one padded axis."""
    i = xp.arange(-before, n + after)
    if mode == "reflect":
        i = xp.abs(i)
        return xp.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    return i % n


def _check_pad(input, pad, mode: str, value) -> tuple[int, ...]:  # noqa: A002
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("pad: Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
        k = len(pad) // 2
        if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"pad: Padding size {len(pad)} is not supported for {input.ndim}D input tensor "
                f"in mode {mode!r}. Supported combinations for non-constant padding: 2D or 3D "
                f"input with padding size 2, 3D or 4D with 4, 4D or 5D with 6.")
    return pad


@autocast_op("pad")
def pad(input, pad, mode: str = "constant", value=None):  # noqa: A002
    """PyTorch's ``F.pad``: ``pad`` = (left, right) of the last axis, then of the one before, …;
    negative entries crop. 'constant' pads any trailing axes with ``value`` (default 0);
    'reflect' (mirror without repeating the edge), 'replicate' (repeat the edge) and 'circular'
    (wrap around) pad the last 1, 2 or 3 axes of a (batched) input."""
    pad = _check_pad(input, pad, mode, value)
    ndim = input.ndim
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in range(len(pad) // 2)]
    axes = [ndim - 1 - j for j in range(len(pairs))]
    if mode in ("reflect", "replicate"):
        # PyTorch indexes these in the frame of the whole input (a negative pad only moves the
        # window), so reflection may reach into a cropped part.
        x = input
        sizes = [input.shape[axis] + b + a for axis, (b, a) in zip(axes, pairs)]
        if min(sizes) < 0 or max(sizes) < 1:   # PyTorch: some padded axis must keep a length
            raise RuntimeError(f"pad: input of shape {list(input.shape)} is too small. "
                               f"Calculated output sizes (last dimension first): {sizes} "
                               f"({mode} padding {pad})")
        for axis, (b, a) in zip(axes, pairs):
            n = input.shape[axis]
            if n == 0 and (b or a):
                raise RuntimeError(f"pad: {mode} padding needs non-empty padded dimensions, got "
                                   f"input of shape {list(input.shape)}")
            if mode == "reflect" and (b >= n or a >= n):
                raise RuntimeError(f"pad: Padding size should be less than the corresponding "
                                   f"input dimension, but got: padding ({b}, {a}) at dimension "
                                   f"{axis} of input {list(input.shape)}")
            if b or a:
                x = getitem(x, _along(ndim, axis, _source_positions(mode, n, b, a)))
        return _pytorch_layout(x, input) if x is not input else getitem(input, (Ellipsis,))
    # constant and circular: crop the negative pads first (a basic slice), then pad
    crop = [slice(None)] * ndim
    for axis, (b, a) in zip(axes, pairs):
        n = input.shape[axis]
        if n + min(b, 0) + min(a, 0) < 0:
            raise RuntimeError(f"pad: the padding {pad} would give axis {axis} (size {n}) a "
                               f"negative size {n + b + a}")
        if b < 0 or a < 0:
            crop[axis] = slice(max(-b, 0), n - max(-a, 0))
    x = input
    if any(c != slice(None) for c in crop):
        x = getitem(x, tuple(crop))
    widths = [(max(b, 0), max(a, 0)) for b, a in pairs]
    if not any(b or a for b, a in widths):
        return x if x is not input else getitem(input, (Ellipsis,))
    if mode == "constant":
        full = [(0, 0)] * ndim
        for axis, w in zip(axes, widths):
            full[axis] = w
        return Pad.apply(x, pad_width=tuple(full), value=0.0 if value is None else value)
    for axis, (b, a) in zip(axes, widths):
        n = x.shape[axis]
        if not b and not a:
            continue
        if b > n or a > n:
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once "
                               f"(circular padding ({b}, {a}) of a dimension of size {n}).")
        x = getitem(x, _along(ndim, axis, _source_positions(mode, n, b, a)))
    return _pytorch_layout(x, input, channels_last=False)


def _pytorch_layout(y, source, channels_last: bool = True):
    """``y`` in the memory order PyTorch's kernel gives its output for input ``source``:
    channels-last where ``source`` is densely channels-last but not also row-major (PyTorch's
    ``suggest_memory_format``; only when ``channels_last``), row-major otherwise. chainrule's
    arrays keep whatever order their computation left (a resampled axis moved back into place),
    and ``.view()`` and ``.stride()`` depend on it, so the result is laid out as PyTorch's."""
    data, src = y._data, source._data if isinstance(source, Tensor) else source
    if not (hasattr(data, "strides") and hasattr(src, "strides")):
        return y            # (an array library without strides has no layout to match)
    fmt = layouts.contiguous_format
    if channels_last and src.ndim in (4, 5) and not layouts.is_contiguous_as(src, fmt):
        cl = layouts.channels_last if src.ndim == 4 else layouts.channels_last_3d
        if layouts.is_contiguous_as(src, cl):
            fmt = cl
    return y if layouts.is_contiguous_as(data, fmt) else y.contiguous(memory_format=fmt)


# ---------------------------------------------------------------------------------- interpolation
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear", "lanczos")
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5, "lanczos": 4}
_CUBIC_A = -0.75


def _ratio(n_in: int, n_out: int, scale, align_corners: bool, dtype):
    """PyTorch's area_pixel_compute_scale, in the arithmetic type ``dtype``."""
    if align_corners:
        return dtype.type(n_in - 1) / dtype.type(n_out - 1) if n_out > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(n_in) / dtype.type(n_out)


def _nearest_taps(n_in: int, n_out: int, scale, exact: bool, dtype):
    """One tap per output position (weight 1), with PyTorch's arithmetic: the source coordinate
    in the input's arithmetic type (float64 for float64, float32 otherwise), then rounded to
    float32 before the floor (PyTorch calls floorf)."""
    dtype = dtype if dtype == xp.float64 else xp.dtype(xp.float32)
    r = _ratio(n_in, n_out, scale, False, dtype)
    j = xp.arange(n_out).astype(dtype)
    if exact:   # floorf((r·(j + ½) − ½) + ½)
        half = dtype.type(0.5)
        src = (r * (j + half) - half) + half
    else:       # floorf(r·j)
        src = r * j
    index = xp.floor(src.astype(xp.float32)).astype(xp.int64)
    return [(xp.minimum(index, n_in - 1), None)]


def _linear_taps(n_in: int, n_out: int, scale, align_corners: bool, dtype):
    r = _ratio(n_in, n_out, scale, align_corners, dtype)
    j = xp.arange(n_out).astype(dtype)
    if align_corners:
        src = r * j
    else:
        src = xp.maximum(r * (j + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    w1 = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    return [(i0, (1 - w1).astype(dtype)), (i1, w1)]


def _cubic_taps(n_in: int, n_out: int, scale, align_corners: bool, dtype):
    """Keys' cubic convolution (A = −0.75), taps clamped to the edge (PyTorch's bicubic)."""
    r = _ratio(n_in, n_out, scale, align_corners, dtype)
    j = xp.arange(n_out).astype(dtype)
    src = r * j if align_corners else r * (j + dtype.type(0.5)) - dtype.type(0.5)
    base = xp.floor(src)
    t = (src - base).astype(dtype)
    a = _CUBIC_A

    def near(x):   # |x| ≤ 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    base = base.astype(xp.int64)
    return [(xp.clip(base + k - 1, 0, n_in - 1), w.astype(dtype)) for k, w in enumerate(weights)]


def _aa_triangle(x):
    """The bilinear antialias filter, 1 − |x| on |x| < 1."""
    x = xp.abs(x)
    return xp.where(x < 1, 1 - x, 0)


def _aa_cubic(x):
    """The bicubic antialias filter: Keys' kernel with A = −0.5 (Pillow's), |x| < 2."""
    x = xp.abs(x)
    a = x.dtype.type(-0.5)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return xp.where(x < 1, near, xp.where(x < 2, far, 0))


def _aa_lanczos(x):
    """Lanczos-3: sinc(x)·sinc(x/3) on |x| < 3 (1 at 0)."""
    x = xp.abs(x)
    px = xp.pi * x.astype(xp.float64)
    with xp.errstate(invalid="ignore", divide="ignore"):
        value = 3 * xp.sin(px) * xp.sin(px / 3) / (px * px)
    return xp.where(x == 0, 1, xp.where(x < 3, value, 0)).astype(x.dtype)


#: antialiasing filters: (taps of the plain interpolation, the filter)
_AA_FILTERS = {"bilinear": (2, _aa_triangle), "bicubic": (4, _aa_cubic),
               "lanczos": (6, _aa_lanczos)}


def _aa_taps(n_in: int, n_out: int, scale, align_corners: bool, dtype, mode: str):
    """PyTorch's antialiased taps (``_upsample_{bilinear,bicubic,lanczos}2d_aa``, Pillow's
    resampling): output j is a normalised weighted sum of the inputs within ``support`` of its
    centre c = r·(j + ½) — in both align_corners modes, which change only the ratio r —, the
    filter stretched by r when downsampling:

        support = (taps/2)·max(r, 1),  i ∈ [⌊c − support + ½⌋₊, min(⌊c + support + ½⌋, n_in)),
        w_i = f((i − c + ½)/max(r, 1)) / Σ_i f(…)

    with PyTorch's float32 arithmetic for float32 (c and the filter's argument rounded as its
    kernel rounds them)."""
    work = dtype if dtype == xp.float64 else xp.dtype(xp.float32)
    size, filt = _AA_FILTERS[mode]
    r = _ratio(n_in, n_out, scale, align_corners, work)
    support = work.type(size * 0.5 * float(r) if r >= 1 else size * 0.5)
    invscale = work.type(1) / r if r >= 1 else work.type(1)
    j = xp.arange(n_out)
    center = (xp.float64(r) * (j + 0.5)).astype(work)
    c64 = center.astype(xp.float64)
    lo = xp.maximum(xp.trunc(c64 - xp.float64(support) + 0.5).astype(xp.int64), 0)
    hi = xp.minimum(xp.trunc(c64 + xp.float64(support) + 0.5).astype(xp.int64), n_in)
    k = xp.arange(int(math.ceil(float(support))) * 2 + 1)
    offset = ((lo[:, None] + k).astype(work) - center[:, None]).astype(work)
    arg = ((offset.astype(xp.float64) + 0.5) * xp.float64(invscale)).astype(work)
    w = xp.where(k < (hi - lo)[:, None], filt(arg), 0).astype(work)
    total = xp.zeros(n_out, dtype=work)
    for t in range(w.shape[1]):           # summed in order, as PyTorch
        total = (total + w[:, t]).astype(work)
    w = xp.where(total[:, None] != 0, w / xp.where(total == 0, 1, total)[:, None], w)
    index = xp.minimum(lo[:, None] + k, n_in - 1)
    return [(index[:, t], w[:, t].astype(dtype)) for t in range(w.shape[1])]


#: Largest interpolation matrix (n_out × n_in entries) used; longer axes gather instead.
_DENSE_LIMIT = 1 << 22


def _resample_axis(x, axis: int, taps, n_in: int, dtype):
    """Σ_t w_t ⊙ x[…, i_t, …] along ``axis``.

    As one matrix product with the (n_out × n_in) interpolation matrix M, M[j, i_t(j)] += w_t(j),
    when M is small and x finite (a BLAS product, forward and backward, is far faster than
    gathers and their scatter-add adjoints; with a non-finite x the zeros of M would spread
    0·∞ = NaN, so then, and for very long axes, one gather per tap is used instead).
    """
    n_out = len(taps[0][0])
    data = x._data if isinstance(x, Tensor) else x
    foreign = type(data) is not xp.ndarray and is_foreign_array(data)
    if foreign:     # the taps and the matrix are host constants, moved into x's library
        ns = namespace(data)
        finite = dtype is not None and bool(ns.all(ns.isfinite(data)))
    else:
        finite = dtype is not None and xp.isfinite(data).all()
    if dtype is not None and n_out * n_in <= _DENSE_LIMIT and finite:
        m = xp.zeros((n_out, n_in), dtype=dtype)
        rows = xp.arange(n_out)
        for index, weight in taps:
            xp.add.at(m, (rows, index), 1 if weight is None else weight)
        m = Tensor._make(asarray_like(m, data) if foreign else m)
        # one 2-D GEMM (rows × n_in)·Mᵀ: the axis moved last, the others flattened into rows
        moved = moveaxis(x, axis, -1) if axis != x.ndim - 1 else x
        lead = tuple(moved.shape[:-1])
        y = reshape(matmul(reshape(moved, (-1, n_in)), m.T), lead + (n_out,))
        return moveaxis(y, -1, axis) if axis != x.ndim - 1 else y
    out = None
    trailing = (1,) * (x.ndim - axis - 1)
    for index, weight in taps:
        if foreign:
            index = Tensor._make(asarray_like(index, data))
        part = getitem(x, _along(x.ndim, axis, index))
        if weight is not None:
            weight = weight.reshape((-1,) + trailing)
            part = multiply(part, Tensor._make(asarray_like(weight, data) if foreign else weight))
        out = part if out is None else add(out, part)
    return out


def _as_list(value, nd: int, name: str, spatial) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != nd:
            raise ValueError(
                f"interpolate: Input and {name} must have the same number of spatial dimensions, "
                f"but got input with spatial dimensions of {list(spatial)} and {name} of "
                f"{list(value)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and {name} in (o1, o2, ...,oK) format.")
        return list(value)
    return [value] * nd


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002, C901
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False):
    """PyTorch's ``F.interpolate`` over the spatial axes of (N, C, d₁ … d_k) input, k = 1, 2, 3.

    Give exactly one of ``size`` (the output's spatial size) and ``scale_factor`` (output size
    ⌊d·scale⌋; the index arithmetic uses 1/scale unless ``recompute_scale_factor``). Modes:
    'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' / 'bicubic' (4-D), 'trilinear' (5-D)
    and 'area' (adaptive average pooling); see the module docstring for the index formulas.
    ``antialias=True`` (4-D bilinear, bicubic and 'lanczos', which requires it) gives PyTorch's
    antialiased kernels; where PyTorch resamples the height of an output one pixel wide (every
    row then repeats the first window's value, PyTorch 2.13), chainrule gives the filtered
    values.
    """
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif mode in _INTERPOLATING:
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors "
                                  f"supported (got {input.ndim}D) for the modes: nearest | linear "
                                  f"| bilinear | bicubic | trilinear | area | nearest-exact (got "
                                  f"{mode})")
    nd = input.ndim - 2
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size.")
        out = [int(s) for s in _as_list(size, nd, "output size", spatial)]
        scales = [None] * nd
    else:
        factors = [float(s) for s in _as_list(scale_factor, nd, "scale_factor", spatial)]
        out = [math.floor(float(d) * s) for d, s in zip(spatial, factors)]
        recompute = recompute_scale_factor or mode == "area"
        scales = [None] * nd if recompute else factors
    if antialias and not (mode in _AA_FILTERS and input.ndim == 4):
        raise ValueError("interpolate: Anti-alias option is restricted to bilinear, bicubic, and "
                         "lanczos modes and requires a 4-D tensor as input, got mode "
                         f"{mode!r} and a {input.ndim}-D input")
    if mode == "lanczos" and (align_corners or not antialias):
        raise ValueError("interpolate: Lanczos mode does not support align_corners=True"
                         if align_corners else "interpolate: Lanczos mode requires antialias=True")
    if nd not in (1, 2, 3) or (mode in _NEEDS and input.ndim != _NEEDS[mode]):
        if mode in _NEEDS and nd in (1, 2, 3):
            raise NotImplementedError(f"interpolate: Got {input.ndim}D input, but {mode} mode "
                                      f"needs {_NEEDS[mode]}D input")
        raise NotImplementedError(f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors "
                                  f"supported (got {input.ndim}D) for the modes: nearest | linear "
                                  f"| bilinear | bicubic | trilinear | area | nearest-exact (got "
                                  f"{mode})")
    if any(o <= 0 for o in out) or any(d <= 0 for d in spatial):
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input ({_dims(spatial)}) and output ({_dims(out)})")
    if mode == "area":
        from .pool import _adaptive_avg_pool_nd
        return _adaptive_avg_pool_nd(f"adaptive_avg_pool{nd}d", nd, input, tuple(out))
    dtype = input._data.dtype if isinstance(input, Tensor) else xp.asarray(input).dtype
    if type(dtype) is not xp.dtype:
        dtype = numpy_dtype(dtype)      # the taps are built on the host, in NumPy's dtype
    if dtype.kind != "f":
        if mode not in ("nearest", "nearest-exact"):
            raise RuntimeError(f"interpolate: \"upsample_{mode}\" not implemented for integer "
                               f"dtype {dtype}")
    y = input
    for k in reversed(range(nd)):   # the last axis first, as PyTorch's kernels accumulate
        axis = 2 + k
        n_in, n_out, scale = spatial[k], out[k], scales[k]
        if n_in == n_out and mode in ("linear", "bilinear", "trilinear"):
            continue    # PyTorch's linear kernels copy an axis whose size is unchanged
        if antialias:
            if n_in == n_out:
                continue    # PyTorch's separable kernel leaves an unchanged axis alone
            taps = _aa_taps(n_in, n_out, scale, align_corners, dtype, mode)
        elif mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(n_in, n_out, scale, mode == "nearest-exact", dtype)
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, scale, align_corners, dtype)
        else:
            taps = _linear_taps(n_in, n_out, scale, align_corners, dtype)
        y = _resample_axis(y, axis, taps, n_in, dtype if dtype.kind == "f" else None)
    return _pytorch_layout(y, input) if y is not input else y


def upsample(input, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
             align_corners: bool | None = None):
    """Deprecated alias of :func:`interpolate` (PyTorch's ``F.upsample``)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------- pixel shuffle
def pixel_shuffle(input, upscale_factor: int):  # noqa: A002
    """(*, C·r², H, W) → (*, C, H·r, W·r):
    y[…, c, h·r + i, w·r + j] = x[…, c·r² + i·r + j, h, w]."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, *range(k), k, k + 3, k + 1, k + 4, k + 2)
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):  # noqa: A002
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} and input.size(-1)={w} are "
                           f"not both divisible by {r}")
    k = len(lead)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, *range(k), k, k + 2, k + 4, k + 1, k + 3)
    return reshape(x, (*lead, c * r * r, h // r, w // r))


__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle"]


def channel_shuffle(input, groups: int):  # noqa: A002
    """(N, C, *) with C = g·k → the channels regrouped, y[:, i·g + j] = x[:, j·k + i] (the
    ShuffleNet shuffle: a reshape to (N, g, k, *), a swap of g and k, and back)."""
    g = int(groups)
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    grouped = reshape(input, (n, g, c // g, *rest))
    return reshape(permute(grouped, (0, 2, 1, *range(3, grouped.ndim))), tuple(input.shape))
