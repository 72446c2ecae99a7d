"""Elementwise functions of one variable: trigonometric and hyperbolic functions and their
inverses, exp2/expm1/log2/log10/log1p, rsqrt/reciprocal, erfc/erfinv, and the rounding functions.

Each is a primitive defined by one row of :func:`_define`: the forward on arrays, the derivative
written with the saved input x, the saved output y and the upstream gradient g (with functions of
``namespace(g)``, so that it also runs on Tensors for higher derivatives), and its mathematics.
The rounding functions (floor, ceil, trunc, round, sign, sgn) are piecewise constant: PyTorch
gives them a zero gradient (not None), and so does chainrule.

Integer and bool tensors are converted to the default float dtype first by the functions whose
values are not integers (``sin(int_tensor)`` is float32, as in PyTorch); the rounding functions
keep integer dtypes.
"""
from __future__ import annotations

import math

from ..autograd.function import Function, primitive
from ..backend import array_namespace, namespace, special_function, xp
from ..backend import sgn as _sgn
from ..tensor import Tensor, tensor_method
from .complex_checks import ORDER, REAL, refuse_complex
from .promotion import to_float
from .special import erf_array, erfc_array

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


_STANDARD_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
                   "arccosh": "acosh", "arctanh": "atanh"}


def _standard(forward):
    """The array API standard's function of the same name as the NumPy ufunc ``forward``
    (``asin`` for ``arcsin``, …), or None where ``forward`` is not a ufunc."""
    name = getattr(forward, "__name__", "")
    if not isinstance(forward, type(xp.sin)):
        return None
    name = _STANDARD_NAMES.get(name, name)
    return lambda ns, x: getattr(ns, name)(x)


def _define(cls_name: str, name: str, forward, derivative, text, latex, explanation: str,
            domain: str = "real", numerics: str = "NumPy's ufunc, exact to rounding.",
            vjp_text: str | None = None, standard=None):
    """Register the primitive ``name``: y = forward(x), ∂L/∂x = derivative(g, x, y, ns).

    ``standard(ns, x, **params)`` computes y with the array API standard's functions of the
    namespace ``ns``, for arrays of libraries other than NumPy (default: the ufunc's namesake,
    when ``forward`` is a ufunc); a primitive with neither runs on NumPy arrays only."""
    doc = (f"{text[0]}\n\n    Forward:     {text[0]}\n    Derivative:  {text[1]}\n"
           f"    VJP:         {vjp_text or '∂L/∂x = g · ∂y/∂x'}\n    Numerics:    {numerics}\n")
    standard = standard or _standard(forward)

    def fwd(ctx, x, **params):
        ns = array_namespace(x)
        y = forward(x, **params) if ns is xp else standard(ns, x, **params)
        ctx.save(x, y)
        return y

    def vjp(ctx, g):
        x, y = ctx.saved
        return derivative(g, x, y, namespace(g))

    cls = type(cls_name, (Function,), {
        "__doc__": doc, "__module__": __name__, "name": name, "text": text, "latex": latex,
        "explanation": explanation, "domain": domain, "reference": staticmethod(forward),
        "forward": staticmethod(fwd), "vjp": staticmethod(vjp),
        "array_api": standard is not None})
    return primitive(cls)


def _zero(g, x, y, ns):
    """Zeros, not g·0: PyTorch's backward of a piecewise-constant function is zeros_like(grad),
    0 even where g is ±∞ or NaN (where g·0 would be NaN)."""
    return ns.zeros_like(g)


# ------------------------------------------------------------------ trigonometric
Tan = _define("Tan", "tan", xp.tan, lambda g, x, y, ns: g * (1 + y * y),
              ("y = tan x", "∂y/∂x = 1 + tan²x = 1 + y²"),
              (r"y = \tan x", r"\frac{\partial y}{\partial x} = 1 + \tan^2 x"),
              "The slope of the tangent is 1 + tan², which reuses the output.", "bounded")
Asin = _define("Asin", "asin", xp.arcsin, lambda g, x, y, ns: g / ns.sqrt(1 - x * x),
               ("y = arcsin x", "∂y/∂x = 1/√(1 − x²)"),
               (r"y = \arcsin x", r"\frac{\partial y}{\partial x} = \frac{1}{\sqrt{1-x^2}}"),
               "The inverse sine's slope blows up at ±1.", "bounded",
               "nan outside [−1, 1]; the derivative is infinite at ±1.")
