"""Conformance entries for round 34's torch.special functions (ops/special_polynomials.py,
ops/special_airy_bessel_y.py): the orthogonal polynomials of (x, n), airy_ai, bessel_y0 and
bessel_y1, all values only in PyTorch (a backward through them raises).

Inputs stay where PyTorch itself is accurate to the harness's 1e-10: its bessel_y0/y1 only within
0 < x ≤ 2 and x ≥ 25 (≈1e-6 absolute error between 5 and 25), its airy_ai away from
−2.09 > x > −8 (≈6e-6 there); tests/ops/test_special_round34.py compares chainrule with mpmath
across the whole range and with PyTorch within its accuracy.
"""
from __future__ import annotations

from harness import Entry, case, floats, ints, value

_N = ints(2, 3, low=0, high=12)
_UNIT = floats(2, 3, low=-1.0, high=1.0)
_SHIFTED = floats(2, 3, low=0.0, high=1.0)
_WIDE = floats(2, 3, low=-1.3, high=1.3)


def _no_derivative(fn_name, n=3):
    """A backward through the result raises, as PyTorch's (the result does not require grad)."""
    def program(L, x):
        x = x.detach().clone().requires_grad_(True)
        getattr(L.special, fn_name)(x, n).sum().backward()
        return x.grad
    return program


def _polynomial_cases(name, x, wide):
    def f(L, *args):
        return getattr(L.special, name)(*args)

    return [
        case(f, x, _N),
        case(f, wide, _N, label="beyond the interval: the recurrence"),
        case(f, x, ints(3, low=0, high=30), label="broadcast, high degrees"),
        case(f, x, value(7), label="a number degree"),
        case(f, x, value(2.9), label="a float degree truncates"),
        case(f, value(0.3), _N, label="a number x"),
        case(f, x, floats(2, 3, low=-3.0, high=9.0), label="float degrees, negatives give 0"),
        case(f, x, ints(2, 3, low=-4, high=0), label="negative degrees give 0"),
        case(f, floats(2, 3, low=-1.0, high=1.0, dtype="float32"), _N, label="float32"),
        case(f, ints(2, 3, low=-1, high=2), _N, label="integers become float32"),
        case(f, value(0.3), value(2), raises=True, label="two numbers refuse"),
        case(_no_derivative(name), x, raises=True, label="no derivative"),
    ]


ENTRIES = [
    Entry("special.chebyshev_polynomial_t", _polynomial_cases("chebyshev_polynomial_t", _UNIT,
                                                              _WIDE)),
    Entry("special.chebyshev_polynomial_u", _polynomial_cases("chebyshev_polynomial_u", _UNIT,
                                                              _WIDE)),
    Entry("special.chebyshev_polynomial_v", _polynomial_cases("chebyshev_polynomial_v", _UNIT,
                                                              _WIDE)),
    Entry("special.chebyshev_polynomial_w", _polynomial_cases("chebyshev_polynomial_w", _UNIT,
                                                              _WIDE)),
    Entry("special.shifted_chebyshev_polynomial_t", _polynomial_cases(
        "shifted_chebyshev_polynomial_t", _SHIFTED, floats(2, 3, low=-0.2, high=1.2))),
    Entry("special.shifted_chebyshev_polynomial_u", _polynomial_cases(
        "shifted_chebyshev_polynomial_u", _SHIFTED, floats(2, 3, low=-0.2, high=1.2))),
    Entry("special.shifted_chebyshev_polynomial_v", _polynomial_cases(
        "shifted_chebyshev_polynomial_v", _SHIFTED, floats(2, 3, low=-0.2, high=1.2))),
    Entry("special.shifted_chebyshev_polynomial_w", _polynomial_cases(
        "shifted_chebyshev_polynomial_w", _SHIFTED, floats(2, 3, low=-0.2, high=1.2))),
    Entry("special.hermite_polynomial_h", _polynomial_cases(
        "hermite_polynomial_h", floats(2, 3, low=-2.0, high=2.0),
        floats(2, 3, low=-4.0, high=4.0))),
    Entry("special.hermite_polynomial_he", _polynomial_cases(
        "hermite_polynomial_he", floats(2, 3, low=-2.0, high=2.0),
        floats(2, 3, low=-4.0, high=4.0))),
    Entry("special.laguerre_polynomial_l", _polynomial_cases(
        "laguerre_polynomial_l", floats(2, 3, low=0.0, high=4.0),
        floats(2, 3, low=-2.0, high=8.0))),
    Entry("special.legendre_polynomial_p", _polynomial_cases("legendre_polynomial_p", _UNIT,
                                                             _WIDE)),
]


def _unary_no_derivative(fn_name):
    def program(L, x):
        x = x.detach().clone().requires_grad_(True)
        getattr(L.special, fn_name)(x).sum().backward()
        return x.grad
    return program


def _unary_cases(name, x):
    def f(L, v):
        return getattr(L.special, name)(v)

    return [
        case(f, x),
        case(f, floats(2, 3, low=0.1, high=2.0, dtype="float32"), label="float32"),
        case(f, ints(2, 3, low=1, high=3), label="integers become float32"),
        case(f, value(1.5), raises=True, label="a number refuses"),
        case(_unary_no_derivative(name), x, raises=True, label="no derivative"),
    ]


ENTRIES += [
    Entry("special.airy_ai", _unary_cases("airy_ai", floats(2, 3, low=-2.0, high=20.0))
          + [case(lambda L, x: L.special.airy_ai(x), floats(2, 3, low=-30.0, high=-8.0),
                  label="oscillating")]),
    Entry("special.bessel_y0", _unary_cases("bessel_y0", floats(2, 3, low=0.05, high=2.0))
          + [case(lambda L, x: L.special.bessel_y0(x), floats(2, 3, low=25.0, high=200.0),
                  label="large x"),
             case(lambda L, x: L.special.bessel_y0(x), floats(2, 3, low=-3.0, high=-0.1),
                  label="NaN for x < 0")]),
    Entry("special.bessel_y1", _unary_cases("bessel_y1", floats(2, 3, low=0.05, high=2.0))
          + [case(lambda L, x: L.special.bessel_y1(x), floats(2, 3, low=25.0, high=200.0),
                  label="large x")]),
]
