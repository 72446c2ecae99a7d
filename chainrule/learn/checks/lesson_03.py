"""Hidden checks of lesson 3: the expected gradients come from chainrule's autograd on its own
layers (nn.Linear's functional form, the sigmoid, MSELoss)."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def _triple(case, received, names):
    if not isinstance(received, (tuple, list)) or len(received) != len(names):
        raise Failure(case, f"expected a tuple ({', '.join(names)})",
                      hint=f"return {', '.join(names)} in this order")
    return received


def check_linear_backward(f) -> None:
    cr, F = _cr()
    g = rng(301)
    hints = {
        "∂L/∂W": "zᵢ = Σⱼ Wᵢⱼ xⱼ + bᵢ, so ∂zᵢ/∂Wᵢⱼ = xⱼ: ∂L/∂Wᵢⱼ = δᵢ xⱼ — the outer product "
                 "of a vector of ℝ^m and one of ℝ^n, with W's shape m×n",
        "∂L/∂b": "∂zᵢ/∂bᵢ = 1: each bᵢ reaches L only through zᵢ",
        "∂L/∂x": "xⱼ reaches L through every zᵢ: ∂L/∂xⱼ = Σᵢ δᵢ Wᵢⱼ — a sum over the rows of W, "
                 "which is a product with a transposed matrix",
    }
    for m, n in ((2, 2), (3, 2), (1, 4), (4, 3)):
        x, W, b, delta = g.normal(size=n), g.normal(size=(m, n)), g.normal(size=m), \
            g.normal(size=m)
        case = f"W of shape {m}×{n}, x of shape ({n},)"
        tx, tW, tb = (cr.tensor(a, requires_grad=True) for a in (x, W, b))
        (F.linear(tx, tW, tb) * cr.tensor(delta)).sum().backward()
        received = _triple(case, call(case, hints["∂L/∂W"], f, x, W, delta),
                           ("∂L/∂W", "∂L/∂b", "∂L/∂x"))
        mistakes = {"∂L/∂W": [(np.outer(x, delta), "it is x δᵀ, the transpose")],
                    "∂L/∂x": [(W @ delta if m == n else np.nan, "it is W δ: W must be "
                               "transposed")]}
        for what, exp, got in zip(("∂L/∂W", "∂L/∂b", "∂L/∂x"),
                                  (tW.grad, tb.grad, tx.grad), received):
            compare(case, exp.numpy(), got, hint=hints[what], what=what,
                    mistakes=mistakes.get(what, ()))


def check_hidden_delta(f) -> None:
    cr, F = _cr()
    g = rng(302)
    hint = ("two links of the chain: z₁ → h = σ(z₁) → z₂ = W₂ h + b₂. First ∂L/∂h: hⱼ feeds every "
            "z₂ᵢ with weight (W₂)ᵢⱼ, a sum over i (a transposed product); then through σ, "
            "entry by entry: σ′(z₁) = σ(z₁)(1 − σ(z₁)), and h = σ(z₁)")
    for k, m in ((2, 2), (3, 1), (2, 4), (5, 3)):
        z1, W2, b2, delta2 = g.normal(size=k), g.normal(size=(m, k)), g.normal(size=m), \
            g.normal(size=m)
        case = f"h of shape ({k},), W₂ of shape {m}×{k}"
        tz = cr.tensor(z1, requires_grad=True)
        h = cr.sigmoid(tz)
        (F.linear(h, cr.tensor(W2), cr.tensor(b2)) * cr.tensor(delta2)).sum().backward()
        hv = h.detach().numpy()
        received = call(case, hint, f, W2, delta2, hv)
        mistakes = [(W2.T @ delta2, "it is ∂L/∂h = W₂ᵀ δ₂: the sigmoid's derivative is missing"),
                    ((W2.T @ delta2) * hv, "it is (W₂ᵀ δ₂) ⊙ h: σ′(z₁) is not σ(z₁)"),
                    ((W2.T @ delta2) * (1 - hv), "it is (W₂ᵀ δ₂) ⊙ (1 − h): σ′(z₁) is not "
                     "1 − σ(z₁)")]
        compare(case, tz.grad.numpy(), received, hint=hint, what="δ₁", mistakes=mistakes)


def _network(cr, W1, b1, W2, b2):
    model = cr.nn.Sequential(cr.nn.Linear(2, 2), cr.nn.Sigmoid(), cr.nn.Linear(2, 1))
    model.double()
    with cr.no_grad():
        for p, v in zip(model.parameters(), (W1, b1, W2, b2)):
            p.copy_(cr.tensor(v))
    return model


def check_backprop_221(f) -> None:
    cr, _ = _cr()
    g = rng(303)
    hints = {
        "W2": "ŷ = W₂ h + b₂ and δ₂ = ∂L/∂ŷ = 2(ŷ − y) (the derivative of (ŷ − y)²): ∂L/∂W₂ "
              "is δ₂ times hᵀ",
        "b2": "∂L/∂b₂ = δ₂ = ∂L/∂ŷ; L = (ŷ − y)², no ½ in front",
        "W1": "δ₁ = (W₂ᵀ δ₂) ⊙ h ⊙ (1 − h) is ∂L/∂z₁; then ∂L/∂W₁ is δ₁ times xᵀ",
        "b1": "∂L/∂b₁ = δ₁ = (W₂ᵀ δ₂) ⊙ σ′(z₁), with σ′(z₁) = h ⊙ (1 − h)",
    }
    cases = [("the lesson's numbers", np.array([0.5, -1.0]), np.array([1.0]),
              np.array([[0.1, -0.2], [0.4, 0.3]]), np.array([0.0, 0.1]),
              np.array([[0.5, -0.6]]), np.array([0.2]))]
    for i in range(3):
        cases.append((f"random network {i + 1}", g.normal(size=2), g.normal(size=1),
                      g.normal(size=(2, 2)), g.normal(size=2), g.normal(size=(1, 2)),
                      g.normal(size=1)))
    for case, x, y, W1, b1, W2, b2 in cases:
        model = _network(cr, W1, b1, W2, b2)
        loss = cr.nn.MSELoss()(model(cr.tensor(x[None, :])), cr.tensor(y[None, :]))
        loss.backward()
        expected = dict(zip(("W1", "b1", "W2", "b2"),
                            (p.grad.numpy() for p in model.parameters())))
        received = call(case, hints["W1"], f, x, y, W1, b1, W2, b2)
        if not isinstance(received, dict) or set(received) != set(expected):
            raise Failure(case, "expected a dict with the keys 'W1', 'b1', 'W2', 'b2'",
                          hint="return {'W1': …, 'b1': …, 'W2': …, 'b2': …}")
        for key in ("W2", "b2", "W1", "b1"):              # in the order backprop finds them
            compare(case, expected[key], received[key], hint=hints[key],
                    what=f"∂L/∂{key[0]}{'₁' if key[1] == '1' else '₂'}")


def check_batch_linear_backward(f) -> None:
    cr, F = _cr()
    g = rng(304)
    hints = {
        "∂L/∂X": "Yₙᵢ = Σⱼ Xₙⱼ Wᵢⱼ + bᵢ: ∂L/∂Xₙⱼ = Σᵢ Gₙᵢ Wᵢⱼ",
        "∂L/∂W": "∂L/∂Wᵢⱼ = Σₙ Gₙᵢ Xₙⱼ — each sample's δₙ xₙᵀ, summed over the batch; the result "
                 "has W's shape m×n",
        "∂L/∂b": "b is added to every row: ∂L/∂bᵢ = Σₙ Gₙᵢ, a sum (not a mean) over the samples",
    }
    for N, n, m in ((3, 2, 2), (4, 3, 2), (1, 2, 3), (5, 4, 1)):
        X, W, b, G = g.normal(size=(N, n)), g.normal(size=(m, n)), g.normal(size=m), \
            g.normal(size=(N, m))
        case = f"X of shape {N}×{n}, W of shape {m}×{n}"
        tX, tW, tb = (cr.tensor(a, requires_grad=True) for a in (X, W, b))
        (F.linear(tX, tW, tb) * cr.tensor(G)).sum().backward()
        received = _triple(case, call(case, hints["∂L/∂W"], f, X, W, G),
                           ("∂L/∂X", "∂L/∂W", "∂L/∂b"))
        mistakes = {"∂L/∂b": [(G.mean(axis=0) if N > 1 else np.nan,
                               "it is the mean of the rows of G, N times too small")],
                    "∂L/∂W": [(X.T @ G, "it is Xᵀ G, the transpose")]}
        for what, exp, got in zip(("∂L/∂X", "∂L/∂W", "∂L/∂b"),
                                  (tX.grad, tW.grad, tb.grad), received):
            compare(case, exp.numpy(), got, hint=hints[what], what=what,
                    mistakes=mistakes.get(what, ()))


EXERCISES = (
    Exercise("3.1", "linear_backward", "backward of z = W x + b (one sample)",
             check_linear_backward),
    Exercise("3.2", "hidden_delta", "the δ of a hidden layer", check_hidden_delta),
    Exercise("3.3", "backprop_221", "every gradient of a 2-2-1 network", check_backprop_221),
    Exercise("3.4", "batch_linear_backward", "backward of nn.Linear on a batch",
             check_batch_linear_backward),
)
