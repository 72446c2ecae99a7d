"""Lesson 5 — probability for learning: likelihood, softmax, cross-entropy, KL divergence.

Write each function below, then grade it:   chainrule learn check 5     (or check 5.3, …)
Use NumPy (imported as np). The lesson explains the mathematics: chainrule learn show 5.
"""
import numpy as np  # noqa: F401  (you will need it)


def softmax(z):
    """Exercise 5.1 — softmax over the last axis.

    z holds scores (logits): a vector z ∈ ℝ^K, or a batch Z ∈ ℝ^{N×K} with one sample per row.
    Return the probabilities softmax(z)ₖ = e^{zₖ} / Σⱼ e^{zⱼ}, computed along the last axis, of
    z's shape. It must work for logits as large as 1000 (no inf, no nan).
    """
    raise NotImplementedError


def cross_entropy(Z, y):
    """Exercise 5.2 — cross-entropy as the mean negative log-likelihood.

    Z ∈ ℝ^{N×K} holds the logits of N samples; y holds their classes (N integers in 0 … K−1).
    Return the number L = −(1/N) Σₙ log softmax(zₙ)_{yₙ}, as nn.CrossEntropyLoss() computes it.
    It must stay finite and exact for logits as large as 1000.
    """
    raise NotImplementedError


def cross_entropy_grad(Z, y):
    """Exercise 5.3 — the gradient of that loss with respect to the logits.

    Same Z and y as in 5.2; return ∂L/∂Z ∈ ℝ^{N×K}.
    """
    raise NotImplementedError


def kl_normal(mu1, sigma1, mu2, sigma2):
    """Exercise 5.4 — the KL divergence of two normal distributions.

    p = N(μ₁, σ₁²) and q = N(μ₂, σ₂²), with standard deviations σ₁, σ₂ > 0. Return
    KL(p ‖ q) = E_p[log p(x) − log q(x)]. The arguments may be numbers or arrays of one shape
    (compute entry by entry).
    """
    raise NotImplementedError
