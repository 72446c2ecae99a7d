"""Max, average, adaptive and power-average pooling, and max unpooling (PyTorch's names,
arguments and defaults).

The arithmetic is in :mod:`chainrule.ops.pool`; each layer here holds its settings and states its
mathematics with its own kernel, stride and padding.
"""
from __future__ import annotations

from ...mathematics import Formula
from ...ops import pool as P
from ..module import Module

_LETTERS = {1: ("l",), 2: ("h", "w"), 3: ("t", "h", "w")}
_KLETTERS = {1: ("i",), 2: ("i", "j"), 3: ("i", "j", "k")}
_LAYOUT = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _taps(nd, stride, padding, dilation=None) -> str:
    """The input position s·h − p + d·i each window index reads, per axis, with the numbers
    filled in as written by hand: ``2h + i`` (stride 2, no padding), ``h − 1 + i``."""
    dilation = dilation or (1,) * nd

    def scaled(k, letter):
        return letter if k == 1 else f"{k}{letter}"

    return ", ".join(f"{scaled(s, a)}{f' − {p}' if p else ''} + {scaled(d, i)}"
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
        fn = (P.max_pool1d, P.max_pool2d, P.max_pool3d)[self._nd - 1]
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
        fn = P.avg_pool2d if self._nd == 2 else P.avg_pool3d
        return fn(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
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
                             f"A_H ∈ ℝ^{{{h}×H}}, A_W ∈ ℝ^{{{w}×W}} the averaging matrices: "
                             f"A_H[i, r] = 1/|bin i| for the rows r in bin i, else 0 (A_W "
                             f"likewise for columns)"),
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


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over (N, C, D, H, W) (PyTorch's ``nn.MaxPool3d``).

    Forward:     y[n,c,t,h,w] = max_{i,j,k} x̃[n,c, s·t − p + d·i, s·h − p + d·j, s·w − p + d·k]
    Derivative:  the window's gradient goes to its argmax (ties: the first maximum)
    """

    _nd = 3


class AvgPool3d(_AvgPoolNd):
    """3-d average pooling over (N, C, D, H, W) (PyTorch's ``nn.AvgPool3d``).

    Forward:     y[n,c,t,h,w] = (1/D) Σ_{i,j,k} x̃[n,c, s·t − p + i, s·h − p + j, s·w − p + k]
    Derivative:  ∂L/∂x[p] = Σ_{windows ∋ p} G / D
    """

    _nd = 3


def _bins_text(nd, output_size) -> tuple[str, tuple]:
    size = output_size
    sizes = (size,) * nd if size is None or isinstance(size, int) else tuple(size)
    if len(sizes) == 1:
        sizes = sizes * nd
    sizes = tuple(L if o is None else o for L, o in zip(_LAYOUT[nd], sizes))
    bins = ", ".join(f"⌊{i}·{L}/{o}⌋ : ⌈({i}+1)·{L}/{o}⌉" for i, L, o in
                     zip(_LETTERS[nd], _LAYOUT[nd], sizes))
    return bins, sizes


class _AdaptivePoolNd(Module):
    _nd = 1
    _kind = "avg"

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size = output_size
        if self._kind == "max":
            self.return_indices = return_indices

    def forward(self, x):
        nd = self._nd
        if self._kind == "avg":
            fn = (P.adaptive_avg_pool1d, P.adaptive_avg_pool2d, P.adaptive_avg_pool3d)[nd - 1]
            return fn(x, self.output_size)
        fn = (P.adaptive_max_pool1d, P.adaptive_max_pool2d, P.adaptive_max_pool3d)[nd - 1]
        return fn(x, self.output_size, self.return_indices)

    def formula(self) -> Formula:
        nd, name = self._nd, type(self).__name__
        bins, sizes = _bins_text(nd, self.output_size)
        idx = ",".join(_LETTERS[nd])
        grid = "×".join(str(o) for o in sizes)
        if self._kind == "avg":
            pairs = [("Forward", f"y[n,c,{idx}] = mean of x[n,c, {bins}]"),
                     ("Derivative", "∂L/∂x = each bin's gradient shared equally by its elements "
                                    "(1/|bin| each; overlapping bins add up)")]
            latex = [r"y_{n,c,b} = \frac{1}{|\mathrm{bin}_b|} \sum_{j \in \mathrm{bin}_b} "
                     r"x_{n,c,j}",
                     r"\frac{\partial L}{\partial x_j} = \sum_{b \ni j} "
                     r"\frac{G_b}{|\mathrm{bin}_b|}"]
            why = f"Each output averages one of {grid} bins of the input, whatever its size."
        else:
            pairs = [("Forward", f"y[n,c,{idx}] = max of x[n,c, {bins}]"),
                     ("Derivative", "∂L/∂x[j] = Σ over bins whose argmax is j of G (ties: the "
                                    "first maximum in row-major order; a NaN wins)")]
            latex = [r"y_{n,c,b} = \max_{j \in \mathrm{bin}_b} x_{n,c,j}",
                     r"\frac{\partial L}{\partial x_j} = \sum_{b:\ \arg\max = j} G_b"]
            why = f"Each output is the maximum of one of {grid} bins of the input."
        return Formula.of(name, pairs, latex, why + " Bin edges are ⌊i·H/H′⌋ and ⌈(i+1)·H/H′⌉ "
                                                    "as in PyTorch.")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average pooling of (N, C, L) to a fixed length (PyTorch's ``nn.AdaptiveAvgPool1d``).

    Forward:     y[n,c,i] = mean of x[n,c, ⌊iL/L′⌋ : ⌈(i+1)L/L′⌉]
    Derivative:  each bin's gradient shared equally by its elements
    """

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Average pooling of (N, C, D, H, W) to a fixed size (PyTorch's ``nn.AdaptiveAvgPool3d``).

    Forward:     y[n,c,t,i,j] = mean over the bin ⌊t·D/D′⌋ : ⌈(t+1)D/D′⌉ × (likewise H, W)
    Derivative:  each bin's gradient shared equally by its elements
    """

    _nd = 3

    def __init__(self, output_size):
        super().__init__(output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    _kind = "max"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) to a fixed length (PyTorch's ``nn.AdaptiveMaxPool1d``).

    Forward:     y[n,c,i] = max of x[n,c, ⌊iL/L′⌋ : ⌈(i+1)L/L′⌉]; with return_indices also the
                 argmax's index in the channel's row
    Derivative:  the bin's gradient goes to its first maximum
    """

    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) to a fixed size (PyTorch's ``nn.AdaptiveMaxPool2d``).

    Forward:     y[n,c,i,j] = max over the bin ⌊iH/H′⌋ : ⌈(i+1)H/H′⌉ × ⌊jW/W′⌋ : ⌈(j+1)W/W′⌉;
                 with return_indices also the argmax's flat index h·W + w in its plane
    Derivative:  the bin's gradient goes to its first maximum (row-major order)
    """

    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) to a fixed size (PyTorch's ``nn.AdaptiveMaxPool3d``).

    Forward:     y = the maximum of each bin (bins as AdaptiveMaxPool2d, per axis)
    Derivative:  the bin's gradient goes to its first maximum (row-major order)
    """

    _nd = 3


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        nd, name = self._nd, type(self).__name__
        self.kernel_size = P._ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = P._ntuple(stride if stride is not None else kernel_size, nd, "stride", name)
        self.padding = P._ntuple(padding, nd, "padding", name)

    def forward(self, x, indices, output_size=None):
        fn = (P.max_unpool1d, P.max_unpool2d, P.max_unpool3d)[self._nd - 1]
        return fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def formula(self) -> Formula:
        nd = self._nd
        sizes = "; ".join(f"{L}′ = ({L} − 1)·{s} − 2·{p} + {k}" for L, s, p, k in
                          zip(_LAYOUT[nd], self.stride, self.padding, self.kernel_size))
        pairs = [("Forward", "y = 0;  y[n,c, idx[n,c,h]] = x[n,c,h]  (idx: the flat indices "
                             "returned by max pooling)"),
                 ("Derivative", "∂L/∂x[n,c,h] = G[n,c, idx[n,c,h]]"),
                 ("Shapes", sizes)]
        latex = [r"y = 0,\quad y_{n,c,\,\mathrm{idx}_{n,c,h}} = x_{n,c,h}",
                 r"\frac{\partial L}{\partial x_{n,c,h}} = G_{n,c,\,\mathrm{idx}_{n,c,h}}",
                 r"\text{" + sizes + "}"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "Puts each pooled maximum back where it came from, zeros elsewhere.")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d (PyTorch's ``nn.MaxUnpool1d``).

    Forward:     y = 0; y[n,c, idx] = x (idx from MaxPool1d(return_indices=True))
    Derivative:  ∂L/∂x = G gathered at idx
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d (PyTorch's ``nn.MaxUnpool2d``).

    Forward:     y = 0; y[n,c, idx] = x (idx: flat plane indices from MaxPool2d)
    Derivative:  ∂L/∂x = G gathered at idx
    """

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d (PyTorch's ``nn.MaxUnpool3d``).

    Forward:     y = 0; y[n,c, idx] = x (idx: flat volume indices from MaxPool3d)
    Derivative:  ∂L/∂x = G gathered at idx
    """

    _nd = 3


class _LPPoolNd(Module):
    _nd = 2

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, x):
        fn = (P.lp_pool1d, P.lp_pool2d, P.lp_pool3d)[self._nd - 1]
        return fn(x, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def formula(self) -> Formula:
        p = self.norm_type
        pairs = [("Forward", f"y = (Σ_window x^{p})^(1/{p})"),
                 ("Derivative", f"∂y/∂x_i = x_i^({p} − 1) · y^(1 − {p}) for x_i in the window")]
        latex = [r"y = \Big(\sum_{i \in \mathrm{window}} x_i^{p}\Big)^{1/p},\quad p = " + f"{p}",
                 r"\frac{\partial y}{\partial x_i} = x_i^{p-1}\, y^{1-p}"]
        return Formula.of(type(self).__name__, pairs, latex,
                          "A p-norm of each window: p = 1 is sum pooling, p → ∞ max pooling.")

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L) (PyTorch's ``nn.LPPool1d``): y = (Σ_window xᵖ)^{1/p}.

    Forward:     y = (k · avg_pool(xᵖ))^{1/p}
    Derivative:  ∂y/∂xᵢ = xᵢ^{p−1} y^{1−p}
    """

    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W) (PyTorch's ``nn.LPPool2d``).

    Forward:     y = (kH·kW · avg_pool(xᵖ))^{1/p}
    Derivative:  ∂y/∂xᵢ = xᵢ^{p−1} y^{1−p}
    """

    _nd = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over (N, C, D, H, W) (PyTorch's ``nn.LPPool3d``).

    Forward:     y = (kD·kH·kW · avg_pool(xᵖ))^{1/p}
    Derivative:  ∂y/∂xᵢ = xᵢ^{p−1} y^{1−p}
    """

    _nd = 3
