"""Vector and matrix norms (``torch.norm``, ``torch.linalg.vector_norm/matrix_norm/norm``).

The p-norm ‖x‖_p = (Σ|xᵢ|^p)^{1/p} is one fused primitive, because its gradient at x = 0 is 0/0
as a composite (sqrt of a sum of squares), while PyTorch defines it as 0. The ∞-norms are the
same primitive (the largest or smallest |x|; ties share the gradient, and a NaN entry takes it
with slope 0, as PyTorch), the 0-"norm" counts nonzero entries (no gradient), and the matrix
norms are composites of vector norms, sums and extrema.
"""
from __future__ import annotations

import builtins
import math

from .. import backend as B
from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, namespace, xp
from ..tensor import Tensor, tensor_method
from . import elementwise as _ew
from . import reduce as _reduce
from .selection import _wrap


def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    return tuple(_wrap(d, ndim, "vector_norm") for d in dims)


def _pnorm(x, p, axes, keepdims):
    ns = array_namespace(x)
    a = ns.abs(x)
    if math.isinf(p):
        return (ns.max if p > 0 else ns.min)(a, axis=axes, keepdims=keepdims)
    if p == 2:
        return ns.sqrt(ns.sum(a * a, axis=axes, keepdims=keepdims))
    if p == 1:
        return ns.sum(a, axis=axes, keepdims=keepdims)
    return ns.sum(a ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)