Acos = _define("Acos", "acos", xp.arccos, lambda g, x, y, ns: -g / ns.sqrt(1 - x * x),
               ("y = arccos x", "∂y/∂x = −1/√(1 − x²)"),
               (r"y = \arccos x", r"\frac{\partial y}{\partial x} = -\frac{1}{\sqrt{1-x^2}}"),
               "arccos x = π/2 − arcsin x, so its slope is minus arcsin's.", "bounded",
               "nan outside [−1, 1]; the derivative is infinite at ±1.")
Atan = _define("Atan", "atan", xp.arctan, lambda g, x, y, ns: g / (1 + x * x),
               ("y = arctan x", "∂y/∂x = 1/(1 + x²)"),
               (r"y = \arctan x", r"\frac{\partial y}{\partial x} = \frac{1}{1+x^2}"),
               "The inverse tangent flattens out: its slope 1/(1 + x²) vanishes at ±∞.")

# ------------------------------------------------------------------ hyperbolic
Sinh = _define("Sinh", "sinh", xp.sinh, lambda g, x, y, ns: g * ns.cosh(x),
               ("y = sinh x = (eˣ − e⁻ˣ)/2", "∂y/∂x = cosh x"),
               (r"y = \sinh x", r"\frac{\partial y}{\partial x} = \cosh x"),
               "The hyperbolic sine's slope is the hyperbolic cosine.", "real",
               "overflows to ±inf for |x| > 710 (float64).")
Cosh = _define("Cosh", "cosh", xp.cosh, lambda g, x, y, ns: g * ns.sinh(x),
               ("y = cosh x = (eˣ + e⁻ˣ)/2", "∂y/∂x = sinh x"),
               (r"y = \cosh x", r"\frac{\partial y}{\partial x} = \sinh x"),
               "The hyperbolic cosine's slope is the hyperbolic sine.", "real",
               "overflows to inf for |x| > 710 (float64).")
Asinh = _define("Asinh", "asinh", xp.arcsinh, lambda g, x, y, ns: g / ns.sqrt(x * x + 1),
                ("y = arsinh x = ln(x + √(x² + 1))", "∂y/∂x = 1/√(x² + 1)"),
                (r"y = \operatorname{arsinh} x",
                 r"\frac{\partial y}{\partial x} = \frac{1}{\sqrt{x^2+1}}"),
                "The inverse hyperbolic sine grows like ln 2|x|; its slope like 1/|x|.")
Acosh = _define("Acosh", "acosh", xp.arccosh, lambda g, x, y, ns: g / ns.sqrt(x * x - 1),
                ("y = arcosh x = ln(x + √(x² − 1))", "∂y/∂x = 1/√(x² − 1)"),
                (r"y = \operatorname{arcosh} x",
                 r"\frac{\partial y}{\partial x} = \frac{1}{\sqrt{x^2-1}}"),
                "Defined for x ≥ 1, where its slope is infinite.", "positive",
                "nan for x < 1; the derivative is infinite at x = 1 (tests draw x > 1).")
Atanh = _define("Atanh", "atanh", xp.arctanh, lambda g, x, y, ns: g / (1 - x * x),
                ("y = artanh x = ½ ln((1 + x)/(1 − x))", "∂y/∂x = 1/(1 − x²)"),
                (r"y = \operatorname{artanh} x",
                 r"\frac{\partial y}{\partial x} = \frac{1}{1-x^2}"),
                "The inverse of tanh: its slope is the reciprocal of tanh's, 1/(1 − x²).",
                "bounded", "±inf at ±1, nan outside [−1, 1].")

# ------------------------------------------------------------------ exponentials and logarithms
Exp2 = _define("Exp2", "exp2", xp.exp2, lambda g, x, y, ns: g * y * _LN2,
               ("y = 2ˣ", "∂y/∂x = 2ˣ ln 2 = y ln 2"),
               (r"y = 2^{x}", r"\frac{\partial y}{\partial x} = 2^{x}\ln 2"),
               "A power of two is e^{x ln 2}: its slope is itself times ln 2.",
                standard=lambda ns, x: 2.0 ** x)
Expm1 = _define("Expm1", "expm1", xp.expm1, lambda g, x, y, ns: g * (y + 1),
                ("y = eˣ − 1", "∂y/∂x = eˣ = y + 1"),
                (r"y = e^{x} - 1", r"\frac{\partial y}{\partial x} = e^{x}"),
                "eˣ − 1 computed without cancellation near 0; its slope is eˣ.", "real",
                "accurate to rounding for small |x|, where exp(x) − 1 would cancel.")
