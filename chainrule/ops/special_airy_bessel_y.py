"""The Airy function and the Bessel functions of the second kind: ``torch.special.airy_ai``,
``bessel_y0`` and ``bessel_y1``, values only (PyTorch gives them no derivative: their results do
not require grad, and a backward through them raises).

Whole-array NumPy in float64 (rounded to the input's dtype), loops over terms, never elements.

Y₀, Y₁ (NaN for x < 0 and at +inf, −inf at ±0, as PyTorch):

- 0 < x < 4: the power series (DLMF 10.8.1, Hₖ the harmonic numbers)
  Y₀(x) = (2/π)[(ln(x/2) + γ)J₀(x) − Σₖ₌₁ Hₖ (−x²/4)ᵏ/(k!)²],
  Y₁(x) = −2/(πx) + (2/π) ln(x/2) J₁(x) − (x/2π) Σₖ (Hₖ + Hₖ₊₁ − 2γ)(−x²/4)ᵏ/(k!(k+1)!);
- 4 ≤ x < 25: Miller's backward recurrence Jₙ₋₁ = (2n/x)Jₙ − Jₙ₊₁ from n = 80, normalised by
  J₀ + 2(J₂ + J₄ + …) = 1, and Neumann's expansions (with L = ln(x/2) + γ)
  Y₀ = (2/π)[L·J₀ − 2 Σₖ₌₁ (−1)ᵏ J₂ₖ/k],  Y₁ = −Y₀′ = (2/π)[L·J₁ − J₀/x + Σₖ₌₁ (−1)ᵏ
  (J₂ₖ₋₁ − J₂ₖ₊₁)/k];
- x ≥ 25: Hankel's expansion Yᵥ(x) = √(2/(πx)) (Pᵥ sin χ + Qᵥ cos χ), χ = x − (2ν + 1)π/4, with
  sin χ and cos χ from sin x and cos x (NumPy reduces x exactly), as bessel_j0/j1 do.

Ai (NaN at ±inf, as PyTorch, and 0 above x = 103.892, PyTorch's cut-off):

- −2 ≤ x < 1.35: Maclaurin's series Ai(x) = Ai(0) f(x) + Ai′(0) g(x), f = Σ 3ᵏ(⅓)ₖ x³ᵏ/(3k)!,
  g = Σ 3ᵏ(⅔)ₖ x³ᵏ⁺¹/(3k+1)! (DLMF 9.4.1);
- x ≥ 1.35: Ai(x) = (1/π)√(x/3) K_{1/3}(ζ), ζ = (2/3)x^{3/2} (DLMF 9.6.1), e^{ζ}K_{1/3}(ζ) by
  Steed's algorithm for Temme's continued fraction CF2 (as modified_bessel_k0/k1, ν = 1/3);
- −11.2 < x < −2 (ζ < 25): Ai(−z) = (√z/3)(J_{1/3}(ζ) + J_{−1/3}(ζ)) (DLMF 9.6.6), each J by
  Miller's backward recurrence from order ν + 80, normalised by Σₖ (ν+2k)Γ(ν+k)/k! J_{ν+2k}(ζ)
  = (ζ/2)^ν (Neumann's expansion of a power);
- x ≤ −11.2: the asymptotic expansion Ai(−z) = π^{−1/2} z^{−1/4} (sin(ζ + π/4) Σₖ (−1)ᵏ u₂ₖ/ζ²ᵏ
  − cos(ζ + π/4) Σₖ (−1)ᵏ u₂ₖ₊₁/ζ²ᵏ⁺¹) (DLMF 9.7.9), whose smallest term there is e^{−50}.

Accuracy (tests/ops/test_special_round34.py, against mpmath): Y₀, Y₁ and Ai to a few units of
1e-16 of their amplitude (relative away from their zeros; Ai for x > 0 relative, within its
condition number ~x^{3/2}). Where the argument is large its rounding shows: for x ≪ 0 the phase
ζ = (2/3)|x|^{3/2} is rounded, an absolute error of about ulp(ζ) in Ai (3.6e-12 at x = −1000),
PyTorch's as well as chainrule's; for Y at huge x PyTorch rounds x − π/4 (ulp(x) of phase),
chainrule's sin x, cos x do not. PyTorch 2.13's own values are less accurate in places, and
chainrule's differ from them there: Y₀, Y₁ by up to ~3e-8 absolute for 2 < x ≤ 5 and ~2.5e-6
just above 5 (its J₀, J₁ inside Y are no better), Ai by up to ~6e-6 just below x = −2.09 (its
asymptotic rational form starts there); elsewhere they agree to ~1e-14.
"""
from __future__ import annotations

