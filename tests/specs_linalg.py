"""Test specs of the matrix decompositions and solvers of ``chainrule.linalg`` (ops/linalg_*.py),
in primitive_specs.py's form (imported at its end, which registers them into ``SPECS``).

Matrices are drawn well conditioned, as PyTorch's own OpInfo samples are: a random matrix made
strictly diagonally dominant with a random sign on each diagonal entry (so determinants of both
signs occur), or, for the symmetric functions, a symmetric positive-definite / symmetric matrix
with well-separated eigenvalues. Functions of a symmetric matrix are called on the symmetrized
input ½(X + Xᵀ) (or X Xᵀ + c I), as PyTorch's gradchecks do: their gradients are symmetric, so
only the symmetrized call has a gradient that finite differences can check. The eigenvector and
orthogonal-factor outputs are gauge-dependent (signs), so their specs return gauge-invariant
functions of them (V diag(f(λ)) Vᵀ, Q R), as PyTorch's tests do.
"""
from __future__ import annotations

import numpy as np
import strategies as S
import torch
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


def _batch(d: Drawer, max_dims: int = 2) -> tuple[int, ...]:
    return d.draw(S.shapes(0, max_dims, max_side=3, large=False))


def _n(d: Drawer) -> int:
    return d.draw(st.integers(1, 3 if d.small else 4))


def _dominant(d: Drawer, shape) -> np.ndarray:
    """A stack of strictly diagonally dominant matrices (well conditioned), diagonal signs ±."""
    (x,) = d.values([shape], [OWN], scale=1.0)
    x = np.asarray(x, dtype=np.float64)
    signs = d.rng().choice([-1.0, 1.0], size=shape[:-1])
    margin = 1.0 + np.abs(x).sum(-1)
    n = shape[-1]
    x = x + signs[..., None] * margin[..., None] * np.eye(n)
    return np.asarray(x, dtype=d.dtype)


# ------------------------------------------------------------------------------ det, slogdet, inv
@spec("linalg_det")
def _det(d: Drawer) -> Case:
    n = _n(d)
    a = _dominant(d, _batch(d) + (n, n))
    return Case((a,), cr.linalg.det, torch.linalg.det, d.reference)


@spec("linalg_logabsdet")
def _logabsdet(d: Drawer) -> Case:
    n = _n(d)
    a = _dominant(d, _batch(d) + (n, n))
    return Case((a,), lambda t: cr.linalg.slogdet(t).logabsdet,
                lambda t: torch.linalg.slogdet(t).logabsdet, d.reference)


@spec("linalg_inv")
def _inv(d: Drawer) -> Case:
    n = _n(d)
    a = _dominant(d, _batch(d) + (n, n))
    return Case((a,), cr.linalg.inv, torch.linalg.inv, d.reference)


@spec("linalg_solve")
def _solve(d: Drawer) -> Case:
    n, k = _n(d), _n(d)
    batch_a, batch_b = d.draw(S.broadcast_shapes(2, min_dims=0, max_dims=2, max_side=3,
                                                 large=False))
    form = d.draw(st.sampled_from(["matrix", "vector", "batched_vector", "right"]))
    a = _dominant(d, batch_a + (n, n))
    # a matrix B with B.shape == A.shape[:-1] would be read as a batch of vectors (PyTorch's
    # rule): give matrix forms at least A's number of batch axes
    batch_b = (1,) * max(0, len(batch_a) - len(batch_b)) + batch_b
    b_shape = {"matrix": batch_b + (n, k), "vector": (n,), "batched_vector": batch_a + (n,),
               "right": batch_b + (k, n)}[form]
    (b,) = d.values([b_shape], [OWN])
    b = np.asarray(b, dtype=d.dtype)
    left = form != "right"

    def reference(a_, b_):
        if form == "right":
            return np.swapaxes(np.linalg.solve(np.swapaxes(a_, -1, -2), np.swapaxes(b_, -1, -2)),
                               -1, -2)
        if form != "matrix":
            return np.linalg.solve(a_, b_[..., None])[..., 0]
        return np.linalg.solve(a_, b_)

    return Case((a, b), lambda ta, tb: cr.linalg.solve(ta, tb, left=left),
                lambda ta, tb: torch.linalg.solve(ta, tb, left=left), reference,
                d.requires_grad(2), params={"form": form})


