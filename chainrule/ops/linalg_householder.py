"""Householder reflectors: ``torch.geqrf``, ``torch.linalg.householder_product`` (``torch.orgqr``)
and ``torch.ormqr``, with the ``Tensor`` methods ``geqrf``, ``orgqr`` and ``ormqr``.

LAPACK's compact form of an orthogonal matrix: for A (…, m, n) and tau (…, k), reflector i
(i = 0…k−1) is H_i = I − τ_i v_i v_iᵀ with v_i = (0, …, 0, 1, A[i+1:, i]) (a 1 in row i, A's
column i below the diagonal under it; what A holds on and above the diagonal is not read), and

    Q = H_0 H_1 ⋯ H_{k−1}   (m × m).

- ``geqrf`` (LAPACK's geqrf): A = Q R with R in the upper triangle of ``a`` and the reflectors
  of Q below it, τ in ``tau`` (k = min(m, n)). Each column j picks the reflector that maps
  A[j:, j] to (β, 0, …, 0) (LAPACK's dlarfg, β = −sign(α)·‖(α, x)‖), then applies it to the
  columns on its right (dlarf). PyTorch has no derivative for it; neither has chainrule.
- ``householder_product`` (orgqr): the first n columns of Q (m ≥ n ≥ k).
- ``ormqr``: op(Q) C (``left``) or C op(Q), op(Q) = Qᵀ with ``transpose``.

The forwards apply one reflector at a time to the whole batch (a Python loop over the k
reflectors, whole-array operations inside), as LAPACK's unblocked kernels (geqr2, org2r, orm2r)
do, so they run on any array API library. NumPy's ``linalg.qr(mode='raw')`` computes geqrf with
LAPACK (batched, in Fortran layout): the tests use it as the reference.

Derivative of a chain Y = S_1 S_2 ⋯ S_s X of reflectors S_j = I − τ v vᵀ (householder_product:
the H_i in order on X = I[:, :n]; ormqr: in order or reversed, on C or Cᵀ): with Z_{s+1} = X,
Z_j = S_j Z_{j+1} (so Y = Z_1) and G_1 = Ḡ, G_{j+1} = S_jᵀ G_j = S_j G_j (the gradient reaching
Z_{j+1}), the gradient of S_j is G_j Z_{j+1}ᵀ, so with a_j = Z_{j+1}ᵀ v and b_j = G_jᵀ v:

    ∂L/∂τ_j = −a_j · b_j,    ∂L/∂v_j = −τ_j (G_j a_j + Z_{j+1} b_j)   (rows below the 1),
    ∂L/∂X = G_{s+1}.

The Z_j are built from X by the last reflectors first, the G_j from Ḡ by the first first; the
backward makes three sweeps (the a_j with the Z_j, the b_j with the G_j, then Z_{j+1} b_j with
the Z_j again), keeping only vectors: O(s (m + c)) memory beyond the inputs, for any τ (a
reflector with τ vᵀv = 1 is singular, so Z_{j+1} cannot be recovered from Z_j).
"""
from __future__ import annotations

from .. import return_types
from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import (
    array_namespace,
    asarray_like,
    copy,
    errstate,
    namespace,
    numpy_dtype,
    total,
    xp,
)
from ..tensor import Tensor
from .arithmetic import no_out
from .linalg_decompositions import _mT, as_tensor
from .linalg_eigen import tril
from .tensor_extras import _NotDifferentiable

geqrf_type = return_types._make("geqrf", ("a", "tau"))


class _GeqrfOutput(_NotDifferentiable):
    """geqrf's results when A requires grad: a backward through them raises PyTorch's
    ``NotImplementedError`` (a ``RuntimeError``)."""

    @staticmethod
    def vjp(ctx, g):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


# ------------------------------------------------------------------------------ helpers
def _reflectors(a, k: int):
    """V (…, m, k): column i is v_i = e_i + A[i+1:, i] (unit lower trapezoid), arrays or
    Tensors (differentiable: the strictly lower part of A's first k columns)."""
    m = a.shape[-2]
    eye = asarray_like(xp.eye(m, k, dtype=numpy_dtype(a.dtype)),
                       a._data if isinstance(a, Tensor) else a)
    return tril(a[..., :, :k], -1) + (Tensor._make(eye) if isinstance(a, Tensor) else eye)


