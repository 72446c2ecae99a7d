"""Lesson 6 — optimization: gradient descent, momentum, RMSProp, Adam.

Write each function below, then grade it:   chainrule learn check 6     (or check 6.3, …)
Each takes NumPy arrays and returns new ones (do not change the arrays you are given).
The lesson explains the mathematics: chainrule learn show 6.
"""
import numpy as np  # noqa: F401  (you will need it)


def momentum_step(theta, grad, velocity, lr, momentum):
    """Exercise 6.1 — one step of gradient descent with momentum (PyTorch's SGD form).

    With θ the parameters, g = ∇L(θ) their gradient and v the velocity (zeros before the first
    step):
        v ← μ v + g,        θ ← θ − η v        (η = lr, μ = momentum).
    Return the pair (new θ, new v).
    """
    raise NotImplementedError


def rmsprop_step(theta, grad, square_avg, lr, alpha, eps):
    """Exercise 6.2 — one step of RMSProp.

    s is the running average of squared gradients (zeros before the first step):
        s ← α s + (1 − α) g²,        θ ← θ − η g / (√s + ε)      (entry by entry).
    Return the pair (new θ, new s).
    """
    raise NotImplementedError


def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
    """Exercise 6.3 — one step of Adam, with bias correction.

    m and v are the running averages of g and g² (zeros before the first step) and t is the
    number of this step: 1 for the first. Following Kingma & Ba (and torch.optim.Adam):
        m ← β₁ m + (1 − β₁) g,        v ← β₂ v + (1 − β₂) g²,
        m̂ = m / (1 − β₁ᵗ),            v̂ = v / (1 − β₂ᵗ),
        θ ← θ − η m̂ / (√v̂ + ε).
    Return the triple (new θ, new m, new v).
    """
    raise NotImplementedError
