"""Lesson 13 — transfer learning with a pretrained model.

Write each function below, then grade it:   chainrule learn check 13     (or check 13.2, …)
The lesson explains the mathematics: chainrule learn show 13.
"""
import fnmatch  # noqa: F401  (you may need it)

import numpy as np  # noqa: F401  (you will need it)


def trainable_after_freeze(names, patterns):
    """Exercise 13.1 — what a freeze leaves trainable.

    ``names`` are a model's parameter names in order ("_blocks.3._bn1.weight", "_fc.bias", …);
    ``patterns`` the glob patterns given to chainrule.nn.utils.freeze(model, *patterns), which
    freezes every parameter whose name matches at least one pattern (fnmatch's case-sensitive
    rules: ``*`` matches any characters, dots included). Return the list of the names that stay
    trainable, in their original order.
    """
    raise NotImplementedError


def linear_head_step(W, b, phi, y, lr):
    """Exercise 13.2 — one gradient-descent step of a linear head on fixed features.

    ``phi`` ∈ ℝ^{N×D} are the frozen body's features, ``y`` N class indices in 0 … K − 1, and the
    head is ŷ = softmax(z) with z = φ Wᵀ + b, W ∈ ℝ^{K×D}, b ∈ ℝ^K (nn.Linear's layout), trained on
    the mean cross-entropy L = −(1/N) Σ_n log ŷ_{n, y_n}. Return the pair (W − lr ∂L/∂W,
    b − lr ∂L/∂b) as NumPy arrays, without modifying W and b.
    """
    raise NotImplementedError


def discriminative_groups(model, head, lr):
    """Exercise 13.3 — parameter groups with a smaller learning rate for the body.

    ``head`` is the name of the model's new head module (its parameters are named "head.…"),
    every other parameter belongs to the body. Return the list of two parameter groups for an
    optimizer, [{"params": body, "lr": lr / 10}, {"params": head_params, "lr": lr}], each list
    holding the parameter tensors in the order of model.named_parameters() and only those that
    require a gradient (frozen parameters are left out).
    """
    raise NotImplementedError
