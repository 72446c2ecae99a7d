"""Lesson 14 — trust: adversarial examples, calibration, attributions.

Write each function below, then grade it:   chainrule learn check 14     (or check 14.2, …)
The lesson explains the mathematics: chainrule learn show 14.
"""
import numpy as np  # noqa: F401  (you will need it)

import chainrule as cr  # noqa: F401  (exercise 14.1 uses chainrule's autograd)


def fgsm(model, x, y, eps):
    """Exercise 14.1 — the fast gradient sign method.

    ``model`` is a chainrule classifier (logits out), ``x`` a NumPy batch of inputs with values
    in [0, 1], ``y`` their labels (integers). With L the mean cross-entropy of model(x) and y
    (nn.functional.cross_entropy), return the adversarial batch

        x′ = clip_[0,1](x + ε · sign(∇ₓ L))

    as a NumPy array of x's shape.
    """
    raise NotImplementedError


def ece(probs, labels, n_bins=15):
    """Exercise 14.2 — expected calibration error.

    probs ∈ ℝ^{N×K} (each row a predicted distribution), labels ∈ {0…K−1}^N. The confidence of a
    sample is its largest probability, its prediction the class that has it. Split [0, 1] into
    n_bins equal bins — bin b holds the confidences in ((b − 1)/B, b/B], and the first bin
    includes 0 — and return

        ECE = Σ_b (|B_b| / N) · |acc(B_b) − conf(B_b)|

    (acc: the fraction of correct predictions in the bin, conf: its mean confidence; empty bins
    add nothing), a float.
    """
    raise NotImplementedError


def integrated_gradients(grad_f, x, baseline, steps=50):
    """Exercise 14.3 — integrated gradients, by the midpoint rule.

    grad_f(z) returns ∇f(z) (an array shaped like z) for a model's score f. Return

        A = (x − x′) ⊙ (1/m) Σ_{k=1}^{m} ∇f(x′ + α_k (x − x′)),   α_k = (k − ½)/m,

    with x′ = ``baseline`` and m = ``steps``: the path integral of the gradient from x′ to x,
    each point at the middle of its sub-interval. An array of x's shape.
    """
    raise NotImplementedError
