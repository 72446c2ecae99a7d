"""The arithmetic primitives: add, subtract, multiply, divide, negative, power.

Each broadcasts as NumPy does; the engine sums each gradient back to its operand's shape.
"""
from __future__ import annotations

from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, errstate, namespace, xp
from ..tensor import Tensor
from .promotion import no_bool, promote


@primitive
class Add(Function):
    """Elementwise sum.

    Forward:     z = x + y
    Derivative:  ∂z/∂x = 1,  ∂z/∂y = 1
    VJP:         ∂L/∂x = g,  ∂L/∂y = g   (summed over broadcast axes by the engine)
    Numerics:    exact up to rounding of the sum.
    """

    name = "add"
    array_api = True
    complex_grad = "real_linear"
    text = ("z = x + y", "∂z/∂x = 1,  ∂z/∂y = 1")
    latex = (r"z = x + y",
             r"\frac{\partial z}{\partial x} = 1,\quad \frac{\partial z}{\partial y} = 1")
    explanation = "Addition passes the incoming gradient unchanged to both operands."
    reference = staticmethod(xp.add)

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def vjp(ctx, g):
        return g, g


@primitive
class Subtract(Function):
    """Elementwise difference.

    Forward:     z = x − y
    Derivative:  ∂z/∂x = 1,  ∂z/∂y = −1
    VJP:         ∂L/∂x = g,  ∂L/∂y = −g
    Numerics:    exact up to rounding of the difference.
    """

    name = "subtract"
    array_api = True
    complex_grad = "real_linear"
    text = ("z = x − y", "∂z/∂x = 1,  ∂z/∂y = −1")
    latex = (r"z = x - y",
             r"\frac{\partial z}{\partial x} = 1,\quad \frac{\partial z}{\partial y} = -1")
    explanation = "Subtraction passes the gradient to x and its negative to y."
    reference = staticmethod(xp.subtract)

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def vjp(ctx, g):
        return g, -g


@primitive
class Multiply(Function):
    """Elementwise product.

    Forward:     z = x · y
    Derivative:  ∂z/∂x = y,  ∂z/∂y = x
    VJP:         ∂L/∂x = g · y,  ∂L/∂y = g · x
    Numerics:    exact up to rounding of the product.
    """

    name = "multiply"
    array_api = True
    complex_grad = "holomorphic"
    text = ("z = x · y", "∂z/∂x = y,  ∂z/∂y = x")
    latex = (r"z = x \cdot y",
             r"\frac{\partial z}{\partial x} = y,\quad \frac{\partial z}{\partial y} = x")
    explanation = "The product rule: each factor's gradient is the gradient times the other factor."
    reference = staticmethod(xp.multiply)

    @staticmethod
    def forward(ctx, x, y):
        # x is needed only for y's gradient and y only for x's: saving just those keeps an
        # in-place change of a constant factor's partner (z[:, 1] = y after y = z[:, 2] * 2)
        # from being refused, as in PyTorch
        a, b = ctx.inputs
        ctx.save(x if isinstance(b, Tensor) and b.requires_grad else None,
                 y if isinstance(a, Tensor) and a.requires_grad else None)
        return x * y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        need_x, need_y = ctx.needs_input_grad
        return (g * y if need_x else None), (g * x if need_y else None)


@primitive
class Divide(Function):
    """Elementwise quotient.

    Forward:     z = x / y
    Derivative:  ∂z/∂x = 1/y,  ∂z/∂y = −x/y²
    VJP:         ∂L/∂x = g / y,  ∂L/∂y = −g · (x/y)/y
    Numerics:    y = 0 gives ±inf or nan, as IEEE division does. x/y² is taken as (x/y)/y,
                 as PyTorch's div backward: y² would overflow for |y| > 1e154 (float64) and
                 give 0 where the true value is finite (x = y = 1e200: −1e−200, not −0).
    """

    name = "divide"
    array_api = True
    complex_grad = "holomorphic"
    text = ("z = x / y", "∂z/∂x = 1/y,  ∂z/∂y = −x/y²")
    latex = (r"z = \frac{x}{y}",
             r"\frac{\partial z}{\partial x} = \frac{1}{y},\quad \frac{\partial z}{\partial y} = "
             r"-\frac{x}{y^2}")
    explanation = "The quotient rule; the divisor's gradient falls as 1/y²."
    domain = "nonzero"
    reference = staticmethod(xp.divide)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x if ctx.needs(1) else None, y)    # x only for the divisor's gradient
        return x / y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        need_x, need_y = ctx.needs_input_grad
        gx = g / y if need_x else None
        gy = -g * (x / y / y) if need_y else None
        return gx, gy


