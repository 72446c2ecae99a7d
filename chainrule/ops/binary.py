"""Elementwise functions of two variables (atan2, hypot, xlogy) and composites of primitives:
square, frac, logit, lerp, nan_to_num, clamp_min/clamp_max (clamp itself is
elementwise.clip), and the in-place forms and aliases of
the elementwise functions defined elsewhere (``abs_``, ``exp_``, ``clamp_``, ``absolute``...).
"""
from __future__ import annotations

import math

from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    as_float_mask,
    astype,
    dtype_kind,
    errstate,
    is_foreign_array,
    namespace,
    numpy_dtype,
    xp,
)
from ..tensor import Tensor, tensor_method
from . import activations, arithmetic, elementwise, pointwise, special
from .complex_checks import complex_dtype, refuse_complex
from .promotion import promote, to_float


@primitive
class Atan2(Function):
    """The angle of the point (x, y) = (other, input): atan2(input, other).

    Forward:     θ = atan2(a, b)   (a = input, b = other; the angle of the point (b, a))
    Derivative:  ∂θ/∂a = b / (a² + b²),  ∂θ/∂b = −a / (a² + b²)
    VJP:         ∂L/∂a = g b / (a² + b²),  ∂L/∂b = −g a / (a² + b²)
    Numerics:    NumPy's arctan2 (correct quadrant, ±0 and ±inf handled). The derivative is
                 undefined at the origin: there (and wherever a² + b² underflows to 0) both
                 parts are 0, as PyTorch (its 1/(a² + b²) taken as 0 where a² + b² = 0).
    """

    name = "atan2"
    array_api = True
    text = ("θ = atan2(a, b)", "∂θ/∂a = b/(a² + b²),  ∂θ/∂b = −a/(a² + b²)")
    latex = (r"\theta = \operatorname{atan2}(a, b)", r"\frac{\partial\theta}{\partial a} = "
             r"\frac{b}{a^2+b^2},\quad \frac{\partial\theta}{\partial b} = -\frac{a}{a^2+b^2}")
    explanation = "The angle changes fastest perpendicular to the radius, as 1/r."
    domain = "nonzero"
    reference = staticmethod(xp.arctan2)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save(a, b)
        return array_namespace(a, b).atan2(a, b)

    @staticmethod
    def vjp(ctx, g):
        a, b = ctx.saved
        ns = namespace(g)
        r2 = a * a + b * b
        with errstate(ns, divide="ignore"):
            inverse = ns.where(r2 == 0, 0.0, 1 / ns.where(r2 == 0, 1.0, r2))
        return g * b * inverse, -g * a * inverse


@primitive
class Hypot(Function):
    """The length of the hypotenuse, √(a² + b²).

    Forward:     z = √(a² + b²)
    Derivative:  ∂z/∂a = a / z,  ∂z/∂b = b / z
    VJP:         ∂L/∂a = g a / z,  ∂L/∂b = g b / z   (reuses the output)
    Numerics:    NumPy's hypot: no overflow of a² for large a.
    """

    name = "hypot"
    array_api = True
    text = ("z = √(a² + b²)", "∂z/∂a = a/z,  ∂z/∂b = b/z")
    latex = (r"z = \sqrt{a^2 + b^2}", r"\frac{\partial z}{\partial a} = \frac{a}{z},\quad "
             r"\frac{\partial z}{\partial b} = \frac{b}{z}")
    explanation = "The gradient of a Euclidean length is the unit vector along it."
    domain = "nonzero"
    reference = staticmethod(xp.hypot)

    @staticmethod
    def forward(ctx, a, b):
        z = array_namespace(a, b).hypot(a, b)
        ctx.save(a, b, z)
        return z

    @staticmethod
    def vjp(ctx, g):
        a, b, z = ctx.saved
        return g * a / z, g * b / z


