"""The normal distribution's functions and the scaled complementary error function:
``torch.special.ndtr``, ``ndtri``, ``log_ndtr`` and ``erfcx``, in whole-array NumPy (float64).

- **erfcx** (x) = e^{x²} erfc(x), the core of the others:
  0 ≤ x < 4: a Taylor series about the nearest of the points c = k/8 (|x − c| ≤ 1/16). The
  function solves y′ = 2xy − 2/√π, so its Taylor coefficients aₙ = y⁽ⁿ⁾(c)/n! follow from
  a₀ = y(c), a₁ = 2c a₀ − 2/√π, aₙ₊₁ = (2c aₙ + 2aₙ₋₁)/(n + 1); the 33 values y(c) are
  e^{c²}·erfc(c) from Python's math module (c² is exact), computed once at import.
  x ≥ 4: Laplace's continued fraction erfcx(x) = 1/(√π K(x)),
  K(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + …))) (no exponential at all, so no overflow).
  x < 0: erfcx(x) = 2e^{x²} − erfcx(−x), with x² split exactly into two doubles (Dekker) so
  that e^{x²} keeps full relative accuracy; +inf below x ≈ −26.6, where e^{x²} overflows.
- **ndtr** Φ(x) = ½ erfc(−x/√2) = ½ erfcx(|x|/√2)·e^{−x²/2} for x ≤ 0 (one minus that for
  x > 0), with x² carried exactly: relative accuracy in the far left tail, where 1 + erf(x/√2)
  cancels, and no rounding of x/√2 in the Gaussian factor (whose relative sensitivity is x²).
- **log_ndtr** ln Φ(x), as PyTorch: ln(erfcx(−t)/2) − t² for x < −1 (t = x/√2), else
  ln(1 − Φ(−x)) by log1p.
- **ndtri** Φ⁻¹(p): Acklam's rational approximation (relative error < 1.2e-9) refined by two
  Newton steps: on ½ erf(x/√2) − (p − ½) for ¼ ≤ p ≤ ¾ (p − ½ is exact there, so tiny x keep
  their relative accuracy), on ln Φ(x) − ln p for p < ¼ (so that p down to the smallest
  subnormal converges), and Φ⁻¹(p) = −Φ⁻¹(1 − p) for p > ¾ (1 − p is exact).

Accuracy (tests/ops/test_special_round33.py): a few units in the last place against mpmath.
PyTorch computes ndtr as (1 + erf(x/√2))/2, which cancels in the left tail (relative error
4e-11 at x = −5, 0 instead of 8e-24 at x = −10); chainrule keeps the relative accuracy there.
"""
from __future__ import annotations

import math

from ..backend import xp
from ..tensor import Tensor
from .promotion import to_float
from .special import erf_array
from .special_common import define_unary, float64, of, rounded

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT1_2 = math.sqrt(0.5)
_SQRT_2PI = math.sqrt(2.0 * math.pi)

# ------------------------------------------------------------------ erfcx
_STEP = 1.0 / 8.0
_CENTERS = 33                       # c = 0, 1/8, …, 4
_ORDER = 18                         # |aₙ hⁿ| < 1e-30 for |h| ≤ 1/16 at n = 18
_FRACTION_DEPTH = 40                # enough for x ≥ 4 (checked against mpmath)


def _taylor_row(c: float) -> list[float]:
    a = [math.exp(c * c) * math.erfc(c)]
    a.append(2.0 * c * a[0] - _TWO_OVER_SQRT_PI)
    for n in range(1, _ORDER - 1):
        a.append((2.0 * c * a[n] + 2.0 * a[n - 1]) / (n + 1))
    return a


_TAYLOR = xp.array([_taylor_row(k * _STEP) for k in range(_CENTERS)])


def _erfcx_taylor(x):
    """erfcx for 0 ≤ x < 4 (see the module)."""
    k = xp.rint(x / _STEP).astype(xp.intp)
    h = x - k * _STEP
    rows = _TAYLOR[k]
    total = rows[:, -1].copy()
    for j in range(_ORDER - 2, -1, -1):
        total = total * h + rows[:, j]
    return total


