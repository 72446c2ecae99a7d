"""Bessel functions of the first kind: ``torch.special.bessel_j0``, ``bessel_j1`` and
``spherical_bessel_j0``, values only (PyTorch gives them no derivative: their results do not
require grad, and a backward through them raises).

Whole-array NumPy in float64, loops over terms:

- |x| < 4: the power series J₀(x) = Σₖ (−x²/4)ᵏ/(k!)², J₁(x) = (x/2) Σₖ (−x²/4)ᵏ/(k!(k+1)!)
  (terms at most 4 in size: an absolute error of a few 1e-16).
- 4 ≤ |x| < 25: Miller's backward recurrence Jₙ₋₁ = (2n/x)Jₙ − Jₙ₊₁ from n = 80 (where
  J₈₀(25) < 1e-25), normalised by J₀ + 2(J₂ + J₄ + …) = 1.
- |x| ≥ 25: Hankel's expansion Jᵥ(x) = √(2/(πx)) (Pᵥ cos χ − Qᵥ sin χ), χ = x − (2ν + 1)π/4,
  Pᵥ = Σₖ (−1)ᵏ a₂ₖ(ν)/x²ᵏ, Qᵥ = Σₖ (−1)ᵏ a₂ₖ₊₁(ν)/x²ᵏ⁺¹,
  aₖ(ν) = ∏ⱼ₌₁ᵏ (4ν² − (2j−1)²)/(k! 8ᵏ); cos χ and sin χ come from cos x and sin x (NumPy
  reduces x exactly), not from a rounded x − π/4. NaN at ±inf.

J₀ is even, J₁ odd (J₁(−0) = −0, as PyTorch). Accuracy: absolute, a few units of 1e-16 times
the amplitude min(1, √(2/(πx))) (so relative away from the zeros); near a zero of J₀ or J₁
(other than J₁'s at 0) the relative error grows as 1/|J|. tests/ops/test_special_round33.py
compares with mpmath. PyTorch 2.13's own values are good to ~1e-14 for |x| ≤ 2 but only to an
absolute ~1e-8 for 2 < |x| < 5 and ~5e-7 just above 5 (it is compared with chainrule within
those bounds there); for |x| ≳ 1e3 it rounds x − π/4 (an error of ulp(x) in the phase), and at
huge |x| (1e300) its value is that of cos(x) rather than cos(x − π/4).

spherical_bessel_j0(x) = sin(x)/x, with PyTorch's Taylor polynomial below |x| = ½ and 0 at ±inf.
"""
from __future__ import annotations

import math

from ..backend import xp
from ..tensor import Tensor
from .special_bessel import values_only
from .special_common import float64, rounded

_SERIES_TERMS = 30                      # 4³⁰/(30!)² < 1e-46
_SERIES_SPLIT = 4.0                     # the largest term is then 4 (at k = 2)
_MILLER_START = 80
_HANKEL_TERMS = 30
_SQ2OPI = math.sqrt(2.0 / math.pi)


def _j_series(x, nu: int):
    q = -0.25 * x * x
    term = xp.ones_like(x)
    total = term.copy()
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + nu))
        total = total + term
    return total if nu == 0 else 0.5 * x * total


def _j_miller(x):
    """(J₀(x), J₁(x)) for 4 ≤ x < 25 by Miller's backward recurrence."""
    upper = xp.zeros_like(x)                     # J_{n+1}
    current = xp.ones_like(x)                    # J_n, n = _MILLER_START (even)
    norm = 2.0 * current
    j1 = None
    for n in range(_MILLER_START, 0, -1):
        lower = (2.0 * n / x) * current - upper
        upper, current = current, lower          # current is now J_{n−1}
        if n - 1 == 1:
            j1 = current
        elif (n - 1) % 2 == 0 and n - 1 > 0:
            norm = norm + 2.0 * current
    norm = norm + current
    return current / norm, j1 / norm


def _j_hankel(x, nu: int):
    """Jᵥ(x) for x ≥ 25 (see the module)."""
    mu = 4.0 * nu * nu
    inv = 1.0 / x
    p = xp.ones_like(x)
    q = xp.zeros_like(x)
    coefficient = 1.0
    power = xp.ones_like(x)
    for k in range(1, 2 * _HANKEL_TERMS):
        coefficient *= (mu - (2 * k - 1) ** 2) / (8.0 * k)
        power = power * inv
        sign = -1.0 if (k // 2) % 2 else 1.0    # (−1)^{⌊k/2⌋}
        if k % 2:
            q = q + sign * coefficient * power
        else:
            p = p + sign * coefficient * power
    # cos χ and sin χ from cos x and sin x (NumPy reduces x exactly): χ = x − π/4 for ν = 0,
    # x − 3π/4 for ν = 1, whose rounding would cost ulp(x) of phase
    c, s = xp.cos(x), xp.sin(x)
    if nu == 0:
        cos_chi, sin_chi = c + s, s - c
    else:
        cos_chi, sin_chi = s - c, -(s + c)
    return (p * cos_chi - q * sin_chi) * (_SQ2OPI * math.sqrt(0.5)) / xp.sqrt(x)


def _j(v, nu: int):
    out = xp.full_like(v, xp.nan)
    a = xp.abs(v)
    with xp.errstate(over="ignore", invalid="ignore", under="ignore"):
        small = a < _SERIES_SPLIT
        out[small] = _j_series(v[small], nu)           # (odd in x for ν = 1 by itself)
        mid = (a >= _SERIES_SPLIT) & (a < 25.0)
        if mid.any():
            out[mid] = _j_miller(a[mid])[nu]
        big = a >= 25.0
        if big.any():
            out[big] = _j_hankel(a[big], nu)
        if nu == 1:
            flip = (v < 0) & ~small
            out[flip] = -out[flip]
    return out


def j0_array(x):
    """J₀(x), the Bessel function of the first kind of order 0."""
    x, v = float64(x)
    return rounded(_j(v, 0), x)


def j1_array(x):
    """J₁(x), the Bessel function of the first kind of order 1."""
    x, v = float64(x)
    return rounded(_j(v, 1), x)


def spherical_j0_array(x):
    """j₀(x) = sin(x)/x: PyTorch's Taylor polynomial of it below |x| = ½, 0 at ±inf."""
    x, v = float64(x)
    with xp.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = v * v
        taylor = 1.0 + z * (-1.0 / 6.0 + z * (1.0 / 120.0 + z * (-1.0 / 5040.0 + z * (
            1.0 / 362880.0 + z * (-1.0 / 39916800.0 + z * (1.0 / 6227020800.0))))))
        out = xp.where(xp.abs(v) < 0.5, taylor, xp.sin(v) / v)
        out = xp.where(xp.isinf(v), 0.0, out)
    return rounded(out, x)


def bessel_j0(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """J₀(x) = Σₖ (−x²/4)ᵏ/(k!)², the Bessel function of the first kind of order 0 (values
    only, as PyTorch: no derivative)."""
    return values_only("bessel_j0", j0_array, input)


def bessel_j1(input) -> Tensor:  # noqa: A002
    """J₁(x) = (x/2) Σₖ (−x²/4)ᵏ/(k!(k+1)!), the Bessel function of the first kind of order 1
    (values only)."""
    return values_only("bessel_j1", j1_array, input)


def spherical_bessel_j0(input) -> Tensor:  # noqa: A002
    """j₀(x) = sin(x)/x, the spherical Bessel function of the first kind of order 0 (values
    only)."""
    return values_only("spherical_bessel_j0", spherical_j0_array, input)