import math

from ..backend import numpy_dtype, xp
from ..tensor import Tensor
from .special_bessel import _k_scaled_fraction, values_only
from .special_common import float64, rounded

_EULER_GAMMA = 0.57721566490153286061
_TWO_OVER_PI = 2.0 / math.pi
_SERIES_TERMS = 30
_MILLER_START = 80
_HANKEL_TERMS = 30
_HARMONIC = [0.0]
for _k in range(1, _SERIES_TERMS + 2):
    _HARMONIC.append(_HARMONIC[-1] + 1.0 / _k)


# ------------------------------------------------------------------ Y₀, Y₁
def _y_series(x):
    """(Y₀(x), Y₁(x)) for 0 < x < 4 by the power series."""
    q = -0.25 * x * x
    log_half = xp.log(x) - math.log(2.0)
    t0 = xp.ones_like(x)                          # (−x²/4)ᵏ/(k!)²
    t1 = xp.ones_like(x)                          # (−x²/4)ᵏ/(k!(k+1)!)
    j0, j1 = t0.copy(), t1.copy()
    s0 = xp.zeros_like(x)
    s1 = t1 * (_HARMONIC[0] + _HARMONIC[1] - 2.0 * _EULER_GAMMA)
    for k in range(1, _SERIES_TERMS):
        t0 = t0 * q / (k * k)
        t1 = t1 * q / (k * (k + 1))
        j0, j1 = j0 + t0, j1 + t1
        s0 = s0 + _HARMONIC[k] * t0
        s1 = s1 + (_HARMONIC[k] + _HARMONIC[k + 1] - 2.0 * _EULER_GAMMA) * t1
    j1 = 0.5 * x * j1
    y0 = _TWO_OVER_PI * ((log_half + _EULER_GAMMA) * j0 - s0)
    y1 = -_TWO_OVER_PI / x + _TWO_OVER_PI * log_half * j1 - (0.5 / math.pi) * x * s1
    return y0, y1


