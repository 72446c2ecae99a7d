"""Reductions: sum, nansum, mean, var, std, max, min, prod, logsumexp.

Each reduces over ``axis`` (an int, a tuple, or None for all axes), keeping the reduced axes as size
1 when ``keepdims``. The backward of a reduction spreads g back over the reduced axes; the helper
:func:`_kept` first restores those axes so that g broadcasts against the input.
"""
from __future__ import annotations

import builtins

from .. import backend as B
from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import array_namespace, as_float_mask, dtype_kind, errstate, namespace, xp
from ..tensor import Tensor
from .complex_checks import ORDER, refuse_complex
from .cumulative import _integer_kept


def _normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if ndim == 0:           # PyTorch: a 0-d tensor accepts dim 0 or -1 and reduces nothing
        for a in axes:
            if a not in (0, -1):
                raise ValueError(f"{op}: dim {a} is out of range for a 0-d tensor (valid: -1, 0)")
        return ()
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
    if type(value) is xp.ndarray:
        return value.reshape(ctx.kept)
    return namespace(value).reshape(value, ctx.kept)


def _mean(x, axes):
    """The mean over ``axes`` with the axes kept, in ``x``'s own namespace."""
    if type(x) is xp.ndarray:
        return x.mean(axis=axes, keepdims=True)
    return namespace(x).mean(x, axis=axes, keepdims=True)


@primitive
class Sum(Function):
    """Sum over axes.

    Forward:     y = Σᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1
    VJP:         ∂L/∂xᵢ = g      (g copied to every summed position)
    Numerics:    pairwise summation (NumPy).
    """

    name = "sum"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = Σᵢ xᵢ", "∂y/∂xᵢ = 1")
    latex = (r"y = \sum_i x_i", r"\frac{\partial y}{\partial x_i} = 1")
    explanation = "Every summand contributes equally, so each receives the whole gradient."
    reference = staticmethod(_numpy_reduction(xp.sum))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, "sum")
        return array_namespace(x).sum(x, axis=axes, keepdims=keepdims, dtype=_integer_kept(x))

    @staticmethod
    def vjp(ctx, g):
        return namespace(g).broadcast_to(_kept(ctx, g), ctx.shape)


@primitive
class Nansum(Function):
    """Sum over axes with NaN entries counted as 0.

    Forward:     y = Σᵢ xᵢ · [xᵢ ≠ NaN]      (NaN entries left out)
    Derivative:  ∂y/∂xᵢ = [xᵢ ≠ NaN]
    VJP:         ∂L/∂xᵢ = g · [xᵢ ≠ NaN]    (a product, as PyTorch's nansum_backward)
    Numerics:    NaN entries are replaced by +0 before a pairwise sum (NumPy's nansum). The VJP
                 multiplies rather than selects: an infinite or NaN g gives 0 · ∞ = NaN at a NaN
                 entry, as in PyTorch (nanmean of an all-NaN slice passes g/0 back, so NaN).
    """

    name = "nansum"
    array_api = True
    text = ("y = Σᵢ xᵢ·[xᵢ ≠ NaN]", "∂y/∂xᵢ = [xᵢ ≠ NaN]")
    latex = (r"y = \sum_{i:\,x_i \ne \mathrm{NaN}} x_i",
             r"\frac{\partial y}{\partial x_i} = [x_i \ne \mathrm{NaN}]")
    explanation = "A sum that skips NaN entries; those receive no gradient (g times 0)."
    reference = staticmethod(_numpy_reduction(xp.nansum))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        refuse_complex("nansum", x, reason="PyTorch's CPU nansum takes real tensors only",
                       error=RuntimeError)
        axes, _ = _setup(ctx, x, axis, "nansum")
        ns = array_namespace(x)
        ctx.number = None
        if dtype_kind(x.dtype) in "fc":
            nan = ns.isnan(x)
            ctx.number = ~nan
            x = ns.where(nan, ns.zeros_like(x), x)
        return ns.sum(x, axis=axes, keepdims=keepdims, dtype=_integer_kept(x))

    @staticmethod
    def vjp(ctx, g):
        g = namespace(g).broadcast_to(_kept(ctx, g), ctx.shape)
        if ctx.number is None:
            return g
        with errstate(namespace(g), invalid="ignore"):      # 0 · ∞ = NaN, as PyTorch
            return g * as_float_mask(ctx.number, g)


