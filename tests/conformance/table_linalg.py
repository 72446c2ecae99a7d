"""Conformance entries for torch.linalg's determinants, inverse, solve and symmetric
factorizations (chainrule/ops/linalg_decompositions.py, linalg_eigen.py).

Drawn matrices are made well conditioned inside the program (``x + 5 I``: uniform entries in
[−2, 2] are then diagonally dominant for n ≤ 3; ``x xᵀ + I`` is positive-definite). Eigenvectors
are compared through gauge-invariant quantities (V diag(λ) Vᵀ), since the two libraries' LAPACKs
may choose opposite signs.
"""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, value

A33 = floats(3, 3)
A233 = floats(2, 3, 3)


def _wc(L, x):
    """A well-conditioned square matrix from x."""
    return x + 5 * L.eye(x.shape[-1], dtype=x.dtype)


def _spd(L, x):
    return L.matmul(x, x.transpose(-1, -2)) + L.eye(x.shape[-1], dtype=x.dtype)


def _sym(x):
    return x + x.transpose(-1, -2)


def _reassembled(L, result):
    w, v = result
    assert result.eigenvalues is w and result.eigenvectors is v
    return w, L.matmul(v * w.unsqueeze(-2), v.transpose(-1, -2)), type(result).__name__


def _svd_invariant(L, result):
    """Sign-gauge-invariant functions of (U, S, Vh) (the first k columns of U, rows of Vh)."""
    u, s, vh = result
    assert type(result).__name__ == "linalg_svd" and result.Vh is vh
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    return s, L.matmul(u * s.unsqueeze(-2), vh), L.matmul(u, u.transpose(-1, -2)), \
        L.matmul(vh.transpose(-1, -2), vh)


