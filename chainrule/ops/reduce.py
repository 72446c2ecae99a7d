"""Reductions: sum, mean, var, std, max, min, prod, logsumexp.

Each reduces over ``axis`` (an int, a tuple, or None for all axes), keeping the reduced axes as size
1 when ``keepdims``. The backward of a reduction spreads g back over the reduced axes; the helper
:func:`_kept` first restores those axes so that g broadcasts against the input.
"""
from __future__ import annotations

import builtins

from ..autograd.function import Function, primitive
from ..backend import namespace, xp
from ..tensor import Tensor


def _normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                             f"(valid: {-ndim}…{ndim - 1})")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return tuple(sorted(out))


def _setup(ctx, x, axis, op: str):
    """Record the input shape and the shape with reduced axes kept as 1; return (axes, count)."""
    axes = _normalize_axes(axis, x.ndim, op)
    ctx.shape = x.shape
    ctx.kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    count = 1
    for a in axes:
        count *= x.shape[a]
    ctx.axes = axes
    return axes, count


def _numpy_reduction(fn):
    """NumPy's reduction ``fn`` with chainrule's signature: the reference the tests compare to."""

    def reference(x, axis=None, keepdims=False):
        return fn(x, axis=axis, keepdims=keepdims)

    return reference


def _kept(ctx, value):
    """``value`` (reduced, with or without kept axes) reshaped to broadcast against the input."""
    return value.reshape(ctx.kept)


@primitive
class Sum(Function):
    """Sum over axes.

    Forward:     y = Σᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1
    VJP:         ∂L/∂xᵢ = g      (g copied to every summed position)
    Numerics:    pairwise summation (NumPy).
    """

    name = "sum"
    text = ("y = Σᵢ xᵢ", "∂y/∂xᵢ = 1")
    latex = (r"y = \sum_i x_i", r"\frac{\partial y}{\partial x_i} = 1")
    explanation = "Every summand contributes equally, so each receives the whole gradient."
    reference = staticmethod(_numpy_reduction(xp.sum))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, "sum")
        return xp.sum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def vjp(ctx, g):
        return namespace(g).broadcast_to(_kept(ctx, g), ctx.shape)


@primitive
class Mean(Function):
    """Mean over axes.

    Forward:     y = (1/N) Σᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1/N
    VJP:         ∂L/∂xᵢ = g / N
    Numerics:    pairwise summation, then division by N.
    """

    name = "mean"
    text = ("y = (1/N) Σᵢ xᵢ", "∂y/∂xᵢ = 1/N")
    latex = (r"y = \frac{1}{N}\sum_i x_i", r"\frac{\partial y}{\partial x_i} = \frac{1}{N}")
    explanation = "The mean shares the gradient equally among its N inputs."
    reference = staticmethod(_numpy_reduction(xp.mean))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, ctx.count = _setup(ctx, x, axis, "mean")
        return xp.mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def vjp(ctx, g):
        return namespace(g).broadcast_to(_kept(ctx, g) * (1.0 / ctx.count), ctx.shape)


def _correction(correction, unbiased, ddof) -> float:
    if ddof is not None:
        return ddof
    if unbiased is not None:
        return 1 if unbiased else 0
    return correction


@primitive
class Var(Function):
    """Variance over axes, with Bessel's correction c (PyTorch's default c = 1).

    Forward:     y = Σᵢ (xᵢ − x̄)² / (N − c)
    Derivative:  ∂y/∂xᵢ = 2(xᵢ − x̄) / (N − c)
    VJP:         ∂L/∂xᵢ = g · 2(xᵢ − x̄) / (N − c)
    Numerics:    two-pass (mean first), as NumPy.
    """

    name = "var"
    text = ("y = Σᵢ (xᵢ − x̄)² / (N − c)", "∂y/∂xᵢ = 2(xᵢ − x̄)/(N − c)")
    latex = (r"y = \frac{1}{N-c}\sum_i (x_i - \bar{x})^2",
             r"\frac{\partial y}{\partial x_i} = \frac{2(x_i - \bar{x})}{N-c}")
    explanation = ("The terms through x̄ cancel (Σ(xᵢ − x̄) = 0), leaving each deviation's own "
                   "slope.")
    reference = staticmethod(lambda x, axis=None, keepdims=False, correction=1: xp.var(
        x, axis=axis, keepdims=keepdims, ddof=correction))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, correction=1):
        axes, count = _setup(ctx, x, axis, "var")
        ctx.denominator = count - correction
        ctx.save(x)
        return xp.var(x, axis=axes, keepdims=keepdims, ddof=correction)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        centred = x - x.mean(axis=ctx.axes, keepdims=True)
        return _kept(ctx, g) * centred * (2.0 / ctx.denominator)