@primitive
class Mean(Function):
    """Mean over axes.

    Forward:     y = (1/N) Σᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1/N
    VJP:         ∂L/∂xᵢ = g / N
    Numerics:    pairwise summation, then division by N.
    """

    name = "mean"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = (1/N) Σᵢ xᵢ", "∂y/∂xᵢ = 1/N")
    latex = (r"y = \frac{1}{N}\sum_i x_i", r"\frac{\partial y}{\partial x_i} = \frac{1}{N}")
    explanation = "The mean shares the gradient equally among its N inputs."
    reference = staticmethod(_numpy_reduction(xp.mean))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, ctx.count = _setup(ctx, x, axis, "mean")
        return array_namespace(x).mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def vjp(ctx, g):
        # an empty reduction (N = 0) has a NaN mean and an empty gradient, as in PyTorch
        scale = 1.0 / ctx.count if ctx.count else float("nan")
        return namespace(g).broadcast_to(_kept(ctx, g) * scale, ctx.shape)


def _correction(correction, unbiased, ddof) -> float:
    if ddof is not None:
        return ddof
    if unbiased is not None:
        return 1 if unbiased else 0
    return correction


def _is_float32(x) -> bool:
    return B.numpy_dtype(x.dtype) == xp.float32


def _float64_variance(x, ns, axes, count, keepdims, correction):
    """PyTorch's float32 variance on the CPU, in float64 (rounded to float32 by the caller).

    Where the result has one element (every element reduced), PyTorch's ``std_var_all_cpu``:
    the mean in float32 (sum, then ÷N), then Σ(xᵢ − x̄)² and the division in float64; else its
    Welford loop in float64 (here the two-pass form in float64: the same to float32 rounding)."""
    wide = B.astype(x, xp.float64)
    if count and x.size // count <= 1:
        with errstate(ns, over="ignore", divide="ignore", invalid="ignore"):
            centred = wide - B.astype(ns.mean(x, axis=axes, keepdims=True), xp.float64)
            var = ns.sum(centred * centred, axis=axes, keepdims=keepdims) / builtins.max(
                count - correction, 0)
    elif ns is not xp:
        return ns.var(wide, axis=axes, keepdims=keepdims, correction=correction)
    else:
        var = xp.var(wide, axis=axes, keepdims=keepdims, ddof=correction)
    return xp.asarray(var) if ns is xp else var


def _variance(ctx, x, axis, keepdims, correction, op: str):
    """The variance that var and std share, with the context their backward reads (axes, N − c,
    whether every element is reduced): float64 for a float32 input (see _float64_variance)."""
    axes, count = _setup(ctx, x, axis, op)
    ctx.denominator = count - correction
    ctx.every = axis is None or x.ndim == 0         # PyTorch's var_backward without a dim
    ns = array_namespace(x)
    if _is_float32(x):
        return _float64_variance(x, ns, axes, count, keepdims, correction)
    if ns is not xp:
        return ns.var(x, axis=axes, keepdims=keepdims, correction=correction)
    return xp.var(x, axis=axes, keepdims=keepdims, ddof=correction)


def _var_backward(ctx, g, x):
    """PyTorch's var_backward, in the input's dtype and in its order of the products (where
    they overflow): ((2/(N − c))·g)·(x − x̄); for a reduction over every element (no dim) with
    N − c ≤ 0, g·NaN where xᵢ = x̄ and g·∞ elsewhere."""
    ns = namespace(g)
    mean = _mean(x, ctx.axes)
    d = ctx.denominator
    if ctx.every and d <= 0:
        return g * ns.where(x == mean, float("nan"), ns.zeros_like(x) + float("inf"))
    return (g * (2.0 / d if d else float("inf"))) * (x - mean)


