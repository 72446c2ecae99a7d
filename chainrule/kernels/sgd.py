"""SGD with momentum in one pass over memory (a numba kernel for optim/sgd.py).

The NumPy rule makes three or four passes (b ← μb, b ← b + g, the step, θ ← θ − step); this
kernel makes one, with the same operations in the same order and precision (constants rounded
to the parameter's dtype first, as NumPy rounds a Python float), so both give bit-identical
parameters and buffers:

    b ← μ·b + g             (with dampening τ: b ← μ·b + (1 − τ)·g)
    θ ← θ − b·η             (Nesterov: θ ← θ − (μ·b + g)·η)

The common case (no dampening, no Nesterov) has a branch-free loop of its own.
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _plain(p, g, buf, mu, lr):
    for k in range(p.shape[0]):
        b = buf[k] * mu + g[k]
        buf[k] = b
        p[k] = p[k] - b * lr


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _general(p, g, buf, mu, damped, one_minus_tau, nesterov, lr):
    for k in range(p.shape[0]):
        gk = g[k]
        if damped:
            b = buf[k] * mu + gk * one_minus_tau
        else:
            b = buf[k] * mu + gk
        buf[k] = b
        if nesterov:
            p[k] = p[k] - (b * mu + gk) * lr
        else:
            p[k] = p[k] - b * lr


@numba.njit(cache=True, nogil=True, error_model="numpy")
def momentum_update_many(ps, gs, bufs, mu, lr):
    """The common case's step (no dampening, no Nesterov) for several tensors in one call:
    tuples of flat arrays of one dtype, the same constants for all."""
    for t in range(len(ps)):
        _plain(ps[t], gs[t], bufs[t], mu, lr)


def momentum_update(p, g, buf, mu, damped, one_minus_tau, nesterov, lr):
    """One momentum step on flat, contiguous arrays of one dtype (scalars of that dtype)."""
    if not damped and not nesterov:
        _plain(p, g, buf, mu, lr)
    else:
        _general(p, g, buf, mu, damped, one_minus_tau, nesterov, lr)
