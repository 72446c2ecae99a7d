"""Convolution and pooling: conv, conv_transpose, max_pool, avg_pool.

chainrule's geometry is PyTorch's: padding as (before, after) per spatial axis (symmetric for
pools), stride, dilation, groups; the weight (C_out, C_in/G, k…) for a convolution and
(C_in, C_out/G, k…) for a transposed one — ONNX's layouts too. ONNX's ``pads`` list all the
befores, then all the afters. An average pool whose window is the whole input (what
``AdaptiveAvgPool2d(1)`` applies) is GlobalAveragePool, which also holds when the spatial axes
are dynamic.
"""
from __future__ import annotations

from .builder import Op
from .emitters import emits


def _pads(padding, nd: int) -> list[int]:
    pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in padding] if padding else \
        [(0, 0)] * nd
    return [int(b) for b, _ in pairs] + [int(a) for _, a in pairs]


def _geometry(op: Op, nd: int, names=("stride", "padding", "dilation")):
    out = []
    for name in names:
        value = op.param(name)
        if value is None:
            value = ((0, 0),) * nd if name == "padding" else (1,) * nd
        out.append(value)
    return out


def _conv_out(size, k, s, lo, hi, d) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


@emits("conv")
def conv(op: Op) -> str:
    """Cross-correlation y = b + Σ w ⋆ x per group: Conv(kernel_shape, strides, pads,
    dilations, group), for 1-, 2- and 3-D inputs."""
    kernel = op.shape(1)[2:]
    nd = len(kernel)
    stride, padding, dilation = _geometry(op, nd)
    pads = _pads(padding, nd)
    expected = tuple(_conv_out(h, k, s, pads[i], pads[i + nd], d) for i, (h, k, s, d) in
                     enumerate(zip(op.shape(0)[2:], kernel, stride, dilation)))
    if expected != op.out_shape[2:]:
        raise op.refuse(f"an output size {op.out_shape[2:]} other than the one its padding "
                        f"gives ({expected})")
    inputs = [op.x(0), op.x(1)] + ([op.x(2)] if op.arg(2) is not None else [])
    return op.node("Conv", inputs, kernel_shape=list(kernel), strides=list(stride),
                   pads=pads, dilations=list(dilation), group=int(op.param("groups", 1)))


@emits("conv_transpose")
def conv_transpose(op: Op) -> str:
    """The adjoint of a convolution: ConvTranspose(kernel_shape, strides, pads, dilations,
    group, output_padding), where output_padding = out − ((in − 1)s − p_b − p_a + d(k − 1) + 1)
    reproduces PyTorch's output size."""
    kernel = op.shape(1)[2:]
    nd = len(kernel)
    stride, padding, dilation = _geometry(op, nd)
    pads = _pads(padding, nd)
    extra = []
    for shape_in, shape_out in ((op.shape(0), op.out_shape), (op.shape_b(0), op.out_shape_b)):
        extra.append([o - ((h - 1) * s - pads[i] - pads[i + nd] + d * (k - 1) + 1)
                      for i, (h, o, k, s, d) in enumerate(zip(shape_in[2:], shape_out[2:],
                                                              kernel, stride, dilation))])
    if extra[0] != extra[1]:
        raise op.fail("its output padding depends on the input size")
    inputs = [op.x(0), op.x(1)] + ([op.x(2)] if op.arg(2) is not None else [])
    return op.node("ConvTranspose", inputs, kernel_shape=list(kernel), strides=list(stride),
                   pads=pads, dilations=list(dilation), group=int(op.param("groups", 1)),
                   output_padding=extra[0] if any(extra[0]) else None)


def _pool_geometry(op: Op):
    kernel = [int(k) for k in op.param("kernel_size")]
    nd = len(kernel)
    stride = op.param("stride") or kernel
    padding = op.param("padding") or (0,) * nd
    return kernel, [int(s) for s in stride], [int(p) for p in padding]


@emits("max_pool")
def max_pool(op: Op) -> str:
    """The maximum over each window (padding never wins): MaxPool(kernel_shape, strides, pads,
    dilations, ceil_mode)."""
    kernel, stride, padding = _pool_geometry(op)
    dilation = [int(d) for d in (op.param("dilation") or (1,) * len(kernel))]
    return op.node("MaxPool", [op.x(0)], kernel_shape=kernel, strides=stride,
                   pads=padding + padding, dilations=dilation,
                   ceil_mode=int(bool(op.param("ceil_mode", False))))


@emits("avg_pool")
def avg_pool(op: Op) -> str:
    """The mean over each window: AveragePool(kernel_shape, strides, pads, ceil_mode,
    count_include_pad); GlobalAveragePool when the window is the whole input (on both traces,
    or following a dynamic input). A divisor_override has no ONNX form."""
    if op.param("divisor_override") is not None:
        raise op.refuse("divisor_override has no ONNX form")
    kernel_a, kernel_b = op.pair("kernel_size")
    padding_a, _ = op.pair("padding")
    whole = all(tuple(int(k) for k in kern) == tuple(shape[2:]) for kern, shape in
                ((kernel_a, op.shape(0)), (kernel_b, op.shape_b(0))))
    if whole and not any(padding_a or ()) and all(o == 1 for o in op.out_shape[2:]):
        return op.node("GlobalAveragePool", [op.x(0)])
    kernel, stride, padding = _pool_geometry(op)
    return op.node("AveragePool", [op.x(0)], kernel_shape=kernel, strides=stride,
                   pads=padding + padding, ceil_mode=int(bool(op.param("ceil_mode", False))),
                   count_include_pad=int(bool(op.param("count_include_pad", True))))
