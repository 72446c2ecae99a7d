"""The modified Bessel functions: ``torch.i0`` / ``torch.special.i0``, ``i0e``, ``i1``, ``i1e``
(differentiable, as in PyTorch) and ``modified_bessel_i0``, ``modified_bessel_i1``,
``modified_bessel_k0``, ``modified_bessel_k1``, ``scaled_modified_bessel_k0``,
``scaled_modified_bessel_k1`` (values only: PyTorch gives them no derivative, and their results
do not require grad).

Whole-array NumPy in float64, loops over terms:

- Iₙ, |x| < 25: the power series I₀(x) = Σₖ (x²/4)ᵏ/(k!)², I₁(x) = (x/2) Σₖ (x²/4)ᵏ/(k!(k+1)!)
  (45 terms; every term positive, so no cancellation); e^{−|x|}Iₙ for the scaled forms.
- Iₙ, |x| ≥ 25: Hankel's expansion e^{−x}Iᵥ(x) = (2πx)^{−1/2} Σₖ (−1)ᵏ aₖ(ν)/xᵏ with
  aₖ(ν) = ∏ⱼ₌₁ᵏ (4ν² − (2j−1)²) / (k! 8ᵏ) (32 terms: the smallest term, near k = 2x, is below
  1e-19); Iₙ = e^{|x|} · that, so Iₙ overflows to inf above x ≈ 709.8 (as PyTorch's) and is NaN
  at ±inf (inf·0, as PyTorch's).  I₀ is even, I₁ odd (I₁(−0) = +0, as PyTorch).
- Kₙ, 0 < x ≤ 1.5: the series (DLMF 10.31.1)
  K₀(x) = −(ln(x/2) + γ) I₀(x) + Σₖ Hₖ (x²/4)ᵏ/(k!)²,
  K₁(x) = 1/x + ln(x/2) I₁(x) − (x/4) Σₖ (ψ(k+1) + ψ(k+2)) (x²/4)ᵏ/(k!(k+1)!),
  (Hₖ the harmonic numbers, ψ(k+1) = Hₖ − γ), with ln(x/2) taken as ln(0.5·x) as PyTorch does,
  so that the smallest subnormal gives PyTorch's inf (K₀) and NaN (K₁).
- Kₙ, x > 1.5: Steed's algorithm for Temme's continued fraction CF2 (Numerical Recipes'
  ``bessik`` with ν = 0), which gives e^{x}K₀ and e^{x}K₁ together, each element iterated
  until its own sum converges (a few dozen steps near 1.5, fewer beyond; the series would
  lose a digit to cancellation near 2). K is inf at 0, NaN for x < 0, 0 at +inf.

Accuracy (tests/ops/test_special_round33.py): a few units in the last place against mpmath.
"""
from __future__ import annotations

import math

from ..backend import numpy_dtype, sgn, xp
from ..tensor import Tensor, tensor_method
from .promotion import to_float
from .special_common import define_unary, float64, of, on_host, rounded

_EULER_GAMMA = 0.57721566490153286061
_SERIES_TERMS = 45
_HANKEL_TERMS = 32
_SPLIT = 25.0


def _i_series(x, nu: int):
    """Iᵥ(x) for 0 ≤ x < 25 by the power series."""
    q = 0.25 * x * x
    term = xp.ones_like(x)
    total = term.copy()
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + nu))
        total = total + term
    return total if nu == 0 else 0.5 * x * total


def _i_scaled_hankel(x, nu: int):
    """e^{−x} Iᵥ(x) for x ≥ 25 by Hankel's asymptotic expansion."""
    inv = 1.0 / x
    coefficient = 1.0
    total = xp.ones_like(x)
    power = xp.ones_like(x)
    mu = 4.0 * nu * nu
    for k in range(1, _HANKEL_TERMS):
        coefficient *= -(mu - (2 * k - 1) ** 2) / (8.0 * k)
        power = power * inv
        total = total + coefficient * power
    with xp.errstate(divide="ignore"):
        return total / xp.sqrt(2.0 * math.pi * x)


def _i_scaled(v, nu: int):
    """(e^{−|x|} Iᵥ(x), Iᵥ(x)) for float64 v: the series below |x| = 25 (scaled by e^{−|x|}),
    Hankel's expansion above (unscaled by e^{|x|})."""
    a = xp.abs(v)
    scaled = xp.full_like(v, xp.nan)
    plain = xp.full_like(v, xp.nan)
    small = a < _SPLIT
    with xp.errstate(over="ignore", invalid="ignore"):
        series = _i_series(a[small], nu)
        plain[small] = series
        scaled[small] = xp.exp(-a[small]) * series
        big = a >= _SPLIT
        scaled[big] = _i_scaled_hankel(a[big], nu)
        plain[big] = xp.exp(a[big]) * scaled[big]
    if nu == 1:                       # odd; +0 at −0, as PyTorch (whose sign test is x < 0)
        negative = v < 0
        scaled = xp.where(negative, -scaled, scaled)
        plain = xp.where(negative, -plain, plain)
    return scaled, plain


