"""The half-Cauchy distribution: |X| for X ~ Cauchy(0, γ)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .cauchy import Cauchy
from .folded import FoldedAtZero
from .transformed_distribution import checked_instance
from .transforms_elementwise import AbsTransform


class HalfCauchy(FoldedAtZero):
    r"""Half-Cauchy distribution: Y = |X| with X ~ Cauchy(0, ``scale`` γ > 0)
    (a TransformedDistribution of the Cauchy by AbsTransform, as PyTorch).

    Density:      p(y) = 2 / (π γ (1 + (y/γ)²)),  y ≥ 0 (0 below)
    Log-density:  log p(y) = log Cauchy(y; 0, γ) + log 2   (−inf for y < 0)
    Gradients:    ∂/∂γ = (z² − 1)/(γ(1 + z²)),  z = y/γ
    Reparameterisation (rsample):  y = |γ tan(π(u − ½))|,  u ~ U(0, 1)
    cdf 2 atan(y/γ)/π; icdf γ tan(πp/2); entropy log(2πγ); mode 0; mean inf; variance inf
    (PyTorch's value: the Cauchy's).
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _math = (("Density", "p(y) = 2 / (π γ (1 + (y/γ)²)), y ≥ 0",
              r"p(y) = \frac{2}{\pi\gamma(1+(y/\gamma)^2)}"),
             ("Gradient", "∂log p/∂γ = (z² − 1)/(γ(1 + z²)), z = y/γ",
              r"\frac{\partial\log p}{\partial\gamma} = \frac{z^2-1}{\gamma(1+z^2)}"),
             ("Reparameterisation", "y = |γ tan(π(u − ½))|", r"y = |\gamma\tan(\pi(u-\tfrac12))|"),
             "A heavy-tailed prior for scales.")

    def __init__(self, scale, validate_args=None):
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        from .. import full
        return full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance
