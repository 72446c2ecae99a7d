"""Student's t distribution."""
from __future__ import annotations

import math

from ..ops.gamma import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution, broadcast_all, noise
from .transformed_distribution import checked_instance, reinit


class StudentT(Distribution):
    r"""Student's t distribution with ``df`` (ν > 0) degrees of freedom, location ``loc`` (μ)
    and scale ``scale`` (σ > 0).

    Density:      p(x) = Γ((ν+1)/2) / (Γ(ν/2) √(νπ) σ) · (1 + y²/ν)^{−(ν+1)/2},  y = (x − μ)/σ
    Log-density:  log p(x) = −((ν+1)/2) log(1 + y²/ν) − log σ − ½ log ν − ½ log π
                  − ln Γ(ν/2) + ln Γ((ν+1)/2)
    Gradients:    ∂/∂μ = (ν+1) y / (σ(ν + y²)),  ∂/∂σ = ((ν+1) y²/(ν + y²) − 1)/σ,
                  ∂/∂ν = ½ [ψ((ν+1)/2) − ψ(ν/2) − 1/ν − log(1 + y²/ν) + (ν+1) y²/(ν(ν + y²))]
    Reparameterisation (rsample):  x = μ + σ ε / √(z/ν),  ε ~ N(0, 1), z ~ χ²(ν) (z's gradient
                  in ν the Gamma's implicit one)
    mean μ (nan for ν ≤ 1); variance σ²ν/(ν − 2) (inf for 1 < ν ≤ 2, nan for ν ≤ 1); mode μ;
    entropy log σ + ((ν+1)/2)(ψ((ν+1)/2) − ψ(ν/2)) + ½ log ν + ln B(ν/2, ½).
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _math = (("Density", "p(x) = Γ((ν+1)/2)/(Γ(ν/2)√(νπ)σ) (1 + y²/ν)^{−(ν+1)/2}",
              r"p(x) = \frac{\Gamma(\frac{\nu+1}2)}{\Gamma(\frac\nu2)\sqrt{\nu\pi}\sigma}"
              r"\left(1+\frac{y^2}{\nu}\right)^{-\frac{\nu+1}2}"),
             ("Gradient", "∂log p/∂μ = (ν+1) y / (σ(ν + y²))",
              r"\frac{\partial\log p}{\partial\mu} = \frac{(\nu+1)y}{\sigma(\nu+y^2)}"),
             ("Reparameterisation", "x = μ + σ ε/√(z/ν), ε ~ N(0, 1), z ~ χ²(ν)",
              r"x = \mu + \sigma\,\varepsilon/\sqrt{z/\nu}"),
             "A normal whose variance is itself uncertain: heavier tails, a normal as ν → ∞.")

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale,
                                                      names=("df", "loc", "scale"),
                                                      owner="StudentT")
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, StudentT, _instance)
        batch_shape = tuple(batch_shape)
        new.df = self.df.expand(*batch_shape)
        new.loc = self.loc.expand(*batch_shape)
        new.scale = self.scale.expand(*batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        reinit(new, StudentT, batch_shape, (), self._validate_args)
        return new

    @property
    def mean(self) -> Tensor:
        from .. import where
        return where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        from .. import where
        big = self.df > 2
        df = where(big, self.df, 3.0)         # the formula only where it applies (finite grads)
        finite = self.scale.pow(2) * df / (df - 2)
        return where(big, finite, where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()) -> Tensor:
        x = noise(self._extended_shape(sample_shape), self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        y = x * (z / self.df).rsqrt()
        return self.loc + self.scale * y

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + lgamma(0.5 * self.df) - lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * (y ** 2.0 / self.df).log1p() - z

    def entropy(self) -> Tensor:
        lbeta = lgamma(0.5 * self.df) + math.lgamma(0.5) - lgamma(0.5 * (self.df + 1))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (digamma(0.5 * (self.df + 1)) - digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
