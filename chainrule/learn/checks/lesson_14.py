"""Hidden checks of lesson 14: chainrule.adversarial.fgsm, chainrule.calibration's expected
calibration error and chainrule.interpret's integrated gradients (midpoint rule)."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, as_array, call, compare, rng


def _cr():
    import chainrule as cr

    return cr


def _model(seed, n_in, n_out):
    cr = _cr()
    cr.manual_seed(seed)
    return cr.nn.Sequential(cr.nn.Linear(n_in, 8), cr.nn.Tanh(), cr.nn.Linear(8, n_out)).double()


def check_fgsm(f) -> None:
    cr = _cr()
    from ...adversarial import fgsm as reference
    g = rng(1401)
    hint = ("compute the loss L = cross_entropy(model(x), y) on a tensor x that requires grad, "
            "call backward, then step every input by ε in the direction of the SIGN of its "
            "gradient (uphill: the attack increases the loss) and clip back into [0, 1]")
    cases = [("a batch of 4 inputs of 6 features, ε = 0.1", 4, 6, 3, 0.1),
             ("ε = 0.3: many values leave [0, 1] and must be clipped", 5, 4, 2, 0.3),
             ("ε = 0: nothing moves", 3, 5, 3, 0.0)]
    for case, N, D, K, eps in cases:
        model = _model(int(g.integers(1000)), D, K)
        x = g.uniform(0, 1, size=(N, D))
        y = g.integers(0, K, size=N)
        expected = reference(model, cr.tensor(x), cr.tensor(y), eps).numpy()
        received = as_array(case, call(case, hint, f, model, x.copy(), y.copy(), eps), "x′")
        downhill = reference(model, cr.tensor(x), cr.tensor(y), eps, targeted=True).numpy()
        compare(case, expected, received, hint=hint, what="x′", transposable=False,
                mistakes=[(downhill, "the step goes DOWN the loss: a sign error")]
                if eps > 0 else ())


def check_ece(f) -> None:
    cr = _cr()
    from ...calibration import expected_calibration_error as reference
    g = rng(1402)
    hint = ("for each sample take the confidence max_k p_k and whether argmax_k p_k is the "
            "label; bin the confidences into ((b − 1)/B, b/B] — right edge included, so a "
            "confidence of exactly 0.5 with 10 bins goes to (0.4, 0.5] — then add, bin by bin, "
            "the fraction of samples in it times |accuracy − mean confidence|")

    def probs_from(logits):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    cases = []
    for N, K, scale in ((50, 3, 1.0), (200, 10, 3.0), (20, 2, 0.5)):
        cases.append((f"{N} samples, {K} classes", probs_from(g.normal(scale=scale,
                                                                          size=(N, K))),
                      g.integers(0, K, size=N), 15))
    # 4 bins: the edges 0.5 and 0.75 are exact in binary, and samples share bins differently
    # under ((b − 1)/B, b/B] than under [(b − 1)/B, b/B)
    edges = np.array([[0.5, 0.5], [0.625, 0.375], [0.25, 0.75], [0.875, 0.125]])
    cases.append(("confidences on bin edges: 0.5, 0.625, 0.75, 0.875 with 4 bins", edges,
                  np.array([0, 1, 1, 1]), 4))
    for case, probs, labels, n_bins in cases:
        expected = float(reference(cr.tensor(probs), cr.tensor(labels), n_bins=n_bins))
        received = call(case, hint, f, probs, labels, n_bins)
        try:
            value = float(np.asarray(received, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise Failure(case, "expected one number", hint="return a float") from None
        compare(case, expected, value, hint=hint, what="ECE", rtol=1e-9, atol=1e-12)


def check_integrated_gradients(f) -> None:
    cr = _cr()
    from ...interpret import integrated_gradients as reference
    g = rng(1403)
    hint = ("sample the gradient at the points x′ + α_k (x − x′) with α_k = (k − ½)/m, "
            "k = 1 … m (the middle of each of m equal steps), average those gradients, and "
            "multiply entry by entry by x − x′")
    for D, K, steps, base in ((5, 3, 8, 0.0), (6, 2, 20, "random"), (4, 4, 2, 0.0)):
        model = _model(int(g.integers(1000)), D, K)
        target = int(g.integers(K))
        x = g.uniform(0, 1, size=D)
        baseline = g.uniform(0, 1, size=D) if base == "random" else np.zeros(D)
        case = (f"a model on {D} features, class {target}, {steps} steps"
                + (", a random baseline" if base == "random" else ", baseline 0"))

        def grad_f(z, model=model, target=target):
            t = cr.tensor(np.array(z, dtype=np.float64)[None], requires_grad=True)
            model(t)[0, target].backward()
            return t.grad.numpy()[0]

        expected = reference(model, cr.tensor(x[None]), target,
                             baseline=cr.tensor(baseline[None]), steps=steps,
                             method="riemann_middle").numpy()[0]
        received = call(case, hint, f, grad_f, x.copy(), baseline.copy(), steps)
        left = sum(grad_f(baseline + a * (x - baseline)) for a in np.arange(steps) / steps)
        compare(case, expected, received, hint=hint, what="A", rtol=1e-8, atol=1e-12,
                transposable=False,
                mistakes=[((x - baseline) * left / steps, "it uses the left end of each step "
                           "(α = (k − 1)/m), not the middle")])


EXERCISES = (
    Exercise("14.1", "fgsm", "an adversarial example by the fast gradient sign method",
             check_fgsm),
    Exercise("14.2", "ece", "expected calibration error", check_ece),
    Exercise("14.3", "integrated_gradients", "integrated gradients", check_integrated_gradients),
)