ENTRIES = [
    Entry("linalg.det", [
        case(lambda L, x: L.linalg.det(_wc(L, x)), A33, grad=[0]),
        case(lambda L, x: L.linalg.det(_wc(L, x)), A233, grad=[0]),
        case(lambda L, x: L.linalg.det(x), floats(2, 1, 1), grad=[0]),
        case(lambda L, x: L.linalg.det(x), floats(0, 2, 2)),
        case(lambda L, x: L.linalg.det(x), floats(2, 3), raises=True, label="not square"),
        case(lambda L, x: L.linalg.det(x), floats(3), raises=True, label="1-D"),
        case(lambda L: L.linalg.det(L.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=L.float64,
                                              requires_grad=True)), label="singular"),
        # rank 2: the gradient is the cofactor matrix (PyTorch: det·A⁻ᵀ by an LU that finds a
        # tiny pivot; chainrule: the SVD cofactor formula, as NumPy's LU finds a zero pivot).
        # At [[1, 2], [2, 4]] PyTorch's LU pivot is exactly 0 and its gradient 0: not compared.
        case(lambda L, x: L.linalg.det(x), value(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0],
                                                          [1.0, 1.0, 1.0]])), grad=[0],
             label="singular: the cofactor gradient"),
    ]),
    Entry("linalg.slogdet", [
        case(lambda L, x: L.linalg.slogdet(_wc(L, x)), A33, grad=[0]),
        case(lambda L, x: L.linalg.slogdet(x - 5 * L.eye(3, dtype=x.dtype)), A233, grad=[0],
             label="negative determinants"),
        case(lambda L, x: L.linalg.slogdet(x), floats(2, 3), raises=True),
    ]),
    Entry("linalg.inv", [
        case(lambda L, x: L.linalg.inv(_wc(L, x)), A33, grad=[0]),
        case(lambda L, x: L.linalg.inv(_wc(L, x)), A233, grad=[0]),
        case(lambda L, x: L.linalg.inv(_wc(L, x)), floats(3, 3, dtype="float32"), grad=[0]),
        case(lambda L: L.linalg.inv(L.zeros(2, 2, dtype=L.float64)), raises=True,
             label="singular"),
        case(lambda L, x: L.linalg.inv(x), floats(2, 3), raises=True, label="not square"),
    ]),
    Entry("linalg.inv_ex", [
        case(lambda L, x: L.linalg.inv_ex(_wc(L, x)), A233, grad=[0]),
        case(lambda L: L.linalg.inv_ex(L.zeros(2, 2, dtype=L.float64)).info,
             label="singular: info"),
        case(lambda L: L.linalg.inv_ex(L.zeros(2, 2, dtype=L.float64), check_errors=True),
             raises=True),
    ]),
    Entry("linalg.solve", [
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b), A33, floats(3, 2), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b), A233, floats(3), grad=[0, 1],
             label="vector"),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b), A233, floats(2, 3), grad=[0, 1],
             label="batch of vectors"),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b), A233, floats(4, 1, 3, 2),
             grad=[0, 1], label="broadcast batch"),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b, left=False), A233, floats(4, 3),
             grad=[0, 1], label="left=False"),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b, left=False), A233, floats(3),
             raises=True, label="left=False with a vector"),
        case(lambda L, a, b: L.linalg.solve(_wc(L, a), b), A33, floats(4, 2), raises=True),
        case(lambda L, a, b: L.linalg.solve(a, b), floats(2, 3), floats(2), raises=True),
        case(lambda L, b: L.linalg.solve(L.zeros(3, 3, dtype=L.float64), b), floats(3),
             raises=True, label="singular"),
    ]),
    Entry("linalg.cholesky", [
        case(lambda L, x: L.linalg.cholesky(_spd(L, x)), A33, grad=[0]),
        case(lambda L, x: L.linalg.cholesky(_spd(L, x), upper=True), A233, grad=[0]),
        case(lambda L, x: L.linalg.cholesky(_spd(L, x)), floats(3, 3, dtype="float32"),
             grad=[0]),
        case(lambda L: L.linalg.cholesky(-L.eye(2, dtype=L.float64)), raises=True,
             label="not positive-definite"),
        case(lambda L, x: L.linalg.cholesky(x), floats(2, 3), raises=True),
    ]),
    Entry("linalg.eigh", [
        case(lambda L, x: _reassembled(L, L.linalg.eigh(_sym(x))), A33, grad=[0]),
        case(lambda L, x: _reassembled(L, L.linalg.eigh(_sym(x), UPLO="U")), A233, grad=[0]),
        case(lambda L, x: L.linalg.eigh(x, UPLO="X"), A33, raises=True),
        case(lambda L, x: L.linalg.eigh(x), floats(2, 3), raises=True),
    ]),
    Entry("linalg.eigvalsh", [
        case(lambda L, x: L.linalg.eigvalsh(_sym(x)), A233, grad=[0]),
        case(lambda L, x: L.linalg.eigvalsh(x, "U"), A33, grad=[0], label="upper triangle"),
    ]),
    Entry("linalg.qr", [
        case(lambda L, x: L.linalg.qr(_wc(L, x)), A33, grad=[0]),
        case(lambda L, x: L.linalg.qr(x), floats(2, 4, 3), grad=[0], label="tall"),
        case(lambda L, x: L.linalg.qr(x), floats(3, 5), grad=[0], label="wide"),
        case(lambda L, x: L.linalg.qr(x, mode="complete"), floats(3, 5), grad=[0]),
        case(lambda L, x: L.linalg.qr(x, mode="complete"), floats(4, 2)),
        case(lambda L, x: L.linalg.qr(x, mode="r"), floats(4, 2)),
        case(lambda L, x: L.linalg.qr(x, mode="r").R.sum().backward(), floats(4, 2), grad=[0],
             raises=True, label="mode='r' is not differentiable"),
        case(lambda L, x: L.linalg.qr(x, mode="complete").Q.sum().backward(), floats(4, 2),
             grad=[0], raises=True, label="complete, m > n: not differentiable"),
        case(lambda L, x: L.linalg.qr(x, mode="full"), A33, raises=True),
        case(lambda L, x: L.linalg.qr(x), floats(3), raises=True),
    ]),
    Entry("linalg.svd", [
        case(lambda L, x: _svd_invariant(L, L.linalg.svd(x)), floats(2, 4, 3), grad=[0]),
        case(lambda L, x: _svd_invariant(L, L.linalg.svd(x, full_matrices=False)),
             floats(3, 5), grad=[0]),
        case(lambda L, x: _svd_invariant(L, L.linalg.svd(x)), A33, grad=[0]),
        case(lambda L, x: [t.shape for t in L.linalg.svd(x)], floats(2, 4, 3)),
        case(lambda L, x: L.linalg.svd(x), floats(3), raises=True),
    ]),
    Entry("linalg.svdvals", [
        case(lambda L, x: L.linalg.svdvals(x), floats(2, 4, 3), grad=[0]),
        case(lambda L, x: L.linalg.svdvals(x), floats(3, 5), grad=[0]),
        case(lambda L, x: L.linalg.svdvals(x), floats(0, 3)),
    ]),
    Entry("linalg.pinv", [
        case(lambda L, x: L.linalg.pinv(x), floats(2, 4, 3), grad=[0]),
        case(lambda L, x: L.linalg.pinv(x), floats(3, 5), grad=[0]),
        case(lambda L, x: L.linalg.pinv(_sym(x) + 5 * L.eye(3, dtype=x.dtype), hermitian=True),
             A233, grad=[0], label="hermitian"),
        case(lambda L: L.linalg.pinv(L.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=L.float64)),
             label="rank deficient"),
        case(lambda L: L.linalg.pinv(L.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=L.float64),
                                     atol=1e-2), label="atol"),
        case(lambda L: L.linalg.pinv(L.tensor([[1.0, 0.0], [0.0, 1e-3]], dtype=L.float64),
                                     rtol=1e-2), label="rtol"),
        case(lambda L, x: L.linalg.pinv(x), floats(3), raises=True),
    ]),
    Entry("linalg.matrix_power", [
        case(lambda L, x, k=k: L.linalg.matrix_power(x, k), A233, grad=[0], label=f"n={k}")
        for k in (0, 1, 2, 3, 6)
    ] + [
        case(lambda L, x, k=k: L.linalg.matrix_power(_wc(L, x), k), A33, grad=[0],
             label=f"n={k}") for k in (-1, -3)
    ] + [
        case(lambda L, x: L.linalg.matrix_power(x, 2), floats(2, 3), raises=True),
        case(lambda L: L.linalg.matrix_power(L.zeros(2, 2, dtype=L.float64), -1), raises=True,
             label="singular, negative power"),
    ]),
    Entry("linalg.multi_dot", [
        case(lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), floats(2, 5), floats(5, 3),
             floats(3, 4), grad=[0, 1, 2]),
        case(lambda L, a, b, c, e: L.linalg.multi_dot([a, b, c, e]), floats(4), floats(4, 2),
             floats(2, 6), floats(6), grad=[0, 1, 2, 3], label="vector ends"),
        case(lambda L, a, b: L.linalg.multi_dot([a, b]), floats(3), floats(3, 2), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.multi_dot([a, b]), floats(3, 2), floats(3, 2),
             raises=True),
        case(lambda L, a: L.linalg.multi_dot([a]), floats(3, 2), raises=True),
    ]),
    Entry("linalg.cross", [
        case(lambda L, a, b: L.linalg.cross(a, b), floats(4, 3), floats(4, 3), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.cross(a, b, dim=0), floats(3, 2), floats(3, 1),
             grad=[0, 1], label="dim=0, broadcast"),
        case(lambda L, a, b: L.linalg.cross(a, b), floats(2, 1, 3), floats(4, 3), raises=True,
             label="different ndim"),
        case(lambda L, a, b: L.linalg.cross(a, b), floats(4, 2), floats(4, 2), raises=True),
    ]),
    Entry("linalg.vecdot", [
        case(lambda L, a, b: L.linalg.vecdot(a, b), floats(3, 4), floats(4), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.vecdot(a, b, dim=0), floats(3, 4), floats(3, 1),
             grad=[0, 1]),
        case(lambda L, a, b: L.linalg.vecdot(a, b), floats(3), floats(3, dtype="float32"),
             raises=True),
    ]),
    Entry("linalg.matrix_rank", [
        case(lambda L, x: L.linalg.matrix_rank(x), floats(2, 4, 3)),
        case(lambda L: L.linalg.matrix_rank(L.tensor([[1.0, 2.0], [2.0, 4.0]],
                                                     dtype=L.float64)), label="rank 1"),
        case(lambda L: L.linalg.matrix_rank(L.tensor([[1.0, 0.0], [0.0, 1e-3]],
                                                     dtype=L.float64), atol=1e-2),
             label="atol"),
        case(lambda L: L.linalg.matrix_rank(L.tensor([[1.0, 0.0], [0.0, 1e-3]],
                                                     dtype=L.float64), rtol=1e-2),
             label="rtol"),
        case(lambda L, x: L.linalg.matrix_rank(_sym(x), hermitian=True), A233),
        case(lambda L, x: L.linalg.matrix_rank(x), floats(0, 3)),
        case(lambda L, x: L.linalg.matrix_rank(x), floats(3), raises=True),
    ]),
    Entry("linalg.lstsq", [
        case(lambda L, a, b, d=d: L.linalg.lstsq(a, b, driver=d), floats(4, 3), floats(4, 2),
             grad=[0, 1], label=str(d)) for d in (None, "gels", "gelsd", "gelss")
    ] + [
        case(lambda L, a, b: L.linalg.lstsq(a, b), floats(2, 3, 5), floats(2, 3, 1),
             grad=[0, 1], label="underdetermined"),
        case(lambda L, a, b: L.linalg.lstsq(a, b, driver="gelsd"), floats(4, 3), floats(4),
             grad=[0, 1], label="vector"),
        case(lambda L, a, b: L.linalg.lstsq(a, b, driver="lapack"), floats(4, 3), floats(4, 2),
             raises=True),
    ]),
    Entry("linalg.matmul", [
        case(lambda L, a, b: L.linalg.matmul(a, b), floats(2, 3, 4), floats(4, 2), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.matmul(a, b), floats(4), floats(4), grad=[0, 1]),
    ]),
    Entry("linalg.diagonal", [
        case(lambda L, a: L.linalg.diagonal(a), floats(2, 3, 4), grad=[0]),
        case(lambda L, a: L.linalg.diagonal(a, offset=1, dim1=0, dim2=2), floats(2, 3, 4),
             grad=[0]),
    ]),
    Entry("linalg.solve_triangular", [
        case(lambda L, a, b: L.linalg.solve_triangular(_wc(L, a), b, upper=True), A233,
             floats(3, 2), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.solve_triangular(_wc(L, a), b, upper=False, left=False),
             A233, floats(4, 3), grad=[0, 1], label="lower, left=False"),
        case(lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
             A33, floats(3, 2), grad=[0, 1], label="unitriangular"),
        case(lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), A33, floats(3),
             raises=True, label="vector B"),
    ]),
    Entry("linalg.solve_ex", [
        case(lambda L, a, b: L.linalg.solve_ex(_wc(L, a), b), A233, floats(3), grad=[0, 1]),
        case(lambda L, b: L.linalg.solve_ex(L.zeros(2, 3, 3, dtype=L.float64), b).info,
             floats(3), label="singular: info"),
        case(lambda L, b: L.linalg.solve_ex(L.zeros(3, 3, dtype=L.float64), b,
                                            check_errors=True), floats(3), raises=True),
    ]),
    Entry("linalg.cholesky_ex", [
        case(lambda L, x: L.linalg.cholesky_ex(_spd(L, x)), A233, grad=[0]),
        case(lambda L, x: L.linalg.cholesky_ex(_spd(L, x), upper=True), A33, grad=[0]),
        case(lambda L: L.linalg.cholesky_ex(L.tensor([[[1.0, 0.0], [0.0, -1.0]],
                                                      [[1.0, 0.0], [0.0, 1.0]]],
                                                     dtype=L.float64)).info,
             label="info: the order of the failing minor"),
        case(lambda L: L.linalg.cholesky_ex(-L.eye(2, dtype=L.float64), check_errors=True),
             raises=True),
    ]),
    Entry("linalg.matrix_exp", [
        case(lambda L, x: L.linalg.matrix_exp(x), A233, grad=[0]),
        case(lambda L, x: L.linalg.matrix_exp(3 * x), floats(4, 4), grad=[0], label="large"),
        case(lambda L, x: L.linalg.matrix_exp(x), floats(1, 1), grad=[0]),
        case(lambda L, x: L.linalg.matrix_exp(x), floats(2, 3), raises=True),
    ]),
    Entry("linalg.vander", [
        case(lambda L, x: L.linalg.vander(x), floats(2, 4), grad=[0]),
        case(lambda L, x: L.linalg.vander(x, N=3), floats(5), grad=[0]),
        case(lambda L, x: L.linalg.vander(x, N=1), floats(5), raises=True),
    ]),
    Entry("linalg.tensorinv", [
        case(lambda L, x: L.linalg.tensorinv((x + 9 * L.eye(6, dtype=x.dtype)).reshape(6, 2, 3),
                                             ind=1), floats(6, 6), grad=[0]),
        case(lambda L, x: L.linalg.tensorinv(x), floats(2, 3, 4), raises=True),
    ]),
    Entry("linalg.tensorsolve", [
        case(lambda L, a, b: L.linalg.tensorsolve(
            (a + 9 * L.eye(6, dtype=a.dtype)).reshape(2, 3, 6), b), floats(6, 6),
            floats(2, 3), grad=[0, 1]),
        case(lambda L, a, b: L.linalg.tensorsolve(
            (a + 9 * L.eye(6, dtype=a.dtype)).reshape(6, 2, 3), b, dims=(0,)), floats(6, 6),
            floats(2, 3), grad=[0, 1], label="dims"),
    ]),
    Entry("linalg.cond", [
        case(lambda L, x, p=p: L.linalg.cond(_wc(L, x), p), A233, grad=[0], label=str(p))
        for p in (None, 2, -2)
    ] + [   # PyTorch 2.13 cannot differentiate these (its inv_ex output is modified in place)
        case(lambda L, x, p=p: L.linalg.cond(_wc(L, x), p), A233, label=str(p))
        for p in ("fro", "nuc", 1, -1, float("inf"), float("-inf"))
    ] + [case(lambda L, x: L.linalg.cond(x), floats(3, 5), grad=[0], label="wide")]),
]


