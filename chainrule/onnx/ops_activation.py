"""Activations and normalized exponentials: Relu, LeakyRelu, PRelu, Elu, Selu, Sigmoid, Tanh,
HardSigmoid, HardSwish, Softplus, Softsign, Clip, Softmax, LogSoftmax."""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from ..nn import functional as F
from .registry import Node, op
from .values import any_tensor, is_tensor, tensor


@op("Relu")
def relu(node: Node):
    r"""Relu(X) = max(0, X).   Derivative: 1 where X > 0, else 0 (0 at the kink X = 0)."""
    return lambda x: F.relu(tensor(x))


@op("LeakyRelu")
def leaky_relu(node: Node):
    r"""LeakyRelu(X) = X for X ≥ 0, α·X otherwise (α = alpha, default 0.01).

    Derivative: 1 for X > 0, α otherwise.
    """
    alpha = float(node.attr("alpha", 0.01))
    return lambda x: F.leaky_relu(tensor(x), alpha)


@op("PRelu")
def prelu(node: Node):
    r"""PRelu(X, slope) = X for X ≥ 0, slope·X otherwise (slope broadcast to X: one per channel
    as PyTorch exports it, shape (C, 1, …), or one for all).

    Derivative: ∂/∂X = 1 for X > 0, slope otherwise; ∂/∂slope = X where X < 0, else 0.
    """
    def run(x, slope):
        x, slope = tensor(x), tensor(slope)
        try:
            shape = np.broadcast_shapes(tuple(x.shape), tuple(slope.shape))
        except ValueError:
            shape = None
        if shape != tuple(x.shape):
            raise ValueError(f"PRelu: slope of shape {list(slope.shape)} does not broadcast "
                             f"to the input's shape {list(x.shape)}")
        return _ops.where(x >= 0, x, x * slope)

    return run


@op("Elu")
def elu(node: Node):
    r"""Elu(X) = X for X > 0, α(e^X − 1) otherwise (α = alpha, default 1).

    Derivative: 1 for X > 0, α e^X otherwise.
    """
    alpha = float(node.attr("alpha", 1.0))
    return lambda x: F.elu(tensor(x), alpha)


# ONNX's defaults, the constants of Klambauer et al. (2017) rounded to float32
_SELU_ALPHA, _SELU_GAMMA = 1.67326319217681884765625, 1.05070102214813232421875


@op("Selu")
def selu(node: Node):
    r"""Selu(X) = γ·X for X > 0, γ·α(e^X − 1) otherwise (α ≈ 1.6733, γ ≈ 1.0507 by default).

    Derivative: γ for X > 0, γ α e^X otherwise.
    """
    alpha = float(node.attr("alpha", _SELU_ALPHA))
    gamma = float(node.attr("gamma", _SELU_GAMMA))
    return lambda x: F.elu(tensor(x), alpha) * gamma


@op("Softplus")
def softplus(node: Node):
    r"""Softplus(X) = ln(1 + e^X).   Derivative: σ(X) = 1 / (1 + e^{−X})."""
    return lambda x: F.softplus(tensor(x))


@op("Softsign")
def softsign(node: Node):
    r"""Softsign(X) = X / (1 + |X|).   Derivative: 1 / (1 + |X|)²."""
    return lambda x: F.softsign(tensor(x))


@op("Sigmoid")
def sigmoid(node: Node):
    r"""Sigmoid(X) = 1 / (1 + e^{−X}).   Derivative: σ(X)(1 − σ(X))."""
    return lambda x: F.sigmoid(tensor(x))


@op("Tanh")
def tanh(node: Node):
    r"""Tanh(X) = (e^X − e^{−X}) / (e^X + e^{−X}).   Derivative: 1 − tanh²(X)."""
    return lambda x: F.tanh(tensor(x))


@op("HardSigmoid")
def hard_sigmoid(node: Node):
    r"""HardSigmoid(X) = max(0, min(1, α·X + β)) (α = alpha, default 0.2; β = beta, default 0.5).

    Derivative: α inside (0 < αX + β < 1), 0 outside. PyTorch's hardsigmoid is α = 1/6, β = 1/2.
    """
    alpha = float(node.attr("alpha", 0.2))
    beta = float(node.attr("beta", 0.5))
    return lambda x: _ops.clamp(tensor(x) * alpha + beta, 0.0, 1.0)


@op("HardSwish")
def hard_swish(node: Node):
    r"""HardSwish(X) = X · max(0, min(1, X/6 + 1/2)) (= X · ReLU6(X + 3) / 6, PyTorch's).

    Derivative: 0 for X < −3, (2X + 3)/6 for −3 < X < 3, 1 for X > 3.
    """
    return lambda x: F.hardswish(tensor(x))


@op("Clip")
def clip(node: Node):
    r"""Clip(X, min?, max?) = min(max(X, min), max); an omitted bound (absent or '') is ±∞.

    Derivative: 1 where min < X < max, else 0 to X; a bound that is a Tensor (a parameter)
    receives the gradient where it is the one chosen.
    """
    def run(x, low=None, high=None):
        if not any_tensor(x, low, high):
            out = np.asarray(x)
            if low is not None:
                out = np.maximum(out, np.asarray(low, dtype=out.dtype))
            if high is not None:
                out = np.minimum(out, np.asarray(high, dtype=out.dtype))
            return out
        x = tensor(x)
        if is_tensor(low):
            x = _ops.maximum(x, low)
        elif low is not None:
            x = _ops.clamp(x, min=float(np.asarray(low)))
        if is_tensor(high):
            x = _ops.minimum(x, high)
        elif high is not None:
            x = _ops.clamp(x, max=float(np.asarray(high)))
        return x

    return run


def _softmax_kernel(node: Node, fn):
    """Opset ≥ 13: along one axis (default −1). Opsets 11–12: the input is seen as a matrix
    (the axes before ``axis`` × the axes from ``axis`` on, default axis 1) and normalized along
    its rows."""
    legacy = node.opset < 13
    axis = int(node.attr("axis", 1 if legacy else -1))

    def run(x):
        x = tensor(x)
        r = x.ndim
        if not -r <= axis < max(r, 1):
            raise ValueError(f"axis={axis} is out of range for an input of rank {r}")
        if not legacy:
            return fn(x, dim=axis)
        a = axis % r if r else 0
        shape = tuple(x.shape)
        rows = x.reshape(math.prod(shape[:a]), math.prod(shape[a:]))
        return fn(rows, dim=1).reshape(shape)

    return run


@op("Softmax")
def softmax(node: Node):
    r"""Softmax(X)_i = e^{X_i − m} / Σ_j e^{X_j − m} along the axis (m = max_j X_j, for stability).

    Derivative: ∂L/∂X = Y ⊙ (g − Σ_j g_j Y_j).
    """
    return _softmax_kernel(node, F.softmax)


@op("LogSoftmax")
def log_softmax(node: Node):
    r"""LogSoftmax(X)_i = X_i − m − log Σ_j e^{X_j − m} along the axis.

    Derivative: ∂L/∂X = g − softmax(X) · Σ_j g_j.
    """
    return _softmax_kernel(node, F.log_softmax)
