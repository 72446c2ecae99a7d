"""Householder reflectors and the LDL family against PyTorch 2.13 (float64 unless said):
torch.geqrf, linalg.householder_product (torch.orgqr), torch.ormqr, linalg.ldl_factor,
ldl_factor_ex and ldl_solve, with their Tensor methods (ops/linalg_householder.py,
ops/linalg_ldl.py).

geqrf against PyTorch and NumPy's LAPACK geqrf (``linalg.qr(mode='raw')``); householder_product
and ormqr values and gradients (both differentiable in PyTorch, for any τ), central-difference
gradchecks and double backward; the LDL factorization's pivots equal to PyTorch's (MKL's sytrf)
on drawn symmetric, indefinite and integer matrices, its LD to rounding, the vectorised
Bunch–Kaufman against a one-matrix transcription of LAPACK's dsytf2; ldl_solve with broadcast
batches; the no-derivative behaviour (PyTorch has none for geqrf and the LDL functions); the
errors for bad shapes, dtypes and pivots.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops import linalg_householder, linalg_ldl


def close(actual, expected, rtol=1e-12, atol=1e-13, what=""):
    a = actual.detach().numpy() if hasattr(actual, "detach") else np.asarray(actual)
    e = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def both(*arrays, requires_grad: bool = False):
    c = [cr.tensor(a.copy(), requires_grad=requires_grad) for a in arrays]
    t = [torch.tensor(a.copy(), requires_grad=requires_grad) for a in arrays]
    return c, t


@st.composite
def stacks(draw, square: bool = False, tall: bool = False, max_side: int = 5):
    """(batch…, m, n) float64 matrices: batch of 0–2 axes (some empty), seeded normal draws."""
    batch = tuple(draw(st.lists(st.integers(0 if draw(st.booleans()) else 1, 3), max_size=2)))
    n = draw(st.integers(0 if not (square or tall) else 1, max_side))
    m = n if square else (draw(st.integers(n, max_side + 1)) if tall
                          else draw(st.integers(0, max_side)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(batch + (m, n))


# ------------------------------------------------------------------------------ geqrf
@settings(max_examples=40, deadline=None)
@given(a=stacks())
def test_geqrf_matches_torch_and_lapack(a):
    (ca,), (ta,) = both(a)
    c, t = cr.geqrf(ca), torch.geqrf(ta)
    assert type(c).__name__ == type(t).__name__ == "geqrf" and c._fields == ("a", "tau")
    scale = max(1.0, float(np.abs(a).max(initial=0.0)))
    close(c.a, t.a, atol=1e-14 * scale, what="a")
    close(c.tau, t.tau, atol=1e-14, what="tau")
    reference = linalg_householder._geqrf_reference(a)
    close(c.a, reference[..., :a.shape[-1]], atol=1e-14 * scale, what="a vs numpy raw QR")
    m, n = a.shape[-2:]
    close(c.tau, reference[..., :min(m, n), n], atol=1e-14, what="tau vs numpy raw QR")


def test_geqrf_edge_columns_and_float32():
    # a column already zero below the diagonal: H = I (τ = 0), the column (sign included) kept
    a = np.array([[-2.0, 1.0, 3.0], [0.0, 0.0, 1.0], [0.0, 0.0, 4.0]])
    (ca,), (ta,) = both(a)
    close(cr.geqrf(ca).a, torch.geqrf(ta).a, what="triangular input")
    close(cr.geqrf(ca).tau, torch.geqrf(ta).tau, what="triangular input: tau")
    zero = np.zeros((2, 3, 2))
    close(cr.geqrf(cr.tensor(zero)).tau, torch.geqrf(torch.from_numpy(zero)).tau, what="zeros")
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    c, t = cr.tensor(x).geqrf(), torch.from_numpy(x).geqrf()
    close(c.a, t.a, rtol=1e-5, atol=1e-6, what="float32 a")
    close(c.tau, t.tau, rtol=1e-5, atol=1e-6, what="float32 tau")
    big = np.array([[1e200, 1.0], [1e200, 2.0]])        # ‖column‖² overflows: scaled norm
    close(cr.geqrf(cr.tensor(big)).a, torch.geqrf(torch.from_numpy(big)).a, what="huge column")


def test_geqrf_then_householder_product_is_qr():
    a = np.random.default_rng(2).standard_normal((3, 5, 4))
    q_ref, r_ref = np.linalg.qr(a)
    packed = cr.geqrf(cr.tensor(a))
    q = cr.linalg.householder_product(packed.a, packed.tau).numpy()
    r = np.triu(packed.a.numpy()[..., :4, :])
    np.testing.assert_allclose(q @ r, a, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.abs(q), np.abs(q_ref), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(np.abs(r), np.abs(r_ref), rtol=1e-11, atol=1e-12)


def test_geqrf_has_no_derivative_as_in_torch():
    x = np.random.default_rng(3).standard_normal((3, 2))
    (ca,), (ta,) = both(x, requires_grad=True)
    c, t = cr.geqrf(ca), torch.geqrf(ta)
    assert c.a.requires_grad and c.tau.requires_grad and t.a.requires_grad
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not impl"):
        t.a.sum().backward()
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not impl"):
        c.a.sum().backward()
    with cr.no_grad():
        assert not cr.geqrf(ca).a.requires_grad


@pytest.mark.parametrize("call", [
    lambda L: L.geqrf(L.ones(3, dtype=L.float64)),
    lambda L: L.geqrf(L.ones(2, 2, dtype=L.int64)),
])
def test_geqrf_errors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match="geqrf"):
        call(cr)


# ------------------------------------------------------------------------------ householder_product
@st.composite
def reflectors(draw, empty_ok: bool = False):
    """A (batch…, m, n), m ≥ n ≥ k, and τ (batch…, k): free values (any τ), or geqrf's."""
    a = draw(stacks(tall=True))
    n = a.shape[-1]
    k = draw(st.integers(0 if empty_ok else min(1, n), n))
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    if draw(st.booleans()):
        packed = torch.geqrf(torch.from_numpy(a))
        return packed.a.numpy().copy(), packed.tau.numpy()[..., :k].copy()
    return a, rng.standard_normal(a.shape[:-2] + (k,))