@primitive
class VectorNorm(Function):
    r"""The p-norm over axes, p non-zero (±∞: the largest or the smallest |xᵢ|).

    Forward:     y = (Σᵢ |xᵢ|^p)^{1/p};   p = ∞: y = maxᵢ |xᵢ|,   p = −∞: y = minᵢ |xᵢ|
    Derivative:  ∂y/∂xᵢ = sign(xᵢ) · |xᵢ|^{p−1} / y^{p−1}   (p = 2: xᵢ / y)
                 p = ±∞: sign(xᵢ)·mᵢ / Σⱼ mⱼ,  mᵢ = 1[|xᵢ| = y]   (ties share the slope)
    VJP:         ∂L/∂xᵢ = g · sign(xᵢ) |xᵢ|^{p−1} / y^{p−1}, and 0 where y = 0;
                 p = ±∞: g · sgn(xᵢ)·mᵢ / Σⱼ mⱼ with mᵢ = 1[|xᵢ| = y or xᵢ is NaN]
    Numerics:    p = 2 as sqrt(Σ x²), p = 1 as Σ|x|. At y = 0 (every xᵢ = 0) the gradient is
                 defined as 0, PyTorch's convention (the subgradient of least norm). As PyTorch's
                 norm_backward: p = 1 gives g·sgn(xᵢ) (±g at xᵢ = ±∞, 0 at NaN); p < 1 gives
                 g·sgn(xᵢ)|xᵢ|^{p−1}·y^{1−p} with the infinite |0|^{p−1} taken as 0. For p = ±∞,
                 as PyTorch's linalg_vector_norm: a NaN entry counts as an extremum and gets
                 sgn(NaN) = 0, so a slice holding NaN has gradient 0, not NaN.
    """

    name = "vector_norm"
    array_api = True
    text = ("y = (Σᵢ |xᵢ|^p)^(1/p)   (p = ±∞: max or min of |xᵢ|)",
            "∂y/∂xᵢ = sign(xᵢ)·|xᵢ|^(p−1) / y^(p−1)  (0 at y = 0; p = ±∞: sign(xᵢ)·1[|xᵢ| = y] / "
            "#ties)")
    latex = (r"y = \Big(\sum_i |x_i|^p\Big)^{1/p}\quad"
             r"(p = \pm\infty:\ y = \max_i |x_i| \text{ or } \min_i |x_i|)",
             r"\frac{\partial y}{\partial x_i} = \frac{\operatorname{sign}(x_i)\,|x_i|^{p-1}}"
             r"{y^{p-1}}\quad(p = \pm\infty:\ \frac{\operatorname{sign}(x_i)\,"
             r"\mathbb{1}[|x_i| = y]}{\#\{j : |x_j| = y\}})")
    explanation = ("Each entry pulls the norm in the direction of its sign, weighted by its share "
                   "of the norm; at the origin the gradient is taken as zero.")
    reference = staticmethod(lambda x, p=2.0, axes=None, keepdims=False: _pnorm(
        x, p, tuple(range(x.ndim)) if axes is None else axes, keepdims))

    @staticmethod
    def forward(ctx, x, p=2.0, axes=None, keepdims=False):
        axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
        y = _pnorm(x, p, axes, keepdims)
        ctx.p, ctx.axes = p, axes
        ctx.kept = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(g)
        p = ctx.p
        yk = B.reshape(y, ctx.kept)
        gk = B.reshape(g, ctx.kept)
        if math.isinf(p):
            a = ns.abs(x)
            nan = ns.isnan(a)
            hits = B.astype((a == yk) | nan, x.dtype)
            return B.sgn(x) * (gk / B.total(hits, axis=ctx.axes, keepdims=True)) * hits
        if p == 1:
            return B.sgn(x) * gk
        zero = yk == 0
        safe = ns.where(zero, 1.0, yk)
        with B.errstate(ns, divide="ignore", invalid="ignore"):
            if p == 2:
                return gk * ns.where(zero, 0.0, x / safe)
            if p < 1:       # |xᵢ|^{p−1} is infinite at xᵢ = 0: PyTorch takes the slope 0 there
                a = ns.abs(x)
                own = ns.where(x == 0, 0.0, a ** (p - 1))
                return B.sgn(x) * own * gk * yk ** (1 - p)
            scale = ns.where(zero, 0.0, gk / safe ** (p - 1))
            if p < 2:
                return B.sgn(x) * ns.abs(x) ** (p - 1) * scale
            return x * ns.abs(x) ** (p - 2) * scale


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """‖x‖_ord over ``dim`` (all entries when None): ord a number, inf or −inf."""
    if dtype is not None:
        x = x.astype(dtype)
    if dtype_kind(x.dtype) not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype}")
    axes = _axes(dim, x.ndim)
    if x.ndim == 0:
        axes = ()
    if ord in (math.inf, -math.inf):
        if builtins.any(x.shape[a] == 0 for a in axes):
            raise RuntimeError("linalg.vector_norm: cannot compute the inf norm of an empty "
                               "tensor because the operation does not have an identity")
        if x.numel() == 0:      # reduced dims are non-empty, so the result is empty
            return _reduce.sum(_ew.abs(x), axes, keepdim)
    if ord == 0:
        # the count of nonzero entries: piecewise constant, so its gradient is 0 — but, as in
        # PyTorch, the result is part of the graph (a where that passes x nothing); a complex x
        # counts the nonzero |xᵢ|, a real result (PyTorch's)
        if dtype_kind(x.dtype) == "c":
            x = _ew.abs(x)
        data = x._data
        if type(data) is not xp.ndarray and B.is_foreign_array(data):
            ns = namespace(data)
            count = ns.sum(B.astype(data != 0, data.dtype), axis=axes, keepdims=keepdim)
            never = ns.zeros(x.shape, dtype=ns.bool, device=data.device)
            return _reduce.sum(_ew.where(never, x, 0.0), axes, keepdim) + \
                Tensor._from_op(count, None)
        count = xp.sum(x._data != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
        zero = _reduce.sum(_ew.where(xp.zeros(x.shape, dtype=bool), x, 0.0), axes, keepdim)
        return zero + Tensor._from_op(xp.asarray(count), None)
    return VectorNorm.apply(x, p=float(ord), axes=axes, keepdims=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):  # noqa: N803
    """Matrix norms over the two dims ``dim``: 'fro', 1, −1, inf, −inf, and from the singular
    values σ: 'nuc' (Σσ), 2 (max σ), −2 (min σ), as PyTorch computes them (svdvals, then a sum,
    amax or amin: the gradient flows through the singular values)."""
    if dtype is not None:
        A = A.astype(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got {A.ndim}")
    r, c = (_wrap(d, A.ndim, "matrix_norm") for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (r, c), keepdim)
    if ord in ("nuc", 2, -2):
        return _spectral_norm(A, ord, r, c, keepdim)
    if ord in (1, -1):
        inner, outer = r, c
    elif ord in (math.inf, -math.inf):
        inner, outer = c, r
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    sums = _reduce.sum(_ew.abs(A), inner, True)
    fn = _reduce.amax if ord > 0 else _reduce.amin
    out = fn(sums, outer, True)
    if not keepdim:
        out = out.squeeze((r, c))
    return out


def _spectral_norm(A, ord, r: int, c: int, keepdim: bool):  # noqa: N803
    from .linalg_svd import svdvals
    from .movement import permute, reshape

    others = [a for a in range(A.ndim) if a not in (r, c)]
    s = svdvals(permute(A, (*others, r, c)))
    if ord == "nuc":
        out = _reduce.sum(s, -1)
    else:
        out = (_reduce.amax if ord == 2 else _reduce.amin)(s, -1)
    if keepdim:
        out = reshape(out, tuple(1 if a in (r, c) else n for a, n in enumerate(A.shape)))
    return out


def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: N803
    """``torch.linalg.norm``: a vector norm for an int dim (or a 1-d input), a matrix norm for
    two dims (or a 2-d input with an ord); the 2-norm of all entries when ord and dim are None."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


@tensor_method
def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):  # noqa: A002
    """``torch.norm``: p = 'fro' (2-norm over dim, or all), a number (vector norm over dim, or of
    all entries), or 'nuc'."""
    if p == "fro":
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError("norm(): 'fro' norm takes at most two dims")
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unknown p {p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
