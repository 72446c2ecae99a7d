"""Samples after manual_seed against PyTorch's: Exponential and Cauchy (and HalfCauchy) draw
PyTorch's numbers bit for bit (its exponential_ and cauchy_ kernels replayed); Laplace draws the
same uniforms by PyTorch's formula, equal up to the last bits of log1p (PyTorch's vectorised
log1p against NumPy's)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = ["float32", "float64"]


def _both(seed, build, shape=(3, 7)):
    out = []
    for L in (torch, cr):
        L.manual_seed(seed)
        out.append(build(L).sample(shape).numpy())
        out.append(L.rand(4, dtype=L.float64).numpy())         # the stream is left in step
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize("family", ["Exponential", "Cauchy", "HalfCauchy"])
def test_bit_for_bit(family, seed, dtype):
    def build(L):
        dt = getattr(L, dtype)
        if family == "Exponential":
            return L.distributions.Exponential(L.tensor([0.5, 2.0], dtype=dt))
        if family == "Cauchy":
            return L.distributions.Cauchy(L.tensor([0.0, 1.0], dtype=dt), 2.0)
        return L.distributions.HalfCauchy(L.tensor([1.0, 3.0], dtype=dt))
    theirs, their_next, mine, my_next = _both(seed, build)
    assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    assert np.array_equal(my_next, their_next)


@pytest.mark.parametrize("dtype", DTYPES)
def test_laplace_to_the_last_bits(dtype):
    def build(L):
        return L.distributions.Laplace(L.tensor([0.0, 1.0], dtype=getattr(L, dtype)), 1.5)
    theirs, their_next, mine, my_next = _both(1, build, shape=(500,))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(mine, theirs, rtol=8 * eps, atol=8 * eps)
    assert np.array_equal(my_next, their_next)
