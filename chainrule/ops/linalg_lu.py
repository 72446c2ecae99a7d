"""The LU family: ``torch.linalg.lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve``, and
``torch.lu_unpack`` with the older ``torch.lu`` / ``torch.lu_solve`` (and ``Tensor.lu``,
``Tensor.lu_solve``).

A (…, m, n) is factored as A = P L U with partial pivoting (LAPACK's getrf): P a permutation,
L (m × k, k = min(m, n)) unit lower triangular, U (k × n) upper triangular. As in LAPACK and
PyTorch the factors are returned packed in one matrix LU (L below the diagonal, U on and above
it) with ``pivots`` (int32, 1-based): at step i, row i was swapped with row ``pivots[i]``.

Two primitives:

- ``linalg_lu_factor``: A ↦ LU. The elimination is written with whole-array operations over the
  batch (a Python loop over the k columns only), so it runs on any array API library. Backward
  (PyTorch's ``linalg_lu_backward``; derivation in :class:`LuFactor`), square case:
  ∂L/∂A = P L⁻ᵀ (tril₋₁(Lᵀ Ḡ_L) + triu(Ḡ_U Uᵀ)) U⁻ᵀ, with the tall/wide variants.
- ``linalg_lu_solve``: (LU, B) ↦ X = A⁻¹ B (or A⁻ᵀ B), by forward and back substitution.
  Backward: ∂L/∂B = A⁻ᵀ Ḡ (the adjoint solve, with the same factors); ∂L/∂A = −∂L/∂B Xᵀ,
  carried to the factors: ∂L/∂LU = tril₋₁(Pᵀ Ḡ_A Uᵀ) + triu(Lᵀ Pᵀ Ḡ_A).

``linalg.lu`` and ``lu_unpack`` are composites: L and U are cut out of LU with tril/triu (whose
gradients are the restrictions to the triangles), P is a constant built from the pivots.

A primitive returns one array, so ``linalg_lu_factor`` returns (…, m + 1, n): LU in rows 0…m−1
and the pivots (as floats, exact integers) in the first k entries of row m, as ``eigh`` packs its
two results; :func:`lu_factor_ex` slices them apart. ``info`` (LAPACK's: k + 1 where U[k, k] is
the first exactly zero pivot) is read from U's diagonal: a row is never changed after its step.

``pivot=False`` computes the LU without pivoting (A = L U; pivots 1…k), as PyTorch does on CUDA
(PyTorch's CPU build raises there). It divides by a zero pivot (inf/NaN in the factors), as
the unpivoted LAPACK-like kernels do; with ``pivot=True`` a zero pivot column is left as it is
(LAPACK's getrf) and only ``info`` reports it.
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    asarray_like,
    astype,
    copy,
    errstate,
    matrix_transpose,
    namespace,
    numpy_dtype,
    reshape,
    to_numpy,
    xp,
)
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import LinAlgError, _eye, _mT, as_tensor
from .linalg_eigen import tril
from .movement import getitem


def triu(x, k: int = 0):
    """The upper triangle from diagonal k on, of arrays (``k=``) or Tensors (``diagonal``)."""
    if isinstance(x, Tensor):
        return namespace(x).triu(x, k)
    return namespace(x).triu(x, k=k)


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _concat(parts, axis: int):
    return namespace(parts[0]).concat(parts, axis=axis)


# ------------------------------------------------------------------------------ permutations
def _permutation(pivots, m: int):
    """The row order of LAPACK's swaps: perm (…, m) with (Pᵀ A)[i] = A[perm[i]], from 1-based
    ``pivots`` (…, k) (row i swapped with row pivots[i] at step i, i = 0…k−1)."""
    ns = array_namespace(pivots)
    index = ns.arange(m)
    piv = astype(pivots, xp.int64) - 1
    perm = ns.broadcast_to(index, tuple(pivots.shape[:-1]) + (m,))
    for i in range(pivots.shape[-1]):
        p = piv[..., i:i + 1]
        here, there = perm[..., i:i + 1], ns.take_along_axis(perm, p, axis=-1)
        perm = ns.where(index == i, there, ns.where(index == p, here, perm))
    return perm


def _rows(x, order):
    """x[..., order[..., i], :] for each i: the rows of x (…, r, c) in the order (…, r), batch
    axes broadcast (Pᵀ x for order = perm; P x for its inverse)."""
    batch = tuple(xp.broadcast_shapes(tuple(x.shape[:-2]), tuple(order.shape[:-1])))
    shape = batch + tuple(x.shape[-2:])
    ns = array_namespace(order)
    index = ns.broadcast_to(ns.expand_dims(order, axis=-1), shape)
    if isinstance(x, Tensor):
        ops = namespace(x)
        return ops.gather(x if tuple(x.shape) == shape else ops.broadcast_to(x, shape), -2, index)
    ns = array_namespace(x, order)
    return ns.take_along_axis(ns.broadcast_to(x, shape), index, axis=-2)


def _inverse(perm):
    return array_namespace(perm).argsort(perm, axis=-1)


# ------------------------------------------------------------------------------ substitution
def _substitute(t, b, lower: bool, unit: bool):
    """X with T X = B for the lower (or upper) triangle of T (…, n, n), its diagonal taken as 1
    with ``unit``; B (…, n, c), batch axes broadcast. Column by column (forward or back
    substitution) on the whole batch, with slice assignments; a zero on the diagonal gives
    inf/NaN, as LAPACK's trsm."""
    ns = array_namespace(t, b)
    n = t.shape[-1]
    batch = tuple(xp.broadcast_shapes(tuple(t.shape[:-2]), tuple(b.shape[:-2])))
    x = copy(ns.broadcast_to(b, batch + tuple(b.shape[-2:])))
    with errstate(ns, divide="ignore", invalid="ignore"):
        for j in (range(n) if lower else range(n - 1, -1, -1)):
            if not unit:
                x[..., j:j + 1, :] = x[..., j:j + 1, :] / t[..., j:j + 1, j:j + 1]
            rest = slice(j + 1, n) if lower else slice(0, j)
            x[..., rest, :] -= t[..., rest, j:j + 1] * x[..., j:j + 1, :]
    return x


