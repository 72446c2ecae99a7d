"""The Laplace (double-exponential) distribution."""
from __future__ import annotations

import math

from .. import backend
from ..backend import xp
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all


class Laplace(Distribution):
    r"""Laplace distribution with location ``loc`` (μ) and scale ``scale`` (b > 0).

    Density:      p(x) = exp(−|x − μ|/b) / (2b)
    Log-density:  log p(x) = −log 2b − |x − μ|/b
    Gradients:    ∂/∂x = −sign(x − μ)/b,  ∂/∂μ = sign(x − μ)/b,  ∂/∂b = |x − μ|/b² − 1/b
                  (at x = μ the subgradient sign(0) = 0)
    Reparameterisation (rsample):  x = μ − b · sign(u) · log(1 − |u|),  u ~ U(−1, 1)
                  (the inverse cdf applied to uniform noise; PyTorch's draw, u from ε − 1)
    cdf ½ − ½ sign(x − μ)(e^{−|x−μ|/b} − 1); icdf μ − b sign(p − ½) log(1 − 2|p − ½|);
    entropy 1 + log 2b; mean = mode = μ; variance 2b².
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _math = (("Density", "p(x) = exp(−|x − μ|/b) / (2b)",
              r"p(x) = \frac{1}{2b} e^{-|x-\mu|/b}"),
             ("Gradient", "∂log p/∂μ = sign(x − μ)/b, ∂log p/∂b = |x − μ|/b² − 1/b",
              r"\frac{\partial \log p}{\partial \mu} = \frac{\operatorname{sign}(x-\mu)}{b},\ "
              r"\frac{\partial \log p}{\partial b} = \frac{|x-\mu|}{b^2} - \frac{1}{b}"),
             ("Reparameterisation", "x = μ − b sign(u) log(1 − |u|), u ~ U(−1, 1)",
              r"x = \mu - b\,\operatorname{sign}(u)\log(1-|u|),\ u \sim U(-1,1)"),
             "Two exponential tails glued at μ: the distribution behind the L1 loss.")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale, names=("loc", "scale"), owner="Laplace")
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        # PyTorch's draw: u ~ U[eps − 1, 1) (loc's dtype), x = μ − b·sign(u)·log1p(−|u|)
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self.loc._data.dtype
        u = backend.generator().uniform_(shape, dtype, float(xp.finfo(dtype).eps) - 1, 1)
        u = Tensor._from_op(backend.drawn_like(u, self.loc._data), None)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * (-z.abs() / self.scale).expm1()

    def icdf(self, value) -> Tensor:
        self._validate_probability(value)
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
