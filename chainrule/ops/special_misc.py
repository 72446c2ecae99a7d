"""Entropy-type special functions and the floating-point utilities:
``torch.special.entr``, ``torch.special.xlog1py``, ``torch.frexp``, ``torch.ldexp`` and
``torch.nextafter`` (with their Tensor methods).

- **entr**: −x ln x for x > 0, 0 at 0, −inf for x < 0 (NaN stays NaN), PyTorch's definition.
- **xlog1py**: x·ln(1 + y), 0 where x = 0 unless y is NaN (the xlogy convention).
- **frexp**: (mantissa, exponent) with x = mantissa·2^exponent, |mantissa| in [½, 1), exponent
  int32; (±0, 0), (±inf, 0) and (NaN, 0) for those, as PyTorch (NumPy's frexp).
- **ldexp**: x·2^other — for an integer ``other`` exactly, as C's ldexp (other taken as int32,
  as PyTorch does), for a floating one as the product x·2^other.
- **nextafter**: the next representable number after x towards y (NumPy's / the array API
  standard's nextafter).

These are computed with the array API standard's functions where it has them (entr, xlog1py,
nextafter, ldexp of a floating exponent), by a host round trip elsewhere (frexp, ldexp of an
integer exponent).
"""
from __future__ import annotations

import math

from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    astype,
    dtype_kind,
    errstate,
    get_default_dtype,
    namespace,
    numpy_dtype,
    xp,
)
from ..tensor import Tensor, tensor_method
from .promotion import promote, result_type, to_float
from .special_common import TORCH_NAMES, binary_operands, on_host

_LN2 = math.log(2.0)


# ------------------------------------------------------------------ entr
def _entr_array(x):
    ns = array_namespace(x)
    with errstate(ns, divide="ignore", invalid="ignore"):
        out = -x * ns.log(x)
        out = ns.where(x == 0, ns.zeros_like(x), out)
        out = ns.where(x < 0, ns.full_like(x, -math.inf), out)
    return out


