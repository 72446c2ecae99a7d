"""The two-parameter Weibull distribution."""
from __future__ import annotations

from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .exponential import Exponential
from .gumbel import EULER_GAMMA
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import AffineTransform, PowerTransform


class Weibull(TransformedDistribution):
    r"""Weibull distribution with ``scale`` (λ > 0) and ``concentration`` (k > 0): λ E^{1/k}
    for E ~ Exp(1) (a TransformedDistribution of Exp(1), as PyTorch).

    Density:      p(x) = (k/λ)(x/λ)^{k−1} e^{−(x/λ)^k},  x > 0
    Log-density:  log p(x) = log k − log λ + (k − 1) log(x/λ) − (x/λ)^k
    Gradients:    ∂/∂λ = (k/λ)((x/λ)^k − 1),  ∂/∂k = 1/k + log(x/λ)(1 − (x/λ)^k)
    Reparameterisation (rsample):  x = λ (−log(1 − u))^{1/k},  u ~ U(0, 1)
    cdf 1 − e^{−(x/λ)^k}; mean λ Γ(1 + 1/k); variance λ²(Γ(1 + 2/k) − Γ(1 + 1/k)²);
    mode λ((k − 1)/k)^{1/k}; entropy γ(1 − 1/k) + log(λ/k) + 1.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    _math = (("Density", "p(x) = (k/λ)(x/λ)^{k−1} e^{−(x/λ)^k}",
              r"p(x) = \frac k\lambda\left(\frac x\lambda\right)^{k-1}e^{-(x/\lambda)^k}"),
             ("Gradient", "∂log p/∂λ = (k/λ)((x/λ)^k − 1)",
              r"\frac{\partial\log p}{\partial\lambda} = \frac k\lambda((x/\lambda)^k - 1)"),
             ("Reparameterisation", "x = λ (−log(1 − u))^{1/k}, u ~ U(0, 1)",
              r"x = \lambda(-\log(1-u))^{1/k}"),
             "Lifetimes whose failure rate grows (k > 1) or shrinks (k < 1) as a power of time.")

    def __init__(self, scale, concentration, validate_args=None):
        from .. import ones_like
        self.scale, self.concentration = broadcast_all(scale, concentration,
                                                       names=("scale", "concentration"),
                                                       owner="Weibull")
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Weibull, _instance)
        batch_shape = tuple(batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        new.concentration = self.concentration.expand(*batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal),
                      AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self) -> Tensor:
        return self.scale * ((self.concentration - 1) / self.concentration) \
            ** self.concentration.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (lgamma(1 + 2 * self.concentration_reciprocal).exp()
                                    - (2 * lgamma(1 + self.concentration_reciprocal)).exp())

    def entropy(self) -> Tensor:
        return (EULER_GAMMA * (1 - self.concentration_reciprocal)
                + (self.scale * self.concentration_reciprocal).log() + 1)