@primitive
class Std(Function):
    """Standard deviation over axes, with Bessel's correction c (default 1).

    Forward:     y = √(Σᵢ (xᵢ − x̄)² / (N − c))
    Derivative:  ∂y/∂xᵢ = (xᵢ − x̄) / ((N − c)·y)
    VJP:         ∂L/∂xᵢ = g · (xᵢ − x̄) / ((N − c)·y)     (reuses the output)
    Numerics:    the derivative is infinite when all values are equal (y = 0).
    """

    name = "std"
    text = ("y = √(Σᵢ (xᵢ − x̄)² / (N − c))", "∂y/∂xᵢ = (xᵢ − x̄)/((N − c)·y)")
    latex = (r"y = \sqrt{\frac{1}{N-c}\sum_i (x_i - \bar{x})^2}",
             r"\frac{\partial y}{\partial x_i} = \frac{x_i - \bar{x}}{(N-c)\,y}")
    explanation = "The chain rule through the square root of the variance: ∂√v = ∂v / (2√v)."
    reference = staticmethod(lambda x, axis=None, keepdims=False, correction=1: xp.std(
        x, axis=axis, keepdims=keepdims, ddof=correction))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, correction=1):
        axes, count = _setup(ctx, x, axis, "std")
        ctx.denominator = count - correction
        y = xp.asarray(xp.std(x, axis=axes, keepdims=keepdims, ddof=correction))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        centred = x - x.mean(axis=ctx.axes, keepdims=True)
        return _kept(ctx, g) * centred / (_kept(ctx, y) * ctx.denominator)


class _Extremum(Function):
    """Shared by max and min: the gradient goes to the extremal elements, split evenly at ties."""

    reduce = None

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, cls.name)
        if x.size == 0:
            raise ValueError(f"{cls.name}: cannot reduce an empty tensor (shape {x.shape})")
        y = xp.asarray(cls.reduce(x, axis=axes, keepdims=keepdims))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        hits = x == _kept(ctx, y)
        count = hits.sum(axis=ctx.axes, keepdims=True)
        return _kept(ctx, g) * hits / count


@primitive
class Max(_Extremum):
    """Maximum over axes.

    Forward:     y = maxᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1[xᵢ = y] / #{j : xⱼ = y}
    VJP:         ∂L/∂xᵢ = g · 1[xᵢ = y] / (number of maximal elements)
    Kinks:       ties share the gradient evenly (as torch.amax), so it sums to g.
    """

    name = "max"
    text = ("y = maxᵢ xᵢ", "∂y/∂xᵢ = 1[xᵢ = y] / #ties")
    latex = (r"y = \max_i x_i",
             r"\frac{\partial y}{\partial x_i} = \frac{\mathbb{1}[x_i = y]}{\#\{j: x_j = y\}}")
    explanation = "Only the largest element moves the maximum, so only it receives the gradient."
    domain = "distinct"
    reduce = staticmethod(xp.max)
    reference = staticmethod(_numpy_reduction(xp.max))


@primitive
class Min(_Extremum):
    """Minimum over axes.

    Forward:     y = minᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1[xᵢ = y] / #{j : xⱼ = y}
    VJP:         ∂L/∂xᵢ = g · 1[xᵢ = y] / (number of minimal elements)
    Kinks:       ties share the gradient evenly (as torch.amin), so it sums to g.
    """

    name = "min"
    text = ("y = minᵢ xᵢ", "∂y/∂xᵢ = 1[xᵢ = y] / #ties")
    latex = (r"y = \min_i x_i",
             r"\frac{\partial y}{\partial x_i} = \frac{\mathbb{1}[x_i = y]}{\#\{j: x_j = y\}}")
    explanation = "Only the smallest element moves the minimum, so only it receives the gradient."
    domain = "distinct"
    reduce = staticmethod(xp.min)
    reference = staticmethod(_numpy_reduction(xp.min))


