"""Normalization: batch_norm (inference form), layer_norm, group_norm.

BatchNorm exports what evaluation computes, y = γ(x − μ_run)/√(σ²_run + ε) + β with the running
statistics as initializers under their state_dict names (``bn.running_mean``); a BatchNorm that
uses batch statistics in evaluation (``track_running_stats=False``) is refused. LayerNorm is
LayerNormalization from opset 17 and its formula before.
"""
from __future__ import annotations

import numpy as np

from .builder import Op
from .emit_reduce import reduce
from .emitters import emits


def _affine(op: Op, i: int, shape, fill: float) -> str:
    """Argument i (γ or β), or a constant of ``fill`` when the layer has none."""
    if op.arg(i) is not None:
        return op.x(i, op.out_dtype)
    return op.const(np.full(shape, fill, dtype=op.out_dtype))


@emits("batch_norm")
def batch_norm(op: Op) -> str:
    """y = γ(x − μ)/√(σ² + ε) + β per channel, μ, σ² the running statistics:
    BatchNormalization(epsilon) in inference form (training_mode 0)."""
    if op.param("training", True) or op.call.params.get("running_mean") is None:
        raise op.refuse("it normalizes with the batch's own statistics (training=True, or "
                        "track_running_stats=False), which the inference form of "
                        "BatchNormalization does not compute")
    channels = (op.shape(0)[1],)
    mean = op.as_name(op.param_value("running_mean"), op.out_dtype, "running_mean")
    var = op.as_name(op.param_value("running_var"), op.out_dtype, "running_var")
    return op.node("BatchNormalization",
                   [op.x(0), _affine(op, 1, channels, 1.0), _affine(op, 2, channels, 0.0),
                    mean, var], epsilon=float(op.param("eps", 1e-5)))


@emits("layer_norm")
def layer_norm(op: Op) -> str:
    """y = γ(x − μ)/√(σ² + ε) + β, μ and σ² (biased) over the last D axes of each sample:
    LayerNormalization(axis = −D, epsilon) from opset 17; before, ReduceMean, Sub, Mul, Add ε,
    Sqrt, Div, Mul γ, Add β."""
    k = int(op.param("normalized_ndim", 1))
    eps = float(op.param("eps", 1e-5))
    shape = op.shape(0)
    normalized = shape[len(shape) - k:]
    x, dt = op.x(0), op.out_dtype
    if op.opset >= 17:
        inputs = [x, _affine(op, 1, normalized, 1.0)]
        if op.arg(2) is not None:
            inputs.append(op.x(2, dt))
        return op.node("LayerNormalization", inputs, axis=-k, epsilon=eps)
    axes = list(range(len(shape) - k, len(shape)))
    y = _standardize(op, x, axes, eps)
    if op.arg(1) is not None:
        y = op.node("Mul", [y, op.x(1, dt)])
    if op.arg(2) is not None:
        y = op.node("Add", [y, op.x(2, dt)])
    return y


def _standardize(op: Op, x: str, axes: list[int], eps: float) -> str:
    """(x − mean)/√(var + ε) over ``axes`` (biased variance)."""
    dt = op.out_dtype
    centred = op.node("Sub", [x, reduce(op, "ReduceMean", x, axes, True)])
    var = reduce(op, "ReduceMean", op.node("Mul", [centred, centred]), axes, True)
    return op.node("Div", [centred, op.node("Sqrt", [op.node("Add", [var, op.const(eps, dt)])])])


@emits("group_norm")
def group_norm(op: Op) -> str:
    """x (N, C, …) in G groups of C/G channels, each (sample, group) standardized over its
    channels and positions, then γ_c, β_c per channel: Reshape to (N, G, −1), the formula over
    the last axis, Reshape back to x's shape, Mul and Add with γ, β shaped (C, 1, …)."""
    groups = int(op.param("num_groups", 1))
    shape = op.shape(0)
    x, dt = op.x(0), op.out_dtype
    grouped = op.node("Reshape", [x, op.ints([0, groups, -1])])
    y = _standardize(op, grouped, [2], float(op.param("eps", 1e-5)))
    y = op.node("Reshape", [y, op.node("Shape", [x])])
    per_channel = [shape[1]] + [1] * (len(shape) - 2)
    if op.arg(1) is not None:
        y = op.node("Mul", [y, op.node("Reshape", [op.x(1, dt), op.ints(per_channel)])])
    if op.arg(2) is not None:
        y = op.node("Add", [y, op.node("Reshape", [op.x(2, dt), op.ints(per_channel)])])
    return y
