"""The arithmetic primitives: add, subtract, multiply, divide, negative, power.

Each broadcasts as NumPy does; the engine sums each gradient back to its operand's shape.
"""
from __future__ import annotations

from ..autograd.function import Function, primitive
from ..backend import get_default_dtype, namespace, xp
from ..tensor import Tensor


@primitive
class Add(Function):
    """Elementwise sum.

    Forward:     z = x + y
    Derivative:  ∂z/∂x = 1,  ∂z/∂y = 1
    VJP:         ∂L/∂x = g,  ∂L/∂y = g   (summed over broadcast axes by the engine)
    Numerics:    exact up to rounding of the sum.
    """

    name = "add"
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
    text = ("z = x · y", "∂z/∂x = y,  ∂z/∂y = x")
    latex = (r"z = x \cdot y",
             r"\frac{\partial z}{\partial x} = y,\quad \frac{\partial z}{\partial y} = x")
    explanation = "The product rule: each factor's gradient is the gradient times the other factor."
    reference = staticmethod(xp.multiply)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
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
    VJP:         ∂L/∂x = g / y,  ∂L/∂y = −g · x / y²
    Numerics:    y = 0 gives ±inf or nan, as IEEE division does.
    """

    name = "divide"
    text = ("z = x / y", "∂z/∂x = 1/y,  ∂z/∂y = −x/y²")
    latex = (r"z = \frac{x}{y}",
             r"\frac{\partial z}{\partial x} = \frac{1}{y},\quad \frac{\partial z}{\partial y} = "
             r"-\frac{x}{y^2}")
    explanation = "The quotient rule; the divisor's gradient falls as 1/y²."
    domain = "nonzero"
    reference = staticmethod(xp.divide)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return x / y

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        need_x, need_y = ctx.needs_input_grad
        gx = g / y if need_x else None
        gy = -g * x / (y * y) if need_y else None
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
    Numerics:    as PyTorch: ∂z/∂x is 0 where y = 0 (even at x = 0), and ∂z/∂y is 0 where
                 x = 0 and y ≥ 0 (the limit of xʸ ln x), instead of nan.
    Kinks:       none for x > 0; the real power of a negative base is only defined for integer y.
    """

    name = "power"
    text = ("z = xʸ", "∂z/∂x = y·xʸ⁻¹,  ∂z/∂y = xʸ·ln x")
    latex = (r"z = x^{y}",
             r"\frac{\partial z}{\partial x} = y\,x^{y-1},\quad \frac{\partial z}{\partial y} = "
             r"x^{y}\ln x")
    explanation = "The power rule for the base and the exponential rule for the exponent."
    domain = "positive"
    reference = staticmethod(xp.power)

    @staticmethod
    def forward(ctx, x, y):
        z = x ** y
        ctx.save(x, y, z)
        return z

    @staticmethod
    def vjp(ctx, g):
        x, y, z = ctx.saved
        ns = namespace(g)
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:
            if isinstance(y, (int, float)):     # the common x**2, x**0.5: no masks needed
                gx = g * y * x ** (y - 1) if y != 0 else g * 0.0
            else:
                gx = ns.where(y == 0, 0.0, g * y * x ** (y - 1))
        if need_y:
            zero = (x == 0) & (y >= 0)
            safe_x = ns.where(zero, 1.0, x)
            gy = ns.where(zero, 0.0, g * z * ns.log(safe_x))
        return gx, gy


def _promote(x, y, true_division: bool = False):
    """PyTorch's type promotion where it differs from NumPy's: an integer tensor combined with a
    Python float (or divided) gives the default float dtype (float32), not float64."""
    xi = isinstance(x, Tensor) and x.data.dtype.kind in "biu"
    yi = isinstance(y, Tensor) and y.data.dtype.kind in "biu"
    if not (xi or yi):
        return x, y
    dtype = get_default_dtype()
    if true_division or (xi and type(y) is float) or (yi and type(x) is float):
        x = x.astype(dtype) if xi else x
        y = y.astype(dtype) if yi else y
    return x, y


def add(x, y):
    return Add.apply(*_promote(x, y))


def subtract(x, y):
    return Subtract.apply(*_promote(x, y))


def multiply(x, y):
    return Multiply.apply(*_promote(x, y))


def divide(x, y):
    x, y = _promote(x, y, true_division=not (_is_float(x) or _is_float(y)))
    return Divide.apply(x, y)


def _is_float(v) -> bool:
    if isinstance(v, Tensor):
        return v.data.dtype.kind in "fc"
    kind = getattr(getattr(v, "dtype", None), "kind", None)
    return isinstance(v, float) or kind in ("f", "c")


def negative(x):
    return Negative.apply(x)


def power(x, y):
    return Power.apply(*_promote(x, y))
