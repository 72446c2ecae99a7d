"""One time step of the LSTM in one pass over memory: numba kernels for ops/rnn.py's ``Lstm``
(the forward's steps from e^{−a} to c_t; the backward's, without a projection, below).

The NumPy rule makes eleven whole-array operations per backward time step on (n × H) slices;
this kernel makes one pass, with *the same operations in the same order and precision*, so both
give bit-identical gradients (the matrix product δh_{t−1} = δa_t W_hh stays on BLAS):

    δm = δh_t + ∂L/∂y_t
    δc_t = δc + δm ⊙ (o − m ⊙ tanh c_t)              (m = o ⊙ tanh c_t)
    δa_t = (δc_t ⊙ g, δc_t ⊙ c_{t−1}, δm ⊙ tanh c_t, δc_t ⊙ i) ⊙ D_t   (gates i, f, o, g)
    δc ← δc_t ⊙ f

where a holds the gate values (i, f, o, g) and D_t their slopes (σ′, and tanh′/4 for g: see the
primitive's docstring).
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lstm_cell_backward(dh, gy, a, tc, m, c_prev, slope, d, dc, n, H):
    """Rows 0…n−1 of one step: reads δh (dh), ∂L/∂y_t (gy), the gate values a, tanh c_t (tc),
    m, c_{t−1} and the slopes; writes δa_t into d and δc_{t−1} into dc."""
    H2, H3 = 2 * H, 3 * H
    for r in range(n):
        for j in range(H):
            dm = dh[r, j] + gy[r, j]
            t = tc[r, j]
            c1 = m[r, j] * t
            c1 = a[r, H2 + j] - c1
            c1 = c1 * dm
            dcv = dc[r, j] + c1
            d[r, j] = (dcv * a[r, H3 + j]) * slope[r, j]
            d[r, H + j] = (dcv * c_prev[r, j]) * slope[r, H + j]
            d[r, H2 + j] = (dm * t) * slope[r, H2 + j]
            d[r, H3 + j] = (dcv * a[r, j]) * slope[r, H3 + j]
            dc[r, j] = dcv * a[r, H + j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lstm_cell_forward(a, c_prev, c_new, slope, n, H, one, two):
    """Rows 0…n−1 of one forward step, with e^{−a} in ``a`` (exp stays NumPy's, vectorised):
    the gates u = 1/(1 + e^{−a}) in place, their slopes u(1 − u) into ``slope``, g = 2u − 1
    in place, and c_t = f ⊙ c_{t−1} + i ⊙ g into ``c_new`` (``one`` and ``two`` are 1 and 2
    in the arrays' dtype, so every operation rounds as NumPy's does)."""
    H3, H4 = 3 * H, 4 * H
    for r in range(n):
        for k in range(H4):
            u = one / (a[r, k] + one)
            a[r, k] = u
            slope[r, k] = (one - u) * u
        for j in range(H):
            g = a[r, H3 + j] * two - one
            a[r, H3 + j] = g
            c_new[r, j] = a[r, H + j] * c_prev[r, j] + a[r, j] * g