def _xlogy_array(x, y):
    if not hasattr(y, "dtype"):         # a number takes x's dtype (ln of a Python float is float64)
        y = xp.asarray(y, dtype=x.dtype)
    ns = array_namespace(x, y)
    if ns is not xp:        # the standard does not multiply booleans with floats
        x = x if dtype_kind(x.dtype) != "b" else astype(x, y.dtype)
        return ns.where((x == 0) & ~ns.isnan(y), 0.0, x * ns.log(y))
    with xp.errstate(divide="ignore", invalid="ignore"):
        out = x * xp.log(y)
    return xp.where((x == 0) & ~xp.isnan(y), 0.0, out).astype(out.dtype, copy=False)


@primitive
class Xlogy(Function):
    """x · ln y, with 0 where x = 0 (unless y is NaN), as in entropies.

    Forward:     z = x ln y   (z = 0 where x = 0 and y is not NaN)
    Derivative:  ∂z/∂x = ln y,  ∂z/∂y = x / y
    VJP:         ∂L/∂x = xlogy(g, y), 0 where x = 0 and y ≤ 0;  ∂L/∂y = g x / y
    Numerics:    the convention 0 · ln 0 = 0 makes entropies of distributions with zeros finite.
                 As PyTorch, ∂L/∂x at x = 0 is g ln y for y > 0 (the slope of x ln y there),
                 and 0 only where y ≤ 0.
    """

    name = "xlogy"
    array_api = True
    text = ("z = x ln y   (0 where x = 0)", "∂z/∂x = ln y,  ∂z/∂y = x / y")
    latex = (r"z = x \ln y", r"\frac{\partial z}{\partial x} = \ln y,\quad "
             r"\frac{\partial z}{\partial y} = \frac{x}{y}")
    explanation = "A product with a logarithm, with 0·ln 0 taken to be 0."
    domain = "positive"
    reference = staticmethod(_xlogy_array)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save(x, y)
        return _xlogy_array(x, y)

    @staticmethod
    def vjp(ctx, g):
        x, y = ctx.saved
        gx = xlogy(g, y) if isinstance(g, Tensor) else _xlogy_array(g, y)
        gx = namespace(g).where((x == 0) & (y <= 0), 0.0, gx)
        return gx, g * x / y


@tensor_method(inplace=True)
def atan2(input, other) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """The angle of the point (other, input), in (−π, π]."""
    if not isinstance(other, Tensor):
        raise TypeError(f"atan2(): argument 'other' must be Tensor, not {type(other).__name__}")
    refuse_complex("atan2", input, other)
    return Atan2.apply(*promote(input, other, floating=True)[0])


arctan2 = tensor_method(atan2, name="arctan2", inplace=True)


@tensor_method(inplace=True)
def hypot(input, other) -> Tensor:  # noqa: A002
    """√(input² + other²) elementwise."""
    refuse_complex("hypot", input, other)
    return Hypot.apply(*promote(input, other, floating=True)[0])


@tensor_method(inplace=True)
def xlogy(input, other) -> Tensor:  # noqa: A002
    """input · ln(other), 0 where input = 0."""
    refuse_complex("xlogy", input, other)
    x, y = promote(input, other, floating=True)[0]
    if isinstance(x, Tensor) and x._data.dtype == bool:
        x = x.astype(y.dtype)
    t = x if isinstance(x, Tensor) else y
    if isinstance(t, Tensor) and type(t._data) is not xp.ndarray and is_foreign_array(t._data):
        # the standard's functions take arrays: a number as a 0-d array of the tensor's dtype
        ns = namespace(t._data)
        x, y = (v if isinstance(v, Tensor) else Tensor._from_op(
            ns.asarray(v, dtype=t._data.dtype, device=t._data.device), None) for v in (x, y))
    return Xlogy.apply(x, y)


# ------------------------------------------------------------------ composites
@tensor_method(inplace=True)
def square(input) -> Tensor:  # noqa: A002
    """input² (integers stay integers; bools become int64, as in PyTorch)."""
    if isinstance(input, Tensor) and input._data.dtype == bool:
        input = input.astype(xp.int64)
    return arithmetic.power(input, 2)


