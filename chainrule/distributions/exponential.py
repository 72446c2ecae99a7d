"""The exponential distribution Exp(λ)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily


class Exponential(ExponentialFamily):
    r"""Exponential distribution with rate ``rate`` (λ > 0).

    Density:      p(x) = λ e^{−λx} for x ≥ 0
    Log-density:  log p(x) = log λ − λx
    Gradients:    ∂/∂λ = 1/λ − x,  ∂/∂x = −λ
    Reparameterisation (rsample):  x = −log(1 − u)/λ,  u ~ U(0, 1)  (the inverse cdf)
    cdf 1 − e^{−λx}; icdf −log(1 − p)/λ; entropy 1 − log λ; mean 1/λ; mode 0; variance 1/λ².
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _math = (("Density", "p(x) = λ e^{−λx}, x ≥ 0", r"p(x) = \lambda e^{-\lambda x}"),
             ("Gradient", "∂log p/∂λ = 1/λ − x",
              r"\frac{\partial \log p}{\partial \lambda} = \frac{1}{\lambda} - x"),
             ("Reparameterisation", "x = −log(1 − u)/λ, u ~ U(0, 1)",
              r"x = -\frac{\log(1-u)}{\lambda}"),
             "The waiting time of a memoryless process with rate λ.")

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate, names=("rate",), owner="Exponential")
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return self.rate * 0

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def rsample(self, sample_shape=()) -> Tensor:
        # PyTorch's draw: rate.new(shape).exponential_() / rate (−log1p(−u) in double)
        shape = tuple(self._extended_shape(sample_shape))
        e = backend.generator().exponential_(shape, self.rate._data.dtype)
        return Tensor._from_op(backend.drawn_like(e, self.rate._data), None) / self.rate

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        self._validate_probability(value)
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

    # the exponential family: θ = −λ, F(θ) = −log(−θ)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple:
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()
