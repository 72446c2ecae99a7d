"""Padding layers (PyTorch's ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad
in 1, 2 and 3 dimensions): thin modules over ``F.pad``.

``padding`` lists (before, after) amounts from the last axis backwards, as PyTorch's F.pad:
(left, right) in 1-d, (left, right, top, bottom) in 2-d, (left, right, top, bottom, front, back)
in 3-d; an int pads every side by that amount. Padding builds the output from slices of the input
(and constants), so the derivative is the adjoint of that selection: ∂L/∂x is G cropped back to
x's positions, plus (reflect, replicate, circular) the gradients of the padded copies added onto
the elements they copied.
"""
from __future__ import annotations

from ...mathematics import Formula
from ..module import Module

_SIDES = {1: "(left, right)", 2: "(left, right, top, bottom)",
          3: "(left, right, top, bottom, front, back)"}


def _fallback_pad(x, pad, mode: str, value: float):
    """F.pad for this module when chainrule.nn.functional has no ``pad`` yet: one axis at a time,
    from slices and concatenations (autograd differentiates it)."""
    from ... import ops
    from .conv import _pad_axis

    for i in range(len(pad) // 2):
        axis = x.ndim - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        if mode != "constant":
            x = _pad_axis(x, axis, before, after, mode)
            continue
        size = x.shape[axis]
        start, stop = max(0, -before), size - max(0, -after)
        if start or stop != size:
            x = ops.getitem(x, (slice(None),) * axis + (slice(start, stop),))
        pieces = [x]
        if before > 0:
            pieces.insert(0, _constant_block(x, axis, before, value))
        if after > 0:
            pieces.append(_constant_block(x, axis, after, value))
        if len(pieces) > 1:
            x = ops.concatenate(pieces, axis=axis)
    return x


def _constant_block(x, axis: int, amount: int, value: float):
    from ...backend import xp
    from ...tensor import Tensor

    shape = tuple(x.shape[:axis]) + (amount,) + tuple(x.shape[axis + 1:])
    return Tensor._make(xp.full(shape, value, dtype=x.dtype))


def _pad(x, pad, mode: str, value: float = 0.0):
    try:
        from ..functional import pad as functional_pad
    except ImportError:
        return _fallback_pad(x, pad, mode, value)
    if mode == "constant":
        return functional_pad(x, pad, mode, value)
    return functional_pad(x, pad, mode)


def _ntuple(padding, n: int, name: str) -> tuple[int, ...]:
    if isinstance(padding, int):
        return (padding,) * n
    padding = tuple(int(p) for p in padding)
    if len(padding) != n:
        raise ValueError(f"{name}: padding must be an int or a tuple of {n} ints "
                         f"{_SIDES[n // 2]}, got {padding}")
    return padding


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._nd, type(self).__name__)

    def forward(self, x):
        nd, name = self._nd, type(self).__name__
        if self._mode != "constant" and x.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{name}: expected a {nd + 1}-d or {nd + 2}-d input (unbatched or "
                             f"batched), got shape {tuple(x.shape)}")
        return _pad(x, self.padding, self._mode, getattr(self, "value", 0.0))

    def formula(self) -> Formula:
        what = {"constant": f"the constant {getattr(self, 'value', 0.0)}",
                "reflect": "the mirror image of the input (edge not repeated)",
                "replicate": "copies of the edge element",
                "circular": "the input's other end (periodic)"}[self._mode]
        pairs = [("Forward", f"y = x padded by {self.padding} {_SIDES[self._nd]} with {what}"),
                 ("Derivative", "∂L/∂x = G cropped to x's positions"
                  + ("" if self._mode == "constant" else
                     ", plus the gradient of every padded copy added onto its source element"))]
        latex = [r"y = \operatorname{pad}(x),\quad \text{" + self._mode + "}",
                 r"\frac{\partial L}{\partial x_j} = \sum_{i:\ \mathrm{src}(i) = j} G_i"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Padding only copies values (or adds constants), so each input element "
                          "receives the gradients of the outputs that copy it.")

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with a constant (PyTorch's ``nn.ConstantPad1d``); padding (left, right).

    Forward:     y = [c … c, x, c … c]
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with a constant (PyTorch's ``nn.ConstantPad2d``).

    Forward:     y = x framed by the constant; padding (left, right, top, bottom)
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with a constant (PyTorch's ``nn.ConstantPad3d``).

    Forward:     y = x framed by the constant; padding (left, right, top, bottom, front, back)
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last axis with zeros (PyTorch's ``nn.ZeroPad1d``).

    Forward:     y = [0 … 0, x, 0 … 0]
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two axes with zeros (PyTorch's ``nn.ZeroPad2d``).

    Forward:     y = x framed by zeros; padding (left, right, top, bottom)
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three axes with zeros (PyTorch's ``nn.ZeroPad3d``).

    Forward:     y = x framed by zeros; padding (left, right, top, bottom, front, back)
    Derivative:  ∂L/∂x = G cropped to x's positions
    """

    _nd = 3


_MODE_DOC = """

    Forward:     y[i] = x[src(i)], src(i) the {what} of an out-of-range position
    Derivative:  ∂L/∂x[j] = Σ_{{i: src(i) = j}} G[i]
    """


class ReflectionPad1d(_PadNd):
    __doc__ = ("Reflection padding of (N, C, L) or (C, L) (PyTorch's ``nn.ReflectionPad1d``)."
               + _MODE_DOC.format(what="reflection about the edge element"))
    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    __doc__ = ("Reflection padding of (N, C, H, W) or (C, H, W) (PyTorch's "
               "``nn.ReflectionPad2d``)." + _MODE_DOC.format(what="reflection about the edge"))
    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    __doc__ = ("Reflection padding of (N, C, D, H, W) or (C, D, H, W) (PyTorch's "
               "``nn.ReflectionPad3d``)." + _MODE_DOC.format(what="reflection about the edge"))
    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    __doc__ = ("Edge replication padding of (N, C, L) or (C, L) (PyTorch's "
               "``nn.ReplicationPad1d``)." + _MODE_DOC.format(what="nearest edge element"))
    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    __doc__ = ("Edge replication padding of (N, C, H, W) or (C, H, W) (PyTorch's "
               "``nn.ReplicationPad2d``)." + _MODE_DOC.format(what="nearest edge element"))
    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    __doc__ = ("Edge replication padding of (N, C, D, H, W) or (C, D, H, W) (PyTorch's "
               "``nn.ReplicationPad3d``)." + _MODE_DOC.format(what="nearest edge element"))
    _nd, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    __doc__ = ("Circular (periodic) padding of (N, C, L) or (C, L) (PyTorch's "
               "``nn.CircularPad1d``)." + _MODE_DOC.format(what="position modulo the length"))
    _nd, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    __doc__ = ("Circular (periodic) padding of (N, C, H, W) or (C, H, W) (PyTorch's "
               "``nn.CircularPad2d``)." + _MODE_DOC.format(what="position modulo the size"))
    _nd, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    __doc__ = ("Circular (periodic) padding of (N, C, D, H, W) or (C, D, H, W) (PyTorch's "
               "``nn.CircularPad3d``)." + _MODE_DOC.format(what="position modulo the size"))
    _nd, _mode = 3, "circular"
