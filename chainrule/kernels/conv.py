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
import numpy


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


_U = numpy.uint64       # unsigned flat indices: numba then skips the negative-index wraparound,
#                         and the inner loops are plain vectorised multiply-adds


@numba.njit(cache=True, nogil=True, error_model="numpy")
def depthwise2d(xf, n_images, channels, h, w, kernel, bias, pt, pl, sh, sw, dh, dw, ho, wo, yf):
    """Depthwise 2-d convolution (groups = C, one filter per channel) on flat C-order arrays
    ``xf`` (N, C, H, W) and ``yf`` (N, C, H′, W′):

        y[n, c, p, q] = b[c] + Σ_{i,j} W[c, 0, i, j] · x̃[n, c, s_h·p + d_h·i, s_w·q + d_w·j]

    (x̃: x zero-padded by pt rows on top and pl columns on the left; the zeros below and to the
    right are implicit). Each channel plane is copied once into s_h·s_w zero-bordered *phase
    planes*, P_{a,b}[r, t] = x̃[s_h·r + a, s_w·t + b], so that every kernel tap (i, j) reads
    one phase plane at a fixed offset with stride 1: the output plane, laid out with the phase
    planes' row length, is k_h·k_w long multiply-adds y += W[c, 0, i, j] · P[offset:], each a
    vectorised loop over the whole plane (the columns past W′ are computed and dropped). The
    GEMM route instead copies k² shifted images per channel and multiplies a 1 × k² row by
    them (EfficientNet-Lite0's depthwise layers at batch 16, one thread: 278 → 131 ms).
    The terms are summed in the order (i, j), after the bias."""
    kh, kw = kernel.shape[2], kernel.shape[3]
    hp = max(h + pt, (ho - 1) * sh + (kh - 1) * dh + 1)
    wp = max(w + pl, (wo - 1) * sw + (kw - 1) * dw + 1)
    hq = (hp + sh - 1) // sh + 1        # one spare row: the last tap's run may reach past hp
    wq = (wp + sw - 1) // sw
    plane = hq * wq
    phases = numpy.zeros(sh * sw * plane, dtype=xf.dtype)
    span = ho * wq
    acc = numpy.empty(span, dtype=xf.dtype)
    uw, uwo, uspan = _U(w), _U(wo), _U(span)
    for n in range(n_images):
        for c in range(channels):
            src = _U((n * channels + c) * h * w)
            for r in range(h):                      # the plane into its phase planes
                rr = r + pt
                row = (rr % sh) * sw * plane + (rr // sh) * wq
                srow = src + _U(r * w)
                if sw == 1:
                    dst = _U(row + pl)
                    for t in range(uw):
                        phases[dst + t] = xf[srow + t]
                    continue
                for b in range(sw):
                    first = (pl - b + sw - 1) // sw if pl > b else 0
                    q = b + sw * first - pl
                    m = first
                    while q < w and m < wq:
                        phases[row + b * plane + m] = xf[srow + _U(q)]
                        m += 1
                        q += sw
            b0 = bias[c]
            for t in range(uspan):
                acc[t] = b0
            for i in range(kh):
                a = i * dh
                for j in range(kw):
                    e = j * dw
                    wv = kernel[c, 0, i, j]
                    base = _U(((a % sh) * sw + e % sw) * plane + (a // sh) * wq + e // sw)
                    for t in range(uspan):
                        acc[t] += wv * phases[base + t]
            dst = _U((n * channels + c) * ho * wo)
            for p in range(ho):
                o, s0 = dst + _U(p * wo), _U(p * wq)
                for q in range(uwo):
                    yf[o + q] = acc[s0 + q]
