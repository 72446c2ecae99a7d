"""Rounded division and the two remainders: ``div(rounding_mode=)``, ``floor_divide`` (``//``),
``remainder`` (``%``, Python's sign rule) and ``fmod`` (C's sign rule).

Integer operands keep their dtype; an integer division by zero raises, as in PyTorch.

Arrays of other libraries use the array API standard's floor_divide, remainder, trunc and
copysign; fmod, which the standard lacks, is sign(x)·remainder(|x|, |y|) for floats (exact: the
remainder of two non-negative numbers is their fmod) and x − trunc(x / y)·y for integers.
"""
from __future__ import annotations

from ..autograd.function import Function, primitive
from ..backend import array_namespace, astype, dtype_kind, errstate, is_foreign_array, namespace, xp
from ..tensor import Tensor, tensor_method
from .arithmetic import add, divide, multiply, subtract
from .promotion import no_bool, promote


def _check_integer_zero(name: str, y) -> None:
    if is_foreign_array(y):
        if dtype_kind(y.dtype) in "biu" and bool(namespace(y).any(y == 0)):
            raise RuntimeError(f"{name}: ZeroDivisionError (integer division by zero)")
        return
    y = xp.asarray(y)
    if y.dtype.kind in "biu" and (y == 0).any():
        raise RuntimeError(f"{name}: ZeroDivisionError (integer division by zero)")


def _as_arrays(ns, x, y):
    """x and y as arrays of ``ns``: a Python number takes the other operand's dtype (as NumPy's
    and PyTorch's promotion give it), since the standard's functions take arrays only."""
    if not hasattr(x, "dtype"):
        x = ns.asarray(x, dtype=y.dtype, device=y.device)
    if not hasattr(y, "dtype"):
        y = ns.asarray(y, dtype=x.dtype, device=x.device)
    return x, y


def _trunc_div(x, y):
    """Quotient rounded towards zero; exact for integers."""
    ns = array_namespace(x, y)
    if ns is not xp:
        x, y = _as_arrays(ns, x, y)
        if dtype_kind(ns.result_type(x, y)) in "biu":
            q = ns.floor_divide(x, y)
            return q + astype((q < 0) & (q * y != x), q.dtype)
        return ns.trunc(ns.divide(x, y))
    if xp.result_type(x, y).kind in "biu":
        q = xp.floor_divide(x, y)
        return q + ((q < 0) & (q * y != x))
    return xp.trunc(xp.true_divide(x, y))


def _fmod(x, y):
    """C's fmod: NumPy's, or for other array libraries the standard's functions (module doc)."""
    ns = array_namespace(x, y)
    if ns is xp:
        return xp.fmod(x, y)
    x, y = _as_arrays(ns, x, y)
    if dtype_kind(ns.result_type(x, y)) in "biu":
        return x - _trunc_div(x, y) * y
    return ns.copysign(ns.remainder(ns.abs(x), ns.abs(y)), x)


@primitive
class RoundedDivide(Function):
    """Division with the quotient rounded (``div(x, y, rounding_mode='trunc' | 'floor')``).

    Forward:     z = ⌊x / y⌋ (floor, as Python's //) or trunc(x / y) (towards zero)
    Derivative:  ∂z/∂x = 0,  ∂z/∂y = 0 (piecewise constant; PyTorch's convention at the jumps too)
    VJP:         ∂L/∂x = 0,  ∂L/∂y = 0
    Numerics:    floor mode is NumPy's floor_divide (Python's // on floats, exact near integers).
    """

    name = "div_rounded"
    array_api = True
    text = ("z = ⌊x / y⌋  or  trunc(x / y)", "∂z/∂x = 0,  ∂z/∂y = 0")
    latex = (r"z = \lfloor x / y \rfloor", r"\frac{\partial z}{\partial x} = 0,\quad "
             r"\frac{\partial z}{\partial y} = 0")
    explanation = "A rounded quotient is a staircase: flat almost everywhere, so no gradient."
    domain = "nonzero"
    reference = staticmethod(lambda x, y, mode="floor": xp.floor_divide(x, y) if mode == "floor"
                             else _trunc_div(x, y))

    @staticmethod
    def forward(ctx, x, y, mode="floor"):
        _check_integer_zero(f"div(rounding_mode={mode!r})", y)
        return array_namespace(x, y).floor_divide(x, y) if mode == "floor" else _trunc_div(x, y)

    @staticmethod
    def vjp(ctx, g):
        return g * 0, g * 0