def _solve_triangular(t, b, upper: bool, unit: bool = False):
    """T⁻¹ B for the upper/lower triangle of T: substitution on arrays; on Tensors (a
    differentiable backward) ``linalg.solve_triangular``."""
    if isinstance(t, Tensor) or isinstance(b, Tensor):
        from .linalg_extra import solve_triangular

        return solve_triangular(t, b, upper=upper, unitriangular=unit)
    return _substitute(t, b, lower=not upper, unit=unit)


# ------------------------------------------------------------------------------ the factorization
def _getrf(a, pivot: bool = True):
    """(…, m + 1, n): LU of ``a`` in rows 0…m−1, the 1-based pivots (as floats) in the first k
    entries of row m. Right-looking elimination, one column per step on the whole batch: the
    row swap and the rank-1 update of the trailing block are slice assignments (the array API
    standard's ``__setitem__``), so step j costs O((m − j) n) for the whole batch."""
    ns = array_namespace(a)
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    dtype = numpy_dtype(a.dtype)
    if pivot:
        piv = ns.zeros(batch + (n,), dtype=a.dtype)
    else:
        piv = ns.concat([astype(ns.broadcast_to(ns.arange(1, k + 1), batch + (k,)), dtype),
                         ns.zeros(batch + (n - k,), dtype=a.dtype)], axis=-1)
    packed = ns.concat([a, ns.expand_dims(piv, axis=-2)], axis=-2)       # a fresh array
    with errstate(ns, divide="ignore", invalid="ignore"):
        for j in range(k):
            if pivot:   # the first row of largest |entry| in column j, among rows j…m−1
                rest = packed[..., j:m, :]
                q = ns.argmax(ns.abs(rest[..., :, j]), axis=-1, keepdims=True)      # (…, 1)
                q_row = ns.expand_dims(q, axis=-1)                                # (…, 1, 1)
                chosen = ns.take_along_axis(rest, ns.broadcast_to(q_row, batch + (1, n)),
                                            axis=-2)
                index = ns.reshape(ns.arange(m - j), (m - j, 1))
                packed[..., j:m, :] = ns.where(index == 0, chosen,
                                               ns.where(index == q_row, rest[..., :1, :], rest))
                packed[..., m, j:j + 1] = astype(q + (j + 1), dtype)
            d = packed[..., j:j + 1, j:j + 1]
            column = packed[..., j + 1:m, j:j + 1]
            if pivot:   # LAPACK leaves a zero pivot's column (zero below it) as it is
                column = ns.where(d != 0, column / ns.where(d != 0, d, 1.0), column)
            else:
                column = column / d
            packed[..., j + 1:m, j:j + 1] = column
            packed[..., j + 1:m, j + 1:] -= column * packed[..., j:j + 1, j + 1:]
    return packed