def _concat(parts, axis: int):
    return namespace(parts[0]).concat(parts, axis=axis)


def _reflect(z, v, tau, i: int, col: int = 0):
    """H_i Z = Z − v_i (τ_i (v_iᵀ Z)) on rows i… and columns col… of Z (the others are left
    as they are), written as LAPACK's dlarf (w = Zᵀ v, then Z − v (τ w)ᵀ). Arrays are updated
    in place; Tensors (a differentiable backward) are reassembled."""
    vi = v[..., i:, i:i + 1]                       # (…, m − i, 1)
    ti = tau[..., i:i + 1][..., None]              # (…, 1, 1)
    block = z[..., i:, col:]
    block = block - vi * (ti * (_mT(vi) @ block))
    if not isinstance(z, Tensor):
        z[..., i:, col:] = block
        return z
    if col:
        block = _concat([z[..., i:, :col], block], axis=-1)
    return _concat([z[..., :i, :], block], axis=-2) if i else block


def _chain(v, tau, z, order, product: bool):
    """S_1 ⋯ S_s Z with S_j = H_{order[j]}: the last reflector first. ``product``: Z is
    I[:, :n] and H_i leaves columns < i alone (LAPACK's org2r), so those are skipped."""
    for i in reversed(order):
        z = _reflect(z, v, tau, i, i if product else 0)
    return z


def _chain_vjp(v, tau, x, g, order, product: bool):
    """(∂L/∂V, ∂L/∂τ, ∂L/∂X) for Y = S_1 ⋯ S_s X (see the module docstring): V's gradient
    (…, m, k) restricted to the strictly lower triangle, τ's (…, k)."""
    k = tau.shape[-1]
    fresh = (lambda a: a) if isinstance(x, Tensor) else copy
    a_rows, z = {}, fresh(x)                       # sweep 1: a_j = Z_{j+1}ᵀ v
    for i in reversed(order):
        col = i if product else 0
        a_rows[i] = _mT(v[..., i:, i:i + 1]) @ z[..., i:, col:]
        z = _reflect(z, v, tau, i, col)
    b_rows, ga, gz = {}, {}, fresh(g)              # sweep 2: b_j = G_jᵀ v, G_j a_j
    for i in order:
        col = i if product else 0
        b_rows[i] = _mT(v[..., i:, i:i + 1]) @ gz[..., i:, col:]
        ga[i] = gz[..., :, col:] @ _mT(a_rows[i])
        gz = _reflect(gz, v, tau, i, col)
    gx, zb, z = gz, {}, fresh(x)                   # sweep 3: Z_{j+1} b_j
    for i in reversed(order):
        col = i if product else 0
        zb[i] = z[..., :, col:] @ _mT(b_rows[i])
        z = _reflect(z, v, tau, i, col)
    gv_cols, gt_cols = [], []
    for i in range(k):
        if i not in ga:                            # a reflector the chain does not use
            gv_cols.append(namespace(v).zeros_like(v[..., :, i:i + 1]))
            gt_cols.append(namespace(tau).zeros_like(tau[..., i:i + 1]))
            continue
        ti = tau[..., i:i + 1][..., None]
        gv_cols.append(-ti * (ga[i] + zb[i]))
        gt_cols.append(-total(a_rows[i] * b_rows[i], axis=-1))
    if not k:
        return None, None, gx
    return tril(_concat(gv_cols, axis=-1), -1), _concat(gt_cols, axis=-1), gx


def _grad_a(gv, a):
    """∂L/∂A from ∂L/∂V: V's strictly lower part is A's first k columns; the rest gets 0."""
    k, n = gv.shape[-1], a.shape[-1]
    if k == n:
        return gv
    rest = namespace(a).zeros_like(a[..., :, k:])
    return _concat([gv, rest], axis=-1) if k else rest


