"""Max pooling's backward in one pass (a numba kernel for ops/pool.py's MaxPool, 2-d windows;
1-d pooling runs as 2-d with a unit height).

The forward records, per window, the kernel offset t = i·kw + j of its chosen element (the first
maximum, or a NaN: PyTorch's rule). ∂L/∂x is zero except at each window's chosen position, which
collects that window's G (windows that overlap add up): one pass over G, one image at a time, so
the sums never race. The NumPy path does the same with one masked pass per kernel offset.

The kernel takes a batch range [n0, n1) (``chainrule.parallel`` splits the batch; the kernel
releases the GIL).
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def max_pool2d_backward(g, arg, kh, kw, sh, sw, ph, pw, dh, dw, gx, n0, n1):
    """gx[n0:n1] = G routed to each window's chosen position (zero elsewhere)."""
    channels, height, width = gx.shape[1], gx.shape[2], gx.shape[3]
    ho, wo = g.shape[2], g.shape[3]
    for n in range(n0, n1):
        for c in range(channels):
            for r in range(height):
                for q in range(width):
                    gx[n, c, r, q] = 0
            for h in range(ho):
                for w in range(wo):
                    t = arg[n, c, h, w]
                    i = t // kw
                    j = t - i * kw
                    gx[n, c, h * sh - ph + i * dh, w * sw - pw + j * dw] += g[n, c, h, w]
