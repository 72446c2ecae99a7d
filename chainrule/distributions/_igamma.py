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


def gammainc_grad_a_array(a, x):
    """∂P(a, x)/∂a = Σₙ tₙ (log x − ψ(a + n + 1)),  tₙ = e^{−x} x^{a+n} / Γ(a + n + 1)
    (the series of P differentiated term by term; tₙ by a log-space recurrence, so no term
    underflows before the peak at n ≈ x − a)."""
    from ..ops.gamma import digamma_array
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=xp.float64), xp.asarray(x, dtype=xp.float64))
    out = xp.zeros(a.shape)
    ok = (x > 0) & xp.isfinite(x) & (a > 0)
    if not ok.any():
        return out
    av, xv = a[ok], x[ok]
    log_x = xp.log(xv)
    log_t = av * log_x - xv - lgamma_array(av + 1.0)
    psi = digamma_array(av + 1.0)
    total = xp.exp(log_t) * (log_x - psi)
    size = xp.exp(log_t)
    for n in range(1, 100000):
        log_t = log_t + log_x - xp.log(av + n)
        psi = psi + 1.0 / (av + n)
        term = xp.exp(log_t)
        total = total + term * (log_x - psi)
        size = size + term
        if n > 8 and ((term <= 1e-17 * size) | (term == 0)).all() and (av + n > xv).all():
            break
    out[ok] = total
    return out


def standard_gamma_grad_array(a, z):
    """∂z/∂a for z ~ Gamma(a, 1) by implicit differentiation of F(z; a) = u (u held fixed):
    ∂z/∂a = −(∂F/∂a)(z; a) / p(z; a),  p(z; a) = z^{a−1} e^{−z} / Γ(a): the exact derivative,
    which PyTorch's ``_standard_gamma_grad`` approximates (to ~1e-4) and rsample uses; kept as
    the reference the approximation is tested against."""
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore"):
        log_p = (a - 1.0) * xp.log(z) - z - lgamma_array(a)
        return -gammainc_grad_a_array(a, z) * xp.exp(-log_p)


class _StandardGamma(Function):
    """z ~ Gamma(α, 1), with the implicit reparameterisation gradient as PyTorch computes it.

    Forward:     z drawn as PyTorch's CPU ``_standard_gamma`` draws it, the same numbers for the
                 same seed (Marsaglia–Tsang, :meth:`chainrule.Generator.sample_gamma`), at least
                 the smallest normal number of the dtype
    Derivative:  ∂z/∂α = −(∂F/∂α)(z; α) / p(z; α)  (F the cdf, held at the drawn quantile
                 u = F(z; α): the sample moves with α as the quantile function does)
    VJP:         ∂L/∂α = g · ∂z/∂α, ∂z/∂α by PyTorch's approximation ``_standard_gamma_grad``
                 (a series for z < 0.8, Rice's expansion for α > 8, a fitted rational function
                 otherwise: :func:`._gamma_grads.standard_gamma_grad_array`), PyTorch's numbers;
                 it is within ~1e-4 relative of the exact derivative
                 (:func:`standard_gamma_grad_array` here computes that one)
    """

    name = "standard_gamma"

    @staticmethod
    def forward(ctx, alpha, generator=None):
        from .. import backend
        from ..random import resolve
        out = resolve(generator).sample_gamma(backend.to_numpy(alpha))
        out = backend.asarray_like(out, alpha)
        ctx.save(alpha, out)
        return out

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            raise RuntimeError("standard_gamma: no second derivative (its backward is written "
                               "on arrays)")
        from .. import backend
        from ._gamma_grads import standard_gamma_grad_array as pytorch_grad
        alpha, z = ctx.saved
        grad = pytorch_grad(backend.to_numpy(alpha), backend.to_numpy(z))
        return g * backend.asarray_like(grad, g)


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Draws of Gamma(α, 1), one per element of α, differentiable in α (implicitly, by PyTorch's
    ``_standard_gamma_grad``) (``torch._standard_gamma``)."""
    return _StandardGamma.apply(alpha, generator=generator)