def _empty(a, tau) -> bool:
    return 0 in tuple(a.shape) or 0 in tuple(tau.shape)


def _products(v, tau):
    """NumPy: the matrices H_i = I − τ_i v_i v_iᵀ (…, k, m, m) (the tests' reference)."""
    m = v.shape[-2]
    vs = xp.swapaxes(v, -1, -2)[..., None]         # (…, k, m, 1)
    return xp.eye(m) - tau[..., None, None] * (vs @ xp.swapaxes(vs, -1, -2))


def _q_reference(a, tau):
    """NumPy: Q = H_0 ⋯ H_{k−1} (…, m, m), one explicit matrix product per reflector."""
    a, tau = xp.asarray(a), xp.asarray(tau)
    m, k = a.shape[-2], tau.shape[-1]
    v = xp.tril(a[..., :, :k], -1) + xp.eye(m, k)
    hs = _products(v, tau)
    q = xp.broadcast_to(xp.eye(m), a.shape[:-2] + (m, m))
    for i in range(k):
        q = q @ hs[..., i, :, :]
    return q.astype(a.dtype)


# ------------------------------------------------------------------------------ geqrf
def _geqrf(a):
    """(…, m, n + 1): geqrf's ``a`` in columns 0…n−1 and tau in the first k rows of column n.
    Column by column on the whole batch: dlarfg (the reflector of column j) then dlarf (applied
    to the columns on its right). ‖x‖ is rescaled where x² would over- or underflow; dlarfg's
    further rescaling of a column whose β is subnormal is not reproduced (τ may then differ
    from LAPACK's in the last bits)."""
    ns = array_namespace(a)
    m, n = a.shape[-2], a.shape[-1]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    r = ns.concat([a, ns.zeros(batch + (m, 1), dtype=a.dtype)], axis=-1)   # a fresh array
    with errstate(ns, divide="ignore", invalid="ignore", over="ignore"):
        for j in range(k):
            alpha = r[..., j, j]
            x = r[..., j + 1:, j]
            xnorm = _norm(ns, x)
            big = ns.maximum(ns.abs(alpha), xnorm)       # dlapy2: ‖(α, ‖x‖)‖ without overflow
            small = ns.minimum(ns.abs(alpha), xnorm)
            ratio = small / ns.where(big == 0, 1.0, big)
            beta = -ns.copysign(big * ns.sqrt(1.0 + ratio * ratio), alpha)
            reflect = xnorm != 0                         # else H = I: τ = 0, column kept
            tau = ns.where(reflect, (beta - alpha) / beta, 0.0)
            scale = 1.0 / ns.where(reflect, alpha - beta, 1.0)
            r[..., j + 1:, j] = ns.where(reflect[..., None], x * scale[..., None], x)
            r[..., j, j] = ns.where(reflect, beta, alpha)
            r[..., j, n] = tau
            if j + 1 < n:
                vj = ns.concat([ns.ones(batch + (1, 1), dtype=a.dtype), r[..., j + 1:, j:j + 1]],
                               axis=-2)
                block = r[..., j:, j + 1:n]
                w = _mT(vj) @ block
                r[..., j:, j + 1:n] = block - vj * (tau[..., None, None] * w)
    return r


def _norm(ns, x):
    """‖x‖ over the last axis: √Σx², recomputed with scaling where that over- or underflows."""
    plain = ns.sqrt(ns.sum(x * x, axis=-1))
    if x.shape[-1] == 0:
        return plain
    top = ns.max(ns.abs(x), axis=-1)
    safe = ns.where(top == 0, 1.0, top)
    scaled = safe * ns.sqrt(ns.sum((x / safe[..., None]) ** 2, axis=-1))
    bad = ((plain == 0) & (top != 0)) | (ns.isinf(plain) & ns.isfinite(top))
    return ns.where(bad, scaled, plain)


