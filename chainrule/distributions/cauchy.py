"""The Cauchy (Lorentz) distribution."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all
from .transformed_distribution import checked_instance, reinit


def standard_cauchy(shape, dtype) -> Tensor:
    """ε ~ Cauchy(0, 1) as PyTorch's ``Tensor.cauchy_()`` draws it: tan(π(u − ½)), u ~ U[0, 1)
    in double (the C library's tan), then cast (a constant)."""
    return Tensor._from_op(backend.generator().cauchy_(tuple(shape), dtype), None)


class Cauchy(Distribution):
    r"""Cauchy distribution with location ``loc`` (x₀) and scale ``scale`` (γ > 0).

    Density:      p(x) = 1 / (π γ (1 + ((x − x₀)/γ)²))
    Log-density:  log p(x) = −log π − log γ − log(1 + z²),  z = (x − x₀)/γ
    Gradients:    ∂/∂x₀ = 2z/(γ(1 + z²)),  ∂/∂γ = (z² − 1)/(γ(1 + z²)),  ∂/∂x = −∂/∂x₀
    Reparameterisation (rsample):  x = x₀ + γ ε,  ε = tan(π(u − ½)), u ~ U(0, 1)
    cdf ½ + atan(z)/π; icdf x₀ + γ tan(π(p − ½)); entropy log(4πγ); mode x₀;
    mean nan and variance inf (they do not exist; PyTorch's values).
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _math = (("Density", "p(x) = 1 / (π γ (1 + ((x − x₀)/γ)²))",
              r"p(x) = \frac{1}{\pi\gamma\,(1 + ((x-x_0)/\gamma)^2)}"),
             ("Gradient", "∂log p/∂x₀ = 2z/(γ(1 + z²)), z = (x − x₀)/γ",
              r"\frac{\partial\log p}{\partial x_0} = \frac{2z}{\gamma(1+z^2)}"),
             ("Reparameterisation", "x = x₀ + γ tan(π(u − ½)), u ~ U(0, 1)",
              r"x = x_0 + \gamma\tan(\pi(u-\tfrac12))"),
             "The ratio of two independent standard normals: tails so heavy it has no mean.")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale, names=("loc", "scale"), owner="Cauchy")
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Cauchy, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(*batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        reinit(new, Cauchy, batch_shape, (), self._validate_args)
        return new

    @property
    def mean(self) -> Tensor:
        from .. import full
        return full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        from .. import full
        return full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=()) -> Tensor:
        eps = standard_cauchy(self._extended_shape(sample_shape), self.loc._data.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - \
            (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()