# ------------------------------------------------------------------------------ cholesky, eigh
def _spd_call(L, x, n: int):
    """X Xᵀ + n·I: a symmetric positive-definite function of any X (gradient through both)."""
    return L.matmul(x, x.transpose(-1, -2)) + n * L.eye(n, dtype=x.dtype)


def _sym_call(x):
    return (x + x.transpose(-1, -2)) * 0.5


@spec("linalg_cholesky")
def _cholesky(d: Drawer) -> Case:
    n = _n(d)
    (x,) = d.values([_batch(d) + (n, n)], [OWN], scale=1.0)
    x = np.asarray(x, dtype=d.dtype)
    upper = d.draw(st.booleans())

    def reference(a):
        spd = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        low = np.linalg.cholesky(spd)
        return np.swapaxes(low, -1, -2) if upper else low

    return Case((x,), lambda t: cr.linalg.cholesky(_spd_call(cr, t, n), upper=upper),
                lambda t: torch.linalg.cholesky(_spd_call(torch, t, n), upper=upper), reference,
                params={"upper": upper})


def _separated_symmetric(d: Drawer, shape) -> np.ndarray:
    """Q diag(λ) Qᵀ with eigenvalues at least 0.5 apart (the eigenvectors' gradient divides by
    the gaps), of both signs."""
    rng = d.rng()
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    lam = np.cumsum(0.5 + rng.random(shape[:-1]), axis=-1)
    lam = lam - lam.mean(-1, keepdims=True)
    a = (q * lam[..., None, :]) @ np.swapaxes(q, -1, -2)
    a = 0.5 * (a + np.swapaxes(a, -1, -2))
    return np.asarray(a, dtype=d.dtype)


@spec("linalg_eigh")
def _eigh(d: Drawer) -> Case:
    """A gauge-invariant function of (λ, V): V diag(sin λ) Vᵀ + the eigenvalues' sum of
    squares on the diagonal (so both outputs' gradients are exercised)."""
    n = _n(d)
    x = _separated_symmetric(d, _batch(d) + (n, n))
    uplo = d.draw(st.sampled_from(["L", "U"]))

    def make(L):
        def call(t):
            w, v = L.linalg.eigh(_sym_call(t), uplo)
            return L.matmul(v * L.sin(w).unsqueeze(-2), v.transpose(-1, -2)) + \
                (w * w).sum(-1)[..., None, None]
        return call

    def reference(a):
        w, v = np.linalg.eigh(0.5 * (a + np.swapaxes(a, -1, -2)), uplo)
        return (v * np.sin(w)[..., None, :]) @ np.swapaxes(v, -1, -2) + \
            (w * w).sum(-1)[..., None, None]

    return Case((x,), make(cr), make(torch), reference, params={"UPLO": uplo})


# ------------------------------------------------------------------------------ qr
def _dominant_rect(d: Drawer, shape) -> np.ndarray:
    """A stack of m×n matrices whose leading k×k block (k = min(m, n)) is strictly diagonally
    dominant: full rank and well conditioned."""
    (x,) = d.values([shape], [OWN], scale=1.0)
    x = np.asarray(x, dtype=np.float64)
    m, n = shape[-2:]
    k = min(m, n)
    signs = d.rng().choice([-1.0, 1.0], size=shape[:-2] + (k,))
    margin = 1.0 + np.abs(x[..., :k, :k]).sum(-1)
    x[..., :k, :k] += (signs * margin)[..., None] * np.eye(k)
    return np.asarray(x, dtype=d.dtype)


def _qr_invariant(L, q, r):
    """Q and R with R's diagonal made positive (the sign-free QR), flattened side by side."""
    s = L.sign(L.diagonal(r, 0, -2, -1))
    qs, rs = q * s.unsqueeze(-2), r * s.unsqueeze(-1)
    batch = tuple(q.shape[:-2])
    return L.cat([qs.reshape(batch + (-1,)), rs.reshape(batch + (-1,))], -1)


