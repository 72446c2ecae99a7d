"""Lesson 4 — activation functions, their derivatives, saturation and vanishing gradients.

Write each function below, then grade it:   chainrule learn check 4     (or check 4.2, …)
Use NumPy (imported as np). The lesson explains the mathematics: chainrule learn show 4.
"""
import numpy as np  # noqa: F401  (you will need it)


def relu_derivative(x):
    """Exercise 4.1 — the derivative of ReLU(x) = max(0, x), entry by entry.

    ReLU has a kink at 0, where no derivative exists; use the convention of chainrule and
    PyTorch there: ReLU′(0) = 0. Return an array of floats of x's shape.
    """
    raise NotImplementedError


def tanh_derivative(x):
    """Exercise 4.2 — the derivative of tanh, entry by entry.

    Return tanh′(x) for every entry of x. It must stay finite for x = ±1000.
    """
    raise NotImplementedError


def chain_gradient(weights, a0):
    """Exercise 4.3 — how a gradient travels through a deep chain of sigmoid units.

    A chain of K scalar units: a_k = σ(w_k a_{k−1}) for k = 1, …, K, starting from the number
    a₀; ``weights`` = [w₁, …, w_K]. Return the derivative ∂a_K/∂a₀ (a float).
    """
    raise NotImplementedError