@tensor_method(inplace=True)
def frac(input) -> Tensor:  # noqa: A002
    """The fractional part x − trunc(x) (sign of x); gradient 1."""
    return input - pointwise.trunc(input).detach()


@tensor_method(inplace=True)
def logit(input, eps: float | None = None) -> Tensor:  # noqa: A002
    """ln(p / (1 − p)); with ``eps``, p is first clamped into [eps, 1 − eps] (no gradient outside,
    as in PyTorch)."""
    refuse_complex("logit", input)
    return Logit.apply(to_float(input), eps=None if eps is None else float(eps))


@primitive
class Logit(Function):
    """The log-odds, inverse of the sigmoid: logit(x) = ln(x/(1 − x)).

    Forward:     y = ln(p/(1 − p)),  p = x, or p = clamp(x, ε, 1 − ε) with ``eps`` = ε
    Derivative:  ∂y/∂x = 1/(x(1 − x)) for 0 ≤ x ≤ 1 (ε ≤ x ≤ 1 − ε with eps)
    VJP:         ∂L/∂x = g/(x(1 − x)); outside [0, 1] NaN without eps, 0 outside [ε, 1 − ε]
                 with eps (the clamp's flat part), as PyTorch's logit_backward.
    Numerics:    PyTorch's CPU kernel answers two special inputs differently in its vectorized
                 loop and its scalar tail: x = −0 (g/(−0) = −g·∞ vectorized, g·∞ scalar) and,
                 with eps, x = NaN (0 vectorized, NaN scalar); chainrule gives the vectorized
                 answer, the one most elements of a tensor get.
    """

    name = "logit"
    array_api = True
    text = ("y = ln(p/(1 − p)),  p = clamp(x, ε, 1 − ε)",
            "∂y/∂x = 1/(x(1 − x)) on [ε, 1 − ε], else 0 (NaN outside [0, 1] without ε)")
    latex = (r"y = \ln\frac{p}{1-p},\quad p = \operatorname{clamp}(x, \epsilon, 1-\epsilon)",
             r"\frac{\partial y}{\partial x} = \frac{1}{x(1-x)}\ \text{on}\ "
             r"[\epsilon, 1-\epsilon],\ 0\ \text{elsewhere}")
    explanation = ("The log-odds stretches (0, 1) onto the whole real line; its slope "
                   "1/(x(1 − x)) grows without bound near 0 and 1.")
    domain = "probability"
    reference = staticmethod(lambda x, eps=None: xp.log(
        (x if eps is None else xp.clip(x, eps, 1 - eps))
        / (1 - (x if eps is None else xp.clip(x, eps, 1 - eps)))))

    @staticmethod
    def forward(ctx, x, eps=None):
        ctx.save(x)
        ctx.eps = eps
        ns = array_namespace(x)
        p = x
        if eps is not None:
            lo, hi = (x.dtype.type(eps), x.dtype.type(1 - eps)) if ns is xp else (eps, 1 - eps)
            p = ns.minimum(ns.maximum(x, lo), hi)
        with errstate(ns, divide="ignore", invalid="ignore"):
            return ns.log(p / (1 - p))

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        ns, eps = namespace(g), ctx.eps
        with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
            d = g / (x * (1 - x))
        if eps is None:
            return ns.where((x < 0) | (x > 1), float("nan"), d)
        return ns.where((x >= eps) & (x <= 1 - eps), d, 0.0)


@tensor_method(inplace=True)
def lerp(input, end, weight) -> Tensor:  # noqa: A002
    """Linear interpolation input + weight · (end − input), in PyTorch's two forms (see
    :class:`Lerp`): exact at weight 0 and at weight 1."""
    if isinstance(weight, Tensor):
        a, b, w = promote(input, end, weight, floating=True)[0]
        return Lerp.apply(a, b, w)
    a, b = promote(input, end, floating=True)[0]
    return Lerp.apply(a, b, weight=float(weight))


