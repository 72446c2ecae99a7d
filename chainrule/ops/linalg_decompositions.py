"""``torch.linalg``'s determinants, inverse and linear solve: det, slogdet, inv, inv_ex, solve.

Each is one primitive on stacks of square matrices (batched over leading axes by NumPy's LAPACK
wrappers, no Python loop over the batch). The derivative rules are the standard matrix-calculus
results (Giles 2008, "An extended collection of matrix derivative results for forward and reverse
mode algorithmic differentiation"), the ones PyTorch's autograd uses:

- det:    ∂L/∂A = g · det(A) · A⁻ᵀ          (Jacobi's formula)
- slogdet: ∂L/∂A = g · A⁻ᵀ                  (the log|det| part; the sign is piecewise constant)
- inv:    ∂L/∂A = −A⁻ᵀ G A⁻ᵀ
- solve:  X = A⁻¹B:  ∂L/∂B = A⁻ᵀ G (the adjoint solve),  ∂L/∂A = −(∂L/∂B) Xᵀ

Complex matrices (LAPACK's complex routines through NumPy) take the same rules with every
transpose a conjugate transpose ᴴ and det(A) conjugated (PyTorch's convention for complex
gradients, chainrule/autograd/complex.py): ``complex_grad = "explicit"``. On real arrays the
conjugation is skipped, so real results keep their bits.

The forwards call the array API standard's ``linalg`` extension (NumPy's LAPACK wrappers for NumPy
arrays), so the primitives run on other array libraries too (``array_api = True``).
Every rule is written with matrix products, transposes and the primitives of this file, so that
with ``create_graph=True`` the backward is itself differentiable.
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.complex import conj
from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    asarray_like,
    dtype_kind,
    matrix_transpose,
    numpy_dtype,
    to_numpy,
    xp,
)
from ..backend import reshape as _reshape
from ..tensor import Tensor
from .arithmetic import no_out
from .movement import reshape, swapaxes

linalg_slogdet = return_types._make("linalg_slogdet", ("sign", "logabsdet"))
linalg_inv_ex = return_types._make("linalg_inv_ex", ("inverse", "info"))
linalg_qr = return_types._make("linalg_qr", ("Q", "R"))


class LinAlgError(RuntimeError):
    """A matrix function failed on its input (singular, not positive-definite): PyTorch's
    ``torch.linalg.LinAlgError``, a ``RuntimeError``."""


# ------------------------------------------------------------------------------ helpers
def _mT(x):  # noqa: N802  (PyTorch's name for the transpose of the last two axes)
    if isinstance(x, Tensor):
        return swapaxes(x, -1, -2)
    return matrix_transpose(x)


def _eye(n: int, like):
    """The n×n identity in ``like``'s dtype, library and device."""
    return asarray_like(xp.eye(n, dtype=numpy_dtype(like.dtype)), like)


def _lift(x):
    """(…) → (…, 1, 1): a per-matrix value that broadcasts over its matrix."""
    return _reshape(x, tuple(x.shape) + (1, 1))


def _shape(a) -> tuple:
    return tuple(getattr(a, "shape", ()))


def as_tensor(x):
    """A Tensor as it is, anything else (a NumPy array, a list) as a new Tensor."""
    return x if isinstance(x, Tensor) else Tensor._make(xp.asarray(x))


def check_matrix(op: str, a, name: str = "A") -> tuple:
    """PyTorch's check: ``a`` is a (batch of) matrices, at least 2-d; returns its shape."""
    shape = _shape(a)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions "
                           f"(got shape {shape}).")
    return shape


def check_square(op: str, a, name: str = "A") -> None:
    """PyTorch's check: ``a`` is a (batch of) square matrices."""
    shape = check_matrix(op, a, name)
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{shape[-2]} by {shape[-1]} matrices")


def check_float(op: str, a, complex_ok: bool = False) -> None:
    """PyTorch's dtype check: a floating tensor (or complex, where ``complex_ok``: the
    functions that compute on complex matrices)."""
    dtype = getattr(a, "dtype", None)
    kinds = "fc" if complex_ok else "f"
    if dtype is None or xp.dtype(dtype).kind not in kinds:
        what = "floating point or complex" if complex_ok else "floating point"
        raise RuntimeError(f"{op}: Expected a {what} tensor as input. Got {dtype}")


def _mH(x):  # noqa: N802  (PyTorch's name for the conjugate transpose of the last two axes)
    """xᴴ: the transpose of the last two axes, conjugated where x is complex (on a real array
    or Tensor, exactly :func:`_mT`)."""
    return conj(_mT(x))


