"""Helpers of the tests/ops2 suite: drawn arrays, the same program on chainrule and PyTorch."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    """Shapes with 0-d, empty and size-1 dimensions."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


def array(data, shape, low=-2.0, high=2.0) -> np.ndarray:
    seed = data.draw(st.integers(0, 2**31 - 1))
    return np.random.default_rng(seed).uniform(low, high, shape)


def int_array(data, shape, low, high) -> np.ndarray:
    seed = data.draw(st.integers(0, 2**31 - 1))
    return np.random.default_rng(seed).integers(low, high, shape)


def pair(values: np.ndarray, requires_grad: bool = True):
    """(chainrule tensor, torch tensor) of the same float64 values."""
    return (cr.tensor(values.copy(), requires_grad=requires_grad),
            torch.tensor(values.copy(), requires_grad=requires_grad))


def same(actual, expected, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Equal shapes, dtypes and values (integers exactly)."""
    a = actual.numpy() if isinstance(actual, cr.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"shape {a.shape}, PyTorch {e.shape}"
    assert a.dtype == e.dtype, f"dtype {a.dtype}, PyTorch {e.dtype}"
    if a.dtype.kind == "f":
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, e)


def same_grads(out_cr, out_th, inputs_cr, inputs_th, seed: int = 0) -> None:
    """Backpropagate ⟨w, out⟩ with the same w in both libraries and compare the gradients."""
    w = np.random.default_rng(seed).standard_normal(tuple(out_th.shape))
    (out_cr * cr.tensor(w)).sum().backward()
    (out_th * torch.tensor(w)).sum().backward()
    for a, e in zip(inputs_cr, inputs_th):
        if e.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy())
        elif a.grad is None:
            assert not np.any(e.grad.numpy()), f"no gradient, PyTorch {e.grad}"
        else:
            same(a.grad, e.grad, rtol=1e-9, atol=1e-12)
