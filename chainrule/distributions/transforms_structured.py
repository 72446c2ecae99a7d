"""Transforms that couple coordinates or combine other transforms (PyTorch's
``SoftmaxTransform``, ``StickBreakingTransform``, ``LowerCholeskyTransform``,
``PositiveDefiniteTransform``, ``CorrCholeskyTransform``, ``CatTransform``, ``StackTransform``,
``CumulativeDistributionTransform``), written as PyTorch writes them.
"""
from __future__ import annotations

import math

from ..backend import xp
from . import constraints
from .distribution import sum_rightmost
from .transform import Transform
from .transforms_elementwise import clipped_sigmoid


def _tril_indices(n: int, diag: int):
    """Flat indices (row-major) of the entries (i, j) with j ≤ i + diag of an n × n matrix:
    the order of PyTorch's ``tril_matrix_to_vec``."""
    rows, cols = xp.tril_indices(n, k=diag)
    return rows * n + cols


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower-triangular entries (j ≤ i + diag) of ``mat`` (…, n, n) as a vector, row by row."""
    from .. import tensor
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat.index_select(-1, tensor(_tril_indices(n, diag)))


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of :func:`tril_matrix_to_vec`: a (…, n, n) matrix, zeros elsewhere (written
    as a product with a 0/1 placement matrix, so it is differentiable)."""
    from .. import tensor
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = float(xp.finfo(vec._data.dtype).eps)
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the "
                         f"lower triangular part of a square D x D matrix.")
    n = round(n)
    place = xp.zeros((m, n * n), dtype=vec._data.dtype)
    place[xp.arange(m), _tril_indices(n, diag)] = 1
    return (vec @ tensor(place)).reshape(tuple(vec.shape[:-1]) + (n, n))


