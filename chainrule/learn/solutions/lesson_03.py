"""Reference solutions of lesson 3 (backpropagation by hand)."""
import numpy as np


def linear_backward(x, W, delta):
    # zᵢ = Σⱼ Wᵢⱼ xⱼ + bᵢ ⇒ ∂L/∂Wᵢⱼ = δᵢ xⱼ (the outer product δ xᵀ), ∂L/∂b = δ, ∂L/∂x = Wᵀ δ
    return np.outer(delta, x), delta.copy(), W.T @ delta


def hidden_delta(W2, delta2, h):
    # δ₁ = (W₂ᵀ δ₂) ⊙ σ′(z₁), and σ′(z₁) = h ⊙ (1 − h)
    return (W2.T @ delta2) * h * (1.0 - h)


def backprop_221(x, y, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h = 1.0 / (1.0 + np.exp(-z1))
    y_hat = W2 @ h + b2
    delta2 = 2.0 * (y_hat - y)                    # ∂L/∂ŷ for L = (ŷ − y)²
    delta1 = (W2.T @ delta2) * h * (1.0 - h)      # back through W₂ and σ
    return {"W1": np.outer(delta1, x), "b1": delta1,
            "W2": np.outer(delta2, h), "b2": delta2}


def batch_linear_backward(X, W, G):
    # Y = X Wᵀ + b: ∂L/∂X = G W, ∂L/∂W = Gᵀ X = Σₙ δₙ xₙᵀ, ∂L/∂b = Σₙ δₙ (b is used by every row)
    return G @ W, G.T @ X, G.sum(axis=0)
