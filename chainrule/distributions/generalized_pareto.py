"""The generalized Pareto distribution."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all, noise
from .transformed_distribution import checked_instance, reinit


def _is_zero(x: Tensor) -> Tensor:
    """|x| ≤ 1e-8 (``torch.isclose(x, 0)`` with its default tolerances)."""
    from .. import isclose, zeros_like
    return isclose(x, zeros_like(x))


class GeneralizedPareto(Distribution):
    r"""Generalized Pareto distribution with location ``loc`` (μ), scale ``scale`` (σ > 0) and
    shape ``concentration`` (ξ ∈ ℝ): the law of exceedances over a high threshold.

    Density:      p(x) = (1/σ)(1 + ξz)^{−1/ξ−1},  z = (x − μ)/σ (ξ = 0: (1/σ)e^{−z})
    Log-density:  log p(x) = −log σ − (1/ξ + 1) log1p(ξz)   (−log σ − z when ξ ≈ 0)
    Gradients:    ∂/∂μ = (1 + ξ)/(σ(1 + ξz)),  ∂/∂σ = (z(1 + ξ)/(1 + ξz) − 1)/σ,
                  ∂/∂ξ = log1p(ξz)/ξ² − (1/ξ + 1) z/(1 + ξz)
    Reparameterisation (rsample):  x = F⁻¹(u) = μ + (σ/ξ) expm1(−ξ log1p(−u)), u ~ U(0, 1)
    support [μ, μ − σ/ξ] for ξ < 0, [μ, ∞) otherwise; cdf 1 − (1 + ξz)^{−1/ξ};
    mean μ + σ/(1 − ξ) (nan for ξ ≥ 1); variance σ²/((1 − ξ)²(1 − 2ξ)) (nan for ξ ≥ ½);
    mode μ; entropy log σ + ξ + 1. (ξ counts as 0 within isclose's tolerance 1e-8, as PyTorch.)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True
    _math = (("Density", "p(x) = (1/σ)(1 + ξz)^{−1/ξ−1}, z = (x − μ)/σ",
              r"p(x) = \frac1\sigma(1+\xi z)^{-1/\xi-1}"),
             ("Gradient", "∂log p/∂μ = (1 + ξ)/(σ(1 + ξz))",
              r"\frac{\partial\log p}{\partial\mu} = \frac{1+\xi}{\sigma(1+\xi z)}"),
             ("Reparameterisation", "x = μ + (σ/ξ) expm1(−ξ log1p(−u)), u ~ U(0, 1)",
              r"x = \mu + \frac\sigma\xi\,\mathrm{expm1}(-\xi\log(1-u))"),
             "Peaks over a threshold: the tail law of extreme value theory.")

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(
            loc, scale, concentration, names=("loc", "scale", "concentration"),
            owner="GeneralizedPareto")
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, GeneralizedPareto, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(*batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        new.concentration = self.concentration.expand(*batch_shape)
        reinit(new, GeneralizedPareto, batch_shape, (), self._validate_args)
        return new

    def rsample(self, sample_shape=()) -> Tensor:
        u = noise(self._extended_shape(sample_shape), self.loc.dtype, "uniform")
        return self.icdf(u)

    def _safe_concentration(self):
        from .. import ones_like, where
        eq_zero = _is_zero(self.concentration)
        return eq_zero, where(eq_zero, ones_like(self.concentration), self.concentration)

    def log_prob(self, value) -> Tensor:
        from .. import ones_like, where
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + ones_like(z)
        where_nonzero = where(y == 0, y, y * (safe_conc * z).log1p())
        return -self.scale.log() - where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value) -> Tensor:
        """log(1 − F(x)) = −log1p(ξz)/ξ (−z when ξ ≈ 0)."""
        from .. import where
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        where_nonzero = -(safe_conc * z).log1p() / safe_conc
        return where(eq_zero, -z, where_nonzero)

    def log_cdf(self, value) -> Tensor:
        """log F(x) = log1p(−exp(log survival))."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value) -> Tensor:
        from .. import where
        eq_zero, safe_conc = self._safe_concentration()
        logu = (-value).log1p()
        where_nonzero = self.loc + self.scale / safe_conc * (-safe_conc * logu).expm1()
        where_zero = self.loc - self.scale * logu
        return where(eq_zero, where_zero, where_nonzero)

    def _z(self, x):
        return (x - self.loc) / self.scale

    @property
    def mean(self) -> Tensor:
        from .. import where
        valid = self.concentration < 1
        safe_conc = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - safe_conc), math.nan)

    @property
    def variance(self) -> Tensor:
        from .. import where
        valid = self.concentration < 0.5
        safe_conc = where(valid, self.concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc))
        return where(valid, result, math.nan)

    def entropy(self) -> Tensor:
        ans = self.scale.log() + self.concentration + 1
        return ans.expand(*self._batch_shape) if tuple(ans.shape) != tuple(self._batch_shape) \
            else ans

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        from .. import where
        lower = self.loc
        upper = where(self.concentration < 0, lower - self.scale / self.concentration,
                      math.inf)
        return constraints.interval(lower, upper)
