"""The Wishart distribution W(ν, Σ) over positive-definite matrices."""
from __future__ import annotations

import math
import numbers
import warnings

from ..backend import xp
from ..ops.gamma import digamma
from ..tensor import Tensor
from . import constraints
from .chi2 import Chi2
from .distribution import as_param, noise
from .exp_family import ExponentialFamily
from .kl import register_kl

_LOG_2 = math.log(2)


class ParameterChoiceError(ValueError, AssertionError):
    """Not exactly one of covariance_matrix, precision_matrix and scale_tril was given: PyTorch
    raises AssertionError here; this is both that and chainrule's usual ValueError."""


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """ψ_p(x) = Σⱼ₌₀^{p−1} ψ(x − j/2), the derivative of ln Γ_p."""
    from .. import arange
    return digamma(x.unsqueeze(-1) - arange(p, dtype=x.dtype) / 2).sum(-1)


def _matching_batches(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Two stacks of matrices broadcast to one batch shape. (chainrule's solve_triangular and
    cholesky_solve read a right-hand side B whose shape is A's minus its last size as a stack of
    vectors, NumPy's ``solve`` convention; with equal batch shapes B is always matrices.)"""
    from .. import broadcast_shapes
    batch = tuple(broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    return a.expand(*(batch + tuple(a.shape[-2:]))), b.expand(*(batch + tuple(b.shape[-2:])))


def _cholesky_solve(b: Tensor, lower: Tensor) -> Tensor:
    """(L Lᵀ)⁻¹ B, batched."""
    from .. import cholesky_solve
    b, lower = _matching_batches(b, lower)
    return cholesky_solve(b, lower)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    """L with L Lᵀ = P⁻¹, through the Cholesky factor of P with its rows and columns reversed
    (PyTorch's construction): flip(P) = F Fᵀ gives P⁻¹ = (flip(F)ᵀ)⁻¹ᵀ (flip(F)ᵀ)⁻¹, and
    flip(F)ᵀ is lower triangular."""
    from .. import eye, linalg
    lf = linalg.cholesky(precision.flip((-2, -1)))
    l_inv = lf.flip((-2, -1)).transpose(-2, -1)
    return linalg.solve_triangular(*_matching_batches(
        l_inv, eye(precision.shape[-1], dtype=precision.dtype)), upper=False)


class Wishart(ExponentialFamily):
    r"""Wishart distribution of p × p positive-definite matrices with ``df`` (ν > p − 1) degrees
    of freedom and scale Σ given by exactly one of ``covariance_matrix`` (Σ),
    ``precision_matrix`` (Σ⁻¹) or ``scale_tril`` (L, Σ = L Lᵀ), as PyTorch's
    ``distributions.Wishart``: for integer ν, the law of Σₖ₌₁^ν xₖxₖᵀ with xₖ ~ N(0, Σ).

    Density:      p(X) = |X|^{(ν−p−1)/2} e^{−tr(Σ⁻¹X)/2} / (2^{νp/2} |Σ|^{ν/2} Γ_p(ν/2))
    Log-density:  log p(X) = −ν(p log 2/2 + Σᵢ log Lᵢᵢ) − ln Γ_p(ν/2)
                  + (ν − p − 1)/2 · log|X| − tr(Σ⁻¹X)/2
    Gradients:    ∂/∂X = ((ν − p − 1) X⁻¹ − Σ⁻¹)/2,   ∂/∂Σ = (Σ⁻¹XΣ⁻¹ − νΣ⁻¹)/2,
                  ∂/∂ν = −(p log 2 + log|Σ|)/2 − ψ_p(ν/2)/2 + log|X|/2
    Reparameterisation (rsample, Bartlett):  X = (L A)(L A)ᵀ, A lower triangular with
                  Aᵢᵢ = √cᵢ, cᵢ ~ χ²(ν − i + 1) (implicitly differentiable in ν, see Gamma;
                  clamped below at the dtype's eps) and Aᵢⱼ ~ N(0, 1) below the diagonal.
                  The χ² draws are PyTorch's (its Gamma sampler replayed), but PyTorch redraws
                  every sample once (below), so the samples are not its draws for the same
                  seed.
    entropy (p + 1)(p log 2/2 + Σᵢ log Lᵢᵢ) + ln Γ_p(ν/2) − (ν − p − 1)/2 · ψ_p(ν/2) + νp/2;
    mean νΣ; mode (ν − p − 1)Σ (NaN where ν ≤ p + 1); variance Var Xᵢⱼ = ν(Σᵢⱼ² + ΣᵢᵢΣⱼⱼ).
    KL(W(ν₁, Σ₁) ‖ W(ν₂, Σ₂)) in closed form (see ``_kl_wishart_wishart``).

    Differences from PyTorch 2.13: its ``rsample`` tests ``support.check(sample)`` without
    negating it, so it warns "Singular sample detected." on every call and redraws the valid
    samples once; chainrule redraws (and warns about) only samples that are not positive
    definite, up to ``max_try_correction`` times. Its KL divergence goes through the exponential
    family's Bregman form, whose sum over event dimensions also sums the ν term over the batch
    (wrong values for a batch of Wisharts) and detaches p (no gradient in p's parameters);
    chainrule registers the closed form, equal to PyTorch's for a single pair and
    differentiable in both distributions.
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0
    _math = (("Density", "p(X) = |X|^{(ν−p−1)/2} e^{−tr(Σ⁻¹X)/2} / (2^{νp/2} |Σ|^{ν/2} Γ_p(ν/2))",
              r"p(X) = \frac{|X|^{(\nu-p-1)/2} e^{-\mathrm{tr}(\Sigma^{-1}X)/2}}"
              r"{2^{\nu p/2} |\Sigma|^{\nu/2} \Gamma_p(\nu/2)}"),
             ("Gradient", "∂log p/∂X = ((ν − p − 1) X⁻¹ − Σ⁻¹)/2",
              r"\frac{\partial \log p}{\partial X} = \tfrac12\left((\nu-p-1)X^{-1} - "
              r"\Sigma^{-1}\right)"),
             ("Reparameterisation", "X = (LA)(LA)ᵀ, Aᵢᵢ = √χ²(ν − i + 1), Aᵢⱼ ~ N(0, 1) (i > j)",
              r"X = (LA)(LA)^\top,\ A_{ii} = \sqrt{\chi^2_{\nu-i+1}},\ A_{ij}\sim\mathcal N(0,1)"),
             "The scatter matrix of ν draws from N(0, Σ); conjugate prior of a Gaussian's "
             "precision.")

    @property
    def arg_constraints(self) -> dict:
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        from .. import broadcast_shapes, linalg
        given = [(n, v) for n, v in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if v is not None]
        if len(given) != 1:
            raise ParameterChoiceError("Exactly one of covariance_matrix or precision_matrix or "
                                       f"scale_tril may be specified (got "
                                       f"{[n for n, _ in given] or 'none'}).")
        name, param = given[0]
        param = as_param(param)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading "
                             "batch dimensions")
        if param.shape[-1] != param.shape[-2]:
            raise ValueError(f"Wishart: {name} must be square in its last two dimensions, got "
                             f"shape {tuple(param.shape)}")
        p = param.shape[-1]
        if not isinstance(df, numbers.Number):
            df_t = as_param(df)
            try:
                batch = tuple(broadcast_shapes(tuple(param.shape[:-2]), tuple(df_t.shape)))
            except (ValueError, RuntimeError):
                raise ValueError(f"Wishart: the batch shapes of df {tuple(df_t.shape)} and "
                                 f"{name} {tuple(param.shape[:-2])} do not broadcast") from None
            self.df = df_t.expand(*batch)
        else:
            batch = tuple(param.shape[:-2])
            self.df = as_param(df, param)
        if bool((self.df._data <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        self._given = name
        self._given_matrix = param.expand(*(batch + (p, p)))
        if bool((self.df._data < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch, (p, p), validate_args=validate_args)
        self._batch_dims = [-(i + 1) for i in range(len(batch))]
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)
        self._dist_chi2 = self._chi2()

    def _chi2(self) -> Chi2:
        """χ²(ν − i), i = 0…p − 1: the squared diagonal of Bartlett's factor."""
        from .. import arange
        p = self.event_shape[-1]
        dof = self.df.unsqueeze(-1) - arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        return Chi2(dof.expand(*(tuple(self.batch_shape) + (p,))), validate_args=False)

    def _params_to_check(self) -> dict:
        return {k: v for k, v in self.arg_constraints.items() if k in ("df", self._given)}

    def expand(self, batch_shape, _instance=None):
        from .transformed_distribution import checked_instance, reinit
        new = checked_instance(self, Wishart, _instance)
        batch_shape = tuple(batch_shape)
        event = tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(
            *(batch_shape + event))
        new.df = self.df.expand(*batch_shape)
        new._given = self._given
        new._given_matrix = self._given_matrix.expand(*(batch_shape + event))
        new._batch_dims = [-(i + 1) for i in range(len(batch_shape))]
        reinit(new, Wishart, batch_shape, event, self._validate_args)
        new._dist_chi2 = new._chi2()
        return new

    # ------------------------------------------------------------------ the three matrices
    def _full(self, t: Tensor) -> Tensor:
        return t.expand(*(tuple(self.batch_shape) + tuple(self.event_shape)))

    @property
    def scale_tril(self) -> Tensor:
        if self._given == "scale_tril":
            return self._given_matrix
        return self._full(self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self) -> Tensor:
        if self._given == "covariance_matrix":
            return self._given_matrix
        lower = self._unbroadcasted_scale_tril
        return self._full(lower @ lower.transpose(-2, -1))

    @property
    def precision_matrix(self) -> Tensor:
        from .. import eye
        if self._given == "precision_matrix":
            return self._given_matrix
        identity = eye(self.event_shape[-1], dtype=self._unbroadcasted_scale_tril.dtype)
        return self._full(_cholesky_solve(identity, self._unbroadcasted_scale_tril))

    # ------------------------------------------------------------------ moments
    def _df_matrix(self, df: Tensor) -> Tensor:
        return df.reshape(tuple(self.batch_shape) + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        from .. import full_like, where
        factor = self.df - self.event_shape[-1] - 1
        factor = where(factor <= 0, full_like(factor.detach(), math.nan), factor)
        return self._df_matrix(factor) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        v = self.covariance_matrix
        d = v.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix(self.df) * (v ** 2 + d.unsqueeze(-1) * d.unsqueeze(-2))

    # ------------------------------------------------------------------ sampling
    def _bartlett_sampling(self, sample_shape=()) -> Tensor:
        from .. import diag_embed
        p = self.event_shape[-1]
        shape = tuple(sample_shape)
        chi = self._dist_chi2.rsample(shape).sqrt()
        eps = float(xp.finfo(chi._data.dtype).eps)
        a = diag_embed(chi.clamp(min=eps))
        rows, cols = xp.tril_indices(p, -1)
        below = xp.zeros(shape + tuple(self.batch_shape) + (p, p), dtype=chi._data.dtype)
        below[..., rows, cols] = noise(shape + tuple(self.batch_shape) + (len(rows),),
                                       chi._data.dtype)._data
        chol = self._unbroadcasted_scale_tril @ (a + Tensor._from_op(below, None))
        return chol @ chol.transpose(-2, -1)

    def _singular(self, sample: Tensor):
        """Per draw (over sample_shape): whether some matrix of the batch is not positive
        definite."""
        bad = ~self.support.check(sample)._data
        return bad.any(axis=tuple(self._batch_dims)) if self._batch_dims else bad

    def rsample(self, sample_shape=(), max_try_correction=None) -> Tensor:
        """X = (LA)(LA)ᵀ by the Bartlett decomposition (see the class docstring). A draw that is
        numerically singular (possible when ν is close to p − 1) is redrawn, with a warning, up
        to ``max_try_correction`` (10) times; it may remain singular (log_prob −inf then)."""
        from .. import where
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        sample_shape = tuple(sample_shape)
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample = self._bartlett_sampling(sample_shape)
        bad = self._singular(sample)
        if bad.any():
            warnings.warn("Singular sample detected.", stacklevel=2)
            extra = (1,) * (len(self.batch_shape) + 2)
            for _ in range(max_try_correction):
                fresh = self._bartlett_sampling(sample_shape)
                mask = Tensor._from_op(bad.reshape(bad.shape + extra), None)
                sample = where(mask, fresh, sample)
                bad = self._singular(sample)
                if not bad.any():
                    break
        return sample

    # ------------------------------------------------------------------ densities
    def _half_log_det(self) -> Tensor:
        """Σᵢ log Lᵢᵢ = ½ log|Σ|."""
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value) -> Tensor:
        from .. import linalg, mvlgamma
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self.event_shape[-1]
        trace = _cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(
            dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + self._half_log_det()) - mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self) -> Tensor:
        from .. import mvlgamma
        nu, p = self.df, self.event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + self._half_log_det()) + mvlgamma(nu / 2, p=p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    # the exponential family: θ = (−Σ⁻¹/2, (ν − p − 1)/2),
    # F(θ) = (θ₂ + (p+1)/2)(−log|−2θ₁| + p log 2) + ln Γ_p(θ₂ + (p+1)/2)
    @property
    def _natural_params(self) -> tuple:
        p = self.event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x, y):
        from .. import linalg, mvlgamma
        p = self.event_shape[-1]
        return ((y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + mvlgamma(y + (p + 1) / 2, p=p))


@register_kl(Wishart, Wishart)
def _kl_wishart_wishart(p: Wishart, q: Wishart) -> Tensor:
    r"""KL(W(ν₁, Σ₁) ‖ W(ν₂, Σ₂)) = ν₂/2 · (log|Σ₂| − log|Σ₁|) + ν₁/2 · (tr(Σ₂⁻¹Σ₁) − p)
    + ln Γ_p(ν₂/2) − ln Γ_p(ν₁/2) + (ν₁ − ν₂)/2 · ψ_p(ν₁/2)
    (from E[X] = ν₁Σ₁ and E[log|X|] = ψ_p(ν₁/2) + p log 2 + log|Σ₁| under p);
    tr(Σ₂⁻¹Σ₁) = ‖L₂⁻¹L₁‖²_F."""
    from .. import linalg, mvlgamma
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL(Wishart ‖ Wishart): the matrices are {tuple(p.event_shape)} and "
                         f"{tuple(q.event_shape)}; they must be of one size")
    k = p.event_shape[-1]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    m = linalg.solve_triangular(*_matching_batches(lq, lp), upper=False)
    trace = (m * m).sum((-2, -1))
    nu1, nu2 = p.df, q.df
    return (nu2 * (q._half_log_det() - p._half_log_det()) + nu1 / 2 * (trace - k)
            + mvlgamma(nu2 / 2, p=k) - mvlgamma(nu1 / 2, p=k)
            + (nu1 - nu2) / 2 * _mvdigamma(nu1 / 2, k))


__all__ = ["Wishart"]