def _getrf_reference(a, pivot: bool = True):
    """The textbook algorithm, one matrix at a time (NumPy): the test suite's reference."""
    a = xp.array(a, copy=True)
    m, n = a.shape[-2:]
    k = min(m, n)
    flat = a.reshape((-1, m, n))
    packed = xp.zeros((flat.shape[0], m + 1, n), dtype=a.dtype)
    for b, lu in enumerate(flat):
        for j in range(k):
            p = j + int(xp.argmax(xp.abs(lu[j:, j]))) if pivot else j
            lu[[j, p]] = lu[[p, j]]
            packed[b, m, j] = p + 1
            if lu[j, j] != 0 or not pivot:
                lu[j + 1:, j] = lu[j + 1:, j] / lu[j, j]
            lu[j + 1:, j + 1:] -= xp.outer(lu[j + 1:, j], lu[j, j + 1:])
        packed[b, :m] = lu
    return packed.reshape(a.shape[:-2] + (m + 1, n))


def _pivots_of(packed, m: int):
    """The int32 pivots (…, k) stored in row m of the packed factorization."""
    k = min(m, packed.shape[-1])
    return astype(packed[..., m, :k], xp.int32)


def _lu_backward(lu, g, perm):
    """∂L/∂A from ∂L/∂LU = g for A = P L U packed in ``lu`` (…, m, n), Pᵀ A = A[perm]
    (see :class:`LuFactor`). Arrays, or Tensors for a differentiable backward."""
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    if k == 0:
        return g * 0
    lu1, g1 = lu[..., :k, :k], g[..., :k, :k]
    l1 = tril(lu1, -1) + _eye(k, lu)
    u1 = triu(lu1)
    inner_l = _mT(l1) @ tril(g1, -1)          # Lᵀ Ḡ_L
    inner_u = triu(g1) @ _mT(u1)              # Ḡ_U Uᵀ
    if m > n:                                 # tall: L = [L₁; L₂]
        l2, gl2 = lu[..., k:, :], g[..., k:, :]
        inner_u = inner_u - _mT(l2) @ gl2
    if m < n:                                 # wide: U = [U₁ U₂]
        u2, gu2 = lu[..., :, k:], g[..., :, k:]
        inner_l = inner_l - gu2 @ _mT(u2)
    phi = tril(inner_l, -1) + triu(inner_u)
    if m >= n:                                # [L₁⁻ᵀ Φ; Ḡ_L₂] U⁻ᵀ
        top = _solve_triangular(_mT(l1), phi, upper=True, unit=True)
        if m > n:
            top = _concat([top, gl2], axis=-2)
        grad = _mT(_solve_triangular(u1, _mT(top), upper=True))
    else:                                     # L⁻ᵀ [Φ U₁⁻ᵀ, Ḡ_U₂]
        left = _mT(_solve_triangular(u1, _mT(phi), upper=True))
        grad = _solve_triangular(_mT(l1), _concat([left, gu2], axis=-1), upper=True, unit=True)
    return _rows(grad, _inverse(perm))        # P (…)