@primitive
class Negative(Function):
    """Elementwise negation.

    Forward:     y = −x
    Derivative:  ∂y/∂x = −1
    VJP:         ∂L/∂x = −g
    Numerics:    exact.
    """

    name = "negative"
    array_api = True
    complex_grad = "real_linear"
    text = ("y = −x", "∂y/∂x = −1")
    latex = (r"y = -x", r"\frac{\partial y}{\partial x} = -1")
    explanation = "Negation flips the sign of the gradient."
    reference = staticmethod(xp.negative)

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def vjp(ctx, g):
        return -g


@primitive
class Power(Function):
    """Elementwise power.

    Forward:     z = xʸ
    Derivative:  ∂z/∂x = y·xʸ⁻¹,  ∂z/∂y = xʸ·ln x
    VJP:         ∂L/∂x = g·y·xʸ⁻¹,  ∂L/∂y = g·z·ln x
    Numerics:    as PyTorch: ∂L/∂x is 0 where y = 0 (even at x = 0, where 0⁰ = 1, and for an
                 infinite or NaN g), and the slope ∂z/∂y is 0 where x = 0 and y ≥ 0 (the limit
                 of xʸ ln x) instead of nan, then times g (NaN for an infinite g, as PyTorch;
                 g·(z·ln x) in PyTorch's order, which rounds as PyTorch at a subnormal base).
                 At x = 0 the values PyTorch gives arise without a warning: 0ʸ = ∞ for y < 0,
                 ∂z/∂x = ∞ for 0 < y < 1, nan for a negative base to a fractional power. A number
                 exponent of ½ or −½ is PyTorch's √x or 1/√x (in the forward and in the
                 xʸ⁻¹ of the VJP), which differ from the power at −0 and −∞: (−0)^(−½) = −∞,
                 (−∞)^(±½) = nan.
    Kinks:       none for x > 0; the real power of a negative base is only defined for integer y.
    """

    name = "power"
    array_api = True
    complex_grad = "holomorphic"
    text = ("z = xʸ", "∂z/∂x = y·xʸ⁻¹,  ∂z/∂y = xʸ·ln x")
    latex = (r"z = x^{y}",
             r"\frac{\partial z}{\partial x} = y\,x^{y-1},\quad \frac{\partial z}{\partial y} = "
             r"x^{y}\ln x")
    explanation = "The power rule for the base and the exponential rule for the exponent."
    domain = "positive"
    reference = staticmethod(xp.power)

    @staticmethod
    def forward(ctx, x, y):
        with errstate(array_namespace(x, y), divide="ignore", invalid="ignore"):  # 0⁻¹, (−1)^½
            z = _scalar_power(x, y)
        ctx.save(x, y, z)
        return z

    @staticmethod
    def vjp(ctx, g):
        x, y, z = ctx.saved
        ns = namespace(g)
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        # at x = 0 the rules meet 0⁻¹ = ∞ and 0·∞ (masked below): PyTorch's values, no warning
        with errstate(ns, divide="ignore", invalid="ignore"):
            # as PyTorch's pow_backward: the slope first, times g once; where y = 0 the base's
            # gradient is selected 0 (0 for an infinite or NaN g too), while the exponent's is
            # g times a slope of 0 (NaN for an infinite or NaN g, as in PyTorch)
            if need_x:
                if isinstance(y, (int, float)):     # the common x**2, x**0.5: no masks needed
                    gx = g * (y * _scalar_power(x, y - 1)) if y != 0 else ns.zeros_like(g)
                else:
                    gx = ns.where(y == 0, 0.0, g * (y * x ** (y - 1)))
            if need_y:
                zero = (x == 0) & _nonnegative_real(y)
                if ns is not xp and isinstance(x, (int, float)) and not isinstance(g, Tensor):
                    # the standard's where takes one Python number at most: a number base as
                    # the float64 array NumPy makes of it
                    x = ns.asarray(float(x), dtype=ns.float64, device=zero.device)
                safe_x = ns.where(zero, 1.0, x)
                gy = g * ns.where(zero, 0.0, z * ns.log(safe_x))
        return gx, gy


def _nonnegative_real(y):
    """y ≥ 0, for a complex exponent: real and ≥ 0 (where 0ʸ has a zero slope in y, as in
    PyTorch's pow backward)."""
    if isinstance(y, complex):
        return y.imag == 0 and y.real >= 0
    if dtype_kind(getattr(y, "dtype", xp.dtype(float))) != "c":
        return y >= 0
    ns = namespace(y)
    return (ns.real(y) >= 0) & (ns.imag(y) == 0)


