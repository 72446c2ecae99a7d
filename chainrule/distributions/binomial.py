"""The binomial distribution."""
from __future__ import annotations

from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from ._probs_logits import binary_pair, expand_counted, given_params
from .distribution import Distribution


def _clamp_by_zero(x: Tensor) -> Tensor:
    """max(x, 0) whose derivative at 0 is ½ (PyTorch's ``_clamp_by_zero``)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    r"""Binomial distribution: the number of successes k ∈ {0, …, n} in n = ``total_count``
    independent trials of success probability p (``probs``, or p = σ(``logits``) = σ(l)).

    Mass:         P(k) = C(n, k) pᵏ (1 − p)^{n−k}
    Log-mass:     log P(k) = ln Γ(n+1) − ln Γ(k+1) − ln Γ(n−k+1) + k l − n log(1 + eˡ)
                  (log(1 + eˡ) as max(l, 0) + log1p(e^{−|l|}))
    Gradients:    ∂/∂l = k − n p;  ∂/∂p = k/p − (n − k)/(1 − p)
    Reparameterisation: none (discrete); sample as ``torch.binomial`` (PyTorch's CPU sampler, the
                  same numbers after the same manual_seed: :meth:`Generator.sample_binomial`).
    mean n p; variance n p (1 − p); mode min(⌊(n + 1) p⌋, n); entropy −Σₖ P(k) log P(k) (equal
    total_count across the batch only, as PyTorch).
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True
    _math = (("Mass", "P(k) = C(n, k) pᵏ (1 − p)^{n−k}", r"P(k) = \binom nk p^k(1-p)^{n-k}"),
             ("Gradient", "∂log P/∂l = k − n p",
              r"\frac{\partial\log P}{\partial l} = k - np"),
             "Successes in n independent coin flips.")

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (total,) = binary_pair(self, probs, logits, "Binomial", total_count,
                               names=("total_count",))
        self.total_count = total.type_as(self._param)
        super().__init__(self._param.shape, validate_args=validate_args)

    def _params_to_check(self) -> dict:
        return given_params(self, ("total_count",))

    def expand(self, batch_shape, _instance=None):
        return expand_counted(self, Binomial, batch_shape, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        from ..ops.sampling import binomial
        return binomial(self.total_count.expand(*shape).detach(),
                        self.probs.expand(*shape).detach())

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = lgamma(self.total_count + 1)
        log_factorial_k = lgamma(value + 1)
        log_factorial_nmk = lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * (-self.logits.abs()).exp().log1p()
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what: str) -> int:
        counts = self.total_count._data
        total = int(counts.max())
        if not counts.min() == total:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        from .. import arange
        total = self._homogeneous_count("enumerate_support")
        values = arange(1 + total, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
