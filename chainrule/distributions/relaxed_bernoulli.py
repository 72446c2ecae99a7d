"""The relaxed (concrete) Bernoulli distribution and its logit form."""
from __future__ import annotations

import math
import numbers

from ..tensor import Tensor
from . import constraints
from ._probs_logits import binary_pair, given_params
from .bernoulli import clamp_probs
from .distribution import Distribution, broadcast_all, noise
from .transformed_distribution import TransformedDistribution, checked_instance, delegated, reinit
from .transforms_elementwise import SigmoidTransform


def _log(t):
    return math.log(t) if isinstance(t, numbers.Number) else t.log()


class LogitRelaxedBernoulli(Distribution):
    r"""The logit of a RelaxedBernoulli: x = (l + log u − log(1 − u))/τ, u ~ U(0, 1), with
    temperature τ = ``temperature`` and l = ``logits`` (or log p − log(1 − p) of ``probs``)
    (Maddison et al. 2017, the binary Concrete in logit space).

    Density:      p(x) = τ e^{l − τx} / (1 + e^{l − τx})²   (a logistic of mean l/τ, scale 1/τ)
    Log-density:  log p(x) = log τ + d − 2 log(1 + eᵈ),  d = l − τx
    Gradients:    ∂/∂l = 1 − 2σ(d),  ∂/∂x = −τ(1 − 2σ(d)),  ∂/∂τ = 1/τ − x(1 − 2σ(d))
    Reparameterisation (rsample):  x = (log u − log(1 − u) + log p − log(1 − p))/τ (u and p
                  clamped to [eps, 1 − eps])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True
    _math = (("Density", "p(x) = τ e^{l − τx} / (1 + e^{l − τx})²",
              r"p(x) = \frac{\tau e^{l-\tau x}}{(1+e^{l-\tau x})^2}"),
             ("Gradient", "∂log p/∂l = 1 − 2σ(l − τx)",
              r"\frac{\partial\log p}{\partial l} = 1 - 2\sigma(l-\tau x)"),
             ("Reparameterisation", "x = (logit u + l)/τ, u ~ U(0, 1)",
              r"x = (\operatorname{logit} u + l)/\tau"),
             "A logistic variable whose sigmoid relaxes a coin flip.")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        binary_pair(self, probs, logits, "LogitRelaxedBernoulli")
        super().__init__(self._param.shape, validate_args=validate_args)

    def _params_to_check(self) -> dict:
        return given_params(self)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LogitRelaxedBernoulli, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        new.probs = self.probs.expand(*batch_shape)
        new.logits = self.logits.expand(*batch_shape)
        new._given = self._given
        new._param = new.probs if self._given == "probs" else new.logits
        reinit(new, LogitRelaxedBernoulli, batch_shape, (), self._validate_args)
        return new

    @property
    def param_shape(self):
        return self._param.shape

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(*shape))
        uniforms = clamp_probs(noise(shape, self.probs.dtype, "uniform"))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / \
            self.temperature

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value, names=("logits", "value"),
                                      owner="LogitRelaxedBernoulli.log_prob")
        diff = logits - value * self.temperature
        return _log(self.temperature) + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    r"""Relaxed Bernoulli (binary Concrete) distribution on (0, 1): σ(X) with
    X ~ LogitRelaxedBernoulli(τ, l) (a TransformedDistribution by SigmoidTransform, as PyTorch);
    as τ → 0 it approaches Bernoulli(σ(l)).

    Density:      p(y) = τ eˡ y^{−τ−1}(1 − y)^{−τ−1} / (eˡ y^{−τ} + (1 − y)^{−τ})²
    Log-density:  log p_X(logit y) − log(y(1 − y))
    Gradients:    those of the expression (∂/∂l = 1 − 2σ(l − τ logit y))
    Reparameterisation (rsample):  y = σ((logit u + l)/τ),  u ~ U(0, 1)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _math = (("Density", "p(y) = τ eˡ (y(1 − y))^{−τ−1} / (eˡ y^{−τ} + (1 − y)^{−τ})²",
              r"p(y) = \frac{\tau e^l (y(1-y))^{-\tau-1}}{(e^l y^{-\tau} + (1-y)^{-\tau})^2}"),
             ("Gradient", "∂log p/∂l = 1 − 2σ(l − τ logit y)",
              r"\frac{\partial\log p}{\partial l} = 1 - 2\sigma(l-\tau\operatorname{logit}y)"),
             ("Reparameterisation", "y = σ((logit u + l)/τ), u ~ U(0, 1)",
              r"y = \sigma((\operatorname{logit}u + l)/\tau)"),
             "A differentiable stand-in for a coin flip (the Concrete / Gumbel-softmax trick).")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)

    temperature = delegated("temperature")
    logits = delegated("logits")
    probs = delegated("probs")
