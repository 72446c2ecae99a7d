"""Lesson 3 — backpropagation by hand.

Write each function below, then grade it:   chainrule learn check 3     (or check 3.2, …)
Vectors are 1-D NumPy arrays; a column vector x is written x ∈ ℝ^n and its transpose xᵀ.
The lesson explains the mathematics: chainrule learn show 3.
"""
import numpy as np  # noqa: F401  (you will need it)


def linear_backward(x, W, delta):
    """Exercise 3.1 — backward of one affine map, for one sample.

    z = W x + b with W ∈ ℝ^{m×n}, x ∈ ℝ^n, b ∈ ℝ^m. Given δ = ∂L/∂z ∈ ℝ^m, return the triple

        (∂L/∂W, ∂L/∂b, ∂L/∂x)     of shapes (m, n), (m,), (n,).
    """
    raise NotImplementedError


def hidden_delta(W2, delta2, h):
    """Exercise 3.2 — the error signal of a hidden layer.

    h = σ(z₁) ∈ ℝ^k is a hidden layer (σ the sigmoid) feeding z₂ = W₂ h + b₂ with W₂ ∈ ℝ^{m×k}.
    Given δ₂ = ∂L/∂z₂ ∈ ℝ^m and the activations h, return δ₁ = ∂L/∂z₁ ∈ ℝ^k.
    """
    raise NotImplementedError


def backprop_221(x, y, W1, b1, W2, b2):
    """Exercise 3.3 — every gradient of a 2-2-1 network.

    The network: z₁ = W₁ x + b₁,  h = σ(z₁),  ŷ = W₂ h + b₂,  L = (ŷ − y)²
    with x ∈ ℝ², W₁ ∈ ℝ^{2×2}, b₁ ∈ ℝ², W₂ ∈ ℝ^{1×2}, b₂ ∈ ℝ¹, y ∈ ℝ¹ (what nn.Sequential(
    nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1)) and nn.MSELoss() compute for one sample).
    Return a dict {'W1': ∂L/∂W₁, 'b1': ∂L/∂b₁, 'W2': ∂L/∂W₂, 'b2': ∂L/∂b₂}, each of the shape
    of its parameter.
    """
    raise NotImplementedError


def batch_linear_backward(X, W, G):
    """Exercise 3.4 — backward of nn.Linear on a batch (the layout chainrule and PyTorch use).

    Y = X Wᵀ + b with X ∈ ℝ^{N×n} (N samples as rows), W ∈ ℝ^{m×n}, b ∈ ℝ^m. Given
    G = ∂L/∂Y ∈ ℝ^{N×m} (row n is δₙᵀ, the δ of sample n), return the triple

        (∂L/∂X, ∂L/∂W, ∂L/∂b)     of shapes (N, n), (m, n), (m,).
    """
    raise NotImplementedError
