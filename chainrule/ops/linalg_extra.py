"""More ``torch.linalg`` names, composed of primitives (no derivative of their own): matmul,
diagonal, solve_triangular, solve_ex, cholesky_ex, matrix_exp, vander, tensorinv, tensorsolve,
cond.

- solve_triangular: the triangle of A that the function reads (with a unit diagonal for
  ``unitriangular=True``) is cut out with tril/triu, then solved by the general solve primitive:
  the gradient is the solve's, restricted to that triangle, as PyTorch's.
- matrix_exp: scaling and squaring (Higham 2005, "The scaling and squaring method for the matrix
  exponential revisited") with a degree-18 Taylor polynomial of A/2ˢ, ‖A/2ˢ‖₁ ≤ ½ (truncation
  below 2⁻¹⁹/19! relative to the unit roundoff): a chain of matrix products, whose gradient is
  the exact derivative of the approximation, equal to the Fréchet derivative of exp to rounding.
"""
from __future__ import annotations

import math

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..backend import xp
from ..tensor import Tensor
from . import linalg_decompositions as _dec
from .arithmetic import no_out
from .linalg_decompositions import as_tensor, check_float, check_matrix, check_square
from .linalg_eigen import Cholesky

linalg_cholesky_ex = return_types._make("linalg_cholesky_ex", ("L", "info"))
linalg_solve_ex = return_types._make("linalg_solve_ex", ("result", "info"))


def _ops():
    from .. import ops

    return ops


def matmul(input, other, *, out=None):  # noqa: A002
    """``torch.linalg.matmul``: an alias of ``chainrule.matmul``."""
    no_out("linalg.matmul", out)
    return _ops().matmul(input, other)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):  # noqa: N803
    """``torch.linalg.diagonal``: ``chainrule.diagonal`` with the last two axes by default."""
    return _ops().diagonal(A, offset, dim1, dim2)


def solve_triangular(A, B, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False, out=None):
    """``torch.linalg.solve_triangular``: X with A X = B (``left=False``: X A = B) where only the
    upper (``upper=True``) or lower triangle of A is read, its diagonal taken as 1 with
    ``unitriangular=True``. B must be a matrix (*, n, k) (*, k, n for left=False)."""
    no_out("linalg.solve_triangular", out)
    ops = _ops()
    A, B = as_tensor(A), as_tensor(B)
    check_square("linalg.solve_triangular", A)
    check_float("linalg.solve_triangular", A, complex_ok=True)
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 "
                           f"dimensions (got shape {tuple(B.shape)}).")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    eye = Tensor._make(xp.eye(n, dtype=xp.dtype(A.dtype)))
    if unitriangular:
        tri = (ops.triu(A, 1) if upper else ops.tril(A, -1)) + eye
    else:
        tri = ops.triu(A) if upper else ops.tril(A)
    return _dec.solve_matrices(tri, B, left=left, complex_ok=True)


def _info_singular(data):
    return (xp.asarray(xp.linalg.det(data)) == 0) if data.size else \
        xp.zeros(data.shape[:-2], dtype=bool)


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False, out=None):  # noqa: N803
    """``torch.linalg.solve_ex``: ``(result, info)``; ``info`` (int32, shape (*)) is 0 where A
    was solved and k > 0 where its k-th pivot is zero (the result there is not meaningful: NaN
    in chainrule). ``check_errors=True`` raises as :func:`solve`."""
    no_out("linalg.solve_ex", out)
    A = as_tensor(A)
    check_square("linalg.solve_ex", A)
    check_float("linalg.solve_ex", A, complex_ok=True)
    data = A._data
    singular = _info_singular(data)
    if not singular.any():
        return linalg_solve_ex(_dec.solve(A, B, left=left),
                               Tensor._make(xp.zeros(data.shape[:-2], xp.int32)))
    if check_errors:
        _dec.solve(A, B, left=left)
    info = xp.zeros(data.shape[:-2], dtype=xp.int32)
    flat_info, flat = info.reshape(-1), data.reshape((-1,) + data.shape[-2:])
    for i in xp.flatnonzero(singular.reshape(-1)):
        flat_info[i] = _dec._first_zero_pivot(flat[i])
    eye = xp.eye(data.shape[-1], dtype=data.dtype)
    safe = _dec._where_tensor(singular[..., None, None], eye, A)
    result = _dec.solve(safe, B, left=left)
    nan = xp.where(singular, xp.nan, 1.0).astype(data.dtype)
    vector = result.ndim == A.ndim - 1
    mask = nan[..., None] if vector else nan[..., None, None]
    return linalg_solve_ex(result * Tensor._make(mask), Tensor._make(info))


@autocast_op("linalg_cholesky_ex")
def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False, out=None):  # noqa: N803
    """``torch.linalg.cholesky_ex``: ``(L, info)``; ``info`` (int32, shape (*)) is 0 where A is
    positive-definite and k > 0 where its leading minor of order k is not (L there is not
    meaningful: NaN in chainrule). ``check_errors=True`` raises as :func:`cholesky`."""
    no_out("linalg.cholesky_ex", out)
    from .linalg_eigen import cholesky

    A = as_tensor(A)
    check_square("linalg.cholesky_ex", A)
    check_float("linalg.cholesky_ex", A, complex_ok=True)
    data = xp.swapaxes(A._data, -1, -2) if upper else A._data
    flat = data.reshape((-1,) + data.shape[-2:])
    info = xp.zeros(len(flat), dtype=xp.int32)
    try:
        xp.linalg.cholesky(data)
    except xp.linalg.LinAlgError:
        if check_errors:
            cholesky(A, upper=upper)
        for i, m in enumerate(flat):
            for k in range(1, m.shape[-1] + 1):
                if not _chol_ok(m[:k, :k]):
                    info[i] = k
                    break
    info = info.reshape(data.shape[:-2])
    if not info.any():
        return linalg_cholesky_ex(cholesky(A, upper=upper), Tensor._make(info))
    bad = (info > 0)[..., None, None]
    eye = xp.eye(data.shape[-1], dtype=data.dtype)
    a = _dec._mH(A) if upper else A
    low = Cholesky.apply(_dec._where_tensor(bad, eye, a))
    low = low * Tensor._make(xp.where(bad, xp.nan, 1.0).astype(data.dtype))
    return linalg_cholesky_ex(_dec._mH(low) if upper else low, Tensor._make(info))


