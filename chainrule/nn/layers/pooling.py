"""MaxPool1d/2d, AvgPool1d/2d and AdaptiveAvgPool2d (PyTorch's names, arguments and defaults).

The arithmetic is in :mod:`chainrule.ops.pool`; each layer here holds its settings and states its
mathematics with its own kernel, stride and padding.
"""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import pool as P
from ..module import Module

_LETTERS = {1: ("l",), 2: ("h", "w")}
_KLETTERS = {1: ("i",), 2: ("i", "j")}
_LAYOUT = {1: ("L",), 2: ("H", "W")}


def _taps(nd, stride, padding, dilation=None) -> str:
    dilation = dilation or (1,) * nd
    return ", ".join(f"{s}·{a} − {p} + {d}·{i}" if d != 1 else f"{s}·{a} − {p} + {i}"
                     for a, i, s, p, d in zip(_LETTERS[nd], _KLETTERS[nd], stride, padding,
                                              dilation))


def _size_line(nd, kernel, stride, padding, dilation, ceil_mode) -> str:
    bracket = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    return "; ".join(f"{L}′ = {bracket[0]}({L} + 2·{p} − {d}·({k} − 1) − 1)/{s}{bracket[1]} + 1"
                     for L, k, s, p, d in zip(_LAYOUT[nd], kernel, stride, padding, dilation))


