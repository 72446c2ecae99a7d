"""Lesson 7 — generalization: weight decay, dropout, batch normalization.

Write each function below, then grade it:   chainrule learn check 7     (or check 7.2, …)
Use NumPy (imported as np). The lesson explains the mathematics: chainrule learn show 7.
"""
import numpy as np  # noqa: F401  (you will need it)


def dropout(x, mask, p):
    """Exercise 7.1 — inverted dropout, in training mode, with a given mask.

    ``mask`` has x's shape and holds 1 for the units kept and 0 for those dropped (each dropped
    with probability p). Return y = m ⊙ x / (1 − p), which keeps E[y] = x. When p = 1 every
    unit is dropped: return zeros (not nan).
    """
    raise NotImplementedError


def batchnorm_forward(X, gamma, beta, eps=1e-5):
    """Exercise 7.2 — batch normalization of a batch X ∈ ℝ^{N×D}, in training mode.

    For each feature d, with the mean μ_d and the variance σ²_d of column d over the N samples
    (the biased variance: divide by N):
        x̂ = (x − μ) / √(σ² + ε),        y = γ ⊙ x̂ + β        (γ, β ∈ ℝ^D).
    Return Y ∈ ℝ^{N×D}.
    """
    raise NotImplementedError


def batchnorm_backward(X, gamma, G, eps=1e-5):
    """Exercise 7.3 — the backward pass of batch normalization (training mode, as in 7.2).

    Given X ∈ ℝ^{N×D}, γ ∈ ℝ^D and G = ∂L/∂Y ∈ ℝ^{N×D}, return the triple
    (∂L/∂X, ∂L/∂γ, ∂L/∂β). Careful: μ and σ² are computed from X, so they depend on it too.
    """
    raise NotImplementedError