Log2 = _define("Log2", "log2", xp.log2, lambda g, x, y, ns: g / (x * _LN2),
               ("y = log₂ x", "∂y/∂x = 1/(x ln 2)"),
               (r"y = \log_2 x", r"\frac{\partial y}{\partial x} = \frac{1}{x \ln 2}"),
               "log₂ x = ln x / ln 2.", "positive", "−inf at 0, nan for x < 0.")
Log10 = _define("Log10", "log10", xp.log10, lambda g, x, y, ns: g / (x * _LN10),
                ("y = log₁₀ x", "∂y/∂x = 1/(x ln 10)"),
                (r"y = \log_{10} x", r"\frac{\partial y}{\partial x} = \frac{1}{x \ln 10}"),
                "log₁₀ x = ln x / ln 10.", "positive", "−inf at 0, nan for x < 0.")
Log1p = _define("Log1p", "log1p", xp.log1p, lambda g, x, y, ns: g / (1 + x),
                ("y = ln(1 + x)", "∂y/∂x = 1/(1 + x)"),
                (r"y = \ln(1 + x)", r"\frac{\partial y}{\partial x} = \frac{1}{1+x}"),
                "ln(1 + x) without the rounding of 1 + x for small x.", "positive",
                "accurate for small |x|; −inf at −1, nan below.")
Rsqrt = _define("Rsqrt", "rsqrt", lambda x: 1 / xp.sqrt(x),
                lambda g, x, y, ns: -0.5 * g * (y * y * y),
                ("y = 1/√x", "∂y/∂x = −½ x^{−3/2} = −½ y³"),
                (r"y = \frac{1}{\sqrt{x}}", r"\frac{\partial y}{\partial x} = -\tfrac12 x^{-3/2}"),
                "The reciprocal square root; its slope reuses the output cubed.", "positive",
                "inf at 0, nan for x < 0. The VJP is PyTorch's −½g·y³: the slope y³ first (∞ "
                "for a subnormal x, so an upstream 0 gives NaN there, as PyTorch).",
                standard=lambda ns, x: 1 / ns.sqrt(x))
Reciprocal = _define("Reciprocal", "reciprocal", xp.reciprocal,
                     lambda g, x, y, ns: -g * (y * y),
                     ("y = 1/x", "∂y/∂x = −1/x² = −y²"),
                     (r"y = \frac{1}{x}", r"\frac{\partial y}{\partial x} = -\frac{1}{x^2}"),
                     "The reciprocal's slope is minus its square.", "nonzero",
                     "±inf at 0 (IEEE division). The VJP is PyTorch's −g·y²: the slope y² "
                     "first (0 where it underflows, |x| > 1e154: −0 for a finite g, NaN for "
                     "an infinite one, as PyTorch).",
                standard=lambda ns, x: 1 / x)

def _sinc_backward(g, x, y, ns):
    """PyTorch's: g·(πx cos πx − sin πx)/(πx²), and 0 where πx² is 0 (x = 0, or x² underflows)."""
    pi_x = x * math.pi
    pi_x2 = x * x * math.pi
    out = g * (pi_x * ns.cos(pi_x) - ns.sin(pi_x)) / pi_x2
    return ns.where(pi_x2 == 0, ns.zeros_like(out), out)


Sinc = _define("Sinc", "sinc", xp.sinc, _sinc_backward,
               ("y = sinc x = sin(πx)/(πx), 1 at x = 0",
                "∂y/∂x = (πx cos πx − sin πx)/(πx²), 0 at x = 0"),
               (r"y = \frac{\sin \pi x}{\pi x}", r"\frac{\partial y}{\partial x} = "
                r"\frac{\pi x \cos \pi x - \sin \pi x}{\pi x^2}"),
               "The normalised sinc: zero at every nonzero integer, 1 at 0, where it is flat.",
               "real", "NumPy's sinc (1 at 0). The VJP is PyTorch's formula, g times the "
               "slope's numerator first, and 0 where πx² is 0.",
               vjp_text="∂L/∂x = g·(πx cos πx − sin πx)/(πx²), 0 where πx² = 0",
               standard=lambda ns, x: ns.where(
                   x == 0, ns.ones_like(x), ns.sin(x * math.pi) / (x * math.pi)))

