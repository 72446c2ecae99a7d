"""Convolution: ONNX Conv and ConvTranspose over 1, 2 or 3 spatial axes, onto chainrule's
conv1d/2d/3d and conv_transpose1d/2d/3d."""
from __future__ import annotations

from ..nn import functional as F
from .geometry import Window, torch_pad
from .registry import Node, op
from .values import tensor

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


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


@op("ConvTranspose")
def conv_transpose(node: Node):
    r"""ConvTranspose(X, W, B?): the adjoint of Conv (the gradient of a convolution with respect
    to its input), W of shape (C, O/g, k…), group g, strides s, dilations d.

    Forward:   Ỹ[n, o, s·p + d·j] += Σ_c X[n, c, p] · W[c, o, j] over p and j (full length
               s(H − 1) + d(k − 1) + 1), then Y = Ỹ cropped by pads (b, e) and extended by
               output_padding: length s(H − 1) + output_padding + d(k − 1) + 1 − b − e; plus B.
    With output_shape (or auto_pad SAME_*, where output_shape = H·s) the pads are derived:
    t = s(H − 1) + output_padding + d(k − 1) + 1 − output_shape, SAME_UPPER puts ⌊t/2⌋ first,
    otherwise ⌈t/2⌉ first (the specification's rule).
    Derivative: through chainrule's conv_transpose primitive (its VJPs are convolutions).
    """
    auto_pad = node.choice("auto_pad", "NOTSET", ("NOTSET", "SAME_UPPER", "SAME_LOWER",
                                                  "VALID"))
    group = int(node.attr("group", 1))
    if group < 1:
        raise node.refuse(f"group={group}: expected ≥ 1")
    kernel_attr = node.ints("kernel_shape")
    strides_attr, dilations_attr = node.ints("strides"), node.ints("dilations")
    pads_attr, extra_attr = node.ints("pads"), node.ints("output_padding")
    shape_attr = node.ints("output_shape")
    for name, values in (("strides", strides_attr), ("dilations", dilations_attr),
                         ("kernel_shape", kernel_attr)):
        if values is not None and any(v < 1 for v in values):
            raise node.refuse(f"{name}={list(values)}: every entry must be ≥ 1")

    def run(x, w, b=None):
        x, w = tensor(x), tensor(w)
        nd = w.ndim - 2
        if nd not in _CONV_T or x.ndim != nd + 2:
            raise ValueError(f"ConvTranspose: input of shape {list(x.shape)} and weight of shape "
                             f"{list(w.shape)} (expected (N, C, …) and (C, O/group, k…) with 1 "
                             "to 3 spatial axes)")
        if x.shape[1] != w.shape[0]:
            raise ValueError(f"ConvTranspose: the input has {x.shape[1]} channels but the "
                             f"weight expects {w.shape[0]}")
        kernel = tuple(w.shape[2:])
        if kernel_attr is not None and tuple(kernel_attr) != kernel:
            raise ValueError(f"ConvTranspose: kernel_shape {list(kernel_attr)} disagrees with "
                             f"the weight's shape {list(w.shape)}")
        spatial = tuple(x.shape[2:])
        s = strides_attr or (1,) * nd
        d = dilations_attr or (1,) * nd
        extra = extra_attr or (0,) * nd
        if not len(s) == len(d) == len(extra) == nd:
            raise ValueError(f"ConvTranspose: strides {list(s)}, dilations {list(d)} and "
                             f"output_padding {list(extra)} need {nd} entries each")
        full = [si * (h - 1) + di * (k - 1) + 1 for si, di, h, k in zip(s, d, spatial, kernel)]
        target = None
        if shape_attr is not None:
            target = tuple(shape_attr[-nd:])
        elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            target = tuple(h * si for h, si in zip(spatial, s))
        if target is not None:
            pads = []
            for f, e, t in zip(full, extra, target):
                total = f + e - t
                half = total // 2
                pads.append((half, total - half) if auto_pad == "SAME_UPPER"
                            else (total - half, half))
        elif auto_pad == "VALID" or pads_attr is None:
            pads = [(0, 0)] * nd
        else:
            if len(pads_attr) != 2 * nd:
                raise ValueError(f"ConvTranspose: pads {list(pads_attr)} need {2 * nd} entries")
            pads = [(pads_attr[i], pads_attr[i + nd]) for i in range(nd)]
        sizes = [f + e - p - q for f, e, (p, q) in zip(full, extra, pads)]
        if any(n <= 0 for n in sizes):
            raise ValueError(f"ConvTranspose: the output would have spatial shape {sizes}")
        bias = None if b is None else tensor(b)
        if all(p == q >= 0 for p, q in pads) and all(e < max(si, di)
                                                      for e, si, di in zip(extra, s, d)):
            return _CONV_T[nd](x, w, bias, stride=s, padding=tuple(p for p, _ in pads),
                               output_padding=extra, groups=group, dilation=d)
        y = _CONV_T[nd](x, w, None, stride=s, padding=0, groups=group, dilation=d)
        y = F.pad(y, torch_pad([(-p, n + p - f) for (p, _), n, f in zip(pads, sizes, full)]))
        if bias is not None:
            y = y + bias.reshape((1, -1) + (1,) * nd)
        return y

    return run