# ------------------------------------------------------------------------------ LU
# (chainrule/ops/linalg_lu.py) Uniform draws in [−2, 2] have no ties among the candidate pivots,
# so both libraries choose the same rows; singular cases use exactly representable elimination.
_SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
_RANK2 = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]


def _lu_mat(L, rows, dtype=None):
    return L.tensor(rows, dtype=dtype or L.float64)


def _batch_singular(L):
    return L.stack([L.eye(2, dtype=L.float64), _lu_mat(L, _SINGULAR), L.zeros(2, 2,
                                                                                dtype=L.float64)])


def _factors(L, x):
    return L.linalg.lu_factor(_wc(L, x))


ENTRIES += [
    Entry("linalg.lu_factor", [
        case(lambda L, x: L.linalg.lu_factor(x), A33, grad=[0]),
        case(lambda L, x: L.linalg.lu_factor(x), A233, grad=[0], label="batched"),
        case(lambda L, x: L.linalg.lu_factor(x), floats(2, 4, 3), grad=[0], label="tall"),
        case(lambda L, x: L.linalg.lu_factor(x), floats(3, 5), grad=[0], label="wide"),
        case(lambda L, x: L.linalg.lu_factor(x), floats(3, 3, dtype="float32"), grad=[0]),
        case(lambda L, x: L.linalg.lu_factor(x), floats(0, 3, 2), label="empty batch"),
        case(lambda L, x: L.linalg.lu_factor(x), floats(3, 0), label="no columns"),
        case(lambda L: L.linalg.lu_factor(_lu_mat(L, _SINGULAR)), raises=True, label="singular"),
        case(lambda L: L.linalg.lu_factor(_batch_singular(L)), raises=True,
             label="singular batch element"),
        case(lambda L, x: L.linalg.lu_factor(x), floats(3), raises=True, label="1-D"),
        case(lambda L: L.linalg.lu_factor(L.ones(2, 2, dtype=L.int64)), raises=True,
             label="integer"),
    ], note="pivot=False (LU without pivoting) is computed as PyTorch does on CUDA; PyTorch's "
            "CPU build raises there"),
    Entry("linalg.lu_factor_ex", [
        case(lambda L, x: L.linalg.lu_factor_ex(x), A233, grad=[0]),
        case(lambda L: L.linalg.lu_factor_ex(_batch_singular(L)), label="singular: info"),
        case(lambda L: L.linalg.lu_factor_ex(_lu_mat(L, _RANK2)), label="rank 2: info 3"),
        case(lambda L: L.linalg.lu_factor_ex(_lu_mat(L, [[0.0, 1.0], [0.0, 2.0]])),
             label="zero column: info 1"),
        case(lambda L: L.linalg.lu_factor_ex(_lu_mat(L, _SINGULAR), check_errors=True),
             raises=True),
        case(lambda L, x: L.linalg.lu_factor_ex(x), floats(3), raises=True),
    ]),
    Entry("linalg.lu", [
        case(lambda L, x: L.linalg.lu(x), A33, grad=[0]),
        case(lambda L, x: L.linalg.lu(x), floats(2, 4, 3), grad=[0], label="tall"),
        case(lambda L, x: L.linalg.lu(x), floats(2, 3, 5), grad=[0], label="wide"),
        case(lambda L: L.linalg.lu(_lu_mat(L, _SINGULAR)), label="singular: no error"),
        case(lambda L, x: L.linalg.lu(x), floats(2, 0, 3), label="no rows"),
        case(lambda L, x: L.linalg.lu(x), floats(3), raises=True),
    ]),
    Entry("linalg.lu_solve", [
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b), A33, floats(3, 2),
             grad=[0, 1]),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b, adjoint=True), A233,
             floats(3, 4), grad=[0, 1], label="adjoint"),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b, left=False), A233,
             floats(5, 1, 4, 3), grad=[0, 1], label="left=False, broadcast batch"),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b, left=False, adjoint=True),
             A33, floats(2, 3), grad=[0, 1], label="left=False, adjoint"),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b), A33, floats(3),
             raises=True, label="vector B"),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b), A33, floats(4, 2),
             raises=True, label="incompatible shapes"),
        case(lambda L, a, b: L.linalg.lu_solve(_factors(L, a)[0], _factors(L, a)[1].long(), b),
             A33, floats(3, 2), raises=True, label="int64 pivots"),
        case(lambda L, a, b: L.linalg.lu_solve(_factors(L, a)[0], _factors(L, a)[1][:2], b),
             A33, floats(3, 2), raises=True, label="pivots of the wrong shape"),
        case(lambda L, a, b: L.linalg.lu_solve(_factors(L, a)[0], 0 * _factors(L, a)[1], b),
             A33, floats(3, 2), raises=True, label="pivots out of range"),
        case(lambda L, a, b: L.linalg.lu_solve(*_factors(L, a), b), A33,
             floats(3, 2, dtype="float32"), raises=True, label="dtypes differ"),
    ]),
    Entry("lu_unpack", [
        case(lambda L, a: L.lu_unpack(*L.linalg.lu_factor(a)), A233, grad=[0]),
        case(lambda L, a: L.lu_unpack(*L.linalg.lu_factor(a)), floats(4, 2), grad=[0],
             label="tall"),
        case(lambda L, a: L.lu_unpack(*L.linalg.lu_factor(a)), floats(2, 5), grad=[0],
             label="wide"),
        case(lambda L, a: L.lu_unpack(*L.linalg.lu_factor(a), unpack_data=False), A33,
             label="unpack_data=False"),
        case(lambda L, a: L.lu_unpack(*L.linalg.lu_factor(a), unpack_pivots=False), A33,
             grad=[0], label="unpack_pivots=False"),
        case(lambda L, a: L.lu_unpack(a, L.tensor([1, 3, 1], dtype=L.int32)), floats(3, 2),
             grad=[0], label="extra pivots are ignored"),
        case(lambda L, a: L.lu_unpack(a, L.tensor([1, 2], dtype=L.int64)), floats(2, 2),
             raises=True, label="int64 pivots"),
        case(lambda L, a: L.lu_unpack(a, L.tensor([3, 1], dtype=L.int32)), floats(2, 2),
             raises=True, label="pivot out of range"),
        case(lambda L, a: L.lu_unpack(a, L.tensor([1], dtype=L.int32)), floats(3),
             raises=True, label="1-D"),
    ]),
    Entry("lu", [
        case(lambda L, x: L.lu(x), A233, grad=[0]),
        case(lambda L, x: L.lu(x, get_infos=True), floats(4, 3), grad=[0], label="get_infos"),
        case(lambda L: L.lu(_batch_singular(L), get_infos=True), label="singular: no error"),
        case(lambda L, x: L.lu(x), floats(3), raises=True),
    ]),
    Entry("lu_solve", [
        case(lambda L, b, a: L.lu_solve(b, *_factors(L, a)), floats(4, 3, 2), A33,
             grad=[0, 1]),
        case(lambda L, b, a: L.lu_solve(b, *_factors(L, a)), floats(3), A33, raises=True),
    ]),
    Entry("Tensor.lu", [
        case(lambda L, x: x.lu(), A233, grad=[0]),
        case(lambda L, x: x.lu(pivot=True, get_infos=True), A33, grad=[0]),
    ]),
    Entry("Tensor.lu_solve", [
        case(lambda L, b, a: b.lu_solve(*_factors(L, a)), floats(2, 3, 2), A233, grad=[0, 1]),
    ]),
]

