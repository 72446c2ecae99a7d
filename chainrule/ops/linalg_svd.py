"""``torch.linalg.svd``, ``svdvals`` and ``pinv``.

SVD backward (Townsend 2016, "Differentiating the singular value decomposition"; the formula
PyTorch documents), for A = U diag(S) Vᵀ of shape m × n, k = min(m, n), U m×k, V n×k:

    ∂L/∂A = U [ (F ∘ (Uᵀ Ḡ_U − Ḡ_Uᵀ U)) S + S (F ∘ (Vᵀ Ḡ_V − Ḡ_Vᵀ V)) + diag(Ḡ_S) ] Vᵀ
            + (I_m − U Uᵀ) Ḡ_U S⁻¹ Vᵀ + U S⁻¹ Ḡ_Vᵀ (I_n − V Vᵀ),
    Fᵢⱼ = 1/(sⱼ² − sᵢ²) (i ≠ j), Fᵢᵢ = 0,   Ḡ_V = Ḡ_Vhᵀ.

With ``full_matrices=True`` only the first k columns of U (rows of Vh) enter the rule, as in
PyTorch (the other columns are not determined by A). The rule divides by gaps between singular
values and by the singular values: it is exact for losses invariant under the sign gauge
uᵢ, vᵢ → −uᵢ, −vᵢ, and needs distinct, nonzero singular values when U or V is used.

Complex A = U diag(S) Vᴴ (S real) takes the same rule with every ᵀ a ᴴ, plus the term
U diag(i·Im(diag(Uᴴ Ḡ_U)) / S) Vᴴ (PyTorch's; ``complex_grad = "explicit"``). Complex singular
vectors are defined up to a joint phase e^{iφ} of uᵢ and vᵢ: a loss that depends on it (a nonzero
imaginary part of diag(Uᴴ Ḡ_U) + diag(Vᴴ Ḡ_V)) has no gradient, and the backward raises PyTorch's
error there.

Pseudo-inverse backward (Golub & Pereyra 1973), with P = A⁺, valid where the rank is locally
constant:  ∂L/∂A = −Pᵀ G Pᵀ + (I − A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I − P A).
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.complex import conj
from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    asarray_like,
    astype,
    dtype_kind,
    is_foreign_array,
    numpy_dtype,
    reshape,
    to_numpy,
    xp,
)
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import _eye, _mH, _mT, check_float, check_matrix
from .linalg_eigen import check_phase_invariant
from .linalg_qr import _flat, _split


def _check_matrix(op: str, A) -> tuple:  # noqa: N803
    shape = check_matrix(op, A)
    check_float(op, A, complex_ok=True)
    return shape


@primitive
class Svd(Function):
    """Singular value decomposition of a stack of matrices, U, S and Vh packed into one array
    (…, |U| + |S| + |Vh|).

    Forward:     A = U diag(S) Vh,  S descending and ≥ 0
    Derivative:  dS = diag(Uᵀ dA V); dU, dV rotate by the off-diagonal part over sⱼ² − sᵢ²
    VJP:         ∂L/∂A = U[(F∘(UᵀḠ_U − Ḡ_UᵀU))S + S(F∘(VᵀḠ_V − Ḡ_VᵀV)) + diag(Ḡ_S)]Vᵀ
                 + (I − UUᵀ)Ḡ_U S⁻¹Vᵀ + U S⁻¹Ḡ_Vᵀ(I − VVᵀ),  Fᵢⱼ = 1/(sⱼ² − sᵢ²)
    Numerics:    LAPACK gesdd. Exact for sign-gauge-invariant losses; needs distinct nonzero
                 singular values when U or Vh is used (as PyTorch; S alone is always fine).
    """

    name = "linalg_svd"
    array_api = True
    complex_grad = "explicit"
    text = ("A = U diag(S) Vᵀ",
            "∂L/∂A = U[(F∘(UᵀḠ_U − Ḡ_UᵀU))S + S(F∘(VᵀḠ_V − Ḡ_VᵀV)) + diag(Ḡ_S)]Vᵀ "
            "+ (I − UUᵀ)Ḡ_U S⁻¹Vᵀ + U S⁻¹Ḡ_Vᵀ(I − VVᵀ),  Fᵢⱼ = 1/(sⱼ² − sᵢ²)")
    latex = (r"A = U \operatorname{diag}(S) V^{\top}",
             r"\bar A = U\bigl[(F\circ(U^{\top}\bar G_U - \bar G_U^{\top}U))S + "
             r"S(F\circ(V^{\top}\bar G_V - \bar G_V^{\top}V)) + \operatorname{diag}(\bar G_S)"
             r"\bigr]V^{\top} + (I - UU^{\top})\bar G_U S^{-1}V^{\top} + "
             r"US^{-1}\bar G_V^{\top}(I - VV^{\top}),\quad F_{ij} = \frac{1}{s_j^2 - s_i^2}")
    explanation = ("A singular value moves by the diagonal entry of Uᵀ dA V; the singular "
                   "vectors rotate into each other in proportion to the off-diagonal entries over "
                   "the gaps between squared singular values, and out of their span in "
                   "proportion to 1/s.")
    domain = "real"
    reference = staticmethod(lambda a, full_matrices=True: xp.concatenate(
        [x.reshape(a.shape[:-2] + (-1,)) for x in xp.linalg.svd(a, full_matrices)], axis=-1))

    @staticmethod
    def forward(ctx, a, full_matrices: bool = True):
        ns = array_namespace(a)
        u, s, vh = ns.linalg.svd(a, full_matrices=full_matrices)
        if s.dtype != u.dtype:          # complex A: the real S packed as complex numbers
            s = astype(s, u.dtype)
        batch = ctx.batch = tuple(a.shape[:-2])
        ctx.shapes = (tuple(u.shape[-2:]), tuple(s.shape[-1:]), tuple(vh.shape[-2:]))
        packed = ns.concat([_flat(x, batch) for x in (u, s, vh)], axis=-1)
        ctx.save(packed)
        return packed

    @staticmethod
    def vjp(ctx, g):
        (packed,) = ctx.saved
        u, s, vh = _split(packed, ctx.batch, ctx.shapes)
        gu, gs, gvh = _split(g, ctx.batch, ctx.shapes)
        k = ctx.shapes[1][0]
        m, n = ctx.shapes[0][0], ctx.shapes[2][1]
        u, gu = u[..., :, :k], gu[..., :, :k]           # full_matrices: the first k columns
        vh, gvh = vh[..., :k, :], gvh[..., :k, :]
        v, gv = _mH(vh), _mH(gvh)
        eye = _eye(k, packed)
        complex_ = dtype_kind(packed.dtype) == "c"
        s_row = reshape(s, tuple(s.shape[:-1]) + (1, k))     # sⱼ along a row
        s_col = _mT(s_row)                                   # sᵢ down a column
        gaps = s_row * s_row - s_col * s_col + eye           # sⱼ² − sᵢ², 1 on the diagonal
        f = (1 - eye) / gaps
        utgu = _mH(u) @ gu
        vtgv = _mH(v) @ gv
        gs_row = reshape(gs, tuple(gs.shape[:-1]) + (1, k))
        inner = (f * (utgu - _mH(utgu))) * s_row + s_col * (f * (vtgv - _mH(vtgv))) \
            + eye * gs_row
        if complex_:    # the phases: i·Im(diag(Uᴴ Ḡ_U)) / S on the diagonal
            check_phase_invariant("svd_backward: The singular vectors", 2 * utgu, 2 * vtgv,
                                  "depends on this phase term, making it ill-defined")
            inner = inner + eye * (utgu - conj(utgu)) / (2 * s_row)
        ga = u @ inner @ vh
        if m > k:       # the part of Ḡ_U outside U's span: (I − UUᵀ) Ḡ_U S⁻¹ Vᵀ
            ga = ga + (gu - u @ utgu) / s_row @ vh
        if n > k:       # U S⁻¹ Ḡ_Vᵀ (I − VVᵀ)
            ga = ga + u @ ((gvh - _mH(vtgv) @ vh) / s_col)
        return ga


@autocast_op("linalg_svd")
def svd(A, full_matrices: bool = True, *, driver=None, out=None):  # noqa: N803
    """``torch.linalg.svd``: ``(U, S, Vh)`` with A = U diag(S) Vh, S descending.

    ``full_matrices=True``: U m×m, Vh n×n; ``False``: U m×k, Vh k×n, k = min(m, n).
    """
    no_out("linalg.svd", out)
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    shape = _check_matrix("linalg.svd", A)
    m, n = shape[-2:]
    k = min(m, n)
    ushape, vshape = ((m, m), (n, n)) if full_matrices else ((m, k), (k, n))
    packed = Svd.apply(A, full_matrices=bool(full_matrices))
    u, s, vh = _split(packed, shape[:-2], (ushape, (k,), vshape))
    if xp.dtype(A.dtype).kind == "c":       # singular values are real
        from .scatter_views import real

        s = real(s)
    return return_types.linalg_svd(u, s, vh)


@autocast_op("linalg_svdvals")
def svdvals(A, *, driver=None, out=None):  # noqa: N803
    """``torch.linalg.svdvals``: the singular values of A, descending (differentiable: the
    gradient is U diag(Ḡ_S) Vᵀ)."""
    no_out("linalg.svdvals", out)
    if driver is not None:
        raise RuntimeError("torch.linalg.svdvals: keyword argument `driver=` is only supported "
                           "on CUDA inputs with cuSOLVER backend.")
    _check_matrix("linalg.svdvals", A)
    return svd(A, full_matrices=False).S


# ------------------------------------------------------------------------------ pinv
def _tolerance_array(tol, like_batch, dtype):
    if tol is None:
        return None
    if isinstance(tol, Tensor):
        tol = tol._data
    return xp.asarray(tol, dtype=dtype)


@primitive
class Pinv(Function):
    """Moore–Penrose pseudo-inverse of a stack of matrices (``torch.linalg.pinv``).

    Forward:     A⁺ = V diag(1/sᵢ for sᵢ > tol, else 0) Uᵀ   (complex: every ᵀ a ᴴ)
    Derivative:  dA⁺ = −A⁺ dA A⁺ + A⁺A⁺ᵀ dAᵀ (I − AA⁺) + (I − A⁺A) dAᵀ A⁺ᵀA⁺   (Golub–Pereyra)
    VJP:         ∂L/∂A = −Pᵀ G Pᵀ + (I − A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I − P A),  P = A⁺
    Numerics:    SVD (eigh for ``hermitian=True``); singular values ≤ max(atol, rtol·s_max) are
                 dropped. The derivative holds where the rank is locally constant.
    """

    name = "linalg_pinv"
    array_api = True
    complex_grad = "explicit"
    text = ("A⁺ = V diag(1/sᵢ) Uᵀ (sᵢ > tol)",
            "∂L/∂A = −Pᵀ G Pᵀ + (I − A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I − P A),  P = A⁺")
    latex = (r"A^{+} = V\operatorname{diag}(1/s_i)\,U^{\top}",
             r"\frac{\partial L}{\partial A} = -P^{\top} G P^{\top} + (I - AP)\,G^{\top}PP^{\top}"
             r" + P^{\top}P\,G^{\top}(I - PA),\quad P = A^{+}")
    explanation = ("Inside the range the pseudo-inverse behaves as an inverse (−P dA P); the "
                   "other two terms account for the range and the null space moving with A.")
    domain = "real"
    reference = staticmethod(lambda a, atol=None, rtol=None, hermitian=False: xp.linalg.pinv(
        a, rcond=(rtol if rtol is not None else max(a.shape[-2:]) * xp.finfo(a.dtype).eps),
        hermitian=hermitian))

    @staticmethod
    def forward(ctx, a, atol=None, rtol=None, hermitian: bool = False):
        ns = array_namespace(a)
        m, n = a.shape[-2:]
        dtype = numpy_dtype(a.dtype)
        real = xp.finfo(dtype).dtype            # the tolerances' dtype (complex A: real)
        if rtol is None:
            rtol = 0.0 if atol is not None else max(m, n) * float(xp.finfo(dtype).eps)
        atol = 0.0 if atol is None else atol
        atol, rtol = (asarray_like(xp.asarray(to_numpy(t) if is_foreign_array(t) else t,
                                              dtype=real)[..., None], a) for t in (atol, rtol))
        if hermitian:
            w, v = ns.linalg.eigh(a)
            mag = ns.abs(w)
            top = ns.max(mag, axis=-1, keepdims=True) if mag.shape[-1] else mag
            keep = mag > ns.maximum(atol, rtol * top)
            inv_w = ns.where(keep, 1 / ns.where(keep, w, ns.ones_like(w)), ns.zeros_like(w))
            p = (v * ns.expand_dims(inv_w, axis=-2)) @ _mH(v)
        else:
            u, s, vh = ns.linalg.svd(a, full_matrices=False)
            top = s[..., :1] if s.shape[-1] else s
            keep = s > ns.maximum(atol, rtol * top)
            inv_s = ns.where(keep, 1 / ns.where(keep, s, ns.ones_like(s)), ns.zeros_like(s))
            p = _mH(vh) @ (ns.expand_dims(inv_s, axis=-1) * _mH(u))
        if numpy_dtype(p.dtype) != dtype:
            p = astype(p, dtype)
        ctx.save(a, p)
        return p

    @staticmethod
    def vjp(ctx, g):
        a, p = ctx.saved
        pt, gt = _mH(p), _mH(g)
        m, n = a.shape[-2:]
        eye_m, eye_n = _eye(m, p), _eye(n, p)
        return -(pt @ g @ pt) + (eye_m - a @ p) @ (gt @ (p @ pt)) \
            + (pt @ p) @ (gt @ (eye_n - p @ a))


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False, out=None):  # noqa: N803
    """``torch.linalg.pinv``: the pseudo-inverse of A (shape (*, m, n) → (*, n, m)).

    Singular values s ≤ max(atol, rtol·s_max) count as zero; by default rtol = max(m, n)·ε (ε of
    A's dtype), and rtol = 0 when only ``atol`` is given. ``hermitian=True`` reads A as symmetric
    (its lower triangle) and uses the eigendecomposition. ``atol``/``rtol`` may be numbers or
    tensors broadcasting against A's batch shape.
    """
    no_out("linalg.pinv", out)
    shape = _check_matrix("linalg.pinv", A)
    if hermitian and shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.pinv(hermitian=True): A must be batches of square matrices, "
                           f"but they are {shape[-2]} by {shape[-1]} matrices")
    dtype = xp.finfo(xp.dtype(A.dtype)).dtype     # real tolerances, also for complex A
    return Pinv.apply(A, atol=_tolerance_array(atol, shape[:-2], dtype),
                      rtol=_tolerance_array(rtol, shape[:-2], dtype), hermitian=bool(hermitian))


__all__ = ["svd", "svdvals", "pinv"]
