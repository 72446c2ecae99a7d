"""Hidden checks of lesson 7: dropout against its definition (chainrule's draws its own mask),
batch normalization against chainrule's functional form and its autograd."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def check_dropout(f) -> None:
    cr, F = _cr()
    g = rng(701)
    hint = ("dropped units (mask 0) give 0; the kept ones are divided by the probability 1 − p of "
            "being kept, so that the expectation E[y] = (1 − p)·x/(1 − p) = x; p = 1 keeps "
            "nothing and must give zeros")
    # chainrule's dropout, seen through a mask it drew: y/x recovers m/(1 − p)
    x = g.uniform(0.5, 2.0, size=(4, 5))
    cr.manual_seed(701)
    y = F.dropout(cr.tensor(x), p=0.3, training=True).numpy()
    mask = (y != 0).astype(np.float64)
    case = "x of shape 4×5, p = 0.3, the mask chainrule's F.dropout drew"
    compare(case, y, call(case, hint, f, x, mask, 0.3), hint=hint, what="y",
            mistakes=[(mask * x, "it is m ⊙ x: the survivors are not rescaled"),
                      (mask * x / 0.3, "it is m ⊙ x / p: divide by the probability of being "
                       "KEPT")])
    for case, p in (("p = 0 (nothing dropped: y = x)", 0.0), ("p = 0.5", 0.5),
                    ("p = 0.9", 0.9)):
        x = g.normal(size=6)
        mask = (g.uniform(size=6) >= p).astype(np.float64)
        compare(case, mask * x / (1 - p), call(case, hint, f, x, mask, p), hint=hint,
                what="y")
    case = "p = 1 (everything dropped: zeros, not nan)"
    with np.errstate(all="ignore"):
        received = call(case, hint, f, g.normal(size=4), np.zeros(4), 1.0)
    compare(case, np.zeros(4), received, hint=hint, what="y")


def check_batchnorm_forward(f) -> None:
    cr, F = _cr()
    g = rng(702)
    hint = ("normalize each COLUMN (feature) with the mean and variance over the N samples of "
            "the batch (axis 0); the variance here is the biased one, the mean of (x − μ)², as "
            "in training mode; then scale by γ and shift by β, feature by feature")
    for N, D in ((8, 3), (4, 5), (2, 2), (16, 1)):
        X = g.normal(loc=3.0, scale=2.0, size=(N, D))
        gamma, beta = g.normal(size=D), g.normal(size=D)
        case = f"X of shape {N}×{D}"
        expected = F.batch_norm(cr.tensor(X), None, None, cr.tensor(gamma), cr.tensor(beta),
                                training=True).numpy()
        unbiased = gamma * (X - X.mean(0)) / np.sqrt(X.var(0, ddof=1) + 1e-5) + beta
        compare(case, expected, call(case, hint, f, X, gamma, beta, 1e-5), hint=hint, what="Y",
                rtol=1e-6, mistakes=[(unbiased, "it uses the unbiased variance (divided by "
                                      "N − 1); batch normalization divides by N")])
    case = "a constant feature (σ² = 0): ε keeps it finite"
    X = np.ones((4, 2))
    compare(case, np.tile([0.5, -1.0], (4, 1)),
            call(case, hint, f, X, np.ones(2), np.array([0.5, -1.0]), 1e-5), hint=hint,
            what="Y")


def check_batchnorm_backward(f) -> None:
    cr, F = _cr()
    g = rng(703)
    hints = {
        "∂L/∂X": "μ and σ² are functions of every sample of the column: by the chain rule, "
                 "∂L/∂x collects three paths — through x̂ directly, through μ and through σ². "
                 "Write x̂ = (x − μ)/σ̃ with σ̃ = √(σ² + ε), differentiate, and express the "
                 "result with means over the batch of G and of G ⊙ x̂",
        "∂L/∂γ": "y = γ ⊙ x̂ + β: each γ_d multiplies x̂ in every sample of column d",
        "∂L/∂β": "β_d is added to every sample of column d: a sum over the batch",
    }
    for N, D in ((6, 3), (4, 2), (10, 4)):
        X = g.normal(loc=1.0, scale=2.0, size=(N, D))
        gamma, beta, G = g.normal(size=D), g.normal(size=D), g.normal(size=(N, D))
        case = f"X of shape {N}×{D}"
        tX, tg, tb = (cr.tensor(a, requires_grad=True) for a in (X, gamma, beta))
        Y = F.batch_norm(tX, None, None, tg, tb, training=True)
        (Y * cr.tensor(G)).sum().backward()
        received = call(case, hints["∂L/∂X"], f, X, gamma, G, 1e-5)
        if not isinstance(received, (tuple, list)) or len(received) != 3:
            raise Failure(case, "expected a tuple (∂L/∂X, ∂L/∂γ, ∂L/∂β)",
                          hint="return dX, dgamma, dbeta")
        naive = gamma * G / np.sqrt(X.var(0) + 1e-5)
        for what, exp, got in zip(("∂L/∂X", "∂L/∂γ", "∂L/∂β"),
                                  (tX.grad, tg.grad, tb.grad), received):
            compare(case, exp.numpy(), got, hint=hints[what], what=what, rtol=1e-6,
                    atol=1e-9, transposable=False,
                    mistakes=[(naive, "it is γ G/σ̃: μ and σ² were treated as constants")]
                    if what == "∂L/∂X" else ())


EXERCISES = (
    Exercise("7.1", "dropout", "inverted dropout", check_dropout),
    Exercise("7.2", "batchnorm_forward", "batch normalization, forward", check_batchnorm_forward),
    Exercise("7.3", "batchnorm_backward", "batch normalization, backward",
             check_batchnorm_backward),
)
