"""The embedding's one-pass weight-gradient kernel (chainrule.kernels.embedding, the ``fast``
extra) against the NumPy reference (sort + add.reduceat) and PyTorch's embedding backward, on
hypothesis-drawn tables, index shapes with repeats, padding rows, batch-first (non-contiguous)
gradients and both float dtypes; bit for bit against ``np.add.at``, which adds in the same
order."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels

pytest.importorskip("numba")


def _weight_grad(weight, indices, g, padding_idx, fast: bool):
    previous = kernels.enabled(fast)
    try:
        w = cr.tensor(weight, requires_grad=True)
        y = cr.nn.functional.embedding(cr.tensor(indices), w, padding_idx=padding_idx)
        y.backward(cr.tensor(g))
        return w.grad.numpy()
    finally:
        kernels.enabled(previous)


@given(rows=st.integers(1, 40), width=st.integers(1, 9),
       index_shape=st.sampled_from([(0,), (1,), (7,), (3, 5), (2, 3, 4)]),
       padding=st.booleans(), transposed=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_fast_weight_gradient_equals_the_reference_and_pytorch(rows, width, index_shape, padding,
                                                                transposed, dtype, seed):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((rows, width)).astype(dtype)
    indices = rng.integers(0, rows, index_shape)          # repeats whenever rows is small
    g = rng.standard_normal(index_shape + (width,)).astype(dtype)
    if transposed and len(index_shape) >= 2:              # a batch-first gradient: a view
        g = g.swapaxes(0, 1)
        indices = np.ascontiguousarray(indices.swapaxes(0, 1))
        assert not g.flags.c_contiguous and g.shape[:-1] == indices.shape
    padding_idx = int(rng.integers(0, rows)) if padding else None
    fast = _weight_grad(weight, indices, g, padding_idx, True)
    reference = _weight_grad(weight, indices, g, padding_idx, False)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fast, reference, rtol=tol, atol=tol)
    same_order = np.zeros_like(weight)
    np.add.at(same_order, indices.reshape(-1), g.reshape(-1, width))
    if padding_idx is not None:
        same_order[padding_idx] = 0
    np.testing.assert_array_equal(fast, same_order)
    wt = torch.tensor(weight, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(indices), wt, padding_idx=padding_idx).backward(
        torch.tensor(g))
    np.testing.assert_allclose(fast, wt.grad.numpy(), rtol=tol, atol=tol)


def test_the_kernel_refuses_an_index_out_of_range():
    from chainrule.kernels.embedding import scatter_add_rows

    out = np.zeros((3, 2))
    with pytest.raises(IndexError, match="out of range"):
        scatter_add_rows(np.ones((2, 2)), np.array([0, 3]), out)
    with pytest.raises(IndexError, match="out of range"):
        scatter_add_rows(np.ones((1, 2)), np.array([-1]), out)
