"""im2col and col2im in one pass (numba kernels for ops/conv.py, 2-d).

im2col (``im2col_images``, ``im2col_channels``): cols[(c, i, j), (h, w)] = x̃[c, s_h·h + d_h·i,
w + j] for a stride and dilation of 1 along the width, so each of the kernel's k_w offsets copies
runs of W′ neighbouring values. NumPy copies the same strided view in ~2x the time (LeNet's
first convolution, 26 images: 0.28 vs 0.14 ms; VGG's 32-channel 3×3 layer, one image: 0.14 vs
0.05 ms): its copy loop over a 6-d view handles each run generically, where the kernel's inner
loop is one vectorised copy. A copy, so the same bits.

col2im: given cols′ = Wᵀ G per image, laid out (N·C, kh, kw, H′, W′), the input gradient collects
cols′[p, i, j, h, w] at padded position (s_h·h + d_h·i, s_w·w + d_w·j) of plane p. NumPy does this
with one strided add per kernel offset (k² passes with short rows); the kernel makes one pass,
plane by plane, so a plane's sums stay in cache. Each target element receives its terms in the
same order (i, then j) as in the NumPy path, so both give the same bits.
"""
from __future__ import annotations

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def col2im2d(gcols, sh, sw, dh, dw, target):
    """target[p, s_h·h + d_h·i, s_w·w + d_w·j] += gcols[p, i, j, h, w] (target zeroed first).
    For each plane, kernel row i and output row h, the kw shifted rows are added to the one
    target row they all land on (a contiguous inner loop when s_w = 1)."""
    planes, kh, kw, ho, wo = gcols.shape
    for p in range(planes):
        for i in range(kh):
            for h in range(ho):
                row = target[p, h * sh + i * dh]
                for j in range(kw):
                    src = gcols[p, i, j, h]
                    base = j * dw
                    if sw == 1:
                        for w in range(wo):
                            row[base + w] += src[w]
                    else:
                        for w in range(wo):
                            row[base + w * sw] += src[w]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def col2im_nhwc(dcols, sh, sw, dh, dw, c, target):
    """col2im in channels-last order (ops/conv_nhwc.py's input gradient): dcols (n, H′, W′, kh,
    kw·C) holds ∂L/∂cols per output position, target (n, H̃, W̃·C) the padded input gradient
    (zeroed first): target[n, s_h·h + d_h·i, (s_w·w + d_w·j)·C + c] += dcols[n, h, w, i, j·C + c].
    With d_w = 1 a window row's kw·C terms land on one contiguous stretch of the target row."""
    n_, ho, wo, kh, run = dcols.shape
    kw = run // c
    for n in range(n_):
        for h in range(ho):
            for i in range(kh):
                row = target[n, h * sh + i * dh]
                for w in range(wo):
                    src = dcols[n, h, w, i]
                    if dw == 1:
                        base = w * sw * c
                        for t in range(run):
                            row[base + t] += src[t]
                    else:
                        for j in range(kw):
                            base = (w * sw + j * dw) * c
                            for k in range(c):
                                row[base + k] += src[j * c + k]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def im2col_images(xpad, kh, kw, sh, dh, ho, wo, cols):
    """Batch-major im2col: cols[n, (c·kh + i)·kw + j, h·W′ + w] = x̃[n, c, s_h·h + d_h·i, w + j]
    (xpad: the padded input, C-contiguous; cols (N, C·kh·kw, H′·W′); width stride and dilation
    1)."""
    images, channels = xpad.shape[0], xpad.shape[1]
    for n in range(images):
        for c in range(channels):
            for i in range(kh):
                for j in range(kw):
                    dst = cols[n, (c * kh + i) * kw + j]
                    for h in range(ho):
                        src = xpad[n, c, h * sh + i * dh]
                        for w in range(wo):
                            dst[h * wo + w] = src[w + j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def im2col_channels(xpad, kh, kw, sh, dh, ho, wo, n0, cols):
    """Channel-major im2col of images n0 … n0 + N − 1: cols[(c·kh + i)·kw + j, n0 + n, h·W′ + w]
    = x̃[n, c, s_h·h + d_h·i, w + j] (cols (C·kh·kw, N_total, H′·W′); as above otherwise)."""
    images, channels = xpad.shape[0], xpad.shape[1]
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                for n in range(images):
                    dst = cols[(c * kh + i) * kw + j, n0 + n]
                    for h in range(ho):
                        src = xpad[n, c, h * sh + i * dh]
                        for w in range(wo):
                            dst[h * wo + w] = src[w + j]