@primitive
class Var(Function):
    """Variance over axes, with Bessel's correction c (PyTorch's default c = 1).

    Forward:     y = Σᵢ (xᵢ − x̄)² / (N − c)
    Derivative:  ∂y/∂xᵢ = 2(xᵢ − x̄) / (N − c)
    VJP:         ∂L/∂xᵢ = g · 2(xᵢ − x̄) / (N − c)
    Numerics:    two-pass (mean first), as NumPy. A float32 input is reduced in float64 and
                 rounded to float32 once, as PyTorch's CPU kernel (a Welford loop in double; for
                 a one-element result a float32 mean, then the squares in double): the squares
                 of 1e38 do not overflow, nor those of subnormals underflow. The backward, in
                 every dtype, is PyTorch's var_backward in the input's dtype,
                 ((2/(N − c))·g)·(x − x̄), so it overflows where PyTorch's does (x̄ of four
                 float32 1e38 is inf), and with N − c ≤ 0 over every element it is g·∞ (NaN
                 where xᵢ = x̄).
    """

    name = "var"
    array_api = True
    text = ("y = Σᵢ (xᵢ − x̄)² / (N − c)", "∂y/∂xᵢ = 2(xᵢ − x̄)/(N − c)")
    latex = (r"y = \frac{1}{N-c}\sum_i (x_i - \bar{x})^2",
             r"\frac{\partial y}{\partial x_i} = \frac{2(x_i - \bar{x})}{N-c}")
    explanation = ("The terms through x̄ cancel (Σ(xᵢ − x̄) = 0), leaving each deviation's own "
                   "slope.")
    reference = staticmethod(lambda x, axis=None, keepdims=False, correction=1: xp.var(
        x, axis=axis, keepdims=keepdims, ddof=correction))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, correction=1):
        ctx.save(x)
        v = _variance(ctx, x, axis, keepdims, correction, "var")
        return B.astype(v, x.dtype) if _is_float32(x) else v

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return _var_backward(ctx, _kept(ctx, g), x)


@primitive
class Std(Function):
    """Standard deviation over axes, with Bessel's correction c (default 1).

    Forward:     y = √(Σᵢ (xᵢ − x̄)² / (N − c))
    Derivative:  ∂y/∂xᵢ = (xᵢ − x̄) / ((N − c)·y)
    VJP:         ∂L/∂xᵢ = g · (xᵢ − x̄) / ((N − c)·y)     (reuses the output)
    Numerics:    the derivative is infinite when all values are equal (y = 0); the gradient is
                 taken as 0 there, PyTorch's convention. A float32 input is reduced in float64
                 (the square root too) and rounded to float32 once, as PyTorch's CPU kernel (see
                 var): std of float32 [1e38, −1e38, 1e38, 1] is 8.3e37, not inf. The backward is
                 PyTorch's std_backward in every dtype: g' = g/(2y) (0 where y = 0), then
                 ((2/(N − c))·g')·(x − x̄); like PyTorch's it overflows to ±inf where 2y is
                 subnormal (std of subnormals) and gives 0 where 2y overflows (y > 1.7e38).
    """

    name = "std"
    array_api = True
    text = ("y = √(Σᵢ (xᵢ − x̄)² / (N − c))", "∂y/∂xᵢ = (xᵢ − x̄)/((N − c)·y)")
    latex = (r"y = \sqrt{\frac{1}{N-c}\sum_i (x_i - \bar{x})^2}",
             r"\frac{\partial y}{\partial x_i} = \frac{x_i - \bar{x}}{(N-c)\,y}")
    explanation = "The chain rule through the square root of the variance: ∂√v = ∂v / (2√v)."
    reference = staticmethod(lambda x, axis=None, keepdims=False, correction=1: xp.std(
        x, axis=axis, keepdims=keepdims, ddof=correction))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False, correction=1):
        ns = array_namespace(x)
        y = ns.sqrt(_variance(ctx, x, axis, keepdims, correction, "std"))   # (float64: NumPy's
        y = xp.asarray(y) if ns is xp else y                        # std, the same sqrt of var)
        if _is_float32(x):
            y = B.astype(y, x.dtype)
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(g)
        y = _kept(ctx, y)
        # PyTorch's std_backward: var_backward of g/(2y), with 0 where y = 0 (all values equal:
        # an infinite slope, taken as 0 by PyTorch's convention)
        scaled = ns.where(y == 0, 0.0, _kept(ctx, g) / (ns.where(y == 0, 1.0, y) * 2))
        return _var_backward(ctx, scaled, x)


