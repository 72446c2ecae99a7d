"""The Pareto (type I) distribution."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import AffineTransform, ExpTransform


class Pareto(TransformedDistribution):
    r"""Pareto distribution with ``scale`` (xₘ > 0) and ``alpha`` (α > 0): xₘ e^E for
    E ~ Exp(α) (a TransformedDistribution, as PyTorch).

    Density:      p(x) = α xₘ^α / x^{α+1},  x ≥ xₘ
    Log-density:  log p(x) = log α + α log xₘ − (α + 1) log x
    Gradients:    ∂/∂α = 1/α + log(xₘ/x),  ∂/∂xₘ = α/xₘ,  ∂/∂x = −(α + 1)/x
    Reparameterisation (rsample):  x = xₘ exp(−log(1 − u)/α),  u ~ U(0, 1)
    cdf 1 − (xₘ/x)^α; mean α xₘ/(α − 1) (inf for α ≤ 1); variance xₘ²α/((α − 1)²(α − 2)) (inf
    for α ≤ 2); mode xₘ; entropy log(xₘ/α) + 1 + 1/α; support [xₘ, ∞).
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    _math = (("Density", "p(x) = α xₘ^α / x^{α+1}, x ≥ xₘ",
              r"p(x) = \frac{\alpha x_m^\alpha}{x^{\alpha+1}}"),
             ("Gradient", "∂log p/∂α = 1/α + log(xₘ/x)",
              r"\frac{\partial\log p}{\partial\alpha} = \frac1\alpha + \log\frac{x_m}{x}"),
             ("Reparameterisation", "x = xₘ exp(E), E = −log(1 − u)/α",
              r"x = x_m e^{-\log(1-u)/\alpha}"),
             "A power law: the 80/20 rule of incomes and city sizes.")

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha, names=("scale", "alpha"),
                                               owner="Pareto")
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Pareto, _instance)
        new.scale = self.scale.expand(*batch_shape)
        new.alpha = self.alpha.expand(*batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
