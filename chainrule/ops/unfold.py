r"""Sliding blocks: ``F.unfold`` (im2col) and its adjoint ``F.fold`` (col2im), as two primitives.

Notation (per spatial axis; there are two, as in PyTorch): input x (N, C, H, W), kernel k,
dilation d, padding p, stride s, L = H′·W′ blocks with H′ = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.

    unfold:  y[n, c·k_h·k_w + i·k_w + j, h′·W′ + w′] = x̃[n, c, s·h′ + d·i, s·w′ + d·j]
    fold:    x[n, c, a, b] = Σ over the (block, offset) pairs that unfold reads from (a, b)
             of y[n, c·K + offset, block]        (x̃ = x padded with zeros, then cropped)

fold is the adjoint (transpose) of unfold: ⟨unfold(x), y⟩ = ⟨x, fold(y)⟩. Hence each one's VJP
is the other, and the pair closes under differentiation (every order of derivative).

Computation reuses the convolution kernels' helpers (chainrule/ops/conv.py): unfold is one
strided view of the padded input (``_windows``) copied once; fold adds, for each of the k_h·k_w
kernel offsets, one strided slice (``_kernel_slices``) — a loop over offsets only, never over
pixels, channels or images.
"""
from __future__ import annotations

import itertools
import math

from ..autograd.function import Function, primitive
from ..backend import is_foreign_array, xp
from ..tensor import Tensor
from .conv import _kernel_slices, _ntuple, _out_sizes, _pad, _windows
from .movement import expand_dims, squeeze


def _unfold_array(x, kernel, dilation, padding, stride):
    pads = tuple((p, p) for p in padding)
    out = _out_sizes(x.shape[2:], kernel, stride, pads, dilation)
    view = _windows(_pad(x, pads), kernel, stride, dilation, out, batch_last=False)
    n, c = x.shape[:2]
    return xp.ascontiguousarray(view).reshape(n, c * math.prod(kernel), math.prod(out))


def _fold_array(y, output_size, kernel, dilation, padding, stride):
    pads = tuple((p, p) for p in padding)
    out = _out_sizes(output_size, kernel, stride, pads, dilation)
    n = y.shape[0]
    c = y.shape[1] // math.prod(kernel)
    cols = y.reshape((n, c) + tuple(kernel) + tuple(out))
    padded = tuple(h + 2 * p for h, p in zip(output_size, padding))
    x = xp.zeros((n, c) + padded, dtype=y.dtype)
    lead = (slice(None), slice(None))
    for offset in itertools.product(*(range(k) for k in kernel)):
        x[lead + _kernel_slices(offset, stride, dilation, out)] += cols[lead + offset]
    crop = tuple(slice(p, p + h) for h, p in zip(output_size, padding))
    return xp.ascontiguousarray(x[lead + crop])


def _reference_unfold(x, kernel_size, dilation, padding, stride):
    """Unfold by explicit indices: the (row, block) → (c, position) map, gathered."""
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    xp_ = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    ci, i, j, a, b = xp.meshgrid(xp.arange(c), xp.arange(kh), xp.arange(kw), xp.arange(oh),
                                 xp.arange(ow), indexing="ij")
    vals = xp_[:, ci, a * sh + i * dh, b * sw + j * dw]
    return vals.reshape(n, c * kh * kw, oh * ow)


def _reference_fold(y, output_size, kernel_size, dilation, padding, stride):
    """Fold as the transpose of the reference unfold (scatter-add of the same indices)."""
    n = y.shape[0]
    c = y.shape[1] // (kernel_size[0] * kernel_size[1])
    h, w = output_size
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    ci, i, j, a, b = xp.meshgrid(xp.arange(c), xp.arange(kh), xp.arange(kw), xp.arange(oh),
                                 xp.arange(ow), indexing="ij")
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=y.dtype)
    xp.add.at(out, (slice(None), ci, a * sh + i * dh, b * sw + j * dw),
              y.reshape((n,) + ci.shape))
    return out[:, :, ph:ph + h, pw:pw + w]


@primitive
class Im2col(Function):
    """Unfold: the sliding blocks of a batched image as columns (PyTorch's F.unfold).

    Forward:     y[n, c·K + i·k_w + j, h′·W′ + w′] = x̃[n, c, s·h′ + d·i, s·w′ + d·j]
                 (x̃: x zero-padded by p; K = k_h·k_w)
    Derivative:  linear in x: each y entry is one entry of x̃ (or a padding zero)
    VJP:         ∂L/∂x = fold(g) (col2im: each position sums the gradients of its copies)
    Numerics:    one strided view copied once; exact.
    """

    name = "im2col"
    array_api = True
    text = ("y[n, cK + o, l] = x̃[n, c, s·h′(l) + d·i(o), s·w′(l) + d·j(o)]", "∂L/∂x = fold(g)")
    latex = (r"y_{n,\,cK+o,\,l} = \tilde x_{n,\,c,\,s h'_l + d i_o,\,s w'_l + d j_o}",
             r"\frac{\partial L}{\partial x} = \operatorname{fold}(g)")
    explanation = ("Unfold lays each k×k patch of the image out as a column, so a convolution "
                   "becomes one matrix product.")
    domain = "real"
    reference = staticmethod(_reference_unfold)

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        ctx.geometry = (tuple(x.shape[2:]), kernel_size, dilation, padding, stride)
        if is_foreign_array(x):             # another array library: ops/conv_standard.py
            from . import conv_standard

            return conv_standard.unfold(x, kernel_size, dilation, padding, stride)
        return _unfold_array(x, kernel_size, dilation, padding, stride)

    @staticmethod
    def vjp(ctx, g):
        spatial, kernel, dilation, padding, stride = ctx.geometry
        if isinstance(g, Tensor):
            return Col2im.apply(g, output_size=spatial, kernel_size=kernel, dilation=dilation,
                                padding=padding, stride=stride)
        if is_foreign_array(g):
            from . import conv_standard

            return conv_standard.fold(g, spatial, kernel, dilation, padding, stride)
        return _fold_array(g, spatial, kernel, dilation, padding, stride)


