"""What the half-distributions share: Y = |X| for X symmetric about 0 with a ``scale``
(HalfNormal, HalfCauchy), so that every quantity folds the base's at zero."""
from __future__ import annotations

import math

from ..tensor import Tensor
from .transformed_distribution import TransformedDistribution, delegated


class FoldedAtZero(TransformedDistribution):
    r"""Y = |X|, X symmetric about 0 (the base's density is even).

    Log-density:  log p_Y(y) = log p_X(y) + log 2 for y ≥ 0, −inf below
    cdf           F_Y(y) = 2 F_X(y) − 1;  icdf  F_Y⁻¹(p) = F_X⁻¹((p + 1)/2)
    entropy       H(Y) = H(X) − log 2;  mode 0
    """

    scale = delegated("scale")

    @property
    def mode(self) -> Tensor:
        from .. import zeros_like
        return zeros_like(self.scale)

    def log_prob(self, value) -> Tensor:
        from .. import where
        if self._validate_args:
            self._validate_sample(value)
        if not isinstance(value, Tensor):
            from .. import tensor
            value = tensor(value, dtype=self.scale.dtype)
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
