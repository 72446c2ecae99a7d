"""The negative binomial distribution."""
from __future__ import annotations

from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from ._probs_logits import binary_pair, expand_counted, given_params
from .distribution import Distribution
from .gamma import Gamma


class NegativeBinomial(Distribution):
    r"""Negative binomial distribution: the number of successes k ∈ {0, 1, …} before
    r = ``total_count`` failures, each trial succeeding with probability p (``probs``, or
    p = σ(``logits``) = σ(l)); r may be any non-negative real.

    Mass:         P(k) = Γ(k + r)/(k! Γ(r)) pᵏ (1 − p)^r
    Log-mass:     log P(k) = r log σ(−l) + k log σ(l) + ln Γ(r + k) − ln Γ(k + 1) − ln Γ(r)
                  (the normaliser taken as 0 when r + k = 0)
    Gradients:    ∂/∂l = k − (r + k) p;  ∂/∂r = log(1 − p) + ψ(r + k) − ψ(r)
    Reparameterisation: none (discrete); sample k ~ Poisson(λ), λ ~ Gamma(r, e^{−l}).
    mean r eˡ = r p/(1 − p); variance mean/(1 − p); mode max(⌊(r − 1) eˡ⌋, 0); no entropy.
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer
    _math = (("Mass", "P(k) = Γ(k + r)/(k! Γ(r)) pᵏ (1 − p)^r",
              r"P(k) = \frac{\Gamma(k+r)}{k!\,\Gamma(r)} p^k (1-p)^r"),
             ("Gradient", "∂log P/∂l = k − (r + k) p",
              r"\frac{\partial\log P}{\partial l} = k - (r+k)p"),
             "Overdispersed counts: a Poisson whose rate is Gamma distributed.")

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (total,) = binary_pair(self, probs, logits, "NegativeBinomial", total_count,
                               names=("total_count",))
        self.total_count = total.type_as(self._param)
        super().__init__(self._param.shape, validate_args=validate_args)

    def _params_to_check(self) -> dict:
        return given_params(self, ("total_count",))

    def expand(self, batch_shape, _instance=None):
        return expand_counted(self, NegativeBinomial, batch_shape, _instance)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    @property
    def _gamma(self) -> Gamma:
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(),
                     validate_args=False)

    def sample(self, sample_shape=()) -> Tensor:
        rate = self._gamma.sample(sample_shape)
        from ..ops.sampling import poisson
        return poisson(rate.detach())

    def log_prob(self, value) -> Tensor:
        from ..nn.functional import logsigmoid
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * logsigmoid(-self.logits) + \
            value * logsigmoid(self.logits)
        log_normalization = (-lgamma(self.total_count + value) + lgamma(1.0 + value)
                             + lgamma(self.total_count))
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization
