"""The multivariate normal distribution N(μ, Σ)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from ._linalg import cholesky, solve_triangular
from .distribution import Distribution, as_param, noise


def _batch_mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """|L⁻¹ d|², batched: the squared Mahalanobis distance dᵀ Σ⁻¹ d with Σ = L Lᵀ."""
    z = solve_triangular(scale_tril, diff.unsqueeze(-1)).squeeze(-1)
    return (z * z).sum(-1)


class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution with mean ``loc`` (μ ∈ ℝᵏ) and exactly one of
    ``covariance_matrix`` (Σ), ``precision_matrix`` (Σ⁻¹) or ``scale_tril`` (L, Σ = L Lᵀ).

    Density:      p(x) = exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)) / √((2π)ᵏ det Σ)
    Log-density:  log p(x) = −½ |L⁻¹(x − μ)|² − Σᵢ log Lᵢᵢ − (k/2) log 2π
    Gradients:    ∂/∂μ = Σ⁻¹(x − μ),  ∂/∂x = −Σ⁻¹(x − μ),
                  ∂/∂Σ = ½ (Σ⁻¹(x − μ)(x − μ)ᵀΣ⁻¹ − Σ⁻¹)
    Reparameterisation (rsample):  x = μ + L ε,  ε ~ N(0, Iₖ)
    entropy ½ k (1 + log 2π) + Σᵢ log Lᵢᵢ; mean = mode = μ; variance diag Σ = Σⱼ Lᵢⱼ².
    The Cholesky factor L is computed once (from Σ, or from Σ = (Σ⁻¹)⁻¹) and used throughout.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True
    _math = (("Density", "p(x) = exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)) / √((2π)ᵏ det Σ)",
              r"p(x) = \frac{\exp(-\frac12 (x-\mu)^\top \Sigma^{-1}(x-\mu))}"
              r"{\sqrt{(2\pi)^k \det\Sigma}}"),
             ("Gradient", "∂log p/∂μ = Σ⁻¹(x − μ)",
              r"\frac{\partial \log p}{\partial \mu} = \Sigma^{-1}(x-\mu)"),
             ("Reparameterisation", "x = μ + L ε, ε ~ N(0, I), Σ = L Lᵀ",
              r"x = \mu + L\varepsilon,\ \varepsilon\sim\mathcal N(0, I),\ \Sigma = LL^\top"),
             "A linear map L of independent standard normals, shifted by μ.")

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        from .. import broadcast_shapes, eye
        given = [(n, v) for n, v in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if v is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             f"may be specified (got {[n for n, _ in given] or 'none'}).")
        loc = as_param(loc)
        if loc.dim() < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional (the "
                             "k coordinates), got a scalar")
        name, matrix = given[0]
        matrix = as_param(matrix, loc)
        if matrix.dim() < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"MultivariateNormal: {name} must be at least two-dimensional with "
                             f"square last two dimensions, got shape {tuple(matrix.shape)}")
        if matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: loc has {loc.shape[-1]} coordinates but "
                             f"{name} is {matrix.shape[-1]}×{matrix.shape[-1]}")
        try:
            batch = tuple(broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        except (ValueError, RuntimeError):
            raise ValueError(f"MultivariateNormal: the batch shapes of loc "
                             f"{tuple(loc.shape[:-1])} and {name} {tuple(matrix.shape[:-2])} "
                             f"do not broadcast") from None
        k = loc.shape[-1]
        self._given = name
        self._given_matrix = matrix.expand(*(batch + (k, k)))
        self.loc = loc.expand(*(batch + (k,)))
        super().__init__(batch, (k,), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            # Σ = P⁻¹ = (Lₚ Lₚᵀ)⁻¹ = Lₚ⁻ᵀ Lₚ⁻¹
            lp = cholesky(matrix)
            inv_lp = solve_triangular(lp, eye(k, dtype=matrix.dtype))
            self._unbroadcasted_scale_tril = cholesky(inv_lp.transpose(-1, -2) @ inv_lp)

    def _params_to_check(self) -> dict:
        return {k: v for k, v in self.arg_constraints.items() if k in ("loc", self._given)}

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        k = self.event_shape[0]
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.loc = self.loc.expand(*(batch_shape + (k,)))
        new._given_matrix = self._given_matrix.expand(*(batch_shape + (k, k)))
        new._batch_shape = type(self._batch_shape)(batch_shape)
        return new

    def _matrix(self, name: str, compute) -> Tensor:
        if self._given == name:
            return self._given_matrix
        k = self.event_shape[0]
        return compute().expand(*(tuple(self.batch_shape) + (k, k)))

    @property
    def scale_tril(self) -> Tensor:
        return self._matrix("scale_tril", lambda: self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self) -> Tensor:
        def compute():
            L = self._unbroadcasted_scale_tril
            return L @ L.transpose(-1, -2)
        return self._matrix("covariance_matrix", compute)

    @property
    def precision_matrix(self) -> Tensor:
        from .. import eye

        def compute():
            inv = solve_triangular(self._unbroadcasted_scale_tril,
                                   eye(self.event_shape[0], dtype=self.loc.dtype))
            return inv.transpose(-1, -2) @ inv
        return self._matrix("precision_matrix", compute)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self._unbroadcasted_scale_tril ** 2).sum(-1).expand(
            *(tuple(self.batch_shape) + tuple(self.event_shape)))

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def rsample(self, sample_shape=()) -> Tensor:
        eps = noise(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        k = self.event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self) -> Tensor:
        k = self.event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(*self.batch_shape) if len(self.batch_shape) else h
