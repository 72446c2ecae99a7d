"""Convolution: ONNX Conv over 1, 2 or 3 spatial axes, onto chainrule's conv1d/conv2d/conv3d."""
from __future__ import annotations

from ..nn import functional as F
from .geometry import Window, torch_pad
from .registry import Node, op
from .values import tensor

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


@op("Conv")
def conv(node: Node):
    r"""Conv(X, W, B?) with group g, strides s, dilations d, pads (explicit or auto_pad).

    Forward:   Y[n, o, p] = B[o] + Σ_{c < C/g} Σ_k W[o, c, k] · X̃[n, γ(o)·C/g + c, s·p + d·k]
               where γ(o) = ⌊o / (O/g)⌋ is o's group and X̃ is X zero-padded by the pads (see
               :mod:`.geometry`); g = C is a depthwise convolution.
    Derivative: through chainrule's conv primitive (its VJPs to X, W and B).
    Asymmetric pads (auto_pad SAME_* with an odd total, or explicit ones) pad X explicitly
    first, then convolve without padding.
    """
    window = Window.read(node, pooling=False)
    group = int(node.attr("group", 1))
    if group < 1:
        raise node.refuse(f"group={group}: expected ≥ 1")

    def run(x, w, b=None):
        x, w = tensor(x), tensor(w)
        nd = w.ndim - 2
        if nd not in _CONV:
            raise ValueError(f"Conv: weight of shape {list(w.shape)} has {nd} spatial axes; "
                             "chainrule convolves over 1, 2 or 3")
        if x.ndim != nd + 2:
            raise ValueError(f"Conv: input of shape {list(x.shape)} does not match the weight's "
                             f"{nd} spatial axes (expected a {nd + 2}-d input (N, C, …))")
        if window.kernel is not None and tuple(window.kernel) != tuple(w.shape[2:]):
            raise ValueError(f"Conv: kernel_shape {list(window.kernel)} disagrees with the "
                             f"weight's shape {list(w.shape)}")
        kernel, strides, dilations, pads, _ = window.resolve(tuple(x.shape[2:]),
                                                             tuple(w.shape[2:]))
        bias = None if b is None else tensor(b)
        if all(p == q for p, q in pads):
            padding = tuple(p for p, _ in pads)
        else:
            x, padding = F.pad(x, torch_pad(pads)), 0
        return _CONV[nd](x, w, bias, stride=strides, padding=padding, dilation=dilations,
                         groups=group)

    return run