@primitive
class Remainder(Function):
    """Remainder with the divisor's sign (Python's %): r = x − ⌊x / y⌋ · y.

    Forward:     r = x − ⌊x / y⌋ y
    Derivative:  ∂r/∂x = 1,  ∂r/∂y = −⌊x / y⌋
    VJP:         ∂L/∂x = g,  ∂L/∂y = −g ⌊x / y⌋
    Kinks:       r jumps where x / y is an integer; there PyTorch's formula above is used.
    Numerics:    as PyTorch, fmod(x, y) + y where it is nonzero and its sign is not y's: a zero
                 remainder keeps x's sign (−40 % 2.5 = −0; NumPy's remainder gives +0).
    """

    name = "remainder"
    array_api = True
    text = ("r = x − ⌊x / y⌋ y", "∂r/∂x = 1,  ∂r/∂y = −⌊x / y⌋")
    latex = (r"r = x - \lfloor x / y \rfloor\, y", r"\frac{\partial r}{\partial x} = 1,\quad "
             r"\frac{\partial r}{\partial y} = -\lfloor x / y \rfloor")
    explanation = "Between the jumps the remainder is x minus a fixed multiple of y."
    domain = "nonzero"
    reference = staticmethod(xp.remainder)

    @staticmethod
    def forward(ctx, x, y):
        _check_integer_zero("remainder", y)
        ctx.save(x, y)
        ns = array_namespace(x, y)
        if ns is not xp:
            x, y = _as_arrays(ns, x, y)
        if dtype_kind(ns.result_type(x, y)) != "f":
            return ns.remainder(x, y)
        with errstate(ns, invalid="ignore"):
            r = _fmod(x, y)
            return ns.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        return g, -g * namespace(g).floor_divide(x, y)


@primitive
class Fmod(Function):
    """Remainder with the dividend's sign (C's fmod): r = x − trunc(x / y) · y.

    Forward:     r = x − trunc(x / y) y
    Derivative:  ∂r/∂x = 1,  ∂r/∂y = −trunc(x / y)
    VJP:         ∂L/∂x = g,  ∂L/∂y = −g trunc(x / y)
    Kinks:       r jumps where x / y is an integer; there PyTorch's formula above is used.
    """

    name = "fmod"
    array_api = True
    text = ("r = x − trunc(x / y) y", "∂r/∂x = 1,  ∂r/∂y = −trunc(x / y)")
    latex = (r"r = x - \operatorname{trunc}(x / y)\, y", r"\frac{\partial r}{\partial x} = 1,"
             r"\quad \frac{\partial r}{\partial y} = -\operatorname{trunc}(x / y)")
    explanation = "Between the jumps fmod is x minus a fixed multiple of y, rounded towards zero."
    domain = "nonzero"
    reference = staticmethod(xp.fmod)

    @staticmethod
    def forward(ctx, x, y):
        _check_integer_zero("fmod", y)
        ctx.save(x, y)
        return _fmod(x, y)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        if isinstance(g, Tensor):
            return g, -g * divide(x, y, rounding_mode="trunc")
        return g, -g * _trunc_div(x, y)


@tensor_method(inplace=True)
def floor_divide(input, other):  # noqa: A002  (PyTorch's argument names)
    """``input // other``: the quotient rounded down (PyTorch's floor_divide)."""
    return divide(input, other, rounding_mode="floor")


@tensor_method(inplace=True)
def true_divide(dividend, divisor):
    """``dividend / divisor`` as true division (integers give the default float dtype)."""
    return divide(dividend, divisor)


@tensor_method(inplace=True)
def remainder(input, other):  # noqa: A002
    """Elementwise remainder with the sign of ``other`` (Python's ``%``)."""
    no_bool("remainder", input, other)
    return Remainder.apply(*promote(input, other)[0])


@tensor_method(inplace=True)
def fmod(input, other):  # noqa: A002
    """Elementwise remainder with the sign of ``input`` (C's ``fmod``)."""
    no_bool("fmod", input, other)
    return Fmod.apply(*promote(input, other)[0])


@tensor_method(name="__mod__")
def _mod(self, other):
    return remainder(self, other)


@tensor_method(name="__rmod__")
def _rmod(self, other):
    return remainder(other, self)


@tensor_method(name="__imod__")
def _imod(self, other):
    return self._inplace(remainder, other)


@tensor_method(name="__floordiv__")
def _floordiv(self, other):
    return floor_divide(self, other)


@tensor_method(name="__rfloordiv__")
def _rfloordiv(self, other):
    return floor_divide(other, self)


@tensor_method(name="__ifloordiv__")
def _ifloordiv(self, other):
    return self._inplace(floor_divide, other)


# ------------------------------------------------------------------ methods of the arithmetic ops
tensor_method(add, inplace=True)
tensor_method(subtract, inplace=True)
tensor_method(subtract, name="sub", inplace=True)
tensor_method(multiply, inplace=True)
tensor_method(multiply, name="mul", inplace=True)
tensor_method(divide, inplace=True)
tensor_method(divide, name="div", inplace=True)