@primitive
class LuFactor(Function):
    """LU factorization with partial pivoting of a stack of m × n matrices (``torch.linalg.
    lu_factor``), packed: LU in rows 0…m−1, the pivots in row m (see the module docstring).

    Forward:     A = P L U;  LU = L − I + U (L unit lower m×k, U upper k×n, k = min(m, n))
    Derivative:  X = L⁻¹ Pᵀ dA U⁻¹ (square):  dL = L tril₋₁(X),  dU = triu(X) U
    VJP:         ∂L/∂A = P L⁻ᵀ Φ U⁻ᵀ,  Φ = tril₋₁(Lᵀ Ḡ_L) + triu(Ḡ_U Uᵀ),  Ḡ_L = tril₋₁(Ḡ),
                 Ḡ_U = triu(Ḡ). Tall (L = [L₁; L₂]): Φ gains −triu(L₂ᵀ Ḡ_L₂) and
                 ∂L/∂A = P [L₁⁻ᵀ Φ; Ḡ_L₂] U⁻ᵀ. Wide (U = [U₁ U₂]): Φ gains −tril₋₁(Ḡ_U₂ U₂ᵀ) and
                 ∂L/∂A = P L⁻ᵀ [Φ U₁⁻ᵀ, Ḡ_U₂]. (PyTorch's linalg_lu_backward.)
    Numerics:    Gaussian elimination, the pivot the first row of largest |entry| (LAPACK's
                 idamax); whole-array row operations over the batch, a loop over the k columns.
                 The gradient exists where the leading k × k block of Pᵀ A is invertible (U₁
                 invertible); at a singular A it is not finite, as in PyTorch. P is piecewise
                 constant: the derivative is taken with the pivots fixed.
    """

    name = "linalg_lu_factor"
    array_api = True
    text = ("A = P L U,  LU = L − I + U",
            "∂L/∂A = P L⁻ᵀ (tril₋₁(Lᵀ Ḡ_L) + triu(Ḡ_U Uᵀ)) U⁻ᵀ")
    latex = (r"A = P L U,\quad \mathrm{LU} = L - I + U",
             r"\frac{\partial L}{\partial A} = P\,L^{-\top}\bigl(\operatorname{tril}_{-1}"
             r"(L^{\top}\bar G_L) + \operatorname{triu}(\bar G_U U^{\top})\bigr)U^{-\top}")
    explanation = ("Differentiating Pᵀ A = L U gives L⁻¹ Pᵀ dA U⁻¹ = L⁻¹ dL + dU U⁻¹, a strictly "
                   "lower plus an upper triangular matrix; splitting it into the two triangles "
                   "and taking the adjoint gives the rule.")
    domain = "real"
    reference = staticmethod(_getrf_reference)

    @staticmethod
    def forward(ctx, a, pivot: bool = True):
        packed = _getrf(a, pivot)
        ctx.save(packed)
        return packed

    @staticmethod
    def vjp(ctx, g):
        (packed,) = ctx.saved
        m = packed.shape[-2] - 1
        perm = _permutation(_pivots_of(_raw(packed), m), m)
        return _lu_backward(packed[..., :m, :], g[..., :m, :], perm)


# ------------------------------------------------------------------------------ the solve
def _lu_solve_arrays(lu, pivots, b, adjoint: bool):
    """A⁻¹ B (or A⁻ᵀ B with ``adjoint``) for A = P L U packed in ``lu`` with ``pivots``."""
    perm = _permutation(pivots, lu.shape[-1])
    if not adjoint:                     # U⁻¹ L⁻¹ Pᵀ B
        y = _substitute(lu, _rows(b, perm), lower=True, unit=True)
        return _substitute(lu, y, lower=False, unit=False)
    lu_t = matrix_transpose(lu)         # P L⁻ᵀ U⁻ᵀ B
    y = _substitute(lu_t, b, lower=True, unit=False)
    return _rows(_substitute(lu_t, y, lower=False, unit=True), _inverse(perm))


