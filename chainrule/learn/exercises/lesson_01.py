"""Lesson 1 — vectors, matrices and the notation of neural networks.

Write each function below, then grade it:   chainrule learn check 1     (or check 1.2, …)
Use NumPy (imported as np). Each docstring states the task; the lesson explains the mathematics:
chainrule learn show 1.
"""
import numpy as np  # noqa: F401  (you will need it)


def affine(W, b, x):
    """Exercise 1.1 — the affine map of one layer, for one sample.

    Given W ∈ ℝ^{m×n}, b ∈ ℝ^m and one sample x ∈ ℝ^n (1-D arrays for vectors), return

        z = W x + b   ∈ ℝ^m      (zᵢ = Σⱼ Wᵢⱼ xⱼ + bᵢ)
    """
    raise NotImplementedError


def dense_layer(X, W, b):
    """Exercise 1.2 — a whole layer on a batch: affine map, then the sigmoid.

    X ∈ ℝ^{N×n} holds N samples as rows (the layout of PyTorch and chainrule); W ∈ ℝ^{m×n} and
    b ∈ ℝ^m as in nn.Linear(n, m). Return the activations

        H = σ(X Wᵀ + b)   ∈ ℝ^{N×m},    σ(z) = 1 / (1 + e^{−z}),

    where b is added to every row (broadcasting) and σ acts on each entry.
    """
    raise NotImplementedError


def count_parameters(sizes):
    """Exercise 1.3 — how many numbers does a network learn?

    ``sizes`` = [n₀, n₁, …, n_K] are the widths of a multilayer perceptron: the input has n₀
    features and layer k maps ℝ^{n_{k−1}} → ℝ^{n_k} with a weight matrix W_k and a bias b_k.
    Return the total number of parameters (an int), as
    sum(p.numel() for p in model.parameters()) would count it for
    nn.Sequential(nn.Linear(n₀, n₁), nn.ReLU(), …, nn.Linear(n_{K−1}, n_K)).
    """
    raise NotImplementedError


def broadcast_shape(shape_a, shape_b):
    """Exercise 1.4 — the shape of a + b under broadcasting (NumPy's and PyTorch's rule).

    ``shape_a`` and ``shape_b`` are tuples of ints. Return the shape of a + b as a tuple, or
    raise ValueError when the shapes cannot be broadcast together. Do not call NumPy's own
    broadcasting functions: write the rule.
    """
    raise NotImplementedError
