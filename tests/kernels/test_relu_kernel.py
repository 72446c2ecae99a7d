"""ReLU's one-pass backward kernel (chainrule.kernels.activations, the ``fast`` extra) against
the NumPy path and PyTorch's threshold_backward, bit for bit, on values that include 0, ±∞ and
NaN in both the input and the output gradient (where blocking versus multiplying by 0 differ)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan]


def _grad(x, g, fast: bool):
    previous = kernels.enabled(fast)
    try:
        xt = cr.tensor(x, requires_grad=True)
        cr.relu(xt).backward(cr.tensor(g))
        return xt.grad.numpy()
    finally:
        kernels.enabled(previous)


@given(shape=st.sampled_from([(7,), (3, 5), (2, 3, 4, 5)]), seed=st.integers(0, 200),
       dtype=st.sampled_from([np.float32, np.float64]), special=st.booleans(),
       transposed=st.booleans())
def test_fast_relu_backward_is_pytorchs_threshold_backward(shape, seed, dtype, special,
                                                          transposed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    if special:
        for a in (x, g):
            mask = rng.random(shape) < 0.3
            a[mask] = rng.choice(SPECIAL, size=int(mask.sum()))
    if transposed and len(shape) > 1:     # a non-contiguous G takes the NumPy path
        g = np.ascontiguousarray(g.T).T
    fast, reference = _grad(x, g, True), _grad(x, g, False)
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(g))
    np.testing.assert_array_equal(fast, reference)
    np.testing.assert_array_equal(fast, xt.grad.numpy())


def test_the_fast_backward_is_used(monkeypatch):
    from chainrule.kernels import activations as K

    calls = []
    original = K.relu_backward
    monkeypatch.setattr(K, "relu_backward", lambda *a, **k: calls.append(1) or original(*a, **k))
    x = cr.randn(4, 5, requires_grad=True)
    cr.relu(x).backward(cr.randn(4, 5))
    assert calls
