"""Normalization: BatchNormalization (inference form), LayerNormalization,
InstanceNormalization and LRN (local response normalization across channels)."""
from __future__ import annotations

import math

from .. import ops as _ops
from ..nn import functional as F
from .registry import Node, op
from .values import is_tensor, tensor


@op("BatchNormalization")
def batch_normalization(node: Node):
    r"""BatchNormalization(X, scale, B, mean, var), inference form (training_mode = 0).

    Forward:    Y[n, c, …] = scale[c] · (X[n, c, …] − mean[c]) / √(var[c] + ε) + B[c]
    Derivative: ∂Y/∂X = scale / √(var + ε); ∂Y/∂scale = X̂; ∂Y/∂B = 1 (X̂ the normalized input).
    The statistics are constants of the graph (PyTorch's running_mean/running_var buffers) and
    the fused F.batch_norm is used; where they require grad (an exporter that wrote them as
    trainable values), the formula above is composed from primitives so they get a gradient too.
    momentum is ignored (it only matters when training statistics).
    """
    eps = float(node.attr("epsilon", 1e-5))
    if node.attr("training_mode", 0) != 0:
        raise node.refuse("training_mode=1 is not supported (the inference form only)")
    if node.n_outputs() > 1:
        raise node.refuse("the running/saved statistics outputs (training form) are not "
                          "supported")

    def run(x, scale, b, mean, var):
        x = tensor(x)
        if x.ndim < 2:
            raise ValueError(f"BatchNormalization: expected input (N, C, …), got shape "
                             f"{list(x.shape)}")
        if any(is_tensor(v) and v.requires_grad for v in (mean, var)):
            shape = (1, -1) + (1,) * (x.ndim - 2)
            mean, var = tensor(mean).reshape(shape), tensor(var).reshape(shape)
            xhat = (x - mean) / (var + eps) ** 0.5
            return xhat * tensor(scale).reshape(shape) + tensor(b).reshape(shape)
        return F.batch_norm(x, tensor(mean), tensor(var), tensor(scale), tensor(b),
                            training=False, eps=eps)

    return run


@op("LayerNormalization", max_outputs=3)
def layer_normalization(node: Node):
    r"""LayerNormalization(X, Scale, B?) over the axes from ``axis`` (default −1) to the last:

        μ = mean(X),  σ² = mean((X − μ)²)  over those axes,
        Y = (X − μ) / √(σ² + ε) · Scale + B

    with the optional outputs Mean = μ and InvStdDev = 1/√(σ² + ε) (keeping the reduced axes).
    Derivative: chainrule's layer_norm primitive (∂L/∂X = (1/σ̂)(ĝ − mean(ĝ) − X̂·mean(ĝ X̂)),
    ĝ = g·Scale), or the composition of primitives when the statistics are asked for.
    """
    axis = int(node.attr("axis", -1))
    eps = float(node.attr("epsilon", 1e-5))
    outputs = node.n_outputs()

    def run(x, scale, b=None):
        x, scale = tensor(x), tensor(scale)
        r = x.ndim
        if not -r <= axis < r:
            raise ValueError(f"LayerNormalization: axis={axis} is out of range for rank {r}")
        a = axis % r
        shape = tuple(x.shape[a:])
        if outputs == 1 and tuple(scale.shape) == shape and (b is None or
                                                              tuple(b.shape) == shape):
            return F.layer_norm(x, shape, scale, None if b is None else tensor(b), eps)
        dims = tuple(range(a, r))
        mean = x.mean(dim=dims, keepdim=True)
        centred = x - mean
        inv_std = ((centred * centred).mean(dim=dims, keepdim=True) + eps) ** -0.5
        y = centred * inv_std * scale
        if b is not None:
            y = y + tensor(b)
        return (y, mean, inv_std)[:max(outputs, 1)] if outputs > 1 else y

    return run


@op("InstanceNormalization")
def instance_normalization(node: Node):
    r"""InstanceNormalization(X, scale, B): each (sample, channel) normalized over its spatial
    positions, Y[n, c, …] = scale[c] · (X[n, c, …] − μ[n, c]) / √(σ²[n, c] + ε) + B[c].

    Derivative: chainrule's instance_norm (the batch-norm formula per sample and channel).
    """
    eps = float(node.attr("epsilon", 1e-5))

    def run(x, scale, b):
        x = tensor(x)
        if x.ndim < 3:
            raise ValueError(f"InstanceNormalization: expected input (N, C, D₁, …), got shape "
                             f"{list(x.shape)}")
        return F.instance_norm(x, weight=tensor(scale), bias=tensor(b), eps=eps)

    return run


@op("LRN")
def lrn(node: Node):
    r"""LRN(X): local response normalization across channels (Krizhevsky et al., 2012),

        Y[n, c, …] = X[n, c, …] / (bias + α/size · Σ_{c′} X[n, c′, …]²)^β

    the sum over c′ from c − ⌊(size − 1)/2⌋ to c + ⌈(size − 1)/2⌉ (clipped to the channels).
    (PyTorch's local_response_norm centres an even window the other way, so this is composed
    here rather than calling it.)
    Derivative: through the composition (a padded sum of squares, a power and a quotient).
    """
    size = node.attr("size")
    if size is None or int(size) < 1:
        raise node.refuse(f"size={size!r}: expected a positive integer")
    size = int(size)
    alpha = float(node.attr("alpha", 1e-4))
    beta = float(node.attr("beta", 0.75))
    bias = float(node.attr("bias", 1.0))
    before, after = (size - 1) // 2, math.ceil((size - 1) / 2)

    def run(x):
        x = tensor(x)
        if x.ndim < 3:
            raise ValueError(f"LRN: expected input (N, C, D₁, …), got shape {list(x.shape)}")
        channels = x.shape[1]
        square = x * x
        pad = [0, 0] * (x.ndim - 2) + [before, after]
        padded = F.pad(square, tuple(pad))
        total = _ops.narrow(padded, 1, 0, channels)
        for k in range(1, size):        # a loop over the window's offsets, not the channels
            total = total + _ops.narrow(padded, 1, k, channels)
        return x / (total * (alpha / size) + bias) ** beta

    return run
