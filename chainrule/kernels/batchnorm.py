"""Batch normalization in the fewest passes over memory (numba kernels for ops/norm.py).

The input is viewed as (N, C, L) (L the merged spatial size). Per channel c, with n = N·L:

- statistics: μ = Σx/n, σ² = Σ(x − μ)²/n — two passes over the channel, no temporaries;
- forward: y = (x − μ)·a_c + β_c with a = γ/√(σ² + ε) — one pass;
- backward: S_g = Σg, S_gx = Σg·(x − μ) in one pass, then
  ∂L/∂x = k·(g − S_g/n) − (x − μ)·k·S_gx/(σ̃²·n), k = γ/σ̃, in one more pass (the compact
  formula of the BatchNorm primitive's docstring).

The sums are accumulated in float64 whatever the input dtype, so float32 results are at least as
accurate as the NumPy reference's.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, fastmath=True)
def channel_stats(x3):
    """(mean, biased variance) per channel of x3 (N, C, L), in float64."""
    n, c, length = x3.shape
    mean = np.zeros(c)
    var = np.zeros(c)
    count = n * length
    for j in range(c):
        s = 0.0
        for i in range(n):
            for t in range(length):
                s += x3[i, j, t]
        m = s / count
        q = 0.0
        for i in range(n):
            for t in range(length):
                d = x3[i, j, t] - m
                q += d * d
        mean[j] = m
        var[j] = q / count
    return mean, var


@numba.njit(cache=True, nogil=True, fastmath=True)
def normalize(x3, mean, a, b, out):
    """out = (x3 − μ_c)·a_c + b_c per channel (one pass; centred first, as the reference, so
    data far from zero loses no digits to cancellation)."""
    n, c, length = x3.shape
    for i in range(n):
        for j in range(c):
            m = mean[j]
            aj = a[j]
            bj = b[j]
            for t in range(length):
                out[i, j, t] = (x3[i, j, t] - m) * aj + bj


@numba.njit(cache=True, nogil=True, fastmath=True)
def grad_sums(g3, x3, mean):
    """(Σg, Σg·(x − μ)) per channel, in float64, one pass over g and x."""
    n, c, length = g3.shape
    sg = np.zeros(c)
    sgx = np.zeros(c)
    for j in range(c):
        m = mean[j]
        s1 = 0.0
        s2 = 0.0
        for i in range(n):
            for t in range(length):
                gv = g3[i, j, t]
                s1 += gv
                s2 += gv * (x3[i, j, t] - m)
        sg[j] = s1
        sgx[j] = s2
    return sg, sgx


@numba.njit(cache=True, nogil=True, fastmath=True)
def input_grad(g3, x3, mean, k, c1, c2, out):
    """out = k_c·g − c1_c − (x − μ_c)·c2_c per channel (one pass): the training-mode ∂L/∂x with
    c1 = k·Σg/n and c2 = k·Σg(x − μ)/(σ̃²·n)."""
    n, c, length = g3.shape
    for i in range(n):
        for j in range(c):
            kj = k[j]
            c1j = c1[j]
            c2j = c2[j]
            m = mean[j]
            for t in range(length):
                out[i, j, t] = kj * g3[i, j, t] - c1j - (x3[i, j, t] - m) * c2j
