"""scatter, scatter_add, scatter_reduce, index_*, masked_*, take, put, nonzero, where against
PyTorch in float64 on drawn shapes (0-d, empty and size-1 dims, negative dims), and gradcheck."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

from ._util import array, int_array, pair, same, same_grads, shapes


def _dim_and_index(data, shape):
    """A (negative or positive) dim and an int64 index no larger than ``shape`` elsewhere."""
    nd = max(len(shape), 1)
    dim = data.draw(st.integers(-nd, nd - 1))
    d = dim % nd
    if not shape:
        return dim, np.zeros((), dtype=np.int64)
    ishape = tuple(data.draw(st.integers(0, s)) if a != d else data.draw(st.integers(0, 3))
                   for a, s in enumerate(shape))
    high = max(shape[d], 1)
    idx = int_array(data, ishape, 0, high) if shape[d] else np.zeros(
        tuple(0 if a == d else s for a, s in enumerate(ishape)), dtype=np.int64)
    return dim, idx.astype(np.int64)


@given(st.data())
def test_scatter_add_and_scatter_match_torch(data):
    shape = data.draw(shapes())
    dim, idx = _dim_and_index(data, shape)
    x, tx = pair(array(data, shape))
    s, ts = pair(array(data, idx.shape))
    out, tout = cr.scatter_add(x, dim, cr.tensor(idx), s), torch.scatter_add(
        tx, dim, torch.tensor(idx), ts)
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])
    # scatter with distinct targets along dim (a permutation's first rows), so it is defined
    if idx.ndim and idx.size and shape[dim % idx.ndim] >= idx.shape[dim % idx.ndim]:
        d = dim % idx.ndim
        keys = np.random.default_rng(0).random(tuple(s if a != d else shape[d]
                                                     for a, s in enumerate(idx.shape)))
        uniq = np.take(np.argsort(keys, axis=d), np.arange(idx.shape[d]), axis=d)
        x2, tx2 = pair(array(data, shape))
        s2, ts2 = pair(array(data, idx.shape))
        out = cr.scatter(x2, dim, cr.tensor(uniq), s2)
        tout = torch.scatter(tx2, dim, torch.tensor(uniq), ts2)
        same(out, tout)
        same_grads(out, tout, [x2, s2], [tx2, ts2])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@given(data=st.data())
def test_scatter_reduce_matches_torch(reduce, include_self, data):
    shape = data.draw(shapes(1, 3, 1, 4))
    dim, idx = _dim_and_index(data, shape)
    xa, sa = array(data, shape), array(data, idx.shape)
    if not include_self and reduce in ("amax", "amin"):
        # an excluded self value equal to the chosen src value: PyTorch still counts self among
        # the ties and halves src's gradient; chainrule gives src the whole gradient (see the
        # test below), so such draws are moved apart here
        sa = np.where(np.isin(sa, xa), sa + 0.5, sa)
    x, tx = pair(xa)
    s, ts = pair(sa)
    out = cr.scatter_reduce(x, dim, cr.tensor(idx), s, reduce, include_self=include_self)
    tout = torch.scatter_reduce(tx, dim, torch.tensor(idx), ts, reduce, include_self=include_self)
    same(out, tout, rtol=1e-9)
    same_grads(out, tout, [x, s], [tx, ts])


def test_scatter_reduce_excluded_self_takes_no_share_of_a_tie():
    """include_self=False: self is not one of the reduced values, so a src value equal to it wins
    the whole gradient (Σ gradients = g). PyTorch counts the excluded self as a tie and gives
    src g/2 — a deliberate difference (docs/pytorch.md)."""
    x = cr.tensor([0.25, 1.0], dtype=cr.float64, requires_grad=True)
    s = cr.tensor([0.25], dtype=cr.float64, requires_grad=True)
    out = cr.scatter_reduce(x, 0, cr.tensor([0]), s, "amax", include_self=False)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [0.25, 1.0])
    np.testing.assert_array_equal(s.grad.numpy(), [1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_scatter_reduce_ties_share_the_gradient():
    x, tx = pair(np.array([1.0, 5.0, 2.0]))
    s, ts = pair(np.array([5.0, 3.0, 5.0]))
    idx = np.array([1, 2, 1])
    out = cr.scatter_reduce(x, 0, cr.tensor(idx), s, "amax")
    tout = torch.scatter_reduce(tx, 0, torch.tensor(idx), ts, "amax")
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])


def test_scatter_reduce_prod_with_zeros():
    x, tx = pair(np.array([2.0, 0.0, 3.0]))
    s, ts = pair(np.array([0.0, 4.0, 0.5, 0.0]))
    idx = np.array([0, 1, 2, 2])
    out = cr.scatter_reduce(x, 0, cr.tensor(idx), s, "prod")
    tout = torch.scatter_reduce(tx, 0, torch.tensor(idx), ts, "prod")
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin", "prod", "sum", "mean"])
def test_scatter_reduce_with_special_values_matches_torch(reduce, include_self):
    """±∞, NaN and zeros among self and src: the values exact (not ∞ − ∞ from the gradient's
    construction) and the gradients PyTorch's (NaN shared among no tie, result/factor for prod)."""
    nan, inf = np.nan, np.inf
    src = np.array([[1.0, nan, 3.0, 2.0, 0.0, 0.5], [inf, 0.0, -inf, 1.0, 0.0, 5.0],
                    [2.0, 3.0, 0.0, 1.5, 0.25, -1.0]])
    base = np.array([[0.5, 2.0, 0.0, -3.0, 4.0, 1.0]])
    index = np.zeros((3, 6), dtype=np.int64)
    results = []
    for lib in (torch, cr):
        s, b = lib.tensor(src, requires_grad=True), lib.tensor(base, requires_grad=True)
        y = b.scatter_reduce(0, lib.tensor(index), s, reduce, include_self=include_self)
        y.backward(lib.tensor(np.arange(1.0, 7.0)[None]))
        results.append((y.detach().numpy(), s.grad.numpy(), b.grad.numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, equal_nan=True)


@given(st.data())
def test_index_select_add_copy_fill(data):
    shape = data.draw(shapes(1, 3))
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    n = shape[dim]
    k = data.draw(st.integers(0, 3))
    idx = int_array(data, (k,), 0, max(n, 1)) if n else np.zeros(0, np.int64)
    x, tx = pair(array(data, shape))
    out, tout = cr.index_select(x, dim, cr.tensor(idx)), torch.index_select(
        tx, dim, torch.tensor(idx))
    same(out, tout)
    same_grads(out, tout, [x], [tx])
    src_shape = list(shape)
    src_shape[dim] = len(idx)
    x, tx = pair(array(data, shape))
    s, ts = pair(array(data, tuple(src_shape)))
    out = cr.index_add(x, dim, cr.tensor(idx), s, alpha=-0.5)
    tout = torch.index_add(tx, dim, torch.tensor(idx), ts, alpha=-0.5)
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])
    uniq = np.unique(idx)
    src_shape[dim] = len(uniq)
    x, tx = pair(array(data, shape))
    s, ts = pair(array(data, tuple(src_shape)))
    out = cr.index_copy(x, dim, cr.tensor(uniq), s)
    tout = torch.index_copy(tx, dim, torch.tensor(uniq), ts)
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])
    out, tout = x.index_fill(dim, cr.tensor(idx), 2.0), tx.index_fill(dim, torch.tensor(idx), 2.0)
    same(out, tout)


