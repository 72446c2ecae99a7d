r"""Spatial sampling: ``F.affine_grid`` (a grid of sampling points from affine matrices) and
``F.grid_sample`` (the input read at those points), the two halves of a spatial transformer
(Jaderberg et al. 2015, "Spatial Transformer Networks").

Coordinates are normalized: −1 and +1 are the two edges of each spatial axis. A grid point's
last entries are (x, y) for a 4-d input (x along W, y along H) and (x, y, z) for a 5-d one (z
along D). Unnormalizing follows PyTorch's ``grid_sampler_unnormalize``:

    align_corners=True:   i = (c + 1)/2 · (n − 1)      (−1, +1 are the centres of the end pixels)
    align_corners=False:  i = ((c + 1)·n − 1)/2        (−1, +1 are the outer edges of the ends)

The sampled value is a weighted sum of a few input pixels ("taps"), separable over the axes:
one tap (nearest), two per axis (bilinear) or four per axis (bicubic, Keys' kernel A = −0.75).
Both directions of the derivative are whole-array: the input's gradient is a scatter-add of the
interpolation weights times the output gradient (``bincount`` over flat indices), the grid's the
derivative of the weights, times the unnormalization scale and the padding's derivative.
"""
from __future__ import annotations

import itertools
import math
import warnings

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import xp
from ..tensor import Tensor
from .creation import evenly_spaced
from .rounding import fused_multiply_add

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_CUBIC_A = -0.75
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")
_FAR = -100.0       # the index a non-finite or huge coordinate reads: outside every input


# ---------------------------------------------------------------------------------- affine_grid
def _base_axis(n: int, align_corners: bool, dtype):
    """The normalized coordinates of the n pixel centres of one axis (PyTorch's
    ``linspace_from_neg_one``: 0 for a single pixel)."""
    if n <= 1:
        return xp.zeros(max(n, 0), dtype=dtype)
    steps = evenly_spaced(-1.0, 1.0, n, dtype)     # PyTorch's linspace, to the last bit
    if align_corners:
        return steps
    return (steps * dtype.type(n - 1) / dtype.type(n)).astype(dtype)


def _base_grid(spatial, align_corners: bool, dtype):
    """The (prod(spatial), d + 1) homogeneous base grid: columns x, y[, z], 1 with x along the
    last spatial axis, rows in C order over ``spatial``."""
    d = len(spatial)
    axes = [_base_axis(n, align_corners, dtype) for n in spatial]
    mesh = xp.meshgrid(*axes, indexing="ij")            # mesh[k] varies along spatial axis k
    columns = [mesh[d - 1 - j].reshape(-1) for j in range(d)]
    columns.append(xp.ones(math.prod(spatial), dtype=dtype))
    return xp.stack(columns, axis=1)


