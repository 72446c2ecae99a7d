"""Activations and softmax: Relu, LeakyRelu, Elu, Sigmoid, GELU, SiLU, Softplus, the hard
functions, LogSigmoid, Softmax and LogSoftmax.

Each is ONNX's operator of the same function where one exists at the opset; otherwise the
formula is written out (GELU before opset 20: x·½(1 + erf(x/√2)), or its tanh form).
"""
from __future__ import annotations

import math

from .builder import Op
from .emitters import emits

_SAME = {"relu": "Relu", "sigmoid": "Sigmoid"}


@emits(*_SAME)
def same_name(op: Op) -> str:
    """ReLU max(0, x) and the logistic σ(x) = 1/(1 + e^{−x}): Relu, Sigmoid."""
    return op.node(_SAME[op.name], [op.x(0)])


@emits("leaky_relu")
def leaky_relu(op: Op) -> str:
    """x if x > 0 else a·x: LeakyRelu(alpha = a) (both give 0 at 0)."""
    return op.node("LeakyRelu", [op.x(0)], alpha=float(op.param("negative_slope", 0.01)))


@emits("elu")
def elu(op: Op) -> str:
    """x if x > 0 else α(eˣ − 1): Elu(alpha = α)."""
    return op.node("Elu", [op.x(0)], alpha=float(op.param("alpha", 1.0)))


@emits("gelu")
def gelu(op: Op) -> str:
    """x·Φ(x) = x·½(1 + erf(x/√2)), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) with
    approximate='tanh': Gelu from opset 20, else the formula from Erf (or Tanh), Mul and Add."""
    approximate = op.param("approximate", "none")
    x = op.x(0)
    if op.opset >= 20:
        return op.node("Gelu", [x], approximate=approximate)
    dt = op.out_dtype
    half, one = op.const(0.5, dt), op.const(1.0, dt)
    if approximate == "tanh":
        cube = op.node("Mul", [op.node("Mul", [x, x]), x])
        inner = op.node("Add", [x, op.node("Mul", [cube, op.const(0.044715, dt)])])
        t = op.node("Tanh", [op.node("Mul", [inner, op.const(math.sqrt(2 / math.pi), dt)])])
    else:
        t = op.node("Erf", [op.node("Div", [x, op.const(math.sqrt(2.0), dt)])])
    return op.node("Mul", [op.node("Mul", [x, half]), op.node("Add", [t, one])])


@emits("silu")
def silu(op: Op) -> str:
    """x·σ(x): Mul(x, Sigmoid(x))."""
    x = op.x(0)
    return op.node("Mul", [x, op.node("Sigmoid", [x])])


@emits("softplus")
def softplus(op: Op) -> str:
    """(1/β)·ln(1 + e^{βx}), and x itself where βx > threshold (PyTorch's rule):
    Where(βx > threshold, x, Softplus(βx)/β)."""
    beta = float(op.param("beta", 1.0))
    threshold = float(op.param("threshold", 20.0))
    x, dt = op.x(0), op.out_dtype
    z = x if beta == 1.0 else op.node("Mul", [x, op.const(beta, dt)])
    smooth = op.node("Softplus", [z])
    if beta != 1.0:
        smooth = op.node("Div", [smooth, op.const(beta, dt)])
    linear = op.node("Greater", [z, op.const(threshold, dt)])
    return op.node("Where", [linear, x, smooth])


@emits("hardtanh")
def hardtanh(op: Op) -> str:
    """min(max(x, lo), hi): Clip."""
    dt = op.out_dtype
    return op.node("Clip", [op.x(0), op.const(float(op.param("min_val", -1.0)), dt),
                            op.const(float(op.param("max_val", 1.0)), dt)])


@emits("hardsigmoid")
def hardsigmoid(op: Op) -> str:
    """min(max(x + 3, 0), 6)/6 = max(0, min(1, x/6 + ½)): HardSigmoid(alpha = 1/6, beta = ½)."""
    return op.node("HardSigmoid", [op.x(0)], alpha=1.0 / 6.0, beta=0.5)


@emits("hardswish")
def hardswish(op: Op) -> str:
    """x·min(max(x + 3, 0), 6)/6: HardSwish (opset ≥ 14), else x·HardSigmoid(x)."""
    x = op.x(0)
    if op.opset >= 14:
        return op.node("HardSwish", [x])
    return op.node("Mul", [x, op.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)])


@emits("mish")
def mish(op: Op) -> str:
    """x·tanh(softplus(x)): Mish (opset ≥ 18), else Mul(x, Tanh(Softplus(x)))."""
    x = op.x(0)
    if op.opset >= 18:
        return op.node("Mish", [x])
    return op.node("Mul", [x, op.node("Tanh", [op.node("Softplus", [x])])])


@emits("logit")
def logit(op: Op) -> str:
    """ln(p/(1 − p)), p = x or Clip(x, ε, 1 − ε): Log(Div(p, Sub(1, p)))."""
    dt = op.out_dtype
    p = op.x(0)
    eps = op.param("eps", None)
    if eps is not None:
        p = op.node("Clip", [p, op.const(float(eps), dt), op.const(1.0 - float(eps), dt)])
    return op.node("Log", [op.node("Div", [p, op.node("Sub", [op.const(1.0, dt), p])])])


@emits("logsigmoid")
def logsigmoid(op: Op) -> str:
    """ln σ(x) = −ln(1 + e^{−x}): Neg(Softplus(Neg(x)))."""
    return op.node("Neg", [op.node("Softplus", [op.node("Neg", [op.x(0)])])])


@emits("softmax", "log_softmax")
def softmax(op: Op) -> str:
    """e^{x_i}/Σ_j e^{x_j} along one axis (and its log): Softmax / LogSoftmax(axis) (the
    single-axis form of opset ≥ 13)."""
    axis = int(op.param("axis", -1))
    return op.node("Softmax" if op.name == "softmax" else "LogSoftmax", [op.x(0)], axis=axis)