@settings(max_examples=40, deadline=None)
@given(inputs=reflectors(), seed=st.integers(0, 999), form=st.sampled_from(
    ["householder_product", "orgqr", "method"]))
def test_householder_product_values_and_gradients_match_torch(inputs, seed, form):
    a, tau = inputs
    (ca, ct), (ta, tt) = both(a, tau, requires_grad=True)
    if form == "householder_product":
        c, t = cr.linalg.householder_product(ca, ct), torch.linalg.householder_product(ta, tt)
    elif form == "orgqr":
        c, t = cr.orgqr(ca, ct), torch.orgqr(ta, tt)
    else:
        c, t = ca.orgqr(ct), ta.orgqr(tt)
    scale = max(1.0, float(np.abs(t.detach().numpy()).max(initial=0.0)))
    close(c, t, atol=1e-13 * scale, what="Q")
    g = np.random.default_rng(seed).standard_normal(a.shape)
    c.backward(cr.tensor(g))
    t.backward(torch.from_numpy(g))
    for x, y, name in ((ca, ta, "A"), (ct, tt, "tau")):
        if y.grad is None:                  # PyTorch: no gradient for an empty A or τ
            assert x.grad is None, f"{name}: PyTorch gives no gradient"
            continue
        gscale = max(1.0, float(np.abs(y.grad.numpy()).max(initial=0.0)))
        close(x.grad, y.grad, atol=1e-12 * gscale, what=f"gradient of {name}")


def test_householder_product_reference_and_gradcheck():
    rng = np.random.default_rng(5)
    a, tau = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 2))
    q = cr.linalg.householder_product(cr.tensor(a), cr.tensor(tau)).numpy()
    reference = linalg_householder.HouseholderProduct.reference(a, tau)
    np.testing.assert_allclose(q, reference, rtol=1e-12, atol=1e-13)
    assert cr.gradcheck(cr.linalg.householder_product, a, tau)
    assert cr.gradcheck(cr.linalg.householder_product, a[0], tau[0, :1])


