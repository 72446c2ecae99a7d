"""The LKJ distribution over Cholesky factors of correlation matrices (Lewandowski, Kurowicka
and Joe, 2009)."""
from __future__ import annotations

import math

from ..backend import xp
from ..ops.gamma import lgamma
from ..tensor import Tensor
from . import constraints
from .dirichlet import Beta
from .distribution import Distribution, broadcast_all
from .transformed_distribution import checked_instance, reinit


class LKJCholesky(Distribution):
    r"""LKJ distribution of the lower Cholesky factor L of a ``dim`` × ``dim`` correlation
    matrix M = L Lᵀ, with ``concentration`` η > 0: p(M) ∝ det(M)^{η−1} (η = 1: uniform over
    correlation matrices), as PyTorch's ``distributions.LKJCholesky``.

    Density:      p(L) = Πᵢ₌₂ᴰ Lᵢᵢ^{2η − 2 + D − i} / Z(η, D)   (D = dim; the factor
                  Πᵢ Lᵢᵢ^{D−i} is the Jacobian of L ↦ L Lᵀ)
    Log-density:  log p(L) = Σᵢ₌₂ᴰ (2(η − 1) + D − i) log Lᵢᵢ − log Z,
                  log Z = ½(D − 1) log π + ln Γ_{D−1}(η + (D − 2)/2) − (D − 1) ln Γ(η + (D − 1)/2)
    Gradients:    ∂/∂Lᵢᵢ = (2(η − 1) + D − i)/Lᵢᵢ (zero off the diagonal),
                  ∂/∂η = 2 Σᵢ log Lᵢᵢ − ψ_{D−1}(η + (D − 2)/2) + (D − 1) ψ(η + (D − 1)/2)
    Sampling (the onion method, Lewandowski et al. §3.2; no rsample, as PyTorch): row i ≥ 2
                  is (√yᵢ uᵢ, √(1 − yᵢ)) with yᵢ ~ Beta((i − 1)/2, η + (D − 2)/2 − (i − 2)/2) and
                  uᵢ uniform on the unit sphere of ℝ^{i−1} (a normalised standard normal vector);
                  row 1 is (1, 0, …, 0). Every correlation Mᵢⱼ then has (Mᵢⱼ + 1)/2 ~
                  Beta(η − 1 + D/2, η − 1 + D/2), the law whose density log_prob computes. The
                  Beta draws are PyTorch's (its Dirichlet sampler replayed), the directions uᵢ
                  are drawn as PyTorch's ``randn`` draws them; for D ≥ 3 the samples still
                  differ from PyTorch's, whose Beta concentrations differ (below).
    mean, variance, mode and entropy: none (as PyTorch).

    Difference from PyTorch 2.13: its sampler gives row i the first Beta concentration
    i − 3/2 instead of (i − 1)/2 (the same for i = 2, too large from i = 3 on), so its samples
    of dim ≥ 3 do not follow the LKJ law its own log_prob states (e.g. D = 4, η = 2:
    E[M₃₁²] ≈ 0.19 instead of 1/7); chainrule samples the LKJ law. log_prob is PyTorch's.
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky
    _math = (("Density", "p(L) ∝ Πᵢ₌₂ᴰ Lᵢᵢ^{2η − 2 + D − i}",
              r"p(L) \propto \prod_{i=2}^{D} L_{ii}^{\,2\eta - 2 + D - i}"),
             ("Gradient", "∂log p/∂Lᵢᵢ = (2η − 2 + D − i)/Lᵢᵢ",
              r"\frac{\partial \log p}{\partial L_{ii}} = \frac{2\eta - 2 + D - i}{L_{ii}}"),
             ("Sampling", "Lᵢ = (√yᵢ uᵢ, √(1 − yᵢ)), yᵢ ~ Beta, uᵢ uniform on the sphere",
              r"L_{i\cdot} = (\sqrt{y_i}\,u_i, \sqrt{1-y_i}),\ y_i\sim\mathrm{Beta}"),
             "Correlation matrices with density ∝ det(M)^{η−1}: η > 1 favours the identity, "
             "η < 1 strong correlations.")

    def __init__(self, dim: int, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        from .. import arange, cat
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration, names=("concentration",),
                                              owner="LKJCholesky")
        c = self.concentration
        # the onion method's Beta draws, one per row (row 0's is drawn and not used, as PyTorch):
        # row i ≥ 1 takes Beta(i/2, η + (D − 2)/2 − (i − 1)/2) (PyTorch 2.13 writes i − ½ for the
        # first concentration: see the class docstring)
        offset = arange(dim - 1, dtype=c.dtype)
        offset = cat([offset.new_zeros((1,)), offset])
        marginal = c + 0.5 * (dim - 2)
        self._beta = Beta(0.5 * offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset,
                          validate_args=False)
        super().__init__(c.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LKJCholesky, _instance)
        batch_shape = tuple(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(*batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        reinit(new, LKJCholesky, batch_shape, self.event_shape, self._validate_args)
        return new

    def sample(self, sample_shape=()) -> Tensor:
        """L of shape sample_shape + batch_shape + (dim, dim), by the onion method (see the class
        docstring); no gradient."""
        from ..autograd.grad_mode import no_grad
        from .distribution import noise
        with no_grad():
            y = self._beta.sample(sample_shape)._data[..., None]
            u = xp.tril(noise(self._extended_shape(sample_shape), y.dtype)._data, -1)
            with xp.errstate(invalid="ignore", divide="ignore"):
                u = u / xp.sqrt((u * u).sum(-1, keepdims=True))
            u[..., 0, :] = 0.0                  # row 0 was 0/0
            w = xp.sqrt(y) * u
            tiny = xp.finfo(w.dtype).tiny
            diag = xp.sqrt(xp.maximum(1 - (w * w).sum(-1), tiny))
            idx = xp.arange(self.dim)
            w[..., idx, idx] += diag
        return Tensor._from_op(w, None)

    def log_prob(self, value) -> Tensor:
        from .. import arange, mvlgamma
        if self._validate_args:
            self._validate_sample(value)
        d, c = self.dim, self.concentration
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (c - 1).unsqueeze(-1) + d - arange(2, d + 1)
        unnormalized = (order * diag.log()).sum(-1)
        alpha = c + 0.5 * (d - 1)
        normalizer = (0.5 * (d - 1) * math.log(math.pi) + mvlgamma(alpha - 0.5, p=d - 1)
                      - lgamma(alpha) * (d - 1))
        return unnormalized - normalizer


__all__ = ["LKJCholesky"]