@primitive
class Col2im(Function):
    """Fold: sum sliding-block columns back into an image (PyTorch's F.fold), unfold's adjoint.

    Forward:     x[n, c, a, b] = Σ_{(o, l) : unfold reads (a, b) at (c·K + o, l)} y[n, c·K + o, l]
    Derivative:  linear in y: each y entry is added into one image position (or dropped into
                 the padding)
    VJP:         ∂L/∂y = unfold(g)
    Numerics:    a loop over the K kernel offsets, each adding one strided slice.
    """

    name = "col2im"
    array_api = True
    text = ("x[n, c, a, b] = Σ y[n, cK + o, l] over the blocks covering (a, b)",
            "∂L/∂y = unfold(g)")
    latex = (r"x_{n,c,a,b} = \sum_{(o,l) \to (a,b)} y_{n,\,cK+o,\,l}",
             r"\frac{\partial L}{\partial y} = \operatorname{unfold}(g)")
    explanation = ("Fold adds each column back onto the patch it came from; overlapping patches "
                   "add up.")
    domain = "real"
    reference = staticmethod(_reference_fold)

    @staticmethod
    def forward(ctx, y, output_size, kernel_size, dilation, padding, stride):
        ctx.geometry = (kernel_size, dilation, padding, stride)
        if is_foreign_array(y):             # another array library: ops/conv_standard.py
            from . import conv_standard

            return conv_standard.fold(y, output_size, kernel_size, dilation, padding, stride)
        return _fold_array(y, output_size, kernel_size, dilation, padding, stride)

    @staticmethod
    def vjp(ctx, g):
        kernel, dilation, padding, stride = ctx.geometry
        if isinstance(g, Tensor):
            return Im2col.apply(g, kernel_size=kernel, dilation=dilation, padding=padding,
                                stride=stride)
        if is_foreign_array(g):
            from . import conv_standard

            return conv_standard.unfold(g, kernel, dilation, padding, stride)
        return _unfold_array(g, kernel, dilation, padding, stride)


def _geometry(op: str, kernel_size, dilation, padding, stride):
    kernel = _ntuple(kernel_size, 2, "kernel_size", op)
    dilation = _ntuple(dilation, 2, "dilation", op)
    padding = _ntuple(padding, 2, "padding", op)
    stride = _ntuple(stride, 2, "stride", op)
    for name, values, low in (("kernel_size", kernel, 1), ("dilation", dilation, 1),
                              ("padding", padding, 0), ("stride", stride, 1)):
        if any(v < low for v in values):
            what = "greater than zero" if low else "non-negative"
            raise RuntimeError(f"{op}: {name} should be {what}, but got {name}: {values}")
    return kernel, dilation, padding, stride


def _blocks(op, spatial, kernel, dilation, padding, stride):
    out = _out_sizes(spatial, kernel, stride, tuple((p, p) for p in padding), dilation)
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: Given input with spatial size {tuple(spatial)}, kernel_size="
                           f"{kernel}, dilation={dilation}, padding={padding}, calculated shape "
                           f"of the array of sliding blocks as {out}, but its components must "
                           f"be at least one.")
    return out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """Extract sliding local blocks (PyTorch's ``F.unfold``): (N, C, H, W) → (N, C·k_h·k_w, L),
    L the number of blocks; unbatched (C, H, W) → (C·k_h·k_w, L)."""
    kernel, dilation, padding, stride = _geometry("unfold", kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"unfold: Input Error: Only 3D or 4D input Tensors are "
                                  f"supported (got {input.ndim}D)")
    unbatched = input.ndim == 3
    x = expand_dims(input, 0) if unbatched else input
    _blocks("unfold", x.shape[2:], kernel, dilation, padding, stride)
    y = Im2col.apply(x, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    return squeeze(y, 0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """Combine sliding local blocks into an image, summing overlaps (PyTorch's ``F.fold``):
    (N, C·k_h·k_w, L) → (N, C, H, W) with (H, W) = ``output_size``; unbatched (C·K, L) →
    (C, H, W)."""
    kernel, dilation, padding, stride = _geometry("fold", kernel_size, dilation, padding, stride)
    size = _ntuple(output_size, 2, "output_size", "fold")
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"fold: Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    unbatched = input.ndim == 2
    y = expand_dims(input, 0) if unbatched else input
    k = math.prod(kernel)
    if y.shape[1] % k:
        raise RuntimeError(f"fold: Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={y.shape[1]} and "
                           f"kernel_size={kernel}")
    out = _blocks("fold", size, kernel, dilation, padding, stride)
    if y.shape[2] != math.prod(out):
        raise RuntimeError(f"fold: Given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding blocks "
                           f"{out[0]} * {out[1]} = {math.prod(out)}, but got "
                           f"input.size(2)={y.shape[2]}.")
    x = Col2im.apply(y, output_size=size, kernel_size=kernel, dilation=dilation, padding=padding,
                     stride=stride)
    return squeeze(x, 0) if unbatched else x


__all__ = ["unfold", "fold"]