def test_householder_product_double_backward_matches_torch():
    rng = np.random.default_rng(6)
    a, tau, g, v = (rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3)),
                    rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3)))
    (ca, ct, cg), (ta, tt, tg) = both(a, tau, g, requires_grad=True)
    c1 = cr.autograd.grad(cr.linalg.householder_product(ca, ct), [ca, ct], cg, create_graph=True)
    t1 = torch.autograd.grad(torch.linalg.householder_product(ta, tt), [ta, tt], tg,
                             create_graph=True)
    c2 = cr.autograd.grad((c1[0] * cr.tensor(v)).sum() + c1[1].sum(), [ca, ct, cg])
    t2 = torch.autograd.grad((t1[0] * torch.from_numpy(v)).sum() + t1[1].sum(), [ta, tt, tg])
    for x, y in zip(list(c1) + list(c2), list(t1) + list(t2)):
        close(x, y, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("shapes", [((3,), (1,)), ((2, 3), (2,)), ((4, 3), (4,)),
                                    ((2, 4, 3), (3, 3)), ((2, 4, 3), (1, 3)), ((2, 4, 3), (3,)),
                                    ((4, 3), ())])
def test_householder_product_shape_errors(shapes):
    a, tau = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises((RuntimeError, IndexError)):
        torch.linalg.householder_product(torch.from_numpy(a), torch.from_numpy(tau))
    with pytest.raises(RuntimeError, match="householder_product"):
        cr.linalg.householder_product(cr.tensor(a), cr.tensor(tau))


def test_householder_product_dtype_errors():
    a = cr.tensor(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="tau dtype"):
        cr.linalg.householder_product(a, cr.tensor(np.ones(2, dtype=np.float32)))
    with pytest.raises(NotImplementedError, match="float32 and float64"):
        cr.orgqr(cr.ones(3, 2, dtype=cr.int64), cr.ones(2, dtype=cr.int64))
    with pytest.raises(TypeError, match="out="):
        cr.linalg.householder_product(a, cr.tensor(np.ones(2)), out=a)


# ------------------------------------------------------------------------------ ormqr
@settings(max_examples=50, deadline=None)
@given(a=stacks(), c=st.integers(0, 3), left=st.booleans(), transpose=st.booleans(),
       seed=st.integers(0, 999), method=st.booleans())
def test_ormqr_values_and_gradients_match_torch(a, c, left, transpose, seed, method):
    m, n = a.shape[-2:]
    rng = np.random.default_rng(seed)
    tau = rng.standard_normal(a.shape[:-2] + (min(m, n),))
    other = rng.standard_normal(a.shape[:-2] + ((m, c) if left else (c, m)))
    (ca, ct, co), (ta, tt, to) = both(a, tau, other, requires_grad=True)
    if method:
        y, ty = (ca.ormqr(ct, co, left=left, transpose=transpose),
                 ta.ormqr(tt, to, left=left, transpose=transpose))
    else:
        y, ty = cr.ormqr(ca, ct, co, left, transpose), torch.ormqr(ta, tt, to, left, transpose)
    scale = max(1.0, float(np.abs(ty.detach().numpy()).max(initial=0.0)))
    close(y, ty, atol=1e-13 * scale, what="ormqr")
    np.testing.assert_allclose(y.detach().numpy(), linalg_householder._ormqr_reference(
        a, tau, other, left, transpose), rtol=1e-11, atol=1e-12 * scale)
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.from_numpy(g))
    for x, t, name in ((ca, ta, "input"), (ct, tt, "tau"), (co, to, "other")):
        if t.grad is None:
            assert x.grad is None, f"{name}: PyTorch gives no gradient"
            continue
        gscale = max(1.0, float(np.abs(t.grad.numpy()).max(initial=0.0)))
        close(x.grad, t.grad, atol=1e-12 * gscale, what=f"gradient of {name}")


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_gradcheck_and_double_backward(left, transpose):
    rng = np.random.default_rng(7)
    a, tau = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3))
    other = rng.standard_normal((2, 4, 2) if left else (2, 2, 4))
    assert cr.gradcheck(lambda x, t, o: cr.ormqr(x, t, o, left, transpose), a, tau, other)
    (ca, ct, co), (ta, tt, to) = both(a, tau, other, requires_grad=True)
    g = rng.standard_normal(other.shape)
    c1 = cr.autograd.grad(cr.ormqr(ca, ct, co, left, transpose), [ca, ct, co], cr.tensor(g),
                          create_graph=True)
    t1 = torch.autograd.grad(torch.ormqr(ta, tt, to, left, transpose), [ta, tt, to],
                             torch.from_numpy(g), create_graph=True)
    c2 = cr.autograd.grad(sum((x * x).sum() for x in c1), [ca, ct, co])
    t2 = torch.autograd.grad(sum((x * x).sum() for x in t1), [ta, tt, to])
    for x, y in zip(list(c1) + list(c2), list(t1) + list(t2)):
        close(x, y, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("a, tau, other, left", [
    ((4,), (1,), (4, 2), True),            # input 1-D
    ((4, 3), (3,), (4,), True),            # other 1-D
    ((4, 3), (3,), (3, 2), True),          # other.shape[-2] != m
    ((4, 3), (3,), (4, 2), False),         # other.shape[-1] != m
    ((4, 3), (2,), (4, 2), True),          # tau too short
    ((4, 3), (4,), (4, 2), True),          # tau too long
    ((2, 4, 3), (3, 3), (2, 4, 2), True),  # tau's batch
    ((2, 4, 3), (3,), (2, 4, 2), True),    # tau's ndim
    ((2, 4, 3), (2, 3), (1, 4, 2), True),  # other's batch (no broadcasting)
    ((4, 3), (3,), (2, 4, 2), True),       # other's ndim
])
def test_ormqr_shape_errors(a, tau, other, left):
    args = [np.ones(s) for s in (a, tau, other)]
    with pytest.raises(RuntimeError):
        torch.ormqr(*[torch.from_numpy(x) for x in args], left=left)
    with pytest.raises(RuntimeError, match="ormqr"):
        cr.ormqr(*[cr.tensor(x) for x in args], left=left)


def test_ormqr_dtype_errors():
    a, tau, other = np.ones((4, 3)), np.ones(3), np.ones((4, 2))
    for i in (1, 2):
        args = [a, tau, other]
        args[i] = args[i].astype(np.float32)
        with pytest.raises(RuntimeError):
            torch.ormqr(*[torch.from_numpy(x) for x in args])
        with pytest.raises(RuntimeError, match="same dtype"):
            cr.ormqr(*[cr.tensor(x) for x in args])


# ------------------------------------------------------------------------------ ldl_factor
@st.composite
def symmetric(draw, max_n: int = 8):
    """(batch…, n, n): general (only the lower triangle is read), symmetric indefinite,
    positive-definite, or small-integer (ties among candidate pivots) matrices."""
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n = draw(st.integers(1, max_n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["general", "symmetric", "spd", "integer"]))
    x = rng.standard_normal(batch + (n, n))
    if kind == "symmetric":
        x = x + np.swapaxes(x, -1, -2)
    elif kind == "spd":
        x = x @ np.swapaxes(x, -1, -2) + 0.1 * np.eye(n)
    elif kind == "integer":
        x = rng.integers(-3, 4, batch + (n, n)).astype(np.float64)
    return x


@settings(max_examples=60, deadline=None)
@given(a=symmetric(), hermitian=st.booleans())
def test_ldl_factor_ex_matches_torch(a, hermitian):
    c = cr.linalg.ldl_factor_ex(cr.tensor(a), hermitian=hermitian)
    t = torch.linalg.ldl_factor_ex(torch.from_numpy(a), hermitian=hermitian)
    assert type(c).__name__ == type(t).__name__ == "linalg_ldl_factor_ex"
    assert c._fields == ("LD", "pivots", "info")
    close(c.pivots, t.pivots, what="pivots")              # exactly: the same 1×1 / 2×2 steps
    close(c.info, t.info, what="info")
    ok = t.info.numpy() == 0
    scale = max(1.0, float(np.abs(t.LD.numpy()).max()))
    np.testing.assert_allclose(c.LD.numpy()[ok], t.LD.numpy()[ok], rtol=1e-10,
                               atol=1e-12 * scale)
    ld, piv, info = linalg_ldl._sytf2_reference(a)      # the one-matrix LAPACK transcription
    np.testing.assert_array_equal(c.LD.numpy(), ld)
    np.testing.assert_array_equal(c.pivots.numpy(), piv)
    np.testing.assert_array_equal(c.info.numpy(), info)


@pytest.mark.parametrize("n", [12, 20, 33, 64, 65, 100])
def test_ldl_factor_larger_matrices_match_torch(n):
    """Past LAPACK's block size (MKL's sytrf then works in panels, rounding otherwise): the
    pivots still agree on continuous random matrices."""
    rng = np.random.default_rng(n)
    a = rng.standard_normal((3, n, n))
    a = a + np.swapaxes(a, -1, -2)
    c, t = cr.linalg.ldl_factor(cr.tensor(a)), torch.linalg.ldl_factor(torch.from_numpy(a))
    close(c.pivots, t.pivots, what="pivots")
    close(c.LD, t.LD, rtol=1e-9, atol=1e-11, what="LD")


def test_ldl_factor_rebuilds_a_and_keeps_float32():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((4, 6, 6))
    a = a + np.swapaxes(a, -1, -2)
    ld, piv = cr.linalg.ldl_factor(cr.tensor(a))
    np.testing.assert_allclose(linalg_ldl._rebuild(ld.numpy(), piv.numpy()), a, rtol=1e-12,
                               atol=1e-12)
    x = a.astype(np.float32)
    c, t = cr.linalg.ldl_factor(cr.tensor(x)), torch.linalg.ldl_factor(torch.from_numpy(x))
    close(c.pivots, t.pivots, what="float32 pivots")
    close(c.LD, t.LD, rtol=1e-4, atol=1e-5, what="float32 LD")


def test_ldl_factor_singular_and_empty():
    zero = np.zeros((2, 3, 3))
    c, t = cr.linalg.ldl_factor_ex(cr.tensor(zero)), torch.linalg.ldl_factor_ex(
        torch.from_numpy(zero))
    for x, y, name in zip(c, t, ("LD", "pivots", "info")):
        close(x, y, what=name)
    rank1 = np.array([[1.0, 2.0], [2.0, 4.0]])            # D[1, 1] = 4 − 2·2 = 0 exactly
    c, t = cr.linalg.ldl_factor_ex(cr.tensor(rank1)), torch.linalg.ldl_factor_ex(
        torch.from_numpy(rank1))
    for x, y, name in zip(c, t, ("LD", "pivots", "info")):
        close(x, y, what="rank 1 " + name)
    # PyTorch 2.13 fails an internal assert here; chainrule raises a LinAlgError naming D's entry
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(torch.from_numpy(rank1))
    with pytest.raises(cr.linalg.LinAlgError, match=r"D\[1, 1\] is exactly zero"):
        cr.linalg.ldl_factor(cr.tensor(rank1))
    with pytest.raises(cr.linalg.LinAlgError, match="batch element 1"):
        cr.linalg.ldl_factor_ex(cr.tensor(np.stack([np.eye(3), zero[0]])), check_errors=True)
    for shape in [(0, 0), (2, 0, 3, 3), (3, 0, 0)]:
        c = cr.linalg.ldl_factor(cr.zeros(*shape, dtype=cr.float64))
        t = torch.linalg.ldl_factor(torch.zeros(*shape, dtype=torch.float64))
        close(c.LD, t.LD, what=f"{shape} LD")
        close(c.pivots, t.pivots, what=f"{shape} pivots")


def test_ldl_has_no_derivative_as_in_torch():
    a = np.random.default_rng(9).standard_normal((3, 3))
    b = np.random.default_rng(10).standard_normal((3, 2))
    for L in (cr, torch):
        x = L.tensor(a, requires_grad=True)
        ld, piv, info = L.linalg.ldl_factor_ex(x)
        assert ld.requires_grad and not piv.requires_grad and not info.requires_grad
        with pytest.raises(RuntimeError,
                           match="derivative for aten::linalg_ldl_factor_ex is not implemented"):
            ld.sum().backward()
        y = L.linalg.ldl_solve(ld.detach(), piv, L.tensor(b, requires_grad=True))
        assert y.requires_grad
        with pytest.raises(RuntimeError,
                           match="derivative for aten::linalg_ldl_solve is not implemented"):
            y.sum().backward()
        assert not L.linalg.ldl_solve(ld.detach(), piv, L.tensor(b)).requires_grad


@pytest.mark.parametrize("call", [
    lambda L: L.linalg.ldl_factor(L.ones(3, dtype=L.float64)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 4, dtype=L.float64)),
    lambda L: L.linalg.ldl_factor(L.ones(3, 3, dtype=L.int64)),
    lambda L: L.linalg.ldl_factor_ex(L.ones(2, 3, dtype=L.float64)),
])
def test_ldl_factor_errors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match="ldl_factor"):
        call(cr)


