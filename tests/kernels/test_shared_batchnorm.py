"""BatchNorm in training mode over a batch split into parts that run at once on threads (a
compiled step's data-parallel replay, chainrule/compile/shard.py): the parts combine the whole
batch's statistics and gradient sums through a ``parallel.Exchange``, so the output, ∂L/∂x and
the running statistics equal the unsplit primitive's, and the parts' ∂L/∂γ, ∂L/∂β add up to its
— on drawn shapes (2-d and 4-d inputs, parts of one sample), both paths (numba kernels and
NumPy), against the unsplit primitive and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chainrule import kernels, parallel
from chainrule.autograd.function import Node
from chainrule.ops.norm import BatchNorm
from chainrule.tensor import Tensor


def _context(x, weight, bias):
    ctx = Node()
    ctx.inputs = tuple(None if a is None else Tensor(a, requires_grad=True)
                       for a in (x, weight, bias))
    return ctx


def _batch_norm(x, weight, bias, g, parts: int):
    """(y, ∂L/∂x, ∂L/∂γ, ∂L/∂β, running mean, running var) with the batch cut in ``parts``."""
    c = x.shape[1]
    running = np.zeros(c, x.dtype), np.ones(c, x.dtype)
    bounds = [x.shape[0] * k // parts for k in range(parts + 1)]
    results = [None] * parts
    exchange = parallel.Exchange(parts) if parts > 1 else None

    def part(k):
        def run():
            lo, hi = bounds[k], bounds[k + 1]
            ctx = _context(x[lo:hi], weight, bias)
            y = BatchNorm.forward(ctx, x[lo:hi], weight, bias, *running, training=True,
                                  momentum=0.1, eps=1e-5,
                                  shared=None if exchange is None else (exchange, k))
            results[k] = (y,) + tuple(BatchNorm.vjp(ctx, g[lo:hi]))
        return run

    if exchange is None:
        part(0)()
    else:
        parallel.run_together([part(k) for k in range(parts)], exchange)
    y = np.concatenate([r[0] for r in results])
    gx = np.concatenate([r[1] for r in results])
    gw = None if weight is None else sum(r[2] for r in results)
    gb = None if bias is None else sum(r[3] for r in results)
    return (y, gx, gw, gb) + running


def _pytorch(x, weight, bias, g):
    c = x.shape[1]
    rm, rv = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = None if weight is None else torch.tensor(weight, dtype=torch.float64,
                                                  requires_grad=True)
    bt = None if bias is None else torch.tensor(bias, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.1,
                                       eps=1e-5)
    y.backward(torch.tensor(g, dtype=torch.float64))
    return [v if v is None else v.detach().numpy()
            for v in (y, xt.grad, None if wt is None else wt.grad,
                      None if bt is None else bt.grad, rm, rv)]


@st.composite
def cases(draw):
    parts = draw(st.integers(2, 3))
    n = draw(st.integers(parts, 7))
    c = draw(st.integers(1, 5))
    spatial = tuple(draw(st.lists(st.integers(1, 5), min_size=0, max_size=2)))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return (parts, (n, c) + spatial, dtype, draw(st.booleans()), draw(st.booleans()),
            draw(st.sampled_from([0.0, 30.0])))


@settings(deadline=None, max_examples=60)
@given(case=cases(), seed=st.integers(0, 1000))
def test_parts_sharing_statistics_equal_the_whole_batch_and_pytorch(case, seed):
    parts, shape, dtype, affine, fast, offset = case
    assume(not fast or kernels.available())
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2 + offset).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    weight = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    bias = rng.standard_normal(shape[1]).astype(dtype) if affine else None
    previous = kernels.enabled(fast)
    try:
        split = _batch_norm(x, weight, bias, g, parts)
        whole = _batch_norm(x, weight, bias, g, 1)
    finally:
        kernels.enabled(previous)
    oracle = _pytorch(x, weight, bias, g)
    rtol, atol = (1e-10, 1e-11) if dtype == np.float64 else (2e-4, 2e-4)
    for mine, unsplit, theirs in zip(split, whole, oracle):
        if theirs is None:
            assert mine is None
            continue
        assert mine.dtype == dtype and mine.shape == theirs.shape
        scale = max(1.0, float(np.abs(theirs).max()))
        np.testing.assert_allclose(mine, unsplit, rtol=rtol, atol=atol * scale)
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol * scale)


def test_a_part_has_no_differentiable_backward():
    """create_graph=True would need the whole batch's graph: a shared part refuses it."""
    x = np.random.default_rng(0).standard_normal((4, 3))
    ctx = _context(x, None, None)
    BatchNorm.forward(ctx, x, shared=(parallel.Exchange(1), 0))
    with pytest.raises(RuntimeError, match="split over threads"):
        BatchNorm.vjp(ctx, Tensor(np.ones((4, 3))))
