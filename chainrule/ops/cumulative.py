"""Cumulative operations along one dimension: cumsum, cumprod, logcumsumexp, cummax, cummin.

All are whole-array NumPy scans (``cumsum``, ``cumprod``, ``logaddexp.accumulate``,
``maximum.accumulate``); the gradients are reversed scans of the same kinds. A 0-d tensor is
treated as one element along dimension 0 or −1, as in PyTorch.
"""
from __future__ import annotations

from .. import backend as B
from .. import return_types
from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, errstate, is_foreign_array, namespace, xp
from ..tensor import Tensor, tensor_method
from . import cumulative_standard as _standard
from .complex_checks import ORDER, refuse_complex
from .indexing import take_along_dim
from .movement import Getitem


def _flip(a, axis: int):
    """``a`` reversed along ``axis`` (a slice with step −1: works on arrays and Tensors; on a
    Tensor through the getitem primitive, since PyTorch's indexing refuses negative steps)."""
    index = (slice(None),) * (axis % a.ndim) + (slice(None, None, -1),)
    if isinstance(a, Tensor):
        return Getitem.apply(a, index=index)
    return a[index + (...,)]      # (the standard wants the trailing axes named)


def _from_plus_zero(y):
    """``y`` + (+0.0) for floating ``y``: a −0.0 becomes +0.0, every other value stays (x + 0 = x
    for x ≠ −0, ±∞ and NaN included). PyTorch's scans start from +0 (sum) or −∞ (log-sum-exp,
    where −∞ ⊕ −0 = −0 + ln(1 + e^{−∞}) = +0); NumPy's copy the first element, keeping −0."""
    if dtype_kind(y.dtype) not in "fc":
        return y
    if type(y) is xp.ndarray:
        return xp.add(y, 0.0, out=y)
    return y + 0.0


def _rev_cumsum(a, axis: int):
    """Σ_{j ≥ i} a_j along ``axis``."""
    return _flip(_standard.cumulative("sum", _flip(a, axis), axis), axis)


@primitive
class Cumsum(Function):
    """Running sum along a dimension.

    Forward:     yᵢ = Σ_{j ≤ i} xⱼ
    Derivative:  ∂yⱼ/∂xᵢ = 1[i ≤ j]
    VJP:         ∂L/∂xᵢ = Σ_{j ≥ i} gⱼ   (the reversed running sum of g)
    Numerics:    sequential summation (NumPy's cumsum), as PyTorch on CPU (float32 in a
                 float64 accumulator, as its CPU kernel); other array libraries: the standard's
                 cumulative_sum. PyTorch accumulates from +0, so a
                 running sum of −0.0 alone is +0.0: adding +0.0 to NumPy's result (which keeps
                 −0.0 there) changes exactly those zeros and nothing else.
    """

    name = "cumsum"
    complex_grad = "real_linear"
    array_api = True
    text = ("yᵢ = Σ_{j ≤ i} xⱼ", "∂L/∂xᵢ = Σ_{j ≥ i} gⱼ")
    latex = (r"y_i = \sum_{j \le i} x_j", r"\frac{\partial L}{\partial x_i} = \sum_{j \ge i} g_j")
    explanation = "Each input appears in every later running sum, so it collects their gradients."
    reference = staticmethod(lambda x, axis: xp.cumsum(x, axis))

    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        return _from_plus_zero(_cumsum(x, axis))

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            return _rev_cumsum(g, ctx.axis)
        return _flip(_cumsum(_flip(g, ctx.axis), ctx.axis), ctx.axis)


def _integer_kept(a):
    """An integer array's own dtype, for a sum or product that must not widen it (NumPy and the
    array API standard widen int32 to the default integer; PyTorch keeps it when asked for
    dtype=int32), else None."""
    return a.dtype if dtype_kind(a.dtype) in "iu" else None


def _cumsum(a, axis: int):
    """The running sum of an array (NumPy's cumsum, the standard's cumulative_sum elsewhere);
    float32 accumulates in float64 and rounds each running sum once, as PyTorch's CPU scan (its
    accumulator type for float is double)."""
    if type(a) is xp.ndarray:
        if a.dtype == xp.float32:
            return xp.cumsum(a, axis, dtype=xp.float64).astype(xp.float32)
        return xp.cumsum(a, axis, dtype=_integer_kept(a))
    ns = array_namespace(a)
    if a.dtype == ns.float32:
        return ns.astype(ns.cumulative_sum(a, axis=axis, dtype=ns.float64), ns.float32)
    return ns.cumulative_sum(a, axis=axis, dtype=_integer_kept(a))


