"""Adam's update in one pass over memory (a numba kernel for optim/adam.py).

The NumPy rule makes about a dozen passes over parameter-sized arrays (the moments' updates, the
square root, the divisions); this kernel makes one, element by element, with *the same
operations in the same order and precision* as the NumPy rule (every constant rounded to the
parameter's dtype first, as NumPy does with a Python float), so both paths give bit-identical
parameters:

    m ← m + w₁·(g − m)            (w₁ = 1 − β₁ < ½; for w₁ ≥ ½: m ← g − (1 − w₁)·(g − m))
    v ← β₂·v + (1 − β₂)·(g·g)
    (amsgrad: v̂max ← max(v̂max, v), and v̂max takes v's place below)
    θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

The common case (w₁ < ½, no amsgrad) has a loop of its own without branches, which the compiler
turns into vector instructions.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _plain(p, g, m, v, w1, beta2, one_minus_beta2, root_bc2, eps, step):
    for k in range(p.shape[0]):
        gk = g[k]
        mk = m[k] + (gk - m[k]) * w1
        m[k] = mk
        vk = v[k] * beta2 + (gk * gk) * one_minus_beta2
        v[k] = vk
        p[k] = p[k] - (mk / (np.sqrt(vk) / root_bc2 + eps)) * step


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _general(p, g, m, v, vmax, amsgrad, w1, big, w1c, beta2, one_minus_beta2, root_bc2, eps,
             step):
    for k in range(p.shape[0]):
        gk = g[k]
        d = gk - m[k]
        if big:
            mk = gk - d * w1c
        else:
            mk = m[k] + d * w1
        m[k] = mk
        vk = v[k] * beta2 + (gk * gk) * one_minus_beta2
        v[k] = vk
        if amsgrad:
            if vk > vmax[k] or vk != vk:
                vmax[k] = vk
            vk = vmax[k]
        p[k] = p[k] - (mk / (np.sqrt(vk) / root_bc2 + eps)) * step


@numba.njit(cache=True, nogil=True, error_model="numpy")
def adam_update_many(ps, gs, ms, vs, w1, beta2, one_minus_beta2, root_bc2, eps, step):
    """The common case's step (w₁ < ½, no amsgrad) for several tensors in one call: tuples of
    flat arrays of one dtype, the same constants for all (they share the step count)."""
    for t in range(len(ps)):
        _plain(ps[t], gs[t], ms[t], vs[t], w1, beta2, one_minus_beta2, root_bc2, eps, step)


def adam_update(p, g, m, v, vmax, amsgrad, w1, big, w1c, beta2, one_minus_beta2, root_bc2, eps,
                step):
    """One Adam step on flat, contiguous arrays of one dtype (every scalar of that dtype too):
    w1 = 1 − β₁, big = (w1 ≥ ½), w1c = 1 − w1, root_bc2 = √(1 − β₂ᵗ), step = η/(1 − β₁ᵗ)."""
    if not amsgrad and not big:
        _plain(p, g, m, v, w1, beta2, one_minus_beta2, root_bc2, eps, step)
    else:
        _general(p, g, m, v, vmax, amsgrad, w1, big, w1c, beta2, one_minus_beta2, root_bc2, eps,
                 step)
