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


@numba.njit(cache=True, nogil=True, fastmath=True)
def channel_stats(x3, mean, var, c0, c1):
    """mean[j], var[j] = the mean and biased variance of channel j of x3 (N, C, L), for j in
    [c0, c1), in float64 (mean and var: float64 arrays of length C)."""
    n, c, length = x3.shape
    count = n * length
    for j in range(c0, c1):
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


@numba.njit(cache=True, nogil=True, fastmath=True)
def normalize(x3, mean, a, b, out, c0, c1):
    """out = (x3 − μ_c)·a_c + b_c for the channels c in [c0, c1) (one pass; centred first, as
    the reference, so data far from zero loses no digits to cancellation)."""
    n, c, length = x3.shape
    for i in range(n):
        for j in range(c0, c1):
            m = mean[j]
            aj = a[j]
            bj = b[j]
            for t in range(length):
                out[i, j, t] = (x3[i, j, t] - m) * aj + bj


@numba.njit(cache=True, nogil=True, error_model="numpy")
def scale_shift(x3, a, b, out, c0, c1):
    """out = x3·a_c + b_c for the channels c in [c0, c1): the evaluation-mode normalization
    (a = γ/√(σ̂² + ε), b = β − μ̂·a) in one pass, multiply then add, each rounded as NumPy's two
    passes round them (no fused multiply-add), so both give the same bits."""
    n, c, length = x3.shape
    for i in range(n):
        for j in range(c0, c1):
            aj = a[j]
            bj = b[j]
            for t in range(length):
                out[i, j, t] = x3[i, j, t] * aj + bj


@numba.njit(cache=True, nogil=True, fastmath=True)
def grad_sums(g3, x3, mean, sg, sgx, c0, c1):
    """sg[j], sgx[j] = Σg, Σg·(x − μ) over channel j, for j in [c0, c1), in float64, one pass
    over g and x."""
    n, c, length = g3.shape
    for j in range(c0, c1):
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


@numba.njit(cache=True, nogil=True, fastmath=True)
def input_grad(g3, x3, mean, k, u, v, out, c0, c1):
    """out = k_c·g − u_c − (x − μ_c)·v_c for the channels c in [c0, c1) (one pass): the
    training-mode ∂L/∂x with u = k·Σg/n and v = k·Σg(x − μ)/(σ̃²·n)."""
    n, c, length = g3.shape
    for i in range(n):
        for j in range(c0, c1):
            kj = k[j]
            c1j = u[j]
            c2j = v[j]
            m = mean[j]
            for t in range(length):
                out[i, j, t] = kj * g3[i, j, t] - c1j - (x3[i, j, t] - m) * c2j
