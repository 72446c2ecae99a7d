"""The numba max-pool backward kernel (chainrule.kernels.pool, the ``fast`` extra) against the
NumPy path of the same primitive, on drawn geometries (1-d and 2-d, odd sizes, stride, padding,
dilation, ceil_mode, batch 1, non-contiguous inputs and gradients) and on data with ties, NaN
and −∞, where which element receives the gradient is the whole question; and both against
PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")


def _run(x, g, fast: bool, nd: int, **kw):
    previous = kernels.enabled(fast)
    try:
        xt = cr.tensor(x, requires_grad=True)
        pool = cr.nn.functional.max_pool1d if nd == 1 else cr.nn.functional.max_pool2d
        y = pool(xt, **kw)
        y.backward(cr.tensor(g))
        return y.numpy(), xt.grad.numpy()
    finally:
        kernels.enabled(previous)


def _data(rng, shape, kind: str, dtype):
    """Inputs where the window's choice is the question: ties (few distinct values), NaN,
    −∞, signed zeros, or plain normal values."""
    if kind == "ties":
        return rng.integers(0, 3, shape).astype(dtype)
    if kind == "signed_zeros":
        return np.where(rng.random(shape) < 0.5, -0.0, 0.0).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "nan":
        x[rng.random(shape) < 0.25] = np.nan
    if kind == "neginf":
        x[rng.random(shape) < 0.5] = -np.inf
    return x


@st.composite
def cases(draw):
    nd = draw(st.sampled_from([1, 2]))
    k = draw(st.integers(1, 3))
    d = draw(st.integers(1, 2))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    spatial = tuple(draw(st.integers(d * (k - 1) + 1, 9)) for _ in range(nd))
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 3))
    data = draw(st.sampled_from(["normal", "ties", "nan", "neginf"]))
    ceil = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return nd, (n, c) + spatial, dict(kernel_size=k, stride=s, padding=p, dilation=d,
                                      ceil_mode=ceil), data, dtype


@given(case=cases(), seed=st.integers(0, 100), transposed_grad=st.booleans(),
       transposed_input=st.booleans())
def test_fast_max_pool_equals_the_numpy_path_and_pytorch(case, seed, transposed_grad,
                                                         transposed_input):
    nd, shape, kw, data, dtype = case
    rng = np.random.default_rng(seed)
    x = _data(rng, shape, data, dtype)
    if transposed_input:    # the same values stored in another order: a non-contiguous x
        x = np.ascontiguousarray(x.swapaxes(0, 1)).swapaxes(0, 1)
    y = (cr.nn.functional.max_pool1d if nd == 1 else cr.nn.functional.max_pool2d)(
        cr.tensor(x), **kw)
    g = rng.standard_normal(y.shape).astype(dtype)
    if transposed_grad:     # the same values stored in another order: a non-contiguous G
        g = np.ascontiguousarray(g.swapaxes(0, 1)).swapaxes(0, 1)
    y_fast, gx_fast = _run(x, g, True, nd, **kw)
    y_ref, gx_ref = _run(x, g, False, nd, **kw)
    np.testing.assert_array_equal(y_fast, y_ref)
    # Overlapping windows add several G values into one position; the kernel adds them in the
    # windows' order (as PyTorch does), the NumPy path offset by offset: equal up to rounding.
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(gx_fast, gx_ref, rtol=rtol, atol=0)
    xt = torch.tensor(x, requires_grad=True)
    pool = torch.nn.functional.max_pool1d if nd == 1 else torch.nn.functional.max_pool2d
    pool(xt, **kw).backward(torch.tensor(g))
    np.testing.assert_array_equal(gx_fast, xt.grad.numpy())


def test_the_fast_backward_is_used_and_can_be_switched_off(monkeypatch):
    from chainrule.kernels import pool as K
    calls = []
    original = K.max_pool2d_backward
    monkeypatch.setattr(K, "max_pool2d_backward", lambda *args: calls.append(1) or original(*args))
    x = cr.randn(2, 3, 6, 6, requires_grad=True)
    cr.nn.functional.max_pool2d(x, 2).sum().backward()
    assert calls
    calls.clear()
    previous = kernels.enabled(False)
    try:
        cr.nn.functional.max_pool2d(x, 2).sum().backward()
    finally:
        kernels.enabled(previous)
    assert not calls


def test_without_a_graph_the_forward_keeps_no_argmax():
    """Under no_grad the forward computes the maxima alone; the values are the same."""
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7))
    with cr.no_grad():
        y = cr.nn.functional.max_pool2d(cr.tensor(x), 3, stride=2, padding=1)
    ty = torch.nn.functional.max_pool2d(torch.tensor(x), 3, stride=2, padding=1)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9),
       data=st.sampled_from(["normal", "ties", "nan", "neginf", "signed_zeros"]),
       dtype=st.sampled_from([np.float64, np.float32]), grad=st.booleans(),
       seed=st.integers(0, 100))
def test_the_2x2_forward_kernel_gives_pytorchs_maxima_and_choices(n, c, h, w, data, dtype, grad,
                                                                  seed):
    """kernels.pool.max_pool2d_2x2 (2×2 windows, stride 2, odd sizes leave a row or column
    out): the maxima and the element each window chose, NaN (the last one wins), ties (the
    first), −∞ and ±0 included: PyTorch's bits, with and without a graph, and the NumPy path's
    values (NumPy's ``maximum`` of 0.0 and −0.0 may keep the later one's sign, where PyTorch
    and the kernel keep the first's: equal values, different bits)."""
    rng = np.random.default_rng(seed)
    x = _data(rng, (n, c, h, w), data, dtype)
    g = rng.standard_normal((n, c, h // 2, w // 2)).astype(dtype)
    if grad:
        y_fast, gx_fast = _run(x, g, True, 2, kernel_size=2)
        y_ref, gx_ref = _run(x, g, False, 2, kernel_size=2)
        np.testing.assert_array_equal(gx_fast, gx_ref)
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.max_pool2d(xt, 2)
        yt.backward(torch.tensor(g))
        np.testing.assert_array_equal(gx_fast, xt.grad.numpy())
    else:
        with cr.no_grad():
            y_fast = cr.nn.functional.max_pool2d(cr.tensor(x), 2).numpy()
            previous = kernels.enabled(False)
            try:
                y_ref = cr.nn.functional.max_pool2d(cr.tensor(x), 2).numpy()
            finally:
                kernels.enabled(previous)
        yt = torch.nn.functional.max_pool2d(torch.tensor(x), 2)
    np.testing.assert_array_equal(y_fast, y_ref)
    # bits, so that -0.0 and 0.0 (and NaN) are told apart
    assert y_fast.tobytes() == yt.detach().numpy().tobytes()


def test_the_2x2_forward_kernel_is_used_only_where_it_applies(monkeypatch):
    from chainrule.kernels import pool as K
    calls = []
    original = K.max_pool2d_2x2
    monkeypatch.setattr(K, "max_pool2d_2x2", lambda *args: calls.append(1) or original(*args))
    x = cr.randn(2, 3, 6, 6, requires_grad=True)
    cr.nn.functional.max_pool2d(x, 2)
    assert calls
    for kw in (dict(kernel_size=2, padding=1), dict(kernel_size=2, stride=1),
               dict(kernel_size=3, stride=2), dict(kernel_size=2, dilation=2),
               dict(kernel_size=2, ceil_mode=True)):
        calls.clear()
        cr.nn.functional.max_pool2d(cr.randn(2, 3, 7, 7), **kw)
        assert not calls, kw
    cr.nn.functional.max_pool2d(cr.ones(2, 3, 6, 6).transpose(2, 3), 2)
    assert not calls                    # a non-contiguous input takes the NumPy path
