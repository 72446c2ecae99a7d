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

# the gamma-function family (chainrule/ops/gamma.py): top level, Tensor methods, torch.special
_POS = floats(2, 3, low=0.1, high=6.0)
_WIDE = floats(2, 3, low=-7.5, high=7.5)            # negative non-integers too (reflection)
# PyTorch's trigamma (polygamma(1, ·), and so digamma's gradient) stops its asymptotic series at
# 1/x⁷ after six recurrence steps: about 3e-10 relative error near x = 1 (chainrule's agrees with
# mpmath to 1e-15; tests/distributions/test_special.py). Compared where PyTorch's is exact: x ≥ 8.
_LARGE = floats(2, 3, low=8.0, high=20.0)


def _inplace(name, *args):
    def fn(L, x):
        y = x.clone()
        getattr(y, name + "_")(*args)
        return y
    return fn


ENTRIES += [
    Entry("lgamma", [case(lambda L, x: L.lgamma(x), _WIDE, grad=[0]),
                     case(lambda L, x: L.lgamma(x), floats(3, dtype="float32", low=0.1),
                          label="float32")]),
    Entry("digamma", [case(lambda L, x: L.digamma(x), _WIDE),
                      case(lambda L, x: L.digamma(x), _LARGE, grad=[0])]),
    Entry("polygamma", [case(lambda L, x: L.polygamma(1, x), _LARGE, grad=[0]),
                        case(lambda L, x: L.polygamma(3, x), _POS, grad=[0]),
                        case(lambda L, x: L.polygamma(0, x), _LARGE, grad=[0])]),
    Entry("Tensor.lgamma", [case(lambda L, x: x.lgamma(), _POS, grad=[0])]),
    Entry("Tensor.lgamma_", [case(_inplace("lgamma"), _POS)]),
    Entry("Tensor.digamma", [case(lambda L, x: x.digamma(), _LARGE, grad=[0])]),
    Entry("Tensor.digamma_", [case(_inplace("digamma"), _POS)]),
    Entry("Tensor.polygamma", [case(lambda L, x: x.polygamma(2), _POS, grad=[0])]),
    Entry("Tensor.polygamma_", [case(_inplace("polygamma", 2), _POS)]),
    Entry("special.gammaln", [case(lambda L, x: L.special.gammaln(x), _WIDE, grad=[0])]),
    Entry("special.digamma", [case(lambda L, x: L.special.digamma(x), _LARGE, grad=[0])]),
    Entry("special.psi", [case(lambda L, x: L.special.psi(x), _LARGE, grad=[0])]),
    Entry("special.polygamma", [case(lambda L, x: L.special.polygamma(2, x), _POS,
                                     grad=[0])]),
]
