"""The continuous uniform distribution U(low, high)."""
from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all, noise


class Uniform(Distribution):
    r"""Uniform distribution on the half-open interval [low, high).

    Density:      p(x) = 1/(high − low) for low ≤ x < high, else 0
    Log-density:  log p(x) = −log(high − low) inside (−inf outside)
    Gradients:    ∂/∂low = 1/(high − low),  ∂/∂high = −1/(high − low),  ∂/∂x = 0
    Reparameterisation (rsample):  x = low + (high − low) u,  u ~ U(0, 1)
    cdf clamp((x − low)/(high − low), 0, 1); icdf low + p (high − low);
    entropy log(high − low); mean (low + high)/2; variance (high − low)²/12.
    """

    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True
    _math = (("Density", "p(x) = 1/(high − low) on [low, high)",
              r"p(x) = \frac{1}{\mathrm{high}-\mathrm{low}}"),
             ("Gradient", "∂log p/∂low = 1/(high − low), ∂log p/∂high = −1/(high − low)",
              r"\frac{\partial \log p}{\partial\,\mathrm{low}} = \frac{1}{\mathrm{high}-"
              r"\mathrm{low}}"),
             ("Reparameterisation", "x = low + (high − low) u, u ~ U(0, 1)",
              r"x = \mathrm{low} + (\mathrm{high}-\mathrm{low})\,u"),
             "Every value of the interval equally likely.")

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high, names=("low", "high"), owner="Uniform")
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args and not bool((self.low._data < self.high._data).all()):
            bad = self.low._data >= self.high._data
            raise ValueError(f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) "
                             f"of distribution Uniform to be less than high, but found low "
                             f"{self.low._data[bad]} ≥ high {self.high._data[bad]}")

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def _param_names(self):
        return ("low", "high")

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.low * float("nan")

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()) -> Tensor:
        u = noise(self._extended_shape(sample_shape), self.low.dtype, "uniform")
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        inside = (self.low <= value) & (self.high > value)
        return inside.to(self.low.dtype).log() - (self.high - self.low).log()

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value) -> Tensor:
        self._validate_probability(value)
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()