@primitive
class LuSolve(Function):
    """Solution X of A X = B (or Aᵀ X = B with ``adjoint``) from the LU factorization of A
    (``torch.linalg.lu_solve`` with left=True; left=False is the transposed problem).

    Forward:     X = A⁻¹ B = U⁻¹ L⁻¹ Pᵀ B   (adjoint: X = A⁻ᵀ B = P L⁻ᵀ U⁻ᵀ B); batch axes broadcast
    Derivative:  dX = −A⁻¹ dA X,  dA = P (dL U + L dU)   (adjoint: dX = −A⁻ᵀ dAᵀ X)
    VJP:         ∂L/∂B = A⁻ᵀ Ḡ (adjoint: A⁻¹ Ḡ);  Ḡ_A = −∂L/∂B Xᵀ (adjoint: −X ∂L/∂Bᵀ);
                 ∂L/∂LU = tril₋₁(Pᵀ Ḡ_A Uᵀ) + triu(Lᵀ Pᵀ Ḡ_A);  the pivots get none
    Numerics:    forward and back substitution, column by column on the whole batch; a zero on
                 U's diagonal gives inf/NaN (LAPACK's getrs does not check either). The
                 backward's solve reuses the factors (the adjoint problem).
    """

    name = "linalg_lu_solve"
    array_api = True
    text = ("X = A⁻¹ B,  A = P L U",
            "∂L/∂B = A⁻ᵀ Ḡ,  ∂L/∂LU = tril₋₁(Pᵀ Ḡ_A Uᵀ) + triu(Lᵀ Pᵀ Ḡ_A),  Ḡ_A = −A⁻ᵀ Ḡ Xᵀ")
    latex = (r"X = A^{-1} B,\quad A = P L U",
             r"\frac{\partial L}{\partial B} = A^{-\top}\bar G,\quad "
             r"\frac{\partial L}{\partial \mathrm{LU}} = \operatorname{tril}_{-1}(P^{\top}"
             r"\bar G_A U^{\top}) + \operatorname{triu}(L^{\top} P^{\top} \bar G_A),\quad "
             r"\bar G_A = -A^{-\top}\bar G X^{\top}")
    explanation = ("The adjoint of applying A⁻¹ is applying A⁻ᵀ, which the same factors give; "
                   "the gradient for A is −(∂L/∂B) Xᵀ, carried to L and U through A = P L U and "
                   "restricted to the triangle each is stored in.")
    domain = "real"
    reference = staticmethod(lambda lu, pivots, b, adjoint=False: _lu_solve_reference(
        lu, pivots, b, adjoint))

    @staticmethod
    def forward(ctx, lu, pivots, b, adjoint: bool = False):
        x = _lu_solve_arrays(lu, pivots, b, adjoint)
        ctx.adjoint = adjoint
        ctx.save(lu, pivots, x)
        return x

    @staticmethod
    def vjp(ctx, g):
        lu, pivots, x = ctx.saved
        need_lu, _, need_b = ctx.needs_input_grad
        if isinstance(g, Tensor) or isinstance(lu, Tensor):
            gb = LuSolve.apply(lu, pivots, g, adjoint=not ctx.adjoint)
        else:
            gb = _lu_solve_arrays(lu, pivots, g, not ctx.adjoint)
        glu = None
        if need_lu:
            ga = -(x @ _mT(gb)) if ctx.adjoint else -(gb @ _mT(x))
            n = lu.shape[-1]
            gr = _rows(ga, _permutation(_raw(pivots), n))          # Pᵀ Ḡ_A
            unit_l = tril(lu, -1) + _eye(n, lu)
            glu = tril(gr @ _mT(triu(lu)), -1) + triu(_mT(unit_l) @ gr)
        return glu, None, (gb if need_b else None)


def _lu_solve_reference(lu, pivots, b, adjoint=False):
    """NumPy: A = P L U rebuilt from the factors, then ``numpy.linalg.solve``."""
    lu, pivots = xp.asarray(lu), xp.asarray(pivots)
    n = lu.shape[-1]
    perm = to_numpy(_permutation(pivots, n))
    p = (perm[..., None, :] == xp.arange(n)[:, None]).astype(lu.dtype)
    a = p @ ((xp.tril(lu, -1) + xp.eye(n, dtype=lu.dtype)) @ xp.triu(lu))
    return xp.linalg.solve(xp.swapaxes(a, -1, -2) if adjoint else a, b)