# ------------------------------------------------------------------------------ ldl_solve
@settings(max_examples=50, deadline=None)
@given(a=symmetric(max_n=6), k=st.integers(1, 3), b_batch=st.sampled_from(
    [None, (), (1,), (2, 1)]), seed=st.integers(0, 999), int64=st.booleans())
def test_ldl_solve_matches_torch(a, k, b_batch, seed, int64):
    n = a.shape[-1]
    t_ld, t_piv, t_info = torch.linalg.ldl_factor_ex(torch.from_numpy(a))
    c_ld, c_piv, _ = cr.linalg.ldl_factor_ex(cr.tensor(a))
    batch = a.shape[:-2] if b_batch is None else b_batch
    try:
        np.broadcast_shapes(a.shape[:-2], batch)
    except ValueError:
        batch = a.shape[:-2]
    b = np.random.default_rng(seed).standard_normal(batch + (n, k))
    if int64:
        t_piv, c_piv = t_piv.long(), c_piv.long()
    out_batch = np.broadcast_shapes(a.shape[:-2], batch)
    x = cr.linalg.ldl_solve(c_ld, c_piv, cr.tensor(b))
    assert tuple(x.shape) == out_batch + (n, k)
    sym = np.broadcast_to(np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2), out_batch + (n, n))
    cond = np.linalg.cond(sym)                            # (out_batch…)
    good = np.broadcast_to((t_info.numpy() == 0), out_batch) & (cond < 1e8)
    if not good.any():
        return
    # (PyTorch 2.13 crashes, segmentation fault, where a batched LD must be broadcast against B:
    # compared with PyTorch only where LD's batch is the result's or LD is a single matrix)
    if a.ndim == 2 or a.shape[:-2] == out_batch:
        tx = torch.linalg.ldl_solve(t_ld, t_piv, torch.from_numpy(b)).numpy()
        assert tx.shape == tuple(x.shape)
        for index in filter(good.__getitem__, np.ndindex(out_batch)):
            scale = float(np.abs(tx[index]).max())
            np.testing.assert_allclose(x.numpy()[index], tx[index], rtol=0,
                                       atol=1e-14 * cond[index] * scale * n)
    lds = np.broadcast_to(c_ld.numpy(), out_batch + (n, n))
    pivs = np.broadcast_to(c_piv.numpy(), out_batch + (n,))
    bs = np.broadcast_to(b, out_batch + (n, k))
    for index in filter(good.__getitem__, np.ndindex(out_batch)):
        ref = linalg_ldl._sytrs_reference(lds[index], pivs[index], bs[index])
        np.testing.assert_allclose(x.numpy()[index], ref, rtol=0,
                                   atol=1e-13 * cond[index] * float(np.abs(ref).max()) * n)


