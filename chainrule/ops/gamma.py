"""The gamma-function family: lgamma, digamma and polygamma, in whole-array NumPy.

NumPy has none of them, and distributions (Gamma, Beta, Dirichlet, Poisson) need all three.
Each is computed in float64 (returned in the input's floating dtype) by loops over the terms of a
series, never over elements:

- **lgamma** (log |Γ(x)|):
  x ≥ 10: Stirling's series  ln Γ(z) = (z − ½) ln z − z + ½ ln 2π + Σₖ B₂ₖ / (2k(2k−1) z^{2k−1});
  0 < x < 10: the Taylor series about 1,
  ln Γ(1+ε) = −ln(1+ε) + ε(1 − γ) + Σ_{k≥2} (−1)ᵏ (ζ(k) − 1) εᵏ / k   (|ε| ≤ ½),
  reached by ln Γ(x) = ln Γ(1+x) − ln x below ½ and by the downward recurrence
  ln Γ(x) = ln[(x−1)(x−2)…(x−m)] + ln Γ(x−m) above 3/2. Expanding about 1 and 2 (where
  ln Γ = 0) keeps full relative accuracy near those roots, where a shift to Stirling would cancel.
  x < 0: the reflection ln|Γ(x)| = ln π − ln|sin πx| − ln Γ(1 − x) (sin πx from x − round(x),
  exact); +inf at 0 and the negative integers.
- **digamma** ψ = Γ′/Γ: ψ(x) = ψ(x+N) − Σ_{j<N} 1/(x+j) up to z = x + N ≥ 10, then
  ψ(z) = ln z − 1/(2z) − Σₖ B₂ₖ / (2k z^{2k}); x < 0: ψ(x) = ψ(1−x) − π cot πx.
- **polygamma** ψ⁽ⁿ⁾, n ≥ 1: (−1)ⁿ⁺¹ n! ζ(n+1, x), the Hurwitz zeta summed directly up to
  z ≥ 20 + n and closed by the Euler–Maclaurin formula; x < 0: the reflection
  ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1−x) − πⁿ⁺¹ Pₙ(cot πx), with P₀(c) = c, Pₖ₊₁(c) = −(1 + c²) Pₖ′(c)
  (the n-th derivative of cot written as a polynomial in cot).

Derivatives: lgamma′ = digamma, digamma′ = polygamma(1, ·), polygamma(n, ·)′ = polygamma(n+1, ·).
Values at the poles follow PyTorch: digamma(±0) = ∓inf, digamma at a negative integer is nan.

Arrays of other libraries (the array API standard has no special functions) use the library's
own function of the name where it has one, else a host round trip through these NumPy
implementations (``backend.special_function``).
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction

from ..autograd.function import Function, primitive
from ..backend import special_function, xp
from ..tensor import Tensor, tensor_method
from .complex_checks import refuse_complex
from .promotion import to_float

_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _bernoulli_numbers(count: int) -> list[Fraction]:
    """B₀ … B_{count−1} (B₁ = −½) by the recurrence Σ_{j<m+1} C(m+1, j) Bⱼ = 0."""
    b = [Fraction(1)]
    for m in range(1, count):
        b.append(-sum(math.comb(m + 1, j) * b[j] for j in range(m)) / (m + 1))
    return b


_B = _bernoulli_numbers(42)
_B2K = [float(_B[2 * k]) for k in range(1, 21)]                    # B₂, B₄, …, B₄₀


def _zeta_minus_one(k: int) -> float:
    """ζ(k) − 1 = Σ_{n≥2} n^{−k} for an integer k ≥ 2: 198 terms, then Euler–Maclaurin at 200."""
    n = 200
    head = math.fsum(j ** -float(k) for j in range(2, n))
    tail = (n ** (1.0 - k) / (k - 1) + 0.5 * n ** -float(k) + k * n ** (-k - 1.0) / 12
            - k * (k + 1) * (k + 2) * n ** (-k - 3.0) / 720)
    return head + tail


_SERIES_TERMS = 40
_ZETA_M1 = [_zeta_minus_one(k) for k in range(2, _SERIES_TERMS + 2)]


def _as_float64(x):
    x = xp.asarray(x)
    if x.dtype.kind == "c":     # (real functions, as PyTorch's: the caller's name in the error)
        refuse_complex(sys._getframe(1).f_code.co_name.strip("_").removesuffix("_array"), x)
    return x, x.astype(xp.float64)


def _result(x, out):
    return out.astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)


def _lgamma1p(e):
    """ln Γ(1 + ε) for |ε| ≤ ½ (the Taylor series about 1, with ζ(k) − 1 for fast decay)."""
    total = xp.zeros_like(e)
    power = e * e
    for k in range(2, _SERIES_TERMS + 2):
        total += (_ZETA_M1[k - 2] / k) * power if k % 2 == 0 else -(_ZETA_M1[k - 2] / k) * power
        power = power * e
    return -xp.log1p(e) + e * (1.0 - _EULER_GAMMA) + total


def _stirling(z):
    """ln Γ(z) for z ≥ 10."""
    inv = 1.0 / z
    inv2 = inv * inv
    series = xp.zeros_like(z)
    for k in range(12, 0, -1):
        series = series * inv2 + _B2K[k - 1] / (2 * k * (2 * k - 1))
    return (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + series * inv


def _lgamma_positive(x):
    """ln Γ(x) for finite x > 0."""
    out = xp.empty_like(x)
    big = x >= 10.0
    out[big] = _stirling(x[big])
    tiny = x < 0.5
    out[tiny] = _lgamma1p(x[tiny]) - xp.log(x[tiny])
    near1 = (x >= 0.5) & (x < 1.5)
    out[near1] = _lgamma1p(x[near1] - 1.0)
    mid = (x >= 1.5) & ~big
    if mid.any():
        v = x[mid]
        m = xp.floor(v - 1.5)                     # 0 … 8 steps down into [1.5, 2.5)
        prod = xp.ones_like(v)
        for j in range(1, 9):
            prod = xp.where(m >= j, prod * (v - j), prod)
        e = (v - m) - 2.0
        out[mid] = xp.log(prod) + xp.log1p(e) + _lgamma1p(e)
    return out


def _sinpi_abs(x):
    """|sin πx|, from the exact reduction r = x − round(x) ∈ [−½, ½]."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma_array(x):
    """ln |Γ(x)| on a backend array (float64 inside; returned in x's floating dtype)."""
    x, v = _as_float64(x)
    out = xp.full_like(v, xp.inf)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[xp.isnan(v)] = xp.nan
        pos = (v > 0) & xp.isfinite(v)
        out[pos] = _lgamma_positive(v[pos])
        neg = (v < 0) & xp.isfinite(v) & (v != xp.floor(v))
        if neg.any():
            u = v[neg]
            out[neg] = math.log(math.pi) - xp.log(_sinpi_abs(u)) - _lgamma_positive(1.0 - u)
    return _result(x, out)


