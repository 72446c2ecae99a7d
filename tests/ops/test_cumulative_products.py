"""Cumulative operations and products against PyTorch 2.13 in float64: values, dtypes, return
types and gradients on Hypothesis-drawn shapes and dims (0-d, empty and size-1 dims included),
cumprod's gradient with zeros (first and second order), and einsum's forms.
"""
from __future__ import annotations

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd.functional import grad as cr_grad

from .test_math import check


def both(x: np.ndarray):
    return cr.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)


def backward_both(c_out, t_out, seed: int = 0):
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    c_out.backward(g)
    t_out.backward(torch.from_numpy(g))


@st.composite
def shape_and_dim(draw):
    shape = draw(S.shapes(0, 3, max_side=5, large=False) | st.sampled_from([(0,), (2, 0)]))
    ndim = max(len(shape), 1)
    return shape, draw(st.integers(-ndim, ndim - 1))


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp"])
@settings(max_examples=25)
@given(sd=shape_and_dim(), seed=st.integers(0, 999), zeros=st.booleans())
def test_scans_match_torch(name, sd, seed, zeros):
    shape, dim = sd
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)
    if zeros and name == "cumprod":
        x = np.where(rng.random(shape) < 0.3, 0.0, x)
    cx, tx = both(x)
    out, ref = getattr(cr, name)(cx, dim), getattr(torch, name)(tx, dim)
    check(out, ref)
    check(getattr(cx, name)(dim), getattr(tx, name)(dim))
    backward_both(out, ref, seed)
    check(cx.grad, tx.grad, rtol=1e-9)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@settings(max_examples=25)
@given(sd=shape_and_dim(), seed=st.integers(0, 999), ties=st.booleans())
def test_running_extremes_match_torch(name, sd, seed, ties):
    shape, dim = sd
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    cx, tx = both(x)
    out, ref = getattr(cr, name)(cx, dim), getattr(torch, name)(tx, dim)
    assert type(out).__name__ == name and out._fields == ("values", "indices")
    check(out.values, ref.values)
    check(out.indices, ref.indices)
    backward_both(out.values, ref.values, seed)
    check(cx.grad, tx.grad)


def test_cumprod_gradient_with_zeros_is_exact():
    rng = np.random.default_rng(1)
    for pattern in ([0, 1, 1, 1], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]):
        x = rng.uniform(0.5, 1.5, (3, 4)) * np.array(pattern)
        cx, tx = both(x)
        assert cr.gradcheck(lambda t: cr.cumprod(t, 1), cx)
        backward_both(cr.cumprod(cx, 1), torch.cumprod(tx, 1))
        check(cx.grad, tx.grad)


def test_cumprod_and_logcumsumexp_second_order_match_torch():
    x = np.array([[0.7, 0.0, 1.3, -0.4], [1.1, -0.9, 0.0, 0.0]])
    v = np.random.default_rng(0).standard_normal(x.shape)
    for name in ("cumprod", "logcumsumexp"):
        cx, tx = both(x)
        (gc,) = cr_grad((getattr(cr, name)(cx, 1) * cr.tensor(v)).sum(), [cx], create_graph=True)
        (gt,) = torch.autograd.grad((getattr(torch, name)(tx, 1) * torch.from_numpy(v)).sum(),
                                    [tx], create_graph=True)
        (hc,) = cr_grad((gc * gc).sum(), [cx])
        (ht,) = torch.autograd.grad((gt * gt).sum(), [tx])
        check(hc, ht, rtol=1e-9)


def test_logcumsumexp_is_stable():
    x = np.array([-1000.0, 0.0, 1000.0, -np.inf, 5.0])
    cx, tx = both(x)
    out, ref = cr.logcumsumexp(cx, 0), torch.logcumsumexp(tx, 0)
    check(out, ref)
    backward_both(out, ref)
    check(cx.grad, tx.grad)


def test_cumsum_dtypes():
    for dtype in ("int8", "int32", "int64", "uint8", "bool"):
        x = np.array([1, 0, 1, 1]).astype(dtype)
        check(cr.cumsum(cr.tensor(x), 0), torch.cumsum(torch.from_numpy(x), 0))
        check(cr.cumprod(cr.tensor(x), 0), torch.cumprod(torch.from_numpy(x), 0))
    x = np.array([1.5, 2.5])
    check(cr.cumsum(cr.tensor(x), 0, dtype=cr.float32),
          torch.cumsum(torch.from_numpy(x), 0, dtype=torch.float32))
    with pytest.raises(IndexError):
        cr.cumsum(cr.tensor(x), 1)


# ------------------------------------------------------------------------------ products
@settings(max_examples=25)
@given(n=st.integers(0, 4), k=st.integers(0, 4), m=st.integers(0, 4), b=st.integers(1, 3),
       seed=st.integers(0, 999), beta=st.sampled_from([0, 1, 0.5]),
       alpha=st.sampled_from([1, 2.0, -1]))
