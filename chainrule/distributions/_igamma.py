"""The regularised lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a), the Gamma cdf.

Whole-array NumPy in float64, looping over terms (never elements):

- x < a + 1: the series P = e^{−x} xᵃ / Γ(a) · Σₙ xⁿ / (a (a+1) … (a+n));
- x ≥ a + 1: Q = 1 − P by Legendre's continued fraction
  Q = e^{−x} xᵃ / Γ(a) · 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))),
  evaluated by the modified Lentz method.

Differentiable in x (∂P/∂x = x^{a−1} e^{−x}/Γ(a), the Gamma(a, 1) density); like PyTorch's
igamma, not in a (asking for that gradient raises)."""
from __future__ import annotations

from ..autograd.function import Function
from ..backend import xp
from ..ops.gamma import lgamma_array
from ..tensor import Tensor

_TINY = 1e-300
_MAX_TERMS = 2000


def _prefactor(a, x):
    return xp.exp(a * xp.log(x) - x - lgamma_array(a))


def _series(a, x):
    term = 1.0 / a
    total = term.copy()
    ap = a.copy()
    for _ in range(_MAX_TERMS):
        ap = ap + 1.0
        term = term * x / ap
        total = total + term
        if (xp.abs(term) <= xp.abs(total) * 1e-17).all():
            break
    return total * _prefactor(a, x)


def _fraction(a, x):
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if (xp.abs(delta - 1.0) <= 1e-16).all():
            break
    return h * _prefactor(a, x)


def gammainc_array(a, x):
    """P(a, x) on arrays (broadcast), float64; 0 for x ≤ 0, 1 at x = inf."""
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=xp.float64), xp.asarray(x, dtype=xp.float64))
    out = xp.zeros(a.shape)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ok = (x > 0) & xp.isfinite(x) & (a > 0)
        low = ok & (x < a + 1.0)
        high = ok & ~low
        if low.any():
            out[low] = _series(a[low], x[low])
        if high.any():
            out[high] = 1.0 - _fraction(a[high], x[high])
        out[x == xp.inf] = 1.0
        out[(a <= 0) | xp.isnan(a) | xp.isnan(x)] = xp.nan
    return out


class _GammaincP(Function):
    """P(a, x) = γ(a, x)/Γ(a).

    Forward:     P(a, x) = (1/Γ(a)) ∫₀ˣ t^{a−1} e^{−t} dt
    VJP:         ∂L/∂x = g · x^{a−1} e^{−x} / Γ(a);  ∂L/∂a: not implemented (as PyTorch)
    """

    name = "gammainc"

    @staticmethod
    def forward(ctx, a, x):
        ctx.save(a, x)
        out = gammainc_array(a, x)
        dtype = xp.result_type(getattr(a, "dtype", xp.float64), getattr(x, "dtype", xp.float64))
        return out.astype(dtype if dtype.kind == "f" else xp.float64)

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            raise RuntimeError("gammainc: no second derivative (its backward is written on "
                               "arrays)")
        a, x = ctx.saved
        need_a, need_x = ctx.needs_input_grad
        if need_a:
            raise NotImplementedError("the derivative of the incomplete gamma function with "
                                      "respect to its first argument (the Gamma cdf's gradient "
                                      "in the concentration) is not implemented, as in PyTorch")
        with xp.errstate(divide="ignore", invalid="ignore"):
            density = xp.where(x > 0, xp.exp((a - 1) * xp.log(xp.where(x > 0, x, 1.0)) - x
                                             - lgamma_array(a)), 0.0)
        return None, g * density


def gammainc(a, x) -> Tensor:
    return _GammaincP.apply(a, x)
