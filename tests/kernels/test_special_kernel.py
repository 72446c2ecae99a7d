"""erf and erfc by the fast kernel (chainrule.kernels.special: the C library's, element by
element, in float64) against Python's math.erf/math.erfc (the same library: equal bits) and
against the
NumPy path's series and continued fraction (the reference, a few ulps away; erfc's far tail
within 1e-12 relative), on float32 and float64, 0-d to 3-d, with ±0, ±∞ and NaN."""
from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import kernels
from chainrule.ops.special import erf_array, erfc_array

pytest.importorskip("numba")


def _both(fn, x):
    previous = kernels.enabled(True)
    try:
        fast = fn(x)
        kernels.enabled(False)
        return fast, fn(x)
    finally:
        kernels.enabled(previous)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_fast_erf_is_the_c_librarys_and_agrees_with_the_numpy_path(dtype, name):
    grid = np.concatenate([np.linspace(-9, 9, 20000), [0.0, -0.0, 1e-300, 26.5]])
    x = grid.astype(dtype).reshape(-1, 3)[:, ::2]             # 2-d, non-contiguous
    fn, exact = (erf_array, math.erf) if name == "erf" else (erfc_array, math.erfc)
    fast, reference = _both(fn, x)
    assert fast.dtype == dtype and fast.shape == x.shape
    expected = np.vectorize(lambda v: exact(float(v)))(x).astype(dtype)
    np.testing.assert_array_equal(fast, expected)
    tiny = np.abs(reference) > 1e-290
    rtol = 4e-15 if name == "erf" else 1e-12
    np.testing.assert_allclose(fast[tiny], reference[tiny], rtol=rtol if dtype == np.float64
                               else 1e-6, atol=0)


def test_fast_erf_special_values_and_shapes():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    fast, reference = _both(erf_array, x)
    np.testing.assert_array_equal(fast, reference)
    assert np.signbit(fast[4])                                 # erf(−0) = −0
    fast, reference = _both(erfc_array, x)
    np.testing.assert_array_equal(fast, reference)
    for shape in [(), (1,), (2, 3, 4)]:
        x = np.full(shape, 0.5)
        fast, reference = _both(erf_array, x)
        assert fast.shape == shape
        np.testing.assert_allclose(fast, reference, rtol=4e-15)
