"""The normal (Gaussian) distribution N(μ, σ²)."""
from __future__ import annotations

import math

from ..ops.special import erf
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all, noise
from .exp_family import ExponentialFamily

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(ExponentialFamily):
    r"""Normal distribution with mean ``loc`` (μ) and standard deviation ``scale`` (σ > 0).

    Density:      p(x) = exp(−(x − μ)² / 2σ²) / (σ√(2π))
    Log-density:  log p(x) = −(x − μ)²/(2σ²) − log σ − ½ log 2π
    Gradients:    ∂/∂x = −(x − μ)/σ²,  ∂/∂μ = (x − μ)/σ²,  ∂/∂σ = (x − μ)²/σ³ − 1/σ
    Reparameterisation (rsample):  x = μ + σ ε,  ε ~ N(0, 1)
    cdf Φ((x − μ)/σ) = ½(1 + erf((x − μ)/(σ√2))); icdf μ + σ√2 erf⁻¹(2p − 1);
    entropy ½ + ½ log 2π + log σ; mean = mode = μ; variance σ².

    Example::

        >>> d = Normal(cr.tensor([0.0]), cr.tensor([2.0]))
        >>> d.log_prob(cr.tensor([1.0]))        # −1/8 − log 2 − ½ log 2π
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _math = (("Density", "p(x) = exp(−(x − μ)²/2σ²) / (σ√(2π))",
              r"p(x) = \frac{1}{\sigma\sqrt{2\pi}} e^{-(x-\mu)^2/2\sigma^2}"),
             ("Gradient", "∂log p/∂μ = (x − μ)/σ², ∂log p/∂σ = (x − μ)²/σ³ − 1/σ",
              r"\frac{\partial \log p}{\partial \mu} = \frac{x-\mu}{\sigma^2},\ "
              r"\frac{\partial \log p}{\partial \sigma} = \frac{(x-\mu)^2}{\sigma^3} - "
              r"\frac{1}{\sigma}"),
             ("Reparameterisation", "x = μ + σ ε, ε ~ N(0, 1)",
              r"x = \mu + \sigma\varepsilon,\ \varepsilon \sim \mathcal{N}(0, 1)"),
             "A location–scale family: every normal is a shifted, stretched standard normal.")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale, names=("loc", "scale"), owner="Normal")
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        eps = noise(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - \
            _HALF_LOG_2PI

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value) -> Tensor:
        self._validate_probability(value)
        return self.loc + self.scale * math.sqrt(2) * (2 * value - 1).erfinv()

    def entropy(self) -> Tensor:
        return 0.5 + _HALF_LOG_2PI + self.scale.log()

    # the exponential family: θ = (μ/σ², −1/(2σ²)), F(θ) = −θ₁²/(4θ₂) + ½ log(−π/θ₂)
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple:
        return (self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal())

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()