@given(st.data())
def test_masked_fill_select_scatter(data):
    shape = data.draw(shapes())
    mshape = shape[data.draw(st.integers(0, len(shape))):]
    mask = int_array(data, mshape, 0, 2).astype(bool)
    x, tx = pair(array(data, shape))
    v, tv = pair(array(data, ()))
    out = cr.masked_fill(x, cr.tensor(mask), v)
    tout = torch.masked_fill(tx, torch.tensor(mask), tv)
    same(out, tout)
    same_grads(out, tout, [x, v], [tx, tv])
    x, tx = pair(array(data, shape))
    out, tout = cr.masked_select(x, cr.tensor(mask)), torch.masked_select(tx, torch.tensor(mask))
    same(out, tout)
    same_grads(out, tout, [x], [tx])
    x, tx = pair(array(data, shape))
    s, ts = pair(array(data, (int(np.prod(shape)) + 1,)))
    out = cr.masked_scatter(x, cr.tensor(mask), s)
    tout = torch.masked_scatter(tx, torch.tensor(mask), ts)
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])


@given(st.data())
def test_take_put_nonzero_where(data):
    shape = data.draw(shapes())
    n = int(np.prod(shape))
    idx = int_array(data, data.draw(shapes(0, 2)), -n, n) if n else np.zeros(0, np.int64)
    x, tx = pair(array(data, shape))
    out, tout = cr.take(x, cr.tensor(idx)), torch.take(tx, torch.tensor(idx))
    same(out, tout)
    same_grads(out, tout, [x], [tx])
    x, tx = pair(array(data, shape))
    s, ts = pair(array(data, idx.shape))
    out = cr.put(x, cr.tensor(idx), s, accumulate=True)
    tout = torch.put(tx, torch.tensor(idx), ts, accumulate=True)
    same(out, tout)
    same_grads(out, tout, [x, s], [tx, ts])
    m = int_array(data, shape, -1, 2)
    same(cr.nonzero(cr.tensor(m)), torch.nonzero(torch.tensor(m)))
    for a, e in zip(cr.where(cr.tensor(m)), torch.where(torch.tensor(m))):
        same(a, e)
    same(cr.count_nonzero(cr.tensor(m)), torch.count_nonzero(torch.tensor(m)))