# ------------------------------------------------------------------------------ checks
def _check_factor_input(op: str, A) -> tuple:  # noqa: N803
    shape = tuple(A.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(shape)} instead")
    dtype = numpy_dtype(A.dtype)
    if dtype not in (xp.dtype(xp.float32), xp.dtype(xp.float64)):
        raise NotImplementedError(f"{op}: the LU factorization is implemented for float32 and "
                                  f"float64 tensors, got {dtype} (input of shape {shape})")
    return shape


def _raise_if_singular(op: str, info, batched: bool) -> None:
    """PyTorch's error for a zero pivot: names the first batch element and U's entry."""
    info = to_numpy(info).reshape(-1)
    bad = xp.flatnonzero(info)
    if not bad.size:
        return
    where = f"(Batch element {int(bad[0])}): " if batched else ""
    i = int(info[bad[0]])
    raise LinAlgError(f"{op}: {where}U[{i},{i}] is zero and using it on lu_solve would result "
                      "in a division by zero. If you still want to perform the factorization, "
                      "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def _info(lu):
    """LAPACK's info: i + 1 for the first exactly zero U[i, i], else 0 (int32, shape (…))."""
    ns = array_namespace(lu)
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    batch = tuple(lu.shape[:-2])
    if k == 0:
        return ns.zeros(batch, dtype=ns.int32)
    square = lu[..., :k, :k]
    eye = asarray_like(xp.eye(k, dtype=bool), square)
    zero = ns.any(eye & (square == 0), axis=-2)               # U[i, i] == 0, shape (…, k)
    first = ns.argmax(astype(zero, xp.int32), axis=-1)
    return astype(ns.where(ns.any(zero, axis=-1), first + 1, 0), xp.int32)


def _factor(op: str, A, pivot: bool):  # noqa: N803
    """(LU, pivots, info) as Tensors; LU differentiable."""
    A = as_tensor(A)
    m = _check_factor_input(op, A)[-2]
    packed = LuFactor.apply(A, pivot=bool(pivot))
    lu = getitem(packed, (Ellipsis, slice(0, m), slice(None)))
    return lu, Tensor._make(_pivots_of(packed._data, m)), Tensor._make(_info(lu._data))


# ------------------------------------------------------------------------------ torch.linalg
linalg_lu_factor = return_types.linalg_lu_factor
linalg_lu_factor_ex = return_types.linalg_lu_factor_ex
linalg_lu = return_types.linalg_lu
lu_unpack_type = return_types.lu_unpack


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False,  # noqa: N803
                 out=None):
    """``torch.linalg.lu_factor_ex``: ``(LU, pivots, info)`` of A (*, m, n). ``pivots`` (int32,
    (*, k)) are 1-based; ``info`` (int32, (*)) is 0, or i where U[i, i] (1-based) is exactly zero.
    ``check_errors=True`` raises for a nonzero info, as :func:`lu_factor`."""
    no_out("linalg.lu_factor_ex", out)
    lu, pivots, info = _factor("torch.linalg.lu_factor_ex", A, pivot)
    if check_errors:
        _raise_if_singular("torch.linalg.lu_factor_ex", info._data, lu.ndim > 2)
    return linalg_lu_factor_ex(lu, pivots, info)


def lu_factor(A, *, pivot: bool = True, out=None):  # noqa: N803
    """``torch.linalg.lu_factor``: ``(LU, pivots)`` with A = P L U packed in LU (L strictly below
    the diagonal, U on and above), ``pivots`` int32 and 1-based. Raises
    ``chainrule.linalg.LinAlgError`` where a pivot is exactly zero (A singular)."""
    no_out("linalg.lu_factor", out)
    if hasattr(A, "_level"):         # a batched tensor inside chainrule.func.vmap
        from ..func.rules_linalg import on_leading_batch

        return on_leading_batch(lu_factor, A, pivot=pivot)
    lu, pivots, info = _factor("torch.linalg.lu_factor", A, pivot)
    _raise_if_singular("torch.linalg.lu_factor", info._data, lu.ndim > 2)
    return linalg_lu_factor(lu, pivots)