def _cot_pi(x):
    """cot πx from r = x − round(x) (exact), so that large |x| keep their accuracy."""
    return 1.0 / xp.tan(math.pi * (x - xp.round(x)))


def _digamma_positive(x):
    out = xp.zeros_like(x)
    z = x.copy()
    low = z < 10.0
    while low.any():
        out[low] -= 1.0 / z[low]
        z[low] += 1.0
        low = z < 10.0
    inv2 = 1.0 / (z * z)
    series = xp.zeros_like(z)
    for k in range(10, 0, -1):
        series = series * inv2 + _B2K[k - 1] / (2 * k)
    return out + xp.log(z) - 0.5 / z - series * inv2


def digamma_array(x):
    """ψ(x) = d ln Γ(x)/dx on a backend array."""
    x, v = _as_float64(x)
    out = xp.full_like(v, xp.nan)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = (v > 0) & xp.isfinite(v)
        out[pos] = _digamma_positive(v[pos])
        out[v == xp.inf] = xp.inf
        zero = v == 0
        out[zero] = xp.copysign(xp.inf, -v[zero])
        neg = (v < 0) & xp.isfinite(v) & (v != xp.floor(v))
        if neg.any():
            u = v[neg]
            out[neg] = _digamma_positive(1.0 - u) - math.pi * _cot_pi(u)
    return _result(x, out)


