"""The Fisher–Snedecor (F) distribution."""
from __future__ import annotations

import math

from ..backend import xp
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import Gamma
from .transformed_distribution import checked_instance, reinit


def _nan_where(mask, x: Tensor) -> Tensor:
    """x with nan where ``mask`` (PyTorch's ``x = x.clone(); x[mask] = nan``: the same values and
    the same gradients, zero into x at the masked entries)."""
    from .. import where
    return where(mask, math.nan, x)


class FisherSnedecor(Distribution):
    r"""Fisher–Snedecor (F) distribution with ``df1`` (d₁ > 0) and ``df2`` (d₂ > 0): the
    ratio (X₁/d₁)/(X₂/d₂) of independent χ² variables.

    Density:      p(x) = Γ((d₁+d₂)/2)/(Γ(d₁/2)Γ(d₂/2)) (d₁/d₂)^{d₁/2} x^{d₁/2−1}
                  (1 + d₁x/d₂)^{−(d₁+d₂)/2},  x > 0
    Log-density:  log p(x) = ln Γ((d₁+d₂)/2) − ln Γ(d₁/2) − ln Γ(d₂/2) + (d₁/2) log(d₁/d₂)
                  + (d₁/2 − 1) log x − ((d₁+d₂)/2) log(1 + d₁x/d₂)
    Gradients:    ∂/∂x = (d₁/2 − 1)/x − ((d₁+d₂)/2) (d₁/d₂)/(1 + d₁x/d₂); ∂/∂dᵢ by digammas
    Reparameterisation (rsample):  x = g₁/g₂, gᵢ ~ Gamma(dᵢ/2, dᵢ) (the Gamma's implicit
                  gradients), both clamped to the smallest normal number.
    mean d₂/(d₂ − 2) (nan for d₂ ≤ 2); mode (d₁ − 2)/d₁ · d₂/(d₂ + 2) (nan for d₁ ≤ 2);
    variance 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) (nan for d₂ ≤ 4); no entropy.
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True
    _math = (("Density", "p(x) ∝ x^{d₁/2−1} (1 + d₁x/d₂)^{−(d₁+d₂)/2}",
              r"p(x) \propto x^{d_1/2-1}(1+d_1x/d_2)^{-(d_1+d_2)/2}"),
             ("Gradient", "∂log p/∂x = (d₁/2 − 1)/x − ((d₁+d₂)/2)(d₁/d₂)/(1 + d₁x/d₂)",
              r"\frac{\partial\log p}{\partial x} = \frac{d_1/2-1}{x} - "
              r"\frac{(d_1+d_2)/2\cdot d_1/d_2}{1+d_1x/d_2}"),
             ("Reparameterisation", "x = g₁/g₂, gᵢ ~ Gamma(dᵢ/2, dᵢ)",
              r"x = g_1/g_2,\ g_i\sim\mathrm{Gamma}(d_i/2, d_i)"),
             "A ratio of variances: the law of the F statistic of ANOVA.")

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2, names=("df1", "df2"),
                                           owner="FisherSnedecor")
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, FisherSnedecor, _instance)
        batch_shape = tuple(batch_shape)
        new.df1 = self.df1.expand(*batch_shape)
        new.df2 = self.df2.expand(*batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        reinit(new, FisherSnedecor, batch_shape, (), self._validate_args)
        return new

    @property
    def mean(self) -> Tensor:
        df2 = _nan_where(self.df2 <= 2, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return _nan_where(self.df1 <= 2, mode)

    @property
    def variance(self) -> Tensor:
        """(As PyTorch: where d₂ ≤ 4 the value is nan, and so is its gradient in d₁.)"""
        df2 = _nan_where(self.df2 <= 4, self.df2)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).reshape(shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(shape)
        tiny = float(xp.finfo(x2._data.dtype).tiny)
        x2 = x2.clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
