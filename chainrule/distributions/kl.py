"""KL(p ‖ q) = E_p[log p(x) − log q(x)]: a registry of closed forms (PyTorch's ``kl_divergence``
and ``register_kl``).

``kl_divergence(p, q)`` looks up the most specific registered pair for (type(p), type(q)) (by
method resolution order) and raises ``NotImplementedError`` when none is registered, as PyTorch.
Every formula below is built from Tensor operations, so it is differentiable in both arguments.
"""
from __future__ import annotations

import math

from ..ops.gamma import digamma, lgamma
from ..ops.special import erf
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
    from .. import full_like, where
    return where(mask, full_like(value.detach(), math.inf), value)


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
    from .. import where, zeros_like
    return where(mask, zeros_like(value.detach()), value)


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


# ------------------------------------------------------------------ pairs of different families
# KL(p ‖ q) = −H(p) − E_p[log q(x)]; E_p[log q] needs only moments of p (E x, E x², E log x, …).
# Where p puts mass outside q's support, KL = +∞ (PyTorch's _infinite_like).
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER_GAMMA = 0.57721566490153286061


def _infinite(p: Distribution) -> Tensor:
    from .. import full
    return full(tuple(p.batch_shape), math.inf, dtype=_dtype_of(p))


def _dtype_of(p):
    return next(v.dtype for v in vars(p).values() if isinstance(v, Tensor))


for _p, _q in [(Exponential, Beta), (Gamma, Beta), (Laplace, Beta), (Normal, Beta),
               (Exponential, Uniform), (Gamma, Uniform), (Laplace, Uniform), (Normal, Uniform),
               (Laplace, Gamma), (Laplace, Exponential), (Normal, Gamma), (Normal, Exponential),
               (Poisson, Bernoulli)]:
    register_kl(_p, _q)(lambda p, q: _infinite(p))      # p's support is not inside q's


def _neg_log_normal(q: Normal, mean: Tensor, var: Tensor) -> Tensor:
    """−E_p[log N(x; μ, σ²)] = log σ + ½ log 2π + (Var_p x + (E_p x − μ)²)/(2σ²)"""
    return q.scale.log() + _HALF_LOG_2PI + (var + (mean - q.loc) ** 2) / (2 * q.scale ** 2)


def _neg_log_gamma(q: Gamma, mean: Tensor, mean_log: Tensor) -> Tensor:
    """−E_p[log Gamma(x; a, b)] = −a log b − (a − 1) E log x + b E x + ln Γ(a)"""
    from .. import xlogy
    a, b = q.concentration, q.rate
    return -xlogy(a, b) - (a - 1) * mean_log + b * mean + lgamma(a)


def _beta_mean_log(p: Beta) -> Tensor:
    return digamma(p.concentration1) - digamma(p.concentration1 + p.concentration0)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    """−H(p) − (p log λ − λ)   (log k! = 0 for k ∈ {0, 1})"""
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    return -p.entropy() + _neg_log_gamma(q, p.mean, _beta_mean_log(p))


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() + _neg_log_normal(q, p.mean, p.variance)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    """−H(p) + log(high − low), +∞ unless [0, 1] ⊆ [low, high]"""
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low > 0) | (q.high < 1), result)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    """E log x = −γ − log λ, E x = 1/λ under Exp(λ)"""
    return -p.entropy() + _neg_log_gamma(q, p.mean, -_EULER_GAMMA - p.rate.log())


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    return -p.entropy() + _neg_log_normal(q, p.mean, p.variance)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return -p.entropy() + _neg_log_normal(q, p.mean, p.variance)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() + _neg_log_normal(q, p.mean, p.variance)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """−H(p) + log 2b + E|x − μq|/b, with E|x − m| = σ√(2/π) e^{−d²/2σ²} + d erf(d/(σ√2)),
    d = μp − m (the mean of a folded normal)"""
    d = p.loc - q.loc
    folded = p.scale * math.sqrt(2 / math.pi) * (-(d ** 2) / (2 * p.scale ** 2)).exp() + \
        d * erf(d / (p.scale * math.sqrt(2)))
    return -p.entropy() + (2 * q.scale).log() + folded / q.scale


def _uniform_mean_log(low: Tensor, high: Tensor) -> Tensor:
    """E log x for x ~ U(low, high), 0 ≤ low: (h log h − h − (l log l − l))/(h − l)"""
    from .. import xlogy
    return (xlogy(high, high) - high - xlogy(low, low) + low) / (high - low)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    """−log(h − l) − [(α − 1) E log x + (β − 1) E log(1 − x) − ln B(α, β)], +∞ unless
    [l, h] ⊆ [0, 1]"""
    a, b = q.concentration1, q.concentration0
    inside_low, inside_high = p.low.clamp(0, 1), p.high.clamp(0, 1)
    e_log_x = _uniform_mean_log(inside_low, inside_high)
    e_log_1mx = _uniform_mean_log(1 - inside_high, 1 - inside_low)
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    result = -(p.high - p.low).log() - ((a - 1) * e_log_x + (b - 1) * e_log_1mx - log_beta)
    return _inf_where((p.low < 0) | (p.high > 1), result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -(p.high - p.low).log() - q.rate.log() + q.rate * p.mean
    return _inf_where(p.low < 0, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    e_log_x = _uniform_mean_log(p.low.clamp(min=0), p.high.clamp(min=0))
    result = -(p.high - p.low).log() + _neg_log_gamma(q, p.mean, e_log_x)
    return _inf_where(p.low < 0, result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    return -p.entropy() + _neg_log_normal(q, p.mean, p.variance)
