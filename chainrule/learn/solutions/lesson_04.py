"""Reference solutions of lesson 4 (activations, saturation, vanishing gradients)."""
import numpy as np


def relu_derivative(x):
    # 1 where x > 0, and 0 where x ≤ 0 (the convention ReLU′(0) = 0)
    return (np.asarray(x) > 0).astype(np.float64)


def tanh_derivative(x):
    # tanh′ = 1 − tanh²; tanh itself never overflows (it saturates at ±1)
    return 1.0 - np.tanh(x) ** 2


def chain_gradient(weights, a0):
    # chain rule: ∂a_K/∂a₀ = Π_k ∂a_k/∂a_{k−1} = Π_k σ′(z_k) w_k, with z_k = w_k a_{k−1}
    a, grad = float(a0), 1.0
    for w in weights:
        a = 0.5 * (1.0 + np.tanh(0.5 * w * a))      # σ(z), z = w a
        grad *= a * (1.0 - a) * w                     # σ′(z) = σ(z)(1 − σ(z))
    return grad
