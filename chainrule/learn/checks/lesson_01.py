"""Hidden checks of lesson 1: the expected values come from chainrule's own layers."""
from __future__ import annotations

import numpy as np

from ..catalog import Exercise
from ._tools import Failure, call, compare, rng, show


def _cr():
    import chainrule as cr
    import chainrule.nn.functional as F

    return cr, F


def check_affine(f) -> None:
    cr, F = _cr()
    g = rng(101)
    hint = ("zᵢ = Σⱼ Wᵢⱼ xⱼ + bᵢ: row i of W meets x; W ∈ ℝ^{m×n} times x ∈ ℝ^n gives a vector "
            "of ℝ^m, to which b ∈ ℝ^m is added")
    for m, n in ((2, 2), (3, 2), (1, 4), (5, 3)):
        W, b, x = g.normal(size=(m, n)), g.normal(size=m), g.normal(size=n)
        case = f"W of shape {m}×{n}, b of shape ({m},), x of shape ({n},)"
        expected = F.linear(cr.tensor(x), cr.tensor(W), cr.tensor(b)).numpy()
        mistakes = [(W.T @ x + b if m == n else np.nan, "it equals Wᵀ x + b: W is transposed"),
                    (W @ x, "it equals W x: the bias b is missing")]
        compare(case, expected, call(case, hint, f, W, b, x), hint=hint, what="z",
                mistakes=mistakes)
    case = "zero weights (z must equal b)"
    compare(case, [1.5, -2.0], call(case, hint, f, np.zeros((2, 3)), np.array([1.5, -2.0]),
                                    g.normal(size=3)), hint=hint, what="z")


def check_dense_layer(f) -> None:
    cr, F = _cr()
    g = rng(102)
    hint = ("each row of X is one sample xₙᵀ, and its row of the answer is σ(W xₙ + b)ᵀ = "
            "σ(xₙᵀ Wᵀ + bᵀ); σ(z) = 1/(1 + e^{−z}) is applied to every entry")
    for N, n, m in ((4, 2, 2), (1, 3, 2), (5, 4, 3)):
        X, W, b = g.normal(size=(N, n)), g.normal(size=(m, n)), g.normal(size=m)
        case = f"a batch X of shape {N}×{n}, W of shape {m}×{n}"
        expected = cr.sigmoid(F.linear(cr.tensor(X), cr.tensor(W), cr.tensor(b))).numpy()
        mistakes = [(X @ W.T + b, "it equals X Wᵀ + b: σ is missing"),
                    (cr.sigmoid(cr.tensor(X @ W.T)).numpy(), "it equals σ(X Wᵀ): b is missing")]
        compare(case, expected, call(case, hint, f, X, W, b), hint=hint, what="H",
                mistakes=mistakes)
    case = "large pre-activations (X Wᵀ + b = ±1000): σ saturates at 0 and 1"
    X, W, b = np.array([[1.0], [-1.0]]), np.array([[1000.0, ]]), np.zeros(1)
    compare(case, [[1.0], [0.0]], call(case, hint, f, X, W, b), hint=hint, what="H")


def check_count_parameters(f) -> None:
    cr, _ = _cr()
    hint = ("a layer ℝ^{n_{k−1}} → ℝ^{n_k} learns W_k ∈ ℝ^{n_k×n_{k−1}} and b_k ∈ ℝ^{n_k}; "
            "add up the entries of every layer")
    for sizes in ([2, 2, 1], [784, 256, 10], [3, 1], [10, 20, 30, 40, 5]):
        case = f"sizes = {sizes}"
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [cr.nn.Linear(n_in, n_out), cr.nn.ReLU()]
        model = cr.nn.Sequential(*layers[:-1])
        expected = sum(p.numel() for p in model.parameters())
        received = call(case, hint, f, list(sizes))
        try:
            ok = int(received) == received and int(received) == expected
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise Failure(case, "wrong number of parameters", expected=str(expected),
                          received=show(received), hint=hint)


def check_broadcast_shape(f) -> None:
    hint = ("broadcasting aligns the shapes on the RIGHT (trailing dimensions first); a missing "
            "leading dimension counts as 1; two sizes agree when they are equal or one of them "
            "is 1, and the result takes the larger")
    valid = [((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2, 2)), ((5, 1, 3), (4, 1)), ((4,), (4,)),
             ((1,), (7, 2)), ((2, 1, 6), (2, 5, 1))]
    invalid = [((2, 3), (2,)), ((3, 4), (4, 3)), ((2, 1, 3), (4, 3, 1))]
    _check_valid(f, valid, hint)
    _check_invalid(f, invalid, hint)
    _check_valid(f, [((0, 3), (1, 3)), ((2, 0), (1,))], hint + " (a size 1 even stretches to 0)")


def _check_valid(f, valid, hint) -> None:
    for a, b in valid:
        case = f"shapes {a} and {b}"
        expected = tuple(np.broadcast_shapes(a, b))
        try:
            received = f(a, b)
        except ValueError as exc:
            raise Failure(case, f"these shapes can be broadcast, to {expected}, but your "
                          f"function raised ValueError: {exc}", hint=hint) from None
        except Exception:
            received = call(case, hint, f, a, b)     # reports the error (or the stub)
        if isinstance(received, list):
            received = tuple(received)
        try:
            same = isinstance(received, tuple) and tuple(int(d) for d in received) == expected
        except (TypeError, ValueError):
            same = False
        if not same:
            raise Failure(case, "wrong shape", expected=str(expected), received=show(received),
                          hint=hint)


def _check_invalid(f, invalid, hint) -> None:
    for a, b in invalid:
        case = f"shapes {a} and {b}, which cannot be broadcast together"
        try:
            received = f(a, b)
        except ValueError:
            continue
        except NotImplementedError:
            raise Failure(case, "not implemented yet: replace `raise NotImplementedError` with "
                          "your code", kind="todo") from None
        except Exception as exc:
            raise Failure(case, f"expected ValueError, your function raised "
                          f"{type(exc).__name__}: {exc}", hint=hint) from None
        raise Failure(case, "expected a ValueError (these shapes are incompatible)",
                      expected="ValueError", received=show(received), hint=hint)


EXERCISES = (
    Exercise("1.1", "affine", "the affine map z = W x + b", check_affine),
    Exercise("1.2", "dense_layer", "a layer on a batch: H = σ(X Wᵀ + b)", check_dense_layer),
    Exercise("1.3", "count_parameters", "counting a network's parameters",
             check_count_parameters),
    Exercise("1.4", "broadcast_shape", "the broadcasting rule", check_broadcast_shape),
)