def _geqrf_reference(a):
    """NumPy's LAPACK geqrf (``linalg.qr(mode='raw')``, Fortran layout), packed as _geqrf."""
    a = xp.asarray(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:
        h, tau = xp.zeros(a.shape, a.dtype), xp.zeros(a.shape[:-2] + (k,), a.dtype)
    else:
        h, tau = xp.linalg.qr(a, mode="raw")
        h = xp.swapaxes(h, -1, -2)
    column = xp.zeros(a.shape[:-1] + (1,), a.dtype)
    column[..., :k, 0] = tau
    return xp.concatenate([h, column], axis=-1).astype(a.dtype)


def _check_float(op: str, *tensors) -> None:
    for t in tensors:
        dtype = numpy_dtype(t.dtype)
        if dtype not in (xp.dtype(xp.float32), xp.dtype(xp.float64)):
            kind = "complex " if dtype.kind == "c" else ""
            raise NotImplementedError(f"{op}: implemented for float32 and float64 tensors, got "
                                      f"{kind}{dtype} (a tensor of shape {tuple(t.shape)})")


@autocast_op("geqrf")
def geqrf(input, *, out=None):  # noqa: A002
    """``torch.geqrf`` / ``Tensor.geqrf``: ``(a, tau)`` with A = Q R, R in the upper triangle of
    ``a``, Q = H_0 ⋯ H_{k−1} given by the reflectors below it and ``tau`` (…, k), k = min(m, n)
    (LAPACK's geqrf). Not differentiable: a backward through it raises, as in PyTorch."""
    no_out("geqrf", out)
    A = as_tensor(input)  # noqa: N806
    shape = tuple(A.shape)
    if len(shape) < 2:
        raise RuntimeError(f"torch.geqrf: input must have at least 2 dimensions (got shape "
                           f"{shape}).")
    _check_float("torch.geqrf", A)
    m, n = shape[-2:]
    packed = _geqrf(A._data)
    a, tau = packed[..., :n], packed[..., :min(m, n), n]
    if A.requires_grad:
        node = _GeqrfOutput.apply(A, value=packed, op="geqrf")
        return geqrf_type(node[..., :n], node[..., :min(m, n), n])
    return geqrf_type(Tensor._make(a), Tensor._make(tau))


# ------------------------------------------------------------------------------ orgqr
@primitive
class HouseholderProduct(Function):
    """The first n columns of Q = H_0 ⋯ H_{k−1}, H_i = I − τ_i v_i v_iᵀ, from A (…, m, n) and
    τ (…, k), m ≥ n ≥ k (``torch.linalg.householder_product``, LAPACK's orgqr).

    Forward:     Q = H_0 H_1 ⋯ H_{k−1} I[:, :n],  v_i = e_i + A[i+1:, i]
    Derivative:  dQ = Σ_i H_0 ⋯ H_{i−1} dH_i H_{i+1} ⋯ H_{k−1} I[:, :n],
                 dH_i = −dτ_i v_i v_iᵀ − τ_i (dv_i v_iᵀ + v_i dv_iᵀ)
    VJP:         ∂L/∂τ_i = −(Z_{i+1}ᵀ v_i)·(G_iᵀ v_i),
                 ∂L/∂A[i+1:, i] = −τ_i (G_i Z_{i+1}ᵀ v_i + Z_{i+1} G_iᵀ v_i)[i+1:],
                 Z_{i+1} = H_{i+1} ⋯ H_{k−1} I[:, :n],  G_i = H_{i−1} ⋯ H_0 Ḡ;  0 elsewhere in A
    Numerics:    one reflector at a time on the whole batch (LAPACK's org2r: H_i touches rows
                 and columns ≥ i); the backward re-applies the reflectors (three sweeps, see the
                 module docstring) instead of saving the k intermediate products. Valid for any
                 τ, not only a geqrf output's; A on and above the diagonal is not read.
    """

    name = "linalg_householder_product"
    array_api = True
    text = ("Q = (I − τ₀ v₀ v₀ᵀ) ⋯ (I − τₖ₋₁ vₖ₋₁ vₖ₋₁ᵀ) I[:, :n]",
            "∂L/∂τᵢ = −(Zᵢ₊₁ᵀ vᵢ)·(Gᵢᵀ vᵢ),  ∂L/∂vᵢ = −τᵢ (Gᵢ Zᵢ₊₁ᵀ vᵢ + Zᵢ₊₁ Gᵢᵀ vᵢ)")
    latex = (r"Q = \prod_{i=0}^{k-1}\bigl(I - \tau_i v_i v_i^{\top}\bigr) I_{:, :n}",
             r"\frac{\partial L}{\partial \tau_i} = -(Z_{i+1}^{\top} v_i)\cdot(G_i^{\top} v_i),"
             r"\quad \frac{\partial L}{\partial v_i} = -\tau_i\bigl(G_i Z_{i+1}^{\top} v_i"
             r" + Z_{i+1} G_i^{\top} v_i\bigr)")
    explanation = ("Each reflector sits between the product of those before it and the product "
                   "of those after it; the gradient of the middle factor is G_i Z_{i+1}ᵀ, and "
                   "the chain rule through H_i = I − τ v vᵀ gives τ's and v's gradients.")
    domain = "real"
    reference = staticmethod(lambda a, tau: _q_reference(a, tau)[..., :, :a.shape[-1]])

    @staticmethod
    def forward(ctx, a, tau):
        ns = array_namespace(a, tau)
        m, n = a.shape[-2], a.shape[-1]
        v = _reflectors(a, tau.shape[-1])
        q = copy(ns.broadcast_to(asarray_like(xp.eye(m, n, dtype=numpy_dtype(a.dtype)), a),
                                 tuple(a.shape)))
        ctx.save(a, tau)
        return _chain(v, tau, q, list(range(tau.shape[-1])), product=True)

    @staticmethod
    def vjp(ctx, g):
        a, tau = ctx.saved
        m, n = a.shape[-2], a.shape[-1]
        v = _reflectors(a, tau.shape[-1])
        raw = a._data if isinstance(a, Tensor) else a
        eye = asarray_like(xp.eye(m, n, dtype=numpy_dtype(raw.dtype)), raw)
        x = namespace(raw).broadcast_to(eye, tuple(a.shape))
        if isinstance(g, Tensor):
            x = Tensor._make(x)
        gv, gt, _ = _chain_vjp(v, tau, x, g, list(range(tau.shape[-1])), product=True)
        if _empty(a, tau):          # PyTorch gives no gradient then (None, not zeros)
            return None, None
        need_a, need_tau = ctx.needs_input_grad
        return (_grad_a(gv, a) if need_a else None), (gt if need_tau else None)


# ------------------------------------------------------------------------------ ormqr
def _ormqr_order(k: int, left: bool, transpose: bool) -> list[int]:
    """The reflectors from first to last in the chain applied to C (left) or Cᵀ (right):
    Q C = H_0 ⋯ H_{k−1} C, Qᵀ C = H_{k−1} ⋯ H_0 C, (C Q)ᵀ = H_{k−1} ⋯ H_0 Cᵀ,
    (C Qᵀ)ᵀ = H_0 ⋯ H_{k−1} Cᵀ."""
    order = list(range(k))
    return order if left != transpose else order[::-1]


@primitive
class Ormqr(Function):
    """op(Q) C (``left``) or C op(Q), op(Q) = Q or Qᵀ (``transpose``), Q = H_0 ⋯ H_{k−1} given by
    A (…, m, n) and τ (…, k), k = min(m, n), C (…, m, c) or (…, c, m) (``torch.ormqr``).

    Forward:     Y = S_1 ⋯ S_k X with X = C (left) or Cᵀ (right, Y transposed back) and the S_j
                 the H_i in order (Q C, Qᵀ Cᵀ… see ``_ormqr_order``) or reversed
    Derivative:  dY = Σ_j S_1 ⋯ dS_j ⋯ S_k X + S_1 ⋯ S_k dX,  dS = −dτ v vᵀ − τ (dv vᵀ + v dvᵀ)
    VJP:         ∂L/∂X = S_k ⋯ S_1 Ḡ (op(Q)ᵀ Ḡ);  ∂L/∂τ_j = −(Z_{j+1}ᵀ v)·(G_jᵀ v),
                 ∂L/∂v_j = −τ_j (G_j Z_{j+1}ᵀ v + Z_{j+1} G_jᵀ v),  Z_{j+1} = S_{j+1} ⋯ S_k X,
                 G_j = S_{j−1} ⋯ S_1 Ḡ;  0 on and above A's diagonal and in columns ≥ k
    Numerics:    one reflector at a time on the whole batch and all of C (LAPACK's orm2r); the
                 backward re-applies the reflectors in three sweeps (see the module docstring).
    """

    name = "linalg_ormqr"
    array_api = True
    text = ("Y = op(Q) C  or  C op(Q),  Q = (I − τ₀ v₀ v₀ᵀ) ⋯ (I − τₖ₋₁ vₖ₋₁ vₖ₋₁ᵀ)",
            "∂L/∂C = op(Q)ᵀ Ḡ (left),  ∂L/∂τⱼ = −(Zⱼ₊₁ᵀ v)·(Gⱼᵀ v),  "
            "∂L/∂vⱼ = −τⱼ (Gⱼ Zⱼ₊₁ᵀ v + Zⱼ₊₁ Gⱼᵀ v)")
    latex = (r"Y = \operatorname{op}(Q)\,C,\quad Q = \prod_{i=0}^{k-1}\bigl(I - \tau_i v_i "
             r"v_i^{\top}\bigr)",
             r"\frac{\partial L}{\partial C} = \operatorname{op}(Q)^{\top}\bar G,\quad "
             r"\frac{\partial L}{\partial \tau_j} = -(Z_{j+1}^{\top} v)\cdot(G_j^{\top} v),\quad "
             r"\frac{\partial L}{\partial v_j} = -\tau_j\bigl(G_j Z_{j+1}^{\top} v + Z_{j+1} "
             r"G_j^{\top} v\bigr)")
    explanation = ("op(Q) C is a chain of reflections applied to C; C's gradient is the chain "
                   "transposed applied to Ḡ, and each reflector's gradient is the outer product "
                   "of the gradient reaching its output with its input, as for "
                   "householder_product.")
    domain = "real"
    reference = staticmethod(lambda a, tau, c, left=True, transpose=False: _ormqr_reference(
        a, tau, c, left, transpose))

    @staticmethod
    def forward(ctx, a, tau, c, left: bool = True, transpose: bool = False):
        k = tau.shape[-1]
        v = _reflectors(a, k)
        x = copy(c) if left else copy(_mT(c))
        ctx.left, ctx.transpose = left, transpose
        ctx.save(a, tau, c)
        y = _chain(v, tau, x, _ormqr_order(k, left, transpose), product=False)
        return y if left else _mT(y)

    @staticmethod
    def vjp(ctx, g):
        a, tau, c = ctx.saved
        k = tau.shape[-1]
        v = _reflectors(a, k)
        left = ctx.left
        gv, gt, gx = _chain_vjp(v, tau, c if left else _mT(c), g if left else _mT(g),
                                _ormqr_order(k, left, ctx.transpose), product=False)
        need_a, need_tau, need_c = ctx.needs_input_grad
        if _empty(a, tau):          # PyTorch gives no gradient for A and tau then
            need_a = need_tau = False
        return ((_grad_a(gv, a) if need_a else None), (gt if need_tau else None),
                ((gx if left else _mT(gx)) if need_c else None))


def _ormqr_reference(a, tau, c, left=True, transpose=False):
    q = _q_reference(a, tau)
    q = xp.swapaxes(q, -1, -2) if transpose else q
    return (q @ c) if left else (c @ q)


# ------------------------------------------------------------------------------ checks
def _batch_check(op: str, what: str, t, shape: tuple) -> None:
    """PyTorch's checks that ``t`` has one axis less (tau) or as many (other) as the input and the
    same batch axes (no broadcasting)."""
    tshape, ndim = tuple(t.shape), len(shape) - (1 if what == "tau" else 0)
    if len(tshape) != ndim:
        less = "one dimension less than" if what == "tau" else "the same number of dimensions as"
        raise RuntimeError(f"{op}: Expected {what} to have {less} input, but got {what}.ndim "
                           f"equal to {len(tshape)} and input.ndim is equal to {len(shape)}")
    if tshape[:len(shape) - 2] != shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of {what} to be equal to "
                           f"input.shape[:-2], but got {list(tshape[:len(shape) - 2])} (input of "
                           f"shape {shape})")


