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
primitive's docstring). The forward kernel keeps only g's slopes: σ′ = u(1 − u) of the other
three is recomputed here from their values u, by the same two operations (the same bits), so
the forward writes and the backward reads a quarter of the slopes' memory (LSTM benchmark
step: 9.8 MB fewer saved; its peak 47.5 → 38.1 MiB eager, 43.6 → 34.2 MiB compiled).
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lstm_cell_backward(dh, gy, a, tc, m, c_prev, slope_g, d, dc, n, H, one):
    """Rows 0…n−1 of one step: reads δh (dh), ∂L/∂y_t (gy), the gate values a, tanh c_t (tc),
    m, c_{t−1} and g's slopes; writes δa_t into d (which may be ``a`` itself: each column's
    four gate values are read before its four δa are written) and δc_{t−1} into dc. The
    sigmoid gates' slopes u(1 − u) are recomputed from their values, as the forward made them."""
    H2, H3 = 2 * H, 3 * H
    for r in range(n):
        for j in range(H):
            ai = a[r, j]
            af = a[r, H + j]
            ao = a[r, H2 + j]
            ag = a[r, H3 + j]
            dm = dh[r, j] + gy[r, j]
            t = tc[r, j]
            c1 = m[r, j] * t
            c1 = ao - c1
            c1 = c1 * dm
            dcv = dc[r, j] + c1
            d[r, j] = (dcv * ag) * ((one - ai) * ai)
            d[r, H + j] = (dcv * c_prev[r, j]) * ((one - af) * af)
            d[r, H2 + j] = (dm * t) * ((one - ao) * ao)
            d[r, H3 + j] = (dcv * ai) * slope_g[r, j]
            dc[r, j] = dcv * af


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lstm_cell_forward(a, c_prev, c_new, slope_g, n, H, one, two):
    """Rows 0…n−1 of one forward step, with e^{−a} in ``a`` (exp stays NumPy's, vectorised):
    the gates u = 1/(1 + e^{−a}) in place, g's slopes u(1 − u) into ``slope_g`` (the sigmoid
    gates' are recomputed by the backward from u), g = 2u − 1 in place, and
    c_t = f ⊙ c_{t−1} + i ⊙ g into ``c_new`` (``one`` and ``two`` are 1 and 2 in the arrays'
    dtype, so every operation rounds as NumPy's does)."""
    H3 = 3 * H
    for r in range(n):
        for k in range(H3):
            a[r, k] = one / (a[r, k] + one)
        for j in range(H):
            u = one / (a[r, H3 + j] + one)
            slope_g[r, j] = (one - u) * u
            g = u * two - one
            a[r, H3 + j] = g
            c_new[r, j] = a[r, H + j] * c_prev[r, j] + a[r, j] * g