def i0_array(x):
    """I₀(x), the modified Bessel function of the first kind of order 0."""
    x, v = float64(x)
    return rounded(_i_scaled(v, 0)[1], x)


def i0e_array(x):
    """e^{−|x|} I₀(x)."""
    x, v = float64(x)
    return rounded(_i_scaled(v, 0)[0], x)


def i1_array(x):
    """I₁(x), the modified Bessel function of the first kind of order 1."""
    x, v = float64(x)
    return rounded(_i_scaled(v, 1)[1], x)


def i1e_array(x):
    """e^{−|x|} I₁(x)."""
    x, v = float64(x)
    return rounded(_i_scaled(v, 1)[0], x)


# ------------------------------------------------------------------ K₀, K₁
_PSI_TERMS = 30
_HARMONIC = [0.0]
for _k in range(1, _PSI_TERMS + 2):
    _HARMONIC.append(_HARMONIC[-1] + 1.0 / _k)


def _k_series(x):
    """(K₀(x), K₁(x)) for 0 < x ≤ 1.5 (DLMF 10.31.1; 30 terms: (x²/4)³⁰/(30!)² < 1e-64)."""
    q = 0.25 * x * x
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_half = xp.log(0.5 * x)
        term0 = xp.ones_like(x)                       # (x²/4)ᵏ/(k!)²
        term1 = xp.ones_like(x)                       # (x²/4)ᵏ/(k!(k+1)!)
        i0 = term0.copy()
        i1 = term1.copy()
        sum0 = xp.zeros_like(x)
        sum1 = term1 * (_HARMONIC[0] + _HARMONIC[1] - 2.0 * _EULER_GAMMA)
        for k in range(1, _PSI_TERMS):
            term0 = term0 * q / (k * k)
            term1 = term1 * q / (k * (k + 1))
            i0 = i0 + term0
            i1 = i1 + term1
            sum0 = sum0 + _HARMONIC[k] * term0
            sum1 = sum1 + (_HARMONIC[k] + _HARMONIC[k + 1] - 2.0 * _EULER_GAMMA) * term1
        k0 = -(log_half + _EULER_GAMMA) * i0 + sum0
        k1 = 1.0 / x + log_half * (0.5 * x * i1) - 0.25 * x * sum1
    return k0, k1


_CF2_STEPS = 400
_K_SPLIT = 1.5          # the series cancels (K₀(2) ≈ 0.11 from terms ≈ 1.3); CF2 is slow below 1


def _k_scaled_fraction(x, nu: float = 0.0, steps: int = _CF2_STEPS):
    """(e^{x}Kᵥ(x), e^{x}Kᵥ₊₁(x)) for x > 1 (|ν| ≤ ½) by Steed's algorithm for CF2, each
    element iterated until its own sum has converged (at most ``steps`` steps; ν = 0 for K₀ and
    K₁ above 1.5, ν = ⅓ for the Airy function)."""
    k0 = xp.empty_like(x)
    k1 = xp.empty_like(x)
    index = xp.arange(x.size)
    xv = x
    b = 2.0 * (1.0 + xv)
    d = 1.0 / b
    h = d.copy()
    delh = d.copy()
    q1 = xp.zeros_like(xv)
    q2 = xp.ones_like(xv)
    a1 = 0.25 - nu * nu
    q = xp.full_like(xv, a1)
    c = xp.full_like(xv, a1)
    a = xp.full_like(xv, -a1)
    s = 1.0 + q * delh
    for i in range(1, steps):
        a = a - 2 * i
        c = -a * c / (i + 1.0)
        qnew = (q1 - b * q2) / a
        q1, q2 = q2, qnew
        q = q + c * qnew
        b = b + 2.0
        d = 1.0 / (b + a * d)
        delh = (b * d - 1.0) * delh
        h = h + delh
        dels = q * delh
        s = s + dels
        done = ~(xp.abs(dels) >= 1e-17 * xp.abs(s))     # (NaN counts as done)
        if done.any() or i == steps - 1:
            if i == steps - 1:
                done = xp.ones_like(done)
            scaled0 = xp.sqrt(math.pi / (2.0 * xv[done])) / s[done]
            k0[index[done]] = scaled0
            k1[index[done]] = scaled0 * (xv[done] + nu + 0.5 - a1 * h[done]) / xv[done]
            keep = ~done
            if not keep.any():
                break
            index, xv, b, d, h, delh = index[keep], xv[keep], b[keep], d[keep], h[keep], \
                delh[keep]
            q1, q2, q, c, a, s = q1[keep], q2[keep], q[keep], c[keep], a[keep], s[keep]
    return k0, k1