# ------------------------------------------------------------------ error functions
Erfc = _define("Erfc", "erfc", erfc_array,
               lambda g, x, y, ns: g * (-_TWO_OVER_SQRT_PI * ns.exp(-x * x)),
               ("y = erfc x = 1 − erf x", "∂y/∂x = −(2/√π) e^{−x²}"),
               (r"y = \operatorname{erfc} x", r"\frac{\partial y}{\partial x} = "
                r"-\frac{2}{\sqrt{\pi}} e^{-x^2}"),
               "The complementary error function, accurate far in the right tail.", "real",
               "continued fraction for x ≥ 2: no cancellation in 1 − erf x. Other array "
               "libraries: their own erfc, else a host round trip (backend.special_function).",
               standard=lambda ns, x: special_function("erfc", erfc_array, x))


def erfinv_array(x):
    """erf⁻¹ on a backend array: Giles' single-precision approximation (2010) refined by four
    Newton steps on erf (erfc in the tail), which converge quadratically to float64 accuracy."""
    x = xp.asarray(x)
    x64 = x.astype(xp.float64)
    with xp.errstate(divide="ignore", invalid="ignore"):
        w = -xp.log((1.0 - x64) * (1.0 + x64))
        central = w < 5.0
        wc, wt = w - 2.5, xp.sqrt(xp.where(central, 5.0, w)) - 3.0
        pc = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            pc = c + pc * wc
        pt = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            pt = c + pt * wt
        # Newton on |x|: erf(a) = |x|, with the residual taken from erfc in the tail, where
        # 1 − |x| is exact and erf(a) − |x| would cancel
        ax = xp.abs(x64)
        a = xp.abs(xp.where(central, pc, pt) * x64)
        for _ in range(4):
            inside = xp.isfinite(a)
            a_safe = xp.where(inside, a, 0.0)
            tail = a_safe > 0.5
            residual = xp.where(tail, (1.0 - ax) - erfc_array(a_safe), erf_array(a_safe) - ax)
            step = residual / (_TWO_OVER_SQRT_PI * xp.exp(-a_safe * a_safe))
            a = xp.where(inside, a - step, a)
        y = xp.copysign(a, x64)
        y = xp.where(ax == 1.0, xp.copysign(xp.inf, x64), y)
        y = xp.where(xp.abs(x64) > 1.0, xp.nan, y)
    return y.astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)


Erfinv = _define("Erfinv", "erfinv", erfinv_array,
                 lambda g, x, y, ns: g * ((math.sqrt(math.pi) / 2) * ns.exp(y * y)),
                 ("y = erf⁻¹ x", "∂y/∂x = (√π/2) e^{y²}"),
                 (r"y = \operatorname{erf}^{-1} x", r"\frac{\partial y}{\partial x} = "
                  r"\frac{\sqrt{\pi}}{2} e^{y^2}"),
                 "The inverse function's slope is the reciprocal of erf's slope at y.",
                 "bounded", "Giles' approximation plus four Newton steps; ±inf at ±1. Other array "
                 "libraries: their own erfinv, else a host round trip (backend.special_function).",
                 standard=lambda ns, x: special_function("erfinv", erfinv_array, x))

# ------------------------------------------------------------------ rounding (zero gradient)
def _standard_round(ns, x, decimals=0):
    """round(x, decimals) from the standard's ``round`` (to an integer, halves to even): as
    NumPy does it, x scaled by 10^decimals, rounded and scaled back."""
    if decimals == 0:
        return ns.round(x)
    if decimals < 0:
        scale = 10.0 ** -decimals
        return ns.round(x / scale) * scale
    scale = 10.0 ** decimals
    return ns.round(x * scale) / scale



_KINK = "piecewise constant: PyTorch's zero gradient everywhere, the jumps included."
Floor = _define("Floor", "floor", xp.floor, _zero, ("y = ⌊x⌋", "∂y/∂x = 0"),
                (r"y = \lfloor x \rfloor", r"\frac{\partial y}{\partial x} = 0"),
                "Rounding down is a staircase: flat, so no gradient.", "real", _KINK)
Ceil = _define("Ceil", "ceil", xp.ceil, _zero, ("y = ⌈x⌉", "∂y/∂x = 0"),
               (r"y = \lceil x \rceil", r"\frac{\partial y}{\partial x} = 0"),
               "Rounding up is a staircase: flat, so no gradient.", "real", _KINK)
Trunc = _define("Trunc", "trunc", xp.trunc, _zero, ("y = trunc x", "∂y/∂x = 0"),
                (r"y = \operatorname{trunc} x", r"\frac{\partial y}{\partial x} = 0"),
                "Rounding towards zero is a staircase: flat, so no gradient.", "real", _KINK)
