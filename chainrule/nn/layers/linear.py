"""Linear, Bilinear, Identity, Flatten and Unflatten (LazyLinear is in lazy.py)."""
from __future__ import annotations

import math

from ... import ops
from ...backend import get_default_dtype, xp
from ...mathematics import Formula
from .. import init
from ..module import Module
from ..parameter import Parameter


def _weight_and_bias(layer, shape, bias: bool, dtype) -> None:
    """Register ``weight`` of ``shape`` and ``bias`` (one per output, or None), then initialise
    them with the layer's reset_parameters."""
    dtype = dtype or get_default_dtype()
    layer.weight = Parameter(xp.empty(shape, dtype=dtype))
    if bias:
        layer.bias = Parameter(xp.empty(shape[0], dtype=dtype))
    else:
        layer.register_parameter("bias", None)
    layer.reset_parameters()


class Linear(Module):
    """Fully connected layer: y = x Wᵀ + b (PyTorch's ``nn.Linear``).

    Forward:     y = x Wᵀ + b,  W ∈ ℝ^{out×in}, b ∈ ℝ^{out}
    Derivative:  ∂L/∂x = G W,  ∂L/∂W = Gᵀ x,  ∂L/∂b = Σₙ Gₙ
    Init:        W, b ~ U(−1/√in, 1/√in) (PyTorch's default: kaiming_uniform_ with a = √5)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), bias, dtype)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"expected input of shape (N, {self.in_features}) or (…, {self.in_features}), got "
                f"{tuple(x.shape)}; the last axis must hold the {self.in_features} features")
        return ops.linear(x, self.weight, self.bias)

    def formula(self) -> Formula:
        o, i = self.out_features, self.in_features
        pairs = [("Forward", f"y = x Wᵀ + b,  W ∈ ℝ^{{{o}×{i}}}"
                  + (f", b ∈ ℝ^{{{o}}}" if self.bias is not None else "")),
                 ("Derivative", "∂L/∂x = G W,  ∂L/∂W = Gᵀ x" +
                  (",  ∂L/∂b = Σₙ Gₙ" if self.bias is not None else ""))]
        latex = [rf"y = x W^{{\top}} + b,\quad W \in \mathbb{{R}}^{{{o}\times{i}}}",
                 r"\frac{\partial L}{\partial x} = G W,\quad \frac{\partial L}{\partial W} = "
                 r"G^{\top} x,\quad \frac{\partial L}{\partial b} = \textstyle\sum_n G_n"]
        return Formula.of("Linear", pairs, latex,
                          "An affine map: each output is a weighted sum of all inputs plus a bias.")

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x₁ᵀ W_k x₂ + b_k (PyTorch's ``nn.Bilinear``).

    Forward:     y_k = Σ_ij x₁_i W_kij x₂_j + b_k,  W ∈ ℝ^{out×in1×in2}
    Derivative:  ∂L/∂x₁ = Σ_k G_k W_k x₂,  ∂L/∂x₂ = Σ_k G_k W_kᵀ x₁,  ∂L/∂W_k = G_k x₁ x₂ᵀ,
                 ∂L/∂b = Σₙ Gₙ
    Init:        W, b ~ U(−1/√in1, 1/√in1) (PyTorch's default)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), bias, dtype)

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return ops.bilinear(input1, input2, self.weight, self.bias)

    def formula(self) -> Formula:
        o, i, j = self.out_features, self.in1_features, self.in2_features
        pairs = [("Forward", f"y_k = x₁ᵀ W_k x₂ + b_k,  W ∈ ℝ^{{{o}×{i}×{j}}}"),
                 ("Derivative", "∂L/∂x₁ = Σ_k G_k W_k x₂,  ∂L/∂x₂ = Σ_k G_k W_kᵀ x₁,  "
                                "∂L/∂W_k = G_k x₁ x₂ᵀ")]
        latex = [r"y_k = x_1^{\top} W_k x_2 + b_k",
                 r"\frac{\partial L}{\partial W_k} = G_k\, x_1 x_2^{\top}"]
        return Formula.of("Bilinear", pairs, latex,
                          "Each output is a quadratic form coupling the two inputs.")

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """y = x (a placeholder, e.g. to remove a layer of a pretrained model)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

    def formula(self) -> Formula:
        return Formula.of("Identity", [("Forward", "y = x"), ("Derivative", "∂L/∂x = G")],
                          ["y = x", r"\frac{\partial L}{\partial x} = G"], "Passes x unchanged.")


class Flatten(Module):
    """Merge axes start_dim…end_dim (default: all but the batch axis) into one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def formula(self) -> Formula:
        return Formula.of("Flatten", [("Forward", "y = reshape(x, (N, C·H·W))"),
                                      ("Derivative", "∂L/∂x = reshape(G, shape(x))")],
                          [r"y = \operatorname{flatten}(x)",
                           r"\frac{\partial L}{\partial x} = \operatorname{reshape}(G)"],
                          "Flattening only relabels the elements.")

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        return ops.reshape(x, x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def formula(self) -> Formula:
        return Formula.of("Unflatten", [("Forward", f"y = reshape(x, …×{self.unflattened_size})"),
                                        ("Derivative", "∂L/∂x = reshape(G, shape(x))")],
                          [r"y = \operatorname{unflatten}(x)",
                           r"\frac{\partial L}{\partial x} = \operatorname{reshape}(G)"],
                          "Unflattening only relabels the elements.")

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
