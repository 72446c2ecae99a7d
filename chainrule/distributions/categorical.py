"""The categorical distribution over {0, …, K − 1}, parameterised by ``probs`` or ``logits``."""
from __future__ import annotations

import math

from ..backend import xp
from ..tensor import Tensor
from . import constraints
from .bernoulli import _ProbsOrLogits, logits_to_probs, probs_to_logits
from .distribution import as_param


class Categorical(_ProbsOrLogits):
    r"""Categorical distribution: x ∈ {0, …, K−1} with P(x = k) = pₖ, the last dimension of
    ``probs`` (normalised to sum to 1) or softmax of ``logits``.

    Mass:         P(x = k) = pₖ = e^{lₖ} / Σⱼ e^{lⱼ}
    Log-mass:     log P(k) = lₖ − logsumexp(l)
    Gradients:    ∂/∂lⱼ = [j = k] − pⱼ;  ∂/∂pⱼ (unnormalised probs) = [j = k]/pₖ − 1/Σ p
    Reparameterisation: none (discrete); sample: the inverse cdf, x = #{k : Σ_{j≤k} pⱼ ≤ u}.
    entropy −Σₖ pₖ log pₖ; mean and variance nan (PyTorch's convention: the labels are not
    numbers); mode argmax p.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    has_enumerate_support = True
    _math = (("Mass", "P(x = k) = pₖ = e^{lₖ} / Σⱼ e^{lⱼ}",
              r"P(x = k) = \frac{e^{l_k}}{\sum_j e^{l_j}}"),
             ("Gradient", "∂log P(k)/∂lⱼ = [j = k] − pⱼ",
              r"\frac{\partial \log P(k)}{\partial l_j} = [j = k] - p_j"),
             "One of K outcomes; the log-mass is the negative cross-entropy of the logits.")

    def __init__(self, probs=None, logits=None, validate_args=None):
        from .. import logsumexp
        self._given_one(probs, logits, "Categorical")
        given = as_param(probs if probs is not None else logits)
        if given.dim() < 1:
            raise ValueError(f"Categorical: `{self._given}` must have at least one dimension "
                             f"(the K categories), got a scalar")
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
            self.logits = probs_to_logits(self.probs)
        else:
            self.logits = given - logsumexp(given, -1, keepdim=True)
            self.probs = logits_to_probs(self.logits)
        self._num_events = given.shape[-1]
        super().__init__(given.shape[:-1], validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        from .. import full
        return full(tuple(self.batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self.mean

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()) -> Tensor:
        """PyTorch's draw: ``multinomial(probs_2d, n, True).T`` with n the number of samples
        (one sample per row: the exponential race; more: the inverse cdf)."""
        from ..ops.sampling import multinomial

        shape = self._extended_shape(sample_shape)
        n = math.prod(shape[:len(shape) - len(self.batch_shape)])
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        samples_2d = multinomial(probs_2d, n, True).T
        return samples_2d.reshape(shape)

    def log_prob(self, value) -> Tensor:
        from .. import broadcast_tensors
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        lowest = float(xp.finfo(self.logits._data.dtype).min)
        return -(self.logits.clamp(min=lowest) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        from .. import arange
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(self._num_events, *self.batch_shape) if expand else values
