"""The multinomial distribution: counts of n draws from K categories."""
from __future__ import annotations

import math

from ..backend import xp
from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution, broadcast_all
from .transformed_distribution import checked_instance, reinit


class Multinomial(Distribution):
    r"""Multinomial distribution: the counts x ∈ ℕᴷ (Σ xₖ = n) of n = ``total_count`` (an int)
    independent draws from the categorical p (``probs``, normalised, or softmax of ``logits``).

    Mass:         P(x) = n!/(Πₖ xₖ!) Πₖ pₖ^{xₖ}
    Log-mass:     log P(x) = ln Γ(Σ xₖ + 1) − Σ ln Γ(xₖ + 1) + Σ xₖ log pₖ
                  (0 · log 0 = 0: a category with pₖ = 0 and xₖ = 0 contributes nothing)
    Gradients:    ∂/∂lⱼ = xⱼ − n pⱼ (normalised logits);  ∂/∂pⱼ = xⱼ/pⱼ − n/Σ p (unnormalised probs)
    Reparameterisation: none (discrete); sample: n categorical draws counted per category.
    mean n p; variance n p (1 − p); entropy n H(p) − ln n! + Σₖ Σⱼ₌₁ⁿ Binom(j; n, pₖ) ln j!
    (ln n! rounded to float32 first, as PyTorch computes it from an integer tensor).
    The value's sum is only checked to be at most n (PyTorch's weaker check).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    _math = (("Mass", "P(x) = n!/(Πₖ xₖ!) Πₖ pₖ^{xₖ}",
              r"P(x) = \frac{n!}{\prod_k x_k!}\prod_k p_k^{x_k}"),
             ("Gradient", "∂log P/∂lⱼ = xⱼ − n pⱼ",
              r"\frac{\partial\log P}{\partial l_j} = x_j - np_j"),
             "How n draws from K categories fall: the categorical's counts.")

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = tuple(self._categorical.param_shape[-1:])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Multinomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        reinit(new, Multinomial, batch_shape, self.event_shape, self._validate_args)
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        from ..nn.functional import one_hot
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        samples = self._categorical.sample((self.total_count,) + tuple(sample_shape))
        k = self._categorical._num_events
        counts = one_hot(samples, k).sum(0) if self.total_count else \
            Tensor._from_op(xp.zeros(self._extended_shape(sample_shape), xp.int64), None)
        return counts.to(self.probs.dtype)

    def entropy(self) -> Tensor:
        n = self.total_count
        cat_entropy = self._categorical.entropy()
        # PyTorch: lgamma of an int64 tensor, computed (and rounded) in float32
        term1 = n * cat_entropy - float(xp.float32(math.lgamma(n + 1)))
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = lgamma(support + 1)
        term2 = (binomial_probs * weights).sum((0, -1))
        return term1 + term2

    def log_prob(self, value) -> Tensor:
        from .. import where
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value, names=("logits", "value"),
                                      owner="Multinomial.log_prob")
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        logits = where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
