"""The one-pass Adam kernel (chainrule.kernels.adam, the ``fast`` extra) against the NumPy rule
of the same optimizer: the same operations in the same order and precision, so the parameters
and moments after several steps must be *bit-identical*, for every option (amsgrad, coupled and
decoupled weight decay, maximize, β₁ ≤ ½ where the moving average is rounded the other way), in
float32 and float64; and both paths agree with PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")


def _train(fast, dtype, cls, options, seed, library=cr):
    previous = kernels.enabled(fast)
    try:
        rng = np.random.default_rng(seed)
        shapes = [(3, 4), (5,), (2, 1, 3)]
        params = [library.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                  for s in shapes]
        opt = getattr(library.optim, cls)(params, lr=0.01, **options)
        for _ in range(4):
            for p in params:
                p.grad = library.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
            opt.step()
        moments = [opt.state[p]["exp_avg_sq"] for p in params]
        return [np.array(p.detach().numpy()) for p in params] + \
               [np.array(m.numpy()) for m in moments]
    finally:
        kernels.enabled(previous)


@given(dtype=st.sampled_from([np.float32, np.float64]), cls=st.sampled_from(["Adam", "AdamW"]),
       amsgrad=st.booleans(), maximize=st.booleans(), weight_decay=st.sampled_from([0.0, 0.1]),
       beta1=st.sampled_from([0.9, 0.3]), seed=st.integers(0, 100))
def test_fast_adam_is_bit_identical_to_the_numpy_rule(dtype, cls, amsgrad, maximize,
                                                      weight_decay, beta1, seed):
    options = dict(amsgrad=amsgrad, maximize=maximize, weight_decay=weight_decay,
                   betas=(beta1, 0.99))
    fast = _train(True, dtype, cls, options, seed)
    reference = _train(False, dtype, cls, options, seed)
    for a, b in zip(fast, reference):
        np.testing.assert_array_equal(a, b)
    theirs = _train(True, dtype, cls, options, seed, library=torch)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    for a, b in zip(fast, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def test_the_kernel_is_used_and_can_be_switched_off(monkeypatch):
    from chainrule.kernels import adam as K
    calls = []
    monkeypatch.setattr(K, "adam_update",
                        lambda *args, f=K.adam_update: calls.append(1) or f(*args))
    p = cr.randn(4, requires_grad=True)
    opt = cr.optim.Adam([p])
    p.grad = cr.randn(4)
    opt.step()
    assert calls
    calls.clear()
    previous = kernels.enabled(False)
    try:
        opt.step()
    finally:
        kernels.enabled(previous)
    assert not calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_group_in_one_call_gives_the_per_parameter_kernels_bits(dtype, monkeypatch):
    """Adam's whole group in one kernel call (optim/adam.py ``_step_group_at_once``) against the
    per-parameter path, bit for bit; including steps where one parameter has no gradient (its
    step count falls behind, so the group goes parameter by parameter again)."""
    from chainrule.optim import adam as A

    calls = []
    original = A.Adam._step_group_at_once

    def spy(self, group):
        calls.append(original(self, group))
        return calls[-1]

    def run(at_once):
        rng = np.random.default_rng(5)
        params = [cr.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
                  for s in [(3, 4), (5,), (2, 1, 3)]]
        opt = cr.optim.Adam(params, lr=0.01)
        if not at_once:
            opt._step_group_at_once = lambda group: False
        for k in range(6):
            for i, p in enumerate(params):
                skip = k == 3 and i == 1
                p.grad = None if skip else cr.tensor(rng.standard_normal(p.shape).astype(dtype))
            opt.step()
        return [p.numpy().copy() for p in params] + [opt.state[p]["exp_avg"].numpy().copy()
                                                     for p in params]

    monkeypatch.setattr(A.Adam, "_step_group_at_once", spy)
    together, apart = run(True), run(False)
    for a, b in zip(together, apart):
        np.testing.assert_array_equal(a, b)
    assert True in calls and False in calls   # both routes ran (first step and after the skip)

