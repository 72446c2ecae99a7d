"""Padding: ONNX Pad (constant, reflect, edge, wrap), pads and value given as inputs."""
from __future__ import annotations

import numpy as np

from ..nn import functional as F
from .geometry import torch_pad
from .registry import Node, op
from .values import array, ints, is_tensor, tensor

_MODES = ("constant", "reflect", "edge", "wrap")


def _source_index(mode: str, n: int, b: int, e: int) -> np.ndarray:
    """Which input position each output position reads along one axis (b, e may be < 0: crop).

    edge:    clip(i, 0, n − 1)                     (…a a | a b c | c c…)
    reflect: mirror without repeating the edge     (…c b | a b c | b a…), period 2(n − 1)
    wrap:    i mod n                                (…b c | a b c | a b…)
    """
    i = np.arange(-b, n + e)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return np.mod(i, n)
    if n == 1:
        return np.zeros_like(i)
    period = 2 * (n - 1)
    j = np.mod(i, period)
    return np.where(j >= n, period - j, j)


@op("Pad")
def pad(node: Node):
    r"""Pad(X, pads, value?, axes?): X extended by pads = [b₁, …, b_k, e₁, …, e_k] (begin and
    end per axis; negative entries crop).

    Forward:    constant: Y = value outside X; edge/reflect/wrap: Y[i] = X[src(i)] per axis
                (see :func:`_source_index`).
    Derivative: the gradient of the kept positions back to X (edge/reflect/wrap: summed over the
                positions that read the same input); a Tensor ``value`` gets the sum of the
                gradient over the padded positions.
    """
    mode = node.choice("mode", "constant", _MODES if node.opset >= 19 else _MODES[:3])

    def run(x, pads, value=None, axes=None):
        pads = ints(pads)
        r = x.ndim
        axes_list = tuple(range(r)) if axes is None else tuple(a % r if -r <= a < r else None
                                                               for a in ints(axes))
        if None in axes_list or len(pads) != 2 * len(axes_list):
            raise ValueError(f"Pad: pads {list(pads)} must hold a begin and an end for each "
                             f"axis {list(axes_list)} of an input of rank {r}")
        per_axis = [(0, 0)] * r
        k = len(axes_list)
        for i, a in enumerate(axes_list):
            per_axis[a] = (pads[i], pads[i + k])
        for a, (b, e) in enumerate(per_axis):
            if x.shape[a] + b + e < 0:
                raise ValueError(f"Pad: pads {list(pads)} would give axis {a} (length "
                                 f"{x.shape[a]}) a negative length")
        if mode == "constant":
            return _constant(x, per_axis, value)
        out = x
        for a, (b, e) in enumerate(per_axis):
            if b or e:
                n = x.shape[a]
                if n == 0:
                    raise ValueError(f"Pad: {mode} padding of an empty axis {a}")
                out = out[(slice(None),) * a + (_source_index(mode, n, b, e),)]
        return out

    return run


def _constant(x, per_axis, value):
    fill = 0.0
    if value is not None and not is_tensor(value) and array(value).size:
        fill = float(array(value).reshape(-1)[0])
    crop = tuple(slice(max(-b, 0), n - max(-e, 0)) for n, (b, e) in zip(x.shape, per_axis))
    widths = [(max(b, 0), max(e, 0)) for b, e in per_axis]
    if not is_tensor(x) and not is_tensor(value):
        a = np.asarray(x)
        return np.pad(a[crop], widths, constant_values=np.asarray(fill, a.dtype))
    y = F.pad(tensor(x), torch_pad(per_axis), value=fill)
    if is_tensor(value):
        # y = pad(x, 0) + value · mask: the value joins the graph, and X's positions stay exact
        kept = tuple(s.stop - s.start for s in crop)
        mask = np.pad(np.zeros(kept, np.dtype(y.dtype)), widths, constant_values=1)
        y = y + value.reshape(()) * tensor(mask)
    return y