class SoftmaxTransform(Transform):
    r"""y = softmax(x) = e^{x − max x} / Σ e^{x − max x} over the last dimension (not
    bijective: f⁻¹(y) = log y, one preimage of many; no log-determinant)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    def _call(self, x):
        probs = (x - x.max(-1, True)[0]).exp()
        return probs / probs.sum(-1, True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape


class StickBreakingTransform(Transform):
    r"""ℝᴷ → the simplex in ℝᴷ⁺¹ by breaking a stick: zₖ = σ(xₖ − log(K + 1 − k)) (clipped),
    yₖ = zₖ Πⱼ<ₖ (1 − zⱼ), y_{K+1} = Πⱼ (1 − zⱼ).
    f⁻¹: xₖ = log yₖ − log(1 − Σⱼ≤ₖ yⱼ) + log(K + 1 − k);
    log |det J| = Σₖ (−x̃ₖ + log σ(x̃ₖ) + log yₖ), x̃ₖ = xₖ − log(K + 1 − k)."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    def _call(self, x):
        from ..nn.functional import pad
        offset = x.shape[-1] + 1 - x.new_ones(x.shape[-1]).cumsum(-1)
        z = clipped_sigmoid(x - offset.log())
        z_cumprod = (1 - z).cumprod(-1)
        return pad(z, [0, 1], value=1) * pad(z_cumprod, [1, 0], value=1)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        offset = y.shape[-1] - y.new_ones(y_crop.shape[-1]).cumsum(-1)
        sf = 1 - y_crop.cumsum(-1)
        sf = sf.clamp(min=float(xp.finfo(y._data.dtype).tiny))
        return y_crop.log() - sf.log() + offset.log()

    def log_abs_det_jacobian(self, x, y):
        from ..nn.functional import logsigmoid
        offset = x.shape[-1] + 1 - x.new_ones(x.shape[-1]).cumsum(-1)
        x = x - offset.log()
        return (-x + logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    r"""Unconstrained square matrices → lower-triangular matrices with a positive diagonal:
    y = tril(x, −1) + diag(e^{diag x}) (no log-determinant; not bijective as a map of all
    of x)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    r"""Unconstrained square matrices → positive-definite ones: y = L Lᵀ with L the
    LowerCholeskyTransform of x; f⁻¹(y) = that transform's inverse of chol(y)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    def _call(self, x):
        x = LowerCholeskyTransform()(x)
        return x @ x.transpose(-1, -2)

    def _inverse(self, y):
        from ._linalg import cholesky
        return LowerCholeskyTransform().inv(cholesky(y))


class CorrCholeskyTransform(Transform):
    r"""ℝ^{D(D−1)/2} → Cholesky factors of D × D correlation matrices (Stan's construction):
    r = tanh x (clamped to ±(1 − eps)) placed below the diagonal row by row; each row
    stick-broken on the squares, yᵢⱼ = rᵢⱼ √(Πₖ<ⱼ (1 − rᵢₖ²)), yᵢᵢ = √(Πₖ<ᵢ (1 − rᵢₖ²)).
    log |det J| (of x and the lower triangle of y) = ½ Σ log(1 − Σₖ<ⱼ yᵢₖ²) over j < i
    − 2 Σ (x + softplus(−2x) − log 2)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        from .. import eye
        from ..nn.functional import pad
        x = x.tanh()
        eps = float(xp.finfo(x._data.dtype).eps)
        x = x.clamp(min=-1 + eps, max=1 - eps)
        r = vec_to_tril_matrix(x, diag=-1)
        z = r ** 2
        z1m_cumprod_sqrt = (1 - z).sqrt().cumprod(-1)
        r = r + eye(r.shape[-1], dtype=r.dtype)
        return r * pad(z1m_cumprod_sqrt[..., :-1], [1, 0], value=1)

    def _inverse(self, y):
        from ..nn.functional import pad
        y_cumsum = 1 - (y * y).cumsum(-1)
        y_cumsum_shifted = pad(y_cumsum[..., :-1], [1, 0], value=1)
        y_vec = tril_matrix_to_vec(y, diag=-1)
        y_cumsum_vec = tril_matrix_to_vec(y_cumsum_shifted, diag=-1)
        t = y_vec / y_cumsum_vec.sqrt()
        return (t.log1p() - t.neg().log1p()) / 2

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        from ..nn.functional import softplus
        y1m_cumsum = 1 - (y * y).cumsum(-1)
        y1m_cumsum_tril = tril_matrix_to_vec(y1m_cumsum, diag=-2)
        stick_breaking_logdet = 0.5 * y1m_cumsum_tril.log().sum(-1)
        tanh_logdet = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking_logdet + tanh_logdet

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)


def _check_dim(t, dim: int, what: str) -> None:
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for {what} with {t.dim()} dimensions")


class CatTransform(Transform):
    """Transforms ``tseq`` applied to consecutive slices (of ``lengths``) along ``dim``, the
    results concatenated (as ``torch.cat``)."""

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0) -> None:
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.transforms)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _slices(self, t, what):
        _check_dim(t, self.dim, what)
        if t.shape[self.dim] != self.length:
            raise AssertionError(f"{what}.size({self.dim}) = {t.shape[self.dim]} must equal "
                                 f"length {self.length}")
        start = 0
        for length in self.lengths:
            yield t.narrow(self.dim, start, length)
            start += length

    def _call(self, x):
        from .. import cat
        return cat([t(s) for t, s in zip(self.transforms, self._slices(x, "x"))], dim=self.dim)

    def _inverse(self, y):
        from .. import cat
        return cat([t.inv(s) for t, s in zip(self.transforms, self._slices(y, "y"))],
                   dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        from .. import cat
        terms = []
        for t, xs, ys in zip(self.transforms, self._slices(x, "x"), self._slices(y, "y")):
            term = t.log_abs_det_jacobian(xs, ys)
            if t.event_dim < self.event_dim:
                term = sum_rightmost(term, self.event_dim - t.event_dim)
            terms.append(term)
        dim = self.dim
        if dim >= 0:
            dim = dim - x.dim()
        dim = dim + self.event_dim
        if dim < 0:
            return cat(terms, dim=dim)
        return sum(terms)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(Transform):
    """Transforms ``tseq`` applied to the slices of ``dim``, the results stacked (as
    ``torch.stack``)."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0) -> None:
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slice(self, z, what):
        _check_dim(z, self.dim, what)
        if z.shape[self.dim] != len(self.transforms):
            raise AssertionError(f"{what}.size({self.dim}) = {z.shape[self.dim]} must equal "
                                 f"len(transforms) {len(self.transforms)}")
        return [z.select(self.dim, i) for i in range(z.shape[self.dim])]

    def _call(self, x):
        from .. import stack
        return stack([t(s) for s, t in zip(self._slice(x, "x"), self.transforms)], dim=self.dim)

    def _inverse(self, y):
        from .. import stack
        return stack([t.inv(s) for s, t in zip(self._slice(y, "y"), self.transforms)],
                     dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        from .. import stack
        return stack([t.log_abs_det_jacobian(a, b) for a, b, t in
                      zip(self._slice(x, "x"), self._slice(y, "y"), self.transforms)],
                     dim=self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """y = F(x), the cdf of ``distribution``: f⁻¹ = its icdf, log |f′(x)| = log p(x)
    (e.g. a Gaussian copula from a multivariate normal)."""

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
