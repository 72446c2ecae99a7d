"""Hidden checks of lesson 8: output sizes and convolutions from chainrule's nn.functional, the
pooling gradient from its autograd."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng, show


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def check_conv_output_size(f) -> None:
    cr, F = _cr()
    hint = ("a kernel of k taps spaced d apart spans d(k − 1) + 1 entries; in the padded input of "
            "size + 2·padding entries it fits at the positions 0, s, 2s, … as long as it does "
            "not run past the end: count them (a floor division, then + 1 for position 0)")
    cases = [(28, 3, 1, 0, 1), (28, 3, 1, 1, 1), (28, 5, 2, 2, 1), (7, 2, 2, 0, 1),
             (10, 3, 3, 0, 1), (32, 3, 1, 2, 2), (5, 5, 1, 0, 1), (224, 7, 2, 3, 1)]
    for size, k, s, p, d in cases:
        case = f"size {size}, kernel {k}, stride {s}, padding {p}, dilation {d}"
        x = cr.zeros(1, 1, size, 3)
        w = cr.zeros(1, 1, k, 1)
        expected = F.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
        received = call(case, hint, f, size, k, s, p, d)
        try:
            same = int(received) == received == expected
        except (TypeError, ValueError):
            same = False
        if not same:
            slip = ""
            if isinstance(received, (int, np.integer)) and abs(int(received) - expected) == 1:
                slip = " (off by one)"
            raise Failure(case, "wrong output size" + slip, expected=str(expected),
                          received=show(received), hint=hint)


def check_conv2d_im2col(f) -> None:
    cr, F = _cr()
    g = rng(802)
    hint = ("Y[n, o, i, j] = b[o] + Σ_{c,p,q} W[o, c, p, q] X[n, c, i + p, j + q]: the kernel is "
            "not flipped (cross-correlation); the column of position (i, j) must list the inputs "
            "in the same order (c, p, q) as a row of W.reshape(O, C·k_h·k_w)")
    for N, C, H, Wd, O, kh, kw in ((1, 1, 4, 4, 1, 2, 2), (2, 3, 6, 5, 4, 3, 3),
                                   (1, 2, 5, 7, 3, 2, 3), (3, 1, 3, 3, 2, 3, 3)):
        X, W, b = g.normal(size=(N, C, H, Wd)), g.normal(size=(O, C, kh, kw)), g.normal(size=O)
        case = f"X of shape {(N, C, H, Wd)}, W of shape {(O, C, kh, kw)}"
        expected = F.conv2d(cr.tensor(X), cr.tensor(W), cr.tensor(b)).numpy()
        flipped = F.conv2d(cr.tensor(X), cr.tensor(W[:, :, ::-1, ::-1].copy()),
                           cr.tensor(b)).numpy()
        compare(case, expected, call(case, hint, f, X, W, b), hint=hint, what="Y",
                mistakes=[(flipped, "it is the convolution with the kernel flipped (a true "
                           "convolution); nn.Conv2d does not flip")])


def check_maxpool2d_backward(f) -> None:
    cr, F = _cr()
    g = rng(803)
    hint = ("Y = max of each window, so ∂L/∂X is zero except at the position where each window "
            "takes its maximum, which receives that window's G; windows start at multiples of "
            "k, and inputs past the last whole window get no gradient")
    cases = [("X of shape (1, 1, 4, 4), k = 2", g.normal(size=(1, 1, 4, 4)), 2),
             ("X of shape (2, 3, 6, 6), k = 3", g.normal(size=(2, 3, 6, 6)), 3),
             ("X of shape (1, 2, 5, 7), k = 2: the last row and column are dropped",
              g.normal(size=(1, 2, 5, 7)), 2),
             ("ties: windows of equal values (the first maximum takes the gradient)",
              np.repeat(np.repeat(g.integers(0, 2, size=(1, 1, 2, 3)).astype(float), 2, axis=2),
                        2, axis=3), 2)]
    for case, X, k in cases:
        t = cr.tensor(X, requires_grad=True)
        Y = F.max_pool2d(t, k)
        G = g.normal(size=Y.shape)
        (Y * cr.tensor(G)).sum().backward()
        compare(case, t.grad.numpy(), call(case, hint, f, X, G, k), hint=hint, what="∂L/∂X",
                transposable=False)


EXERCISES = (
    Exercise("8.1", "conv_output_size", "the output size of a convolution",
             check_conv_output_size),
    Exercise("8.2", "conv2d_im2col", "a convolution as one matrix product (im2col)",
             check_conv2d_im2col),
    Exercise("8.3", "maxpool2d_backward", "the backward pass of max pooling",
             check_maxpool2d_backward),
)
