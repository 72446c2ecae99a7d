"""The multivariate normal with a low-rank-plus-diagonal covariance."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import constraints
from ._linalg import cholesky, solve_triangular
from .distribution import Distribution, as_param, noise
from .multivariate_normal import _batch_mahalanobis
from .transformed_distribution import checked_instance, reinit


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    return (bmat @ bvec.unsqueeze(-1)).squeeze(-1)


def _cholesky(K: Tensor) -> Tensor:
    """chol(K), raising ``linalg.LinAlgError`` (a RuntimeError, as PyTorch's) with PyTorch's
    message where K is not positive definite (or holds nan/inf, which NumPy lets through)."""
    from ..backend import xp
    from ..linalg import LinAlgError
    k = K._data
    finite = xp.isfinite(k).all(axis=(-2, -1))
    order = None
    if not bool(finite.all()):
        order = 1
    else:
        try:
            return cholesky(K)
        except ValueError:
            pass
        minors = [xp.linalg.eigvalsh(k[..., :j, :j]).min(-1) > 0 for j in range(1, k.shape[-1] + 1)]
        order = next(j + 1 for j, ok in enumerate(minors) if not bool(ok.all()))
    raise LinAlgError(f"linalg.cholesky: The factorization could not be completed because the "
                      f"input is not positive-definite (the leading minor of order {order} is "
                      f"not positive-definite).")


def _batch_capacitance_tril(W: Tensor, D: Tensor) -> Tensor:
    """The Cholesky factor of the capacitance matrix C = I + Wᵀ D⁻¹ W (m × m)."""
    from .. import eye
    m = W.shape[-1]
    Wt_Dinv = W.transpose(-1, -2) / D.unsqueeze(-2)
    K = Wt_Dinv @ W + eye(m, dtype=W.dtype)
    return _cholesky(K)


def _batch_lowrank_logdet(W: Tensor, D: Tensor, capacitance_tril: Tensor) -> Tensor:
    """log det(W Wᵀ + D) = log det C + Σ log Dᵢ (the matrix determinant lemma)."""
    return 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def _batch_lowrank_mahalanobis(W, D, x, capacitance_tril) -> Tensor:
    """xᵀ (W Wᵀ + D)⁻¹ x = xᵀ D⁻¹ x − |L_C⁻¹ Wᵀ D⁻¹ x|² (the Woodbury identity)."""
    Wt_Dinv = W.transpose(-1, -2) / D.unsqueeze(-2)
    Wt_Dinv_x = _batch_mv(Wt_Dinv, x)
    term1 = (x.pow(2) / D).sum(-1)
    term2 = _batch_mahalanobis(capacitance_tril, Wt_Dinv_x)
    return term1 - term2


class LowRankMultivariateNormal(Distribution):
    r"""Multivariate normal with covariance Σ = W Wᵀ + D: ``loc`` (μ ∈ ℝⁿ), ``cov_factor``
    (W, n × m) and ``cov_diag`` (the diagonal of D, positive). Every operation costs O(n m²)
    through the capacitance C = I + Wᵀ D⁻¹ W, never forming Σ.

    Density:      p(x) = exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)) / √((2π)ⁿ det Σ)
    Log-density:  −½ [n log 2π + log det C + Σ log Dᵢ + dᵀD⁻¹d − |L_C⁻¹ WᵀD⁻¹d|²], d = x − μ
                  (the determinant lemma and the Woodbury identity)
    Gradients:    ∂/∂μ = Σ⁻¹d,  ∂/∂W = Σ⁻¹d dᵀΣ⁻¹W − Σ⁻¹W,  ∂/∂D = ½ diag(Σ⁻¹ddᵀΣ⁻¹ − Σ⁻¹)
    Reparameterisation (rsample):  x = μ + W ε_W + √D ε_D,  ε_W ~ N(0, Iₘ), ε_D ~ N(0, Iₙ)
    mean = mode = μ; variance diag(W Wᵀ) + D; entropy ½ (n (1 + log 2π) + log det Σ).
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True
    _math = (("Density", "p(x) = N(x; μ, W Wᵀ + D)",
              r"p(x) = \mathcal N(x;\mu, WW^\top + D)"),
             ("Gradient", "∂log p/∂μ = Σ⁻¹(x − μ)",
              r"\frac{\partial\log p}{\partial\mu} = \Sigma^{-1}(x-\mu)"),
             ("Reparameterisation", "x = μ + W ε_W + √D ε_D",
              r"x = \mu + W\varepsilon_W + \sqrt D\,\varepsilon_D"),
             "A factor model: m shared factors plus independent noise.")

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        from .. import broadcast_tensors
        loc, cov_factor, cov_diag = as_param(loc), as_param(cov_factor), as_param(cov_diag)
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        loc_ = loc.unsqueeze(-1)
        cov_diag_ = cov_diag.unsqueeze(-1)
        try:
            loc_, self.cov_factor, cov_diag_ = broadcast_tensors(loc_, cov_factor, cov_diag_)
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}"
                             ) from e
        self.loc = loc_[..., 0]
        self.cov_diag = cov_diag_[..., 0]
        batch_shape = tuple(self.loc.shape[:-1])
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = checked_instance(self, LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        loc_shape = batch_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(*loc_shape)
        new.cov_diag = self.cov_diag.expand(*loc_shape)
        new.cov_factor = self.cov_factor.expand(*(loc_shape + tuple(self.cov_factor.shape[-1:])))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        reinit(new, LowRankMultivariateNormal, batch_shape, self.event_shape,
               self._validate_args)
        return new

    def _full(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self._unbroadcasted_cov_factor.pow(2).sum(-1)
                + self._unbroadcasted_cov_diag).expand(*self._full())

    @property
    def scale_tril(self) -> Tensor:
        """chol(Σ) = √D chol(I + D^{−½} W Wᵀ D^{−½}) (n × n)."""
        from .. import eye
        n = self._event_shape[0]
        d_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        dinvsqrt_w = self._unbroadcasted_cov_factor / d_sqrt
        K = dinvsqrt_w @ dinvsqrt_w.transpose(-1, -2) + eye(n, dtype=d_sqrt.dtype)
        return (d_sqrt * _cholesky(K)).expand(*(self._full() + (n,)))

    @property
    def covariance_matrix(self) -> Tensor:
        n = self._event_shape[0]
        W = self._unbroadcasted_cov_factor
        cov = W @ W.transpose(-1, -2) + self._unbroadcasted_cov_diag.diag_embed()
        return cov.expand(*(self._full() + (n,)))

    @property
    def precision_matrix(self) -> Tensor:
        """Σ⁻¹ = D⁻¹ − D⁻¹W C⁻¹ WᵀD⁻¹ (Woodbury)."""
        n = self._event_shape[0]
        Wt_Dinv = self._unbroadcasted_cov_factor.transpose(-1, -2) / \
            self._unbroadcasted_cov_diag.unsqueeze(-2)
        A = solve_triangular(self._capacitance_tril, Wt_Dinv, upper=False)
        precision = self._unbroadcasted_cov_diag.reciprocal().diag_embed() - \
            A.transpose(-1, -2) @ A
        return precision.expand(*(self._full() + (n,)))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        w_shape = shape[:-1] + tuple(self.cov_factor.shape[-1:])
        eps_w = noise(w_shape, self.loc.dtype)
        eps_d = noise(shape, self.loc.dtype)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_w)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_lowrank_mahalanobis(self._unbroadcasted_cov_factor,
                                       self._unbroadcasted_cov_diag, diff,
                                       self._capacitance_tril)
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                        self._unbroadcasted_cov_diag, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + log_det + M)

    def entropy(self) -> Tensor:
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                        self._unbroadcasted_cov_diag, self._capacitance_tril)
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return H if len(self._batch_shape) == 0 else H.expand(*self._batch_shape)