def _k(v, order: int, scaled: bool):
    """Kₙ(x) (or e^{x}Kₙ(x)) for float64 v."""
    out = xp.full_like(v, xp.nan)
    with xp.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        small = (v > 0) & (v <= _K_SPLIT)
        if small.any():
            value = _k_series(v[small])[order]
            out[small] = xp.exp(v[small]) * value if scaled else value
        big = (v > _K_SPLIT) & (v < xp.inf)
        if big.any():
            value = _k_scaled_fraction(v[big])[order]
            out[big] = value if scaled else xp.exp(-v[big]) * value
        out[v == 0] = xp.inf
        out[v == xp.inf] = 0.0
    return out


def k0_array(x):
    """K₀(x), the modified Bessel function of the second kind of order 0."""
    x, v = float64(x)
    return rounded(_k(v, 0, False), x)


def k1_array(x):
    """K₁(x), the modified Bessel function of the second kind of order 1."""
    x, v = float64(x)
    return rounded(_k(v, 1, False), x)


def k0e_array(x):
    """e^{x} K₀(x)."""
    x, v = float64(x)
    return rounded(_k(v, 0, True), x)


def k1e_array(x):
    """e^{x} K₁(x)."""
    x, v = float64(x)
    return rounded(_k(v, 1, True), x)


# ------------------------------------------------------------------ the primitives
def _safe(x, ns):
    """PyTorch's i1/i1e backward: (|x| > ε, x with ε where not) — the limit 0.5 is used at 0."""
    eps = float(xp.finfo(numpy_dtype(x.dtype)).eps)
    big = ns.abs(x) > eps
    return big, ns.where(big, x, eps)


def _i1_backward(g, x, y, ns):
    big, safe = _safe(x, ns)
    slope = _i0_of(safe) - y * (1.0 / safe)
    return g * ns.where(big, slope, 0.5)


def _i1e_backward(g, x, y, ns):
    big, safe = _safe(x, ns)
    slope = _i0e_of(safe) - y * (sgn(safe) + 1.0 / safe)
    return g * ns.where(big, slope, 0.5)


I0 = define_unary(
    "I0", "i0", i0_array, lambda g, x, y, ns: g * _i1_of(x),
    ("y = I₀(x) = Σₖ (x²/4)ᵏ/(k!)²", "∂y/∂x = I₁(x)"),
    (r"y = I_0(x) = \sum_{k\ge0} \frac{(x^2/4)^k}{(k!)^2}",
     r"\frac{\partial y}{\partial x} = I_1(x)"),
    "The modified Bessel function of order 0; its slope is the one of order 1.",
    "power series below |x| = 25, Hankel's expansion times e^{|x|} above (inf beyond 709.8, "
    "NaN at ±inf, as PyTorch's). Other array libraries: a host round trip.",
    "∂L/∂x = g · I₁(x)", module=__name__)

I0e = define_unary(
    "I0e", "i0e", i0e_array, lambda g, x, y, ns: g * (_i1e_of(x) - sgn(x) * y),
    ("y = e^{−|x|} I₀(x)", "∂y/∂x = e^{−|x|} I₁(x) − sgn(x)·y"),
    (r"y = e^{-|x|} I_0(x)",
     r"\frac{\partial y}{\partial x} = e^{-|x|} I_1(x) - \operatorname{sgn}(x)\, y"),
    "The exponentially scaled I₀: no overflow, ~1/√(2π|x|) for large |x|.",
    "e^{−|x|} times the series below 25, Hankel's expansion above. The VJP is PyTorch's "
    "g·(i1e(x) − sgn(x)·y), reusing the output; sgn(0) = 0.",
    "∂L/∂x = g · (i1e(x) − sgn(x)·y)", module=__name__)

