"""The logistic-normal distribution on the simplex."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_structured import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    r"""Logistic-normal distribution on the simplex in ℝᴷ⁺¹: the stick-breaking image of
    X ~ Normal(``loc``, ``scale``) in ℝᴷ (a TransformedDistribution of Independent(Normal, 1)
    by StickBreakingTransform, as PyTorch).

    Density:      p(y) = N(x; μ, diag σ²) / |det J(x)|,  x = f⁻¹(y) the stick-breaking inverse
    Log-density:  log p(y) = Σₖ log N(xₖ; μₖ, σₖ²) − Σₖ (−x̃ₖ + log σ(x̃ₖ) + log yₖ)
    Gradients:    those of the expression (∂/∂μ = (x − μ)/σ²)
    Reparameterisation (rsample):  y = stick_breaking(μ + σ ε),  ε ~ N(0, I)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True
    _math = (("Density", "p(y) = N(f⁻¹(y); μ, σ²) / |det J(f⁻¹(y))|",
              r"p(y) = \mathcal N(f^{-1}(y);\mu,\sigma^2)/|\det J|"),
             ("Gradient", "∂log p/∂μ = (x − μ)/σ², x = f⁻¹(y)",
              r"\frac{\partial\log p}{\partial\mu} = \frac{x-\mu}{\sigma^2}"),
             ("Reparameterisation", "y = stick_breaking(μ + σ ε)",
              r"y = \mathrm{sb}(\mu+\sigma\varepsilon)"),
             "A normal vector mapped onto the simplex: correlated proportions.")

    def __init__(self, loc, scale, validate_args=None):
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
