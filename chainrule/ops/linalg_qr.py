"""``torch.linalg.qr``: A = Q R, batched, with PyTorch's modes and derivative.

Backward (Walter & Lehmann 2018, "Algorithmic differentiation of linear algebra functions with
application in optimum experimental design"; Liao et al. 2019, "Differentiable programming tensor
networks"), for A of shape m × n and k = min(m, n):

- m ≥ n (Q m×n, R n×n):  M = R Ḡ_Rᵀ − Ḡ_Qᵀ Q,  ∂L/∂A = (Ḡ_Q + Q copyltu(M)) R⁻ᵀ, where
  copyltu(M) = tril(M) + tril(M, −1)ᵀ (the lower triangle mirrored into the upper);
  complex A (PyTorch's complex gradients, ``complex_grad = "explicit"``): every ᵀ a ᴴ, and
  copyltu(M) = tril(M, −1) + tril(M, −1)ᴴ + Re(diag M) (LAPACK's R has a real diagonal);
- m < n: A = [A_X | A_Y], R = [X | Y] with X m×m, A_X = Q X and Y = Qᵀ A_Y: the square rule
  on (Q, X) with Ḡ_Q replaced by Ḡ_Q + A_Y Ḡ_Yᵀ = Ḡ_Q + Q Y Ḡ_Yᵀ, and Q Ḡ_Y for A_Y.

The map A ↦ (Q, R) that LAPACK's Householder QR computes is smooth where A has full rank (the
signs of R's diagonal are locally constant), so the rule holds for any loss. Two results become
one primitive output: Q and R flattened and concatenated along a last axis, sliced apart by
:func:`qr` (their gradients flow back into the packed array, as in ops/rnn.py).
"""
from __future__ import annotations

import math

from ..amp.autocast_mode import autocast_op
from ..autograd.complex import conj
from ..autograd.function import Function, primitive
from ..backend import array_namespace, dtype_kind, namespace, reshape, xp
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import Solve, _eye, _mH, check_float, check_matrix, linalg_qr
from .linalg_eigen import tril

_MODES = ("reduced", "complete", "r")


def _split(packed, batch, shapes):
    """The arrays of ``shapes`` (trailing shapes) laid end to end in ``packed``'s last axis."""
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(reshape(packed[..., start:start + size], tuple(batch) + tuple(shape)))
        start += size
    return out


def _flat(x, batch):
    """x (batch + trailing) as (batch + (size of trailing,)): also for an empty batch."""
    return reshape(x, batch + (math.prod(x.shape[len(batch):]),))


def _solve_right_transposed(b, r):
    """B R⁻ᴴ (R square, invertible; R⁻ᵀ for real R): the adjoint of the solve R Z = Bᴴ."""
    if isinstance(b, Tensor) or isinstance(r, Tensor):
        return _mH(Solve.apply(r, _mH(b)))
    return _mH(array_namespace(r, b).linalg.solve(r, _mH(b)))


def _square_rule(q, r, gq, gr):
    """∂L/∂A for m ≥ n: (Ḡ_Q + Q copyltu(R Ḡ_Rᵀ − Ḡ_Qᵀ Q)) R⁻ᵀ."""
    m = r @ _mH(gr) - _mH(gq) @ q
    if dtype_kind(m.dtype) == "c":   # R's diagonal is real: the real part of M's diagonal
        lower = tril(m, -1)
        copyltu = lower + _mH(lower) + _eye(m.shape[-1], m) * (0.5 * (m + conj(m)))
    else:
        copyltu = tril(m) + _mH(tril(m, -1))
    return _solve_right_transposed(gq + q @ copyltu, r)


