"""Reference solutions of lesson 2 (derivatives, Jacobians, numerical vs automatic)."""
import numpy as np

import chainrule as cr


def central_difference(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):          # one pair of evaluations per coordinate
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def sigmoid_derivative(x):
    s = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))   # σ(x), no overflow
    return s * (1.0 - s)                                               # σ′ = σ(1 − σ)


def tanh_layer_jacobian(W, x):
    y = np.tanh(W @ x)
    # chain rule: ∂yᵢ/∂xⱼ = tanh′(zᵢ) ∂zᵢ/∂xⱼ = (1 − yᵢ²) Wᵢⱼ, i.e. J = diag(1 − y²) W
    return (1.0 - y**2)[:, None] * W


def matmul_vjp(A, B, G):
    # Cᵢₖ = Σⱼ Aᵢⱼ Bⱼₖ ⇒ ∂L/∂Aᵢⱼ = Σₖ Gᵢₖ Bⱼₖ = (G Bᵀ)ᵢⱼ and ∂L/∂Bⱼₖ = Σᵢ Aᵢⱼ Gᵢₖ = (Aᵀ G)ⱼₖ
    return G @ B.T, A.T @ G


def softplus(x):
    # log(1 + eˣ) = max(x, 0) + log(1 + e^{−|x|}): only e to a power ≤ 0 is ever computed
    return cr.relu(x) + cr.log1p(cr.exp(-cr.abs(x)))
