"""The half-normal distribution: |X| for X ~ N(0, σ²)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import AbsTransform


class HalfNormal(TransformedDistribution):
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
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        from .. import zeros_like
        return zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value) -> Tensor:
        from .. import where
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, log_prob, -math.inf)

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)
