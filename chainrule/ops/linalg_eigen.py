"""``torch.linalg``'s factorizations of symmetric matrices: cholesky, eigh, eigvalsh.

- cholesky: A = L Lᵀ. Backward by Murray 2016 ("Differentiation of the Cholesky decomposition"),
  in the symmetrized form PyTorch uses: ∂L/∂A = L⁻ᵀ Φ L⁻¹ with Φ = ½ sym(tril(Lᵀ Ḡ)), where sym
  mirrors the strict lower triangle into the upper one (the diagonal kept once).
- eigh: A = V diag(λ) Vᵀ. Backward by the standard perturbation result (Giles 2008; Seeger et al.
  2017, "Auto-differentiating linear algebra"): ∂L/∂A = V (diag(ḡλ) + F ∘ skew(Vᵀ ḡV)) Vᵀ with
  Fᵢⱼ = 1/(λⱼ − λᵢ) off the diagonal, skew(M) = ½(M − Mᵀ).

Complex Hermitian matrices take the same rules with every transpose a conjugate transpose ᴴ
(A = L Lᴴ, A = V diag(λ) Vᴴ with real λ), PyTorch's complex gradients (``complex_grad =
"explicit"``; on real arrays the conjugations are skipped). A complex eigenvector is defined up to
a phase e^{iφ}: a loss that depends on that phase (a nonzero imaginary part on the diagonal of
Vᴴ ḡV) has no gradient, and the backward raises PyTorch's error there.

A primitive returns one array, so eigh packs its two results into one (…, n+1, n) array, the
eigenvalues as row 0 and the eigenvectors below; :func:`eigh` slices them apart (the slices'
gradients flow back into the packed array, as in ops/rnn.py).

Both gradients are symmetric matrices (PyTorch's convention): the functions read only one
triangle of A, so their derivative with respect to A is defined on symmetric perturbations, and
the symmetric representative is returned. Gradients checked by finite differences must go through
a symmetrizing call (½(X + Xᵀ), X Xᵀ + cI), as PyTorch's own gradchecks do.

The forwards call the array API standard's ``linalg`` extension (NumPy's LAPACK for NumPy
arrays), so other array libraries run them too (``array_api = True``). The rules are written
with products, transposes, slices and this package's primitives, so ``create_graph=True`` works.
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import array_namespace, astype, dtype_kind, namespace, to_numpy, xp
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import (
    Inv,
    LinAlgError,
    _eye,
    _mH,
    _mT,
    check_float,
    check_square,
)
from .movement import getitem


def tril(x, k: int = 0):
    """The lower triangle from diagonal k on: ``tril(x, k=k)`` of NumPy and the standard,
    ``chainrule.tril(x, k)`` for Tensors (whose keyword is PyTorch's ``diagonal``)."""
    if isinstance(x, Tensor):
        return namespace(x).tril(x, k)
    return namespace(x).tril(x, k=k)


def _inverse(x):
    return Inv.apply(x) if isinstance(x, Tensor) else array_namespace(x).linalg.inv(x)


# ------------------------------------------------------------------------------ cholesky
def _not_positive_definite(op: str, a) -> LinAlgError:
    """PyTorch's error, naming the order of the first leading minor that is not positive."""
    a = to_numpy(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    order = 1
    for m in flat:
        try:
            xp.linalg.cholesky(m)
        except xp.linalg.LinAlgError:
            for k in range(1, m.shape[-1] + 1):
                try:
                    xp.linalg.cholesky(m[:k, :k])
                except xp.linalg.LinAlgError:
                    order = k
                    break
            break
    return LinAlgError(f"{op}: The factorization could not be completed because the input is not "
                       f"positive-definite (the leading minor of order {order} is not "
                       f"positive-definite).")


@primitive
class Cholesky(Function):
    """Lower Cholesky factor of a stack of symmetric positive-definite matrices.

    Forward:     A = L Lᵀ, L lower triangular with a positive diagonal (reads A's lower triangle)
    Derivative:  dL = L Φ(L⁻¹ dA L⁻ᵀ),  Φ = the lower triangle with the diagonal halved
    VJP:         ∂L/∂A = L⁻ᵀ S L⁻¹,  P = tril(Lᵀ G),  S = ½ (P + tril(P, −1)ᵀ)   (Murray 2016)
                 (complex Hermitian A = L Lᴴ: every ᵀ a ᴴ)
    Numerics:    LAPACK potrf. The gradient is the symmetric one (PyTorch's convention). A matrix
                 that is not positive-definite raises ``chainrule.linalg.LinAlgError``.
    """

    name = "linalg_cholesky"
    array_api = True
    complex_grad = "explicit"
    text = ("A = L Lᵀ", "∂L/∂A = L⁻ᵀ · ½(P + tril(P, −1)ᵀ) · L⁻¹,  P = tril(Lᵀ G)")
    latex = (r"A = L L^{\top}",
             r"\frac{\partial L}{\partial A} = L^{-\top}\,\tfrac12\bigl(P + "
             r"\operatorname{tril}_{-1}(P)^{\top}\bigr)\,L^{-1},\quad P = "
             r"\operatorname{tril}(L^{\top} G)")
    explanation = ("Differentiating A = L Lᵀ gives L⁻¹ dA L⁻ᵀ = L⁻¹dL + (L⁻¹dL)ᵀ, a lower "
                   "triangular matrix plus its transpose; solving that for dL and taking the "
                   "adjoint gives Murray's formula.")
    domain = "real"
    reference = staticmethod(xp.linalg.cholesky)

    @staticmethod
    def forward(ctx, a):
        try:
            low = array_namespace(a).linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise _not_positive_definite("linalg.cholesky", a) from None
        ctx.save(low)
        return low

    @staticmethod
    def vjp(ctx, g):
        (low,) = ctx.saved
        p = tril(_mH(low) @ g)
        s = 0.5 * (p + _mH(tril(p, -1)))
        inv_low = _inverse(low)
        return _mH(inv_low) @ s @ inv_low


@autocast_op("linalg_cholesky")
def cholesky(A, *, upper: bool = False, out=None):  # noqa: N803
    """``torch.linalg.cholesky``: L with A = L Lᵀ (``upper=True``: U = Lᵀ with A = Uᵀ U, read
    from A's upper triangle). Raises ``chainrule.linalg.LinAlgError`` if A is not
    positive-definite."""
    no_out("linalg.cholesky", out)
    check_square("linalg.cholesky", A)
    check_float("linalg.cholesky", A, complex_ok=True)
    if upper:
        return _mH(Cholesky.apply(_mH(A)))
    return Cholesky.apply(A)


# ------------------------------------------------------------------------------ eigh
def _eigh_packed(a, UPLO: str = "L"):  # noqa: N803
    """(…, n+1, n): the eigenvalues as row 0, the eigenvectors below. The standard's eigh reads
    the lower triangle, so the upper one of A is read as the lower one of Aᵀ."""
    ns = array_namespace(a)
    if UPLO == "U" and ns is xp and a.dtype.kind == "c":
        w, v = xp.linalg.eigh(a, UPLO="U")     # LAPACK on the upper triangle: PyTorch's phases
    else:
        w, v = ns.linalg.eigh(a if UPLO == "L" else _mH(a))
    if w.dtype != v.dtype:          # complex A: real eigenvalues packed as complex numbers
        w = astype(w, v.dtype)
    return ns.concat([ns.expand_dims(w, axis=-2), v], axis=-2)


@primitive
class Eigh(Function):
    """Eigendecomposition of a stack of symmetric matrices, packed: row 0 the eigenvalues
    (ascending), rows 1…n the eigenvectors (columns), shape (…, n+1, n).

    Forward:     A = V diag(λ) Vᵀ,  Vᵀ V = I,  λ₁ ≤ … ≤ λₙ
    Derivative:  dλᵢ = vᵢᵀ dA vᵢ,  dV = V (F ∘ (Vᵀ dA V)),  Fᵢⱼ = 1/(λⱼ − λᵢ) (i ≠ j), Fᵢᵢ = 0
    VJP:         ∂L/∂A = V (diag(ḡλ) + F ∘ ½(Vᵀ ḡV − ḡVᵀ V)) Vᵀ   (complex: every ᵀ a ᴴ)
    Numerics:    LAPACK syevd. The eigenvectors' part divides by eigenvalue gaps: it is large
                 for close eigenvalues and not finite for repeated ones (as in PyTorch); a loss
                 that depends on V only through gauge-invariant quantities (V diag(f(λ)) Vᵀ) has
                 a gradient independent of the signs LAPACK chooses.
    """

    name = "linalg_eigh"
    array_api = True
    complex_grad = "explicit"
    text = ("A = V diag(λ) Vᵀ",
            "∂L/∂A = V (diag(ḡλ) + F ∘ ½(Vᵀ ḡV − ḡVᵀ V)) Vᵀ,  Fᵢⱼ = 1/(λⱼ − λᵢ)")
    latex = (r"A = V \operatorname{diag}(\lambda) V^{\top}",
             r"\frac{\partial L}{\partial A} = V\Bigl(\operatorname{diag}(\bar g_\lambda) + "
             r"F \circ \tfrac12\bigl(V^{\top}\bar g_V - \bar g_V^{\top} V\bigr)\Bigr)V^{\top},"
             r"\quad F_{ij} = \frac{1}{\lambda_j - \lambda_i}")
    explanation = ("First-order perturbation theory: an eigenvalue moves by the diagonal entry "
                   "of the perturbation in the eigenbasis, and eigenvector i turns towards "
                   "eigenvector j in proportion to the off-diagonal entry over the eigenvalue gap.")
    domain = "real"
    reference = staticmethod(lambda a, UPLO="L": _eigh_packed(a, UPLO))  # noqa: N803

    @staticmethod
    def forward(ctx, a, UPLO: str = "L"):  # noqa: N803
        packed = _eigh_packed(a, UPLO)
        ctx.save(packed)
        return packed

    @staticmethod
    def vjp(ctx, g):
        (packed,) = ctx.saved
        n = packed.shape[-1]
        w, v = packed[..., :1, :], packed[..., 1:, :]     # λ as a row (…, 1, n); V
        gw, gv = g[..., :1, :], g[..., 1:, :]
        eye = _eye(n, packed)
        vtgv = _mH(v) @ gv
        if dtype_kind(packed.dtype) == "c":
            check_phase_invariant("linalg_eigh_backward: The eigenvectors", vtgv)
        skew = 0.5 * (vtgv - _mH(vtgv))
        gaps = w - _mT(w) + eye                     # λⱼ − λᵢ, 1 on the diagonal
        inner = skew / gaps * (1 - eye) + eye * gw  # eye * (row ḡλ) = diag(ḡλ)
        return v @ inner @ _mH(v)


def check_phase_invariant(what: str, vhgv, other=None,
                          tail: str = "depends on this quantity, so it is ill-defined") -> None:
    """PyTorch's check that a loss does not depend on the phases of complex eigen- or singular
    vectors: the imaginary part of diag(Vᴴ ḡV) (plus ``other``'s) vanishes (to 1e-2, as PyTorch's
    allclose there)."""
    diag = to_numpy(vhgv._data if isinstance(vhgv, Tensor) else vhgv)
    imag = xp.diagonal(diag, axis1=-2, axis2=-1).imag
    if other is not None:
        extra = to_numpy(other._data if isinstance(other, Tensor) else other)
        imag = imag + xp.diagonal(extra, axis1=-2, axis2=-1).imag
    if not xp.allclose(imag, 0.0, rtol=1e-2, atol=1e-2):
        raise RuntimeError(f"{what} in the complex case are specified up to multiplication by "
                           f"e^{{i phi}}. The specified loss function {tail}.")


@autocast_op("linalg_eigh")
def eigh(A, UPLO: str = "L", *, out=None):  # noqa: N803
    """``torch.linalg.eigh``: ``(eigenvalues, eigenvectors)`` of symmetric A, eigenvalues in
    ascending order; only the ``UPLO`` ('L' or 'U') triangle of A is read."""
    no_out("linalg.eigh", out)
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got "
                           f"{UPLO}")
    check_square("linalg.eigh", A)
    check_float("linalg.eigh", A, complex_ok=True)
    packed = Eigh.apply(A, UPLO=UPLO.upper())
    values = getitem(packed, (Ellipsis, 0, slice(None)))
    if xp.dtype(A.dtype).kind == "c":       # the eigenvalues of a Hermitian matrix are real
        from .scatter_views import real

        values = real(values)
    vectors = getitem(packed, (Ellipsis, slice(1, None), slice(None)))
    return return_types.linalg_eigh(values, vectors)


@autocast_op("linalg_eigvalsh")
def eigvalsh(A, UPLO: str = "L", *, out=None):  # noqa: N803
    """``torch.linalg.eigvalsh``: the eigenvalues (ascending) of symmetric A; differentiable
    (through :func:`eigh`: the eigenvectors are computed too, as PyTorch does when grad is on)."""
    no_out("linalg.eigvalsh", out)
    return eigh(A, UPLO).eigenvalues


__all__ = ["cholesky", "eigh", "eigvalsh"]