I1 = define_unary(
    "I1", "i1", i1_array, _i1_backward,
    ("y = I₁(x) = (x/2) Σₖ (x²/4)ᵏ/(k!(k+1)!)", "∂y/∂x = I₀(x) − I₁(x)/x, ½ at x = 0"),
    (r"y = I_1(x) = \frac{x}{2}\sum_{k\ge0} \frac{(x^2/4)^k}{k!\,(k+1)!}",
     r"\frac{\partial y}{\partial x} = I_0(x) - \frac{I_1(x)}{x}"),
    "The modified Bessel function of order 1, odd in x.",
    "power series below |x| = 25, Hankel's expansion above. The VJP is PyTorch's: "
    "I₀(x) − y/x with x replaced by ε (the dtype's epsilon) where |x| ≤ ε, and the limit ½ "
    "there.",
    "∂L/∂x = g · (I₀(x) − y/x), g/2 where |x| ≤ ε", module=__name__)

I1e = define_unary(
    "I1e", "i1e", i1e_array, _i1e_backward,
    ("y = e^{−|x|} I₁(x)", "∂y/∂x = e^{−|x|} I₀(x) − y·(sgn(x) + 1/x), ½ at x = 0"),
    (r"y = e^{-|x|} I_1(x)", r"\frac{\partial y}{\partial x} = e^{-|x|} I_0(x) - "
     r"y\left(\operatorname{sgn}(x) + \frac{1}{x}\right)"),
    "The exponentially scaled I₁: no overflow, odd in x.",
    "e^{−|x|} times the series below 25, Hankel's expansion above. The VJP is PyTorch's: "
    "i0e(x) − y·(sgn(x) + 1/x) with x replaced by ε where |x| ≤ ε, and ½ there.",
    "∂L/∂x = g · (i0e(x) − y·(sgn(x) + 1/x)), g/2 where |x| ≤ ε", module=__name__)


def _i0_of(x):
    return of(I0, i0_array, x)


def _i0e_of(x):
    return of(I0e, i0e_array, x)


def _i1_of(x):
    return of(I1, i1_array, x)


def _i1e_of(x):
    return of(I1e, i1e_array, x)


# ------------------------------------------------------------------ the functions
@tensor_method(inplace=True)
def i0(input) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    """I₀(x) elementwise (``torch.i0``, ``torch.special.i0``, ``Tensor.i0``); see :class:`I0`."""
    return I0.apply(to_float(input))


def i0_(input) -> Tensor:  # noqa: A002
    """``torch.i0_(input)``: :meth:`Tensor.i0_` (in place; returns input)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"i0_(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.i0_()


def i0e(input) -> Tensor:  # noqa: A002
    """e^{−|x|} I₀(x) elementwise; see :class:`I0e`."""
    return I0e.apply(to_float(input))


def i1(input) -> Tensor:  # noqa: A002
    """I₁(x) elementwise; see :class:`I1`."""
    return I1.apply(to_float(input))


def i1e(input) -> Tensor:  # noqa: A002
    """e^{−|x|} I₁(x) elementwise; see :class:`I1e`."""
    return I1e.apply(to_float(input))


def values_only(name: str, host, input) -> Tensor:  # noqa: A002
    """``host`` of the tensor's values as a Tensor that does not require grad: PyTorch's
    functions without a derivative (its Bessel functions of torch.special) return results
    outside the graph, so a backward through them raises, as PyTorch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    x = to_float(input)
    return Tensor._from_op(on_host(host, x._data), None)


def modified_bessel_i0(input) -> Tensor:  # noqa: A002
    """I₀(x) = Σₖ (x²/4)ᵏ/(k!)², values only (PyTorch has no derivative of this spelling; use
    :func:`i0` for one)."""
    return values_only("modified_bessel_i0", i0_array, input)


def modified_bessel_i1(input) -> Tensor:  # noqa: A002
    """I₁(x) = (x/2) Σₖ (x²/4)ᵏ/(k!(k+1)!), values only (see :func:`i1` for a derivative)."""
    return values_only("modified_bessel_i1", i1_array, input)


def modified_bessel_k0(input) -> Tensor:  # noqa: A002
    """K₀(x), the modified Bessel function of the second kind of order 0 (values only: inf at
    0, NaN for x < 0)."""
    return values_only("modified_bessel_k0", k0_array, input)


def modified_bessel_k1(input) -> Tensor:  # noqa: A002
    """K₁(x), the modified Bessel function of the second kind of order 1 (values only)."""
    return values_only("modified_bessel_k1", k1_array, input)


def scaled_modified_bessel_k0(input) -> Tensor:  # noqa: A002
    """e^{x} K₀(x) (values only): no underflow for large x, ~√(π/(2x))."""
    return values_only("scaled_modified_bessel_k0", k0e_array, input)


def scaled_modified_bessel_k1(input) -> Tensor:  # noqa: A002
    """e^{x} K₁(x) (values only)."""
    return values_only("scaled_modified_bessel_k1", k1e_array, input)


__all__ = ["i0", "i0_", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1"]
