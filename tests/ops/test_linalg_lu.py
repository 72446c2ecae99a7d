"""The LU family (chainrule/ops/linalg_lu.py) against PyTorch 2.13 in float64: linalg.lu_factor,
lu_factor_ex, lu, lu_solve, torch.lu_unpack, torch.lu, torch.lu_solve and the Tensor methods.

Values, pivots (int32, 1-based), info and gradients on Hypothesis-drawn batched, square, tall and
wide matrices; pivot=False (which PyTorch computes on CUDA only) against PyTorch's pivoted CPU
result on matrices that partial pivoting leaves unpermuted, and against A = L U elsewhere;
singular matrices (info, the errors of lu_factor); central-difference gradchecks; the errors for
bad shapes and dtypes; the vectorised elimination against the textbook reference.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops import linalg_lu

pytestmark = pytest.mark.filterwarnings("ignore:torch.lu")   # PyTorch's deprecation notes


def close(actual, expected, rtol=1e-9, atol=1e-11, what=""):
    a = actual.detach().numpy() if hasattr(actual, "detach") else np.asarray(actual)
    e = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def both(x: np.ndarray, requires_grad: bool = True):
    return (cr.tensor(x.copy(), requires_grad=requires_grad),
            torch.tensor(x.copy(), requires_grad=requires_grad))


def pivoting_safe(rng, shape, permute: bool = True) -> np.ndarray:
    """Column diagonally dominant in the first min(m, n) columns (margin 1), rows shuffled: the
    pivots are unambiguous, so both libraries choose the same rows."""
    x = rng.uniform(-1, 1, shape)
    m, n = shape[-2:]
    k = min(m, n)
    signs = rng.choice([-1.0, 1.0], size=shape[:-2] + (k,))
    x[..., :k, :k] += (signs * (1.0 + np.abs(x[..., :, :k]).sum(-2)))[..., None, :] * np.eye(k)
    if permute:
        order = rng.permuted(np.broadcast_to(np.arange(m), shape[:-1]), axis=-1)
        x = np.take_along_axis(x, order[..., None], axis=-2)
    return np.ascontiguousarray(x)    # (take_along_axis may give another memory layout)


@st.composite
def matrices(draw, square: bool = False):
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    m = draw(st.integers(1, 5))
    n = m if square else draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["safe", "normal"]))
    if kind == "safe":
        return pivoting_safe(rng, batch + (m, n))
    return rng.standard_normal(batch + (m, n))


# ------------------------------------------------------------------------------ forward, grads
@settings(max_examples=30, deadline=None)
@given(a=matrices(), seed=st.integers(0, 999))
def test_lu_factor_ex_values_and_gradient_match_torch(a, seed):
    ca, ta = both(a)
    c, t = cr.linalg.lu_factor_ex(ca), torch.linalg.lu_factor_ex(ta)
    assert type(c).__name__ == type(t).__name__ == "linalg_lu_factor_ex"
    assert c._fields == ("LU", "pivots", "info")
    close(c.LU, t.LU, what="LU")
    close(c.pivots, t.pivots, what="pivots")
    close(c.info, t.info, what="info")
    g = np.random.default_rng(seed).standard_normal(a.shape)
    c.LU.backward(cr.tensor(g))
    t.LU.backward(torch.from_numpy(g))
    close(ca.grad, ta.grad, rtol=1e-7, atol=1e-9, what="gradient")


@settings(max_examples=30, deadline=None)
@given(a=matrices(), seed=st.integers(0, 999))
def test_linalg_lu_and_lu_unpack_match_torch(a, seed):
    ca, ta = both(a)
    c, t = cr.linalg.lu(ca), torch.linalg.lu(ta)
    assert type(c).__name__ == type(t).__name__ == "linalg_lu" and c._fields == ("P", "L", "U")
    for x, y, name in zip(c, t, "PLU"):
        close(x, y, what=name)
    assert not c.P.requires_grad
    rng = np.random.default_rng(seed)
    gl, gu = rng.standard_normal(tuple(t.L.shape)), rng.standard_normal(tuple(t.U.shape))
    ((c.L * cr.tensor(gl)).sum() + (c.U * cr.tensor(gu)).sum()).backward()
    ((t.L * torch.from_numpy(gl)).sum() + (t.U * torch.from_numpy(gu)).sum()).backward()
    close(ca.grad, ta.grad, rtol=1e-7, atol=1e-9, what="gradient of linalg.lu")

    cb, tb = both(a)
    cu = cr.lu_unpack(*cr.linalg.lu_factor_ex(cb)[:2])
    tu = torch.lu_unpack(*torch.linalg.lu_factor_ex(tb)[:2])
    assert type(cu).__name__ == "lu_unpack" and cu._fields == ("P", "L", "U")
    for x, y, name in zip(cu, tu, "PLU"):
        close(x, y, what="lu_unpack " + name)
    ((cu.L * cr.tensor(gl)).sum() + (cu.U * cr.tensor(gu)).sum()).backward()
    ((tu.L * torch.from_numpy(gl)).sum() + (tu.U * torch.from_numpy(gu)).sum()).backward()
    close(cb.grad, tb.grad, rtol=1e-7, atol=1e-9, what="gradient through lu_unpack")


def test_a_large_batch_matches_torch():
    a = np.random.default_rng(3).standard_normal((3, 70, 60))
    ca, ta = both(a)
    c, t = cr.linalg.lu_factor(ca), torch.linalg.lu_factor(ta)
    close(c.pivots, t.pivots)
    close(c.LU, t.LU, rtol=1e-8, atol=1e-10)
    c.LU.sum().backward()
    t.LU.sum().backward()
    close(ca.grad, ta.grad, rtol=1e-6, atol=1e-8)


def test_double_backward_matches_torch():
    rng = np.random.default_rng(4)
    a = pivoting_safe(rng, (2, 4, 3))
    ca, ta = both(a)
    g, v = rng.standard_normal(a.shape), rng.standard_normal(a.shape)
    cg, tg = both(g)
    (c1,) = cr.autograd.grad(cr.linalg.lu_factor(ca).LU, [ca], cg, create_graph=True)
    (t1,) = torch.autograd.grad(torch.linalg.lu_factor(ta).LU, [ta], tg, create_graph=True)
    close(c1, t1)
    c2 = cr.autograd.grad((c1 * cr.tensor(v)).sum(), [ca, cg])
    t2 = torch.autograd.grad((t1 * torch.from_numpy(v)).sum(), [ta, tg])
    for x, y in zip(c2, t2):
        close(x, y, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------------------ lu_solve
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 3), batches=st.sampled_from(
    [((), ()), ((2,), ()), ((), (3,)), ((2,), (2,)), ((2, 1), (3,)), ((1,), (4, 2))]),
    left=st.booleans(), adjoint=st.booleans(), seed=st.integers(0, 999))
def test_lu_solve_matches_torch(n, k, batches, left, adjoint, seed):
    rng = np.random.default_rng(seed)
    batch_a, batch_b = batches
    a = pivoting_safe(rng, batch_a + (n, n))
    b = rng.standard_normal(batch_b + ((n, k) if left else (k, n)))
    lu, pivots = torch.linalg.lu_factor(torch.from_numpy(a))
    (c_lu, t_lu), (cb, tb) = both(lu.numpy()), both(b)
    x = cr.linalg.lu_solve(c_lu, cr.tensor(pivots.numpy()), cb, left=left, adjoint=adjoint)
    y = torch.linalg.lu_solve(t_lu, pivots, tb, left=left, adjoint=adjoint)
    close(x, y, what="X")
    g = rng.standard_normal(tuple(y.shape))
    x.backward(cr.tensor(g))
    y.backward(torch.from_numpy(g))
    close(c_lu.grad, t_lu.grad, rtol=1e-7, atol=1e-9, what="gradient of LU")
    close(cb.grad, tb.grad, rtol=1e-7, atol=1e-9, what="gradient of B")


def test_lu_solve_double_backward_matches_torch():
    rng = np.random.default_rng(5)
    lu, pivots = torch.linalg.lu_factor(torch.from_numpy(pivoting_safe(rng, (2, 3, 3))))
    b = rng.standard_normal((2, 3, 2))
    for adjoint in (False, True):
        (c_lu, t_lu), (cb, tb) = both(lu.numpy()), both(b)
        x = cr.linalg.lu_solve(c_lu, cr.tensor(pivots.numpy()), cb, adjoint=adjoint)
        y = torch.linalg.lu_solve(t_lu, pivots, tb, adjoint=adjoint)
        g, v1, v2 = (rng.standard_normal(s) for s in (b.shape, lu.shape, b.shape))
        cg, tg = both(g)
        c1 = cr.autograd.grad(x, [c_lu, cb], cg, create_graph=True)
        t1 = torch.autograd.grad(y, [t_lu, tb], tg, create_graph=True)
        cs = (c1[0] * cr.tensor(v1)).sum() + (c1[1] * cr.tensor(v2)).sum()
        ts = (t1[0] * torch.from_numpy(v1)).sum() + (t1[1] * torch.from_numpy(v2)).sum()
        for p, q in zip(cr.autograd.grad(cs, [c_lu, cb, cg]),
                        torch.autograd.grad(ts, [t_lu, tb, tg])):
            close(p, q, rtol=1e-8, atol=1e-10)


def test_deprecated_lu_and_lu_solve_and_tensor_methods():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 2))
    (ca, ta), (cb, tb) = both(a), both(b)
    c, t = cr.lu(ca), torch.lu(ta)
    assert type(c) is tuple and type(t) is tuple and len(c) == 2
    close(c[0], t[0])
    close(c[1], t[1])
    ci, ti = cr.lu(ca, get_infos=True), torch.lu(ta, get_infos=True)
    assert type(ci).__name__ == type(ti).__name__ == "_lu_with_info"
    assert ci._fields == ("LU", "pivots", "info") and ti.info is ti[2]
    close(ci.info, ti.info)
    cm, tm = ca.lu(get_infos=True), ta.lu(get_infos=True)     # the method: a plain tuple
    assert type(cm) is tuple and type(tm) is tuple and len(cm) == 3
    close(cm[2], tm[2])
    x, y = cr.lu_solve(cb, *c), torch.lu_solve(tb, *t)
    close(x, y)
    close(cb.lu_solve(*c), tb.lu_solve(*t))
    (x.sum() + cb.lu_solve(*c).sum()).backward()
    (y.sum() + tb.lu_solve(*t).sum()).backward()
    close(ca.grad, ta.grad, rtol=1e-8, atol=1e-10)
    close(cb.grad, tb.grad, rtol=1e-8, atol=1e-10)


def test_lu_unpack_pivot_shapes():
    """Pivots with extra leading 1s or more than k entries (the first k are read) work as in
    PyTorch; pivots of another batch shape, which PyTorch reads without checking (permuting only
    some of the matrices), raise."""
    rng = np.random.default_rng(11)
    lu = rng.standard_normal((2, 3, 2))
    for m, pivots in ((lu[0], [[1, 3]]), (lu[0], [1, 3, 1]), (lu, [[3, 3], [2, 3]])):
        piv = np.array(pivots, dtype=np.int32)
        c = cr.lu_unpack(cr.tensor(m), cr.tensor(piv))
        t = torch.lu_unpack(torch.tensor(m), torch.tensor(piv))
        for x, y in zip(c, t):
            close(x, y, what=str(pivots))
    for pivots in ([2, 3], [[[3, 2]], [[1, 2]]]):
        with pytest.raises(RuntimeError, match=r"lu_unpack: expected LU_pivots of shape \(2, 2\)"):
            cr.lu_unpack(cr.tensor(lu), cr.tensor(np.array(pivots, dtype=np.int32)))


def test_tensor_methods_are_those_pytorch_has():
    for name in ("lu", "lu_solve", "lu_unpack", "lu_factor", "lu_factor_ex"):
        assert hasattr(cr.Tensor, name) == hasattr(torch.Tensor, name), name


# ------------------------------------------------------------------------------ pivot=False
@settings(max_examples=20, deadline=None)
@given(a=matrices().filter(lambda a: True), seed=st.integers(0, 999))
def test_pivot_false_equals_pivoted_lu_where_no_row_moves(a, seed):
    rng = np.random.default_rng(seed)
    a = pivoting_safe(rng, a.shape, permute=False)
    ca, ta = both(a)
    c, t = cr.linalg.lu_factor(ca, pivot=False), torch.linalg.lu_factor(ta)
    k = min(a.shape[-2:])
    np.testing.assert_array_equal(t.pivots.numpy(), np.broadcast_to(np.arange(1, k + 1),
                                                                   a.shape[:-2] + (k,)))
    close(c.LU, t.LU)
    close(c.pivots, t.pivots)
    g = rng.standard_normal(a.shape)
    c.LU.backward(cr.tensor(g))
    t.LU.backward(torch.from_numpy(g))
    close(ca.grad, ta.grad, rtol=1e-7, atol=1e-9)


def test_pivot_false_factors_without_permuting():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 4, 3))
    p, low, up = cr.linalg.lu(cr.tensor(a), pivot=False)
    assert tuple(p.shape) == (0,) and p.dtype == np.float64        # PyTorch (CUDA): empty P
    np.testing.assert_allclose((low @ up).numpy(), a, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.triu(low.numpy()[..., :3, :3], 1), 0)
    np.testing.assert_array_equal(np.diagonal(low.numpy(), 0, -2, -1), 1)
    lu, pivots, info = cr.linalg.lu_factor_ex(cr.tensor(a), pivot=False)
    np.testing.assert_array_equal(pivots.numpy(), [[1, 2, 3]] * 2)
    assert pivots.dtype == np.int32 and info.dtype == np.int32
    pp, _, _ = cr.lu_unpack(lu, pivots)
    np.testing.assert_array_equal(pp.numpy(), np.broadcast_to(np.eye(4), (2, 4, 4)))


def test_pivot_false_with_a_zero_pivot_reports_it():
    a = np.array([[0.0, 1.0], [1.0, 1.0]])
    lu, _, info = cr.linalg.lu_factor_ex(cr.tensor(a), pivot=False)
    assert int(info) == 1
    assert not np.isfinite(lu.numpy()).all()      # the unpivoted LU does not exist
    with pytest.raises(RuntimeError, match=r"lu_factor: U\[1,1\] is zero"):
        cr.linalg.lu_factor(cr.tensor(a), pivot=False)
    assert int(cr.linalg.lu_factor_ex(cr.tensor(a)).info) == 0   # pivoting avoids it


# ------------------------------------------------------------------------------ singular
SINGULAR = [
    np.array([[1.0, 2.0], [2.0, 4.0]]),
    np.zeros((3, 3)),
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]),
    np.array([[0.0, 1.0], [0.0, 2.0]]),
    np.ones((2, 3, 2)),
    np.array([[2.0, 1.0, 1.0], [4.0, 2.0, 2.0], [1.0, 0.0, 3.0], [0.0, 0.0, 0.0]]),
]


@pytest.mark.parametrize("a", SINGULAR, ids=lambda a: str(a.shape))
def test_singular_matrices_info_and_factors_match_torch(a):
    c, t = cr.linalg.lu_factor_ex(cr.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(c.LU.numpy(), t.LU.numpy())
    np.testing.assert_array_equal(c.pivots.numpy(), t.pivots.numpy())
    np.testing.assert_array_equal(c.info.numpy(), t.info.numpy())
    assert (c.info.numpy() > 0).any()
    for x, y in zip(cr.linalg.lu(cr.tensor(a)), torch.linalg.lu(torch.tensor(a))):  # no error
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    with pytest.raises(RuntimeError) as ours:
        cr.linalg.lu_factor(cr.tensor(a))
    with pytest.raises(RuntimeError) as theirs:
        torch.linalg.lu_factor(torch.tensor(a))
    assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, cr.linalg.LinAlgError)
    with pytest.raises(RuntimeError, match="lu_factor_ex"):
        cr.linalg.lu_factor_ex(cr.tensor(a), check_errors=True)


def test_singular_batch_element_is_named():
    a = np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 4.0]])])
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): U\[2,2\] is zero"):
        cr.linalg.lu_factor(cr.tensor(a))
    info = cr.lu(cr.tensor(a), get_infos=True).info
    np.testing.assert_array_equal(info.numpy(), [0, 2])


def test_lu_solve_with_a_singular_factor_is_not_finite_like_torch():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    b = np.ones((2, 1))
    c = cr.linalg.lu_factor_ex(cr.tensor(a))
    t = torch.linalg.lu_factor_ex(torch.tensor(a))
    x = cr.linalg.lu_solve(c.LU, c.pivots, cr.tensor(b)).numpy()
    y = torch.linalg.lu_solve(t.LU, t.pivots, torch.tensor(b)).numpy()
    np.testing.assert_array_equal(np.isfinite(x), np.isfinite(y))
    assert not np.isfinite(x).all()


def test_empty_shapes_match_torch():
    for shape in [(0, 3, 2), (3, 0), (2, 0, 3), (0, 0)]:
        a = np.zeros(shape)
        c, t = cr.linalg.lu_factor_ex(cr.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
        for x, y in zip(c, t):
            assert tuple(x.shape) == tuple(y.shape) and x.dtype == y.numpy().dtype, shape
        for x, y in zip(cr.linalg.lu(cr.tensor(a)), torch.linalg.lu(torch.tensor(a))):
            assert tuple(x.shape) == tuple(y.shape), shape
            np.testing.assert_array_equal(x.numpy(), y.numpy())


# ------------------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 3), (3, 5), (1, 1)])
@pytest.mark.parametrize("pivot", [True, False])
def test_gradcheck_lu_factor_and_lu(shape, pivot):
    a = pivoting_safe(np.random.default_rng(8), shape, permute=pivot)
    assert cr.gradcheck(lambda x: cr.linalg.lu_factor(x, pivot=pivot).LU, a)
    assert cr.gradcheck(lambda x: cr.linalg.lu(x, pivot=pivot).L, a)
    assert cr.gradcheck(lambda x: cr.linalg.lu(x, pivot=pivot).U, a)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_gradcheck_lu_solve(left, adjoint):
    rng = np.random.default_rng(9)
    lu, pivots = cr.linalg.lu_factor(cr.tensor(pivoting_safe(rng, (2, 3, 3))))
    b = rng.standard_normal((2, 3, 2) if left else (2, 2, 3))
    assert cr.gradcheck(lambda m, r: cr.linalg.lu_solve(m, pivots, r, left=left,
                                                         adjoint=adjoint), lu.numpy(), b)
    # through the factorization too
    a = pivoting_safe(rng, (3, 3))
    assert cr.gradcheck(lambda m, r: cr.linalg.lu_solve(*cr.linalg.lu_factor(m), r, left=left,
                                                         adjoint=adjoint), a, b[0])


def test_gradcheck_lu_unpack():
    rng = np.random.default_rng(10)
    lu = rng.standard_normal((2, 4, 3))
    pivots = cr.tensor(np.array([[2, 4, 3], [1, 2, 3]], dtype=np.int32))
    assert cr.gradcheck(lambda m: cr.lu_unpack(m, pivots).L, lu)
    assert cr.gradcheck(lambda m: cr.lu_unpack(m, pivots).U, lu)


# ------------------------------------------------------------------------------ errors
def test_errors_name_the_operation_and_the_shapes():
    a2 = cr.tensor(np.eye(3))
    lu, pivots = cr.linalg.lu_factor(a2)
    cases = [
        (lambda: cr.linalg.lu_factor(cr.tensor(np.ones(3))), r"lu_factor.*\[3\]"),
        (lambda: cr.linalg.lu(cr.tensor(np.ones(3))), r"linalg\.lu.*\[3\]"),
        (lambda: cr.linalg.lu_factor(cr.tensor(np.ones((2, 2), dtype=np.int64))),
         r"lu_factor.*int64"),
        (lambda: cr.linalg.lu_solve(lu, pivots, cr.tensor(np.ones(3))),
         r"lu_solve.*B.*\(3,\)"),
        (lambda: cr.linalg.lu_solve(lu, pivots, cr.tensor(np.ones((4, 2)))),
         r"lu_solve.*AX = B \(3x3 and 4x2\)"),
        (lambda: cr.linalg.lu_solve(lu, pivots, cr.tensor(np.ones((2, 4))), left=False),
         r"lu_solve.*XA = B \(3x3 and 2x4\)"),
        (lambda: cr.linalg.lu_solve(lu[:, :2], pivots, cr.tensor(np.ones((3, 2)))),
         r"lu_solve.*3 by 2"),
        (lambda: cr.linalg.lu_solve(lu, pivots.long(), cr.tensor(np.ones((3, 2)))),
         r"lu_solve.*int32"),
        (lambda: cr.linalg.lu_solve(lu, pivots[:2], cr.tensor(np.ones((3, 2)))),
         r"lu_solve.*pivots with shape \(2,\)"),
        (lambda: cr.linalg.lu_solve(lu, pivots * 0, cr.tensor(np.ones((3, 2)))),
         r"lu_solve.*between 1 and"),
        (lambda: cr.linalg.lu_solve(lu, pivots, cr.tensor(np.ones((3, 2), np.float32))),
         r"lu_solve.*same dtype"),
        (lambda: cr.linalg.lu_solve(cr.tensor(np.ones((2, 3, 3))), cr.tensor(
            np.ones((2, 3), np.int32)), cr.tensor(np.ones((3, 3, 1)))), r"lu_solve.*broadcast"),
        (lambda: cr.lu_unpack(cr.tensor(np.ones(3)), pivots), r"lu_unpack.*\[3\]"),
        (lambda: cr.lu_unpack(lu, pivots.long()), r"lu_unpack.*int32"),
        (lambda: cr.lu_unpack(lu, pivots[:1]), r"lu_unpack.*\(1,\)"),
        (lambda: cr.lu_unpack(lu, pivots + 5), r"lu_unpack.*between 1 and"),
        (lambda: cr.linalg.lu_factor(a2, out=a2), r"lu_factor"),
    ]
    for fn, pattern in cases:
        with pytest.raises((RuntimeError, TypeError), match=pattern):
            fn()


def test_pytorch_raises_where_chainrule_does():
    """The error cases above are errors in PyTorch too (the messages may differ)."""
    t = torch.eye(3, dtype=torch.float64)
    lu, pivots = torch.linalg.lu_factor(t)
    for fn in [lambda: torch.linalg.lu_factor(torch.ones(3)),
               lambda: torch.linalg.lu_solve(lu, pivots, torch.ones(3, dtype=torch.float64)),
               lambda: torch.linalg.lu_solve(lu, pivots.long(), torch.ones(3, 2).double()),
               lambda: torch.linalg.lu_solve(lu, pivots[:2], torch.ones(3, 2).double()),
               lambda: torch.linalg.lu_solve(lu, pivots * 0, torch.ones(3, 2).double()),
               lambda: torch.lu_unpack(lu, pivots.long()),
               lambda: torch.lu_unpack(lu, pivots + 5)]:
        with pytest.raises(RuntimeError):
            fn()


# ------------------------------------------------------------------------------ the reference
@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 5), n=st.integers(1, 5),
       pivot=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_vectorised_elimination_equals_the_textbook_reference(batch, m, n, pivot, seed):
    """Integer matrices (ties among the candidate pivots, singular ones): the whole-array
    elimination makes the same choices and the same arithmetic as the loop, bit for bit."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, tuple(batch) + (m, n)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = linalg_lu._getrf_reference(a, pivot)
    got = linalg_lu._getrf(a, pivot)
    np.testing.assert_array_equal(got, expected)