@autocast_op("linalg_householder_product")
def householder_product(A, tau, *, out=None):  # noqa: N803
    """``torch.linalg.householder_product`` (= ``torch.orgqr``): the first n columns of the
    product Q = H_0 ⋯ H_{k−1} of the reflectors given by A (…, m, n) (below its diagonal) and
    ``tau`` (…, k), m ≥ n ≥ k; differentiable in A and tau."""
    op = "torch.linalg.householder_product"
    no_out("linalg.householder_product", out)
    A, tau = as_tensor(A), as_tensor(tau)  # noqa: N806
    shape = tuple(A.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions (got shape {shape}).")
    if shape[-2] < shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1] (input of shape {shape})")
    if not tau.shape:
        raise RuntimeError(f"{op}: tau must have at least 1 dimension (got a 0-d tensor)")
    if shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1] (input of shape {shape}, tau of shape "
                           f"{tuple(tau.shape)})")
    _batch_check(op, "tau", tau, shape)
    if numpy_dtype(tau.dtype) != numpy_dtype(A.dtype):
        raise RuntimeError(f"{op}: tau dtype {tau.dtype} does not match input dtype {A.dtype}")
    _check_float(op, A)
    return HouseholderProduct.apply(A, tau)


@autocast_op("orgqr")
def orgqr(input, tau, *, out=None):  # noqa: A002
    """``torch.orgqr`` / ``Tensor.orgqr``: :func:`householder_product`."""
    no_out("orgqr", out)
    return householder_product(input, tau)