class _Extremum(Function):
    """Shared by max and min: the gradient goes to the extremal elements, split evenly at ties.

    ``distribute=True`` is PyTorch's rule for max()/min() without a dim (its
    evenly_distribute_backward): when the result is NaN the NaN entries share g, and g/count is
    placed (not multiplied) on the hits, 0 elsewhere. amax/amin keep g·1[xᵢ = y]/count, which is
    NaN everywhere on a slice holding NaN (no entry equals NaN: 0/0)."""

    reduce = None

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False, distribute=False):
        refuse_complex(cls.name, x, reason=ORDER)
        axes, count = _setup(ctx, x, axis, cls.name)
        ctx.distribute = distribute
        if count == 0 and x.ndim:
            raise ValueError(f"{cls.name}: cannot reduce over an axis of size 0 (shape "
                             f"{x.shape}, axes {axes}): the maximum of no values is undefined")
        ns = array_namespace(x)
        if ns is xp:
            y = xp.asarray(cls.reduce(x, axis=axes, keepdims=keepdims))
        else:
            y = getattr(ns, cls.name)(x, axis=axes, keepdims=keepdims)
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        if ctx.distribute:
            return _evenly_distributed(ctx, x, y, g)
        hits = x == _kept(ctx, y)
        if type(hits) is xp.ndarray or isinstance(hits, Tensor):
            count = hits.sum(axis=ctx.axes, keepdims=True)
            return _kept(ctx, g) * hits / count
        hits = as_float_mask(hits, g)       # another array library: no bool arithmetic
        return _kept(ctx, g) * hits / namespace(hits).sum(hits, axis=ctx.axes, keepdims=True)


def _evenly_distributed(ctx, x, y, g):
    """g / #hits on the hits (xᵢ = y, or xᵢ NaN where y is NaN), 0 elsewhere."""
    ns = namespace(x)
    yk = _kept(ctx, y)
    hits = (x == yk) | (ns.isnan(x) & ns.isnan(yk))
    if type(hits) is xp.ndarray or isinstance(hits, Tensor):
        count = hits.sum(axis=ctx.axes, keepdims=True)
    else:
        count = ns.sum(as_float_mask(hits, g), axis=ctx.axes, keepdims=True)
    return ns.where(hits, _kept(ctx, g) / count, 0.0)