def lu(A, *, pivot: bool = True, out=None):  # noqa: N803
    """``torch.linalg.lu``: ``(P, L, U)`` with A = P L U; P (*, m, m) a permutation matrix, L
    (*, m, k) unit lower triangular, U (*, k, n) upper triangular. ``pivot=False``: A = L U and
    P is empty (PyTorch on CUDA). Differentiable in L and U; no error for a singular A."""
    no_out("linalg.lu", out)
    lu_data, pivots, _ = _factor("linalg.lu", A, pivot)
    p, low, up = lu_unpack(lu_data, pivots, unpack_pivots=bool(pivot))
    return linalg_lu(p, low, up)


def _empty(like):
    return Tensor._make(asarray_like(xp.zeros((0,), dtype=numpy_dtype(like.dtype)), like._data))


def _check_pivots(op: str, pivots, m: int) -> None:
    data = to_numpy(pivots._data)
    if data.size and (data.min() < 1 or data.max() > m):
        raise RuntimeError(f"{op}: pivots must be between 1 and LU.size(-2) = {m} inclusive, got "
                           f"values from {int(data.min())} to {int(data.max())}. Did you "
                           "properly pass the result of lu_factor?")


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True, *, out=None):
    """``torch.lu_unpack``: ``(P, L, U)`` from ``lu_factor``'s ``(LU, pivots)``; P (*, m, m),
    L (*, m, k), U (*, k, n). ``unpack_data=False`` leaves L and U empty, ``unpack_pivots=False``
    P. L and U are differentiable in LU (their triangles)."""
    no_out("lu_unpack", out)
    LU = as_tensor(LU_data)
    shape = tuple(LU.shape)
    if len(shape) < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(shape)} instead")
    m, n = shape[-2:]
    k = min(m, n)
    dtype = numpy_dtype(LU.dtype)
    p = _empty(LU)
    if unpack_pivots:
        pivots = as_tensor(LU_pivots)
        if numpy_dtype(pivots.dtype) != xp.dtype(xp.int32):
            raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                               f"of torch.int32 dtype, got {pivots.dtype}.\nNote: this function "
                               "is intended to be used with the output produced by "
                               "torch.linalg.lu_factor")
        pshape = tuple(pivots.shape)
        batch = pshape[:-1]
        while len(batch) > len(shape) - 2 and batch[0] == 1:     # P has LU's batch shape
            batch = batch[1:]
        if not pshape or pshape[-1] < k or batch != shape[:-2]:
            # (PyTorch reads pivots of another batch shape without checking, and permutes only
            # some of the matrices: not a behaviour to copy)
            raise RuntimeError(f"torch.lu_unpack: expected LU_pivots of shape {shape[:-2] + (k,)} "
                               f"for LU of shape {shape} (k = min(m, n) = {k}), got {pshape}")
        pivots = Tensor._make(reshape(pivots._data[..., :k], batch + (k,)))
        _check_pivots("torch.lu_unpack", pivots, m)
        ns = array_namespace(LU._data)
        perm = _permutation(pivots._data, m)
        ns_p = array_namespace(perm)
        matrix = astype(ns_p.expand_dims(perm, axis=-2) == ns_p.reshape(ns_p.arange(m), (m, 1)),
                        dtype)
        p = Tensor._make(copy(ns.broadcast_to(matrix, shape[:-2] + (m, m))))
    if not unpack_data:
        return lu_unpack_type(p, _empty(LU), _empty(LU))
    eye = Tensor._make(asarray_like(xp.eye(m, k, dtype=dtype), LU._data))
    low = tril(getitem(LU, (Ellipsis, slice(None), slice(0, k))), -1) + eye
    up = triu(getitem(LU, (Ellipsis, slice(0, k), slice(None))))
    return lu_unpack_type(p, low, up)


