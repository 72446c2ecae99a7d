"""select_scatter, slice_scatter, diagonal_scatter, diagflat, narrow_copy, split_with_sizes,
adjoint/H/mH, nonzero_static and the real-tensor conj family against PyTorch 2.13 in float64:
values, dtypes, gradients of both inputs on Hypothesis-drawn shapes and positions, central
differences, and PyTorch's errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd.gradcheck import gradcheck

from .test_math import check


def both(x: np.ndarray):
    return cr.tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)


def compare_with_grads(fn_cr, fn_torch, arrays, seed):
    cs, ts = zip(*(both(a) for a in arrays))
    out, ref = fn_cr(*cs), fn_torch(*ts)
    check(out, ref)
    g = np.random.default_rng(seed).standard_normal(tuple(ref.shape))
    out.backward(cr.tensor(g))
    ref.backward(torch.from_numpy(g))
    for c, t in zip(cs, ts):
        check(c.grad, t.grad)


@st.composite
def shape_dim_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index = draw(st.integers(-shape[dim], shape[dim] - 1))
    return shape, dim, index


@settings(max_examples=30, deadline=None)
@given(sdi=shape_dim_index(), seed=st.integers(0, 999))
def test_select_scatter_matches_torch(sdi, seed):
    shape, dim, index = sdi
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    src = rng.standard_normal(shape[:dim % len(shape)] + shape[dim % len(shape) + 1:])
    compare_with_grads(lambda a, b: cr.select_scatter(a, b, dim, index),
                       lambda a, b: torch.select_scatter(a, b, dim, index), [x, src], seed)
    compare_with_grads(lambda a, b: a.select_scatter(b, dim, index),
                       lambda a, b: a.select_scatter(b, dim, index), [x, src], seed)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 999),
       data=st.data())
def test_slice_scatter_matches_torch(shape, seed, data):
    shape = tuple(shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    start = data.draw(st.none() | st.integers(-n - 1, n + 1))
    end = data.draw(st.none() | st.integers(-n - 1, n + 1))
    step = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    part = list(shape)
    part[dim] = len(range(*slice(start, end, step).indices(n)))
    src = rng.standard_normal(part)
    compare_with_grads(lambda a, b: cr.slice_scatter(a, b, dim, start, end, step),
                       lambda a, b: torch.slice_scatter(a, b, dim, start, end, step),
                       [x, src], seed)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=st.integers(0, 999),
       data=st.data())
def test_diagonal_scatter_matches_torch(shape, seed, data):
    shape = tuple(shape)
    nd = len(shape)
    d1 = data.draw(st.integers(-nd, nd - 1))
    d2 = data.draw(st.integers(-nd, nd - 1).filter(lambda d: d % nd != d1 % nd))
    offset = data.draw(st.integers(-shape[d1] + 1, shape[d2] - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    src = rng.standard_normal(tuple(torch.zeros(shape).diagonal(offset, d1, d2).shape))
    compare_with_grads(lambda a, b: cr.diagonal_scatter(a, b, offset, d1, d2),
                       lambda a, b: torch.diagonal_scatter(a, b, offset, d1, d2), [x, src], seed)


def test_scatters_pass_gradcheck():
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((3, 4, 2)))
    assert gradcheck(lambda a, b: cr.select_scatter(a, b, 1, -1), x,
                     cr.tensor(rng.standard_normal((3, 2))))
    assert gradcheck(lambda a, b: cr.slice_scatter(a, b, 1, 1, None, 2), x,
                     cr.tensor(rng.standard_normal((3, 2, 2))))
    assert gradcheck(lambda a, b: cr.diagonal_scatter(a, b, 1, 0, 1), x,
                     cr.tensor(rng.standard_normal((2, 3))))


def test_scatter_casts_src_to_the_input_dtype_as_torch():
    x = np.zeros((3, 3))
    for name, args in (("select_scatter", (0, 1)), ("diagonal_scatter", ())):
        src = np.arange(3, dtype=np.float32)
        out = getattr(cr, name)(cr.tensor(x), cr.tensor(src), *args)
        ref = getattr(torch, name)(torch.from_numpy(x), torch.from_numpy(src), *args)
        check(out, ref)


def test_scatter_errors_match_torch():
    x = cr.zeros(3, 3)
    with pytest.raises(RuntimeError, match="src size = \\[4\\], slice size = \\[3\\]"):
        cr.select_scatter(x, cr.ones(4), 0, 0)
    with pytest.raises(IndexError, match="out of range"):
        cr.select_scatter(x, cr.ones(3), 0, 5)
    with pytest.raises(RuntimeError, match="step must be positive"):
        cr.slice_scatter(x, cr.ones(3, 3), 0, 0, 3, 0)
    with pytest.raises(RuntimeError, match="cannot be identical"):
        cr.diagonal_scatter(x, cr.ones(3), 0, 1, 1)


@pytest.mark.parametrize("shape", [(3,), (2, 2), (1, 3, 2), ()])
@pytest.mark.parametrize("offset", [-2, 0, 1])
def test_diagflat_matches_torch(shape, offset):
    x = np.random.default_rng(1).standard_normal(shape)
    compare_with_grads(lambda a: cr.diagflat(a, offset), lambda a: torch.diagflat(a, offset),
                       [x], 3)
    check(cr.tensor(x).diagflat(offset), torch.from_numpy(x).diagflat(offset))


def test_narrow_copy_is_a_copy():
    x = np.arange(10.0).reshape(2, 5)
    out = cr.narrow_copy(cr.tensor(x), 1, 1, 3)
    ref = torch.narrow_copy(torch.from_numpy(x), 1, 1, 3)
    check(out, ref)
    out[0, 0] = 100.0
    assert x[0, 1] == 1.0
    compare_with_grads(lambda a: a.narrow_copy(0, 1, 1), lambda a: a.narrow_copy(0, 1, 1), [x], 0)


def test_split_with_sizes_matches_torch():
    x = np.random.default_rng(2).standard_normal((6, 3))
    outs = cr.split_with_sizes(cr.tensor(x), [1, 2, 3])
    refs = torch.split_with_sizes(torch.from_numpy(x), [1, 2, 3])
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        check(o, r)
    for o, r in zip(cr.tensor(x).split_with_sizes([2, 1], dim=1),
                    torch.from_numpy(x).split_with_sizes([2, 1], dim=1)):
        check(o, r)
    with pytest.raises(RuntimeError, match="sum exactly to 6"):
        cr.split_with_sizes(cr.tensor(x), [1, 1])


def test_adjoint_h_mh_match_torch():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    check(cr.adjoint(cr.tensor(x)), torch.adjoint(torch.from_numpy(x)))
    check(cr.tensor(x).mH, torch.from_numpy(x).mH)
    check(cr.tensor(x[0]).H, torch.from_numpy(x[0]).H)
    compare_with_grads(lambda a: a.mH * 2, lambda a: a.mH * 2, [x], 4)
    with pytest.raises(RuntimeError, match="consider using tensor.mH"):
        _ = cr.tensor(x).H
    with pytest.raises(RuntimeError, match="Got 1-D tensor"):
        cr.adjoint(cr.ones(3))


@pytest.mark.parametrize("size,fill", [(4, -1), (1, -5), (0, 7), (6, 0)])
def test_nonzero_static_matches_torch(size, fill):
    x = np.array([[0, 1, 0], [2, 0, 3]])
    check(cr.nonzero_static(cr.tensor(x), size=size, fill_value=fill),
          torch.nonzero_static(torch.from_numpy(x), size=size, fill_value=fill))
    with pytest.raises(RuntimeError, match="non-negative"):
        cr.nonzero_static(cr.tensor(x), size=-1)


def test_real_tensor_conj_family_as_torch():
    x = cr.tensor([1.0, -2.0])
    for name in ("real", "conj", "resolve_conj", "resolve_neg", "conj_physical"):
        assert getattr(cr, name)(x) is x, name
        assert getattr(torch, name)(torch.tensor([1.0])) is not None
    assert not cr.is_conj(x) and not x.is_neg()
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        cr.imag(x)
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        _ = x.imag
    x.real = cr.tensor([3.0, 4.0])        # PyTorch's x.real = y writes into x
    assert x.tolist() == [3.0, 4.0]