@primitive
class Max(_Extremum):
    """Maximum over axes.

    Forward:     y = maxᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = 1[xᵢ = y] / #{j : xⱼ = y}
    VJP:         ∂L/∂xᵢ = g · 1[xᵢ = y] / (number of maximal elements)
    Kinks:       ties share the gradient evenly (as torch.amax), so it sums to g; max() over
                 every element gives it to the NaN entries if y is NaN (PyTorch's max()).
    """

    name = "max"
    array_api = True
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
    Kinks:       ties share the gradient evenly (as torch.amin), so it sums to g; min() over
                 every element gives it to the NaN entries if y is NaN (PyTorch's min()).
    """

    name = "min"
    array_api = True
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
    if type(x) is not xp.ndarray:
        return _product_of_others_standard(x, axes)
    if x.size == 0:
        return xp.zeros_like(x)
    keep = [i for i in range(x.ndim) if i not in axes]
    order = keep + list(axes)
    moved = x.transpose(order)
    flat = moved.reshape(moved.shape[: len(keep)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return others.transpose(xp.argsort(order))


def _product_of_others_standard(x, axes):
    """:func:`_product_of_others` with the array API standard's functions (permute_dims,
    concat, cumulative_prod, flip): the same products in the same order, so NumPy's values."""
    ns = namespace(x)
    if x.size == 0:
        return ns.zeros_like(x)
    keep = [i for i in range(x.ndim) if i not in axes]
    order = keep + list(axes)
    moved = ns.permute_dims(x, tuple(order))
    flat = ns.reshape(moved, moved.shape[: len(keep)] + (-1,))
    ones = ns.ones(flat.shape[:-1] + (1,), dtype=x.dtype, device=x.device)
    left = ns.cumulative_prod(ns.concat([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = ns.flip(ns.cumulative_prod(ns.concat([ones, ns.flip(flat[..., 1:], axis=-1)],
                                                 axis=-1), axis=-1), axis=-1)
    others = ns.reshape(left * right, moved.shape)
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return ns.permute_dims(others, inverse)


@primitive
class Prod(Function):
    """Product over axes.

    Forward:     y = Πᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = Πⱼ≠ᵢ xⱼ
    VJP:         ∂L/∂xᵢ = g · Πⱼ≠ᵢ xⱼ
    Numerics:    as PyTorch's prod_backward: with no zero in the input, g·y/xᵢ (so NaN at
                 xᵢ = ±∞, ∞/∞); with a zero, exclusive cumulative products (no division, exact);
                 over every element (no dim) with two zeros or more, 0 (every product of the
                 others holds a zero). The differentiable backward (create_graph) uses y/xᵢ and
                 needs all xᵢ ≠ 0.
    """

    name = "prod"
    array_api = True
    text = ("y = Πᵢ xᵢ", "∂y/∂xᵢ = Πⱼ≠ᵢ xⱼ")
    latex = (r"y = \prod_i x_i", r"\frac{\partial y}{\partial x_i} = \prod_{j \ne i} x_j")
    explanation = "The product rule: each factor's slope is the product of all the other factors."
    reference = staticmethod(_numpy_reduction(xp.prod))

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axes, _ = _setup(ctx, x, axis, "prod")
        ctx.full = axis is None
        ns = array_namespace(x)
        y = ns.asarray(ns.prod(x, axis=axes, keepdims=keepdims, dtype=_integer_kept(x)))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        if isinstance(x, Tensor):
            if (x._data == 0).any():
                raise RuntimeError("prod: the differentiable backward (create_graph=True) divides "
                                   "by the factors and needs every factor nonzero")
            return _kept(ctx, g) * (_kept(ctx, y) / x)
        ns = namespace(x)
        zeros = int(B.to_numpy(B.total(B.astype(x == 0, xp.int64))))
        if zeros == 0:
            with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
                return _kept(ctx, g) * (_kept(ctx, y) / x)
        if ctx.full and zeros > 1:
            return B.zeros_like(x)
        return _kept(ctx, g) * _product_of_others(x, ctx.axes)


@primitive
class Logsumexp(Function):
    """Log of a sum of exponentials, computed stably.

    Forward:     y = ln Σᵢ e^{xᵢ} = m + ln Σᵢ e^{xᵢ − m},  m = maxᵢ xᵢ
    Derivative:  ∂y/∂xᵢ = e^{xᵢ − y} = softmax(x)ᵢ
    VJP:         ∂L/∂xᵢ = g · e^{xᵢ − y}              (reuses the output)
    Numerics:    subtracting the maximum m first keeps every exponent ≤ 0: no overflow at 1e4.
                 Over an empty axis the sum has no terms: y = ln 0 = −∞, as PyTorch.
    """

    name = "logsumexp"
    array_api = True
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
            y = B.reshape(y, tuple(s for i, s in enumerate(x.shape) if i not in axes))
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return _kept(ctx, g) * namespace(x).exp(x - _kept(ctx, y))


def _logsumexp_kept(x, axes):
    """ln Σ e^x over ``axes``, kept: the maximum shifted out; over an empty axis ln 0 = −∞ (as
    PyTorch), the shift then the empty sum's 0 (the maximum of no values does not exist)."""
    ns = array_namespace(x)
    if builtins.any(x.shape[a] == 0 for a in axes):
        m = ns.sum(x, axis=axes, keepdims=True)
    else:
        m = ns.max(x, axis=axes, keepdims=True)
        m = ns.where(ns.isfinite(m), m, 0)
    with errstate(ns, divide="ignore"):     # ln 0 = −∞: every term e^{−∞}, or no terms
        return ns.log(ns.sum(ns.exp(x - m), axis=axes, keepdims=True)) + m


def _reduction_input(x, dtype):
    """PyTorch's input rules: ``dtype=`` casts first; integer and bool sums and products are
    int64."""
    if dtype is not None:
        from .movement import astype
        return astype(x, dtype)
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    if dtype_kind(data.dtype) in "biu" and B.numpy_dtype(data.dtype) != xp.int64:
        if isinstance(x, Tensor):       # the astype primitive: a compiled trace records it
            from .movement import astype
            return astype(x, xp.int64)
        return Tensor._from_op(B.astype(data, xp.int64), None)
    return x


def sum(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False,  # noqa: A001
        dtype=None):
    """Σ over ``dim`` (an int, a tuple, or None for all); integer and bool inputs sum to int64."""
    x = _reduction_input(x, dtype)
    return Sum.apply(x, axis=axis if dim is None else dim, keepdims=bool(keepdims or keepdim))


def nansum(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False,
           dtype=None):
    """Σ over ``dim`` treating NaN as 0 (NaN entries get no gradient: g · 0)."""
    x = _reduction_input(x, dtype)
    return Nansum.apply(x, axis=axis if dim is None else dim, keepdims=bool(keepdims or keepdim))


def mean(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False, dtype=None):
    """The mean over ``dim``; as in PyTorch, an integer tensor needs ``dtype=`` (or a cast)."""
    if dtype is not None:
        from .movement import astype
        x = astype(x, dtype)
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    if dtype_kind(data.dtype) not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {data.dtype} (use x.float() "
                           "or mean(dtype=chainrule.float32))")
    return Mean.apply(x, axis=axis if dim is None else dim, keepdims=bool(keepdims or keepdim))


def _unbiased_positional(axis, keepdims, unbiased):
    """PyTorch's ``var(x, True)``: a bool in the dim position is the old ``unbiased`` flag."""
    if isinstance(axis, bool):
        return None, keepdims, axis
    return axis, keepdims, unbiased


def var(x, axis=None, keepdims: bool = False, correction=1, unbiased=None, ddof=None, *,
        dim=None, keepdim: bool = False):
    """Variance; ``correction`` (PyTorch), ``unbiased`` (old PyTorch) or ``ddof`` (NumPy)."""
    axis, keepdims, unbiased = _unbiased_positional(axis if dim is None else dim, keepdims,
                                                    unbiased)
    return Var.apply(x, axis=axis, keepdims=bool(keepdims or keepdim),
                     correction=_correction(correction, unbiased, ddof))


def std(x, axis=None, keepdims: bool = False, correction=1, unbiased=None, ddof=None, *,
        dim=None, keepdim: bool = False):
    axis, keepdims, unbiased = _unbiased_positional(axis if dim is None else dim, keepdims,
                                                    unbiased)
    return Std.apply(x, axis=axis, keepdims=bool(keepdims or keepdim),
                     correction=_correction(correction, unbiased, ddof))


def _extremum(kind: str, values_fn, arg_fn, x, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor) or (dim is not None and not isinstance(dim, (int, xp.integer))
                                   and not isinstance(dim, (tuple, list))):
        from .elementwise import maximum, minimum
        return (maximum if kind == "max" else minimum)(x, dim)
    d = axis if dim is None else dim
    keep = bool(keepdim or keepdims)
    if d is None:       # PyTorch's max()/min(): g shared by the hits, the NaN ones if any
        return values_fn.apply(x, axis=None, keepdims=False, distribute=True)
    refuse_complex(kind, x, reason=ORDER, error=RuntimeError)
    if isinstance(d, (tuple, list)):
        raise TypeError(f"{kind}(): dim must be one int (it also returns the indices); for the "
                        f"{kind}imum over several dims use chainrule.a{kind}(x, dim=(…))")
    from . import movement
    from .indexing import gather
    if hasattr(x, "_level") and x.ndim:     # inside chainrule.func.vmap
        from ..func.composite import on_batch

        return on_batch(lambda t, dim: _extremum(kind, values_fn, arg_fn, t, dim, keep, None,
                                                 None), (x,), {"dim": d}, ("dim",), x.ndim)
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    foreign = type(data) is not xp.ndarray and B.is_foreign_array(data)
    if data.ndim == 0:
        _normalize_axes(d, 0, kind)
        index = Tensor._from_op(B.asarray_like(xp.zeros((), dtype=xp.int64), data), None)
        return getattr(return_types, kind)(movement.copy(x), index)
    (axis_,) = _normalize_axes(d, data.ndim, kind)
    if data.shape[axis_] == 0:
        raise IndexError(f"{kind}(): cannot take the {kind}imum over dimension {d} of size 0 "
                         f"(shape {data.shape})")
    if foreign:     # the standard's argmax/argmin: the first index among ties, as NumPy's
        ns = B.namespace(data)
        idx = ns.astype(getattr(ns, arg_fn.__name__)(data, axis=axis_, keepdims=True), ns.int64)
    else:
        idx = arg_fn(data, axis=axis_, keepdims=True)
    values = gather(x, axis_, idx)
    if not keep:
        values = movement.squeeze(values, axis_)
        idx = B.namespace(idx).squeeze(idx, axis=axis_) if foreign else idx.squeeze(axis_)
    return getattr(return_types, kind)(values, Tensor._from_op(idx, None))


def max(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """PyTorch's max: ``max(x)`` the largest value (ties share the gradient, as ``amax``);
    ``max(x, dim)`` the named tuple ``(values, indices)`` (the gradient goes to the index found,
    the first among ties); ``max(x, other)`` the elementwise maximum."""
    return _extremum("max", Max, xp.argmax, x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """PyTorch's min: as :func:`max` with the smallest values."""
    return _extremum("min", Min, xp.argmin, x, dim, keepdim, axis, keepdims)


def amax(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """The largest values over ``dim`` (an int, a tuple, or None/() for all): values only; ties
    share the gradient evenly."""
    d = axis if dim is None else dim
    return Max.apply(x, axis=None if d == () else d, keepdims=bool(keepdim or keepdims))


def amin(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    d = axis if dim is None else dim
    return Min.apply(x, axis=None if d == () else d, keepdims=bool(keepdim or keepdims))


@autocast_op("prod")
def prod(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False, dtype=None):
    x = _reduction_input(x, dtype)
    return Prod.apply(x, axis=axis if dim is None else dim, keepdims=bool(keepdims or keepdim))


def logsumexp(x, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
    return Logsumexp.apply(x, axis=axis if dim is None else dim,
                           keepdims=bool(keepdims or keepdim))


def argmax(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """Index of the maximum over ``dim`` (over the flattened tensor when None): int64, no
    gradient (an index is not a differentiable quantity)."""
    return _arg(xp.argmax, x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    return _arg(xp.argmin, x, dim, keepdim, axis, keepdims)


def _arg(fn, x, dim, keepdim, axis, keepdims):
    refuse_complex(fn.__name__, x, reason=ORDER, error=RuntimeError)
    d = axis if dim is None else dim
    keep = bool(keepdim or keepdims)
    if hasattr(x, "_level") and x.ndim:     # inside chainrule.func.vmap
        from ..func.composite import on_batch

        if d is None:                       # the flattened example (a shape kept if asked)
            out = _arg(fn, x.reshape(-1), 0, False, None, None)
            return out.reshape((1,) * x.ndim) if keep else out
        return on_batch(lambda t, dim: _arg(fn, t, dim, keep, None, None), (x,), {"dim": d},
                        ("dim",), x.ndim)
    data = x._data if isinstance(x, Tensor) else xp.asarray(x)
    if data.ndim == 0:
        if d is not None:
            _normalize_axes(d, 0, fn.__name__)
        return Tensor._from_op(B.asarray_like(xp.zeros((), dtype=xp.int64), data), None)
    if type(data) is not xp.ndarray and B.is_foreign_array(data):
        # the standard's argmax/argmin (first index among ties, as NumPy's)
        ns = B.namespace(data)
        if d is not None:
            (d,) = _normalize_axes(d, data.ndim, fn.__name__)
        out = getattr(ns, fn.__name__)(data, axis=d, keepdims=keep)
        return Tensor._from_op(ns.astype(out, ns.int64), None)
    if d is None:
        out = fn(data)
        if keep:
            out = xp.reshape(out, (1,) * data.ndim)
    else:
        (d,) = _normalize_axes(d, data.ndim, fn.__name__)
        out = fn(data, axis=d, keepdims=keep)
    return Tensor._from_op(xp.asarray(out, dtype=xp.int64), None)