@spec("linalg_qr")
def _qr(d: Drawer) -> Case:
    m, n = _n(d), _n(d)
    x = _dominant_rect(d, _batch(d) + (m, n))
    mode = d.draw(st.sampled_from(["reduced", "complete"])) if m <= n else "reduced"

    def make(L):
        return lambda t: _qr_invariant(L, *L.linalg.qr(t, mode))

    def reference(a):
        q, r = np.linalg.qr(a, mode)
        s = np.sign(np.diagonal(r, 0, -2, -1))
        batch = a.shape[:-2]
        return np.concatenate([(q * s[..., None, :]).reshape(batch + (-1,)),
                               (r * s[..., :, None]).reshape(batch + (-1,))], -1)

    return Case((x,), make(cr), make(torch), reference, params={"mode": mode})


# ------------------------------------------------------------------------------ svd, pinv
def _separated_singular(d: Drawer, shape) -> np.ndarray:
    """U₀ diag(s) V₀ᵀ with singular values ≥ 0.5 and at least 0.5 apart."""
    rng = d.rng()
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, k)))
    s = np.cumsum(0.5 + rng.random(shape[:-2] + (k,)), axis=-1)
    return np.asarray((u * s[..., None, :]) @ np.swapaxes(v, -1, -2), dtype=d.dtype)


def _svd_invariant(L, u, s, vh):
    """Sign-gauge-invariant functions of the SVD, flattened side by side: U diag(sin S) Vh,
    U diag(S) Uᵀ and V diag(S) Vh (the first k columns of U and rows of Vh)."""
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    batch = tuple(s.shape[:-1])
    parts = [L.matmul(u * L.sin(s).unsqueeze(-2), vh),
             L.matmul(u * s.unsqueeze(-2), u.transpose(-1, -2)),
             L.matmul(vh.transpose(-1, -2) * s.unsqueeze(-2), vh)]
    return L.cat([p.reshape(batch + (-1,)) for p in parts], -1)


@spec("linalg_svd")
def _svd(d: Drawer) -> Case:
    m, n = _n(d), _n(d)
    x = _separated_singular(d, _batch(d) + (m, n))
    full = d.draw(st.booleans())

    def make(L):
        return lambda t: _svd_invariant(L, *L.linalg.svd(t, full_matrices=full))

    def reference(a):
        u, s, vh = np.linalg.svd(a, full_matrices=full)
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        batch = s.shape[:-1]
        parts = [(u * np.sin(s)[..., None, :]) @ vh, (u * s[..., None, :]) @ np.swapaxes(u, -1, -2),
                 (np.swapaxes(vh, -1, -2) * s[..., None, :]) @ vh]
        return np.concatenate([p.reshape(batch + (-1,)) for p in parts], -1)

    return Case((x,), make(cr), make(torch), reference, params={"full_matrices": full})


@spec("linalg_pinv")
def _pinv(d: Drawer) -> Case:
    m, n = _n(d), _n(d)
    hermitian = d.draw(st.booleans())
    if hermitian:
        x = _dominant(d, _batch(d) + (m, m))
        x = np.asarray(0.5 * (x + np.swapaxes(x, -1, -2)), dtype=d.dtype)

        def make(L):
            return lambda t: L.linalg.pinv(_sym_call(t), hermitian=True)

        def reference(a):
            return np.linalg.pinv(0.5 * (a + np.swapaxes(a, -1, -2)), hermitian=True)

        return Case((x,), make(cr), make(torch), reference, params={"hermitian": True})
    x = _dominant_rect(d, _batch(d) + (m, n))
    return Case((x,), cr.linalg.pinv, torch.linalg.pinv, np.linalg.pinv,
                params={"hermitian": False})