def test_gradcheck_composites():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    s = cr.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    idx = cr.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])
    assert cr.gradcheck(lambda a, b: cr.scatter_add(a, 0, idx, b), x, s)
    assert cr.gradcheck(lambda a, b: cr.scatter_reduce(a, 0, idx, b, "mean"), x, s)
    assert cr.gradcheck(lambda a, b: cr.scatter_reduce(a, 0, idx, b, "amax"), x, s)
    assert cr.gradcheck(lambda a, b: cr.scatter_reduce(a, 0, idx, b, "prod"), x, s)
    assert cr.gradcheck(lambda a: cr.masked_fill(a, a > 0, 0.5), x)
    s3 = cr.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert cr.gradcheck(lambda a, b: cr.index_add(a, 1, cr.tensor([0, 3, 0]), b), x, s3)
    assert cr.gradcheck(lambda a, b: cr.masked_scatter(a, a > 0, b), x, s3)


def test_scatter_add_double_backward():
    x, tx = pair(np.random.default_rng(1).standard_normal((3, 2)))
    idx = np.array([[0, 1], [0, 0]])
    y = cr.scatter_add(x * x, 0, cr.tensor(idx), x[:2] ** 3)
    ty = torch.scatter_add(tx * tx, 0, torch.tensor(idx), tx[:2] ** 3)
    (g,) = cr.autograd.grad(y.sum(), x, create_graph=True) if hasattr(cr, "autograd") and \
        hasattr(cr.autograd, "grad") else (None,)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    if g is None:
        pytest.skip("chainrule.autograd.grad is not available")
    same(g, tg)
    g.sum().backward()
    tg.sum().backward()
    same(x.grad, tx.grad)


def test_errors_name_the_op():
    x = cr.zeros(3, 4)
    with pytest.raises(RuntimeError, match="scatter_add"):
        cr.scatter_add(x, 0, cr.tensor([[0.0]]), x)
    with pytest.raises(IndexError, match="index_select"):
        cr.index_select(x, 1, cr.tensor([4]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        cr.scatter(x, 2, cr.tensor([[0]]), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill"):
        cr.masked_fill(x, cr.tensor([True]), cr.tensor([1.0, 2.0]))