Round = _define("Round", "round", lambda x, decimals=0: xp.round(x, decimals), _zero,
                ("y = round(x, decimals)  (halves to even)", "∂y/∂x = 0"),
                (r"y = \operatorname{round}(x)", r"\frac{\partial y}{\partial x} = 0"),
                "Rounding to nearest (halves to even) is a staircase: no gradient.", "real",
                _KINK,
                standard=_standard_round)
Sign = _define("Sign", "sign", _sgn, _zero, ("y = sign x ∈ {−1, 0, 1}", "∂y/∂x = 0"),
               (r"y = \operatorname{sign} x", r"\frac{\partial y}{\partial x} = 0"),
               "The sign is flat on each side of 0, so it carries no gradient.", "real",
               _KINK + " sign(NaN) = 0, as PyTorch (NumPy's sign gives NaN).",
               standard=lambda ns, x: _sgn(x))


# Complex inputs: each of these rules is g times an analytic expression of x and y (the same
# formula PyTorch's complex backward conjugates), so the engine's holomorphic rule
# g·conj(f′(z)) applies (chainrule/autograd/complex.py); the others refuse complex gradients
# (acosh among them: 1/√(z² − 1) is its derivative for real z only, PyTorch's complex one is
# 1/(√(z − 1)·√(z + 1)), which differs in sign off the real axis).
for _cls in (Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Atanh, Exp2, Expm1, Log2, Log10,
             Log1p, Rsqrt, Reciprocal):
    _cls.complex_grad = "holomorphic"


# ------------------------------------------------------------------ the functions
#: the functions PyTorch refuses on complex tensors, with the reason chainrule's error gives
_REAL_ONLY = {"erfc": REAL, "erfinv": REAL, "floor": ORDER, "ceil": ORDER, "trunc": ORDER,
              "sign": "use sgn(z) = z/|z| for the sign of a complex number"}

def _unary_function(name: str, cls, floating: bool = True, aliases: tuple = (),
                    inplace: bool = True):
    reason = _REAL_ONLY.get(name)

    def fn(input):  # noqa: A002  (PyTorch's argument names)
        if reason is not None:
            refuse_complex(name, input, reason=reason)
        return cls.apply(to_float(input) if floating else input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = cls.__doc__
    tensor_method(fn, inplace=inplace)
    for alias in aliases:
        tensor_method(fn, name=alias, inplace=inplace)
    return fn


tan = _unary_function("tan", Tan)
asin = arcsin = _unary_function("asin", Asin, aliases=("arcsin",))
acos = arccos = _unary_function("acos", Acos, aliases=("arccos",))
atan = arctan = _unary_function("atan", Atan, aliases=("arctan",))
sinh = _unary_function("sinh", Sinh)
cosh = _unary_function("cosh", Cosh)
asinh = arcsinh = _unary_function("asinh", Asinh, aliases=("arcsinh",))
acosh = arccosh = _unary_function("acosh", Acosh, aliases=("arccosh",))
atanh = arctanh = _unary_function("atanh", Atanh, aliases=("arctanh",))
exp2 = _unary_function("exp2", Exp2)
expm1 = _unary_function("expm1", Expm1)
log2 = _unary_function("log2", Log2)
log10 = _unary_function("log10", Log10)
log1p = _unary_function("log1p", Log1p)
rsqrt = _unary_function("rsqrt", Rsqrt)
reciprocal = _unary_function("reciprocal", Reciprocal)
sinc = _unary_function("sinc", Sinc)
erfc = _unary_function("erfc", Erfc)
erfinv = _unary_function("erfinv", Erfinv)
floor = _unary_function("floor", Floor, floating=False)
ceil = _unary_function("ceil", Ceil, floating=False)
trunc = fix = _unary_function("trunc", Trunc, floating=False, aliases=("fix",))
sign = _unary_function("sign", Sign, floating=False)


@tensor_method(inplace=True)
def sgn(input) -> Tensor:  # noqa: A002
    """sign for real tensors (zero gradient); z/|z| for complex ones (0 at 0), differentiable
    with PyTorch's complex gradient (chainrule/ops/complex_grad.py)."""
    if isinstance(input, Tensor) and input.is_complex():
        from .complex_grad import Sgn

        return Sgn.apply(input)
    return Sign.apply(input)


@tensor_method(inplace=True)
def round(input, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    """Round to ``decimals`` places, halves to even (PyTorch's round); zero gradient."""
    refuse_complex("round", input, reason=ORDER)
    return Round.apply(input, decimals=decimals)