@primitive
class AffineGrid(Function):
    """The sampling grid of a batch of affine maps (PyTorch's ``F.affine_grid``).

    Forward:     G[n, p] = θ_n · (x_p, y_p[, z_p], 1)ᵀ,  (x_p, y_p, z_p) the normalized
                 coordinates of the output pixel p (PyTorch's base grid)
    Derivative:  ∂G[n, p, i]/∂θ_n[i, j] = b_p[j]   (linear in θ)
    VJP:         ∂L/∂θ_n = Σ_p g[n, p]ᵀ b_p = g_nᵀ B   (B the (P, d+1) base grid)
    Numerics:    the base grid is linspace(−1, 1, n) (align_corners=True) or the same times
                 (n − 1), then divided by n (False: pixel centres), with PyTorch's rounding
                 (its linspace counts the second half back from +1, in fused multiply-adds);
                 a single pixel sits at 0. The product is one batched matmul, as PyTorch's
                 ``base.bmm(θᵀ)``.
    """

    name = "affine_grid"
    array_api = True
    text = ("G[n, p] = θ_n · (x_p, y_p, 1)ᵀ", "∂L/∂θ_n = Σ_p g[n, p]ᵀ (x_p, y_p, 1)")
    latex = (r"G_{n,p} = \theta_n\, (x_p, y_p, 1)^{\top}",
             r"\frac{\partial L}{\partial \theta_n} = \sum_p g_{n,p}^{\top} b_p^{\top}")
    explanation = ("Each grid point is an affine function of θ, so the gradient of θ pairs each "
                   "point's upstream gradient with that point's homogeneous base coordinates.")

    @staticmethod
    def reference(theta, size, align_corners=False):
        base = _base_grid(tuple(size[2:]), align_corners, theta.dtype)
        out = xp.einsum("pj,nij->npi", base, theta)
        return out.reshape((theta.shape[0],) + tuple(size[2:]) + (theta.shape[1],))

    @staticmethod
    def forward(ctx, theta, size, align_corners=False):
        spatial = tuple(size[2:])
        ns = B.namespace(theta)
        # the base grid is built on the host (PyTorch's rounding), then met in theta's library
        base = B.asarray_like(_base_grid(spatial, align_corners, B.numpy_dtype(theta.dtype)),
                              theta)                                     # (P, d + 1)
        ctx.base = base
        ctx.theta_shape = theta.shape
        out = ns.matmul(base, ns.permute_dims(theta, (0, 2, 1)) if ns is not xp
                        else xp.swapaxes(theta, 1, 2))                 # (N, P, d)
        return B.reshape(out, (theta.shape[0],) + spatial + (theta.shape[1],))

    @staticmethod
    def vjp(ctx, g):
        n, d, _ = ctx.theta_shape
        base = ctx.base
        g2 = B.reshape(g, (n, -1, d))                                   # (N, P, d)
        if isinstance(g, Tensor):
            return g2.swapaxes(1, 2) @ Tensor._from_op(base, None)
        ns = B.namespace(g)
        moved = ns.permute_dims(g2, (0, 2, 1)) if ns is not xp else xp.swapaxes(g2, 1, 2)
        return ns.matmul(moved, base)                                   # (N, d, d + 1)


