"""Hidden checks of lesson 2: the expected derivatives come from chainrule's autograd."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, as_array, call, compare, rng


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def _autograd(fn, *arrays):
    """The gradients of the number fn(*tensors) with respect to each array (float64)."""
    cr, _ = _cr()
    ts = [cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts).backward()
    return [t.grad.numpy() for t in ts]


# functions f: ℝ^n → ℝ in two spellings: NumPy (given to the learner) and chainrule (autograd)
def _cubic(lib):
    return lambda x: (x**3).sum() - 2.0 * (x * x).sum()


def _wave(lib):
    return lambda x: (lib.sin(3.0 * x) * lib.exp(0.5 * x)).sum()


def _quadratic_form(lib, A):
    return lambda x: (x.reshape(-1) * (A @ x.reshape(-1))).sum()


def check_central_difference(f) -> None:
    cr, _ = _cr()
    g = rng(201)
    hint = ("change ONE coordinate at a time: ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / (2h); the "
            "symmetric difference cancels the h² term of the Taylor series, so its error is "
            "O(h²) where the one-sided (f(x + h eᵢ) − f(x))/h has error O(h)")
    A = g.normal(size=(6, 6))
    cases = [("f(x) = Σ xᵢ³ − 2 Σ xᵢ², x ∈ ℝ⁴", _cubic, (4,)),
             ("f(x) = Σ sin(3xᵢ) e^{xᵢ/2}, x ∈ ℝ⁵", _wave, (5,)),
             ("f(x) = Σ sin(3xᵢⱼ) e^{xᵢⱼ/2}, x a 2×3 matrix (the gradient has x's shape)",
              _wave, (2, 3)),
             ("f(x) = xᵀ A x, x ∈ ℝ⁶", lambda lib: _quadratic_form(lib, A), (6,))]
    for case, make, shape in cases:
        x = g.uniform(-1.5, 1.5, size=shape)
        expected = _autograd(make(cr), x)[0]
        np_f = make(np)

        def numpy_f(z, np_f=np_f):
            return float(np_f(np.asarray(z, dtype=np.float64)))

        received = call(case, hint, f, numpy_f, x.copy())
        compare(case, expected, received, hint=hint, what="∇f(x)", rtol=1e-6, atol=1e-7)


def check_sigmoid_derivative(f) -> None:
    cr, _ = _cr()
    g = rng(202)
    hint = ("differentiate σ(x) = (1 + e^{−x})^{−1} with the chain rule and write the result "
            "in terms of σ(x) itself")
    cases = [("x = 0 (σ′(0) = ¼)", np.array([0.0])),
             ("random x of shape (7,)", g.normal(scale=2.0, size=7)),
             ("random x of shape 3×4 (answer entry by entry)", g.normal(scale=3.0, size=(3, 4))),
             ("large |x|: x = [−1000, −40, 40, 1000] (σ′ is tiny but finite, never nan)",
              np.array([-1000.0, -40.0, 40.0, 1000.0]))]
    for case, x in cases:
        expected = _autograd(lambda t: cr.sigmoid(t).sum(), x)[0]
        with np.errstate(all="ignore"):
            received = call(case, hint, f, x)
        compare(case, expected, received, hint=hint, what="σ′(x)", rtol=1e-7, atol=1e-12)


def check_tanh_layer_jacobian(f) -> None:
    cr, _ = _cr()
    g = rng(203)
    hint = ("write y = tanh(z), z = W x; by the chain rule ∂yᵢ/∂xⱼ = tanh′(zᵢ) · ∂zᵢ/∂xⱼ, with "
            "tanh′(z) = 1 − tanh²(z) and ∂zᵢ/∂xⱼ = Wᵢⱼ; row i of J belongs to output yᵢ")
    for m, n in ((2, 2), (3, 2), (2, 4), (1, 3)):
        W, x = g.normal(size=(m, n)), g.normal(size=n)
        case = f"W of shape {m}×{n}, x of shape ({n},)"
        Wt = cr.tensor(W)
        expected = cr.autograd.functional.jacobian(lambda t, Wt=Wt: cr.tanh(Wt @ t),
                                                   cr.tensor(x)).numpy()
        compare(case, expected, call(case, hint, f, W, x), hint=hint, what="J")


def check_matmul_vjp(f) -> None:
    cr, _ = _cr()
    g = rng(204)
    hint = ("write Cᵢₖ = Σⱼ Aᵢⱼ Bⱼₖ and ask which entries of C each Aᵢⱼ (each Bⱼₖ) affects: "
            "∂L/∂Aᵢⱼ = Σₖ Gᵢₖ ∂Cᵢₖ/∂Aᵢⱼ; then write the sum as a matrix product. Each gradient "
            "has the shape of its matrix")
    for p, q, r in ((2, 2, 2), (2, 3, 4), (4, 1, 3), (3, 5, 1)):
        A, B, G = g.normal(size=(p, q)), g.normal(size=(q, r)), g.normal(size=(p, r))
        case = f"A of shape {p}×{q}, B of shape {q}×{r}"
        dA, dB = _autograd(lambda a, b, G=G: ((a @ b) * cr.tensor(G)).sum(), A, B)
        received = call(case, hint, f, A, B, G)
        if not isinstance(received, (tuple, list)) or len(received) != 2:
            raise Failure(case, "expected a pair (∂L/∂A, ∂L/∂B)", hint="return dA, dB")
        compare(case, dA, received[0], hint=hint, what="∂L/∂A")
        compare(case, dB, received[1], hint=hint, what="∂L/∂B")


def check_softplus(f) -> None:
    cr, F = _cr()
    g = rng(205)
    hint = ("softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^{−|x|}): for x > 0 take x out "
            "of the logarithm, log(1 + eˣ) = x + log(1 + e^{−x}), so that no e^{large} is ever "
            "computed; use chainrule's operations on the Tensor so autograd can follow them")

    def run(case, x):
        t = cr.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):
            out = call(case, hint, f, t)
        if not isinstance(out, cr.Tensor):
            raise Failure(case, f"expected a chainrule Tensor, got {type(out).__name__}",
                          hint="compute with chainrule's operations on x (a Tensor), not with "
                          "NumPy, so that autograd records them")
        return t, out

    x = g.normal(scale=3.0, size=8)
    case = "random x of shape (8,)"
    t, out = run(case, x)
    compare(case, F.softplus(cr.tensor(x)).numpy(), out.detach().numpy(), hint=hint,
            what="softplus(x)", rtol=1e-10, atol=1e-12)
    case = "gradcheck on random x (float64): autograd's gradient = central differences"
    if not out.requires_grad:
        raise Failure(case, "the result does not depend on x through autograd (no graph)",
                      hint=hint)
    x = g.normal(scale=2.0, size=5)
    try:
        ok = cr.gradcheck(lambda z: f(z), cr.tensor(x, requires_grad=True), eps=1e-6,
                          atol=1e-6, rtol=1e-4, raise_exception=False)
    except Exception as exc:      # the learner's function raised inside gradcheck
        raise Failure(case, f"gradcheck failed: {type(exc).__name__}: {exc}", hint=hint,
                      kind="error") from None
    if not ok:
        raise Failure(case, "autograd's gradient and the numerical gradient disagree", hint=hint)
    # (not x = 0: relu and abs have kinks there, and autograd's convention relu′(0) = 0 would
    # make a correct formula built from them disagree with σ(0) = ½ at that one point)
    x = np.array([-1000.0, -50.0, -1.0, 50.0, 1000.0])
    case = "large |x|: x = [−1000, −50, −1, 50, 1000] (softplus ≈ eˣ on the left, x on the right)"
    t, out = run(case, x)
    compare(case, F.softplus(cr.tensor(x)).numpy(), out.detach().numpy(), hint=hint,
            what="softplus(x)", rtol=1e-12, atol=0)
    out.sum().backward()
    with np.errstate(over="ignore"):
        sigma = 1 / (1 + np.exp(-x))
    compare(case, sigma, as_array(case, t.grad),
            hint="the derivative of softplus is the sigmoid; " + hint,
            what="∂ softplus/∂x (autograd through your function)", rtol=1e-10, atol=1e-300)


EXERCISES = (
    Exercise("2.1", "central_difference", "a gradient by central differences",
             check_central_difference),
    Exercise("2.2", "sigmoid_derivative", "the derivative of the sigmoid",
             check_sigmoid_derivative),
    Exercise("2.3", "tanh_layer_jacobian", "the Jacobian of y = tanh(W x)",
             check_tanh_layer_jacobian),
    Exercise("2.4", "matmul_vjp", "backward of C = A B", check_matmul_vjp),
    Exercise("2.5", "softplus", "softplus with chainrule operations, checked with gradcheck",
             check_softplus),
)