class _MaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x):
        fn = P.max_pool1d if self._nd == 1 else P.max_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                  self.return_indices)

    def _settings(self):
        nd, name = self._nd, type(self).__name__
        return (P._ntuple(self.kernel_size, nd, "kernel_size", name),
                P._ntuple(self.stride, nd, "stride", name),
                P._ntuple(self.padding, nd, "padding", name),
                P._ntuple(self.dilation, nd, "dilation", name))

    def formula(self) -> Formula:
        nd = self._nd
        kernel, stride, padding, dilation = self._settings()
        out_idx, k_idx = ",".join(_LETTERS[nd]), ",".join(_KLETTERS[nd])
        taps = _taps(nd, stride, padding, dilation)
        ranges = ", ".join(f"{i} < {k}" for i, k in zip(_KLETTERS[nd], kernel))
        size = _size_line(nd, kernel, stride, padding, dilation, self.ceil_mode)
        pairs = [("Forward", f"y[n,c,{out_idx}] = max_{{{ranges}}} x̃[n,c, {taps}]  "
                             f"(x̃: x padded with −∞)"),
                 ("Derivative", f"∂L/∂x[n,c,p] = Σ over windows whose argmax is p of "
                                f"G[n,c,{out_idx}]; the other elements get 0 (ties: the first "
                                f"maximum in row-major order)"),
                 ("Shapes", size)]
        latex = [r"y_{n,c," + out_idx + r"} = \max_{" + k_idx + r"} \tilde{x}_{n,c,\,"
                 + taps.replace("·", " ").replace("−", "-") + "}",
                 r"\frac{\partial L}{\partial x_p} = \sum_{(" + out_idx + r"):\ \arg\max = p} "
                 r"G_{n,c," + out_idx + "}",
                 r"\text{" + size + "}"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Only a window's largest element reaches the output, so only it "
                          "receives the window's gradient.")

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over (N, C, L) (PyTorch's ``nn.MaxPool1d``).

    Forward:     y[n,c,l] = max_i x̃[n,c, s·l − p + d·i]
    Derivative:  the window's gradient goes to its argmax (ties: the first maximum)
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over (N, C, H, W) (PyTorch's ``nn.MaxPool2d``); stride defaults to
    kernel_size.

    Forward:     y[n,c,h,w] = max_{i,j} x̃[n,c, s·h − p + d·i, s·w − p + d·j]
    Derivative:  the window's gradient goes to its argmax (ties: the first maximum in row-major
                 order, as PyTorch)
    """

    _nd = 2


class _AvgPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        if self._nd == 1:
            return P.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                self.count_include_pad)
        return P.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def formula(self) -> Formula:
        nd, name = self._nd, type(self).__name__
        kernel = P._ntuple(self.kernel_size, nd, "kernel_size", name)
        stride = P._ntuple(self.stride, nd, "stride", name)
        padding = P._ntuple(self.padding, nd, "padding", name)
        out_idx, k_idx = ",".join(_LETTERS[nd]), ",".join(_KLETTERS[nd])
        taps = _taps(nd, stride, padding)
        ranges = ", ".join(f"{i} < {k}" for i, k in zip(_KLETTERS[nd], kernel))
        if self.divisor_override:
            divisor = f"D = {self.divisor_override} (divisor_override)"
        elif self.count_include_pad:
            divisor = (f"D = the window's size within the zero-padded input (= "
                       f"{'·'.join(str(k) for k in kernel)} away from the edges)")
        else:
            divisor = "D = the number of the window's elements inside the input (padding not "\
                      "counted)"
        size = _size_line(nd, kernel, stride, padding, (1,) * nd, self.ceil_mode)
        pairs = [("Forward", f"y[n,c,{out_idx}] = (1/D) Σ_{{{ranges}}} x̃[n,c, {taps}],  "
                             f"{divisor}"),
                 ("Derivative", f"∂L/∂x[n,c,p] = Σ over windows containing p of "
                                f"G[n,c,{out_idx}] / D"),
                 ("Shapes", size)]
        latex = [r"y_{n,c," + out_idx + r"} = \frac{1}{D} \sum_{" + k_idx + r"} \tilde{x}_{n,c,\,"
                 + taps.replace("·", " ").replace("−", "-") + "}",
                 r"\frac{\partial L}{\partial x_p} = \sum_{(" + out_idx + r") \ni p} "
                 r"\frac{G_{n,c," + out_idx + "}}{D}",
                 r"\text{" + size + "}"]
        return Formula.of(name, pairs, latex,
                          "Each output is its window's mean, so each element of the window "
                          "receives an equal share 1/D of the output's gradient.")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling over (N, C, L) (PyTorch's ``nn.AvgPool1d``).

    Forward:     y[n,c,l] = (1/D) Σ_i x̃[n,c, s·l − p + i]
    Derivative:  ∂L/∂x[p] = Σ_{windows ∋ p} G / D
    """

    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling over (N, C, H, W) (PyTorch's ``nn.AvgPool2d``).

    Forward:     y[n,c,h,w] = (1/D) Σ_{i,j} x̃[n,c, s·h − p + i, s·w − p + j]
    Derivative:  ∂L/∂x[p] = Σ_{windows ∋ p} G / D
    """

    _nd = 2


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (PyTorch's ``nn.AdaptiveAvgPool2d``).

    Forward:     y[n,c,i,j] = mean of x[n,c, ⌊iH/H′⌋ : ⌈(i+1)H/H′⌉, ⌊jW/W′⌋ : ⌈(j+1)W/W′⌉]
                 = (A_H x A_Wᵀ)[n,c,i,j] with A[i, h] = 1/|bin i| on bin i
    Derivative:  ∂L/∂x = A_Hᵀ G A_W
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return P.adaptive_avg_pool2d(x, self.output_size)

    def formula(self) -> Formula:
        size = self.output_size
        h, w = (size, size) if size is None or isinstance(size, int) else tuple(size)
        h = "H" if h is None else h
        w = "W" if w is None else w
        pairs = [("Forward", f"y[n,c,i,j] = mean of x[n,c, ⌊i·H/{h}⌋ : ⌈(i+1)·H/{h}⌉, "
                             f"⌊j·W/{w}⌋ : ⌈(j+1)·W/{w}⌉] = (A_H x A_Wᵀ)[n,c,i,j],  "
                             f"A_H ∈ ℝ^{{{h}×H}}, A_W ∈ ℝ^{{{w}×W}}"),
                 ("Derivative", "∂L/∂x = A_Hᵀ G A_W  (each bin's gradient shared equally by "
                                "its elements)")]
        latex = [r"y = A_H\, x\, A_W^{\top},\quad (A_H)_{i,h} = \frac{1}{|\mathrm{bin}_i|}"
                 r"[h \in \mathrm{bin}_i]",
                 r"\frac{\partial L}{\partial x} = A_H^{\top} G A_W"]
        return Formula.of("AdaptiveAvgPool2d", pairs, latex,
                          f"Each output averages one of {h}×{w} bins of the input, whatever the "
                          f"input's size; bin edges are ⌊i·H/{h}⌋ and ⌈(i+1)·H/{h}⌉ as in "
                          f"PyTorch.")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