def _chol_ok(m) -> bool:
    try:
        xp.linalg.cholesky(m)
        return True
    except xp.linalg.LinAlgError:
        return False


# ------------------------------------------------------------------------------ matrix_exp
_TAYLOR_DEGREE = 18


def matrix_exp(A):  # noqa: N803
    """``torch.linalg.matrix_exp``: e^A = Σ Aᵏ/k! for square A (*, n, n), real or complex, by
    scaling and squaring (see the module docstring; complex A differentiates through the
    products' holomorphic rules)."""
    A = as_tensor(A)
    check_square("linalg.matrix_exp", A)
    check_float("linalg.matrix_exp", A, complex_ok=True)
    if hasattr(A, "_level"):         # a batched tensor inside chainrule.func.vmap
        from ..func.rules_linalg import on_leading_batch

        return on_leading_batch(matrix_exp, A)
    n = A.shape[-1]
    eye = Tensor._make(xp.eye(n, dtype=xp.dtype(A.dtype)))
    if A._data.size == 0:
        return A * 1
    norm = float(xp.abs(A._data).sum(-2).max())         # the largest ‖A‖₁ of the batch
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = A * (0.5 ** s) if s else A
    result = eye + x / _TAYLOR_DEGREE                    # Horner: I + X/1 (I + X/2 (…))
    for k in range(_TAYLOR_DEGREE - 1, 0, -1):
        result = eye + (x @ result) / k
    for _ in range(s):
        result = result @ result
    return result


# ------------------------------------------------------------------------------ vander, tensor*
def vander(x, *, N=None):  # noqa: N803
    """``torch.linalg.vander``: columns x⁰, x¹, …, x^{N−1} (N = x.shape[-1] by default)."""
    x = as_tensor(x)
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    if N is not None and N <= 1:
        raise RuntimeError("N must be greater than 1.")
    count = x.shape[-1] if N is None else N
    ops = _ops()
    ones = ops.ones_like(x).unsqueeze(-1)
    if count == 1:
        return ones
    powers = ops.cumprod(x.unsqueeze(-1).expand(*x.shape, count - 1), -1)
    return ops.cat([ones, powers], -1)


@autocast_op("linalg_tensorinv")
def tensorinv(A, ind: int = 2, *, out=None):  # noqa: N803
    """``torch.linalg.tensorinv``: the inverse of A read as a matrix of shape
    (∏ A.shape[:ind], ∏ A.shape[ind:]), returned with shape A.shape[ind:] + A.shape[:ind]."""
    no_out("linalg.tensorinv", out)
    A = as_tensor(A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    inverse = _dec.inv(A.reshape(rows, cols))
    return inverse.reshape(*(tuple(A.shape[ind:]) + tuple(A.shape[:ind])))


@autocast_op("linalg_tensorsolve")
def tensorsolve(A, B, dims=None, *, out=None):  # noqa: N803
    """``torch.linalg.tensorsolve``: X with tensordot(A, X, X.ndim) = B; ``dims``: axes of A
    moved to the end first."""
    no_out("linalg.tensorsolve", out)
    A, B = as_tensor(A), as_tensor(B)
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        order = [d for d in range(A.ndim) if d not in dims] + list(dims)
        A = A.permute(*order)
    x_shape = tuple(A.shape[B.ndim:])
    rows, cols = math.prod(B.shape), math.prod(x_shape)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but "
                           f"got {cols} != {rows}")
    solution = _dec.solve(A.reshape(rows, cols), B.reshape(rows))
    return solution.reshape(*x_shape)


# ------------------------------------------------------------------------------ cond
@autocast_op("linalg_cond")
def cond(A, p=None, *, out=None):  # noqa: N803
    """``torch.linalg.cond``: κ_p(A) = ‖A‖_p ‖A⁻¹‖_p; p = None or 2: σ_max/σ_min, −2: its
    reciprocal (any shape); 'fro', 'nuc', ±inf, ±1: through the inverse (square A)."""
    no_out("linalg.cond", out)
    from .linalg_svd import svdvals
    from .norms import matrix_norm

    A = as_tensor(A)
    check_matrix("linalg.cond", A)
    if p is None or p == 2 or p == -2:
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    check_square("linalg.cond", A)
    if p == "nuc":          # Σ singular values (matrix_norm has no 'nuc' yet)
        return svdvals(A).sum(-1) * svdvals(_dec.inv(A)).sum(-1)
    return matrix_norm(A, p) * matrix_norm(_dec.inv(A), p)


__all__ = ["matmul", "diagonal", "solve_triangular", "solve_ex", "cholesky_ex", "matrix_exp",
           "vander", "tensorinv", "tensorsolve", "cond"]
