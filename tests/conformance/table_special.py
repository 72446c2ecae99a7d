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

# ------------------------------------------------------------------ round 33: ops/special_*.py
# torch.special's normal-distribution, Bessel, incomplete-gamma and zeta functions, the top-level
# spellings (torch.i0, igamma, igammac, mvlgamma) and the float utilities frexp, ldexp, nextafter.
# Inputs stay where PyTorch itself is accurate to the harness's 1e-10: its bessel_j0/j1 only
# within |x| ≤ 2 (≈1e-8 absolute error between 2 and 5), its gammainc/gammaincc away from the
# asymptotic regime a > 20, x ≈ a (≈1e-9 there); tests/ops/test_special_round33.py compares
# chainrule with mpmath beyond those ranges.
from harness import bools, ints  # noqa: E402

_TAIL = floats(2, 3, low=-30.0, high=-2.0)
_BESSEL = floats(2, 3, low=-30.0, high=30.0)
_K = floats(2, 3, low=0.05, high=30.0)
_SHAPE = floats(2, 3, low=0.2, high=6.0)
_ZETA_X = floats(2, 3, low=1.2, high=6.0)
_MV = floats(2, 3, low=2.0, high=7.0)
_EXPONENT = ints(2, 3, low=0, high=9)


def _grad_of_first(fn_name, *, special=True):
    """A program that asks for the gradient in the first argument (PyTorch has none: raises)."""
    def program(L, a, x):
        a = a.detach().clone().requires_grad_(True)
        fn = getattr(L.special, fn_name) if special else getattr(L, fn_name)
        fn(a, x).sum().backward()
        return a.grad
    return program


def _method_inplace(name, *args):
    def program(L, x, *others):
        y = x.clone()
        getattr(y, name + "_")(*others, *args)
        return y
    return program


