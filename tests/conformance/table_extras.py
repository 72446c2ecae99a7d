"""Conformance entries for the Tensor methods in ops/tensor_extras.py and their functions."""
from __future__ import annotations

import numpy as np
from harness import Entry, case, floats, value

X = floats(2, 3)
NAN = value(np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]]))

ENTRIES = [
    Entry("Tensor.matmul", [case(lambda L, a, b: a.matmul(b), floats(2, 3), floats(3, 4),
                                 grad=[0, 1]),
                            case(lambda L, a, b: a.matmul(b), floats(3), floats(3), grad=[0, 1],
                                 label="vectors")]),
    Entry("Tensor.maximum", [case(lambda L, a, b: a.maximum(b), X, floats(3), grad=[0, 1])]),
    Entry("Tensor.minimum", [case(lambda L, a, b: a.minimum(b), X, floats(2, 1), grad=[0, 1])]),
    Entry("ravel", [case(lambda L, x: L.ravel(x.T), X, grad=[0])]),
    Entry("Tensor.ravel", [case(lambda L, x: x.ravel(), floats(), grad=[0], label="0-d")]),
    Entry("Tensor.nelement", [case(lambda L, x: x.nelement(), X)]),
    Entry("Tensor.ndimension", [case(lambda L, x: x.ndimension(), floats(2, 3, 1))]),
    Entry("Tensor.stride", [case(lambda L, x: x.stride(), X),
                            case(lambda L, x: x.T.stride(), X, label="transposed"),
                            case(lambda L, x: x.stride(-1), floats(2, 3, 4), label="dim")]),
    Entry("addcmul", [case(lambda L, x, a, b: L.addcmul(x, a, b, value=0.5), X, X, floats(3),
                           grad=[0, 1, 2])]),
    Entry("Tensor.addcmul", [case(lambda L, x, a, b: x.addcmul(a, b), X, X, X, grad=[0, 1, 2])]),
    Entry("Tensor.addcmul_", [case(lambda L, x, a, b: x.clone().addcmul_(a, b, value=-2.0), X,
                                   X, X)]),
    Entry("addcdiv", [case(lambda L, x, a, b: L.addcdiv(x, a, b, value=3.0), X, X,
                           floats(2, 3, low=0.5, high=2.0), grad=[0, 1, 2])]),
    Entry("Tensor.addcdiv", [case(lambda L, x, a, b: x.addcdiv(a, b), X, X,
                                  floats(2, 3, low=0.5, high=2.0), grad=[0, 1, 2])]),
    Entry("Tensor.addcdiv_", [case(lambda L, x, a, b: x.clone().addcdiv_(a, b, value=0.1), X, X,
                                   floats(2, 3, low=0.5, high=2.0))]),
    Entry("nansum", [case(lambda L, x: L.nansum(L.tensor(x)), NAN),
                     case(lambda L, x: L.nansum(L.tensor(x), 1, True), NAN, label="dim"),
                     case(lambda L, x: L.nansum(x, 0), X, grad=[0], label="no nan")]),
    Entry("Tensor.nansum", [case(lambda L, x: L.tensor(x).nansum(dim=0), NAN)]),
    Entry("nanmean", [case(lambda L, x: L.nanmean(L.tensor(x)), NAN),
                      case(lambda L, x: L.nanmean(L.tensor(x), 1), NAN, label="dim")]),
    Entry("Tensor.nanmean", [case(lambda L, x: x.nanmean(-1, keepdim=True), X, grad=[0])]),
    Entry("compile", [case(lambda L, x: _compiled_twice(L, x), X, grad=[0]),
                      case(lambda L, x: _compiled_no_grad(L, x), X, label="no_grad")]),
]


def _compiled_twice(L, x):
    """torch.compile(fn) called twice: the same values (and gradients) as fn."""
    f = L.compile(lambda a: L.tanh(a * 2) / 3 + a, backend="eager")
    f(x)
    return f(x)


def _compiled_no_grad(L, x):
    f = L.compile(lambda a: L.exp(-a) * a, backend="eager")
    with L.no_grad():
        return f(x), f(x * 2)
