"""``torch.linalg``'s products and derived quantities, composed of primitives (no derivative of
their own): matrix_power, multi_dot, cross, vecdot, matrix_rank, lstsq.

- matrix_power(A, k): repeated squaring (⌊log₂ k⌋ squarings and a product per set bit of k), of
  A⁻¹ for k < 0; its gradient is the matmul chain's.
- multi_dot: the chain of products in the cheapest order (the classic O(N³) dynamic program over
  the parenthesizations, Cormen et al., "Introduction to Algorithms", §15.2).
- cross: (a₂b₃ − a₃b₂, a₃b₁ − a₁b₃, a₁b₂ − a₂b₁) along ``dim``, with broadcasting.
- vecdot: Σ xᵢ yᵢ along ``dim`` (real inputs).
- matrix_rank: the number of singular values above max(atol, rtol·s_max); not differentiable.
- lstsq: the minimum-norm least-squares solution A⁺B (differentiable through the pseudo-inverse).
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..backend import dtype_kind, xp
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import as_tensor, check_float, check_matrix, check_square, inv
from .linalg_svd import pinv

linalg_lstsq = return_types._make("linalg_lstsq",
                                  ("solution", "residuals", "rank", "singular_values"))


def _ops():
    from .. import ops

    return ops


# ------------------------------------------------------------------------------ matrix_power
def matrix_power(A, n: int, *, out=None):  # noqa: N803
    """``torch.linalg.matrix_power``: Aⁿ for square A (shape (*, m, m)); n = 0 gives the identity,
    n < 0 the power of A⁻¹ (raising for a singular A)."""
    no_out("linalg.matrix_power", out)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    A = as_tensor(A)
    check_square("linalg.matrix_power", A)
    if n == 0:
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape).copy()
        return Tensor._make(eye) if not A.requires_grad else A * 0 + Tensor._make(eye)
    if n < 0:
        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if n:
            square = square @ square
    return result


# ------------------------------------------------------------------------------ multi_dot
def _chain_order(dims: list[int]) -> list[list[int]]:
    """split[i][j]: where the cheapest product of matrices i…j splits (dims[i] × dims[i+1] is
    matrix i)."""
    count = len(dims) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None):
    """``torch.linalg.multi_dot``: the product of 2 or more matrices in the cheapest order; the
    first may be a 1-D row vector and the last a 1-D column vector."""
    no_out("linalg.multi_dot", out)
    tensors = [as_tensor(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first_vector:
        mats[0] = mats[0].reshape(1, -1)
    if last_vector:
        mats[-1] = mats[-1].reshape(-1, 1)
    for i, t in enumerate(mats):
        if t.ndim != 2:
            which = "first" if i == 0 else ("last" if i == len(mats) - 1 else str(i))
            raise RuntimeError(f"multi_dot(): tensor {which} must be 2D (or 1D if first/last) "
                               f"but got {tensors[i].ndim}D")
        if i and mats[i - 1].shape[1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"{tuple(tensors[i - 1].shape)} and {tuple(tensors[i].shape)} "
                               "cannot be multiplied")
    dims = [mats[0].shape[0]] + [t.shape[1] for t in mats]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k) @ product(k + 1, j)

    result = product(0, len(mats) - 1)
    if first_vector and last_vector:
        return result.reshape(())
    if first_vector:
        return result.reshape(-1)
    if last_vector:
        return result.reshape(-1)
    return result


# ------------------------------------------------------------------------------ cross, vecdot
def cross(input, other, *, dim: int = -1, out=None):  # noqa: A002
    """``torch.linalg.cross``: the cross product along ``dim`` (size 3), broadcasting."""
    no_out("linalg.cross", out)
    ops = _ops()
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions "
                           f"(got {a.ndim} and {b.ndim}).")
    ndim = a.ndim
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim]} and {b.shape[dim]}")
    try:
        xp.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise RuntimeError(f"linalg.cross: cannot broadcast shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}") from None
    d = dim % ndim

    def part(t, i):
        return t[(slice(None),) * d + (i,)]

    a1, a2, a3 = (part(a, i) for i in range(3))
    b1, b2, b3 = (part(b, i) for i in range(3))
    return ops.stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], d)


@autocast_op("linalg_vecdot")
def vecdot(x, y, *, dim: int = -1, out=None):
    """``torch.linalg.vecdot``: Σ conj(xᵢ) yᵢ along ``dim`` with broadcasting."""
    no_out("linalg.vecdot", out)
    x, y = as_tensor(x), as_tensor(y)
    if xp.dtype(x.dtype) != xp.dtype(y.dtype):
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {x.dtype} and y of type {y.dtype} instead")
    ndim = max(x.ndim, y.ndim)
    if not -ndim <= dim < ndim or ndim == 0:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    if dtype_kind(x._data.dtype) == "c":
        from .complex_grad import Conj

        x = Conj.apply(x)
    return (x * y).sum(dim)


# ------------------------------------------------------------------------------ matrix_rank
def _tolerance(value, dtype):
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value._data
    return xp.asarray(value, dtype=dtype)


def _singular_or_eigen_magnitudes(data, hermitian: bool):
    if hermitian:
        return xp.sort(xp.abs(xp.linalg.eigvalsh(data)), axis=-1)[..., ::-1]
    return xp.linalg.svd(data, compute_uv=False)


@autocast_op("linalg_matrix_rank")
def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, out=None):  # noqa: N803
    """``torch.linalg.matrix_rank``: the number of singular values (eigenvalue magnitudes for
    ``hermitian=True``) above max(atol, rtol·σ_max); rtol defaults to max(m, n)·ε, and to 0 when
    only ``atol`` is given. Returns int64; not differentiable."""
    no_out("linalg.matrix_rank", out)
    A = as_tensor(A)
    check_matrix("linalg.matrix_rank", A, "input")
    check_float("linalg.matrix_rank", A, complex_ok=True)
    if hermitian:
        check_square("linalg.matrix_rank", A)
    if hasattr(A, "_level"):         # a batched tensor inside chainrule.func.vmap
        from ..func.rules_linalg import on_leading_batch

        return on_leading_batch(matrix_rank, A, atol=atol, rtol=rtol, hermitian=hermitian)
    data = A._data
    dtype = xp.finfo(data.dtype).dtype      # real tolerances (complex A too)
    m, n = data.shape[-2:]
    a_tol, r_tol = _tolerance(atol, dtype), _tolerance(rtol, dtype)
    if r_tol is None:
        r_tol = xp.asarray(0.0 if a_tol is not None else max(m, n) * xp.finfo(dtype).eps, dtype)
    if a_tol is None:
        a_tol = xp.asarray(0.0, dtype)
    if min(m, n) == 0:
        return Tensor._make(xp.zeros(data.shape[:-2], dtype=xp.int64))
    s = _singular_or_eigen_magnitudes(data, hermitian)
    tol = xp.maximum(a_tol[..., None], r_tol[..., None] * s[..., :1])
    return Tensor._make((s > tol).sum(-1).astype(xp.int64))


# ------------------------------------------------------------------------------ lstsq
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@autocast_op("linalg_lstsq")
def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """``torch.linalg.lstsq``: ``(solution, residuals, rank, singular_values)`` of
    min ‖A X − B‖ (A (*, m, n), B (*, m, k) or (*, m)).

    The solution is A⁺B (the minimum-norm least-squares solution; singular values at or below
    rcond·σ_max are dropped, rcond = max(m, n)·ε by default), differentiable through the
    pseudo-inverse. As PyTorch on the CPU (default driver 'gelsy'): ``rank`` is given for the
    drivers 'gelsy', 'gelsd' and 'gelss', ``singular_values`` for 'gelsd' and 'gelss', and
    ``residuals`` (the squared residual norms) for drivers other than 'gelsy' when m > n and every
    matrix has full rank; the others are empty tensors. For a rank-deficient A, 'gels' (QR, no
    pivoting) is not defined in PyTorch either; chainrule returns the minimum-norm solution.
    """
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"{_DRIVERS}")
    A, B = as_tensor(A), as_tensor(B)
    if A.ndim < 2:
        raise RuntimeError(f"torch.linalg.lstsq: input must have at least 2 dimensions. "
                           f"(got shape {tuple(A.shape)})")
    check_float("linalg.lstsq", A, complex_ok=True)
    if xp.dtype(A.dtype) != xp.dtype(B.dtype):
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype} and other's dtype {B.dtype}")
    m, n = A.shape[-2:]
    vector = B.ndim == A.ndim - 1
    b = B.reshape(tuple(B.shape) + (1,)) if vector else B
    if b.ndim < 2 or b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"(got shapes {tuple(A.shape)} and {tuple(B.shape)})")
    dtype = xp.finfo(xp.dtype(A.dtype)).dtype     # residuals, singular values: real
    rc = max(m, n) * xp.finfo(dtype).eps if rcond is None else rcond
    solution = pinv(A, rtol=rc) @ b
    empty = Tensor._make(xp.zeros((0,), dtype=dtype))
    s = xp.linalg.svd(A._data, compute_uv=False) if min(m, n) else \
        xp.zeros(A.shape[:-2] + (0,), dtype)
    tol = rc * (s[..., :1] if s.shape[-1] else s)
    rank = (s > tol).sum(-1).astype(xp.int64)
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        diff = A @ solution - b
        if xp.dtype(A.dtype).kind == "c":       # |diff|²: real
            diff = diff.abs()
        residuals = (diff * diff).sum(-2)
    if vector:
        solution = solution.reshape(tuple(solution.shape)[:-1])
    return linalg_lstsq(solution, residuals,
                        Tensor._make(rank) if driver != "gels" else
                        Tensor._make(xp.zeros((0,), dtype=xp.int64)),
                        Tensor._make(s.astype(dtype)) if driver in ("gelsd", "gelss") else empty)


__all__ = ["matrix_power", "multi_dot", "cross", "vecdot", "matrix_rank", "lstsq"]
