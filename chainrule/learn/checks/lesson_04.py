"""Hidden checks of lesson 4: the expected derivatives come from chainrule's autograd on its
own activations."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng, show


def _cr():
    import chainrule as cr

    return cr


def _grad_of(fn, x):
    cr = _cr()
    t = cr.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


def check_relu_derivative(f) -> None:
    cr = _cr()
    g = rng(401)
    hint = ("ReLU(x) = x for x > 0 (slope 1) and 0 for x < 0 (slope 0); at the kink x = 0 the "
            "convention is ReLU′(0) = 0, the value autograd uses")
    cases = [("random x of shape (6,)", g.normal(size=6)),
             ("random x of shape 3×4", g.normal(size=(3, 4))),
             ("x with exact zeros (the kink): [−2, 0, 0, 3]", np.array([-2.0, 0.0, 0.0, 3.0])),
             ("x = [−0.0, 1e−300, −1e−300]", np.array([-0.0, 1e-300, -1e-300]))]
    for case, x in cases:
        compare(case, _grad_of(cr.relu, x), call(case, hint, f, x), hint=hint,
                what="ReLU′(x)", rtol=0, atol=0)


def check_tanh_derivative(f) -> None:
    cr = _cr()
    g = rng(402)
    hint = ("write tanh′ in terms of tanh itself (differentiate tanh = sinh/cosh with the quotient "
            "rule and use cosh² − sinh² = 1); tanh saturates at ±1, so a formula through tanh "
            "stays finite where one through eˣ or cosh overflows")
    cases = [("x = 0 (tanh′(0) = 1)", np.array([0.0])),
             ("random x of shape (7,)", g.normal(scale=2.0, size=7)),
             ("random x of shape 2×3", g.normal(size=(2, 3))),
             ("large |x|: x = [−1000, −20, 20, 1000]", np.array([-1000.0, -20.0, 20.0, 1000.0]))]
    for case, x in cases:
        with np.errstate(all="ignore"):
            received = call(case, hint, f, x)
        compare(case, _grad_of(cr.tanh, x), received, hint=hint, what="tanh′(x)",
                rtol=1e-9, atol=1e-15)


def check_chain_gradient(f) -> None:
    cr = _cr()
    g = rng(403)
    hint = ("one link per unit: ∂a_k/∂a_{k−1} = σ′(z_k) · w_k with z_k = w_k a_{k−1}, and "
            "σ′(z) = σ(z)(1 − σ(z)); the chain rule multiplies the links. Compute the a_k "
            "forwards first: each σ′(z_k) needs its own z_k")
    cases = [("one unit, w = [2], a₀ = 0.5", [2.0], 0.5),
             ("three units", list(g.normal(size=3)), float(g.normal()))]
    for depth in (10, 30):
        cases.append((f"{depth} units (the product of many σ′ ≤ ¼ vanishes)",
                      list(g.normal(scale=2.0, size=depth)), float(g.normal())))
    for case, weights, a0 in cases:
        a = cr.tensor(np.float64(a0), requires_grad=True)
        out = a
        for w in weights:
            out = cr.sigmoid(w * out)
        out.backward()
        expected = float(a.grad.numpy())
        received = call(case, hint, f, list(weights), a0)
        try:
            value = float(np.asarray(received, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise Failure(case, f"expected one number, got {show(received)}",
                          hint="return a float") from None
        compare(case, expected, value, hint=hint, what="∂a_K/∂a₀", rtol=1e-8, atol=1e-300)


EXERCISES = (
    Exercise("4.1", "relu_derivative", "the derivative of ReLU, and its kink",
             check_relu_derivative),
    Exercise("4.2", "tanh_derivative", "the derivative of tanh", check_tanh_derivative),
    Exercise("4.3", "chain_gradient", "a gradient through a deep chain of sigmoids",
             check_chain_gradient),
)