@autocast_op("ormqr")
def ormqr(input, tau, other, left: bool = True, transpose: bool = False,  # noqa: A002
          *, out=None):
    """``torch.ormqr`` / ``Tensor.ormqr``: op(Q) C (``left=True``) or C op(Q), op(Q) = Qᵀ with
    ``transpose=True``, Q = H_0 ⋯ H_{k−1} (m × m) given by ``input`` (…, m, n) and ``tau``
    (…, k), k = min(m, n); C = ``other`` (…, m, c) (left) or (…, c, m). Differentiable in all
    three."""
    op = "torch.ormqr"
    no_out("ormqr", out)
    A, tau, C = as_tensor(input), as_tensor(tau), as_tensor(other)  # noqa: N806
    shape, cshape = tuple(A.shape), tuple(C.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions (got shape {shape}).")
    if len(cshape) < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions (got shape {cshape}).")
    axis = -2 if left else -1
    if cshape[axis] != shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{axis}] must be equal to input.shape[-2] (input "
                           f"of shape {shape}, other of shape {cshape}, left={left})")
    if not tau.shape:
        raise RuntimeError(f"{op}: tau must have at least 1 dimension (got a 0-d tensor)")
    if tau.shape[-1] != min(cshape[axis], shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{axis}], "
                           f"input.shape[-1]) = {min(cshape[axis], shape[-1])}, got "
                           f"{tau.shape[-1]}")
    _batch_check(op, "tau", tau, shape)
    _batch_check(op, "other", C, shape)
    for name, t in (("tau", tau), ("other", C)):
        if numpy_dtype(t.dtype) != numpy_dtype(A.dtype):
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but "
                               f"input has dtype {A.dtype} and {name} has dtype {t.dtype}")
    _check_float(op, A)
    return Ormqr.apply(A, tau, C, left=bool(left), transpose=bool(transpose))


TOP_LEVEL = {"geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
"""The top-level names (``torch.<name>``) defined here."""

TENSOR_METHODS = {"geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
"""The ``Tensor.<name>`` methods (PyTorch has no ``Tensor.householder_product``)."""

__all__ = ["householder_product"]
