"""erf and erfc element by element (a numba kernel for ops/special.py): numba compiles
``math.erf``/``math.erfc`` to the C library's, accurate to an ulp or so, in one pass. The NumPy
path sums a series (|x| < 2) or a continued fraction (beyond) over whole arrays, 60-80 passes;
GELU's exact form spends most of a transformer's time there (MiniLM: 55 %).
"""
from __future__ import annotations

import math

import numba
import numpy


@numba.njit(cache=True, nogil=True, error_model="numpy")
def erf_into(x, out):
    """out = erf(x) in float64 (flat arrays of one length)."""
    for k in range(out.shape[0]):
        out[k] = math.erf(numpy.float64(x[k]))    # (numba's float() keeps float32)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def erfc_into(x, out):
    """out = erfc(x) = 1 − erf(x), without cancellation in the tail."""
    for k in range(out.shape[0]):
        out[k] = math.erfc(numpy.float64(x[k]))
