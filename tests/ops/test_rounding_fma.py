"""The emulated fused multiply-add (ops/rounding.py) is correctly rounded: a·b + c against the
exact rational value (Python's Fraction, rounded by float()), on drawn operands and on the case
that used to fail: a product whose rounding error is exactly half an ulp, where only a tiny c
decides the tie (linspace from a start of 4.2e-126 differed from PyTorch in the last bit)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops.rounding import fused_multiply_add

finite = st.floats(min_value=-1e100, max_value=1e100, allow_nan=False, allow_infinity=False)


def _exact(a: float, b: float, c: float) -> float:
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@given(a=finite, b=finite, c=finite)
def test_float64_fma_is_correctly_rounded(a, b, c):
    assert float(fused_multiply_add(np.array([a]), b, c, np.float64)[0]) == _exact(a, b, c)


@given(a=st.integers(1, 2 ** 20), shift=st.integers(1, 60), c=st.floats(1e-300, 1e-200))
def test_float64_ties_broken_by_a_tiny_addend(a, shift, c):
    # (1 + k·2⁻⁵²)·2⁻ˢ products with a tiny c of either sign
    x = 1.0 + a * 2.0 ** -52
    y = 1.0 + 2.0 ** -shift
    for addend in (c, -c):
        got = float(fused_multiply_add(np.array([x]), y, addend, np.float64)[0])
        assert got == _exact(x, y, addend)


def test_linspace_from_a_tiny_start_matches_pytorch():
    start = 4.2097967504883106e-126
    expected = torch.linspace(start, start + 1.0, 23, dtype=torch.float64).numpy()
    got = cr.linspace(start, start + 1.0, 23, dtype=cr.float64).numpy()
    assert np.array_equal(got, expected)
