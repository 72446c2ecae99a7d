"""The relaxed one-hot categorical (Concrete / Gumbel-softmax) distribution and its log form."""
from __future__ import annotations

import math
import numbers

from ..tensor import Tensor
from . import constraints
from .bernoulli import clamp_probs
from .categorical import Categorical
from .distribution import Distribution, broadcast_all, noise
from .transformed_distribution import TransformedDistribution, checked_instance, delegated, reinit
from .transforms_elementwise import ExpTransform


class ExpRelaxedCategorical(Distribution):
    r"""The logarithm of a RelaxedOneHotCategorical (the Concrete distribution in log space,
    Maddison et al. 2017): x = log softmax((l + g)/τ), g Gumbel noise, τ = ``temperature``,
    l the ``logits`` (or log ``probs``), K categories.

    Density:      p(x) = (K − 1)! τ^{K−1} Πₖ pₖ e^{−τxₖ} / (Σⱼ pⱼ e^{−τxⱼ})ᴷ  on the log-simplex
    Log-density:  log p(x) = ln Γ(K) + (K − 1) log τ + Σₖ (sₖ − logsumexp(s)),  s = l − τx
    Gradients:    ∂/∂lⱼ = 1 − K softmax(s)ⱼ,  ∂/∂τ = (K − 1)/τ − Σₖ xₖ + K Σₖ softmax(s)ₖ xₖ
    Reparameterisation (rsample):  x = s − logsumexp(s),  s = (l − log(−log u))/τ,
                  u ~ U(0, 1) clamped to [eps, 1 − eps]
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True
    _math = (("Density", "p(x) = (K − 1)! τ^{K−1} Π pₖ e^{−τxₖ} / (Σ pⱼ e^{−τxⱼ})ᴷ",
              r"p(x) = (K-1)!\,\tau^{K-1}\frac{\prod_k p_k e^{-\tau x_k}}"
              r"{(\sum_j p_j e^{-\tau x_j})^K}"),
             ("Gradient", "∂log p/∂lⱼ = 1 − K softmax(l − τx)ⱼ",
              r"\frac{\partial\log p}{\partial l_j} = 1 - K\,\mathrm{softmax}(l-\tau x)_j"),
             ("Reparameterisation", "x = log softmax((l + g)/τ), g Gumbel",
              r"x = \log\mathrm{softmax}((l+g)/\tau)"),
             "The Gumbel-softmax sample, kept in log space for stability.")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = tuple(self._categorical.param_shape[-1:])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, ExpRelaxedCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        reinit(new, ExpRelaxedCategorical, batch_shape, self.event_shape, self._validate_args)
        return new

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(noise(shape, self.logits.dtype, "uniform"))
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        from .. import full_like
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value, names=("logits", "value"),
                                      owner="ExpRelaxedCategorical.log_prob")
        t = self.temperature
        if isinstance(t, numbers.Number):
            log_scale = math.lgamma(k) + (k - 1) * math.log(t)
        else:
            log_scale = full_like(t, float(k)).lgamma() - t.log() * (-(k - 1))
        score = logits - value * t
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    r"""Relaxed one-hot categorical (Concrete / Gumbel-softmax) distribution on the simplex:
    exp(X), X ~ ExpRelaxedCategorical(τ, l) (a TransformedDistribution by ExpTransform, as
    PyTorch); as τ → 0 its draws approach one-hot vectors of Categorical(softmax l).

    Density:      p(y) = (K − 1)! τ^{K−1} Πₖ (pₖ yₖ^{−τ−1}) / (Σⱼ pⱼ yⱼ^{−τ})ᴷ
    Log-density:  log p_X(log y) − Σₖ log yₖ
    Gradients:    those of the expression
    Reparameterisation (rsample):  y = softmax((l + g)/τ),  g = −log(−log u) Gumbel noise
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True
    _math = (("Density", "p(y) = (K − 1)! τ^{K−1} Π (pₖ yₖ^{−τ−1}) / (Σ pⱼ yⱼ^{−τ})ᴷ",
              r"p(y) = (K-1)!\,\tau^{K-1}\frac{\prod_k p_k y_k^{-\tau-1}}"
              r"{(\sum_j p_j y_j^{-\tau})^K}"),
             ("Gradient", "∇ log p = ∇ [log p_X(log y) − Σ log yₖ]",
              r"\nabla\log p = \nabla[\log p_X(\log y) - \textstyle\sum_k \log y_k]"),
             ("Reparameterisation", "y = softmax((l + g)/τ), g Gumbel",
              r"y = \mathrm{softmax}((l+g)/\tau)"),
             "The Gumbel-softmax: a differentiable stand-in for a categorical draw.")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)

    temperature = delegated("temperature")
    logits = delegated("logits")
    probs = delegated("probs")