# ------------------------------------------------------------------------------ lu
def _pivoting_safe(d: Drawer, shape, permute: bool) -> np.ndarray:
    """m×n matrices whose first k = min(m, n) columns are strictly diagonally dominant by column
    (Gaussian elimination then keeps the diagonal as the pivot, with a margin of 1 over the
    next candidate at every step), with the rows shuffled by a random permutation when
    ``permute``: partial pivoting recovers it, with no near-ties for rounding to break
    differently in PyTorch's LAPACK and chainrule."""
    (x,) = d.values([shape], [OWN], scale=1.0)
    x = np.asarray(x, dtype=np.float64)
    m, n = shape[-2:]
    k = min(m, n)
    rng = d.rng()
    signs = rng.choice([-1.0, 1.0], size=shape[:-2] + (k,))
    margin = 1.0 + np.abs(x[..., :, :k]).sum(-2)
    x[..., :k, :k] += (signs * margin)[..., None, :] * np.eye(k)
    if permute:
        order = rng.permuted(np.broadcast_to(np.arange(m), shape[:-1]), axis=-1)
        x = np.take_along_axis(x, order[..., None], axis=-2)
    return np.ascontiguousarray(x, dtype=d.dtype)   # C order: gradcheck perturbs x.reshape(-1)


@spec("linalg_lu_factor")
def _lu_factor(d: Drawer) -> Case:
    """LU through each public function: lu_factor, lu_factor_ex, linalg.lu and lu_unpack.
    ``pivot=False`` (PyTorch: CUDA only) is drawn on matrices that partial pivoting leaves
    unpermuted, so PyTorch's pivoted CPU factorization is the same function there."""
    m, n = _n(d), _n(d)
    k = min(m, n)
    form = d.draw(st.sampled_from(["lu_factor", "lu_factor_ex", "lu", "lu_unpack"]))
    pivot = d.draw(st.booleans())
    x = _pivoting_safe(d, _batch(d) + (m, n), permute=pivot)

    def make(L, pivot_):
        def call(t):
            if form == "lu":
                _, low, up = L.linalg.lu(t, pivot=pivot_)
                batch = tuple(t.shape[:-2])
                return L.cat([low.reshape(batch + (-1,)), up.reshape(batch + (-1,))], -1)
            if form == "lu_factor_ex":
                return L.linalg.lu_factor_ex(t, pivot=pivot_).LU
            lu, pivots = L.linalg.lu_factor(t, pivot=pivot_)
            if form == "lu_unpack":
                _, low, up = L.lu_unpack(lu, pivots)
                batch = tuple(t.shape[:-2])
                return L.cat([low.reshape(batch + (-1,)), up.reshape(batch + (-1,))], -1)
            return lu
        return call

    def reference(a):
        lu = d.reference(a, pivot)[..., :m, :]
        if form in ("lu", "lu_unpack"):
            low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
            up = np.triu(lu[..., :k, :])
            batch = lu.shape[:-2]
            return np.concatenate([low.reshape(batch + (-1,)), up.reshape(batch + (-1,))], -1)
        return lu

    return Case((x,), make(cr, pivot), make(torch, True), reference,
                params={"form": form, "pivot": pivot})


@spec("linalg_lu_solve")
def _lu_solve(d: Drawer) -> Case:
    """lu_solve on a drawn packed LU (U's diagonal dominant: well conditioned) and drawn valid
    pivots (pivots[i] in i+1…n), with left/adjoint and broadcast batch axes."""
    n, k = _n(d), _n(d)
    batch_a, batch_b = d.draw(S.broadcast_shapes(2, min_dims=0, max_dims=2, max_side=3,
                                                 large=False))
    lu = _dominant(d, batch_a + (n, n))
    rng = d.rng()
    steps = np.arange(n)
    pivots = (steps + np.floor(rng.random(batch_a + (n,)) * (n - steps)) + 1).astype(np.int32)
    left, adjoint = d.draw(st.booleans()), d.draw(st.booleans())
    (b,) = d.values([batch_b + ((n, k) if left else (k, n))], [OWN])
    b = np.asarray(b, dtype=d.dtype)

    def reference(lu_, b_):
        if left:
            return d.reference(lu_, pivots, b_, adjoint)
        return np.swapaxes(d.reference(lu_, pivots, np.swapaxes(b_, -1, -2), not adjoint), -1, -2)

    return Case((lu, b),
                lambda tl, tb: cr.linalg.lu_solve(tl, pivots, tb, left=left, adjoint=adjoint),
                lambda tl, tb: torch.linalg.lu_solve(tl, torch.from_numpy(pivots), tb, left=left,
                                                     adjoint=adjoint),
                reference, d.requires_grad(2), params={"left": left, "adjoint": adjoint})


