"""Conformance entries for ``chainrule.special`` (torch.special's names)."""
from __future__ import annotations

from harness import Entry, case, floats

X = floats(2, 3)
UNIT = floats(2, 3, low=0.05, high=0.95)
INNER = floats(2, 3, low=-0.9, high=0.9)

ENTRIES = [
    Entry("special.erfc", [case(lambda L, x: L.special.erfc(x), X, grad=[0])]),
    Entry("special.erfinv", [case(lambda L, x: L.special.erfinv(x), INNER, grad=[0])]),
    Entry("special.exp2", [case(lambda L, x: L.special.exp2(x), X, grad=[0])]),
    Entry("special.expm1", [case(lambda L, x: L.special.expm1(x), X, grad=[0])]),
    Entry("special.log1p", [case(lambda L, x: L.special.log1p(x), UNIT, grad=[0])]),
    Entry("special.logit", [case(lambda L, x: L.special.logit(x), UNIT, grad=[0]),
                            case(lambda L, x: L.special.logit(x, eps=0.1), UNIT, grad=[0])]),
    Entry("special.round", [case(lambda L, x: L.special.round(x * 10), X)]),
    Entry("special.expit", [case(lambda L, x: L.special.expit(x), X, grad=[0])]),
    Entry("special.xlogy", [case(lambda L, x, y: L.special.xlogy(x, y), X, UNIT,
                                 grad=[0, 1])]),
    Entry("special.softmax", [case(lambda L, x: L.special.softmax(x, 1), X, grad=[0]),
                              case(lambda L, x: L.special.softmax(x, 0, dtype=L.float32), X)]),
    Entry("special.log_softmax", [case(lambda L, x: L.special.log_softmax(x, -1), X,
                                       grad=[0])]),
    Entry("special.logsumexp", [case(lambda L, x: L.special.logsumexp(x, 1), X, grad=[0]),
                                case(lambda L, x: L.special.logsumexp(x, (0, 1), True), X,
                                     grad=[0])]),
]