def test_ldl_solve_broadcasts_and_keeps_float32():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 4, 4))
    a = a + np.swapaxes(a, -1, -2) + 8 * np.eye(4)
    for x_a, x_b in [(a, rng.standard_normal((4, 2))), (a[0], rng.standard_normal((2, 4, 1)))]:
        c = cr.linalg.ldl_solve(*cr.linalg.ldl_factor(cr.tensor(x_a)), cr.tensor(x_b))
        t = torch.linalg.ldl_solve(*torch.linalg.ldl_factor(torch.from_numpy(x_a)),
                                   torch.from_numpy(x_b))
        close(c, t, rtol=1e-11, atol=1e-12, what=f"batches {x_a.shape} {x_b.shape}")
    # a batched LD broadcast against B's batch: PyTorch 2.13 crashes (segmentation fault)
    for x_a, x_b in [(a[:1], rng.standard_normal((3, 4, 2))),
                     (a, rng.standard_normal((2, 1, 4, 2)))]:
        c = cr.linalg.ldl_solve(*cr.linalg.ldl_factor(cr.tensor(x_a)), cr.tensor(x_b))
        close(c, np.linalg.solve(x_a, x_b), rtol=1e-11, atol=1e-12,
              what=f"broadcast LD {x_a.shape} {x_b.shape}")
    x32, b32 = a.astype(np.float32), rng.standard_normal((3, 4, 2)).astype(np.float32)
    c = cr.linalg.ldl_solve(*cr.linalg.ldl_factor(cr.tensor(x32)), cr.tensor(b32))
    t = torch.linalg.ldl_solve(*torch.linalg.ldl_factor(torch.from_numpy(x32)),
                               torch.from_numpy(b32))
    close(c, t, rtol=1e-4, atol=1e-5, what="float32")


