"""The numba BatchNorm kernels (chainrule.kernels, the ``fast`` extra) against the NumPy
reference path of the same primitive: forward, running statistics and every gradient, on drawn
shapes (batch 1, odd sizes, non-contiguous inputs), float64 tightly and float32 to rounding."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")


def _run(x, weight, bias, g, fast: bool):
    previous = kernels.enabled(fast)
    try:
        rm, rv = np.zeros(x.shape[1], x.dtype), np.ones(x.shape[1], x.dtype)
        xt = cr.tensor(x, requires_grad=True)
        wt = None if weight is None else cr.tensor(weight, requires_grad=True)
        bt = None if bias is None else cr.tensor(bias, requires_grad=True)
        y = cr.nn.functional.batch_norm(xt, cr.tensor(rm), cr.tensor(rv), wt, bt, training=True,
                                        momentum=0.1, eps=1e-5)
        y.backward(cr.tensor(g))
        grads = [t.grad.numpy() if t is not None else None for t in (xt, wt, bt)]
        return y.numpy(), grads
    finally:
        kernels.enabled(previous)


@st.composite
def cases(draw):
    n = draw(st.integers(1, 5))
    c = draw(st.integers(1, 6))
    spatial = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=3)))
    if n * int(np.prod(spatial)) < 2:       # training needs two values per channel
        spatial = spatial[:-1] + (2,)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    affine = draw(st.booleans())
    transposed = draw(st.booleans())
    offset = draw(st.sampled_from([0.0, 50.0]))
    return n, c, spatial, dtype, affine, transposed, offset


@given(case=cases(), seed=st.integers(0, 100))
def test_fast_batch_norm_equals_the_reference(case, seed):
    n, c, spatial, dtype, affine, transposed, offset = case
    rng = np.random.default_rng(seed)
    shape = (n, c) + spatial
    x = (rng.standard_normal(shape) + offset).astype(dtype)
    if transposed and len(spatial) >= 2:      # a non-contiguous input
        x = np.swapaxes(np.swapaxes(x, -1, -2).copy(), -1, -2)
    g = rng.standard_normal(shape).astype(dtype)
    weight = rng.standard_normal(c).astype(dtype) if affine else None
    bias = rng.standard_normal(c).astype(dtype) if affine else None
    y_ref, grads_ref = _run(x, weight, bias, g, fast=False)
    y_fast, grads_fast = _run(x, weight, bias, g, fast=True)
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-4, 1e-4)
    np.testing.assert_allclose(y_fast, y_ref, rtol=rtol, atol=atol)
    assert y_fast.dtype == y_ref.dtype
    for a, b in zip(grads_fast, grads_ref):
        if b is None:
            assert a is None
            continue
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale)
        assert a.dtype == b.dtype


def test_the_fast_path_is_used_and_can_be_switched_off(monkeypatch):
    assert kernels.available()
    from chainrule.kernels import batchnorm as K
    calls = []
    monkeypatch.setattr(K, "channel_stats",
                        lambda *args, f=K.channel_stats: calls.append(1) or f(*args))
    bn = cr.nn.BatchNorm2d(3)
    bn(cr.randn(2, 3, 4, 4))
    assert calls
    calls.clear()
    previous = kernels.enabled(False)
    try:
        bn(cr.randn(2, 3, 4, 4))
    finally:
        kernels.enabled(previous)
    assert not calls


@given(case=cases(), seed=st.integers(0, 100))
def test_evaluation_mode_kernel_gives_numpys_bits(case, seed):
    """Evaluation mode, y = x·a + b per channel: the one-pass kernel (used where it takes x)
    rounds its multiply and add as NumPy's two passes do, bit for bit, forward and backward."""
    from chainrule.kernels import batchnorm as K

    n, c, spatial, dtype, affine, _, offset = case
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c) + spatial) + offset).astype(dtype)
    stats = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    params = [rng.standard_normal(c).astype(dtype) for _ in range(2)] if affine else [None] * 2
    calls, kernel = [], K.scale_shift
    K.scale_shift = lambda *a: calls.append(1) or kernel(*a)
    results = []
    for fast in (True, False):
        previous = kernels.enabled(fast)
        try:
            xt = cr.tensor(x, requires_grad=True)
            y = cr.nn.functional.batch_norm(xt, cr.tensor(stats[0]), cr.tensor(stats[1]),
                                            *[p if p is None else cr.tensor(p) for p in params],
                                            training=False)
            y.backward(cr.tensor(np.ones_like(x)))
            results.append((y.numpy(), xt.grad.numpy()))
        finally:
            kernels.enabled(previous)
            K.scale_shift = kernel
    assert calls                                    # the kernel ran (with fast=True only)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
