"""Lesson 2 — derivatives, gradients, Jacobians, the chain rule; numerical vs automatic
differentiation.

Write each function below, then grade it:   chainrule learn check 2     (or check 2.3, …)
The lesson explains the mathematics: chainrule learn show 2.
"""
import numpy as np  # noqa: F401  (you will need it)

import chainrule as cr  # noqa: F401  (exercise 2.5 builds on chainrule's operations)


def central_difference(f, x, h=1e-5):
    """Exercise 2.1 — the gradient of f: ℝ^n → ℝ by central differences.

    ``f`` takes an array shaped like ``x`` and returns a number. Return ∇f(x), an array of the
    shape of x, with entry i approximated by

        ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / (2h),

    eᵢ being the array with a 1 in position i and 0 elsewhere. x may have any shape.
    """
    raise NotImplementedError


def sigmoid_derivative(x):
    """Exercise 2.2 — the derivative of the sigmoid, entry by entry.

    Return σ′(x) = dσ/dx for every entry of the array x, where σ(x) = 1 / (1 + e^{−x}).
    It must stay finite for large |x| (x = ±1000).
    """
    raise NotImplementedError


def tanh_layer_jacobian(W, x):
    """Exercise 2.3 — the Jacobian of a layer.

    For y = tanh(W x) with W ∈ ℝ^{m×n} and x ∈ ℝ^n, return the Jacobian J = ∂y/∂x ∈ ℝ^{m×n},
    Jᵢⱼ = ∂yᵢ/∂xⱼ.
    """
    raise NotImplementedError


def matmul_vjp(A, B, G):
    """Exercise 2.4 — backward of a matrix product (a vector-Jacobian product).

    C = A B with A ∈ ℝ^{p×q}, B ∈ ℝ^{q×r}. Given G = ∂L/∂C ∈ ℝ^{p×r} for some number L, return
    the pair (∂L/∂A, ∂L/∂B): each has the shape of the matrix it belongs to.
    """
    raise NotImplementedError


def softplus(x):
    """Exercise 2.5 — a function written with chainrule operations, differentiated by autograd.

    ``x`` is a chainrule Tensor. Return softplus(x) = log(1 + eˣ), entry by entry, as a Tensor
    computed with chainrule's operations (cr.exp, cr.log, cr.log1p, cr.abs, cr.relu, +, −, …)
    so that autograd can differentiate it. It must stay finite for x = ±1000 and keep full
    precision there: for large x, softplus(x) ≈ x; for very negative x, softplus(x) ≈ eˣ.
    """
    raise NotImplementedError