@primitive
class Cumprod(Function):
    """Running product along a dimension.

    Forward:     yᵢ = Π_{j ≤ i} xⱼ
    Derivative:  ∂yⱼ/∂xᵢ = Π_{k ≤ j, k ≠ i} x_k  for i ≤ j, else 0
    VJP:         before the first zero z of the slice: ∂L/∂xᵢ = (Σ_{i ≤ j < z} gⱼ yⱼ) / xᵢ;
                 at z: (Π_{j<z} xⱼ) · Σ_{z ≤ k < z₂} g_k Π_{z<j≤k} xⱼ, z₂ the second zero;
                 after z: 0 (every product through xᵢ also holds x_z = 0). Terms that hold a
                 zero factor are left out, never formed as g·0 (∞·0 = NaN), as PyTorch's.
    Numerics:    no division by zero: the division is used only before the first zero. A
                 float32 running product is accumulated in float64 and each value rounded once,
                 as PyTorch's CPU scan (products into the subnormal range agree). Other array
                 libraries: the standard's cumulative_prod and cumulative_sum.
    """

    name = "cumprod"
    array_api = True
    text = ("yᵢ = Π_{j ≤ i} xⱼ", "∂yⱼ/∂xᵢ = Π_{k ≤ j, k ≠ i} x_k  (i ≤ j)")
    latex = (r"y_i = \prod_{j \le i} x_j", r"\frac{\partial y_j}{\partial x_i} = "
             r"\prod_{k \le j,\, k \ne i} x_k \quad (i \le j)")
    explanation = ("Each running product is linear in each factor; zeros are handled without "
                   "dividing by them.")
    reference = staticmethod(lambda x, axis: xp.cumprod(x, axis))

    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        y = _running_product(x, axis)
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        axis = ctx.axis
        if isinstance(g, Tensor):
            return _cumprod_vjp_differentiable(g, x, axis)
        ns = namespace(g)
        zero = x == 0
        counted = zero if ns is xp else B.astype(zero, xp.int64)   # (the standard sums numbers)
        zeros_so_far = _standard.cumulative("sum", counted, axis)
        before = zeros_so_far == 0
        safe_x = ns.where(before, x, 1.0)
        # only the terms before the first zero: gⱼyⱼ beyond it is never formed (∞·0 would be
        # NaN where the true term is an exact 0), as PyTorch masks them
        grad = ns.where(before, _rev_cumsum(ns.where(before, g * y, 0.0), axis) / safe_x, 0.0)
        first = zero & (zeros_so_far == 1)
        if ns.any(first):
            # at the first zero z: (Π_{j<z} xⱼ) · Σ_{z ≤ k < z₂} g_k Π_{z<j≤k} xⱼ, z₂ the second
            # zero (every product through it is an exact 0 and is left out, as PyTorch does)
            segment = zeros_so_far == 1
            after = _running_product(ns.where(segment & ~first, x, 1.0), axis)
            total = B.total(ns.where(segment, g * after, 0.0), axis=axis, keepdims=True)
            prefix = _running_product(safe_x, axis)          # Π_{j<z} xⱼ at z
            grad = grad + ns.where(first, prefix * total, 0.0)
        return grad


def _running_product(x, axis: int):
    """Π_{j ≤ i} xⱼ along ``axis``: float32 accumulated in float64 and each value rounded once,
    as PyTorch's CPU scan; other array libraries through the standard's cumulative_prod."""
    if is_foreign_array(x):
        ns = array_namespace(x)
        if x.dtype == ns.float32:
            return ns.astype(ns.cumulative_prod(x, axis=axis, dtype=ns.float64), ns.float32)
        return ns.cumulative_prod(x, axis=axis, dtype=_integer_kept(x))
    if x.dtype == xp.float32:
        return xp.cumprod(x, axis, dtype=xp.float64).astype(xp.float32)
    return xp.cumprod(x, axis, dtype=_integer_kept(x))


def _cumprod_vjp_differentiable(g, x, axis: int):
    """The cumprod VJP as a differentiable expression (for create_graph=True) that needs no
    division, also with zeros: ∂L/∂xᵢ = Σ_{j ≥ i} gⱼ Mᵢⱼ, where row i of M is the running product
    of x with xᵢ replaced by 1. It costs n² per slice; first-order backward uses the O(n) form."""
    from .elementwise import where
    from .movement import moveaxis
    n = x.shape[axis]
    xt = moveaxis(x, axis, -1)
    gt = moveaxis(g, axis, -1)
    eye = xp.eye(n, dtype=bool)
    rows = where(eye, 1.0, xt.reshape(tuple(xt.shape[:-1]) + (1, n)))
    m = cumprod(rows, -1)
    upper = xp.triu(xp.ones((n, n), dtype=bool))
    terms = where(upper, m * gt.reshape(tuple(gt.shape[:-1]) + (1, n)), 0.0)
    return moveaxis(terms.sum(-1), -1, axis)


