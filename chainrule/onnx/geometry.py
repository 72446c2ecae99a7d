"""Window geometry shared by Conv and the pooling operators (ONNX's rules, per spatial axis).

For input length H, kernel k, stride s, dilation d and pads (b, e) at the two ends, the window
spans d(k − 1) + 1 positions and

    explicit pads:        H′ = ⌊(H + b + e − d(k − 1) − 1) / s⌋ + 1
    ceil_mode (pooling):  H′ = ⌈(H + b + e − d(k − 1) − 1) / s⌉ + 1, less one if the last window
                          would start in the end padding, (H′ − 1)s ≥ H + b
    auto_pad SAME_*:      H′ = ⌈H / s⌉, total pad t = max(0, (H′ − 1)s + d(k − 1) + 1 − H),
                          SAME_UPPER puts ⌊t/2⌋ first (the extra one at the end),
                          SAME_LOWER puts ⌈t/2⌉ first
    auto_pad VALID:       no padding, H′ = ⌊(H − d(k − 1) − 1) / s⌋ + 1
"""
from __future__ import annotations

from dataclasses import dataclass

from .registry import Node

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


@dataclass(frozen=True)
class Window:
    """A node's window attributes, read and checked at load time (``None`` = from the input)."""

    auto_pad: str
    kernel: tuple[int, ...] | None
    strides: tuple[int, ...] | None
    dilations: tuple[int, ...] | None
    pads: tuple[int, ...] | None
    ceil_mode: bool = False

    @classmethod
    def read(cls, node: Node, pooling: bool) -> Window:
        auto_pad = node.choice("auto_pad", "NOTSET", AUTO_PADS)
        kernel = node.ints("kernel_shape")
        if pooling and kernel is None:
            raise node.refuse("kernel_shape is required")
        strides, dilations, pads = node.ints("strides"), node.ints("dilations"), node.ints("pads")
        for name, values in (("kernel_shape", kernel), ("strides", strides),
                             ("dilations", dilations)):
            if values is not None and any(v < 1 for v in values):
                raise node.refuse(f"{name}={list(values)}: every entry must be ≥ 1")
        if pads is not None and any(p < 0 for p in pads):
            raise node.refuse(f"pads={list(pads)}: every entry must be ≥ 0")
        if pads is not None and auto_pad != "NOTSET" and any(pads):
            raise node.refuse(f"pads={list(pads)} together with auto_pad={auto_pad}")
        ceil_mode = node.flag("ceil_mode") if pooling else False
        return cls(auto_pad, kernel, strides, dilations, pads, ceil_mode)

    def resolve(self, spatial: tuple[int, ...], kernel: tuple[int, ...] | None = None):
        """``(kernel, strides, dilations, pads as (begin, end) per axis, output sizes)``."""
        n = len(spatial)
        kernel = tuple(kernel if self.kernel is None else self.kernel)
        strides = self.strides or (1,) * n
        dilations = self.dilations or (1,) * n
        if not len(kernel) == len(strides) == len(dilations) == n:
            raise ValueError(f"kernel_shape {list(kernel)}, strides {list(strides)} and "
                             f"dilations {list(dilations)} must each have one entry per spatial "
                             f"axis of the input ({n}: {list(spatial)})")
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
        if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            outs = [-(-h // s) for h, s in zip(spatial, strides)]
            pads = []
            for h, s, span, o in zip(spatial, strides, spans, outs):
                total = max(0, (o - 1) * s + span - h)
                first = total // 2 if self.auto_pad == "SAME_UPPER" else total - total // 2
                pads.append((first, total - first))
            return kernel, strides, dilations, tuple(pads), tuple(outs)
        if self.auto_pad == "VALID" or self.pads is None:
            pads = ((0, 0),) * n
        else:
            if len(self.pads) != 2 * n:
                raise ValueError(f"pads {list(self.pads)} must have 2 entries per spatial axis "
                                 f"({2 * n} for an input with spatial shape {list(spatial)})")
            pads = tuple((self.pads[i], self.pads[i + n]) for i in range(n))
        outs = []
        for h, s, span, (b, e) in zip(spatial, strides, spans, pads):
            room = h + b + e - span
            if room < 0:
                raise ValueError(f"the window (kernel {list(kernel)}, dilations "
                                 f"{list(dilations)}) is larger than the padded input (spatial "
                                 f"shape {list(spatial)}, pads {[p for p in pads]})")
            o = (-(-room // s) if self.ceil_mode else room // s) + 1
            if self.ceil_mode and (o - 1) * s >= h + b:
                o -= 1
            outs.append(o)
        return kernel, strides, dilations, pads, tuple(outs)


def torch_pad(pads) -> list[int]:
    """Per-axis (begin, end) pads as F.pad's list: last axis first."""
    out = []
    for b, e in reversed(pads):
        out += [b, e]
    return out
