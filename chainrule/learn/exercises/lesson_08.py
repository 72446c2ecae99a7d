"""Lesson 8 — convolutional networks: output sizes, convolution as a matrix product (im2col),
max pooling and its backward pass.

Write each function below, then grade it:   chainrule learn check 8     (or check 8.2, …)
Arrays use PyTorch's layout: images X ∈ ℝ^{N×C×H×W} (batch, channels, height, width).
The lesson explains the mathematics: chainrule learn show 8.
"""
import numpy as np  # noqa: F401  (you will need it)


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Exercise 8.1 — the output length of a convolution or pooling along one dimension.

    An input of ``size`` entries, padded with ``padding`` zeros on each side, is scanned by a
    kernel of ``kernel_size`` taps spaced ``dilation`` apart, moving ``stride`` entries at a
    time; the kernel must fit entirely inside the padded input. Return how many positions it
    takes (an int), as nn.Conv2d computes its output height and width.
    """
    raise NotImplementedError


def conv2d_im2col(X, W, b):
    """Exercise 8.2 — a convolution layer's forward pass as one matrix product.

    X ∈ ℝ^{N×C×H×W}, weights W ∈ ℝ^{O×C×k_h×k_w}, bias b ∈ ℝ^O; stride 1, no padding. Return
    Y ∈ ℝ^{N×O×H′×W′} (H′ = H − k_h + 1, W′ = W − k_w + 1) with

        Y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · X[n, c, i + p, j + q]

    (cross-correlation, as nn.Conv2d). Build the im2col matrix — one column per output position,
    holding the C·k_h·k_w inputs under the kernel there — and multiply it by W reshaped to
    O × (C·k_h·k_w). Loops over the k_h·k_w kernel offsets are fine; no loop over pixels.
    """
    raise NotImplementedError


def maxpool2d_backward(X, G, k):
    """Exercise 8.3 — the backward pass of k×k max pooling with stride k.

    Y = max_pool2d(X, k): Y[n, c, i, j] = max of the window X[n, c, k·i : k·i + k, k·j : k·j + k];
    as in nn.MaxPool2d, the last rows and columns are dropped when H or W is not a multiple of k.
    Given X ∈ ℝ^{N×C×H×W} and G = ∂L/∂Y, return ∂L/∂X (X's shape). When a window holds its
    maximum more than once, the gradient goes to the first of them in row-major order (as
    PyTorch and chainrule do).
    """
    raise NotImplementedError