@autocast_op("lu_solve")
def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False,  # noqa: N803
             out=None):
    """``torch.linalg.lu_solve``: X with A X = B (``left=False``: X A = B; ``adjoint=True``: Aᵀ
    in place of A), A given by ``lu_factor``'s ``(LU, pivots)``. LU (*, n, n), pivots (*, n) int32,
    B (*, n, k) (left) or (*, k, n); the batch axes of LU and B broadcast."""
    no_out("linalg.lu_solve", out)
    LU, pivots, B = as_tensor(LU), as_tensor(pivots), as_tensor(B)
    shape, b_shape = tuple(LU.shape), tuple(B.shape)
    if len(shape) < 2:
        raise RuntimeError(f"torch.linalg.lu_solve: The input tensor A must have at least 2 "
                           f"dimensions (got LU of shape {shape}).")
    if numpy_dtype(LU.dtype).kind != "f":
        raise RuntimeError(f"torch.linalg.lu_solve: Expected a floating point or complex tensor "
                           f"as input. Got {LU.dtype}")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but they "
                           f"are {shape[-2]} by {shape[-1]} matrices")
    if len(b_shape) < 2:
        raise RuntimeError(f"linalg.lu_solve: The input tensor B must have at least 2 dimensions "
                           f"(got B of shape {b_shape}).")
    n = shape[-1]
    if (b_shape[-2] if left else b_shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{b_shape[-2]}x{b_shape[-1]})")
    if numpy_dtype(B.dtype) != numpy_dtype(LU.dtype):
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {LU.dtype} and B of type {B.dtype} instead")
    if numpy_dtype(pivots.dtype) != xp.dtype(xp.int32):
        raise RuntimeError(f"linalg.lu_solve: pivots should be a Tensor of scalar type "
                           f"torch.int32, got {pivots.dtype}")
    if tuple(pivots.shape) != shape[:-1]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got pivots with shape {tuple(pivots.shape)} instead (LU "
                           f"of shape {shape})")
    try:
        xp.broadcast_shapes(shape[:-2], b_shape[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.lu_solve: the batch dimensions of LU {shape} and B {b_shape} "
                           "cannot be broadcast") from None
    _check_pivots("linalg.lu_solve", pivots, n)
    if left:
        return LuSolve.apply(LU, pivots, B, adjoint=bool(adjoint))
    # X A = B  ⇔  Aᵀ Xᵀ = Bᵀ  (and X Aᵀ = B  ⇔  A Xᵀ = Bᵀ)
    return _mT(LuSolve.apply(LU, pivots, _mT(B), adjoint=not adjoint))


# ------------------------------------------------------------------------------ torch.lu & co.
def lu_deprecated(A, pivot: bool = True, get_infos: bool = False, *, out=None):  # noqa: N803
    """``torch.lu`` / ``Tensor.lu`` (deprecated in PyTorch for ``linalg.lu_factor``): the tuple
    ``(LU, pivots)``, or ``(LU, pivots, info)`` as ``torch.return_types._lu_with_info`` with
    ``get_infos=True``. Never raises for a singular A (PyTorch's ``_lu_with_info`` neither)."""
    no_out("lu", out)
    lu_data, pivots, info = _factor("torch.lu_factor", A, pivot)
    if get_infos:
        return return_types._lu_with_info(lu_data, pivots, info)
    return lu_data, pivots


def lu_method(self, pivot: bool = True, get_infos: bool = False):
    """``Tensor.lu``: as :func:`lu_deprecated`, but (as in PyTorch) a plain tuple
    ``(LU, pivots, info)`` with ``get_infos=True``."""
    return tuple(lu_deprecated(self, pivot, get_infos))


def lu_solve_deprecated(input, LU_data, LU_pivots, *, out=None):  # noqa: A002, N803
    """``torch.lu_solve(b, LU_data, LU_pivots)`` / ``b.lu_solve(LU_data, LU_pivots)``:
    ``linalg.lu_solve(LU_data, LU_pivots, b)``."""
    no_out("lu_solve", out)
    return lu_solve(LU_data, LU_pivots, input)


TOP_LEVEL = {"lu": lu_deprecated, "lu_unpack": lu_unpack, "lu_solve": lu_solve_deprecated}
"""The top-level names (``torch.<name>``) defined here."""

TENSOR_METHODS = {"lu": lu_method, "lu_solve": lu_solve_deprecated}
"""The ``Tensor.<name>`` methods (PyTorch has no ``Tensor.lu_unpack``)."""

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "lu_unpack"]