@primitive
class Qr(Function):
    """QR factorization of a stack of matrices, Q and R packed into one array (…, |Q| + |R|).

    Forward:     A = Q R,  Qᵀ Q = I,  R upper triangular
    Derivative:  dR = (Qᵀ dA − Ω R),  dQ = dA R⁻¹ − Q dR R⁻¹ (m ≥ n; Ω skew from tril(Qᵀ dA R⁻¹))
    VJP:         ∂L/∂A = (Ḡ_Q + Q copyltu(R Ḡ_Rᵀ − Ḡ_Qᵀ Q)) R⁻ᵀ   (m ≥ n; m < n: see module)
    Numerics:    LAPACK geqrf/orgqr (Householder). The gradient needs R invertible (A of full
                 rank). Not differentiable for mode='r' (no Q) or mode='complete' with m > n: the
                 backward raises there, as PyTorch.
    """

    name = "linalg_qr"
    array_api = True
    complex_grad = "explicit"
    text = ("A = Q R", "∂L/∂A = (Ḡ_Q + Q copyltu(R Ḡ_Rᵀ − Ḡ_Qᵀ Q)) R⁻ᵀ")
    latex = (r"A = QR", r"\frac{\partial L}{\partial A} = \bigl(\bar G_Q + Q\,"
             r"\operatorname{copyltu}(R\bar G_R^{\top} - \bar G_Q^{\top} Q)\bigr)R^{-\top}")
    explanation = ("Differentiating A = QR splits Qᵀ dA R⁻¹ into a skew part (the rotation of Q) "
                   "and an upper-triangular part (dR R⁻¹); the adjoint mirrors M's lower "
                   "triangle accordingly.")
    domain = "real"
    reference = staticmethod(lambda a, mode="reduced": xp.concatenate(
        [x.reshape(a.shape[:-2] + (-1,)) for x in xp.linalg.qr(a, mode)], axis=-1)
        if mode != "r" else xp.linalg.qr(a, "r").reshape(a.shape[:-2] + (-1,)))

    @staticmethod
    def forward(ctx, a, mode: str = "reduced"):
        ns = array_namespace(a)
        q, r = ns.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            q = q[..., :0]
        ctx.mode = mode
        ctx.shapes = (tuple(q.shape[-2:]), tuple(r.shape[-2:]))
        batch = ctx.batch = tuple(a.shape[:-2])
        packed = ns.concat([_flat(q, batch), _flat(r, batch)], axis=-1)
        ctx.save(packed)
        return packed

    @staticmethod
    def vjp(ctx, g):
        (qshape, rshape), batch = ctx.shapes, ctx.batch
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        m, n = qshape[0], rshape[1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        (packed,) = ctx.saved
        q, r = _split(packed, batch, (qshape, rshape))
        gq, gr = _split(g, batch, (qshape, rshape))
        if m >= n:
            return _square_rule(q, r, gq, gr)
        x, y = r[..., :, :m], r[..., :, m:]
        gx, gy = gr[..., :, :m], gr[..., :, m:]
        ga_x = _square_rule(q, x, gq + q @ (y @ _mH(gy)), gx)   # Y = Qᵀ A_Y moves with Q
        return namespace(g).concat([ga_x, q @ gy], axis=-1)


@autocast_op("linalg_qr")
def qr(A, mode: str = "reduced", *, out=None):  # noqa: N803
    """``torch.linalg.qr``: ``(Q, R)`` with A = Q R. ``mode``: 'reduced' (Q m×k, R k×n,
    k = min(m, n)), 'complete' (Q m×m, R m×n) or 'r' (R only; Q is empty)."""
    no_out("linalg.qr", out)
    if mode not in _MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    shape = check_matrix("linalg.qr", A)
    check_float("linalg.qr", A, complex_ok=True)
    m, n = shape[-2:]
    k = min(m, n)
    qshape = (m, m) if mode == "complete" else ((m, 0) if mode == "r" else (m, k))
    rshape = (m, n) if mode == "complete" else (k, n)
    packed = Qr.apply(A, mode=mode)
    q, r = _split(packed, shape[:-2], (qshape, rshape))
    if mode == "r":
        q = Tensor._make(xp.zeros((0,), dtype=xp.dtype(A.dtype)))
    return linalg_qr(q, r)


__all__ = ["qr"]