# ------------------------------------------------------------------------------ aliases
# PyTorch's top-level and Tensor-method spellings (chainrule/ops/linalg_aliases.py). They become
# entries once chainrule/__init__.py binds them (the lines are in linalg_aliases.py's docstring).
def _alias_entries():
    import chainrule as cr

    S33 = floats(2, 3, 3)
    top = {
        "det": [case(lambda L, x: L.det(_wc(L, x)), S33, grad=[0])],
        "logdet": [case(lambda L, x: L.logdet(_spd(L, x)), S33, grad=[0]),
                   case(lambda L, x: L.logdet(-_spd(L, x)), floats(3, 3), grad=[0],
                        label="negative determinant: NaN")],
        "slogdet": [case(lambda L, x: L.slogdet(_wc(L, x)), S33, grad=[0])],
        "inverse": [case(lambda L, x: L.inverse(_wc(L, x)), S33, grad=[0])],
        "cholesky": [case(lambda L, x: L.cholesky(_spd(L, x), True), S33, grad=[0])],
        "cholesky_solve": [case(lambda L, b, x: L.cholesky_solve(b, L.linalg.cholesky(_spd(L, x))),
                                floats(2, 3, 2), S33, grad=[0, 1])],
        "cholesky_inverse": [case(lambda L, x: L.cholesky_inverse(L.linalg.cholesky(_spd(L, x)),
                                                                  upper=False), A33, grad=[0])],
        "pinverse": [case(lambda L, x: L.pinverse(x), floats(4, 3), grad=[0])],
        "matrix_power": [case(lambda L, x: L.matrix_power(x, 3), S33, grad=[0])],
        "matrix_exp": [case(lambda L, x: L.matrix_exp(x), S33, grad=[0])],
        "cross": [case(lambda L, a, b: L.cross(a, b, dim=0), floats(3, 2), floats(3, 2),
                       grad=[0, 1])],
        "chain_matmul": [case(lambda L, a, b, c: L.chain_matmul(a, b, c), floats(2, 5),
                              floats(5, 3), floats(3, 4), grad=[0, 1, 2])],
        "svd": [case(lambda L, x: [L.svd(x).S, [t.shape for t in L.svd(x, some=False)],
                                   type(L.svd(x)).__name__], floats(4, 3), grad=[0])],
        "qr": [case(lambda L, x: L.qr(x), A33, grad=[0])],
    }
    methods = {
        "det": [case(lambda L, x: _wc(L, x).det(), S33, grad=[0])],
        "logdet": [case(lambda L, x: _spd(L, x).logdet(), S33, grad=[0])],
        "slogdet": [case(lambda L, x: _wc(L, x).slogdet(), S33, grad=[0])],
        "inverse": [case(lambda L, x: _wc(L, x).inverse(), S33, grad=[0])],
        "cholesky": [case(lambda L, x: _spd(L, x).cholesky(), S33, grad=[0])],
        "cholesky_solve": [case(lambda L, b, x: b.cholesky_solve(L.linalg.cholesky(_spd(L, x))),
                                floats(2, 3, 2), S33, grad=[0, 1])],
        "cholesky_inverse": [case(lambda L, x: L.linalg.cholesky(_spd(L, x)).cholesky_inverse(),
                                  A33, grad=[0])],
        "pinverse": [case(lambda L, x: x.pinverse(), floats(4, 3), grad=[0])],
        "matrix_power": [case(lambda L, x: x.matrix_power(2), S33, grad=[0])],
        "matrix_exp": [case(lambda L, x: x.matrix_exp(), S33, grad=[0])],
        "cross": [case(lambda L, a, b: a.cross(b, dim=-1), floats(2, 3), floats(2, 3),
                       grad=[0, 1])],
        "svd": [case(lambda L, x: x.svd().S, floats(4, 3), grad=[0])],
        "qr": [case(lambda L, x: x.qr(), A33, grad=[0])],
    }
    out = [Entry(name, cases) for name, cases in top.items() if hasattr(cr, name)]
    out += [Entry("Tensor." + name, cases) for name, cases in methods.items()
            if hasattr(cr.Tensor, name)]
    return out


ENTRIES += _alias_entries()
