"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (PyTorch's names, arguments, defaults and weight layouts).

The arithmetic is in :mod:`chainrule.ops.conv` (fused primitives: im2col + GEMM forward, col2im
backward). Here: the parameters, PyTorch's default initialisation, input checks whose messages say
what was given and what was expected, padding modes other than zeros (compositions of slicing and
concatenation, so they need no derivative of their own), and each layer's mathematics with its own
shapes.
"""
from __future__ import annotations

import math

from ... import ops
from ...backend import get_default_dtype, xp
from ...mathematics import Formula
from ...ops import conv as F
from .. import init
from ..module import Module
from ..parameter import Parameter

_LETTERS = {1: ("l",), 2: ("h", "w"), 3: ("t", "h", "w")}
_KLETTERS = {1: ("i",), 2: ("i", "j"), 3: ("i", "j", "k")}
_LAYOUT = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _scaled(k: int, letter: str) -> str:
    """k·letter as written by hand: ``h`` for k = 1, ``2h`` otherwise."""
    return letter if k == 1 else f"{k}{letter}"


def _taps(out_letters, kernel_letters, stride, dilation) -> str:
    """The input position each output index reads, per axis: s·h + d·i with the numbers filled
    in (``h + i`` for stride and dilation 1, ``2h + i`` for stride 2)."""
    return ", ".join(f"{_scaled(s, a)} + {_scaled(d, i)}" for a, i, s, d in
                     zip(out_letters, kernel_letters, stride, dilation))


def _shape(values) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")"


# --------------------------------------------------------------------------- padding modes
def _pad_axis(x, axis: int, before: int, after: int, mode: str):
    """Pad one axis by 'reflect', 'replicate' or 'circular' (PyTorch's F.pad modes), built from
    slices and a concatenation so that autograd differentiates it."""
    if not before and not after:
        return x
    size = x.shape[axis]

    def part(start, stop, step=1):
        index = (slice(None),) * axis + (slice(start, stop, step),)
        return ops.getitem(x, index)

    if mode == "reflect":
        if before >= size or after >= size:
            raise ValueError(f"padding_mode='reflect': padding ({before}, {after}) must be smaller "
                             f"than the input size {size} along that axis")
        left = part(before, 0, -1) if before else None
        right = part(size - 2, size - 2 - after, -1) if after else None
    elif mode == "replicate":
        edge_shape = lambda n: x.shape[:axis] + (n,) + x.shape[axis + 1:]  # noqa: E731
        left = ops.broadcast_to(part(0, 1), edge_shape(before)) if before else None
        right = ops.broadcast_to(part(size - 1, size), edge_shape(after)) if after else None
    else:  # circular
        if before > size or after > size:
            raise ValueError(f"padding_mode='circular': padding ({before}, {after}) must not "
                             f"exceed the input size {size} along that axis")
        left = part(size - before, size) if before else None
        right = part(0, after) if after else None
    pieces = [p for p in (left, x, right) if p is not None]
    return ops.concatenate(pieces, axis=axis)


def pad_mode(x, pads, mode: str):
    """Pad the spatial axes of x (N, C, …) by (before, after) per axis with ``mode``."""
    for a, (before, after) in enumerate(pads):
        x = _pad_axis(x, 2 + a, before, after, mode)
    return x


# --------------------------------------------------------------------------- shared base
class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 output_padding=0, dtype=None):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        if groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups, got in_channels="
                             f"{in_channels} and groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups, got "
                             f"out_channels={out_channels} and groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = F._ntuple(stride, nd, "stride", name)
        self.dilation = F._ntuple(dilation, nd, "dilation", name)
        self.output_padding = F._ntuple(output_padding, nd, "output_padding", name)
        if isinstance(padding, str):
            # Checked now (PyTorch does too): 'same' with a stride is an error at construction.
            F.conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)
            self.padding = padding
        else:
            self.padding = F._ntuple(padding, nd, "padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        dtype = dtype or get_default_dtype()
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(xp.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(xp.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: W ~ kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in), and
        b ~ U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1] · k…."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    # ----------------------------------------------------------------- input checks
    def _describe(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _check_input(self, x) -> None:
        nd = self._nd
        layout = _LAYOUT[nd]
        c = self.in_channels
        if not c:   # a lazy layer loaded from a checkpoint keeps in_channels = 0, as PyTorch's:
            w = self.weight.shape      # the channels its weight takes (read only then: a
            c = w[0] if self.transposed else w[1] * self.groups  # parametrized weight computes)
        shape = tuple(x.shape)
        batched = "(N, " + ", ".join((str(c),) + layout) + ")"
        single = "(" + ", ".join((str(c),) + layout) + ")"
        expected = f"expected input of shape {batched}, or {single} for one unbatched sample"
        if len(shape) not in (nd + 1, nd + 2):
            raise ValueError(f"{self._describe()}: {expected}; got {_shape(shape)}, a "
                             f"{len(shape)}-d input")
        if len(shape) == nd + 2 and shape[1] != c:
            raise ValueError(
                f"{self._describe()}: {expected}; got {_shape(shape)}, whose channel axis "
                f"(axis 1) has C = {shape[1]}, but in_channels = {c}")
        if len(shape) == nd + 1 and shape[0] != c:
            names = ", ".join(("N",) + layout)
            hint = (f" If it is a batch of {shape[0]} single-channel samples ({names}), add the "
                    f"channel axis: x.unsqueeze(1)." if c == 1 else "")
            raise ValueError(
                f"{self._describe()}: {expected}; got {_shape(shape)}, a {nd + 1}-d input, "
                f"which is read as one unbatched sample ({', '.join(('C',) + layout)}) with C = "
                f"{shape[0]} channels, but in_channels = {c}.{hint}")

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"  # 'same' unquoted, as PyTorch prints it
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"  # unquoted, as PyTorch prints it
        return s


class _ConvForward(_ConvNd):
    """Conv1d/Conv2d: the forward and the formula of an ordinary convolution."""

    def _pads(self):
        return F.conv_padding(self.padding, self.kernel_size, self.stride, self.dilation,
                              type(self).__name__)

    def forward(self, x):
        self._check_input(x)
        functional = (F.conv1d, F.conv2d, F.conv3d)[self._nd - 1]
        if self.padding_mode == "zeros":
            return functional(x, self.weight, self.bias, self.stride, self.padding,
                              self.dilation, self.groups)
        unbatched = x.ndim == self._nd + 1
        if unbatched:
            x = ops.expand_dims(x, 0)
        y = functional(pad_mode(x, self._pads(), self.padding_mode), self.weight, self.bias,
                       self.stride, 0, self.dilation, self.groups)
        return ops.squeeze(y, 0) if unbatched else y

    def formula(self) -> Formula:
        nd = self._nd
        o, c, g = self.out_channels, self.in_channels, self.groups
        sp, ks = _LETTERS[nd], _KLETTERS[nd]
        pads = self._pads()
        shape_w = "×".join(str(v) for v in self.weight.shape)
        taps = _taps(sp, ks, self.stride, self.dilation)
        out_idx = ",".join(sp)
        k_idx = ",".join(ks)
        group = "c" if g == 1 else f"c ∈ group(o) ({g} groups of {c // g})"
        bias = self.bias is not None
        forward = (f"y[n,o,{out_idx}] = " + ("b[o] + " if bias else "")
                   + f"Σ_{{{group}}} Σ_{{{k_idx}}} W[o,c,{k_idx}] · x̃[n,c, {taps}],  "
                   f"W ∈ ℝ^{{{shape_w}}}" + (f", b ∈ ℝ^{{{o}}}" if bias else ""))
        sizes = "; ".join(
            f"{L}′ = ⌊({L} + {f'2·{p}' if p == q else f'{p} + {q}'} − {d}·({k} − 1) − 1)/{s}⌋ + 1"
            for L, (p, q), d, k, s in zip(_LAYOUT[nd], pads, self.dilation, self.kernel_size,
                                          self.stride))
        shape_line = (f"x: (N, {c}, {', '.join(_LAYOUT[nd])}) → y: (N, {o}, "
                      f"{', '.join(L + '′' for L in _LAYOUT[nd])}),  {sizes};  x̃ = x padded by "
                      f"{pads} ({self.padding_mode})")
        pairs = [("Forward", forward),
                 ("Derivative", f"∂L/∂x = G ⋆_full flip(W): the full correlation of the output "
                                f"gradient G (N, {o}, …) with the flipped kernel, i.e. "
                                f"∂L/∂x̃[n,c, {taps}] += Σ_o G[n,o,{out_idx}] · W[o,c,{k_idx}]; "
                                f"padding cropped"),
                 ("Weight gradient", f"∂L/∂W[o,c,{k_idx}] = Σ_{{n,{out_idx}}} "
                                     f"G[n,o,{out_idx}] · x̃[n,c, {taps}]  (the correlation "
                                     f"of x with G), shape {shape_w}")]
        if bias:
            pairs.append(("Bias gradient", f"∂L/∂b[o] = Σ_{{n,{out_idx}}} G[n,o,{out_idx}]"))
        pairs.append(("Shapes", shape_line))
        taps_tex = _taps(sp, ks, self.stride, self.dilation)
        latex = [(r"y_{n,o," + out_idx + "} = " + ("b_o + " if bias else "")
                  + r"\sum_{c} \sum_{" + k_idx + r"} W_{o,c," + k_idx + r"}\,\tilde{x}_{n,c,\,"
                  + taps_tex + r"},\quad W \in \mathbb{R}^{" + shape_w.replace("×", r"\times")
                  + "}"),
                 r"\frac{\partial L}{\partial x} = G \star_{\text{full}} \operatorname{flip}(W)",
                 (r"\frac{\partial L}{\partial W_{o,c," + k_idx + r"}} = \sum_{n," + out_idx
                  + r"} G_{n,o," + out_idx + r"}\,\tilde{x}_{n,c,\," + taps_tex + "}")]
        if bias:
            latex.append(r"\frac{\partial L}{\partial b_o} = \sum_{n," + out_idx + r"} G_{n,o,"
                         + out_idx + "}")
        latex.append(r"\text{" + shape_line.replace("_", r"\_") + "}")
        return Formula.of(type(self).__name__, pairs, latex,
                          "Each output is the kernel's dot product with one window of the input "
                          "(a cross-correlation); an input element's gradient gathers the "
                          "kernel-weighted output gradients of every window that saw it.")


class Conv1d(_ConvForward):
    """1-d convolution over (N, C_in, L) (PyTorch's ``nn.Conv1d``); weight (C_out, C_in/G, k).

    Forward:     y[n,o,l] = b[o] + Σ_{c,i} W[o,c,i] · x̃[n,c, s·l + d·i]
    Derivative:  ∂L/∂x = G ⋆_full flip(W),  ∂L/∂W[o,c,i] = Σ_{n,l} G[n,o,l] x̃[n,c, s·l + d·i],
                 ∂L/∂b[o] = Σ_{n,l} G[n,o,l]
    Init:        W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = C_in/G · k (PyTorch's default)
    """

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)


class Conv2d(_ConvForward):
    """2-d convolution over (N, C_in, H, W) (PyTorch's ``nn.Conv2d``); weight (C_out, C_in/G, kH,
    kW).

    Forward:     y[n,o,h,w] = b[o] + Σ_{c,i,j} W[o,c,i,j] · x̃[n,c, s·h + d·i, s·w + d·j]
    Derivative:  ∂L/∂x = G ⋆_full flip(W) (the full correlation of the output gradient with the
                 flipped kernel),  ∂L/∂W = x ⋆ G (the correlation of the input with the output
                 gradient),  ∂L/∂b[o] = Σ_{n,h,w} G[n,o,h,w]
    Init:        W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = C_in/G · kH · kW (PyTorch's default)

    >>> conv = Conv2d(1, 6, 5)            # LeNet's first layer: (N, 1, 28, 28) → (N, 6, 24, 24)
    """

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)


class Conv3d(_ConvForward):
    """3-d convolution over (N, C_in, D, H, W) (PyTorch's ``nn.Conv3d``); weight (C_out, C_in/G,
    kD, kH, kW).

    Forward:     y[n,o,t,h,w] = b[o] + Σ_{c,i,j,k} W[o,c,i,j,k] · x̃[n,c, s·t + d·i, s·h + d·j,
                 s·w + d·k]
    Derivative:  ∂L/∂x = G ⋆_full flip(W),  ∂L/∂W = x ⋆ G,  ∂L/∂b[o] = Σ_{n,t,h,w} G[n,o,t,h,w]
    Init:        W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = C_in/G · kD · kH · kW
    """

    _nd = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)


class _ConvTransposeNd(_ConvNd):
    """ConvTranspose1d/2d/3d: the forward and the formula of a transposed convolution."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported, got '
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype)
        for a, s, d in zip(self.output_padding, self.stride, self.dilation):
            if a >= s and a >= d:
                raise ValueError(f"{name}: output_padding must be smaller than either "
                                 f"stride or dilation, got output_padding={self.output_padding}, "
                                 f"stride={self.stride}, dilation={self.dilation}")

    def _output_padding(self, x, output_size):
        """PyTorch's rule: the output_padding that gives ``output_size``, which must lie between
        the smallest size this layer produces and that plus stride − 1."""
        if output_size is None:
            return self.output_padding
        nd, name = self._nd, type(self).__name__
        output_size = tuple(int(v) for v in output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"{name}: output_size must have {nd} or {nd + 2} elements, "
                             f"got {output_size}")
        spatial = tuple(x.shape[-nd:])
        smallest = F.transposed_output_size(spatial, self.kernel_size, self.stride, self.padding,
                                            (0,) * nd, self.dilation)
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if any(not lo <= v <= hi for v, lo, hi in zip(output_size, smallest, largest)):
            raise ValueError(f"{name}: requested an output size of {output_size}, but "
                             f"valid sizes range from {smallest} to {largest} (for an input of "
                             f"{tuple(x.shape)})")
        return tuple(v - m for v, m in zip(output_size, smallest))

    def forward(self, x, output_size=None):
        self._check_input(x)
        functional = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._nd - 1]
        return functional(x, self.weight, self.bias, self.stride, self.padding,
                          self._output_padding(x, output_size), self.groups, self.dilation)

    def formula(self) -> Formula:
        nd, name = self._nd, type(self).__name__
        ci, co, g = self.in_channels, self.out_channels, self.groups
        shape_w = "×".join(str(v) for v in self.weight.shape)
        sp, ks = _LETTERS[nd], _KLETTERS[nd]
        bias = self.bias is not None
        taps = taps_tex = _taps(sp, ks, self.stride, self.dilation)
        idx, k_idx = ",".join(sp), ",".join(ks)
        sizes = "; ".join(f"{L}′ = ({L} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {a} + 1"
                          for L, s, p, d, k, a in zip(_LAYOUT[nd], self.stride, self.padding,
                                                      self.dilation, self.kernel_size,
                                                      self.output_padding))
        layout = ", ".join(_LAYOUT[nd])
        shape_line = (f"x: (N, {ci}, {layout}) → y: (N, {co}, "
                      f"{', '.join(L + '′' for L in _LAYOUT[nd])}),  {sizes}")
        group = "o" if g == 1 else f"o ∈ group(c) ({g} groups)"
        pad = ",".join(str(p) for p in self.padding)
        pairs = [("Forward", f"ỹ[n,c, {taps}] += Σ_{{{group}}} x[n,o,{idx}] · W[o,c,{k_idx}];  "
                             f"y = crop_({pad})(ỹ)" + (" + b" if bias else "")
                  + f",  W ∈ ℝ^{{{shape_w}}}" + (f", b ∈ ℝ^{{{co}}}" if bias else "")),
                 ("Derivative", f"∂L/∂x = conv{nd}d(G, W): the ordinary convolution of the "
                                "output gradient with the same kernel, stride, padding and "
                                "dilation"),
                 ("Weight gradient", f"∂L/∂W[o,c,{k_idx}] = Σ_{{n,{idx}}} x[n,o,{idx}] · "
                                     f"G̃[n,c, {taps}]  (G̃: G padded by the padding)")]
        latex = [(r"\tilde{y}_{n,c,\," + taps_tex + r"} \mathrel{+}= \sum_o x_{n,o," + idx
                  + r"}\,W_{o,c," + k_idx + r"},\quad y = \operatorname{crop}_p(\tilde{y})"
                  + (" + b" if bias else "")),
                 r"\frac{\partial L}{\partial x} = \operatorname{conv" + str(nd) + r"d}(G, W)",
                 (r"\frac{\partial L}{\partial W_{o,c," + k_idx + r"}} = \sum_{n," + idx
                  + r"} x_{n,o," + idx + r"}\,\tilde{G}_{n,c,\," + taps_tex + "}")]
        if bias:
            pairs.append(("Bias gradient", f"∂L/∂b[c] = Σ_{{n,{idx}}} G[n,c,{idx}]"))
            latex.append(r"\frac{\partial L}{\partial b_c} = \sum_{n," + idx + r"} G_{n,c,"
                         + idx + "}")
        pairs.append(("Shapes", shape_line))
        latex.append(r"\text{" + shape_line + "}")
        return Formula.of(name, pairs, latex,
                          "The adjoint of a convolution: each input value stamps a scaled copy of "
                          "the kernel into the (larger) output; its gradient is therefore the "
                          "ordinary convolution of the output gradient with the same kernel.")


_TRANSPOSED_DOC = """

    Forward:     ỹ[n,c, s·h + d·i] += Σ_o x[n,o,h] · W[o,c,i] (every spatial axis alike);
                 y = crop_p(ỹ) + b; output size (H − 1)s − 2p + d(k − 1) + output_padding + 1
    Derivative:  ∂L/∂x = conv(G, W) (the ordinary convolution with the same stride, padding,
                 dilation and groups),  ∂L/∂W[o,c,i] = Σ_{n,h} x[n,o,h] G̃[n,c, s·h + d·i],
                 ∂L/∂b[c] = Σ_{n,h} G[n,c,h]
    Init:        W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = C_out/G · k… (PyTorch's default,
                 computed from the weight's layout)
    """


class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = ("1-d transposed convolution over (N, C_in, L) (PyTorch's ``nn.ConvTranspose1d``); "
               "weight (C_in, C_out/G, k)." + _TRANSPOSED_DOC)
    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = ("2-d transposed convolution over (N, C_in, H, W) (PyTorch's "
               "``nn.ConvTranspose2d``); weight (C_in, C_out/G, kH, kW)." + _TRANSPOSED_DOC)
    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = ("3-d transposed convolution over (N, C_in, D, H, W) (PyTorch's "
               "``nn.ConvTranspose3d``); weight (C_in, C_out/G, kD, kH, kW)." + _TRANSPOSED_DOC)
    _nd = 3