def _lerp_array(a, b, w):
    """PyTorch's lerp of arrays (``w`` an array or a number): a + w(b − a) where |w| < 0.5,
    b + (w − 1)(b − a) elsewhere (PyTorch's vectorised form; its scalar loop's b − (b − a)(1 − w)
    differs only in the sign of a zero result)."""
    ns = array_namespace(a, b)
    with errstate(ns, invalid="ignore", over="ignore"):
        d = b - a
        if not hasattr(w, "dtype"):                 # rounded to the arrays' dtype, as PyTorch
            w = float(numpy_dtype(d.dtype).type(w))
            w_minus_1 = float(numpy_dtype(d.dtype).type(w - 1))     # rounded likewise
            return a + w * d if abs(w) < 0.5 else b + w_minus_1 * d
        return ns.where(ns.abs(w) < 0.5, a + w * d, b + (w - 1) * d)


@primitive
class Lerp(Function):
    """Linear interpolation between a (input) and b (end) at w (weight).

    Forward:     z = a + w(b − a) where |w| < 0.5, z = b + (w − 1)(b − a) elsewhere (the same
                 line, evaluated from its nearer end, as PyTorch: z = a at w = 0 and z = b at
                 w = 1 exactly, and b + (w − 1)·∞ = −∞ rather than −∞ + ∞ for a = −∞, b finite)
    Derivative:  ∂z/∂a = 1 − w,  ∂z/∂b = w,  ∂z/∂w = b − a
    VJP:         ∂L/∂a = g(1 − w),  ∂L/∂b = g w,  ∂L/∂w = g(b − a)   (products, as PyTorch:
                 g = ∞ meets w = 0 as NaN)
    Numerics:    a Python-number weight is a parameter (no gradient), a tensor weight an input.
    """

    name = "lerp"
    array_api = True
    text = ("z = a + w(b − a)", "∂z/∂a = 1 − w,  ∂z/∂b = w,  ∂z/∂w = b − a")
    latex = (r"z = a + w\,(b - a)", r"\frac{\partial z}{\partial a} = 1 - w,\quad "
             r"\frac{\partial z}{\partial b} = w,\quad \frac{\partial z}{\partial w} = b - a")
    explanation = ("A weighted average of two points: the weight moves the result along the line "
                   "from a (w = 0) to b (w = 1).")
    reference = staticmethod(lambda a, b, w=None, weight=None: _lerp_array(
        a, b, w if w is not None else weight))

    @staticmethod
    def forward(ctx, a, b, w=None, *, weight=None):
        ctx.save(a, b, w)
        ctx.weight = weight
        return _lerp_array(a, b, w if w is not None else weight)

    @staticmethod
    def vjp(ctx, g):
        a, b, w = ctx.saved
        ns = array_namespace(g)
        if w is None:
            w = ctx.weight
            return g * (1 - w), g * w
        with errstate(ns, invalid="ignore", over="ignore"):
            return g * (1 - w), g * w, g * (b - a)


