"""KL(p ‖ q) = E_p[log p(x) − log q(x)]: a registry of closed forms (PyTorch's ``kl_divergence``
and ``register_kl``).

``kl_divergence(p, q)`` looks up the most specific registered pair for (type(p), type(q)) (by
method resolution order) and raises ``NotImplementedError`` when none is registered, as PyTorch.
Every formula below is built from Tensor operations, so it is differentiable in both arguments.
"""
from __future__ import annotations

import math

from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from ._linalg import solve_triangular
from .bernoulli import Bernoulli
from .categorical import Categorical
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution, sum_rightmost
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` registers the closed form of KL(p‖q)
    for p an instance of P and q of Q (subclasses inherit it unless they register their own)."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)
            and isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"register_kl: expected two subclasses of Distribution, got {type_p!r} "
                        f"and {type_q!r}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _dispatch(type_p: type, type_q: type):
    matches = [(tp, tq) for tp, tq in _KL_REGISTRY
               if issubclass(type_p, tp) and issubclass(type_q, tq)]
    if not matches:
        return None
    # the most specific: the smallest (position in p's MRO, position in q's MRO)
    best = min(matches, key=lambda m: (type_p.__mro__.index(m[0]), type_q.__mro__.index(m[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    r"""KL(p ‖ q) = ∫ p(x) log(p(x)/q(x)) dx, batched over the distributions' batch shape.

    Raises NotImplementedError for a pair with no registered closed form."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p of type "
                                  f"{type(p).__name__} and q of type {type(q).__name__}")
    return fn(p, q)


def _inf_where(mask: Tensor, value: Tensor) -> Tensor:
    from .. import where
    return where(mask, value * 0 + math.inf, value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½"""
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p log(p/q) + (1 − p) log((1 − p)/(1 − q)), written with the logits l: softplus terms."""
    from ..nn.functional import softplus
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _zero_where(p.probs == 0, _inf_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _zero_where(p.probs == 1, _inf_where(q.probs == 1, t2))
    return t1 + t2


def _zero_where(mask, value):
    from .. import where
    return where(mask, value * 0, value)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """Σₖ pₖ (log pₖ − log qₖ) (terms with pₖ = 0 are 0; qₖ = 0 < pₖ gives +inf)"""
    t = p.probs * (p.logits - q.logits)
    t = _inf_where((q.probs == 0).expand(*t.shape), t)
    t = _zero_where((p.probs == 0).expand(*t.shape), t)
    return t.sum(-1)


def _kl_dirichlet_terms(pc: Tensor, qc: Tensor) -> Tensor:
    """ln Γ(Σp) − ln Γ(Σq) − Σ(ln Γ(pᵢ) − ln Γ(qᵢ)) + Σ (pᵢ − qᵢ)(ψ(pᵢ) − ψ(Σp))"""
    sp, sq = pc.sum(-1), qc.sum(-1)
    t1 = lgamma(sp) - lgamma(sq)
    t2 = (lgamma(pc) - lgamma(qc)).sum(-1)
    t3 = pc - qc
    t4 = digamma(pc) - digamma(sp).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    return _kl_dirichlet_terms(p.concentration, q.concentration)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    """ln B(αq, βq) − ln B(αp, βp) + (αp − αq)ψ(αp) + (βp − βq)ψ(βp)
    + (αq − αp + βq − βp)ψ(αp + βp)   (the Dirichlet formula with K = 2)"""
    return _kl_dirichlet_terms(p._dirichlet.concentration, q._dirichlet.concentration)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    """αq log(βp/βq) + ln Γ(αq) − ln Γ(αp) + (αp − αq)ψ(αp) + (βq − βp) αp/βp"""
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """λq/λp − log(λq/λp) − 1"""
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    """log(bq/bp) + |μp − μq|/bq + (bp/bq) e^{−|μp − μq|/bp} − 1"""
    scale_ratio = p.scale / q.scale
    diff = (p.loc - q.loc).abs()
    return -scale_ratio.log() + diff / q.scale + scale_ratio * (-diff / p.scale).exp() - 1


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    """λp (log λp − log λq) − (λp − λq)"""
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    """log((hq − lq)/(hp − lp)) when [lp, hp] ⊆ [lq, hq], else +inf"""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    """½ [tr(Σq⁻¹Σp) + (μq − μp)ᵀΣq⁻¹(μq − μp) − k + log det Σq − log det Σp], with
    tr(Σq⁻¹Σp) = |Lq⁻¹ Lp|²_F and the quadratic form |Lq⁻¹(μq − μp)|²."""
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL between multivariate normals of different event shapes "
                         f"{tuple(p.event_shape)} and {tuple(q.event_shape)}")
    k = p.event_shape[0]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = q._half_log_det() - p._half_log_det()
    trace = (solve_triangular(lq, lp) ** 2).sum((-2, -1))
    z = solve_triangular(lq, (q.loc - p.loc).unsqueeze(-1)).squeeze(-1)
    return half_term1 + 0.5 * (trace + (z * z).sum(-1) - k)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different "
                                  "reinterpreted_batch_ndims is not implemented")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
