"""The affine map of a fully connected layer, fused into one primitive."""
from __future__ import annotations

import math

from ..amp.autocast_mode import autocast_op
from ..autograd.function import Function, primitive
from ..backend import reshape, total


def _dims(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


@primitive
class Linear(Function):
    """Affine map y = x Wᵀ + b over the last axis of x (PyTorch's F.linear).

    Forward:     y = x Wᵀ + b,  x ∈ ℝ^{…×in}, W ∈ ℝ^{out×in}, b ∈ ℝ^{out}
    Derivative:  ∂L/∂x = G W,  ∂L/∂W = Gᵀ x (summed over all leading axes),  ∂L/∂b = Σ G
    VJP:         one GEMM per gradient, W used as stored (no transposed copy of W is made)
    Numerics:    BLAS GEMM; fused so that ∂L/∂W comes out contiguous in W's (out, in) layout.
    """

    name = "linear"
    complex_grad = "holomorphic"
    array_api = True
    text = ("y = x Wᵀ + b", "∂L/∂x = G W,  ∂L/∂W = Gᵀ x,  ∂L/∂b = Σₙ Gₙ")
    latex = (r"y = x W^{\top} + b",
             r"\frac{\partial L}{\partial x} = G W,\quad "
             r"\frac{\partial L}{\partial W} = G^{\top} x,\quad "
             r"\frac{\partial L}{\partial b} = \textstyle\sum_n G_n")
    explanation = ("Each output is a weighted sum of the inputs plus a bias; the weight gradient "
                   "is the outer product of the output gradient and the input, summed over the "
                   "batch.")
    reference = staticmethod(lambda x, w, b=None: x @ w.T + (0 if b is None else b))

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save(x, weight)
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def vjp(ctx, g):
        x, w = ctx.saved
        need = ctx.needs_input_grad
        gx = g @ w if need[0] else None
        gw = gb = None
        rows = math.prod(g.shape[:-1])     # (not −1: a 0-wide layer has nothing to infer from)
        if need[1]:
            g2 = reshape(g, (rows, g.shape[-1]))
            x2 = reshape(x, (rows, x.shape[-1]))
            gw = g2.T @ x2
        if len(need) > 2 and need[2]:
            gb = total(reshape(g, (rows, g.shape[-1])), axis=0)
        return gx, gw, gb

    @classmethod
    def explain_error(cls, exc, arrays, params):
        x, w = arrays[0], arrays[1]
        if getattr(x, "ndim", 0) >= 1 and getattr(w, "ndim", 0) == 2 and x.shape[-1] != w.shape[1]:
            return ValueError(
                f"linear: input of shape ({_dims(x.shape)}) has {x.shape[-1]} features in its last "
                f"axis, but the weight ({_dims(w.shape)}) expects in_features = {w.shape[1]}")
        return super().explain_error(exc, arrays, params)


@autocast_op("linear")
def linear(x, weight, bias=None):
    """y = x Wᵀ + b (PyTorch's ``F.linear``)."""
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
