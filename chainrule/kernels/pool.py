"""Max pooling in one pass (numba kernels for ops/pool.py's MaxPool, 2-d windows; 1-d pooling
runs as 2-d with a unit height).

Forward, for the commonest window only (2×2, stride 2, no padding): each output reads its four
inputs and keeps the running maximum and its offset under PyTorch's rule, a value takes over when
it is greater or NaN (so ties keep the first maximum and a NaN wins: the last one if several).
The window written out in full lets LLVM vectorise the loop over a row's windows; a kernel with
loops over the window's offsets stays scalar and loses to NumPy's strided maxima (docs/
performance.md). LeNet's first pooling at batch 64: 0.17 ms against 0.59 ms.

The forward records, per window, the kernel offset t = i·kw + j of its chosen element (the first
maximum, or a NaN: PyTorch's rule). ∂L/∂x is zero except at each window's chosen position, which
collects that window's G (windows that overlap add up): one pass over G, one image at a time, so
the sums never race. The NumPy path does the same with one masked pass per kernel offset.

The kernel takes a batch range [n0, n1) (``chainrule.parallel`` splits the batch; the kernel
releases the GIL).
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def max_pool2d_backward(g, arg, kh, kw, sh, sw, ph, pw, dh, dw, gx, n0, n1):
    """gx[n0:n1] = G routed to each window's chosen position (zero elsewhere). The offset t's
    row and column shifts come from two small tables (an integer division per element made the
    kernel ~3x slower: LeNet's first pooling at batch 64, 0.38 against 0.10 ms)."""
    channels, height, width = gx.shape[1], gx.shape[2], gx.shape[3]
    ho, wo = g.shape[2], g.shape[3]
    rows = np.empty(kh * kw, np.int64)
    cols = np.empty(kh * kw, np.int64)
    for i in range(kh):
        for j in range(kw):
            rows[i * kw + j] = i * dh - ph
            cols[i * kw + j] = j * dw - pw
    for n in range(n0, n1):
        for c in range(channels):
            plane = gx[n, c]
            for r in range(height):
                row = plane[r]
                for q in range(width):
                    row[q] = 0
            for h in range(ho):
                g_row = g[n, c, h]
                t_row = arg[n, c, h]
                for w in range(wo):
                    t = t_row[w]
                    plane[h * sh + rows[t], w * sw + cols[t]] += g_row[w]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def max_pool2d_2x2(x, best, arg, n0, n1):
    """best[n, c, h, w] = max of x[n, c, 2h:2h+2, 2w:2w+2] and arg its offset i·2 + j (PyTorch's
    choice: the first maximum; a NaN when there is one, the last), for images n0 … n1 − 1."""
    channels = x.shape[1]
    ho, wo = best.shape[2], best.shape[3]
    for n in range(n0, n1):
        for c in range(channels):
            for h in range(ho):
                top = x[n, c, 2 * h]
                bottom = x[n, c, 2 * h + 1]
                values = best[n, c, h]
                offsets = arg[n, c, h]
                for w in range(wo):
                    m = top[2 * w]
                    t = 0
                    v = top[2 * w + 1]
                    if v > m or v != v:
                        m = v
                        t = 1
                    v = bottom[2 * w]
                    if v > m or v != v:
                        m = v
                        t = 2
                    v = bottom[2 * w + 1]
                    if v > m or v != v:
                        m = v
                        t = 3
                    values[w] = m
                    offsets[w] = t
