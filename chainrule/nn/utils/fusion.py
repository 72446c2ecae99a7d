r"""Folding an evaluation-mode BatchNorm into the convolution or linear layer before it
(PyTorch's ``torch.nn.utils.fusion``), for inference: one layer instead of two.

In evaluation BatchNorm is an affine map per channel with its running statistics μ, σ²:

.. code-block:: text

    bn(y) = γ (y − μ)/√(σ² + ε) + β = s·y + (β − s·μ),     s = γ/√(σ² + ε)

so for y = W x + b (a convolution or a linear layer, W with the output channel on axis 0):

    W' = s ⊙ W   (s along the output axis; axis 1 for a transposed convolution)
    b' = (b − μ)·s + β

and bn(conv(x)) = conv'(x) exactly up to rounding.
"""
from __future__ import annotations

import copy

from ... import ops
from ...backend import asarray_like, numpy_dtype, xp
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _full_like(t, value: float) -> Tensor:
    """``torch.zeros_like`` / ``ones_like`` in ``t``'s array library."""
    return Tensor._make(asarray_like(xp.full(tuple(t.shape), value, numpy_dtype(t.dtype)),
                                     t._data))


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` (in eval mode, as ``bn``) whose weight and bias include ``bn``;
    ``transpose=True`` for a ConvTranspose (output channels on axis 1)."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
        bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps: float, bn_w, bn_b,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """(W', b') = (s ⊙ W, (b − μ)·s + β), s = γ/√(σ² + ε), as new Parameters (a missing
    conv bias, γ or β counts as 0, 1, 0)."""
    conv_weight_dtype = conv_w.dtype
    conv_bias_dtype = conv_b.dtype if conv_b is not None else conv_weight_dtype
    if conv_b is None:
        conv_b = _full_like(bn_rm, 0.0)
    if bn_w is None:
        bn_w = _full_like(bn_rm, 1.0)
    if bn_b is None:
        bn_b = _full_like(bn_rm, 0.0)
    bn_var_rsqrt = ops.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (len(conv_w.shape) - 2)
    fused_conv_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(dtype=conv_weight_dtype)
    fused_conv_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(dtype=conv_bias_dtype)
    return (Parameter(fused_conv_w, conv_w.requires_grad),
            Parameter(fused_conv_b, conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` (in eval mode, as ``bn``) whose weight and bias include ``bn``
    (``bn.num_features`` must be ``linear.out_features``, or 1)."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_linear = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             f"bn.num_features == 1, got linear.out_features="
                             f"{linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(
        fused_linear.weight, fused_linear.bias, bn.running_mean, bn.running_var, bn.eps,
        bn.weight, bn.bias)
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps: float, bn_w,
                           bn_b) -> tuple[Parameter, Parameter]:
    """(W', b') = (s ⊙ W row by row, (b − μ)·s + β), s = γ/√(σ² + ε), as new Parameters."""
    linear_weight_dtype = linear_w.dtype
    linear_bias_dtype = linear_b.dtype if linear_b is not None else linear_weight_dtype
    if linear_b is None:
        linear_b = _full_like(bn_rm, 0.0)
    bn_scale = bn_w * ops.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * bn_scale.unsqueeze(-1).to(dtype=linear_weight_dtype)
    fused_b = ((linear_b - bn_rm) * bn_scale + bn_b).to(dtype=linear_bias_dtype)
    return (Parameter(fused_w, linear_w.requires_grad),
            Parameter(fused_b, linear_b.requires_grad))
