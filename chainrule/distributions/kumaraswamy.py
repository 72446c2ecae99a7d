"""The Kumaraswamy distribution on (0, 1)."""
from __future__ import annotations

import math

from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .gumbel import EULER_GAMMA
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import AffineTransform, PowerTransform
from .uniform import Uniform


def _moments(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[Xⁿ] = b B(1 + n/a, b) = b Γ(1 + n/a) Γ(b) / Γ(1 + n/a + b)."""
    arg1 = 1 + n / a
    return b * (lgamma(arg1) + lgamma(b) - lgamma(arg1 + b)).exp()


class Kumaraswamy(TransformedDistribution):
    r"""Kumaraswamy distribution with ``concentration1`` (a > 0) and ``concentration0``
    (b > 0): (1 − U^{1/b})^{1/a} for U ~ U(0, 1) (a TransformedDistribution of the uniform by
    x ↦ x^{1/b}, x ↦ 1 − x, x ↦ x^{1/a}, as PyTorch).

    Density:      p(x) = a b x^{a−1} (1 − xᵃ)^{b−1},  0 < x < 1
    Log-density:  log p(x) = log a + log b + (a − 1) log x + (b − 1) log(1 − xᵃ)
    Gradients:    ∂/∂a = 1/a + log x − (b − 1) xᵃ log x/(1 − xᵃ),  ∂/∂b = 1/b + log(1 − xᵃ)
    Reparameterisation (rsample):  x = (1 − u^{1/b})^{1/a},  u ~ U(0, 1)
    cdf 1 − (1 − xᵃ)ᵇ; mean b B(1 + 1/a, b); variance b B(1 + 2/a, b) − mean²;
    entropy (1 − 1/b) + (1 − 1/a)(ψ(b + 1) + γ) − log a − log b; mode: PyTorch's expression
    exp(log1p(−b)/b − log1p(−ab)), nan where a < 1 or b < 1 (kept as PyTorch computes it).
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    _math = (("Density", "p(x) = a b x^{a−1} (1 − xᵃ)^{b−1}",
              r"p(x) = ab\,x^{a-1}(1-x^a)^{b-1}"),
             ("Gradient", "∂log p/∂b = 1/b + log(1 − xᵃ)",
              r"\frac{\partial\log p}{\partial b} = \frac1b + \log(1-x^a)"),
             ("Reparameterisation", "x = (1 − u^{1/b})^{1/a}, u ~ U(0, 1)",
              r"x = (1-u^{1/b})^{1/a}"),
             "A Beta look-alike whose cdf and quantiles have closed forms.")

    def __init__(self, concentration1, concentration0, validate_args=None):
        from .. import full_like
        self.concentration1, self.concentration0 = broadcast_all(
            concentration1, concentration0, names=("concentration1", "concentration0"),
            owner="Kumaraswamy")
        base_dist = Uniform(full_like(self.concentration0, 0), full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(*batch_shape)
        new.concentration0 = self.concentration0.expand(*batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        from .. import where
        log_mode = self.concentration0.reciprocal() * (-self.concentration0).log1p() \
            - (-self.concentration0 * self.concentration1).log1p()
        bad = (self.concentration0 < 1) | (self.concentration1 < 1)
        return where(bad, math.nan, log_mode).exp()

    @property
    def variance(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self) -> Tensor:
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = digamma(self.concentration0 + 1) + EULER_GAMMA
        return t0 + t1 * h0 - self.concentration1.log() - self.concentration0.log()