def _inverse_array(op: str, a):
    """A⁻¹ of a stack, with PyTorch's error (naming the zero pivot) for a singular one."""
    try:
        return array_namespace(a).linalg.inv(a)
    except xp.linalg.LinAlgError:
        raise LinAlgError(f"{op}: The diagonal element {_first_zero_pivot(a)} is zero, the "
                          "inversion could not be completed because the input matrix is "
                          "singular.") from None


def _first_zero_pivot(a) -> int:
    """1-based index of the first zero pivot of the first singular matrix of the stack (as
    LAPACK's getrf reports it), found through the LU's diagonal |det| of leading blocks."""
    a = to_numpy(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    for m in flat:
        if xp.linalg.det(m) == 0:
            for k in range(1, m.shape[-1] + 1):
                if xp.linalg.det(m[:k, :k]) == 0:
                    return k
    return 1


def _transposed_inverse(a):
    """A⁻ᴴ (A⁻ᵀ for real A) on arrays or (differentiably) on Tensors."""
    if isinstance(a, Tensor):
        return _mH(Inv.apply(a))
    return _mH(_inverse_array("linalg.inv", a))


# ------------------------------------------------------------------------------ det
@primitive
class Det(Function):
    """Determinant of a stack of square matrices (``torch.linalg.det``).

    Forward:     d = det A
    Derivative:  ∂d/∂A = cof(A) = det(A) · A⁻ᵀ          (Jacobi's formula)
    VJP:         ∂L/∂A = g · det(A) · A⁻ᵀ   (reuses the output d); complex A:
                 g · conj(det A) · A⁻ᴴ (holomorphic: g times the conjugated derivative)
    Numerics:    LU factorization (LAPACK getrf). The gradient is the solve Aᵀ X = (g d) I
                 by the same factorization. Where the LU finds A exactly singular (d = 0) the
                 gradient is g times the cofactor matrix computed from the SVD A = U S Vᵀ:
                 cof(A) = det(U) det(V) U diag(∏_{j≠i} s_j) Vᵀ (nonzero for rank n − 1), the
                 SVD route PyTorch documents for singular inputs. PyTorch's CPU backward gets the
                 same value wherever its own LU does not hit an exactly zero pivot; where it does
                 (e.g. [[1, 2], [2, 4]]) it returns 0 instead.
    """

    name = "linalg_det"
    array_api = True
    complex_grad = "explicit"
    text = ("d = det A", "∂L/∂A = g · det(A) · A⁻ᵀ")
    latex = (r"d = \det A", r"\frac{\partial L}{\partial A} = g\,\det(A)\,A^{-\top}")
    explanation = ("Jacobi's formula: the determinant is multilinear in the rows, so its "
                   "derivative is the cofactor matrix, det(A) times the inverse transposed.")
    domain = "real"
    reference = staticmethod(xp.linalg.det)

    @staticmethod
    def forward(ctx, a):
        d = array_namespace(a).linalg.det(a)
        ctx.save(a, d)
        return d

    @staticmethod
    def vjp(ctx, g):
        a, d = ctx.saved
        d = conj(d)
        if isinstance(g, Tensor) or isinstance(a, Tensor):
            scale = reshape(g * d, tuple(g.shape) + (1, 1))
            return scale * _transposed_inverse(a)
        ns = array_namespace(a)
        eye = _eye(a.shape[-1], a)
        rhs = _lift(g * d) * eye
        singular = _lift(d == 0)
        if not bool(ns.any(singular)):
            return ns.linalg.solve(_mH(a), rhs)
        # a zero determinant: the cofactor matrix from the SVD (see Numerics)
        regular = ns.linalg.solve(_mH(ns.where(singular, eye, a)), rhs)
        return ns.where(singular, _lift(g) * conj(_cofactor(a)), regular)


def _cofactor(a):
    """cof(A) = det(U) det(V) U diag(∏_{j≠i} s_j) Vᵀ for A = U diag(s) Vᵀ: the matrix of
    cofactors (adj(A)ᵀ), defined for singular A too (complex A = U diag(s) Vᴴ:
    cof(A) = det(U) det(Vᴴ) conj(U diag(∏_{j≠i} s_j) Vᴴ))."""
    ns = array_namespace(a)
    u, s, vh = ns.linalg.svd(a)
    eye = _eye(s.shape[-1], s)
    others = ns.where(eye > 0, eye, ns.expand_dims(s, axis=-2))   # row i: s with sᵢ → 1
    adj_s = ns.prod(others, axis=-1)                                # ∏_{j≠i} s_j
    sign = ns.linalg.det(u) * ns.linalg.det(vh)
    return _lift(sign) * conj((u * ns.expand_dims(adj_s, axis=-2)) @ vh)


def det(A):  # noqa: N803
    """``torch.linalg.det``: the determinant of each square matrix of ``A`` (shape (*, n, n))."""
    check_square("linalg.det", A)
    check_float("linalg.det", A, complex_ok=True)
    return Det.apply(A)


# ------------------------------------------------------------------------------ slogdet
@primitive
class LogAbsDet(Function):
    """log |det A| of a stack of square matrices (the ``logabsdet`` of ``torch.linalg.slogdet``).

    Forward:     l = log |det A|
    Derivative:  ∂l/∂A = A⁻ᵀ
    VJP:         ∂L/∂A = g · A⁻ᵀ   (complex A: g · A⁻ᴴ, l real)
    Numerics:    LU factorization: log|det| is the sum of the logs of the |pivots|, so it neither
                 overflows nor underflows where det itself would. At a singular A, l = −inf and
                 the gradient is not finite: PyTorch gives ±inf entries there, chainrule NaN.
    """

    name = "linalg_logabsdet"
    array_api = True
    complex_grad = "explicit"
    text = ("l = log |det A|", "∂L/∂A = g · A⁻ᵀ")
    latex = (r"l = \log\lvert\det A\rvert", r"\frac{\partial L}{\partial A} = g\,A^{-\top}")
    explanation = ("The logarithm turns Jacobi's formula det(A)·A⁻ᵀ into A⁻ᵀ: the determinant "
                   "factor cancels.")
    domain = "real"
    reference = staticmethod(lambda a: xp.linalg.slogdet(a)[1])

    @staticmethod
    def forward(ctx, a):
        ctx.save(a)
        return array_namespace(a).linalg.slogdet(a)[1]

    @staticmethod
    def vjp(ctx, g):
        (a,) = ctx.saved
        if isinstance(g, Tensor) or isinstance(a, Tensor):
            return reshape(g, tuple(g.shape) + (1, 1)) * _transposed_inverse(a)
        ns = array_namespace(a)
        singular = ns.linalg.slogdet(a)[0] == 0
        if not bool(ns.any(singular)):
            return _lift(g) * _mH(ns.linalg.inv(a))
        mask = _lift(singular)
        inv_t = _mH(ns.linalg.inv(ns.where(mask, _eye(a.shape[-1], a), a)))
        inv_t = ns.where(mask, ns.full_like(inv_t, float("nan")), inv_t)
        return _lift(g) * inv_t


def slogdet(A):  # noqa: N803
    """``torch.linalg.slogdet``: ``(sign, logabsdet)`` with det A = sign · exp(logabsdet).

    ``sign`` (±1, 0 for a singular matrix) is not differentiable; ``logabsdet`` is. A complex A
    has a complex ``sign`` (det A / |det A|, on the unit circle) and a real ``logabsdet``, both
    differentiable as in PyTorch: the sign's gradient reaches A through the phase of det A
    (computed as D/|D| with D = det(A/c), c = |det A|^(1/n), so |D| = 1 neither overflows nor
    underflows).
    """
    check_square("linalg.slogdet", A)
    check_float("linalg.slogdet", A, complex_ok=True)
    if hasattr(A, "_level"):         # a batched tensor inside chainrule.func.vmap
        from ..func.rules_linalg import on_leading_batch

        return on_leading_batch(slogdet, A)
    data = A._data if isinstance(A, Tensor) else xp.asarray(A)
    sign = array_namespace(data).linalg.slogdet(data)[0]
    if not hasattr(sign, "shape"):          # NumPy's 0-d result is a scalar
        sign = xp.asarray(sign, dtype=data.dtype)
    logabsdet = LogAbsDet.apply(A)
    if dtype_kind(data.dtype) == "c" and isinstance(A, Tensor) and A.requires_grad and data.size:
        return linalg_slogdet(_differentiable_sign(A, sign, logabsdet), logabsdet)
    return linalg_slogdet(Tensor._make(sign), logabsdet)


def _differentiable_sign(A, sign, logabsdet):  # noqa: N803
    """det A / |det A| of complex A as a function of A (see :func:`slogdet`): the singular
    matrices keep LAPACK's sign 0 (no gradient)."""
    from .elementwise import abs as _abs
    from .elementwise import where

    ns = array_namespace(sign)
    level = logabsdet._data / A.shape[-1]
    finite = ns.isfinite(level)
    scale = ns.exp(-ns.where(finite, level, ns.zeros_like(level)))
    d = Det.apply(A * Tensor._make(_lift(scale).astype(A._data.dtype)))
    unit = d / _abs(d)
    return unit if bool(ns.all(finite)) else where(finite, unit, Tensor._make(sign))


# ------------------------------------------------------------------------------ inv
@primitive
class Inv(Function):
    """Inverse of a stack of square matrices (``torch.linalg.inv``).

    Forward:     Y = A⁻¹
    Derivative:  dY = −A⁻¹ dA A⁻¹
    VJP:         ∂L/∂A = −Yᵀ G Yᵀ    (reuses the output; complex A: −Yᴴ G Yᴴ)
    Numerics:    LAPACK gesv against the identity. A singular matrix raises
                 ``chainrule.linalg.LinAlgError`` (a RuntimeError), as PyTorch.
    """

    name = "linalg_inv"
    array_api = True
    complex_grad = "explicit"
    text = ("Y = A⁻¹", "∂L/∂A = −A⁻ᵀ G A⁻ᵀ")
    latex = (r"Y = A^{-1}", r"\frac{\partial L}{\partial A} = -A^{-\top} G A^{-\top}")
    explanation = ("Differentiating A A⁻¹ = I gives dY = −Y dA Y; its adjoint multiplies G by "
                   "Yᵀ on both sides.")
    domain = "real"
    reference = staticmethod(xp.linalg.inv)

    @staticmethod
    def forward(ctx, a):
        y = _inverse_array("linalg.inv", a)
        ctx.save(y)
        return y

    @staticmethod
    def vjp(ctx, g):
        (y,) = ctx.saved
        yt = _mH(y)
        return -(yt @ g @ yt)


@autocast_op("linalg_inv")
def inv(A):  # noqa: N803
    """``torch.linalg.inv``: the inverse of each square matrix of ``A`` (shape (*, n, n)).

    Raises ``chainrule.linalg.LinAlgError`` for a singular matrix.
    """
    check_square("linalg.inv", A)
    check_float("linalg.inv", A, complex_ok=True)
    return Inv.apply(A)


@autocast_op("linalg_inv_ex")
def inv_ex(A, *, check_errors: bool = False):  # noqa: N803
    """``torch.linalg.inv_ex``: ``(inverse, info)``; ``info`` (int32, shape (*)) is 0 where the
    matrix was inverted and k > 0 where its k-th pivot is zero (the inverse there is not
    meaningful). ``check_errors=True`` raises as :func:`inv` does."""
    check_square("linalg.inv_ex", A)
    check_float("linalg.inv_ex", A, complex_ok=True)
    data = A._data if isinstance(A, Tensor) else xp.asarray(A)
    singular = xp.asarray(xp.linalg.det(data) == 0) if data.size else \
        xp.zeros(data.shape[:-2], dtype=bool)
    if not singular.any():
        return linalg_inv_ex(Inv.apply(A), Tensor._make(xp.zeros(data.shape[:-2], xp.int32)))
    if check_errors:
        _inverse_array("linalg.inv_ex", data)
    info = xp.zeros(data.shape[:-2], dtype=xp.int32)
    flat_info = info.reshape(-1)
    flat = data.reshape((-1,) + data.shape[-2:])
    for i in xp.flatnonzero(singular.reshape(-1)):     # only the singular ones: their pivots
        flat_info[i] = _first_zero_pivot(flat[i])
    # the singular matrices get a NaN "inverse": PyTorch leaves LAPACK's partial result there
    eye = xp.eye(data.shape[-1], dtype=data.dtype)
    safe = xp.where(singular[..., None, None], eye, data)
    inverse = Inv.apply(safe if not isinstance(A, Tensor) else
                        _where_tensor(singular[..., None, None], eye, A))
    mask = Tensor._make(xp.where(singular[..., None, None], xp.nan, 1.0).astype(data.dtype))
    return linalg_inv_ex(inverse * mask, Tensor._make(info))


def _where_tensor(condition, value, tensor):
    from .elementwise import where

    return where(condition, value, tensor)


# ------------------------------------------------------------------------------ solve
@primitive
class Solve(Function):
    """Solution X of A X = B for stacks of square A and matrices B (``torch.linalg.solve``).

    Forward:     X = A⁻¹ B     (batch axes broadcast)
    Derivative:  dX = A⁻¹ (dB − dA X)
    VJP:         ∂L/∂B = A⁻ᵀ G  (the adjoint solve Aᵀ Z = G),   ∂L/∂A = −(∂L/∂B) Xᵀ
                 (complex: A⁻ᴴ G and −(∂L/∂B) Xᴴ)
    Numerics:    LAPACK gesv (LU with partial pivoting); the backward solves with Aᵀ. A singular
                 A raises ``chainrule.linalg.LinAlgError``. Vector right-hand sides and
                 ``left=False`` are handled by :func:`solve` with reshapes and transposes.
    """

    name = "linalg_solve"
    array_api = True
    complex_grad = "explicit"
    text = ("X = A⁻¹ B", "∂L/∂B = A⁻ᵀ G,  ∂L/∂A = −A⁻ᵀ G Xᵀ")
    latex = (r"X = A^{-1} B", r"\frac{\partial L}{\partial B} = A^{-\top} G,\quad "
             r"\frac{\partial L}{\partial A} = -A^{-\top} G X^{\top}")
    explanation = ("Differentiating A X = B gives A dX = dB − dA X; the adjoint of applying A⁻¹ "
                   "is solving with Aᵀ.")
    domain = "real"
    reference = staticmethod(xp.linalg.solve)

    @staticmethod
    def forward(ctx, a, b):
        try:
            x = array_namespace(a, b).linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        ctx.save(a, x)
        return x

    @staticmethod
    def vjp(ctx, g):
        a, x = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        at = _mH(a)
        if isinstance(g, Tensor) or isinstance(a, Tensor):
            gb = Solve.apply(at, g)
        else:
            gb = array_namespace(at, g).linalg.solve(at, g)
        ga = -(gb @ _mH(x)) if need_a else None
        return ga, (gb if need_b else None)


def _unsqueeze_last(x):
    return reshape(x, tuple(x.shape) + (1,))


def _squeeze_last(x):
    return reshape(x, tuple(x.shape)[:-1])


@autocast_op("linalg_solve")
def solve(A, B, *, left: bool = True, out=None):  # noqa: N803
    """``torch.linalg.solve``: X with A X = B (``left=True``) or X A = B (``left=False``).

    A: (*, n, n). B: (*, n, k), or a batch of vectors (*, n) when B is 1-D or B.shape equals
    A.shape[:-1] (PyTorch's rule); batch axes broadcast. Raises ``chainrule.linalg.LinAlgError``
    for a singular A.
    """
    no_out("linalg.solve", out)
    return solve_matrices(A, B, left=left, vectors=True, complex_ok=True)


def solve_matrices(A, B, *, left: bool = True, vectors: bool = False,  # noqa: N803
                   complex_ok: bool = False):
    """:func:`solve` where B is always a matrix (*, n, k) (``vectors=False``: the solvers whose
    B PyTorch never reads as a batch of vectors — solve_triangular, cholesky_solve), or with
    :func:`solve`'s vector rule (``vectors=True``); complex A only where ``complex_ok``."""
    check_square("linalg.solve", A)
    check_float("linalg.solve", A, complex_ok)
    a_shape, b_shape = _shape(A), _shape(B)
    if not isinstance(B, Tensor):
        B = Tensor._make(xp.asarray(B))
    vector = vectors and (len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1
                                                and b_shape == a_shape[:-1]))
    if not vector and len(b_shape) < 2:
        raise RuntimeError(f"linalg.solve: The input tensor B must have at least 1 dimension "
                           f"(got shape {b_shape}).")
    n = a_shape[-1]
    b_matrix = b_shape + (1,) if vector else b_shape     # a vector is an n×1 matrix
    rows = b_matrix[-2] if left else b_matrix[-1]
    if rows != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({a_shape[-2]}x{a_shape[-1]} and "
                           f"{b_matrix[-2]}x{b_matrix[-1]})")
    if xp.dtype(B.dtype) != xp.dtype(getattr(A, "dtype", None)):
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype} and B of type {B.dtype} instead")
    try:
        xp.broadcast_shapes(a_shape[:-2], b_matrix[:-2])
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dimensions of A {a_shape} and B {b_shape} "
                           "cannot be broadcast") from None
    if vector:
        B = _unsqueeze_last(B)
    X = Solve.apply(A, B) if left else _mT(Solve.apply(_mT(A), _mT(B)))
    return _squeeze_last(X) if vector else X


__all__ = ["det", "slogdet", "inv", "inv_ex", "solve", "LinAlgError"]
