"""The LDL family: ``torch.linalg.ldl_factor``, ``ldl_factor_ex`` and ``ldl_solve``.

A symmetric (possibly indefinite) A (…, n, n), read from its lower triangle, is factored as
LAPACK's sytrf does with ``uplo='L'`` (Bunch–Kaufman diagonal pivoting):

    A = L D Lᵀ,   L = P_0 L_0 P_1 L_1 ⋯,

D block diagonal with 1 × 1 and 2 × 2 blocks, each P_k a symmetric interchange of two rows and
columns of the trailing matrix, each L_k unit lower triangular with the multipliers of step k in
column k (or k and k + 1). ``LD`` holds the multipliers strictly below D's blocks and D on its
diagonal (a 2 × 2 block's off-diagonal entry at [k + 1, k]); its upper triangle is 0.
``pivots`` (int32, 1-based), as LAPACK's ipiv: pivots[k] = p > 0 for a 1 × 1 block at k whose
step swapped rows k and p − 1; pivots[k] = pivots[k + 1] = −p for a 2 × 2 block at k, k + 1
whose step swapped rows k + 1 and p − 1.

The pivot choice (dsytf2, α = (1 + √17)/8): with λ = max_{i>k} |A[i, k]| (at row r) and
σ = max_{j≥k, j≠r} |A[r, j]|, take the 1 × 1 pivot A[k, k] if |A[k, k]| ≥ α λ or
|A[k, k]| σ ≥ α λ², else the 1 × 1 pivot A[r, r] (rows k, r swapped) if |A[r, r]| ≥ α σ, else
the 2 × 2 pivot on rows k and r (rows k + 1, r swapped). A zero column (λ = A[k, k] = 0) is
skipped: ``info`` is k + 1 for the first one (D exactly singular) and the factorization goes on.

Whole-array over the batch: the loop runs over the n columns; at column i every matrix whose
column i does not close a 2 × 2 block begun at i − 1 takes its step at i, so all steps of one
iteration share their column and are written with slices and masks (a matrix's choices, 1 × 1
or 2 × 2, swap or none, select among computed candidates with ``where``). The working matrix is
kept whole and symmetric (its update computed for the lower triangle, in LAPACK's arithmetic,
and mirrored).

PyTorch has no derivative for these functions: a backward through them raises, as there.
"""
from __future__ import annotations

import math

from .. import return_types
from ..backend import (
    array_namespace,
    asarray_like,
    astype,
    copy,
    errstate,
    matrix_transpose,
    numpy_dtype,
    reshape,
    to_numpy,
    xp,
)
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import LinAlgError, as_tensor
from .tensor_extras import _NotDifferentiable