def _y_miller(x):
    """(Y₀(x), Y₁(x)) for 4 ≤ x < 25: Jₙ by Miller's recurrence, then Neumann's series."""
    j = [None] * (_MILLER_START + 2)
    j[_MILLER_START + 1] = xp.zeros_like(x)
    j[_MILLER_START] = xp.ones_like(x)
    for n in range(_MILLER_START, 0, -1):
        j[n - 1] = (2.0 * n / x) * j[n] - j[n + 1]
    norm = j[0] + 2.0 * sum(j[n] for n in range(2, _MILLER_START + 1, 2))
    s0 = xp.zeros_like(x)
    s1 = xp.zeros_like(x)
    for k in range(1, _MILLER_START // 2):
        sign = -1.0 if k % 2 else 1.0
        s0 = s0 + (sign / k) * j[2 * k]
        s1 = s1 + (sign / k) * (j[2 * k - 1] - j[2 * k + 1])
    j0, j1, s0, s1 = j[0] / norm, j[1] / norm, s0 / norm, s1 / norm
    big_l = xp.log(x) - math.log(2.0) + _EULER_GAMMA
    y0 = _TWO_OVER_PI * (big_l * j0 - 2.0 * s0)
    y1 = _TWO_OVER_PI * (big_l * j1 - j0 / x + s1)
    return y0, y1


def _hankel_pq(x, nu: int):
    """(Pᵥ(x), Qᵥ(x)) of Hankel's expansion, x ≥ 25."""
    mu = 4.0 * nu * nu
    inv = 1.0 / x
    p, q = xp.ones_like(x), xp.zeros_like(x)
    coefficient, power = 1.0, xp.ones_like(x)
    for k in range(1, 2 * _HANKEL_TERMS):
        coefficient *= (mu - (2 * k - 1) ** 2) / (8.0 * k)
        power = power * inv
        term = (-1.0 if (k // 2) % 2 else 1.0) * coefficient * power     # (−1)^{⌊k/2⌋}
        if k % 2:
            q = q + term
        else:
            p = p + term
    return p, q


def _y_hankel(x, nu: int):
    """Yᵥ(x) for x ≥ 25: √(2/(πx))(P sin χ + Q cos χ), χ = x − π/4 (ν = 0), x − 3π/4 (ν = 1)."""
    p, q = _hankel_pq(x, nu)
    c, s = xp.cos(x), xp.sin(x)
    if nu == 0:
        sin_chi, cos_chi = s - c, c + s
    else:
        sin_chi, cos_chi = -(s + c), s - c
    return (p * sin_chi + q * cos_chi) * (math.sqrt(1.0 / math.pi)) / xp.sqrt(x)


def _y(v, nu: int):
    out = xp.full_like(v, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        small = (v > 0) & (v < 4.0)
        if small.any():
            out[small] = _y_series(v[small])[nu]
        mid = (v >= 4.0) & (v < 25.0)
        if mid.any():
            out[mid] = _y_miller(v[mid])[nu]
        big = (v >= 25.0) & (v < xp.inf)
        if big.any():
            out[big] = _y_hankel(v[big], nu)
        out[v == 0] = -xp.inf
    return out


def y0_array(x):
    """Y₀(x), the Bessel function of the second kind of order 0."""
    x, v = float64(x)
    return rounded(_y(v, 0), x)


def y1_array(x):
    """Y₁(x), the Bessel function of the second kind of order 1."""
    x, v = float64(x)
    return rounded(_y(v, 1), x)


# ------------------------------------------------------------------ Ai
_AI0 = 0.35502805388781723926                   # Ai(0) = 1/(3^{2/3} Γ(2/3))
_AIP0 = -0.25881940379280679840                 # Ai′(0) = −1/(3^{1/3} Γ(1/3))
_AI_CUTOFF = 103.892                            # PyTorch's: 0 above
_MACLAURIN_TERMS = 40
_AI_SPLIT = 1.35                                # ζ = 1.05: CF2 converges from ζ ≈ 1
_CF2_STEPS = 600


def _ai_maclaurin(x):
    """Ai(x) for −2 ≤ x < 1.35 (terms at most 2 in size)."""
    cube = x * x * x
    f_term, g_term = xp.ones_like(x), x.copy()
    f, g = f_term.copy(), g_term.copy()
    for k in range(1, _MACLAURIN_TERMS):
        f_term = f_term * cube / ((3 * k - 1) * (3 * k))
        g_term = g_term * cube / ((3 * k) * (3 * k + 1))
        f, g = f + f_term, g + g_term
    return _AI0 * f + _AIP0 * g


def _k_third_scaled(z):
    """e^{z} K_{1/3}(z) for z > 1 (Steed's CF2 with ν = ⅓; ops/special_bessel.py)."""
    return _k_scaled_fraction(z, nu=1.0 / 3.0, steps=_CF2_STEPS)[0]


def _ai_positive(x):
    """Ai(x) = (1/π)√(x/3) K_{1/3}(ζ) for 1.35 ≤ x ≤ 103.892."""
    zeta = (2.0 / 3.0) * x * xp.sqrt(x)
    return (xp.sqrt(x / 3.0) / math.pi * _k_third_scaled(zeta)) * xp.exp(-zeta)


def _j_fractional(z, nu: float):
    """J_ν(z), 1.8 < z < 25, by Miller's backward recurrence from order ν + 80, normalised by
    Σₖ (ν+2k)Γ(ν+k)/k! J_{ν+2k}(z) = (z/2)^ν."""
    upper, current = xp.zeros_like(z), xp.ones_like(z)          # orders ν + m + 1, ν + m
    weights = [(nu + 2 * k) * math.gamma(nu + k) / math.factorial(k)
               for k in range(_MILLER_START // 2 + 1)]
    norm = weights[_MILLER_START // 2] * current
    for m in range(_MILLER_START, 0, -1):
        lower = (2.0 * (nu + m) / z) * current - upper
        upper, current = current, lower                          # current: order ν + m − 1
        if (m - 1) % 2 == 0:
            norm = norm + weights[(m - 1) // 2] * current
    return current * (0.5 * z) ** nu / norm


_U = [1.0]
for _k in range(1, 2 * _HANKEL_TERMS):
    _U.append(_U[-1] * (6 * _k - 5) * (6 * _k - 3) * (6 * _k - 1) / ((2 * _k - 1) * 216 * _k))


def _ai_oscillating(z):
    """Ai(−z) for z ≥ 11.2 by the asymptotic expansion (ζ ≥ 25)."""
    zeta = (2.0 / 3.0) * z * xp.sqrt(z)
    inv = 1.0 / zeta
    even, odd = xp.ones_like(z), xp.zeros_like(z)
    power = xp.ones_like(z)
    for k in range(1, 2 * _HANKEL_TERMS):
        power = power * inv
        term = (-1.0 if (k // 2) % 2 else 1.0) * _U[k] * power
        if k % 2:
            odd = odd + term
        else:
            even = even + term
    phase = zeta + 0.25 * math.pi
    return (xp.sin(phase) * even - xp.cos(phase) * odd) / (math.sqrt(math.pi) * xp.sqrt(
        xp.sqrt(z)))


def _ai(v):
    out = xp.full_like(v, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        series = (v >= -2.0) & (v < _AI_SPLIT)
        out[series] = _ai_maclaurin(v[series])
        positive = (v >= _AI_SPLIT) & (v <= _AI_CUTOFF)
        if positive.any():
            out[positive] = _ai_positive(v[positive])
        out[(v > _AI_CUTOFF) & (v < xp.inf)] = 0.0
        bessel = (v < -2.0) & (v > -11.2)
        if bessel.any():
            z = -v[bessel]
            zeta = (2.0 / 3.0) * z * xp.sqrt(z)
            out[bessel] = xp.sqrt(z) / 3.0 * (_j_fractional(zeta, 1.0 / 3.0)
                                              + _j_fractional(zeta, -1.0 / 3.0))
        far = (v <= -11.2) & (v > -xp.inf)
        if far.any():
            out[far] = _ai_oscillating(-v[far])
    return out


def ai_array(x):
    """Ai(x), the Airy function of the first kind."""
    x, v = float64(x)
    return rounded(_ai(v), x)


# ------------------------------------------------------------------ the functions
def _values(name: str, host, value, arg: str) -> Tensor:
    """PyTorch's operand rules (a Tensor; integers and bools become the default float dtype;
    float16 and complex refused, as its CPU kernels), then ``host`` outside the graph."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 1) must be Tensor, not "
                        f"{type(value).__name__}")
    dtype = numpy_dtype(value.dtype)
    if dtype.kind == "c" or dtype == xp.float16:
        spelled = {"float16": "Half", "complex64": "ComplexFloat",
                   "complex128": "ComplexDouble"}.get(dtype.name, dtype.name)
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{spelled}\'')
    return values_only(name, host, value)


def airy_ai(x) -> Tensor:
    """Ai(x), the Airy function of the first kind, the solution of y″ = xy that decays as
    x → +∞ (values only, as PyTorch: no derivative)."""
    return _values("airy_ai", ai_array, x, "x")


def bessel_y0(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """Y₀(x), the Bessel function of the second kind of order 0 (values only; NaN for x < 0,
    −inf at 0)."""
    return _values("bessel_y0", y0_array, input, "input")


def bessel_y1(input) -> Tensor:  # noqa: A002
    """Y₁(x), the Bessel function of the second kind of order 1 (values only; NaN for x < 0,
    −inf at 0)."""
    return _values("bessel_y1", y1_array, input, "input")


__all__ = ["airy_ai", "bessel_y0", "bessel_y1"]
