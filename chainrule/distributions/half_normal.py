"""The half-normal distribution: |X| for X ~ N(0, σ²)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .folded import FoldedAtZero
from .normal import Normal
from .transformed_distribution import checked_instance
from .transforms_elementwise import AbsTransform


class HalfNormal(FoldedAtZero):
    r"""Half-normal distribution: Y = |X| with X ~ Normal(0, ``scale`` σ > 0)
    (a TransformedDistribution of the Normal by AbsTransform, as PyTorch).

    Density:      p(y) = √2 exp(−y²/2σ²) / (σ√π),  y ≥ 0 (0 below)
    Log-density:  log p(y) = log N(y; 0, σ²) + log 2   (−inf for y < 0)
    Gradients:    ∂/∂σ = y²/σ³ − 1/σ,  ∂/∂y = −y/σ²
    Reparameterisation (rsample):  y = |σ ε|,  ε ~ N(0, 1)
    cdf 2Φ(y/σ) − 1; icdf σ Φ⁻¹((p + 1)/2); mean σ√(2/π); mode 0; variance σ²(1 − 2/π);
    entropy ½ log(πσ²/2) + ½.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _math = (("Density", "p(y) = √2 exp(−y²/2σ²) / (σ√π), y ≥ 0",
              r"p(y) = \frac{\sqrt2}{\sigma\sqrt\pi} e^{-y^2/2\sigma^2}"),
             ("Gradient", "∂log p/∂σ = y²/σ³ − 1/σ",
              r"\frac{\partial\log p}{\partial\sigma} = \frac{y^2}{\sigma^3}-\frac1\sigma"),
             ("Reparameterisation", "y = |σ ε|, ε ~ N(0, 1)", r"y = |\sigma\varepsilon|"),
             "The magnitude of a centred normal.")

    def __init__(self, scale, validate_args=None):
        base_dist = Normal(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)