@primitive
class Logcumsumexp(Function):
    """Running log-sum-exp along a dimension.

    Forward:     yᵢ = ln Σ_{j ≤ i} e^{xⱼ}
    Derivative:  ∂yⱼ/∂xᵢ = e^{xᵢ − yⱼ}  for i ≤ j
    VJP:         ∂L/∂xᵢ = Σ_{j ≥ i} gⱼ e^{xᵢ − yⱼ}
                 = e^{xᵢ + R(ln g⁺ − y)ᵢ} − e^{xᵢ + R(ln g⁻ − y)ᵢ},  R the reversed logcumsumexp
    Numerics:    the forward is logaddexp.accumulate (no overflow), from PyTorch's start −∞
                 (so y₀ = −∞ ⊕ x₀ is +0.0 at x₀ = −0.0); the VJP splits g by sign and
                 stays in log space, as PyTorch does. Other array libraries (no accumulate in the
                 standard): a prefix scan of logaddexp in ⌈log₂ n⌉ whole-array steps
                 (ops/cumulative_standard.py). Complex x (values only: no complex gradient):
                 PyTorch's complex log-add-exp (binary.logaddexp_complex) applied in order
                 along the axis, one whole-array step per position, as PyTorch's scan.
    """

    name = "logcumsumexp"
    array_api = True
    text = ("yᵢ = ln Σ_{j ≤ i} e^{xⱼ}", "∂L/∂xᵢ = Σ_{j ≥ i} gⱼ e^{xᵢ − yⱼ}")
    latex = (r"y_i = \ln \sum_{j \le i} e^{x_j}", r"\frac{\partial L}{\partial x_i} = "
             r"\sum_{j \ge i} g_j e^{x_i - y_j}")
    explanation = "Each running log-sum-exp is a softmax-weighted average of its inputs' slopes."
    reference = staticmethod(lambda x, axis: xp.logaddexp.accumulate(x, axis))

    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        if is_foreign_array(x):
            y = _standard.logcumsumexp(x, axis) if x.size else B.copy(x)
        else:
            y = _accumulate_logaddexp(x, axis) if x.size else x.copy()
        y = _from_plus_zero(y)
        ctx.save(x, y)
        return y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        axis = ctx.axis
        if isinstance(g, Tensor):
            return _logcumsumexp_vjp_differentiable(g, x, y, axis)
        ns = namespace(g)
        out = 0.0
        with errstate(ns, divide="ignore", invalid="ignore"):
            for sign, part in ((1.0, g > 0), (-1.0, g < 0)):
                log_g = ns.where(part, _rounded(ns.log, ns.where(part, sign * g, 1.0)), -xp.inf)
                r = _flip(_logcumsumexp(_flip(log_g - y, axis), axis), axis)
                out = out + sign * _rounded(ns.exp, x + r)
        return out


def _rounded(fn, a):
    """``fn(a)`` (log or exp) correctly rounded for a float32 NumPy array, as PyTorch's CPU
    kernels give it: evaluated in float64 and rounded once (NumPy's own float32 SIMD log is up
    to an ulp off, which the difference of the two log-space halves of the VJP magnifies)."""
    if type(a) is xp.ndarray and a.dtype == xp.float32:
        return fn(a.astype(xp.float64)).astype(xp.float32)
    return fn(a)


def _logcumsumexp_vjp_differentiable(g, x, y, axis: int):
    """Σ_{j ≥ i} gⱼ e^{xᵢ − yⱼ} as a differentiable expression (create_graph=True): the n × n
    matrix of exponents, masked to j ≥ i before exponentiating (there xᵢ − yⱼ ≤ 0: no overflow).
    First-order backward uses the O(n) log-space form."""
    from .elementwise import exp, where
    from .movement import moveaxis
    n = x.shape[axis]
    xt = moveaxis(x, axis, -1)
    yt = moveaxis(y, axis, -1)
    gt = moveaxis(g, axis, -1)
    lead = tuple(xt.shape[:-1])
    upper = xp.triu(xp.ones((n, n), dtype=bool))
    exponent = where(upper, xt.reshape(lead + (n, 1)) - yt.reshape(lead + (1, n)), -xp.inf)
    terms = exp(exponent) * gt.reshape(lead + (1, n))
    return moveaxis(terms.sum(-1), -1, axis)


def _logcumsumexp(a, axis: int):
    if isinstance(a, Tensor):
        return logcumsumexp(a, axis)
    if is_foreign_array(a):
        return _standard.logcumsumexp(a, axis) if a.size else a
    return _accumulate_logaddexp(a, axis) if a.size else a


def _accumulate_logaddexp(a, axis: int):
    """NumPy's running logaddexp; float32 (and float16) accumulate in float64 and round once, as
    PyTorch's CPU scan does (its accumulator type for float is double)."""
    if a.dtype.kind == "c":        # PyTorch's complex log-add-exp, one step along the axis
        from .binary import logaddexp_complex

        out = xp.moveaxis(a.copy(), axis, 0)
        for i in range(1, out.shape[0]):
            out[i] = logaddexp_complex(xp, out[i - 1], out[i])
        return xp.moveaxis(out, 0, axis)
    if a.dtype.itemsize < 8 and a.dtype.kind == "f":
        return xp.logaddexp.accumulate(a, axis, dtype=xp.float64).astype(a.dtype)
    return xp.logaddexp.accumulate(a, axis)


def _dim(x, dim, name: str) -> int:
    ndim = max(x.ndim, 1)
    if not isinstance(dim, int) or not -ndim <= dim < ndim:
        raise IndexError(f"{name}: Dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def _scan(cls, name: str, input, dim, dtype=None):  # noqa: A002
    if not isinstance(input, Tensor):
        input = Tensor._make(input)
    axis = _dim(input, dim, name)
    if dtype is not None:
        input = input.to(dtype)
    elif dtype_kind(input._data.dtype) in "biu" and cls is not Logcumsumexp:
        input = input.to(xp.int64)
    if input.ndim == 0:
        return cls.apply(input.reshape(1), axis=0).reshape(())
    return cls.apply(input, axis=axis)


@tensor_method(inplace=True)
def cumsum(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002  (PyTorch's names)
    """Running sum along ``dim`` (integers and bools accumulate in int64, as in PyTorch)."""
    return _scan(Cumsum, "cumsum", input, dim, dtype)


@tensor_method(inplace=True)
def cumprod(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """Running product along ``dim``; the gradient is exact also where the input has zeros."""
    return _scan(Cumprod, "cumprod", input, dim, dtype)


@tensor_method
def logcumsumexp(input, dim: int) -> Tensor:  # noqa: A002
    """Running ln Σ exp along ``dim``, computed without overflow."""
    if dtype_kind(input._data.dtype) not in "fc":
        raise RuntimeError(f"logcumsumexp: expected a floating-point tensor, got {input.dtype}")
    return _scan(Logcumsumexp, "logcumsumexp", input, dim)


def _running_extremum(kind: str, input, dim: int):  # noqa: A002
    axis = _dim(input, dim, "cum" + kind)
    if input.ndim and input.numel():    # (PyTorch answers a 0-d or empty complex tensor)
        refuse_complex("cum" + kind, input, reason=ORDER)
    x = input if input.ndim else input.reshape(1)
    data = x._data
    like = data
    if type(data) is not xp.ndarray and is_foreign_array(data):
        # the standard has no running maximum: the indices (data-dependent index work) are
        # found on the host, then moved; the values are gathered in the input's library
        data = B.to_numpy(data)
    accumulate = xp.maximum.accumulate if kind == "max" else xp.minimum.accumulate
    if data.size == 0:
        indices = xp.zeros(data.shape, dtype=xp.int64)
    else:
        running = accumulate(data, axis)
        # a position holds the running extreme if it equals it (ties: the later index, as PyTorch);
        # from the first NaN on, the value is NaN and the index the latest NaN's
        nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, bool)
        seen_nan = xp.logical_or.accumulate(nan, axis)
        here = ((data == running) & ~seen_nan) | nan
        shape = [1] * data.ndim
        shape[axis] = data.shape[axis]
        positions = xp.arange(data.shape[axis]).reshape(shape)
        indices = xp.maximum.accumulate(xp.where(here, positions, 0), axis)
        last_nan = xp.maximum.accumulate(xp.where(nan, positions, 0), axis)
        indices = xp.where(seen_nan, last_nan, indices).astype(xp.int64)
    index = Tensor._from_op(B.asarray_like(indices, like), None)
    values = take_along_dim(x, index, axis)
    if input.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    return getattr(return_types, "cum" + kind)(values, index)


@tensor_method
def cummax(input, dim: int):  # noqa: A002
    """(values, indices) of the running maximum along ``dim``; ties take the later index and a
    NaN propagates (PyTorch's rules). The gradient goes to the element each value came from."""
    return _running_extremum("max", input, dim)


@tensor_method
def cummin(input, dim: int):  # noqa: A002
    """(values, indices) of the running minimum along ``dim`` (see :func:`cummax`)."""
    return _running_extremum("min", input, dim)