def _scalar_power(x, y):
    """x ** y, where a number exponent ½ or −½ is √x or 1/√x as in PyTorch's pow kernel (its
    answers at −0 and −∞ differ from the power's: √−0 = −0, 1/√−0 = −∞, √−∞ = nan)."""
    if isinstance(y, (int, float)) and y in (0.5, -0.5) and dtype_kind(x.dtype) in "fc":
        root = namespace(x).sqrt(x)
        return root if y == 0.5 else 1 / root
    return x ** y


def _promote(*operands, floating: bool = False):
    """The operands cast to PyTorch's result dtype (see :mod:`chainrule.ops.promotion`).

    The common cases need no cast and are answered first (this runs on every operator call):
    two tensors of one dtype, and a floating-point tensor with a Python number.
    """
    if len(operands) == 2:
        x, y = operands
        if isinstance(x, Tensor):
            kind = dtype_kind(x._data.dtype)
            if isinstance(y, Tensor):
                if x._data.dtype == y._data.dtype and (kind in "fc" or not floating):
                    return operands
            elif kind == "f" and type(y) in (float, int):
                return operands
        elif isinstance(y, Tensor) and dtype_kind(y._data.dtype) == "f" and type(x) in (float, int):
            return operands
    return promote(*operands, floating=floating)[0]


def add(input, other, *, alpha=1):  # noqa: A002  (PyTorch's argument names)
    """``input + alpha · other`` with PyTorch's type promotion (``out=``: chainrule.add,
    ops/out_argument.py)."""
    x, y = _promote(input, other)
    if alpha != 1:
        y = multiply(y, alpha)
    return Add.apply(x, y)


def subtract(input, other, *, alpha=1):  # noqa: A002
    """``input − alpha · other`` with PyTorch's type promotion."""
    if any(isinstance(v, bool) or (isinstance(v, Tensor) and v._data.dtype == bool)
           for v in (input, other)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    x, y = _promote(input, other)
    if alpha != 1:
        y = y * alpha if type(y) in (int, float) else multiply(y, alpha)
    return Subtract.apply(x, y)


def multiply(input, other):  # noqa: A002
    return Multiply.apply(*_promote(input, other))


def divide(input, other, *, rounding_mode=None):  # noqa: A002
    """``input / other``: true division (integers give the default float dtype) when
    ``rounding_mode`` is None; ``'trunc'`` rounds the quotient towards zero, ``'floor'`` down
    (both keep integer dtypes, and carry a zero gradient)."""
    if rounding_mode is None:
        return Divide.apply(*_promote(input, other, floating=True))
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found {rounding_mode!r}")
    from .division import RoundedDivide
    no_bool(f"div(rounding_mode={rounding_mode!r})", input, other)
    return RoundedDivide.apply(*_promote(input, other), mode=rounding_mode)


def no_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(f"{name}: the out= argument is not supported by chainrule; assign the "
                        "result instead")


def negative(x):
    return Negative.apply(x)


def power(x, y):
    if all(isinstance(v, Tensor) and v._data.dtype == bool for v in (x, y)):
        no_bool("pow", x, y)
    negative = _negative_int(y)
    (x, y), dtype = promote(x, y)
    if dtype.kind in "iu" and negative:
        if not isinstance(y, Tensor):       # a number: PyTorch refuses it
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _integer_power(x, y)
    if dtype.kind == "b":                           # b ** e is b or not e
        raw = [v._data if isinstance(v, Tensor) else v for v in (x, y)]
        return Tensor._from_op(xp.asarray(xp.logical_or(raw[0], xp.logical_not(raw[1]))), None)
    return Power.apply(x, y)


def _integer_power(x, y):
    """bᵉ of integer tensors with some e < 0, as PyTorch's: there 1 for b = 1, ±1 for b = −1
    (the sign of (−1)ᵉ), 0 otherwise; bᵉ elsewhere (no gradient: integers)."""
    e = y._data                                    # (the exponent is a tensor here)
    b = x._data if isinstance(x, Tensor) else x
    ns = namespace(e)
    positive = b ** ns.where(e < 0, ns.zeros_like(e), e)
    one = ns.ones_like(positive)
    at_negative = ns.where(b == 1, one, ns.where(b == -1, ns.where(e % 2 == 0, one, -one),
                                                ns.zeros_like(positive)))
    return Tensor._from_op(ns.where(e < 0, at_negative, positive), None)


def _negative_int(y) -> bool:
    data = y._data if isinstance(y, Tensor) else y
    array = xp.asarray(data)
    return dtype_kind(array.dtype) in "iu" and bool((array < 0).any())