ENTRIES += [
    Entry("special.ndtr", [case(lambda L, x: L.special.ndtr(x), X, grad=[0]),
                           case(lambda L, x: L.special.ndtr(x), floats(3, dtype="float32"),
                                label="float32"),
                           case(lambda L, x: L.special.ndtr(x), ints(2, 3, low=-3, high=3),
                                label="integers become float32")]),
    Entry("special.ndtri", [case(lambda L, x: L.special.ndtri(x), UNIT, grad=[0]),
                            case(lambda L, x: L.special.ndtri(x * 4 - 2), UNIT,
                                 label="outside [0, 1]: NaN")]),
    Entry("special.log_ndtr", [case(lambda L, x: L.special.log_ndtr(x), X, grad=[0]),
                               case(lambda L, x: L.special.log_ndtr(x), _TAIL, grad=[0],
                                    label="left tail")]),
    Entry("special.erfcx", [case(lambda L, x: L.special.erfcx(x), X, grad=[0]),
                            case(lambda L, x: L.special.erfcx(x), floats(2, 3, low=-5.0,
                                                                         high=40.0), grad=[0])]),
    Entry("special.i0", [case(lambda L, x: L.special.i0(x), _BESSEL, grad=[0])]),
    Entry("special.i0e", [case(lambda L, x: L.special.i0e(x), _BESSEL, grad=[0])]),
    Entry("special.i1", [case(lambda L, x: L.special.i1(x), _BESSEL, grad=[0]),
                         case(lambda L, x: L.special.i1(x), floats(3, dtype="float32"),
                              grad=[0], label="float32")]),
    Entry("special.i1e", [case(lambda L, x: L.special.i1e(x), _BESSEL, grad=[0])]),
    Entry("special.entr", [case(lambda L, x: L.special.entr(x), UNIT, grad=[0]),
                           case(lambda L, x: L.special.entr(x - 0.5), UNIT,
                                label="−inf below 0")]),
    Entry("special.xlog1py", [case(lambda L, x, y: L.special.xlog1py(x, y), X, UNIT,
                                   grad=[0, 1]),
                              case(lambda L, y: L.special.xlog1py(2.0, y), UNIT, grad=[0],
                                   label="a number first"),
                              case(lambda L, x: L.special.xlog1py(x, 3), X, grad=[0],
                                   label="a number second"),
                              case(lambda L, x, y: L.special.xlog1py(x, y), ints(2, 3),
                                   ints(2, 3), label="integers become float32")]),
    Entry("special.sinc", [case(lambda L, x: L.special.sinc(x), X, grad=[0])]),
    Entry("special.multigammaln", [case(lambda L, x: L.special.multigammaln(x, 3), _MV,
                                        grad=[0]),
                                   case(lambda L, x: L.special.multigammaln(x, 1), _MV,
                                        grad=[0]),
                                   case(lambda L, x: L.special.multigammaln(x, 0), _MV,
                                        raises=True, label="p < 1 raises")]),
    Entry("special.gammainc", [case(lambda L, a, x: L.special.gammainc(a, x), _SHAPE, _SHAPE,
                                    grad=[1]),
                               case(_grad_of_first("gammainc"), _SHAPE, _SHAPE, raises=True,
                                    label="no derivative in a"),
                               case(lambda L, a, x: L.special.gammainc(a, x), ints(2, 3),
                                    ints(2, 3), raises=True, label="integer tensors refuse")]),
    Entry("special.gammaincc", [case(lambda L, a, x: L.special.gammaincc(a, x), _SHAPE,
                                     _SHAPE, grad=[1]),
                                case(_grad_of_first("gammaincc"), _SHAPE, _SHAPE, raises=True,
                                     label="no derivative in a")]),
    Entry("special.zeta", [case(lambda L, x, q: L.special.zeta(x, q), _ZETA_X, _SHAPE,
                                grad=[1]),
                           case(lambda L, q: L.special.zeta(2.0, q), _SHAPE, grad=[0],
                                label="a number first"),
                           case(lambda L, x: L.special.zeta(x, 1.5), _ZETA_X,
                                label="a number second"),
                           case(_grad_of_first("zeta"), _ZETA_X, _SHAPE, raises=True,
                                label="no derivative in x")]),
    Entry("special.bessel_j0", [case(lambda L, x: L.special.bessel_j0(x), X)]),
    Entry("special.bessel_j1", [case(lambda L, x: L.special.bessel_j1(x), X)]),
    Entry("special.modified_bessel_i0", [case(lambda L, x: L.special.modified_bessel_i0(x),
                                              _BESSEL)]),
    Entry("special.modified_bessel_i1", [case(lambda L, x: L.special.modified_bessel_i1(x),
                                              _BESSEL)]),
    Entry("special.modified_bessel_k0", [case(lambda L, x: L.special.modified_bessel_k0(x),
                                              _K)]),
    Entry("special.modified_bessel_k1", [case(lambda L, x: L.special.modified_bessel_k1(x),
                                              _K)]),
    Entry("special.scaled_modified_bessel_k0", [
        case(lambda L, x: L.special.scaled_modified_bessel_k0(x), _K)]),
    Entry("special.scaled_modified_bessel_k1", [
        case(lambda L, x: L.special.scaled_modified_bessel_k1(x), _K)]),
    Entry("special.spherical_bessel_j0", [case(lambda L, x: L.special.spherical_bessel_j0(x),
                                               floats(2, 3, low=-20.0, high=20.0))]),
    # top level and Tensor methods
    Entry("i0", [case(lambda L, x: L.i0(x), _BESSEL, grad=[0]),
                 case(lambda L, x: L.i0(x), ints(2, 3), label="integers become float32")]),
    Entry("Tensor.i0", [case(lambda L, x: x.i0(), _BESSEL, grad=[0])]),
    Entry("Tensor.i0_", [case(_method_inplace("i0"), _BESSEL)]),
    Entry("i0_", [case(lambda L, x: (lambda y: (L.i0_(y), y))(x.clone()), _BESSEL),
                  case(lambda L: L.i0_(1.5), raises=True, label="a number refuses")]),
    Entry("igamma", [case(lambda L, a, x: L.igamma(a, x), _SHAPE, _SHAPE, grad=[1]),
                     case(_grad_of_first("igamma", special=False), _SHAPE, _SHAPE,
                          raises=True, label="no derivative in a")]),
    Entry("igammac", [case(lambda L, a, x: L.igammac(a, x), _SHAPE, _SHAPE, grad=[1])]),
    Entry("Tensor.igamma", [case(lambda L, a, x: a.igamma(x), _SHAPE, _SHAPE, grad=[1])]),
    Entry("Tensor.igamma_", [case(_method_inplace("igamma"), _SHAPE, _SHAPE)]),
    Entry("Tensor.igammac", [case(lambda L, a, x: a.igammac(x), _SHAPE, _SHAPE, grad=[1])]),
    Entry("Tensor.igammac_", [case(_method_inplace("igammac"), _SHAPE, _SHAPE)]),
    Entry("mvlgamma", [case(lambda L, x: L.mvlgamma(x, p=2), _MV, grad=[0]),
                       case(lambda L, x: L.mvlgamma(x, 4), ints(2, 3, low=3, high=9),
                            label="integers become float32")]),
    Entry("Tensor.mvlgamma", [case(lambda L, x: x.mvlgamma(3), _MV, grad=[0])]),
    Entry("Tensor.mvlgamma_", [case(_method_inplace("mvlgamma", 2), _MV)]),
    Entry("frexp", [case(lambda L, x: L.frexp(x * 1000), X, grad=[0]),
                    case(lambda L, x: L.frexp(x), floats(3, dtype="float32"), label="float32"),
                    case(lambda L, x: L.frexp(x), ints(3), raises=True,
                         label="integers refuse")]),
    Entry("Tensor.frexp", [case(lambda L, x: x.frexp(), X, grad=[0])]),
    Entry("ldexp", [case(lambda L, x, e: L.ldexp(x, e), X, _EXPONENT, grad=[0]),
                    case(lambda L, x, e: L.ldexp(x, e), X, X, grad=[0, 1],
                         label="a floating exponent"),
                    case(lambda L, x, e: L.ldexp(x, e), ints(2, 3), _EXPONENT,
                         label="integers become float32"),
                    case(lambda L, x, e: L.ldexp(x, e), floats(2, 3, dtype="float32"),
                         _EXPONENT, label="float32"),
                    case(lambda L, x, e: L.ldexp(x, e), X, bools(2, 3), raises=True,
                         label="a bool exponent of a float refuses"),
                    case(lambda L, x: L.ldexp(x, 3), X, raises=True,
                         label="a number exponent refuses")]),
    Entry("Tensor.ldexp", [case(lambda L, x, e: x.ldexp(e), X, _EXPONENT, grad=[0])]),
    Entry("Tensor.ldexp_", [case(_method_inplace("ldexp"), X, _EXPONENT)]),
    Entry("ldexp_", [case(lambda L, x, e: (lambda y: (L.ldexp_(y, e), y))(x.clone()), X,
                          _EXPONENT)]),
    Entry("nextafter", [case(lambda L, x, y: L.nextafter(x, y), X, X, grad=[0, 1]),
                        case(lambda L, x, y: L.nextafter(x, y), floats(2, 3, dtype="float32"),
                             X, label="float32 with float64"),
                        case(lambda L, x, y: L.nextafter(x, y), ints(2, 3), ints(2, 3),
                             raises=True, label="integer tensors refuse")]),
    Entry("Tensor.nextafter", [case(lambda L, x, y: x.nextafter(y), X, X, grad=[0])]),
    Entry("Tensor.nextafter_", [case(_method_inplace("nextafter"), X, X)]),
]
