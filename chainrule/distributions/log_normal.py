"""The log-normal distribution: e^X for X ~ N(μ, σ²)."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import ExpTransform


class LogNormal(TransformedDistribution):
    r"""Log-normal distribution: Y = e^X with X ~ Normal(``loc`` μ, ``scale`` σ > 0)
    (a TransformedDistribution of the Normal by ExpTransform, as PyTorch).

    Density:      p(y) = exp(−(log y − μ)²/2σ²) / (y σ √(2π)),  y > 0
    Log-density:  log p(y) = log N(log y; μ, σ²) − log y
    Gradients:    ∂/∂μ = (log y − μ)/σ²,  ∂/∂σ = (log y − μ)²/σ³ − 1/σ,
                  ∂/∂y = −(1 + (log y − μ)/σ²)/y
    Reparameterisation (rsample):  y = exp(μ + σ ε),  ε ~ N(0, 1)
    mean e^{μ + σ²/2}; mode e^{μ − σ²}; variance (e^{σ²} − 1) e^{2μ + σ²};
    entropy ½ + ½ log 2π + log σ + μ; cdf Φ((log y − μ)/σ).
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _math = (("Density", "p(y) = exp(−(log y − μ)²/2σ²) / (y σ √(2π))",
              r"p(y) = \frac{1}{y\sigma\sqrt{2\pi}} e^{-(\log y-\mu)^2/2\sigma^2}"),
             ("Gradient", "∂log p/∂μ = (log y − μ)/σ²",
              r"\frac{\partial\log p}{\partial\mu} = \frac{\log y-\mu}{\sigma^2}"),
             ("Reparameterisation", "y = exp(μ + σ ε), ε ~ N(0, 1)",
              r"y = e^{\mu+\sigma\varepsilon}"),
             "A quantity whose logarithm is normal: products of many positive factors.")

    def __init__(self, loc, scale, validate_args=None):
        base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