def _product_of_others(x, axes):
    """For each element, the product of the other elements in its reduction group (zeros allowed).

    Exclusive products from the left and from the right (cumulative products shifted by one),
    multiplied: no division, so an input of 0 is handled exactly.
    """
    keep = [i for i in range(x.ndim) if i not in axes]
    order = keep + list(axes)
    moved = x.transpose(order)
    flat = moved.reshape(moved.shape[: len(keep)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return others.transpose(xp.argsort(order))


@primitive
class Prod(Function):
    """Product over axes.

    Forward:     y = Πᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = Πⱼ≠ᵢ xⱼ
    VJP:         ∂L/∂xᵢ = g · Πⱼ≠ᵢ xⱼ
    Numerics:    first-order backward uses exclusive cumulative products, exact when some xᵢ = 0;
                 the differentiable backward (create_graph) uses y/xᵢ and needs all xᵢ ≠ 0.
    """

    name = "prod"
    text = ("y = Πᵢ xᵢ", "∂y/∂xᵢ = Πⱼ≠ᵢ xⱼ")
    latex = (r"y = \prod_i x_i", r"\frac{\partial y}{\partial x_i} = \prod_{j \ne i} x_j")
    explanation = "The product rule: each factor's slope is the product of all the other factors."
    reference = staticmethod(_numpy_reduction(xp.prod))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, "prod")
        y = xp.asarray(xp.prod(x, axis=axes, keepdims=keepdims))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        if isinstance(x, Tensor):
            if (x.data == 0).any():
                raise RuntimeError("prod: the differentiable backward (create_graph=True) divides "
                                   "by the factors and needs every factor nonzero")
            others = _kept(ctx, y) / x
        else:
            others = _product_of_others(x, ctx.axes)
        return _kept(ctx, g) * others


@primitive
class Logsumexp(Function):
    """Log of a sum of exponentials, computed stably.

    Forward:     y = ln Σᵢ e^{xᵢ} = m + ln Σᵢ e^{xᵢ − m},  m = maxᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = e^{xᵢ − y} = softmax(x)ᵢ
    VJP:         ∂L/∂xᵢ = g · e^{xᵢ − y}              (reuses the output)
    Numerics:    subtracting the maximum m first keeps every exponent ≤ 0: no overflow at 1e4.
    """

    name = "logsumexp"
    text = ("y = ln Σᵢ e^{xᵢ}", "∂y/∂xᵢ = e^{xᵢ − y} = softmax(x)ᵢ")
    latex = (r"y = \ln \sum_i e^{x_i}",
             r"\frac{\partial y}{\partial x_i} = e^{x_i - y} = \operatorname{softmax}(x)_i")
    explanation = "A smooth maximum; its gradient is the softmax of its inputs."
    reference = staticmethod(lambda x, axis=None, keepdims=False: xp.log(
        xp.sum(xp.exp(x), axis=axis, keepdims=keepdims)))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, "logsumexp")
        y = _logsumexp_kept(x, axes)
        if not keepdims:
            y = y.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return _kept(ctx, g) * namespace(x).exp(x - _kept(ctx, y))


def _logsumexp_kept(x, axes):
    m = xp.max(x, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001  (NumPy's name)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims: bool = False):
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims: bool = False, correction=1, unbiased=None, ddof=None):
    """Variance; ``correction`` (PyTorch), ``unbiased`` (old PyTorch) or ``ddof`` (NumPy)."""
    return Var.apply(x, axis=axis, keepdims=keepdims,
                     correction=_correction(correction, unbiased, ddof))


def std(x, axis=None, keepdims: bool = False, correction=1, unbiased=None, ddof=None):
    return Std.apply(x, axis=axis, keepdims=keepdims,
                     correction=_correction(correction, unbiased, ddof))


def max(x, axis=None, keepdims: bool = False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims: bool = False):  # noqa: A001
    return Min.apply(x, axis=axis, keepdims=keepdims)


amax = max
amin = min


def prod(x, axis=None, keepdims: bool = False):
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims: bool = False):
    return Logsumexp.apply(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims: bool = False):
    """Index of the maximum (no gradient: an index is not a differentiable quantity)."""
    data = x.data if isinstance(x, Tensor) else x
    return Tensor._from_op(xp.asarray(xp.argmax(data, axis=axis, keepdims=keepdims)), None)


def argmin(x, axis=None, keepdims: bool = False):
    data = x.data if isinstance(x, Tensor) else x
    return Tensor._from_op(xp.asarray(xp.argmin(data, axis=axis, keepdims=keepdims)), None)