@primitive
class Entr(Function):
    """The elementwise entropy term −x ln x.

    Forward:     y = −x ln x for x > 0;  0 at x = 0;  −inf for x < 0
    Derivative:  ∂y/∂x = −(1 + ln x)
    VJP:         ∂L/∂x = g · (−(1 + ln x)), PyTorch's: +inf·g at x = 0, NaN for x < 0
    Numerics:    direct; NaN stays NaN. The derivative is unbounded at 0 (tests draw x > 0).
    """

    name = "entr"
    array_api = True
    text = ("y = −x ln x  (0 at x = 0, −inf for x < 0)", "∂y/∂x = −(1 + ln x)")
    latex = (r"y = -x \ln x", r"\frac{\partial y}{\partial x} = -(1 + \ln x)")
    explanation = "The contribution of one probability to an entropy; its slope is −(1 + ln x)."
    domain = "positive"
    reference = staticmethod(_entr_array)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return _entr_array(x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        ns = namespace(g)
        with errstate(ns, divide="ignore", invalid="ignore"):
            return g * (-(1 + ns.log(x)))


def entr(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """−x ln x elementwise (0 at 0, −inf below); see :class:`Entr`."""
    return Entr.apply(to_float(input))


# ------------------------------------------------------------------ xlog1py
def _xlog1py_array(x, y):
    ns = array_namespace(x, y)
    with errstate(ns, divide="ignore", invalid="ignore"):
        out = x * ns.log1p(y)
    if ns is xp:
        return xp.where((x == 0) & ~xp.isnan(y), 0.0, out).astype(out.dtype, copy=False)
    return ns.where((x == 0) & ~ns.isnan(y), ns.zeros_like(out), out)


@primitive
class Xlog1py(Function):
    """x · ln(1 + y), with 0 where x = 0 (unless y is NaN).

    Forward:     z = x ln(1 + y)   (z = 0 where x = 0 and y is not NaN)
    Derivative:  ∂z/∂x = ln(1 + y),  ∂z/∂y = x / (1 + y)
    VJP:         ∂L/∂x = xlog1py(g, y), 0 where x = 0 and y ≤ −1;  ∂L/∂y = g x / (y + 1)
                 (PyTorch's)
    Numerics:    log1p keeps ln(1 + y) accurate for small y; the convention 0·ln 0 = 0 as xlogy.
    """

    name = "xlog1py"
    array_api = True
    text = ("z = x ln(1 + y)   (0 where x = 0)", "∂z/∂x = ln(1 + y),  ∂z/∂y = x / (1 + y)")
    latex = (r"z = x \ln(1 + y)", r"\frac{\partial z}{\partial x} = \ln(1+y),\quad "
             r"\frac{\partial z}{\partial y} = \frac{x}{1+y}")
    explanation = "xlogy shifted by one: a product with ln(1 + y), with 0·ln 0 taken as 0."
    domain = "positive"
    reference = staticmethod(_xlog1py_array)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return _xlog1py_array(x, y)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        ns = namespace(g)
        gx = Xlog1py.apply(g, y) if isinstance(g, Tensor) else _xlog1py_array(g, y)
        gx = ns.where((x == 0) & (y <= -1), ns.zeros_like(gx), gx)
        with errstate(ns, divide="ignore", invalid="ignore"):
            return gx, g * x / (y + 1)


def xlog1py(input, other) -> Tensor:  # noqa: A002
    """input · ln(1 + other), 0 where input = 0 (either may be a Python number); see
    :class:`Xlog1py`."""
    return Xlog1py.apply(*binary_operands("special_xlog1py", input, other, scalars=True))


# ------------------------------------------------------------------ frexp
def _frexp_pair(x):
    mantissa, exponent = xp.frexp(x)                      # (scalars for a 0-d x: arrays again)
    return xp.asarray(mantissa), xp.asarray(exponent).astype(xp.int32, copy=False)


def _mantissa(x):
    return _frexp_pair(x)[0]


@primitive
class Frexp(Function):
    """The mantissa of x = m · 2^e (``frexp``'s first output; the exponent is an integer tensor
    beside it, outside the graph).

    Forward:     m = x / 2^e,  e = ⌊log₂|x|⌋ + 1, so ½ ≤ |m| < 1 (m = x, e = 0 for 0, ±inf, NaN)
    Derivative:  ∂m/∂x = 2^{−e}  (e is piecewise constant)
    VJP:         ∂L/∂x = g / 2^e, with 2^e computed from the int32 exponent in the default float
                 dtype, as PyTorch's grad / exponent.exp2() (so 0 for e ≥ 128 and inf for
                 e ≤ −150 in float32)
    Numerics:    exact (NumPy's frexp). Other array libraries: a host round trip.
    """

    name = "frexp"
    array_api = True
    text = ("m = x / 2^e,  ½ ≤ |m| < 1", "∂m/∂x = 2^{−e}")
    latex = (r"m = x\, 2^{-e},\quad \tfrac12 \le |m| < 1",
             r"\frac{\partial m}{\partial x} = 2^{-e}")
    explanation = "Within one binade the mantissa is x scaled by a constant power of two."
    reference = staticmethod(lambda x, exponent=None: xp.frexp(x)[0])

    @staticmethod
    def forward(ctx, x, exponent=None):
        ctx.save(exponent)
        return on_host(_mantissa, x)

    @staticmethod
    def vjp(ctx, g):
        (exponent,) = ctx.saved
        ns = namespace(g)
        with errstate(ns, over="ignore", divide="ignore"):
            return g / (2.0 ** astype(exponent, get_default_dtype()))


def frexp(input) -> tuple:  # noqa: A002
    """(mantissa, exponent) with input = mantissa · 2^exponent, ½ ≤ |mantissa| < 1 (a named tuple
    ``torch.return_types.frexp``; exponent int32); differentiable in the mantissa."""
    if dtype_kind(input._data.dtype) != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    from .. import return_types

    exponent = on_host(_frexp_pair, input._data)[1]
    mantissa = Frexp.apply(input, exponent=exponent)
    return return_types.frexp(mantissa, Tensor._from_op(exponent, None))


Tensor.frexp = frexp


# ------------------------------------------------------------------ ldexp
def _ldexp_int(x, e):
    return xp.ldexp(x, e.astype(xp.int32))          # (wraps as PyTorch's cast to int)


def _ldexp_array(x, e):
    if dtype_kind(e.dtype) in "biu":
        return on_host(_ldexp_int, x, e)
    return x * 2.0 ** e


@primitive
class Ldexp(Function):
    """x · 2^other (``torch.ldexp``).

    Forward:     y = x · 2ⁿ, n = other: for an integer n exactly (C's ldexp; no overflow of 2ⁿ
                 alone), for a floating n the product x·2ⁿ
    Derivative:  ∂y/∂x = 2ⁿ,  ∂y/∂n = x 2ⁿ ln 2  (floating n only)
    VJP:         ∂L/∂x = g · 2ⁿ;  ∂L/∂n = g · x · 2ⁿ · ln 2
    Numerics:    PyTorch 2.13 computes ∂L/∂x for an integer n as g·pow(2, n) in integer
                 arithmetic: 0 for n < 0 and wrapped for n ≥ 63; chainrule gives the true 2ⁿ.
    """

    name = "ldexp"
    array_api = True
    text = ("y = x · 2ⁿ", "∂y/∂x = 2ⁿ,  ∂y/∂n = x 2ⁿ ln 2")
    latex = (r"y = x \cdot 2^{n}", r"\frac{\partial y}{\partial x} = 2^{n},\quad "
             r"\frac{\partial y}{\partial n} = x\, 2^{n} \ln 2")
    explanation = "Scaling by a power of two: exact for an integer power."
    reference = staticmethod(_ldexp_array)

    @staticmethod
    def forward(ctx, x, e):
        ctx.save(x, e)
        with errstate(array_namespace(x, e), over="ignore", under="ignore", invalid="ignore"):
            return _ldexp_array(x, e)

    @staticmethod
    def vjp(ctx, g):
        x, e = ctx.saved
        ns = namespace(g)
        with errstate(ns, over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            if dtype_kind(e.dtype) in "biu":
                scale = 2.0 ** astype(e, numpy_dtype(g.dtype))
                return g * scale, None
            scale = 2.0 ** e
            return g * scale, g * x * scale * _LN2


@tensor_method(inplace=True)
def ldexp(input, other) -> Tensor:  # noqa: A002
    """input · 2^other (both Tensors); integer inputs become the default float dtype; see
    :class:`Ldexp`."""
    for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"ldexp(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")
    dtype = numpy_dtype(result_type(input, other))
    if dtype.kind == "c":       # PyTorch's input · pow(2, other), in complex arithmetic
        return input * (2.0 ** other)
    if dtype.kind != "f":
        dtype = get_default_dtype()
    if dtype_kind(input._data.dtype) == "f" and dtype_kind(other._data.dtype) == "b":
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    if dtype_kind(other._data.dtype) == "f" and numpy_dtype(other.dtype) != dtype:
        # PyTorch computes input · pow(2, other): the power rounded to other's narrower dtype
        return input * (2.0 ** other)
    from .promotion import cast

    return Ldexp.apply(cast(input, dtype), other)


def ldexp_(input, other) -> Tensor:  # noqa: A002
    """``torch.ldexp_(input, other)``: :meth:`Tensor.ldexp_` (in place; returns input)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"ldexp_(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.ldexp_(other)


# ------------------------------------------------------------------ nextafter
@primitive
class Nextafter(Function):
    """The next floating-point number after x in the direction of y.

    Forward:     z = nextafter(x, y)   (x itself where x = y)
    Derivative:  ∂z/∂x = 1,  ∂z/∂y = 0   (PyTorch's: z is x moved by one unit in the last place)
    VJP:         ∂L/∂x = g;  ∂L/∂y = 0
    Numerics:    exact (the array API standard's nextafter).
    """

    name = "nextafter"
    array_api = True
    text = ("z = nextafter(x, y)", "∂z/∂x = 1,  ∂z/∂y = 0")
    latex = (r"z = \operatorname{nextafter}(x, y)", r"\frac{\partial z}{\partial x} = 1,\quad "
             r"\frac{\partial z}{\partial y} = 0")
    explanation = "One step of one ulp: locally the identity in x, flat in y."
    reference = staticmethod(xp.nextafter)

    @staticmethod
    def forward(ctx, x, y):
        return array_namespace(x, y).nextafter(x, y)

    @staticmethod
    def vjp(ctx, g):
        return g, namespace(g).zeros_like(g)


@tensor_method(inplace=True)
def nextafter(input, other) -> Tensor:  # noqa: A002
    """The next representable number after input towards other (both Tensors, of floating
    dtypes after promotion); see :class:`Nextafter`."""
    for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"nextafter(): argument '{arg}' (position {position}) must be "
                            f"Tensor, not {type(value).__name__}")
    (x, y), dtype = promote(input, other)
    if numpy_dtype(dtype).kind != "f":
        name = TORCH_NAMES.get(numpy_dtype(dtype).name, numpy_dtype(dtype).name)
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{name}'")
    return Nextafter.apply(x, y)
