"""ReLU's backward in one pass (a numba kernel for ops/activations.py's Relu).

PyTorch's threshold_backward: ∂L/∂x = 0 where y ≤ 0, else g — so an infinite or NaN g is
blocked where y ≤ 0, and g passes where y is NaN. The NumPy path checks that g and y are finite
(two reductions) to use the branch-free g·1[y > 0], or falls back to ``where``; the kernel
computes the rule itself in one pass, exactly, whatever the values.
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def band_backward(g, y, lo, hi, out):
    """out = g where lo < y < hi, else 0 (flat arrays of one length): hardtanh's and ReLU6's
    backward from their output in one pass (a NaN y, or an infinite g outside, gives 0)."""
    for k in range(out.shape[0]):
        out[k] = g[k] if lo < y[k] < hi else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def relu_backward(g, y, out):
    """out = 0 where y ≤ 0, else g (flat arrays of one length)."""
    for k in range(out.shape[0]):
        out[k] = 0.0 if y[k] <= 0 else g[k]