def _hurwitz_zeta(s: int, x):
    """ζ(s, x) = Σ_{j≥0} (x + j)^{−s} for an integer s ≥ 2 and finite x > 0."""
    start = 20.0 + s
    out = xp.zeros_like(x)
    z = x.copy()
    low = z < start
    while low.any():
        out[low] += z[low] ** -float(s)
        z[low] += 1.0
        low = z < start
    # Euler–Maclaurin: ∫ + f(z)/2 − Σ B₂ₖ/(2k)! f^{(2k−1)}(z), f(t) = t^{−s}
    zs = z ** -float(s)
    inv = 1.0 / z
    tail = z ** (1.0 - s) / (s - 1) + 0.5 * zs         # (z^{1−s} apart: zˢ may underflow)
    rising = float(s)                                   # s (s+1) … (s+2k−2)
    power = zs * inv                                    # z^{−s−2k+1}
    for k in range(1, 15):
        tail += _B2K[k - 1] / math.factorial(2 * k) * rising * power
        rising *= (s + 2 * k - 1) * (s + 2 * k)
        power = power * inv * inv
    return out + tail


def _cot_derivative_polynomials(n: int) -> list:
    """Coefficients (lowest first) of Pₙ with dⁿ/dyⁿ cot y = Pₙ(cot y)."""
    p = [0, 1]
    for _ in range(n):
        dp = [i * p[i] for i in range(1, len(p))] or [0]
        # −(1 + c²) · P′(c)
        new = [0] * (len(dp) + 2)
        for i, c in enumerate(dp):
            new[i] -= c
            new[i + 2] -= c
        p = new
    return p


def _polygamma_positive(n: int, x):
    return (-1.0) ** (n + 1) * math.factorial(n) * _hurwitz_zeta(n + 1, x)


