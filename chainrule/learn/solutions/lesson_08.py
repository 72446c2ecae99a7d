"""Reference solutions of lesson 8 (convolution and pooling)."""
import numpy as np


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    # the kernel spans d(k − 1) + 1 entries; it fits at positions 0, s, 2s, … of the padded input
    span = dilation * (kernel_size - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def conv2d_im2col(X, W, b):
    N, C, H, Wd = X.shape
    O, _, kh, kw = W.shape
    oh, ow = H - kh + 1, Wd - kw + 1
    # cols[n, c, p, q, i, j] = X[n, c, i + p, j + q]: one slice per kernel offset (p, q)
    cols = np.empty((N, C, kh, kw, oh, ow), dtype=X.dtype)
    for p in range(kh):
        for q in range(kw):
            cols[:, :, p, q] = X[:, :, p:p + oh, q:q + ow]
    cols = cols.reshape(N, C * kh * kw, oh * ow)            # the im2col matrix of each image
    Y = W.reshape(O, C * kh * kw) @ cols                    # (O × CKK)(CKK × positions)
    return Y.reshape(N, O, oh, ow) + b[None, :, None, None]


def maxpool2d_backward(X, G, k):
    N, C, H, Wd = X.shape
    oh, ow = H // k, Wd // k
    # the windows as a last axis of length k·k, in row-major order
    windows = X[:, :, :oh * k, :ow * k].reshape(N, C, oh, k, ow, k)
    windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, oh, ow, k * k)
    first = windows.argmax(axis=-1)                         # the first maximum of each window
    grad = np.zeros_like(windows)
    np.put_along_axis(grad, first[..., None], G[..., None], axis=-1)
    grad = grad.reshape(N, C, oh, ow, k, k).transpose(0, 1, 2, 4, 3, 5).reshape(
        N, C, oh * k, ow * k)
    out = np.zeros_like(X, dtype=np.float64)
    out[:, :, :oh * k, :ow * k] = grad                      # dropped rows/columns get 0
    return out
