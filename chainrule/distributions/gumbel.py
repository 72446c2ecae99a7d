"""The Gumbel (type-I extreme value) distribution."""
from __future__ import annotations

import math

from ..backend import xp
from ..tensor import Tensor
from . import constraints
from .distribution import broadcast_all
from .transformed_distribution import TransformedDistribution, checked_instance
from .transforms_elementwise import AffineTransform, ExpTransform
from .uniform import Uniform

EULER_GAMMA = 0.57721566490153286060


class Gumbel(TransformedDistribution):
    r"""Gumbel distribution with location ``loc`` (μ) and scale ``scale`` (β > 0): the law of
    the maximum of many draws (a TransformedDistribution of U(tiny, 1 − eps) by
    x = μ − β log(−log u), as PyTorch).

    Density:      p(x) = (1/β) exp(−(z + e^{−z})),  z = (x − μ)/β
    Log-density:  log p(x) = −z − e^{−z} − log β
    Gradients:    ∂/∂μ = (1 − e^{−z})/β,  ∂/∂β = (z − z e^{−z} − 1)/β,  ∂/∂x = −∂/∂μ
    Reparameterisation (rsample):  x = μ − β log(−log u),  u ~ U(tiny, 1 − eps)
    cdf exp(−e^{−z}); mean μ + βγ (γ Euler's constant); mode μ; stddev πβ/√6;
    entropy log β + 1 + γ.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    _math = (("Density", "p(x) = (1/β) exp(−(z + e^{−z})), z = (x − μ)/β",
              r"p(x) = \frac1\beta e^{-(z+e^{-z})}"),
             ("Gradient", "∂log p/∂μ = (1 − e^{−z})/β",
              r"\frac{\partial\log p}{\partial\mu} = \frac{1-e^{-z}}{\beta}"),
             ("Reparameterisation", "x = μ − β log(−log u), u ~ U(0, 1)",
              r"x = \mu - \beta\log(-\log u)"),
             "The maximum of many independent draws; the noise of the Gumbel-max trick.")

    def __init__(self, loc, scale, validate_args=None):
        from .. import full_like, ones_like
        self.loc, self.scale = broadcast_all(loc, scale, names=("loc", "scale"), owner="Gumbel")
        finfo = xp.finfo(self.loc._data.dtype)
        tiny, top = float(finfo.tiny), 1 - float(finfo.eps)
        if isinstance(loc, (int, float)) and isinstance(scale, (int, float)):
            base_dist = Uniform(tiny, top, validate_args=validate_args)
        else:
            base_dist = Uniform(full_like(self.loc, tiny), full_like(self.loc, top),
                                validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(loc=0, scale=-ones_like(self.scale)),
                      ExpTransform().inv, AffineTransform(loc=loc, scale=-self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, Gumbel, _instance)
        new.loc = self.loc.expand(*batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)
