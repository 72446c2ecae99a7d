"""The one-pass SGD-momentum kernel (chainrule.kernels.sgd, the ``fast`` extra) against the
NumPy rule: the same operations in the same order and precision, so parameters and momentum
buffers after several steps must be bit-identical, for every option (dampening, Nesterov, weight
decay, maximize), in float32 and float64; and both agree with PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")


def _train(fast, dtype, options, seed, library=cr):
    previous = kernels.enabled(fast)
    try:
        rng = np.random.default_rng(seed)
        params = [library.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                  for s in [(3, 4), (5,), (2, 1, 3)]]
        opt = library.optim.SGD(params, lr=0.01, **options)
        for _ in range(4):
            for p in params:
                p.grad = library.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
            opt.step()
        buffers = [opt.state[p]["momentum_buffer"] for p in params]
        return [np.array(p.detach().numpy()) for p in params] + \
               [np.array(b.numpy()) for b in buffers]
    finally:
        kernels.enabled(previous)


@given(dtype=st.sampled_from([np.float32, np.float64]), momentum=st.sampled_from([0.9, 0.3]),
       variant=st.sampled_from(["plain", "nesterov", "dampening"]), maximize=st.booleans(),
       weight_decay=st.sampled_from([0.0, 0.1]), seed=st.integers(0, 100))
def test_fast_sgd_is_bit_identical_to_the_numpy_rule(dtype, momentum, variant, maximize,
                                                     weight_decay, seed):
    options = dict(momentum=momentum, maximize=maximize, weight_decay=weight_decay,
                   nesterov=variant == "nesterov",
                   dampening=0.25 if variant == "dampening" else 0.0)
    fast = _train(True, dtype, options, seed)
    reference = _train(False, dtype, options, seed)
    for a, b in zip(fast, reference):
        np.testing.assert_array_equal(a, b)
    theirs = _train(True, dtype, options, seed, library=torch)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    for a, b in zip(fast, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def test_the_kernel_is_used_and_can_be_switched_off(monkeypatch):
    from chainrule.kernels import sgd as K
    calls = []
    monkeypatch.setattr(K, "momentum_update",
                        lambda *args, f=K.momentum_update: calls.append(1) or f(*args))
    p = cr.randn(4, requires_grad=True)
    opt = cr.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        p.grad = cr.randn(4)
        opt.step()
    assert calls == [1]                      # the first step makes the buffer (NumPy)
    calls.clear()
    previous = kernels.enabled(False)
    try:
        p.grad = cr.randn(4)
        opt.step()
    finally:
        kernels.enabled(previous)
    assert not calls
