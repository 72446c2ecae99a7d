"""The inverse gamma distribution: 1/X for X ~ Gamma(α, β)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import PowerTransform


class InverseGamma(TransformedDistribution):
    r"""Inverse gamma distribution with ``concentration`` (α > 0) and ``rate`` (β > 0): 1/X for
    X ~ Gamma(α, β) (a TransformedDistribution by PowerTransform(−1), as PyTorch).

    Density:      p(y) = βᵅ y^{−α−1} e^{−β/y} / Γ(α),  y > 0
    Log-density:  log p(y) = α log β − (α + 1) log y − β/y − ln Γ(α)
    Gradients:    ∂/∂α = log β − log y − ψ(α),  ∂/∂β = α/β − 1/y,  ∂/∂y = −(α + 1)/y + β/y²
    Reparameterisation (rsample):  y = 1/x, x ~ Gamma(α, β) (the Gamma's implicit gradient)
    mean β/(α − 1) (inf for α ≤ 1); mode β/(α + 1); variance β²/((α − 1)²(α − 2)) (inf for
    α ≤ 2); entropy α + log β + ln Γ(α) − (1 + α) ψ(α).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _math = (("Density", "p(y) = βᵅ y^{−α−1} e^{−β/y} / Γ(α)",
              r"p(y) = \frac{\beta^\alpha y^{-\alpha-1}e^{-\beta/y}}{\Gamma(\alpha)}"),
             ("Gradient", "∂log p/∂β = α/β − 1/y",
              r"\frac{\partial\log p}{\partial\beta} = \frac\alpha\beta - \frac1y"),
             ("Reparameterisation", "y = 1/x, x ~ Gamma(α, β)", r"y = 1/x"),
             "The conjugate prior of a normal's variance.")

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        from .. import where
        ok = self.concentration > 1
        a = where(ok, self.concentration, 2.0)
        return where(ok, self.rate / (a - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        from .. import where
        ok = self.concentration > 2
        a = where(ok, self.concentration, 3.0)
        return where(ok, self.rate.square() / ((a - 1).square() * (a - 2)), math.inf)

    def entropy(self) -> Tensor:
        return (self.concentration + self.rate.log() + self.concentration.lgamma()
                - (1 + self.concentration) * self.concentration.digamma())
