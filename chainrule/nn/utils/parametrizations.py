r"""Weight normalization, spectral normalization and orthogonality as parametrizations
(PyTorch's ``torch.nn.utils.parametrizations``), built on :mod:`.parametrize`.

- ``weight_norm``: W = g · V/‖V‖, with ``original0`` = g (the norms over every axis but
  ``dim``) and ``original1`` = V;
- ``spectral_norm``: W = W₀ / σ(W₀), σ ≈ uᵀ W₀ v estimated by power iteration on the buffers
  ``_u``, ``_v`` of the parametrization (updated in training mode each time W is read);
- ``orthogonal``: Q with QᵀQ = I (m ≥ n) or QQᵀ = I (m < n), as the matrix exponential or
  Cayley transform of a skew-symmetric matrix, or a product of Householder reflectors.
"""
from __future__ import annotations

from enum import Enum, auto

from ... import linalg, ops
from ...autograd.grad_mode import no_grad
from ...backend import asarray_like, numpy_dtype, to_numpy, xp
from ...ops.linalg_aliases import matrix_exp
from ...tensor import Tensor
from ..functional import normalize
from ..module import Module
from . import parametrize
from .spectral_norm import _default_dim
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ------------------------------------------------------------------------------ orthogonal
# The QR work (geqrf, the orthogonality test, the base) runs without gradient on the host
# (NumPy's LAPACK); the results land in the weight's array library.
def _like(values, t: Tensor) -> Tensor:
    return Tensor._make(asarray_like(values, t._data))


def _geqrf(a):
    """LAPACK's geqrf of each matrix of ``a`` (an array, …×m×n): (reflectors below the diagonal
    and R on and above it, τ), as ``torch.geqrf``."""
    h, tau = xp.linalg.qr(a, mode="raw")         # NumPy returns the reflectors transposed
    return xp.swapaxes(h, -1, -2).copy(), tau