def _erfcx_fraction(x):
    """erfcx for x ≥ 4 by Laplace's continued fraction."""
    f = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        f = x + (0.5 * k) / f
    return 1.0 / (math.sqrt(math.pi) * f)


def _erfcx_nonnegative(x):
    out = xp.empty_like(x)
    near = x < 4.0
    out[near] = _erfcx_taylor(x[near])
    far = ~near
    if far.any():
        out[far] = _erfcx_fraction(x[far])
    return out


def _square_split(x):
    """(p, e) with p = fl(x²) and p + e = x² exactly (Dekker's product; |x| < 1e150)."""
    c = 134217729.0 * x                                     # 2²⁷ + 1
    hi = c - (c - x)
    lo = x - hi
    p = x * x
    return p, ((hi * hi - p) + 2.0 * hi * lo) + lo * lo


def exp_square(x, sign: float = 1.0):
    """e^{sign·x²} to full relative accuracy (x² carried as two doubles)."""
    with xp.errstate(over="ignore", invalid="ignore"):
        p, e = _square_split(x)
        return xp.exp(sign * p) * (1.0 + sign * e)


def _erfcx64(v):
    out = xp.full_like(v, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore"):
        pos = v >= 0
        out[pos] = _erfcx_nonnegative(v[pos])
        neg = v < 0
        if neg.any():
            u = v[neg]
            # (below −26.7, 2e^{x²} overflows: inf; the clamp keeps Dekker's split finite)
            out[neg] = 2.0 * exp_square(xp.maximum(u, -27.0)) - _erfcx_nonnegative(-u)
    return out


def erfcx_array(x):
    """erfcx(x) = e^{x²} erfc(x) on a NumPy array (float64 inside, x's float dtype out)."""
    x, v = float64(x)
    return rounded(_erfcx64(v), x)


# ------------------------------------------------------------------ ndtr, log_ndtr
def _ndtr64(v):
    """Φ(x) = ½ erfcx(|x|/√2)·e^{−x²/2} (1 minus that for x > 0), with x² exact: no rounding of
    x/√2 enters the Gaussian factor, whose relative sensitivity to x is x²."""
    out = xp.full_like(v, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore", under="ignore"):
        a = xp.abs(v)
        finite = a < 40.0                                  # (Φ(−40) underflows: 0 and 1 beyond)
        tail = 0.5 * xp.where(finite, _erfcx64(a * _SQRT1_2)
                              * exp_square(xp.where(finite, a, 0.0), -0.5), 0.0)
        out = xp.where(v > 0, 1.0 - tail, tail)
        out[xp.isnan(v)] = xp.nan
    return out


def ndtr_array(x):
    """Φ(x) = ½ erfc(−x/√2), the standard normal cdf."""
    x, v = float64(x)
    return rounded(_ndtr64(v), x)


def _log_ndtr64(v):
    t = v * _SQRT1_2
    out = xp.full_like(v, xp.nan)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = v < -1.0
        tl = t[low]
        out[low] = xp.log(_erfcx64(-tl) / 2.0) - tl * tl
        high = v >= -1.0
        out[high] = xp.log1p(-_ndtr64(-v[high]))          # erfc(t)/2 = Φ(−x), x² exact
        out[v == -xp.inf] = -xp.inf
    return out


def log_ndtr_array(x):
    """ln Φ(x), accurate in both tails."""
    x, v = float64(x)
    return rounded(_log_ndtr64(v), x)


# ------------------------------------------------------------------ ndtri
# Acklam's rational approximation of Φ⁻¹ (central region and tail), relative error < 1.15e-9
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00, 1.0)


def _poly(coefficients, z):
    total = xp.full_like(z, coefficients[0])
    for c in coefficients[1:]:
        total = total * z + c
    return total


def _acklam_lower(p):
    """Φ⁻¹(p) to ~1e-9 for 0 < p ≤ ½."""
    out = xp.empty_like(p)
    tail = p < 0.02425
    q = xp.sqrt(-2.0 * xp.log(p[tail]))
    out[tail] = _poly(_C, q) / _poly(_D, q)
    mid = ~tail
    q = p[mid] - 0.5
    r = q * q
    out[mid] = q * _poly(_A, r) / _poly(_B, r)
    return out


def _ndtri_lower(p):
    """Φ⁻¹(p) for 0 < p ≤ ½ (float64, full accuracy)."""
    x = _acklam_lower(p)
    central = p >= 0.25
    with xp.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        # central: f = ½ erf(x/√2) − (p − ½), f′ = φ(x); p − ½ is exact for p ≥ ¼
        xc, q = x[central], p[central] - 0.5
        for _ in range(2):
            density = xp.exp(-0.5 * xc * xc) / _SQRT_2PI
            xc = xc - (0.5 * erf_array(xc * _SQRT1_2) - q) / density
        # tail: f = ln Φ(x) − ln p, f′ = φ(x)/Φ(x) = exp(−x²/2 − ln Φ(x))/√(2π)
        tail = ~central
        xt, log_p = x[tail], xp.log(p[tail])
        for _ in range(2):
            log_cdf = _log_ndtr64(xt)
            xt = xt - (log_cdf - log_p) / (xp.exp(-0.5 * xt * xt - log_cdf) / _SQRT_2PI)
        x[central], x[tail] = xc, xt
    return x


def _ndtri64(p):
    out = xp.full_like(p, xp.nan)
    lower = (p > 0) & (p <= 0.5)
    out[lower] = _ndtri_lower(p[lower])
    upper = (p > 0.5) & (p < 1)
    out[upper] = -_ndtri_lower(1.0 - p[upper])
    out[p == 0] = -xp.inf
    out[p == 1] = xp.inf
    return out


def ndtri_array(p):
    """Φ⁻¹(p), the standard normal quantile: −inf at 0, inf at 1, NaN outside [0, 1]."""
    p, v = float64(p)
    return rounded(_ndtri64(v), p)


# ------------------------------------------------------------------ the primitives
Ndtr = define_unary(
    "Ndtr", "ndtr", ndtr_array,
    lambda g, x, y, ns: g * (ns.exp(-0.5 * (x * x)) / _SQRT_2PI),
    ("y = Φ(x) = ½ erfc(−x/√2)", "∂y/∂x = φ(x) = e^{−x²/2}/√(2π)"),
    (r"y = \Phi(x) = \tfrac12 \operatorname{erfc}\left(-\frac{x}{\sqrt{2}}\right)",
     r"\frac{\partial y}{\partial x} = \frac{e^{-x^2/2}}{\sqrt{2\pi}}"),
    "The standard normal cdf; its slope is the normal density.",
    "½ erfc(−x/√2) with erfc = erfcx·e^{−t²} (module docstring): relative accuracy in the left "
    "tail, where PyTorch's (1 + erf)/2 cancels (to 0 below x ≈ −8.3). Other array libraries: a "
    "host round trip.",
    "∂L/∂x = g · e^{−x²/2}/√(2π)", module=__name__)

Ndtri = define_unary(
    "Ndtri", "ndtri", ndtri_array,
    lambda g, x, y, ns: g * (_SQRT_2PI * ns.exp(0.5 * (y * y))),
    ("y = Φ⁻¹(p)", "∂y/∂p = 1/φ(y) = √(2π) e^{y²/2}"),
    (r"y = \Phi^{-1}(p)", r"\frac{\partial y}{\partial p} = \sqrt{2\pi}\, e^{y^2/2}"),
    "The normal quantile; its slope is the reciprocal of the density at the quantile.",
    "Acklam's approximation and two Newton steps (module docstring); −inf at 0, inf at 1, NaN "
    "outside [0, 1]. The VJP reuses the output y, as PyTorch's.",
    "∂L/∂p = g · √(2π) e^{y²/2}", domain="probability", module=__name__)

def _log_ndtr_backward(g, x, y, ns):
    """g·φ(x)/Φ(x). PyTorch's e^{−(y + x²/2)}/√(2π) cancels for x ≪ 0, where y ≈ −x²/2 (a
    relative error of ~x²ε: 2e-5 in float32 at x = −14); there (x < −1) chainrule uses the
    equal √(2/π)/erfcx(−x/√2), which does not cancel. At x = −inf both give NaN, as PyTorch."""
    tail = x < -1.0
    u = ns.where(tail, x, -1.0)                     # (erfcx of a huge negative: inf, unused)
    ratio_tail = math.sqrt(2.0 / math.pi) / erfcx_of(-u * _SQRT1_2)
    ratio = ns.exp(-(y + x * x / 2)) / _SQRT_2PI
    ratio = ns.where(tail, ratio_tail, ratio)
    return g * ns.where(x == -math.inf, math.nan, ratio)


LogNdtr = define_unary(
    "LogNdtr", "log_ndtr", log_ndtr_array, _log_ndtr_backward,
    ("y = ln Φ(x)", "∂y/∂x = φ(x)/Φ(x) = e^{−x²/2 − y}/√(2π)"),
    (r"y = \ln \Phi(x)", r"\frac{\partial y}{\partial x} = \frac{\varphi(x)}{\Phi(x)} = "
     r"\frac{e^{-x^2/2 - y}}{\sqrt{2\pi}}"),
    "The log of the normal cdf, finite far into the left tail, where Φ itself underflows.",
    "ln(erfcx(−x/√2)/2) − x²/2 for x < −1, log1p(−Φ(−x)) above (PyTorch's split). The VJP is "
    "PyTorch's g/√(2π)·e^{−(y + x²/2)} for x ≥ −1, reusing the output; below −1, where that "
    "cancels, the equal g·√(2/π)/erfcx(−x/√2).",
    "∂L/∂x = g · φ(x)/Φ(x)", module=__name__)


Erfcx = define_unary(
    "Erfcx", "erfcx", erfcx_array,
    lambda g, x, y, ns: (2.0 * x * y - _TWO_OVER_SQRT_PI) * g,
    ("y = erfcx(x) = e^{x²} erfc(x)", "∂y/∂x = 2x·erfcx(x) − 2/√π"),
    (r"y = \operatorname{erfcx}(x) = e^{x^2}\operatorname{erfc}(x)",
     r"\frac{\partial y}{\partial x} = 2x\,\operatorname{erfcx}(x) - \frac{2}{\sqrt{\pi}}"),
    "The scaled complementary error function: erfc without its Gaussian factor, ~1/(x√π) for "
    "large x.",
    "Taylor series about the points k/8 below 4, Laplace's continued fraction above, "
    "2e^{x²} − erfcx(−x) for x < 0 (inf below ≈ −26.6). The VJP reuses the output, as "
    "PyTorch's (2x·y − 2/√π)·g.",
    "∂L/∂x = (2x·y − 2/√π) · g", module=__name__)


# ------------------------------------------------------------------ the functions
def ndtr(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """Φ(x), the standard normal cdf, elementwise; see :class:`Ndtr`."""
    return Ndtr.apply(to_float(input))


def ndtri(input) -> Tensor:  # noqa: A002
    """Φ⁻¹(p), the standard normal quantile, elementwise; see :class:`Ndtri`."""
    return Ndtri.apply(to_float(input))


def log_ndtr(input) -> Tensor:  # noqa: A002
    """ln Φ(x) elementwise, accurate far into the left tail; see :class:`LogNdtr`."""
    return LogNdtr.apply(to_float(input))


def erfcx(input) -> Tensor:  # noqa: A002
    """e^{x²} erfc(x) elementwise; see :class:`Erfcx`."""
    return Erfcx.apply(to_float(input))


def erfcx_of(x):
    """erfcx of a Tensor (differentiable) or of an array."""
    return of(Erfcx, erfcx_array, x)