def affine_grid(theta, size, align_corners: bool | None = None):
    """A (N, H, W, 2) or (N, D, H, W, 3) grid of the points θ_n maps each output pixel to
    (PyTorch's ``F.affine_grid``); ``size`` is the output's (N, C, H, W) or (N, C, D, H, W).

    ``align_corners=None`` means False, with PyTorch's warning."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): theta must be a Tensor, got {type(theta).__name__}")
    if B.dtype_kind(theta.dtype) != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    shape = tuple(theta.shape)
    if len(size) == 4:
        if len(shape) != 3 or shape[-2:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{list(size)}. Got {shape}.")
    elif len(size) == 5:
        if len(shape) != 3 or shape[-2:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{list(size)}. Got {shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {list(size)}.")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", UserWarning,
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    if size[0] != shape[0]:
        raise RuntimeError(f"affine_grid(): the batch size {size[0]} of size {list(size)} does "
                           f"not match theta's batch of {shape[0]} matrices")
    return AffineGrid.apply(theta, size=size, align_corners=bool(align_corners))


# ---------------------------------------------------------------------------------- grid_sample
def _unnormalize(c, n: int, align_corners: bool, volumetric: bool):
    """The pixel coordinate of the normalized coordinate c, and d(pixel)/dc. The rounding is
    PyTorch's: its 4-d kernel (vectorised, compiled with FMA) computes (c + 1)·n/2 − ½ in one
    fused multiply-add, its 5-d kernel ((c + 1)·n − 1)/2 in two steps; a grid that maps exactly
    onto pixel centres (an identity affine_grid) then lands on the same side of each pixel."""
    one = c.dtype.type(1)
    if align_corners:
        scale = c.dtype.type((n - 1) / 2)
        return (c + one) / c.dtype.type(2) * c.dtype.type(n - 1), scale
    if volumetric:
        return ((c + one) * c.dtype.type(n) - one) / c.dtype.type(2), c.dtype.type(n / 2)
    return (fused_multiply_add(c + one, n / 2, -0.5, c.dtype).astype(c.dtype),
            c.dtype.type(n / 2))


def _clip(i, n: int):
    """Border clipping to [0, n − 1] and its derivative: 1 strictly inside, 0 on and beyond
    the border (PyTorch counts the border as outside). NaN stays NaN."""
    top = i.dtype.type(n - 1)
    inside = (i > 0) & (i < top)
    return xp.where(i < 0, 0, xp.where(i > top, top, i)).astype(i.dtype), inside


def _reflect(i, n: int, align_corners: bool):
    """Reflection of a pixel coordinate at the borders (at the centres of the end pixels for
    align_corners=True, at their outer edges for False), and its derivative ±1. As PyTorch's
    vectorised kernel: |i − low| folded into one period of length 2·span by subtracting whole
    periods, then mirrored if past the middle."""
    dtype = i.dtype.type
    low, span = (dtype(0), dtype(n - 1)) if align_corners else (dtype(-0.5), dtype(n))
    if span == 0:
        return xp.zeros_like(i), xp.zeros_like(i)
    twice = dtype(2) * span
    shifted = i - low
    sign = xp.where(shifted < 0, dtype(-1), dtype(1))
    a = xp.abs(shifted)
    with xp.errstate(invalid="ignore"):
        extra = a - xp.trunc(a / twice) * twice
    flipped = twice - extra
    flip = extra > flipped
    return (xp.where(flip, flipped, extra) + low).astype(i.dtype), xp.where(flip, -sign, sign)


def _pad(i, n: int, padding: str, align_corners: bool):
    """The padded pixel coordinate and its derivative (a float array, 1 for 'zeros')."""
    if padding == "zeros":
        return i, xp.ones_like(i)
    if padding == "border":
        out, inside = _clip(i, n)
        return out, inside.astype(i.dtype)
    out, sign = _reflect(i, n, align_corners)
    out, inside = _clip(out, n)
    return out, sign * inside.astype(i.dtype)


def _safe_index(i, nan_at: float = _FAR):
    """Integer positions of the (integer-valued) float coordinates i: non-finite or huge ones
    become −100, outside every input (PyTorch's ``safe_downgrade_to_int_range``), or, NaN ones,
    ``nan_at``."""
    ok = xp.isfinite(i) & (xp.abs(i) < 2.0 ** 31 - 1)
    return xp.where(ok, i, xp.where(xp.isnan(i), nan_at, _FAR)).astype(xp.int64)


def _cubic_weights(t):
    """Keys' cubic convolution weights (A = −0.75) of the four taps ⌊i⌋ − 1 … ⌊i⌋ + 2 at the
    fraction t = i − ⌊i⌋, and their derivatives in t."""
    A = t.dtype.type(_CUBIC_A)
    one = t.dtype.type(1)

    def near(x):        # |x| ≤ 1
        return ((A + 2) * x - (A + 3)) * x * x + one

    def far(x):         # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    def d_near(x):
        return (3 * (A + 2) * x - 2 * (A + 3)) * x

    def d_far(x):
        return (3 * A * x - 10 * A) * x + 8 * A

    weights = [far(t + one), near(t), near(one - t), far(2 * one - t)]
    slopes = [d_far(t + one), d_near(t), -d_near(one - t), -d_far(2 * one - t)]
    return weights, slopes


def _axis_taps(c, n: int, mode: str, padding: str, align_corners: bool, volumetric: bool,
               forward: bool = False):
    """The taps of one spatial axis: a list of (index, in-bounds mask, weight, d weight / d c)
    for the normalized coordinates c (any shape); and (c, the fraction t, dt/dc, the kind of
    weights), from which the create_graph backward rebuilds the weights as functions of c."""
    i, scale = _unnormalize(c, n, align_corners, volumetric)
    if mode == "bicubic":       # padding applies to each tap's integer position, not to i
        with xp.errstate(invalid="ignore"):
            base = xp.floor(i)
            t = i - base
        weights, slopes = _cubic_weights(t)
        taps = []
        for k in range(4):
            position, _ = _pad(base + (k - 1), n, padding, align_corners)
            # a NaN tap under 'border'/'reflection' reads (and takes gradient at) index 0, as
            # PyTorch's CPU kernel does
            index = _safe_index(position, _FAR if padding == "zeros" else 0.0)
            taps.append((index, (index >= 0) & (index < n), weights[k], slopes[k] * scale))
        return taps, (c, t, scale, "cubic")
    i, d_pad = _pad(i, n, padding, align_corners)
    d_i = d_pad * scale
    if volumetric:
        # PyTorch's 5-d kernel moves a non-finite or huge padded coordinate to −100 before
        # weighing (its 4-d kernel weighs the coordinate as it is: NaN weights); except that
        # its forward clips a NaN to the last pixel (std::min(n − 1, NaN) is n − 1) under
        # 'border'/'reflection', while its backward takes it to −100 (no gradient)
        if forward and padding != "zeros":
            i = xp.where(xp.isnan(i), i.dtype.type(n - 1), i)
        i = xp.where(xp.isfinite(i) & (xp.abs(i) < 2.0 ** 31 - 1), i, i.dtype.type(_FAR))
    if mode == "nearest":
        # round half to even, as nearbyint; a NaN position under 'border'/'reflection' reads
        # index 0, as PyTorch's 4-d kernel
        index = _safe_index(xp.rint(i), _FAR if padding == "zeros" else 0.0)
        return ([(index, (index >= 0) & (index < n), xp.ones_like(i), xp.zeros_like(i))],
                (c, None, None, "one"))
    with xp.errstate(invalid="ignore"):
        base = xp.floor(i)
        t = i - base
    index = _safe_index(base)
    one = i.dtype.type(1)
    return [(index, (index >= 0) & (index < n), one - t, -d_i),
            (index + 1, (index + 1 >= 0) & (index + 1 < n), t, d_i)], (c, t, d_i, "linear")


def _taps(grid, spatial, mode: str, padding: str, align_corners: bool, forward: bool = False):
    """Every tap of the sampler: (flat index into the spatial axes, mask, weight, per-axis
    weights, per-axis d weight / d coordinate, per-axis tap numbers), for the grid flattened to
    (N, M, d); and per axis (coordinate, fraction t, dt/dcoordinate, kind of weights)."""
    d = len(spatial)
    per_axis, axes = zip(*[_axis_taps(grid[..., d - 1 - k], spatial[k], mode, padding,
                                      align_corners, d == 3, forward) for k in range(d)])
    strides = [math.prod(spatial[k + 1:]) for k in range(d)]
    out = []
    for which, combo in zip(itertools.product(*[range(len(a)) for a in per_axis]),
                            itertools.product(*per_axis)):
        mask = combo[0][1]
        flat = combo[0][0] * strides[0]
        weight = combo[0][2]
        for k in range(1, d):
            mask = mask & combo[k][1]
            flat = flat + combo[k][0] * strides[k]
            weight = weight * combo[k][2]
        out.append((xp.where(mask, flat, 0), mask, weight, [t[2] for t in combo],
                    [t[3] for t in combo], which))
    return out, axes


def _gather(x3, flat, mask):
    """x3[n, :, flat[n, m]] as (N, C, M), 0 where the tap is outside the input."""
    values = xp.take_along_axis(x3, flat[:, None, :], axis=2)
    return xp.where(mask[:, None, :], values, x3.dtype.type(0))


def _sample(x, grid, mode: str, padding: str, align_corners: bool):
    """The forward on arrays: (output, taps, per-axis parameters) (see :func:`_taps`)."""
    n, c = x.shape[:2]
    spatial = tuple(x.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    g3 = grid.reshape(n, math.prod(out_spatial), grid.shape[-1])     # explicit: sizes may be 0
    x3 = x.reshape(n, c, math.prod(spatial))
    taps, axes = _taps(g3, spatial, mode, padding, align_corners)
    reading = taps
    if len(spatial) == 3 and padding != "zeros" and not xp.isfinite(g3).all():
        reading = _taps(g3, spatial, mode, padding, align_corners, forward=True)[0]
    out = xp.zeros((n, c, g3.shape[1]), dtype=x.dtype)
    for flat, mask, weight, *_ in reading:
        out += weight[:, None, :] * _gather(x3, flat, mask)
    return out.reshape((n, c) + out_spatial), taps, axes


@primitive
class GridSample(Function):
    """The input read at the grid's points (PyTorch's ``F.grid_sample``).

    Forward:     y[n, c, p] = Σ_t w_t(G[n, p]) · x[n, c, i_t(G[n, p])]   over the taps t (1 for
                 nearest, 2 per axis for bilinear, 4 per axis for bicubic), w_t = Π_k w_{t,k}
                 the product of per-axis weights; taps outside the input read 0 ('zeros'
                 padding; 'border' clips the coordinate, 'reflection' mirrors it)
    Derivative:  ∂y/∂x[n, c, i] = Σ_{t: i_t = i} w_t;   ∂y/∂G_k = Σ_t x[i_t] · ∂w_t/∂u_k ·
                 ∂u_k/∂G_k  with u_k the padded pixel coordinate of axis k
    VJP:         ∂L/∂x = scatter-add of g · w_t at i_t;
                 ∂L/∂G[n, p, k] = Σ_t Σ_c g[n, c, p] x[n, c, i_t] (∂w_{t,k}/∂u_k) Π_{j≠k} w_{t,j}
                 · s_k · π_k, s_k = (n_k − 1)/2 (align_corners) or n_k/2, π_k the padding's
                 derivative (1 zeros, 0 or 1 border, 0 or ±1 reflection; for bicubic the
                 padding moves the taps and π_k = 1); nearest: ∂L/∂G = 0
    Numerics:    bilinear weights 1 − t, t with t = u − ⌊u⌋; bicubic is Keys' kernel with
                 A = −0.75; nearest rounds half to even. The input gradient is one ``bincount``
                 over all taps. With create_graph=True the same sums are built from chainrule
                 operations (gather, scatter_add, arithmetic on the grid), so higher derivatives
                 follow. Special values as PyTorch's CPU kernels: a NaN or infinite
                 coordinate with 'zeros' padding makes NaN bilinear/bicubic weights (a NaN
                 output, no input gradient) and reads nothing for nearest (0); a huge finite
                 one reads 0.
    Kinks:       on the border (u = 0 or n − 1 exactly) 'border' and 'reflection' give the grid
                 zero gradient, as PyTorch (the border counts as outside); at integer u the
                 bilinear slope is that of the cell to the right (⌊u⌋ = u).
    """

    name = "grid_sample"
    array_api = True
    text = ("y[n, c, p] = Σ_t w_t(G[n, p]) · x[n, c, i_t(G[n, p])]",
            "∂L/∂x = scatter-add of g·w_t at i_t,  ∂L/∂G_k = Σ_t Σ_c g x[i_t] ∂w_t/∂u_k · s_k π_k")
    latex = (r"y_{ncp} = \sum_t w_t(G_{np})\, x_{nc\,i_t(G_{np})}",
             r"\frac{\partial L}{\partial x_{nci}} = \sum_{p,\,t:\,i_t = i} g_{ncp}\, w_t,\quad "
             r"\frac{\partial L}{\partial G_{npk}} = \sum_{t,c} g_{ncp}\, x_{nc\,i_t}\, "
             r"\frac{\partial w_t}{\partial u_k}\, s_k\, \pi_k")
    explanation = ("A sample is a weighted average of the nearby pixels, so the input's gradient "
                   "spreads each output gradient back with the same weights, and the grid's "
                   "gradient is how the average changes as the point moves.")

    @staticmethod
    def reference(input, grid, mode="bilinear", padding_mode="zeros",  # noqa: A002
                  align_corners=False):
        return _sample(input, grid, mode, padding_mode, align_corners)[0]

    @staticmethod
    def forward(ctx, input, grid, mode="bilinear", padding_mode="zeros",  # noqa: A002
                align_corners=False):
        # another array library (no gathers by computed index, no bincount in the standard):
        # the sampling runs on the host and its results move back, as backend's host functions
        ctx.like = input if B.is_foreign_array(input) else None
        if ctx.like is not None:
            input, grid = B.to_numpy(input), B.to_numpy(grid)
        out, taps, axes = _sample(input, grid, mode, padding_mode, align_corners)
        ctx.save(input)
        ctx.taps = taps
        ctx.axes = axes
        ctx.mode = mode
        ctx.grid_shape = grid.shape
        return out if ctx.like is None else B.asarray_like(out, ctx.like)

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            if ctx.like is not None:
                raise NotImplementedError("grid_sample: second derivatives (create_graph=True) "
                                          "are computed on NumPy arrays only")
            return _differentiable_vjp(ctx, g)
        if ctx.like is not None:
            gx, ggrid = _array_vjp(ctx, B.to_numpy(g))
            return tuple(None if v is None else B.asarray_like(v, ctx.like) for v in (gx, ggrid))
        return _array_vjp(ctx, g)

    @classmethod
    def explain_error(cls, exc, arrays, params):
        shapes = [tuple(getattr(a, "shape", ())) for a in arrays[:2]]
        return type(exc)(f"grid_sample: {exc} (input of shape {shapes[0]}, grid of shape "
                         f"{shapes[1] if len(shapes) > 1 else '?'}, {params})")


def _array_vjp(ctx, g):
    """GridSample's VJP on NumPy arrays: the input's gradient by one bincount over every tap,
    the grid's from the weights' slopes."""
    (x,) = ctx.saved
    need_x, need_grid = ctx.needs_input_grad[:2]
    n, c = x.shape[:2]
    p = math.prod(x.shape[2:])
    m = math.prod(ctx.grid_shape[1:-1])
    g3 = g.reshape(n, c, m)
    gx = ggrid = None
    taps = ctx.taps
    if need_x:
        # one bincount over (tap, n, c, m): key (n·C + c)·P + flat index
        rows = (xp.arange(n)[:, None, None] * c + xp.arange(c)[None, :, None]) * p
        keys = xp.stack([(rows + flat[:, None, :]).reshape(-1) for flat, *_ in taps])
        parts = xp.stack([xp.where(mask[:, None, :], g3 * w[:, None, :], 0).reshape(-1)
                          for _, mask, w, *_ in taps])
        gx = xp.bincount(keys.reshape(-1), weights=parts.reshape(-1), minlength=n * c * p)
        gx = gx.astype(x.dtype).reshape(x.shape)
    if need_grid:
        d = ctx.grid_shape[-1]
        ggrid = xp.zeros((n, m, d), dtype=g.dtype)
        if ctx.mode != "nearest":
            x3 = x.reshape(n, c, p)
            for flat, mask, _, weights, slopes, _ in taps:
                gv = (g3 * _gather(x3, flat, mask)).sum(axis=1)              # (N, M)
                for k in range(d):
                    term = gv * slopes[k]
                    for j in range(d):
                        if j != k:
                            term = term * weights[j]
                    ggrid[..., d - 1 - k] += term
        ggrid = ggrid.reshape(ctx.grid_shape)
    return gx, ggrid


def _axis_weights(t, kind: str):
    """The per-tap weights of one axis as functions of the fraction t, and their derivatives
    in t (arrays or Tensors)."""
    if kind == "linear":
        return [1 - t, t], [-1.0, 1.0]
    return _cubic_weights(t)


def _differentiable_vjp(ctx, g):
    """The VJP written with chainrule operations (create_graph=True), so that it can be
    differentiated again: the same sums as the array rule, with each axis' fraction t rebuilt
    as a function of the grid Tensor, t = t₀ + (dt/dc)·(c − c₀) (t is affine in c within a
    cell), the gather a ``getitem`` and the scatter-add the ``scatter_add`` primitive."""
    from .movement import ScatterAdd, getitem, stack

    (x,) = ctx.saved
    grid = ctx.inputs[1]
    need_x, need_grid = ctx.needs_input_grad[:2]
    n, c = x.shape[:2]
    p = math.prod(x.shape[2:])
    m = math.prod(ctx.grid_shape[1:-1])
    g3 = g.reshape(n, c, m)
    d = ctx.grid_shape[-1]
    grid3 = grid.reshape(n, m, d) if isinstance(grid, Tensor) else None
    weights, slopes = [], []
    for k, (c0, t0, rate, kind) in enumerate(ctx.axes):
        if kind == "one":
            weights.append([1.0])
            slopes.append([0.0])
            continue
        t = t0 if grid3 is None else t0 + rate * (grid3[..., d - 1 - k] - c0)
        w, dw = _axis_weights(t, kind)
        weights.append(w)
        slopes.append([s * rate for s in dw])
    rows = (xp.arange(n)[:, None, None] * c + xp.arange(c)[None, :, None]) * p
    x_flat = x.reshape(-1)
    gx = None
    parts = [None] * d
    for flat, mask, _, _, _, which in ctx.taps:
        keys = rows + flat[:, None, :]                                  # (N, C, M)
        if need_x:
            w = 1.0
            for k in range(d):
                w = w * weights[k][which[k]]
            share = g3 * (w * mask)[:, None, :] if not isinstance(w, float) else \
                g3 * mask[:, None, :].astype(g3.dtype)
            term = ScatterAdd.apply(share, shape=(n * c * p,), index=keys)
            gx = term if gx is None else gx + term
        if need_grid and ctx.mode != "nearest":
            values = getitem(x_flat, keys) * mask[:, None, :].astype(x.dtype)
            gv = (g3 * values).sum(axis=1)                              # (N, M)
            for k in range(d):
                term = gv * slopes[k][which[k]]
                for j in range(d):
                    if j != k:
                        term = term * weights[j][which[j]]
                parts[d - 1 - k] = term if parts[d - 1 - k] is None else parts[d - 1 - k] + term
    if gx is not None:
        gx = gx.reshape(x.shape)
    ggrid = None
    if need_grid:
        if ctx.mode == "nearest":
            ggrid = Tensor._from_op(xp.zeros(ctx.grid_shape, dtype=g.dtype), None)
        else:
            ggrid = stack(parts, -1).reshape(ctx.grid_shape)
    return gx, ggrid


@autocast_op("grid_sampler")
def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",  # noqa: A002
                align_corners: bool | None = None):
    """The input (N, C, H, W) or (N, C, D, H, W) read at the grid's normalized points (N, Ho,
    Wo, 2) or (N, Do, Ho, Wo, 3) (PyTorch's ``F.grid_sample``); output (N, C, Ho, Wo) or
    (N, C, Do, Ho, Wo). ``mode``: 'bilinear', 'nearest' or 'bicubic' (4-d only);
    ``padding_mode``: 'zeros', 'border' or 'reflection'. ``align_corners=None`` means False,
    with PyTorch's warning."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    xs, gs = tuple(input.shape), tuple(grid.shape)
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same dtype, "
                           f"but input has {input.dtype} and grid has {grid.dtype}")
    if B.dtype_kind(input.dtype) != "f":
        raise RuntimeError(f"grid_sampler(): expected a floating point input, got {input.dtype}")
    if len(xs) not in (4, 5):
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(xs)} and grid with "
                           f"sizes {list(gs)}")
    if len(gs) != len(xs):
        raise RuntimeError(f"grid_sampler(): expected grid to have the same number of dimensions "
                           f"as input ({len(xs)}), but got grid with sizes {list(gs)}")
    if gs[0] != xs[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(xs)} and grid with sizes {list(gs)}")
    if gs[-1] != len(xs) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(xs) - 2} in last "
                           f"dimension, but got grid with sizes {list(gs)}")
    if any(s == 0 for s in xs[2:]):
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                           f"dimensions, but input has sizes {list(xs)}")
    if mode == "bicubic" and len(xs) != 4:
        raise RuntimeError(f"grid_sampler(): bicubic interpolation only supports 4D input, got "
                           f"input with sizes {list(xs)}")
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))