def test_matrix_products_match_torch(n, k, m, b, seed, beta, alpha):
    rng = np.random.default_rng(seed)
    A, B, v, w = (rng.standard_normal(s) for s in ((n, k), (k, m), (k,), (n,)))
    BA, BB, C = (rng.standard_normal(s) for s in ((b, n, k), (b, k, m), (n, m)))
    programs = [
        (lambda L, a, c: L.mm(a, c), [A, B]),
        (lambda L, a, c: L.bmm(a, c), [BA, BB]),
        (lambda L, a, c: L.mv(a, c), [A, v]),
        (lambda L, a, c: L.dot(a, c), [v, v * 2]),
        (lambda L, a, c: L.outer(a, c), [w, v]),
        (lambda L, a, c: L.inner(a, c), [A, v]),
        (lambda L, c, a, d: L.addmm(c, a, d, beta=beta, alpha=alpha), [C, A, B]),
        (lambda L, c, a, d: L.addmm(c, a, d, beta=beta, alpha=alpha), [C[:1], A, B]),
        (lambda L, c, a, d: L.baddbmm(c, a, d, beta=beta, alpha=alpha), [C, BA, BB]),
        (lambda L, c, a, d: L.addbmm(c, a, d, beta=beta, alpha=alpha), [C, BA, BB]),
        (lambda L, c, a, d: L.addmv(c, a, d, beta=beta, alpha=alpha), [w, A, v]),
        (lambda L, c, a, d: L.addr(c, a, d, beta=beta, alpha=alpha), [A, w, v]),
        (lambda L, a: L.trace(a), [A]),
        (lambda L, a, c: L.kron(a, c), [A, v]),
        (lambda L, a, c: L.tensordot(a, c, dims=1), [A, B]),
        (lambda L, a, c: L.tensordot(a, c, dims=([2, 0], [1, 2])), [BA, BB.transpose(2, 1, 0)]),
    ]
    for program, arrays in programs:
        pairs = [both(np.ascontiguousarray(a)) for a in arrays]
        out = program(cr, *[p[0] for p in pairs])
        ref = program(torch, *[p[1] for p in pairs])
        check(out, ref, rtol=1e-9)
        backward_both(out, ref, seed)
        for c, t in pairs:
            check(c.grad if c.grad is not None else cr.zeros_like(c), t.grad, rtol=1e-9)


EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(4, 4)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("iij->j", [(2, 2, 3)]), ("ij,ij,ij->j", [(2, 3), (2, 3), (2, 3)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 2), (2, 3)]), ("i->", [(0,)]), ("ij,j", [(0, 3), (3,)]),
    ("Ab,bC->AC", [(2, 3), (3, 2)]), ("", [()]), (",->", [(), ()]), ("i,->i", [(3,), ()]),
    ("ijk->kji", [(2, 1, 3)]), ("ij,kj->ik", [(2, 3), (1, 3)]),
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_einsum_matches_torch(equation, shapes):
    rng = np.random.default_rng(0)
    pairs = [both(rng.standard_normal(s)) for s in shapes]
    out = cr.einsum(equation, *[p[0] for p in pairs])
    ref = torch.einsum(equation, *[p[1] for p in pairs])
    check(out, ref, rtol=1e-9)
    backward_both(out, ref)
    for c, t in pairs:
        check(c.grad, t.grad, rtol=1e-9)


def test_einsum_double_backward_and_errors():
    rng = np.random.default_rng(2)
    a, b = (cr.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (3, 2)))
    assert cr.gradcheck(lambda x, y: cr.einsum("ij,jk->ik", x, y) ** 2, a, b)
    (ga,) = cr_grad((cr.einsum("ij,jk->ik", a, b) ** 2).sum(), [a], create_graph=True)
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(),
                                                                       requires_grad=True)
    (gt,) = torch.autograd.grad((torch.einsum("ij,jk->ik", ta, tb) ** 2).sum(), [ta],
                                create_graph=True)
    (hc,) = cr_grad(ga.sum(), [b])
    (ht,) = torch.autograd.grad(gt.sum(), [tb])
    check(hc, ht)
    with pytest.raises(ValueError):
        cr.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError):
        cr.einsum("ij,jk->ik", a, a)


def test_product_shape_errors_name_the_op():
    a = cr.ones(2, 3)
    for fn, args in ((cr.mm, (a, a)), (cr.bmm, (a, a)), (cr.mv, (a, cr.ones(2))),
                     (cr.dot, (cr.ones(2), cr.ones(3))), (cr.outer, (a, a)),
                     (cr.trace, (cr.ones(3),))):
        with pytest.raises(RuntimeError, match=fn.__name__):
            fn(*args)