def _factors(L, n: int = 3):
    a = np.arange(n * n, dtype=np.float64).reshape(n, n) % 5 + 3 * np.eye(n)
    return L.linalg.ldl_factor(L.tensor(a + a.T))


@pytest.mark.parametrize("call", [
    lambda L: L.linalg.ldl_solve(*_factors(L), L.ones(2, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(L.ones(3, 2, dtype=L.float64), _factors(L)[1],
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(L.ones(3, dtype=L.float64), _factors(L)[1],
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(_factors(L)[0], _factors(L)[1].double(),
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(_factors(L)[0], _factors(L)[1][:2],
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(*_factors(L), L.ones(3, 2, dtype=L.float32)),
    lambda L: L.linalg.ldl_solve(_factors(L)[0], _factors(L)[1] * 0 + 7,
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(_factors(L)[0], _factors(L)[1] * 0,
                                 L.ones(3, 2, dtype=L.float64)),
    lambda L: L.linalg.ldl_solve(_factors(L)[0].long(), _factors(L)[1],
                                 L.ones(3, 2, dtype=L.int64)),
])
def test_ldl_solve_errors(call):
    with pytest.raises((RuntimeError, IndexError)):
        call(torch)
    with pytest.raises(RuntimeError):
        call(cr)


def test_vectorised_factorization_runs_on_the_array_api():
    xs = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(12)
    a = rng.standard_normal((3, 5, 5))
    a = a + np.swapaxes(a, -1, -2)
    ld, piv, info = linalg_ldl._sytf2(xs.asarray(a))
    ld0, piv0, info0 = linalg_ldl._sytf2(a)
    np.testing.assert_array_equal(np.from_dlpack(ld), ld0)
    np.testing.assert_array_equal(np.from_dlpack(piv), piv0)
    b = rng.standard_normal((3, 5, 2))
    x = linalg_ldl._sytrs(ld, piv, xs.asarray(b))
    np.testing.assert_array_equal(np.from_dlpack(x), linalg_ldl._sytrs(ld0, piv0, b))
    g = rng.standard_normal((2, 4, 3))
    np.testing.assert_array_equal(np.from_dlpack(linalg_householder._geqrf(xs.asarray(g))),
                                  linalg_householder._geqrf(g))