# ------------------------------------------------------------------------------ householder
# (ops/linalg_householder.py) In float64 the reflectors are drawn freely: any τ, not only a
# geqrf output's (PyTorch differentiates householder_product and ormqr for any τ too). In float32
# τ_i = 2u/‖v_i‖², u in [¼, 1] (u = 1: geqrf's exact reflectors), so that no H_i stretches
# (|1 − τ_i‖v_i‖²| ≤ 1) and both libraries' float32 rounding stays at float32's precision. At
# least one reflector: PyTorch gives no gradient (None) for an empty τ.
# PyTorch's float32 backward loses more: over 2000 such float32 draws its τ gradient was off the
# float64 value by up to 3e-4 (relative to the largest entry; chainrule's by 1.2e-5), so the
# float32 oracle is PyTorch's computation in float64, rounded to float32 (_in_float64).
def _in_float64(d: Drawer, fn):
    if d.dtype != np.float32:
        return fn
    return lambda *ts: fn(*[t.double() for t in ts]).float()


def _tau(d: Drawer, a: np.ndarray, tau: np.ndarray) -> np.ndarray:
    if d.dtype != np.float32:
        return tau
    k = tau.shape[-1]
    v = np.tril(a[..., :, :k].astype(np.float64), -1) + np.eye(a.shape[-2], k)
    u = d.rng().uniform(0.25, 1.0, tau.shape)
    return np.asarray(2 * u / (v * v).sum(-2), dtype=np.float32)


@spec("linalg_householder_product")
def _householder_product(d: Drawer) -> Case:
    """householder_product through its spellings: linalg.householder_product, torch.orgqr and
    Tensor.orgqr; A (…, m, n) with m ≥ n ≥ k ≥ 1, τ (…, k). n = 1 (Q linear in A, as
    vᵀe₀ = 1: its second derivative is exactly 0, which PyTorch's double backward returns as
    rounding noise up to 1e-11) only at gradcheck's sizes; tests/ops/test_linalg_round34.py
    covers it against PyTorch's first derivative."""
    n = _n(d) if d.small else d.draw(st.integers(2, 4))
    m = n + d.draw(st.integers(0, 1 if d.small else 2))
    k = d.draw(st.integers(1, n))
    batch = _batch(d)
    a, tau = d.values([batch + (m, n), batch + (k,)], [OWN, OWN], scale=1.0)
    tau = _tau(d, a, tau)
    form = d.draw(st.sampled_from(["householder_product", "orgqr", "method"]))

    def make(L):
        if form == "orgqr":
            return L.orgqr
        if form == "method":
            return lambda t, tt: t.orgqr(tt)
        return L.linalg.householder_product

    return Case((a, tau), make(cr), _in_float64(d, make(torch)), d.reference, d.requires_grad(2),
                params={"form": form})


@spec("linalg_ormqr")
def _ormqr(d: Drawer) -> Case:
    """ormqr (and Tensor.ormqr) with left/transpose drawn: A (…, m, n), τ (…, min(m, n)),
    C (…, m, c) (left) or (…, c, m)."""
    m, n, c = _n(d), _n(d), d.draw(st.integers(1, 3))
    left, transpose = d.draw(st.booleans()), d.draw(st.booleans())
    batch = _batch(d)
    a, tau, other = d.values([batch + (m, n), batch + (min(m, n),),
                              batch + ((m, c) if left else (c, m))], [OWN, OWN, OWN], scale=1.0)
    tau = _tau(d, a, tau)
    method = d.draw(st.booleans())

    def make(L):
        if method:
            return lambda t, tt, to: t.ormqr(tt, to, left=left, transpose=transpose)
        return lambda t, tt, to: L.ormqr(t, tt, to, left, transpose)

    return Case((a, tau, other), make(cr), _in_float64(d, make(torch)),
                lambda x, t, o: d.reference(x, t, o, left, transpose), d.requires_grad(3),
                params={"left": left, "transpose": transpose, "method": method})
