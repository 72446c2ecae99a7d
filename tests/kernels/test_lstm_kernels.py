"""The LSTM's one-pass cell kernels (chainrule.kernels.lstm, the ``fast`` extra) against the
NumPy rule of ops/rnn.py: the same operations in the same order and precision, so outputs,
final states and every gradient must be *bit-identical*, in float32 and float64, with and
without initial states, variable lengths and the reverse direction; and both agree with
PyTorch's LSTM."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels
from chainrule.ops import rnn

pytest.importorskip("numba")


def _run(fast, arrays, lengths, reverse):
    previous = kernels.enabled(fast)
    try:
        ts = [None if a is None else cr.tensor(a, requires_grad=True) for a in arrays]
        y, h, c = rnn.lstm(*ts, lengths=lengths, reverse=reverse)
        ((y * y).sum() + (h * 0.7).sum() + (c * c).sum()).backward()
        return [y.numpy(), h.numpy(), c.numpy()] + [t.grad.numpy() for t in ts if t is not None]
    finally:
        kernels.enabled(previous)


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 6), N=st.integers(1, 5), I=st.integers(1, 4), H=st.integers(1, 9),
       dtype=st.sampled_from([np.float32, np.float64]), states=st.booleans(),
       ragged=st.booleans(), reverse=st.booleans(), project=st.booleans(),
       seed=st.integers(0, 99))
def test_cell_kernels_give_the_numpy_rules_bits(T, N, I, H, dtype, states, ragged, reverse,
                                                project, seed):
    """(With a projection, proj_size P < H, the backward takes the NumPy rule: only the
    forward's kernel runs.)"""
    rng = np.random.default_rng(seed)
    P = max(1, H // 2) if project else H
    x = rng.standard_normal((T, N, I)).astype(dtype)
    h0 = rng.standard_normal((N, P)).astype(dtype) if states else None
    c0 = rng.standard_normal((N, H)).astype(dtype) if states else None
    shapes = [(4 * H, I), (4 * H, P), (4 * H,), (4 * H,)] + ([(P, H)] if project else [])
    weights = [(rng.standard_normal(s) * 0.8).astype(dtype) for s in shapes]
    lengths = rng.integers(1, T + 1, N) if ragged else None
    arrays = [x, h0, c0] + weights
    fast, plain = _run(True, arrays, lengths, reverse), _run(False, arrays, lengths, reverse)
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)


def test_both_paths_match_pytorch_in_float64():
    rng = np.random.default_rng(1)
    T, N, I, H = 6, 4, 3, 5
    layer = torch.nn.LSTM(I, H).double()
    x = rng.standard_normal((T, N, I))
    xt = torch.tensor(x, requires_grad=True)
    y_t, (h_t, c_t) = layer(xt)
    ((y_t * y_t).sum() + (h_t * 0.7).sum() + (c_t * c_t).sum()).backward()
    weights = [p.detach().numpy() for p in (layer.weight_ih_l0, layer.weight_hh_l0,
                                            layer.bias_ih_l0, layer.bias_hh_l0)]
    for fast in (True, False):
        out = _run(fast, [x, None, None] + weights, None, False)
        np.testing.assert_allclose(out[0], y_t.detach().numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(out[3], xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(out[4], layer.weight_ih_l0.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("ragged", [False, True])
def test_a_forward_by_the_kernel_and_a_backward_by_the_numpy_rule_give_the_same_bits(ragged):
    """The forward's kernel keeps only g's slopes; a backward that cannot take the kernel (the
    kernels switched off in between) rebuilds the other three from the gate values, exactly."""
    rng = np.random.default_rng(3)
    T, N, I, H = 5, 4, 3, 6
    arrays = [rng.standard_normal((T, N, I)), None, None] + [
        rng.standard_normal(s) * 0.8 for s in ((4 * H, I), (4 * H, H), (4 * H,), (4 * H,))]
    lengths = np.array([5, 2, 4, 1]) if ragged else None
    previous = kernels.enabled(True)
    try:
        ts = [None if a is None else cr.tensor(a, requires_grad=True) for a in arrays]
        y, h, c = rnn.lstm(*ts, lengths=lengths)
        kernels.enabled(False)
        ((y * y).sum() + (h * 0.7).sum() + (c * c).sum()).backward()
        mixed = [t.grad.numpy() for t in ts if t is not None]
    finally:
        kernels.enabled(previous)
    for fast in (True, False):
        whole = _run(fast, arrays, lengths, False)[3:]
        for a, b in zip(mixed, whole):
            np.testing.assert_array_equal(a, b)


def test_the_forward_keeps_a_quarter_of_the_slopes_with_the_kernel():
    from chainrule.autograd.function import Node

    x = np.ones((7, 3, 2), np.float32)
    weights = [np.full(s, 0.1, np.float32) for s in ((20, 2), (20, 5), (20,), (20,))]
    for fast, width in ((True, 5), (False, 20)):
        previous = kernels.enabled(fast)
        try:
            ctx = Node()
            rnn.Lstm.forward(ctx, x, None, None, *weights)
        finally:
            kernels.enabled(previous)
        assert ctx.saved[8].shape == (7, 3, width)       # D: g's slopes, or all four gates'


@pytest.mark.parametrize("lengths", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_rows_split_over_threads_give_the_bits_of_one_part(lengths, dtype, monkeypatch):
    """The LSTM's time loops split the batch's rows over the threads (parallel_for): outputs
    and every gradient are those of the loop over all rows at once, bit for bit, ragged
    batches included (a part whose sequences have all ended only carries their states)."""
    import importlib

    rnn = importlib.import_module("chainrule.ops.rnn")       # the module (ops.rnn is a function)
    rng = np.random.default_rng(3)
    T, N, I, H = 7, 9, 4, 5
    x = rng.standard_normal((T, N, I)).astype(dtype)
    ws = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in ((4 * H, I), (4 * H, H),
                                                                  (4 * H,), (4 * H,))]
    lens = rng.integers(1, T + 1, N) if lengths else None
    g = rng.standard_normal((T, N, H)).astype(dtype)
    results = []
    for split in (False, True):
        if split:       # three parts whatever the machine: rows 0-2, 3-5, 6-8
            monkeypatch.setattr(rnn, "parallel_for", lambda size, fn, *a, **k: [
                fn(size * j // 3, size * (j + 1) // 3) for j in range(3)])
        xt = cr.tensor(x, requires_grad=True)
        wt = [cr.tensor(w, requires_grad=True) for w in ws]
        out = rnn.lstm(xt, cr.zeros(N, H, dtype=xt.dtype), cr.zeros(N, H, dtype=xt.dtype), *wt,
                       lengths=lens)
        y = out[0] if isinstance(out, tuple) else out
        y.backward(cr.tensor(g))
        results.append([y.numpy(), xt.grad.numpy()] + [w.grad.numpy() for w in wt])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