@tensor_method(inplace=True)
def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (the dtype's largest and smallest
    finite values by default); the gradient is g·1[x finite], as in PyTorch."""
    if dtype_kind(input._data.dtype) not in "fc":
        return input.clone()
    return NanToNum.apply(input, nan=float(nan),
                          posinf=None if posinf is None else float(posinf),
                          neginf=None if neginf is None else float(neginf))


def _nan_to_num_reference(x, nan=0.0, posinf=None, neginf=None):
    return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@primitive
class NanToNum(Function):
    """Non-finite values replaced by finite ones: NaN → ``nan``, +∞ → ``posinf``, −∞ → ``neginf``.

    Forward:     y = x where x is finite, else the replacement of NaN, +∞ or −∞ (by default 0,
                 the dtype's largest finite value and its smallest)
    Derivative:  ∂y/∂x = 1[x finite]
    VJP:         ∂L/∂x = g · 1[x finite], a product as PyTorch's grad * isfinite(self): an
                 infinite or NaN g gives NaN at a non-finite x (∞·0), not 0.
    Numerics:    exact (a selection).
    Kinks:       none; the replaced values are constants, so their gradient is 0.
    """

    name = "nan_to_num"
    array_api = True
    text = ("y = x if x is finite, else its replacement (NaN → nan, ±∞ → posinf, neginf)",
            "∂y/∂x = 1[x finite]")
    latex = (r"y = \begin{cases} x & x\ \text{finite} \\ \text{replacement} & "
             r"\text{otherwise} \end{cases}",
             r"\frac{\partial y}{\partial x} = \mathbb{1}[x\ \text{finite}]")
    explanation = ("The finite values pass unchanged; NaN and ±∞ become constants, which "
                   "carry no gradient.")
    domain = "real"
    reference = staticmethod(_nan_to_num_reference)

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ns = array_namespace(x)
        finite = ns.isfinite(x)
        ctx.save(finite)
        if ns is xp:
            return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)
        info = ns.finfo(x.dtype)            # the standard's where takes one Python number at most

        def value(v):
            return ns.asarray(v, dtype=x.dtype, device=x.device)

        fill = ns.where(x > 0, value(info.max if posinf is None else posinf),
                        value(info.min if neginf is None else neginf))
        fill = ns.where(ns.isnan(x), value(nan), fill)
        return ns.where(finite, x, fill)

    @staticmethod
    def vjp(ctx, g):
        (finite,) = ctx.saved
        with errstate(namespace(g), invalid="ignore"):      # ∞ · 0 = NaN, as PyTorch
            return g * as_float_mask(finite, g)


@tensor_method(inplace=True)
def clamp_min(input, min) -> Tensor:  # noqa: A001, A002
    return elementwise.clip(input, min, None)


@tensor_method(inplace=True)
def clamp_max(input, max) -> Tensor:  # noqa: A001, A002
    return elementwise.clip(input, None, max)


@tensor_method(inplace=True)
def absolute(input) -> Tensor:  # noqa: A002
    return elementwise.abs(input)


@tensor_method(inplace=True)
def negative(input) -> Tensor:  # noqa: A002
    return arithmetic.negative(input)


neg = tensor_method(negative, name="neg", inplace=True)


@tensor_method(name="erf", inplace=True)
def _erf(input) -> Tensor:  # noqa: A002
    """The error function (the method form of :func:`chainrule.erf`)."""
    return special.erf(to_float(input))


def _inplace_forms(fn, *names) -> None:
    """``name_`` in-place methods for functions whose out-of-place methods tensor.py defines."""
    for name in names:
        def method(self, *args, _fn=fn, **kwargs):
            return self._inplace(_fn, *args, **kwargs)
        method.__name__ = name + "_"
        tensor_method(method, name=name + "_")


def _abs_in_place(input) -> Tensor:  # noqa: A002
    """|input| for ``abs_``: a complex tensor cannot hold its real absolute value (PyTorch)."""
    if complex_dtype(input) is not None:
        raise RuntimeError(f"abs_: in-place abs is not supported for complex tensors (got "
                           f"{input.dtype}): |z| is real; use z.abs(). PyTorch raises too.")
    return elementwise.abs(input)


_inplace_forms(_abs_in_place, "abs")
_inplace_forms(elementwise.clip, "clamp", "clip")
_inplace_forms(elementwise.exp, "exp")
_inplace_forms(elementwise.log, "log")
_inplace_forms(elementwise.sqrt, "sqrt")
_inplace_forms(elementwise.sin, "sin")
_inplace_forms(elementwise.cos, "cos")
_inplace_forms(elementwise.tanh, "tanh")
_inplace_forms(activations.sigmoid, "sigmoid")
_inplace_forms(activations.relu, "relu")
_inplace_forms(arithmetic.power, "pow")


def _logaddexp_standard(ns, a, b, base2: bool):
    """log(eᵃ + eᵇ) (or log₂(2ᵃ + 2ᵇ)) with the array API standard's functions: the larger
    operand plus log1p of the smaller's share; equal infinities give themselves."""
    big = ns.maximum(a, b)
    gap = -ns.abs(a - b)
    with errstate(ns, invalid="ignore"):
        if base2:
            share = ns.log1p(ns.exp(gap * math.log(2.0))) / math.log(2.0)
        else:
            share = ns.log1p(ns.exp(gap))
        return ns.where(ns.isinf(a) & (a == b), a, big + share)


def logaddexp_complex(ns, a, b):
    """ln(eᵃ + eᵇ) of complex arrays, as PyTorch computes it: with M the operand of larger real
    part (``b`` at a tie) and m the other, M + log1p(e^{m − M}) — so the imaginary part is M's
    plus a correction, not wrapped into (−π, π] — except that two equal infinite real parts give
    M (−∞) or ln(eᵐ + e^M) (+∞), and a NaN operand gives itself (``b``'s first)."""
    a, b = ns.broadcast_arrays(ns.asarray(a), ns.asarray(b))
    with errstate(ns, all="ignore"):
        swap = ns.real(a) < ns.real(b)
        lo, hi = ns.where(swap, a, b), ns.where(swap, b, a)
        out = ns.log1p(ns.exp(lo - hi)) + hi
        same_inf = ~ns.isfinite(ns.real(hi)) & (ns.real(lo) == ns.real(hi))
        out = ns.where(same_inf & (ns.real(hi) < 0), hi, out)
        out = ns.where(same_inf & (ns.real(hi) > 0), ns.log(ns.exp(lo) + ns.exp(hi)), out)
        out = ns.where(ns.isnan(ns.real(a)) | ns.isnan(ns.imag(a)), a, out)
        return ns.where(ns.isnan(ns.real(b)) | ns.isnan(ns.imag(b)), b, out)


def _define_logaddexp(cls_name: str, name: str, base2: bool):
    power = "2^" if base2 else "e^"
    log = "log₂" if base2 else "ln"

    def forward(ctx, a, b):
        ctx.save(a, b)
        ns = array_namespace(a, b)
        if complex_dtype(a) is not None or complex_dtype(b) is not None:
            if base2:
                refuse_complex("logaddexp2", a, b)
            return logaddexp_complex(ns, a, b)
        if ns is xp:
            return (xp.logaddexp2 if base2 else xp.logaddexp)(a, b)
        return _logaddexp_standard(ns, a, b, base2)

    def vjp(ctx, g):
        a, b = ctx.saved
        ns = namespace(g)
        if not base2:
            grow = ns.exp
        else:               # (the array API standard has no exp2)
            grow = getattr(ns, "exp2", None) or (lambda v: 2.0 ** v)
        with errstate(ns, over="ignore", invalid="ignore"):
            return g / (1 + grow(b - a)), g / (1 + grow(a - b))

    doc = (f"{log}({power}a + {power}b) without overflow.\n\n"
           f"    Forward:     z = {log}({power}a + {power}b) = max(a, b) + {log}(1 + "
           f"{power}(−|a − b|)); equal infinities give themselves\n"
           f"    Derivative:  ∂z/∂a = 1/(1 + {power}(b − a)),  ∂z/∂b = 1/(1 + {power}(a − b))\n"
           f"    VJP:         ∂L/∂a = g/(1 + {power}(b − a)),  ∂L/∂b = g/(1 + {power}(a − b)), as "
           "PyTorch's\n"
           f"    Numerics:    NumPy's logaddexp{'2' if base2 else ''}: the larger operand plus the "
           "log of 1 + the smaller's share, so no overflow; equal infinities give themselves "
           "(−∞ for two −∞)" + ("" if base2 else "; complex a, b: PyTorch's formula, the operand "
           "of larger real part plus log1p(exp(smaller − larger)) (see logaddexp_complex); "
           "holomorphic, so the complex gradient is g·conj(∂z/∂a)") + "\n")
    base = "2" if base2 else "e"
    cls = type(cls_name, (Function,), {
        "__doc__": doc, "__module__": __name__, "name": name, "array_api": True,
        "text": (f"z = {log}({power}a + {power}b)", f"∂z/∂a = 1/(1 + {power}(b − a)),  "
                 f"∂z/∂b = 1/(1 + {power}(a − b))"),
        "latex": ((r"z = \log_2(2^a + 2^b)" if base2 else r"z = \ln(e^a + e^b)"),
                  rf"\frac{{\partial z}}{{\partial a}} = \frac{{1}}{{1 + {base}^{{b - a}}}},\quad "
                  rf"\frac{{\partial z}}{{\partial b}} = \frac{{1}}{{1 + {base}^{{a - b}}}}"),
        "explanation": ("A smooth maximum of two numbers: the gradient splits between them as "
                        "a softmax of the two."),
        "reference": staticmethod(xp.logaddexp2 if base2 else xp.logaddexp),
        "complex_grad": None if base2 else "holomorphic",
        "forward": staticmethod(forward), "vjp": staticmethod(vjp)})
    return primitive(cls)


Logaddexp = _define_logaddexp("Logaddexp", "logaddexp", base2=False)
Logaddexp2 = _define_logaddexp("Logaddexp2", "logaddexp2", base2=True)


@tensor_method
def logaddexp(input, other) -> Tensor:  # noqa: A002
    """ln(eᵃ + eᵇ) elementwise, without overflow."""
    return Logaddexp.apply(*promote(input, other, floating=True)[0])


@tensor_method
def logaddexp2(input, other) -> Tensor:  # noqa: A002
    """log₂(2ᵃ + 2ᵇ) elementwise, without overflow."""
    return Logaddexp2.apply(*promote(input, other, floating=True)[0])


@primitive
class Copysign(Function):
    """|a| with the sign of b (the sign bit: −0.0 and a NaN's sign bit count); real only.

    Forward:     z = |a|·sign(b)
    Derivative:  ∂z/∂a = z/a (±1), 0 at a = 0;  ∂z/∂b = 0
    VJP:         ∂L/∂a = g·(z/a), with z/a taken as 0 where a = 0 (PyTorch's
                 copysign_tensor_self_backward); ∂L/∂b = 0 (zeros, as PyTorch's)
    Numerics:    NumPy's copysign (exact).
    """

    name = "copysign"
    array_api = True
    text = ("z = |a|·sign(b)", "∂z/∂a = z/a = ±1 (0 at a = 0),  ∂z/∂b = 0")
    latex = (r"z = |a| \operatorname{sign}(b)", r"\frac{\partial z}{\partial a} = "
             r"\frac{z}{a},\quad \frac{\partial z}{\partial b} = 0")
    explanation = "Only the sign of b matters, so b gets no gradient; a's slope is ±1."
    reference = staticmethod(xp.copysign)

    @staticmethod
    def forward(ctx, a, b):
        z = array_namespace(a, b).copysign(a, b)
        ctx.save(a, z)
        ctx.b_shape = getattr(b, "shape", ())
        return z

    @staticmethod
    def vjp(ctx, g):
        a, z = ctx.saved
        ns = namespace(g)
        with errstate(ns, divide="ignore", invalid="ignore"):
            ratio = ns.where(a == 0, ns.zeros_like(z), z / ns.where(a == 0, ns.ones_like(a), a))
        return g * ratio, ns.zeros_like(g)


@tensor_method(inplace=True)
def copysign(input, other) -> Tensor:  # noqa: A002
    """|input| with the sign of other, elementwise (integers become the default float dtype)."""
    refuse_complex("copysign", input, other)
    return Copysign.apply(*promote(input, other, floating=True)[0])
