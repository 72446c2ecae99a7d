"""Hidden checks of lesson 5: expected values from chainrule's softmax, cross-entropy loss (and
its autograd) and its distributions' closed-form KL divergence."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import call, compare, rng


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def _labels(g, N, K):
    return g.integers(0, K, size=N)


def check_softmax(f) -> None:
    cr, F = _cr()
    g = rng(501)
    hint = ("softmax(z)ₖ = e^{zₖ} / Σⱼ e^{zⱼ}, the sum over the last axis only (each row of a "
            "batch is one distribution: it sums to 1); subtracting the same number from every "
            "zⱼ of a row does not change the result, and choosing the row's maximum keeps every "
            "exponent ≤ 0")
    cases = [("a vector of 5 logits", g.normal(size=5)),
             ("a batch of 4 rows, 3 classes (each row separately)", g.normal(size=(4, 3))),
             ("ties: equal logits [2, 2, 2, 2] (the uniform distribution)", np.full(4, 2.0)),
             ("large logits: [[1000, 0, −1000], [1000, 1000, 999]]",
              np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]]))]
    for case, z in cases:
        expected = F.softmax(cr.tensor(z), dim=-1).numpy()
        with np.errstate(all="ignore"):
            received = call(case, hint, f, z)
        mistakes = []
        if z.ndim == 2:
            mistakes.append((F.softmax(cr.tensor(z), dim=0).numpy(),
                             "it is the softmax of each column, not of each row"))
        compare(case, expected, received, hint=hint, what="softmax(z)", rtol=1e-9,
                atol=1e-300, mistakes=mistakes)


def check_cross_entropy(f) -> None:
    cr, F = _cr()
    g = rng(502)
    hint = ("the likelihood of the data is Πₙ softmax(zₙ)_{yₙ}; L is minus the mean of its "
            "logarithms. Compute log softmax directly: log softmax(z)ₖ = zₖ − log Σⱼ e^{zⱼ}, with "
            "the maximum taken out of the sum (log Σⱼ e^{zⱼ} = m + log Σⱼ e^{zⱼ − m})")
    cases = [("4 samples, 3 classes", g.normal(size=(4, 3)), _labels(g, 4, 3)),
             ("1 sample, 5 classes", g.normal(size=(1, 5)), np.array([2])),
             ("8 samples, 10 classes", g.normal(scale=3.0, size=(8, 10)), _labels(g, 8, 10)),
             ("large logits, confidently wrong: z = [[1000, 0]], y = [1] (L = 1000)",
              np.array([[1000.0, 0.0]]), np.array([1]))]
    for case, Z, y in cases:
        expected = F.cross_entropy(cr.tensor(Z), cr.tensor(y)).item()
        with np.errstate(all="ignore"):
            received = call(case, hint, f, Z, y)
        N = Z.shape[0]
        compare(case, expected, received, hint=hint, what="L", rtol=1e-9, atol=1e-12,
                mistakes=[(expected * N if N > 1 else np.nan,
                           "it is N times too large: the sum, not the mean, over samples"),
                          (-expected, "its sign is wrong: L is MINUS the mean log-likelihood")])


def check_cross_entropy_grad(f) -> None:
    cr, F = _cr()
    g = rng(503)
    hint = ("L depends on zₙ through log softmax(zₙ)_{yₙ} = z_{n,yₙ} − log Σⱼ e^{zₙⱼ}; "
            "differentiate that with respect to each z_{nk} (the derivative of log Σⱼ e^{zⱼ} "
            "is softmax), and remember the 1/N of the mean")
    cases = [("4 samples, 3 classes", g.normal(size=(4, 3)), _labels(g, 4, 3)),
             ("1 sample, 4 classes", g.normal(size=(1, 4)), np.array([0])),
             ("6 samples, 5 classes", g.normal(scale=2.0, size=(6, 5)), _labels(g, 6, 5)),
             ("large logits: z = [[1000, 0, −1000]], y = [1]",
              np.array([[1000.0, 0.0, -1000.0]]), np.array([1]))]
    for case, Z, y in cases:
        t = cr.tensor(Z, requires_grad=True)
        F.cross_entropy(t, cr.tensor(y)).backward()
        expected = t.grad.numpy()
        with np.errstate(all="ignore"):
            received = call(case, hint, f, Z, y)
        N = Z.shape[0]
        compare(case, expected, received, hint=hint, what="∂L/∂Z", rtol=1e-9, atol=1e-15,
                mistakes=[(expected * N if N > 1 else np.nan,
                           "it is N times too large: the 1/N of the mean is missing")])


def check_kl_normal(f) -> None:
    cr, _ = _cr()
    D = cr.distributions
    g = rng(504)
    hint = ("log p(x) − log q(x) = log(σ₂/σ₁) − (x − μ₁)²/(2σ₁²) + (x − μ₂)²/(2σ₂²); take its "
            "expectation under p, where E_p[(x − μ₁)²] = σ₁² and E_p[(x − μ₂)²] = "
            "σ₁² + (μ₁ − μ₂)². Note that KL is not symmetric: KL(p ‖ q) ≠ KL(q ‖ p)")

    def expected_kl(m1, s1, m2, s2):
        p = D.Normal(cr.tensor(np.asarray(m1, float)), cr.tensor(np.asarray(s1, float)))
        q = D.Normal(cr.tensor(np.asarray(m2, float)), cr.tensor(np.asarray(s2, float)))
        return D.kl_divergence(p, q).numpy()

    cases = [("p = q = N(0, 1) (KL = 0)", 0.0, 1.0, 0.0, 1.0),
             ("p = N(1, 1), q = N(0, 1) (equal widths)", 1.0, 1.0, 0.0, 1.0),
             ("p = N(0, 1), q = N(0, 2²) (equal means)", 0.0, 1.0, 0.0, 2.0),
             ("arrays of shape (5,)", g.normal(size=5), g.uniform(0.3, 3, size=5),
              g.normal(size=5), g.uniform(0.3, 3, size=5))]
    for case, m1, s1, m2, s2 in cases:
        expected = expected_kl(m1, s1, m2, s2)
        received = call(case, hint, f, m1, s1, m2, s2)
        compare(case, expected, received, hint=hint, what="KL(p ‖ q)", rtol=1e-9, atol=1e-12,
                mistakes=[(expected_kl(m2, s2, m1, s1),
                           "it is KL(q ‖ p): the arguments are the other way round")])


EXERCISES = (
    Exercise("5.1", "softmax", "softmax, stable for large logits", check_softmax),
    Exercise("5.2", "cross_entropy", "cross-entropy as mean negative log-likelihood",
             check_cross_entropy),
    Exercise("5.3", "cross_entropy_grad", "the gradient of cross-entropy",
             check_cross_entropy_grad),
    Exercise("5.4", "kl_normal", "KL divergence of two normal distributions", check_kl_normal),
)
