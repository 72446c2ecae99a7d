"""Occlusion (Zeiler & Fergus, 2014): how much the target's score drops when a sliding window of
the input is replaced by a baseline (Captum's Occlusion)."""
from __future__ import annotations

import numpy as np

from ..mathematics import Formula
from ..tensor import Tensor
from . import _common as C
from .integrated import _baseline

OCCLUSION = Formula.of(
    "occlusion",
    [("Occluded input", "x^(p) = x ⊙ (1 − M_p) + b ⊙ M_p   (M_p: 1 inside window p, else 0)"),
     ("Attribution", "A_i = Σ_p (f_t(x) − f_t(x^(p))) M_{p,i} / Σ_p M_{p,i}")],
    [r"x^{(p)} = x \odot (1 - M_p) + b \odot M_p",
     r"A_i = \frac{\sum_p \big(f_t(x) - f_t(x^{(p)})\big) M_{p,i}}{\sum_p M_{p,i}}"],
    "Each feature gets the average drop of the target's score over the window positions that "
    "cover it. Windows start at every multiple of the stride along each dimension, "
    "⌈(D − w)/s⌉ + 1 positions; the last one is cut off at the input's edge (Captum's rule).")


def _per_dim(op: str, name: str, value, k: int, x_shape) -> tuple[int, ...]:
    v = (value,) * k if isinstance(value, (int, np.integer)) else tuple(value)
    if len(v) != k or any(isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < 1
                          for e in v):
        raise ValueError(f"interpret.{op}: {name} must be {k} positive ints, one for each "
                         f"dimension of an input {tuple(x_shape[1:])} (e.g. (C, h, w) for "
                         f"images), got {value!r}")
    return tuple(int(e) for e in v)


def windows(x_shape, window, stride) -> list[np.ndarray]:
    """Per input dimension d, the (positions_d, D_d) 0/1 table of which features each window
    position covers; a position's mask is the outer product over dimensions."""
    tables = []
    for size, w, s in zip(x_shape[1:], window, stride):
        count = int(np.ceil((size - w) / s)) + 1
        starts = np.arange(count) * s
        j = np.arange(size)
        tables.append((j >= starts[:, None]) & (j < starts[:, None] + w))
    return tables


@C.with_formula(OCCLUSION)
def occlusion(model, x, target, window, stride=1, baseline=0,
              internal_batch_size: int | None = None) -> Tensor:
    r"""Occlusion attributions: the score's average drop when a window over each feature is
    replaced by ``baseline``.

    Occluded input:  x^(p) = x ⊙ (1 − M_p) + b ⊙ M_p
    Attribution:     A_i = Σ_p (f_t(x) − f_t(x^(p))) M_{p,i} / Σ_p M_{p,i}
    LaTeX:           A_i = \frac{\sum_p (f_t(x) - f_t(x^{(p)})) M_{p,i}}{\sum_p M_{p,i}}

    ``window``: the sliding window's shape over one input's dimensions, e.g. (1, 4, 4) or
    (C, 4, 4) for images (N, C, H, W); ``stride``: an int or one per dimension (≤ the window
    where the window is smaller than the input); ``baseline``: a number, one input or a batch
    like ``x``. As Captum's ``Occlusion(model).attribute(x, sliding_window_shapes=window,
    strides=stride, baselines=baseline, target=target)``. Many window positions go through the
    model in each forward pass (``internal_batch_size``: inputs per pass; default: as many as
    fit in about 64 MB). Returns a Tensor shaped like ``x``.
    """
    from .. import no_grad

    op = "occlusion"
    a = C.as_array(op, x)
    k = a.ndim - 1
    window = _per_dim(op, "window", window, k, a.shape)
    stride = _per_dim(op, "stride", stride, k, a.shape)
    for d, (size, w, s) in enumerate(zip(a.shape[1:], window, stride)):
        if w > size:
            raise ValueError(f"interpret.occlusion: the window {window} is larger than an input "
                             f"{a.shape[1:]} along dimension {d + 1}")
        if s > w and size > w:
            raise ValueError(f"interpret.occlusion: the stride {stride} skips features: along "
                             f"dimension {d + 1} it must be ≤ the window {window}")
    b = _baseline(op, baseline, a)
    bs = C.check_batch_size(op, internal_batch_size)
    fx, checked = C.scores(op, model, a, target, bs)
    tables = windows(a.shape, window, stride)
    counts = tuple(t.shape[0] for t in tables)
    positions = int(np.prod(counts))
    n = a.shape[0]
    per_pass = max(1, (bs or max(n, (1 << 24) // max(1, a[0].size))) // n)
    total = np.zeros(a.shape, np.float64)
    weight = np.zeros(a.shape[1:], np.float64)
    for lo in range(0, positions, per_pass):
        idx = np.unravel_index(np.arange(lo, min(positions, lo + per_pass)), counts)
        mask = np.ones((len(idx[0]),) + a.shape[1:], a.dtype)
        for d, (table, i) in enumerate(zip(tables, idx)):
            shape = [len(i)] + [1] * k
            shape[d + 1] = table.shape[1]
            mask = mask * table[i].reshape(shape)
        m = mask[:, None]                                            # (P, 1, …)
        occluded = (a[None] * (1 - m) + b[None] * m).reshape((-1,) + a.shape[1:])
        with no_grad():
            _, out = C.forward(op, model, occluded)
        s = out.numpy().reshape(m.shape[0], n, -1)[:, np.arange(n), checked]   # (P, N)
        drop = fx[None].astype(np.float64) - s
        total += np.tensordot(drop, mask.astype(np.float64), axes=(0, 0))
        weight += mask.sum(0)
    return C.like(x, (total / weight[None]).astype(a.dtype))