def _householder_array(a, tau):
    """``torch.linalg.householder_product`` on arrays: the first n columns of H₁⋯Hₙ."""
    m, n = a.shape[-2:]
    q = xp.broadcast_to(xp.eye(m, n, dtype=a.dtype), a.shape).copy()
    for i in range(n - 1, -1, -1):
        v = a[..., :, i].copy()
        v[..., :i] = 0
        v[..., i] = 1
        w = xp.einsum("...m,...mn->...n", v, q)
        q -= tau[..., i, None, None] * v[..., :, None] * w[..., None, :]
    return q


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """Q = H₁⋯Hₙ Iₘₓₙ, Hᵢ = I − τᵢ vᵢvᵢᵀ, vᵢ = eᵢ + (column i of ``a`` below the diagonal):
    differentiable in ``a`` and ``tau``."""
    m, n = a.shape[-2:]
    eye = xp.eye(m, dtype=numpy_dtype(a.dtype))
    q = _like(eye[:, :n], a).expand(*a.shape)
    lower = a.tril(-1)
    for i in range(n - 1, -1, -1):
        v = lower[..., :, i] + _like(eye[i], a)
        w = (v.unsqueeze(-1) * q).sum(-2)
        q = q - tau[..., i].unsqueeze(-1).unsqueeze(-1) * v.unsqueeze(-1) * w.unsqueeze(-2)
    return q


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2:]
    a = to_numpy(q._data)
    eps = 10.0 * n * float(xp.finfo(a.dtype).eps)
    qhq = xp.swapaxes(a, -1, -2).conj() @ a
    return bool(xp.allclose(qhq, xp.eye(k, dtype=a.dtype), atol=eps))


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of A = QR with diag(R) ≥ 0 (A tall), as PyTorch's geqrf + householder_product."""
    x, tau = _geqrf(to_numpy(a._data))
    q = _householder_array(x, tau)
    diag = xp.diagonal(x, axis1=-2, axis2=-1)
    q = q * xp.sign(diag)[..., None, :]
    return _like(q, a)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Q(X): orthogonal (or with orthonormal rows when wide) for every X of the weight's shape."""

    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:        # embed into a square matrix
                X = ops.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH      # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:             # Cayley: (I − A/2)⁻¹ (I + A/2)
                Id = _like(xp.eye(n, dtype=numpy_dtype(A.dtype)), A)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the diagonal of X holds ±1 (not differentiated, not trained: PyTorch's .int())
            sign = ops.trunc(X.diagonal(dim1=-2, dim2=-1).detach())
            Q = Q * sign.unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if tuple(Q.shape) != tuple(self.shape):
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{tuple(self.shape)}. Got a tensor of shape {tuple(Q.shape)}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = _geqrf(to_numpy(Q._data))
                diag = xp.diagonal(A, axis1=-2, axis2=-1)
                signs = xp.sign(diag)
                signs = xp.where(tau == 0.0, -signs, signs)
                idx = xp.arange(diag.shape[-1])
                A[..., idx, idx] = signs
                A = _like(A, Q)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:             # complete Q to an n×n orthogonal matrix
                N = ops.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=numpy_dtype(Q.dtype))
                Q = _make_orthogonal(ops.cat([Q, _like(to_numpy(N._data), Q)], dim=-1))
            self.base = Q
            # −Id: householder(zeros) = Id, so the parametrization starts at base
            neg_id = xp.zeros(tuple(Q_init.shape), dtype=numpy_dtype(Q_init.dtype))
            idx = xp.arange(min(Q_init.shape[-2:]))
            neg_id[..., idx, idx] = -1.0
            return _like(neg_id, Q_init)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Make ``module.<name>`` (a matrix or batch of matrices, m×n) orthogonal: QᵀQ = Iₙ when
    m ≥ n, QQᵀ = Iₘ otherwise. ``orthogonal_map``: ``"matrix_exp"`` (default for square
    matrices), ``"cayley"`` or ``"householder"`` (default otherwise). With
    ``use_trivialization`` (the default) the parametrization keeps a base B (the weight made
    orthogonal by QR at registration) and returns B·Q(X), X starting at 0 (the buffer
    ``parametrizations.<name>.0.base``). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.size(-2) == weight.size(-1)
                          or weight.is_complex() else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ------------------------------------------------------------------------------ weight_norm
class _WeightNorm(Module):
    """W = g · V/‖V‖ from (g, V) = (original0, original1)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """W = g · V/‖V‖ (norm over every axis but ``dim``; ``dim=None``: the whole tensor), with g
    and V the parameters ``parametrizations.<name>.original0`` and ``original1``. A state_dict
    of the older hook-based ``weight_norm`` (``<name>_g``, ``<name>_v``) loads into it.
    Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ------------------------------------------------------------------------------ spectral_norm
class _SpectralNorm(Module):
    """W / σ(W), σ ≈ uᵀ W v, u and v (buffers ``_u``, ``_v``) refined by power iteration."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:          # a vector needs no estimate: W/‖W‖
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            with no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)      # start from a good estimate

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if weight.ndim <= 1:
            raise AssertionError(f"Expected weight to have more than 1 dimension, got "
                                 f"{weight.ndim}")
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """u ← normalize(W v), v ← normalize(Wᴴ u), ``n_power_iterations`` times, in place."""
        with no_grad():
            for _ in range(n_power_iterations):
                self._u._data[...] = normalize(ops.mv(weight_mat, self._v), dim=0,
                                               eps=self.eps)._data
                self._v._data[...] = normalize(ops.mv(weight_mat.H, self._u), dim=0,
                                               eps=self.eps)._data

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()   # a later update must not change what this graph saved
        v = self._v.clone()
        sigma = ops.vdot(u, ops.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """W_SN = W / σ(W), σ the largest singular value of W (reshaped to a matrix with axis
    ``dim`` first; default 0, 1 for ConvTranspose), estimated by ``n_power_iterations`` steps
    of the power method each time the weight is read in training mode. u and v start from
    N(0, 1) draws of chainrule's generator (PyTorch's numbers for the same seed) and 15
    iterations. Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
