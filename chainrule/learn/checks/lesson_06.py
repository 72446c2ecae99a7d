"""Hidden checks of lesson 6: several steps of the learner's update against chainrule's own
optimizers (torch.optim's algorithms) fed the same gradients."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng


def _cr():
    import chainrule as cr

    return cr


def _reference_path(make, theta0, grads):
    """θ after each step of a chainrule optimizer given the gradients ``grads``."""
    cr = _cr()
    p = cr.nn.Parameter(cr.tensor(np.array(theta0, dtype=np.float64)))
    opt = make([p])
    out = []
    for g in grads:
        p.grad = cr.tensor(np.array(g, dtype=np.float64))
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def _tuple(case, received, n, names):
    if not isinstance(received, (tuple, list)) or len(received) != n:
        raise Failure(case, f"expected a tuple ({', '.join(names)})",
                      hint=f"return {', '.join(names)}")
    return received


def _cases(g, seed_shapes):
    out = []
    for shape, steps in seed_shapes:
        theta0 = g.normal(size=shape)
        grads = [g.normal(size=shape) for _ in range(steps)]
        out.append((shape, theta0, grads))
    return out


def check_momentum_step(f) -> None:
    cr = _cr()
    g = rng(601)
    hint = ("v ← μ v + g, then θ ← θ − η v: the velocity remembers past gradients (each step it "
            "keeps a fraction μ of itself and adds the new gradient), and θ moves against it")
    lr, mu = 0.1, 0.9
    for shape, theta0, grads in _cases(g, [((3,), 1), ((4,), 6), ((2, 3), 5)]):
        expected = _reference_path(lambda p: cr.optim.SGD(p, lr=lr, momentum=mu), theta0, grads)
        theta, v = theta0.copy(), np.zeros(shape)
        for k, (grad, exp) in enumerate(zip(grads, expected), start=1):
            case = f"θ of shape {shape}, η = {lr}, μ = {mu}, step {k} of {len(grads)}"
            theta, v = _tuple(case, call(case, hint, f, theta, grad, v, lr, mu), 2, ("θ", "v"))
            compare(case, exp, theta, hint=hint, what="θ",
                    mistakes=[(theta0 + lr * grads[0], "θ moved WITH the gradient: a sign "
                               "error")] if k == 1 else ())
            theta, v = np.asarray(theta, dtype=np.float64), np.asarray(v, dtype=np.float64)


def check_rmsprop_step(f) -> None:
    cr = _cr()
    g = rng(602)
    hint = ("s is an exponential moving average of g², entry by entry: keep a fraction α of s "
            "and add (1 − α) g²; each entry of θ then moves by η g / (√s + ε) — ε is added after "
            "the square root, as torch.optim.RMSprop does")
    lr, alpha, eps = 0.01, 0.9, 1e-8
    for shape, theta0, grads in _cases(g, [((3,), 1), ((5,), 6), ((2, 2), 4)]):
        expected = _reference_path(
            lambda p: cr.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps), theta0, grads)
        theta, s = theta0.copy(), np.zeros(shape)
        for k, (grad, exp) in enumerate(zip(grads, expected), start=1):
            case = f"θ of shape {shape}, η = {lr}, α = {alpha}, step {k} of {len(grads)}"
            theta, s = _tuple(case, call(case, hint, f, theta, grad, s, lr, alpha, eps), 2,
                              ("θ", "s"))
            compare(case, exp, theta, hint=hint, what="θ", rtol=1e-7)
            theta, s = np.asarray(theta, dtype=np.float64), np.asarray(s, dtype=np.float64)
    case = "a zero gradient from the start (s = 0): θ must not move, and nothing is nan"
    theta0 = g.normal(size=3)
    theta, _ = _tuple(case, call(case, hint, f, theta0, np.zeros(3), np.zeros(3), 0.01, 0.9,
                                 1e-8), 2, ("θ", "s"))
    compare(case, theta0, theta, hint=hint + "; with ε added after the root, g/(√s + ε) = 0",
            what="θ")


def check_adam_step(f) -> None:
    cr = _cr()
    g = rng(603)
    hint = ("m and v start at 0, so early on they are biased towards 0: after t steps the "
            "weights of the moving average add up to 1 − βᵗ, and dividing by that corrects it "
            "(m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)); t counts from 1; ε goes after the square root")
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for shape, theta0, grads in _cases(g, [((3,), 1), ((4,), 8), ((2, 3), 5)]):
        expected = _reference_path(
            lambda p: cr.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps), theta0, grads)
        theta, m, v = theta0.copy(), np.zeros(shape), np.zeros(shape)
        for t, (grad, exp) in enumerate(zip(grads, expected), start=1):
            case = f"θ of shape {shape}, η = {lr}, β = ({b1}, {b2}), step t = {t} of {len(grads)}"
            theta, m, v = _tuple(case, call(case, hint, f, theta, grad, m, v, t, lr, b1, b2, eps),
                                 3, ("θ", "m", "v"))
            mistakes = []
            if t == 1:
                m1, v1 = (1 - b1) * grad, (1 - b2) * grad**2
                mistakes.append((theta0 - lr * m1 / (np.sqrt(v1) + eps),
                                 "it is the step without bias correction"))
            compare(case, exp, theta, hint=hint, what="θ", rtol=1e-7, mistakes=mistakes)
            theta, m, v = (np.asarray(a, dtype=np.float64) for a in (theta, m, v))


EXERCISES = (
    Exercise("6.1", "momentum_step", "gradient descent with momentum", check_momentum_step),
    Exercise("6.2", "rmsprop_step", "one step of RMSProp", check_rmsprop_step),
    Exercise("6.3", "adam_step", "one step of Adam, with bias correction", check_adam_step),
)
