"""Linear algebra of complex matrices against PyTorch 2.13: values (LAPACK's complex routines
through NumPy), PyTorch's result dtypes (real eigenvalues, singular values and log|det|; a complex
sign), invariant quantities where a result is unique only up to phases (eigen- and singular
vectors), PyTorch's errors, and PyTorch's complex gradients (complex128, rtol 1e-10) through
the conjugate-transposed rules (``complex_grad = "explicit"``)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

RTOL, ATOL = 1e-10, 1e-12


def _c(shape, seed=0, dtype="complex128"):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().resolve_neg().numpy()
    return t.detach().numpy()


def _close(actual, expected, what, rtol=RTOL, atol=ATOL):
    a, e = _np(actual), _np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def _both(program, *arrays):
    return [program(L, *[L.tensor(a) for a in arrays]) for L in (torch, cr)]


def _tol(dtype):
    return (RTOL, ATOL) if dtype == "complex128" else (2e-4, 2e-5)


def _hpd(L, a):
    """A Hermitian positive-definite matrix from any square a."""
    return a @ a.mH + a.shape[-1] * L.eye(a.shape[-1], dtype=a.dtype)


# ------------------------------------------------------------------------------ values
VALUES = {
    "inv": lambda L, a: L.linalg.inv(a),
    "inverse": lambda L, a: L.inverse(a),
    "det": lambda L, a: L.linalg.det(a),
    "slogdet.sign": lambda L, a: L.linalg.slogdet(a).sign,
    "slogdet.logabsdet": lambda L, a: L.linalg.slogdet(a).logabsdet,
    "logdet": lambda L, a: L.logdet(a),
    "solve": lambda L, a: L.linalg.solve(a, a[..., :2] * 2 - 1j),
    "solve vector": lambda L, a: L.linalg.solve(a, a[..., 0]),
    "solve left=False": lambda L, a: L.linalg.solve(a, a[..., :2, :], left=False),
    "matrix_exp": lambda L, a: L.linalg.matrix_exp(a),
    "svdvals": lambda L, a: L.linalg.svdvals(a),
    "svd.S": lambda L, a: L.linalg.svd(a).S,
    "eigvalsh": lambda L, a: L.linalg.eigvalsh(a),
    "eigvalsh U": lambda L, a: L.linalg.eigvalsh(a, "U"),
    "qr.Q": lambda L, a: L.linalg.qr(a).Q,
    "qr.R": lambda L, a: L.linalg.qr(a).R,
    "cholesky": lambda L, a: L.linalg.cholesky(_hpd(L, a)),
    "cholesky upper": lambda L, a: L.linalg.cholesky(_hpd(L, a), upper=True),
    "pinv": lambda L, a: L.linalg.pinv(a),
    "pinv wide": lambda L, a: L.linalg.pinv(a[..., :2, :]),
    "pinv hermitian": lambda L, a: L.linalg.pinv(_hpd(L, a), hermitian=True),
    "matrix_norm nuc": lambda L, a: L.linalg.matrix_norm(a, "nuc"),
    "matrix_norm 2": lambda L, a: L.linalg.matrix_norm(a, 2),
    "matrix_norm -2": lambda L, a: L.linalg.matrix_norm(a, -2),
    "norm fro": lambda L, a: L.linalg.norm(a, dim=(-2, -1)),
    "cond": lambda L, a: L.linalg.cond(a),
    "cond fro": lambda L, a: L.linalg.cond(a, "fro"),
    "matrix_rank": lambda L, a: L.linalg.matrix_rank(a),
    "matrix_rank hermitian": lambda L, a: L.linalg.matrix_rank(_hpd(L, a), hermitian=True),
    "lstsq": lambda L, a: L.linalg.lstsq(a, a[..., :1]).solution,
    "inv_ex": lambda L, a: L.linalg.inv_ex(a).inverse,
    "solve_ex": lambda L, a: L.linalg.solve_ex(a, a[..., :1]).result,
    "cholesky_ex": lambda L, a: L.linalg.cholesky_ex(_hpd(L, a)).L,
    "solve_triangular": lambda L, a: L.linalg.solve_triangular(a, a[..., :2], upper=True),
    "matrix_power -2": lambda L, a: L.linalg.matrix_power(a, -2),
    "tensorinv": lambda L, a: L.linalg.tensorinv(a.reshape(*a.shape[:-2], 3, 3)[..., 0, :, :]
                                                  if a.ndim > 2 else a, ind=1),
}


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_pytorch(name, shape, dtype):
    expected, actual = _both(VALUES[name], _c(shape, dtype=dtype))
    rtol, atol = _tol(dtype)
    _close(actual, expected, name, rtol=rtol, atol=atol)


@settings(max_examples=15, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 4), n=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_decompositions_reconstruct(batch, m, n, seed):
    """SVD, QR, eigh and Cholesky of drawn shapes: PyTorch's dtypes, singular values and
    eigenvalues, and reconstructions (vectors are unique only up to phases)."""
    a = _c(tuple(batch) + (m, n), seed)
    ta, ca = torch.tensor(a), cr.tensor(a)
    u, s, vh = cr.linalg.svd(ca, full_matrices=False)
    _close(s, torch.linalg.svdvals(ta), "svd.S")
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a,
                               rtol=RTOL, atol=1e-12)
    q, r = cr.linalg.qr(ca)
    tq, tr = torch.linalg.qr(ta)
    _close(q, tq, "qr.Q")
    _close(r, tr, "qr.R")
    h = a[..., :m, :m] if m <= n else a[..., :n, :n]
    h = h + np.swapaxes(h.conj(), -1, -2)
    w, v = cr.linalg.eigh(cr.tensor(h))
    _close(w, torch.linalg.eigvalsh(torch.tensor(h)), "eigh.eigenvalues")
    np.testing.assert_allclose((v.numpy() * w.numpy()[..., None, :]) @ np.swapaxes(
        v.numpy().conj(), -1, -2), h, rtol=RTOL, atol=1e-12)
    k = h.shape[-1]
    spd = h @ h + k * np.eye(k)
    _close(cr.linalg.cholesky(cr.tensor(spd)), torch.linalg.cholesky(torch.tensor(spd)),
           "cholesky")


def test_dtypes_are_pytorchs():
    a = _c((2, 3, 3))
    sign, logabsdet = cr.linalg.slogdet(cr.tensor(a))
    assert sign.dtype == cr.complex128 and logabsdet.dtype == cr.float64
    assert cr.linalg.eigvalsh(cr.tensor(a)).dtype == cr.float64
    assert cr.linalg.eigh(cr.tensor(a)).eigenvectors.dtype == cr.complex128
    assert cr.linalg.svdvals(cr.tensor(a.astype("complex64"))).dtype == cr.float32
    assert cr.linalg.matrix_rank(cr.tensor(a)).dtype == cr.int64
    assert cr.logdet(cr.tensor(a)).dtype == cr.complex128


def test_singular_and_invalid_inputs_raise_as_pytorch():
    singular = np.ones((3, 3), dtype=complex)
    for L in (torch, cr):
        with pytest.raises(RuntimeError):
            L.linalg.inv(L.tensor(singular))
        with pytest.raises(RuntimeError):
            L.linalg.cholesky(L.tensor(-np.eye(3, dtype=complex)))
    assert np.isneginf(cr.logdet(cr.tensor(singular)).real.numpy())
    _close(cr.linalg.det(cr.tensor(singular)), torch.linalg.det(torch.tensor(singular)), "det")


# ------------------------------------------------------------------------------ gradients
A, B = _c((2, 3, 3), 1), _c((2, 3, 2), 2)
W, W2 = _c((2, 3, 3), 3), _c((2, 3, 2), 4)


def _svd_rec(L, a):
    u, s, vh = L.linalg.svd(a, full_matrices=False)
    weight = L.tensor(W[..., :a.shape[-2], :a.shape[-1]])
    return ((u * L.exp(s).unsqueeze(-2).to(u.dtype)) @ vh * weight).real.sum()


def _eigh_rec(L, a):
    w, v = L.linalg.eigh(a + a.mH)      # Hermitian: central differences see both triangles
    return ((v * L.exp(w).unsqueeze(-2).to(v.dtype)) @ v.mH * L.tensor(W)).real.sum()


GRADS = {
    "det": (lambda L, a: (L.linalg.det(a) * L.tensor(W[:, 0, 0])).real.sum(), A),
    "inv": (lambda L, a: (L.linalg.inv(a) * L.tensor(W)).imag.sum(), A),
    "solve": (lambda L, a, b: (L.linalg.solve(a, b) * L.tensor(W2)).real.sum(), A, B),
    "slogdet logabsdet": (lambda L, a: L.linalg.slogdet(a)[1].sum(), A),
    "slogdet sign": (lambda L, a: (L.linalg.slogdet(a)[0] * L.tensor(W[:, 0, 0])).real.sum(),
                     A),
    "logdet": (lambda L, a: (L.logdet(a) * L.tensor(W[:, 0, 0])).real.sum(), A),
    "matrix_exp": (lambda L, a: (L.linalg.matrix_exp(a) * L.tensor(W)).real.sum(), A),
    "cholesky": (lambda L, a: (L.linalg.cholesky(_hpd(L, a)) * L.tensor(W)).real.sum(), A),
    "cholesky upper": (lambda L, a: (L.linalg.cholesky(_hpd(L, a), upper=True)
                                     * L.tensor(W)).imag.sum(), A),
    "eigvalsh": (lambda L, a: (L.linalg.eigvalsh(a + a.mH) * L.tensor(W[:, 0].real)).sum(), A),
    "eigh |V|": (lambda L, a: (L.linalg.eigh(a)[1].abs() * L.tensor(W.real)).sum(), A),
    "eigh U |V|": (lambda L, a: (L.linalg.eigh(a, UPLO="U")[1].abs() * L.tensor(W.real)).sum(),
                   A),
    "eigh reconstruction": (_eigh_rec, A),
    "svdvals": (lambda L, a: (L.linalg.svdvals(a) * L.tensor(W[:, 0].real)).sum(), A),
    "svd reconstruction": (_svd_rec, A),
    "svd tall": (lambda L, a: _svd_rec(L, a[..., :2]), A),
    "svd wide": (lambda L, a: _svd_rec(L, a[..., :2, :]), A),
    "svd |U| |Vh|": (lambda L, a: (L.linalg.svd(a)[0].abs() * L.tensor(W.real)).sum()
                     + (L.linalg.svd(a)[2].abs() * L.tensor(W.imag)).sum(), A),
    "qr": (lambda L, a: (lambda r: (r[0] * L.tensor(W)).real.sum()
                         + (r[1] * L.tensor(W.conj())).imag.sum())(L.linalg.qr(a)), A),
    "qr tall": (lambda L, a: (lambda r: (r[0] * L.tensor(W[..., :2])).real.sum()
                              + (r[1] * L.tensor(W[:, :2, :2])).imag.sum())(
        L.linalg.qr(a[..., :2])), A),
    "qr wide": (lambda L, a: (lambda r: (r[0] * L.tensor(W[..., :2, :2])).real.sum()
                              + (r[1] * L.tensor(W[:, :2])).imag.sum())(
        L.linalg.qr(a[..., :2, :])), A),
    "pinv": (lambda L, a: (L.linalg.pinv(a) * L.tensor(W)).real.sum(), A),
    "pinv wide": (lambda L, a: (L.linalg.pinv(a[..., :2, :]) * L.tensor(W[..., :2])).real.sum(),
                  A),
    "pinv hermitian": (lambda L, a: (L.linalg.pinv(a @ a.mH, hermitian=True)
                                     * L.tensor(W)).imag.sum(), A),
    "matrix_norm nuc, 2": (lambda L, a: L.linalg.matrix_norm(a, "nuc").sum()
                           + L.linalg.matrix_norm(a, 2).sum(), A),
    "cond": (lambda L, a: L.linalg.cond(a).sum(), A),
    "solve_triangular": (lambda L, a, b: (L.linalg.solve_triangular(a, b, upper=False)
                                          * L.tensor(W2)).real.sum(), A, B),
    "lstsq": (lambda L, a, b: (L.linalg.lstsq(a, b).solution * L.tensor(W2)).real.sum(), A, B),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_match_pytorch(name):
    program, *arrays = GRADS[name]
    grads = []
    for L in (torch, cr):
        tensors = [L.tensor(a, requires_grad=True) for a in arrays]
        program(L, *tensors).backward()
        grads.append([t.grad for t in tensors])
    for expected, actual in zip(*grads):
        _close(actual, expected, name, atol=1e-12 * float(np.abs(_np(expected)).max()))


@pytest.mark.parametrize("name", ["det", "inv", "slogdet sign", "svd reconstruction", "qr",
                                  "cholesky", "eigh reconstruction", "matrix_exp"])
def test_gradcheck(name):
    program, *arrays = GRADS[name]
    small = [a[:1] for a in arrays]
    assert cr.gradcheck(lambda *ts: program(cr, *ts), *[cr.tensor(a, requires_grad=True)
                                                          for a in small])


@pytest.mark.parametrize(("label", "program"), [
    ("eigh", lambda L, a: (L.linalg.eigh(a)[1] * L.tensor(W)).real.sum()),
    ("svd", lambda L, a: (L.linalg.svd(a)[0] * L.tensor(W)).real.sum()),
])
def test_phase_dependent_losses_raise_as_pytorch(label, program):
    """A loss that depends on the arbitrary phase of complex eigen-/singular vectors has no
    gradient: PyTorch raises in the backward, so does chainrule, with PyTorch's message."""
    messages = []
    for L in (torch, cr):
        a = L.tensor(A, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            program(L, a).backward()
        messages.append(str(info.value))
    assert "specified up to multiplication by e^{i phi}" in messages[1]
    assert messages[1].split(":")[0] in messages[0]


def test_unimplemented_complex_linalg_refused():
    """The LU/LDL/Householder families stay real-only: a clear error, never a wrong answer."""
    a = cr.tensor(_c((3, 3)))
    for fn in (cr.linalg.lu_factor, cr.linalg.ldl_factor, cr.geqrf):
        with pytest.raises((RuntimeError, NotImplementedError), match="complex"):
            fn(a)


def test_real_paths_unchanged():
    """Real inputs keep the real rules (the conjugations are skipped): PyTorch's values and
    gradients in float64."""
    x = np.random.default_rng(5).standard_normal((2, 3, 3))
    for program in (lambda L, a: L.linalg.inv(a).sum(), lambda L, a: L.linalg.det(a).sum(),
                    lambda L, a: L.linalg.svdvals(a).sum(),
                    lambda L, a: L.linalg.eigvalsh(a + a.mT).sum(),
                    lambda L, a: (L.linalg.qr(a).Q * 2).sum()):
        grads = []
        for L in (torch, cr):
            t = L.tensor(x, requires_grad=True)
            program(L, t).backward()
            assert t.grad.dtype == L.float64
            grads.append(t.grad)
        _close(grads[1], grads[0], "real", rtol=1e-12)