def polygamma_array(n: int, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (n = 0 is digamma itself)."""
    if n == 0:
        return digamma_array(x)
    x, v = _as_float64(x)
    sign = (-1.0) ** (n + 1)
    out = xp.full_like(v, xp.nan)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = (v > 0) & xp.isfinite(v)
        out[pos] = _polygamma_positive(n, v[pos])
        out[v == xp.inf] = sign * 0.0
        pole = (v <= 0) & (v == xp.floor(v))
        out[pole] = sign * xp.inf
        neg = (v < 0) & xp.isfinite(v) & ~pole
        if neg.any():
            u = v[neg]
            c = _cot_pi(u)
            poly = xp.zeros_like(c)
            for coefficient in reversed(_cot_derivative_polynomials(n)):
                poly = poly * c + coefficient
            out[neg] = ((-1.0) ** n * _polygamma_positive(n, 1.0 - u)
                        - math.pi ** (n + 1) * poly)
    return _result(x, out)


# ------------------------------------------------------------------ the primitives
def _digamma_of(x):
    if isinstance(x, Tensor):
        return Digamma.apply(x)
    return special_function("digamma", digamma_array, x)


def _polygamma_of(n: int, x):
    if isinstance(x, Tensor):
        return Polygamma.apply(x, n=n)
    return special_function("polygamma", polygamma_array, x, n)


@primitive
class Lgamma(Function):
    """The logarithm of the absolute value of the gamma function.

    Forward:     y = ln |Γ(x)|,  Γ(x) = ∫₀^∞ t^{x−1} e^{−t} dt
    Derivative:  ∂y/∂x = ψ(x)  (the digamma function)
    VJP:         ∂L/∂x = g · ψ(x)
    Numerics:    Taylor series about 1 and 2 below 10 (full relative accuracy near the roots 1
                 and 2), Stirling's series above; reflection for x < 0; +inf at 0, −1, −2, …
    """

    name = "lgamma"
    array_api = True
    text = ("y = ln |Γ(x)|", "∂y/∂x = ψ(x)")
    latex = (r"y = \ln\lvert\Gamma(x)\rvert", r"\frac{\partial y}{\partial x} = \psi(x)")
    explanation = "The slope of ln Γ is the digamma function ψ = Γ′/Γ, by its definition."
    domain = "positive"
    reference = staticmethod(lgamma_array)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return special_function("lgamma", lgamma_array, x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * _digamma_of(x)


@primitive
class Digamma(Function):
    """The digamma function, the derivative of ln Γ.

    Forward:     y = ψ(x) = d ln Γ(x) / dx
    Derivative:  ∂y/∂x = ψ⁽¹⁾(x) = Σ_{k≥0} 1/(x + k)²  (the trigamma function)
    VJP:         ∂L/∂x = g · ψ⁽¹⁾(x)
    Numerics:    recurrence ψ(x) = ψ(x+1) − 1/x up to 10, then the asymptotic series;
                 ψ(x) = ψ(1−x) − π cot πx for x < 0; ψ(±0) = ∓inf, nan at negative integers.
    """

    name = "digamma"
    array_api = True
    text = ("y = ψ(x) = d ln Γ(x)/dx", "∂y/∂x = ψ⁽¹⁾(x) = Σₖ 1/(x + k)²")
    latex = (r"y = \psi(x) = \frac{d}{dx}\ln\Gamma(x)",
             r"\frac{\partial y}{\partial x} = \psi^{(1)}(x) = \sum_{k\ge 0} \frac{1}{(x+k)^2}")
    explanation = "The slope of digamma is trigamma, the next polygamma function."
    domain = "positive"
    reference = staticmethod(digamma_array)

    @staticmethod
    def forward(ctx, x):
        ctx.save(x)
        return special_function("digamma", digamma_array, x)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * _polygamma_of(1, x)


@primitive
class Polygamma(Function):
    """The polygamma function of order n, the (n+1)-th derivative of ln Γ.

    Forward:     y = ψ⁽ⁿ⁾(x) = dⁿψ(x)/dxⁿ = (−1)ⁿ⁺¹ n! Σ_{k≥0} 1/(x + k)ⁿ⁺¹   (n ≥ 1)
    Derivative:  ∂y/∂x = ψ⁽ⁿ⁺¹⁾(x)
    VJP:         ∂L/∂x = g · ψ⁽ⁿ⁺¹⁾(x)   (no gradient for the integer n)
    Numerics:    the Hurwitz zeta ζ(n+1, x) summed up to x + N ≥ 20 + n, closed by the
                 Euler–Maclaurin formula; reflection through the derivatives of cot for x < 0.
    """

    name = "polygamma"
    array_api = True
    text = ("y = ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! Σₖ 1/(x + k)ⁿ⁺¹", "∂y/∂x = ψ⁽ⁿ⁺¹⁾(x)")
    latex = (r"y = \psi^{(n)}(x) = (-1)^{n+1}\, n! \sum_{k\ge 0} \frac{1}{(x+k)^{n+1}}",
             r"\frac{\partial y}{\partial x} = \psi^{(n+1)}(x)")
    explanation = "Each polygamma function is the derivative of the one before it."
    domain = "positive"
    reference = staticmethod(lambda x, n: polygamma_array(n, x))

    @staticmethod
    def forward(ctx, x, n):
        ctx.save(x)
        ctx.n = n
        return special_function("polygamma", polygamma_array, x, n)

    @staticmethod
    def vjp(ctx, g):
        (x,) = ctx.saved
        return g * _polygamma_of(ctx.n + 1, x)


# ------------------------------------------------------------------ the functions
@tensor_method(inplace=True)
def lgamma(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """ln |Γ(x)| elementwise, differentiable (∂/∂x = digamma(x)); see :class:`Lgamma`."""
    return Lgamma.apply(to_float(input))


@tensor_method(inplace=True)
def digamma(input) -> Tensor:  # noqa: A002
    """ψ(x) = d ln Γ(x)/dx elementwise, differentiable (∂/∂x = polygamma(1, x))."""
    return Digamma.apply(to_float(input))


def _check_order(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"polygamma: the order n must be a non-negative integer, got {n!r}")
    return n


def polygamma(n: int, input) -> Tensor:  # noqa: A002
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (PyTorch's argument order: n first);
    differentiable in x (∂/∂x = polygamma(n + 1, x)); polygamma(0, x) = digamma(x)."""
    n = _check_order(n)
    return Polygamma.apply(to_float(input), n=n)


def _polygamma_method(self, n: int) -> Tensor:
    """``x.polygamma(n)`` = ``polygamma(n, x)`` (PyTorch's Tensor method)."""
    return polygamma(n, self)


def _polygamma_inplace(self, n: int) -> Tensor:
    """In-place form of :meth:`polygamma` (writes into this tensor)."""
    return self._inplace(lambda t: polygamma(n, t))


_polygamma_method.__name__ = "polygamma"
_polygamma_inplace.__name__ = "polygamma_"
Tensor.polygamma = _polygamma_method
Tensor.polygamma_ = _polygamma_inplace
