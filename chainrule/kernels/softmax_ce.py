"""Softmax cross-entropy with class-index targets in one pass per row (numba kernels for
ops/softmax_ce.py's SoftmaxCrossEntropy: no class weights, no label smoothing, a 2-D input).

The NumPy rule makes about twenty array operations (the maximum, the exponentials, their sums,
the gather of each target's log-probability, the valid mask, the one-hot coefficients); on a
classifier's (N, C) logits each is a few microseconds of overhead for a few hundred numbers. Per
row n, with m = max_k zₙₖ (a row whose maximum is ±∞ or NaN is NaN throughout, as PyTorch's):

    pₙₖ = e^{zₙₖ − m} / sₙ,   sₙ = Σₖ e^{zₙₖ − m}
    ℓₙ = −((z_{n,yₙ} − m) − log sₙ)  (0 where yₙ = ignore_index; formed from z − m as the NumPy
    rule and PyTorch's log_softmax do: m + log sₙ would round log sₙ away for logits of 1e300)

and the backward ∂L/∂zₙₖ = scale·(vₙ·pₙₖ − vₙ·[k = yₙ]), vₙ = 1[yₙ ≠ ignore_index] — the
NumPy rule's (Σₖ aₙₖ)·p − a with a = vₙ·onehot(yₙ). Every operation rounds in the logits' dtype
(float32 sums in float32), as the NumPy rule and PyTorch do: the values agree with the NumPy rule
to rounding (tests/kernels/test_softmax_ce_kernel.py). Summed in float64, p would be more
accurate than PyTorch's, and a confident prediction's p − 1 (cancellation) would differ from
PyTorch's by more than the MiniLM gradient test allows (tests/models/test_minilm.py).
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def softmax_ce_forward(z, target, ignore_index, zero, p, shift, log_total, losses):
    """Fill p (N, C), each row's maximum m (shift, (N,)), log sₙ (log_total, (N,)) and the
    per-sample losses (N,); return the number of targets not ignored, or −(n + 1) when row n's
    target is neither a class nor ignore_index. ``zero`` is 0 in z's dtype: every operation
    rounds in that dtype, as the NumPy rule and PyTorch's log_softmax do."""
    n_rows, n_classes = z.shape
    counted = 0
    for n in range(n_rows):
        t = target[n]
        ignored = t == ignore_index
        if not ignored and (t < 0 or t >= n_classes):
            return -(n + 1)
        m = z[n, 0]
        for k in range(1, n_classes):
            v = z[n, k]
            if v > m or v != v:         # NaN wins, as NumPy's max
                m = v
        s = zero
        for k in range(n_classes):
            e = np.exp(z[n, k] - m)
            p[n, k] = e
            s += e
        for k in range(n_classes):
            p[n, k] = p[n, k] / s
        shift[n] = m
        log_total[n] = np.log(s)
        if ignored:
            losses[n] = 0.0
        else:
            losses[n] = -((z[n, t] - shift[n]) - log_total[n])
            counted += 1
    return counted


@numba.njit(cache=True, nogil=True, error_model="numpy")
def softmax_ce_backward(p, target, ignore_index, scale, one, out):
    """out (N, C) = dₙ − pₙ·Σₖ dₙₖ, the backward of log-softmax after that of the NLL loss, as
    PyTorch composes them: dₙ = −scale at the target and an exact 0 elsewhere (and everywhere in
    an ignored sample, whatever ``scale``, so an infinite scale gives 0 there, not ∞·0).
    ``scale`` and ``one`` of p's dtype, so the arithmetic is the NumPy rule's, in that dtype."""
    n_rows, n_classes = p.shape
    zero = one - one
    for n in range(n_rows):
        t = target[n]
        d = zero if t == ignore_index else -scale
        total = zero + d            # Σₖ dₙₖ as a sum of zeros and d: +0 for d = −0
        for k in range(n_classes):
            dk = d if k == t else zero
            out[n, k] = dk - p[n, k] * total