linalg_ldl_factor = return_types._make("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = return_types._make("linalg_ldl_factor_ex", ("LD", "pivots", "info"))

ALPHA = (1.0 + math.sqrt(17.0)) / 8.0
"""Bunch–Kaufman's α: it bounds the growth of the entries per step (LAPACK's constant)."""


class _NoDerivative(_NotDifferentiable):
    """A result whose backward raises with PyTorch's message for an ATen op without a
    derivative (``aten::<op>``)."""

    @staticmethod
    def vjp(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")


# ------------------------------------------------------------------------------ factorization
def _mirror(ns, w):
    """The symmetric matrix of w's lower triangle."""
    n = w.shape[-1]
    index = ns.arange(n)
    lower = ns.reshape(index, (n, 1)) >= ns.reshape(index, (1, n))
    return ns.where(lower, w, matrix_transpose(w))


def _swap_perm(ns, base, a, b):
    """``base`` (…, s) of indices with the entries at positions a and b (…,) exchanged."""
    a, b = a[..., None], b[..., None]
    index = ns.arange(base.shape[-1])
    return ns.where(index == a, b, ns.where(index == b, a, base))


def _sytf2(a):
    """(LD, pivots, info) of a stack (B, n, n) (its lower triangle read): LAPACK's dsytf2 with
    uplo='L', vectorised over the batch (see the module docstring). int32 pivots and info."""
    ns = array_namespace(a)
    batch, n = a.shape[0], a.shape[-1]
    dtype = a.dtype
    w = copy(_mirror(ns, a))
    ld = ns.zeros(a.shape, dtype=dtype)
    piv = ns.zeros((batch, n), dtype=ns.int64)
    info = ns.zeros((batch,), dtype=ns.int64)
    second = ns.zeros((batch,), dtype=ns.bool)      # column i closes a 2×2 block begun at i − 1
    tiny = float(xp.finfo(numpy_dtype(dtype)).tiny)  # LAPACK's sfmin: 1/tiny does not overflow
    with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
        for i in range(n):
            step = ~second
            m = n - i                                       # the trailing block w[:, i:, i:]
            col = w[:, i:, i]
            absakk = ns.abs(col[:, 0])
            if m > 1:
                below = ns.abs(col[:, 1:])
                off = ns.argmax(below, axis=-1)             # the first largest, as idamax
                colmax = ns.max(below, axis=-1)
                r = off + 1                                 # local row of λ
            else:
                colmax = ns.zeros_like(absakk)
                r = ns.zeros((batch,), dtype=ns.int64)
            zero = (ns.maximum(absakk, colmax) == 0) | ns.isnan(absakk)
            # σ: the largest |w[r, j]|, j ≥ i, j ≠ r (the row of λ in the trailing block)
            pick = ns.broadcast_to(r[:, None, None], (batch, 1, m))
            rows = ns.take_along_axis(w[:, i:, i:], pick, axis=1)[:, 0, :]   # (B, m)
            local = ns.arange(m)
            rowmax = ns.max(ns.where(local == r[:, None], 0.0, ns.abs(rows)), axis=-1)
            arr = ns.take_along_axis(rows, r[:, None], axis=-1)[:, 0]  # w[r, r]
            safe_rowmax = ns.where(rowmax == 0, 1.0, rowmax)
            keep = zero | (absakk >= ALPHA * colmax) | (absakk >= ALPHA * colmax * (colmax /
                                                                                  safe_rowmax))
            two = step & ~keep & ~(ns.abs(arr) >= ALPHA * rowmax)
            kp = ns.where(step & ~keep, r, 0)               # local: the row brought to k or k+1
            kk = ns.astype(two, ns.int64)                   # local: k (1×1) or k + 1 (2×2)
            # the symmetric interchange of kk and kp in the trailing block
            perm = _swap_perm(ns, ns.broadcast_to(local, (batch, m)), kk, kp)
            block = ns.take_along_axis(w[:, i:, i:], perm[:, :, None], axis=1)
            block = ns.take_along_axis(block, perm[:, None, :], axis=2)
            w[:, i:, i:] = block
            d = block[:, 0, 0]
            x = block[:, 1:, 0]                             # (B, m − 1)
            # 1×1 step: L's column x / d; the trailing block less x (x / d)ᵀ (LAPACK's dsyr)
            big = ns.abs(d) >= tiny
            recip = 1.0 / d
            l1 = ns.where(big[:, None], x * recip[:, None], x / d[:, None])
            upd1 = ns.where(big[:, None, None], x[:, :, None] * (recip[:, None] * x)[:, None, :],
                            l1[:, :, None] * (d[:, None] * l1)[:, None, :])
            one = step & ~two & ~zero
            trail = block[:, 1:, 1:]
            w[:, i + 1:, i + 1:] = ns.where(one[:, None, None], _mirror(ns, trail - upd1), trail)
            new_col = ns.concat([d[:, None], ns.where(one[:, None], l1, x)], axis=-1)
            ld[:, i:, i] = ns.where(step[:, None], new_col, ld[:, i:, i])
            if m > 1:                                       # 2×2 step on columns i, i + 1
                d21 = block[:, 1, 0]
                d11 = block[:, 1, 1] / d21
                d22 = d / d21
                t = 1.0 / (d11 * d22 - 1.0)
                ak, ak1 = block[:, 2:, 0], block[:, 2:, 1]
                wk = t[:, None] * (d11[:, None] * ak - ak1)
                wkp1 = t[:, None] * (d22[:, None] * ak1 - ak)
                trail2 = block[:, 2:, 2:]
                upd2 = (trail2 - (ak / d21[:, None])[:, :, None] * wk[:, None, :]
                        - (ak1 / d21[:, None])[:, :, None] * wkp1[:, None, :])
                w[:, i + 2:, i + 2:] = ns.where(two[:, None, None], _mirror(ns, upd2),
                                                w[:, i + 2:, i + 2:])   # (1×1 steps: updated)
                col0 = ns.concat([d[:, None], d21[:, None], wk / d21[:, None]], axis=-1)
                col1 = ns.concat([block[:, 1, 1:2], wkp1 / d21[:, None]], axis=-1)
                ld[:, i:, i] = ns.where(two[:, None], col0, ld[:, i:, i])
                ld[:, i + 1:, i + 1] = ns.where(two[:, None], col1, ld[:, i + 1:, i + 1])
            p = kp + i + 1                                  # 1-based, global
            piv[:, i] = ns.where(step, ns.where(two, -p, p), piv[:, i])
            if m > 1:
                piv[:, i + 1] = ns.where(two, -p, piv[:, i + 1])
            info = ns.where((info == 0) & step & zero, i + 1, info)
            second = two
    return ld, astype(piv, xp.int32), astype(info, xp.int32)


def _sytf2_reference(a):
    """LAPACK's dsytf2 (uplo='L') transcribed one matrix at a time (NumPy): the tests'
    reference for :func:`_sytf2`. Returns (LD, pivots, info) for a stack (…, n, n)."""
    a = xp.asarray(a)
    n = a.shape[-1]
    flat = a.reshape((-1, n, n))
    lds, pivs, infos = [], [], []
    for matrix in flat:
        ld, piv, info = _sytf2_one(matrix)
        lds.append(ld)
        pivs.append(piv)
        infos.append(info)
    batch = a.shape[:-2]
    return (xp.stack(lds).reshape(a.shape) if lds else xp.zeros(a.shape, a.dtype),
            xp.array(pivs, dtype=xp.int32).reshape(batch + (n,)),
            xp.array(infos, dtype=xp.int32).reshape(batch))


def _sytf2_one(a):
    a = xp.tril(xp.array(a, copy=True))
    n = a.shape[0]
    ipiv = xp.zeros(n, xp.int32)
    info, k = 0, 0
    tiny = xp.finfo(a.dtype).tiny
    while k < n:
        kstep, kp = 1, k
        absakk = abs(a[k, k])
        imax = k + 1 + int(xp.argmax(xp.abs(a[k + 1:, k]))) if k < n - 1 else k
        colmax = abs(a[imax, k]) if k < n - 1 else 0.0
        if max(absakk, colmax) == 0 or xp.isnan(absakk):
            info = info or k + 1
        else:
            if absakk < ALPHA * colmax:
                rowmax = max(xp.abs(a[imax, k:imax]).max(initial=0.0),
                             xp.abs(a[imax + 1:, imax]).max(initial=0.0))
                if absakk >= ALPHA * colmax * (colmax / rowmax):
                    pass
                elif abs(a[imax, imax]) >= ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:     # swap rows and columns kk, kp of the trailing lower triangle
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                a[kk + 1:kp, kk], a[kp, kk + 1:kp] = (a[kp, kk + 1:kp].copy(),
                                                      a[kk + 1:kp, kk].copy())
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1 and k < n - 1:
                if abs(a[k, k]) >= tiny:
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= xp.tril(xp.outer(x, (1 / a[k, k]) * x))
                    a[k + 1:, k] = x * (1 / a[k, k])
                else:
                    a[k + 1:, k] = a[k + 1:, k] / a[k, k]
                    x = a[k + 1:, k]
                    a[k + 1:, k + 1:] -= xp.tril(xp.outer(x, a[k, k] * x))
            elif kstep == 2 and k < n - 2:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                for j in range(k + 2, n):
                    wk = t * (d11 * a[j, k] - a[j, k + 1])
                    wkp1 = t * (d22 * a[j, k + 1] - a[j, k])
                    a[j:, j] = a[j:, j] - (a[j:, k] / d21) * wk - (a[j:, k + 1] / d21) * wkp1
                    a[j, k], a[j, k + 1] = wk / d21, wkp1 / d21
        ipiv[k:k + kstep] = kp + 1 if kstep == 1 else -(kp + 1)
        k += kstep
    return a, ipiv, info


# ------------------------------------------------------------------------------ solve
def _blocks(ns, piv):
    """(first, closing) masks (B, n): position i opens a 2×2 block / closes one (its second
    column). A negative pivot opens a block unless it closes the one opened just before."""
    n = piv.shape[-1]
    first, closing = [], []
    prev = ns.zeros(piv.shape[:-1], dtype=ns.bool)
    for i in range(n):
        opens = (piv[..., i] < 0) & ~prev
        first.append(opens)
        closing.append(prev)
        prev = opens
    return first, closing


def _swap_rows(ns, x, i: int, p, where):
    """x (B, n, c) with rows i and p (B,) exchanged in the matrices where ``where`` holds."""
    n = x.shape[-2]
    p = ns.where(where, p, i)
    perm = _swap_perm(ns, ns.broadcast_to(ns.arange(n), (x.shape[0], n)),
                      ns.full(p.shape, i, dtype=p.dtype), p)
    return ns.take_along_axis(x, perm[:, :, None], axis=1)


def _sytrs(ld, piv, b):
    """X with A X = B for A's factorization (LD, pivots): LAPACK's dsytrs (uplo='L'), on stacks
    (B, n, n), (B, n) and (B, n, c), whole-array over the batch (a loop over the rows)."""
    ns = array_namespace(ld, b)
    n = ld.shape[-1]
    x = copy(b)
    p = astype(piv, xp.int64)
    size = ns.abs(p) - 1                                # 0-based row of each interchange
    first, closing = _blocks(ns, p)
    with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
        for i in range(n):                              # L D Y = B, first to last
            single = p[:, i] > 0
            opens = first[i]
            x = _swap_rows(ns, x, i, size[:, i], single)
            if i + 1 < n:
                x = _swap_rows(ns, x, i + 1, size[:, i], opens)
            xi = copy(x[:, i:i + 1, :])
            one = x[:, i + 1:, :] - ld[:, i + 1:, i:i + 1] * xi
            d = ld[:, i:i + 1, i:i + 1]
            x[:, i:i + 1, :] = ns.where(single[:, None, None], xi * (1.0 / d), xi)
            if i + 1 < n:
                x[:, i + 1:, :] = ns.where(single[:, None, None], one, x[:, i + 1:, :])
                xi1 = x[:, i + 1:i + 2, :]
                rest = (x[:, i + 2:, :] - ld[:, i + 2:, i:i + 1] * xi
                        - ld[:, i + 2:, i + 1:i + 2] * xi1)
                akm1k = ld[:, i + 1:i + 2, i:i + 1]
                akm1 = d / akm1k
                ak = ld[:, i + 1:i + 2, i + 1:i + 2] / akm1k
                denom = akm1 * ak - 1.0
                bkm1, bk = xi / akm1k, xi1 / akm1k
                pair = ns.concat([(ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom,
                                  rest], axis=-2)
                x[:, i:, :] = ns.where(opens[:, None, None], pair, x[:, i:, :])
        for i in range(n - 1, -1, -1):                  # Lᵀ X = Y, last to first
            single = p[:, i] > 0
            pair = closing[i]
            if i + 1 < n:
                tail = x[:, i + 1:, :]
                dot = matrix_transpose(ld[:, i + 1:, i:i + 1]) @ tail
                x[:, i:i + 1, :] = ns.where((single | pair)[:, None, None],
                                            x[:, i:i + 1, :] - dot, x[:, i:i + 1, :])
                if i > 0:
                    dot0 = matrix_transpose(ld[:, i + 1:, i - 1:i]) @ tail
                    x[:, i - 1:i, :] = ns.where(pair[:, None, None],
                                                x[:, i - 1:i, :] - dot0, x[:, i - 1:i, :])
            x = _swap_rows(ns, x, i, size[:, i], single | pair)
    return x


def _sytrs_reference(ld, piv, b):
    """NumPy: A rebuilt from the factors (L = P_0 L_0 P_1 L_1 ⋯, D) and ``numpy.linalg.solve``
    (the tests' reference for :func:`_sytrs`), one matrix at a time."""
    return xp.linalg.solve(_rebuild(ld, piv), b)


def _rebuild(ld, piv):
    """A = L D Lᵀ from a stack of (LD, pivots) (NumPy, one matrix at a time)."""
    ld, piv = xp.asarray(ld), xp.asarray(piv)
    n = ld.shape[-1]
    out = []
    for mat, p in zip(ld.reshape((-1, n, n)), piv.reshape((-1, n))):
        full, d, k = xp.eye(n), xp.zeros((n, n)), 0
        while k < n:
            step = 1 if p[k] > 0 else 2
            swap = (p[k] if step == 1 else -p[k]) - 1
            perm = xp.eye(n)
            perm[[k + step - 1, swap]] = perm[[swap, k + step - 1]]
            lk = xp.eye(n)
            lk[k + step:, k:k + step] = mat[k + step:, k:k + step]
            d[k:k + step, k:k + step] = xp.tril(mat[k:k + step, k:k + step])
            d[k, k + step - 1] = d[k + step - 1, k]
            full = full @ perm @ lk
            k += step
        out.append(full @ d @ full.T)
    return xp.array(out).reshape(ld.shape)


# ------------------------------------------------------------------------------ public functions
def _factor(op: str, A, hermitian: bool):  # noqa: N803
    A = as_tensor(A)  # noqa: N806
    shape = tuple(A.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions (got shape "
                           f"{shape}).")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")
    _check_dtype(op, A)
    n = shape[-1]
    data = A._data
    flat = reshape(data, (math.prod(shape[:-2]), n, n))
    ld, piv, info = _sytf2(flat)
    ld = reshape(ld, shape)
    piv, info = reshape(piv, shape[:-1]), reshape(info, shape[:-2])
    if A.requires_grad:
        ld_t = _NoDerivative.apply(A, value=ld, op="linalg_ldl_factor_ex")
    else:
        ld_t = Tensor._make(ld)
    return ld_t, Tensor._make(piv), Tensor._make(info)


def _check_dtype(op: str, t) -> None:
    dtype = numpy_dtype(t.dtype)
    if dtype.kind not in "fc":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{t.dtype}")
    if dtype not in (xp.dtype(xp.float32), xp.dtype(xp.float64)):
        raise NotImplementedError(f"{op}: implemented for float32 and float64 tensors, got "
                                  f"{dtype} (a tensor of shape {tuple(t.shape)})")


def _raise_if_singular(op: str, info) -> None:
    """PyTorch 2.13 fails an internal assert here ("Unknown error code"); chainrule names the
    first batch element whose D is exactly singular."""
    info = to_numpy(info).reshape(-1)
    bad = xp.flatnonzero(info)
    if bad.size:
        i = int(info[bad[0]])
        where = f" (batch element {int(bad[0])})" if info.size > 1 else ""
        raise LinAlgError(f"{op}: the factorization was completed, but D[{i - 1}, {i - 1}] is "
                          f"exactly zero{where}: the matrix is singular, and solving with "
                          "these factors would divide by zero")


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False,  # noqa: N803
                  out=None):
    """``torch.linalg.ldl_factor_ex``: ``(LD, pivots, info)`` of the symmetric A (…, n, n)
    (its lower triangle read; ``hermitian`` has no effect on real matrices). ``info`` (int32,
    (…)) is 0, or k where D[k − 1, k − 1] (1-based k) is exactly zero; ``check_errors=True``
    raises then (PyTorch 2.13 fails an internal assert there instead)."""
    op = "torch.linalg.ldl_factor_ex"
    no_out("linalg.ldl_factor_ex", out)
    ld, piv, info = _factor(op, A, hermitian)
    if check_errors:
        _raise_if_singular(op, info._data)
    return linalg_ldl_factor_ex(ld, piv, info)


def ldl_factor(A, *, hermitian: bool = False, out=None):  # noqa: N803
    """``torch.linalg.ldl_factor``: ``(LD, pivots)`` of A = L D Lᵀ with Bunch–Kaufman pivoting
    (LAPACK's sytrf, lower; see the module docstring for the format). Raises
    ``chainrule.linalg.LinAlgError`` where D is exactly singular (PyTorch 2.13 fails an internal
    assert there)."""
    op = "torch.linalg.ldl_factor"
    no_out("linalg.ldl_factor", out)
    ld, piv, info = _factor(op, A, hermitian)
    _raise_if_singular(op, info._data)
    return linalg_ldl_factor(ld, piv)


def ldl_solve(LD, pivots, B, *, hermitian: bool = False, out=None):  # noqa: N803
    """``torch.linalg.ldl_solve``: X with A X = B for A given by ``ldl_factor``'s ``(LD,
    pivots)``; LD (…, n, n), pivots (…, n) of an integer dtype, B (…, n, k), the batch axes of
    LD and B broadcast. Not differentiable (as in PyTorch)."""
    op = "torch.linalg.ldl_solve"
    no_out("linalg.ldl_solve", out)
    LD, pivots, B = as_tensor(LD), as_tensor(pivots), as_tensor(B)  # noqa: N806
    shape, b_shape = tuple(LD.shape), tuple(B.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions (got LD of "
                           f"shape {shape}).")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")
    _check_dtype(op, LD)
    if numpy_dtype(pivots.dtype).kind not in "iu":
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got {pivots.dtype}")
    if tuple(pivots.shape) != shape[:-1]:
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead (LD of shape "
                           f"{shape})")
    if len(b_shape) < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions (got B of "
                           f"shape {b_shape}).")
    n = shape[-1]
    if b_shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} "
                           f"but each b matrix is {b_shape[-2]} by {b_shape[-1]}")
    if numpy_dtype(B.dtype) != numpy_dtype(LD.dtype):
        raise RuntimeError(f"{op}: Expected b and A to have the same dtype, but found b of type "
                           f"{B.dtype} and A of type {LD.dtype} instead.")
    values = to_numpy(pivots._data)
    if values.size and int(xp.abs(values).min()) < 1:
        raise RuntimeError("Pivots given to ldl_solve must all satisfy |pivot| >= 1. Did you "
                           "properly pass the result of ldl_factor?")
    if values.size and int(xp.abs(values).max()) > n:
        raise RuntimeError(f"Pivots given to ldl_solve must all satisfy |pivot| <= LD.size(-2) "
                           f"= {n}. Did you properly pass the result of ldl_factor?")
    try:
        batch = tuple(xp.broadcast_shapes(shape[:-2], b_shape[:-2]))
    except ValueError:
        raise RuntimeError(f"{op}: the batch dimensions of LD {shape} and B {b_shape} cannot "
                           "be broadcast") from None
    ns = array_namespace(LD._data, B._data)
    size = math.prod(batch)
    ld = reshape(ns.broadcast_to(LD._data, batch + (n, n)), (size, n, n))
    piv = reshape(ns.broadcast_to(asarray_like(pivots._data, LD._data), batch + (n,)), (size, n))
    b = reshape(ns.broadcast_to(B._data, batch + b_shape[-2:]), (size,) + b_shape[-2:])
    x = reshape(_sytrs(ld, piv, b), batch + b_shape[-2:])
    if LD.requires_grad or B.requires_grad:
        return _NoDerivative.apply(LD, B, value=x, op="linalg_ldl_solve")
    return Tensor._make(x)


__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]
