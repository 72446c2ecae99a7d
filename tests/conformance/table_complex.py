"""Conformance entries for complex values without complex derivatives (ops/complex_values.py):
linalg.eig/eigvals (complex results always), angle (real and complex; zero gradient for real),
polar, complex, view_as_real and view_as_complex (views sharing memory), and the errors."""
from __future__ import annotations

from harness import Entry, case, floats, ints

M = floats(2, 4, 4)
V = floats(3, 2)


def _canonical(L, v):
    """Each eigenvector times the phase that makes its first component real and positive:
    eigenvectors are unique only up to such a factor (PyTorch's MKL and NumPy's OpenBLAS geev
    can return opposite signs in float32)."""
    first = v[..., :1, :]
    return v * (first.abs() / first)


def _eig(L, a):
    w, v = L.linalg.eig(a)
    return w, _canonical(L, v)


def _eig_of_complex(L, a, b):
    w, v = L.linalg.eig(a + 1j * b)
    return w, _canonical(L, v)


def _real_view_writes(L, x, y):
    z = L.complex(x, y)
    r = L.view_as_real(z)
    r[0, 1] = 7.0
    return z, r


def _complex_view_writes(L, x):
    c = L.view_as_complex(x)
    x[0, 0] = -3.0
    return c


ENTRIES = [
    Entry("linalg.eig", [
        case(_eig, M),
        case(_eig, floats(3, 3, dtype="float32"), label="float32 → complex64"),
        case(_eig_of_complex, M, M, label="complex input"),
        case(_eig, floats(2, 3), raises=True, label="not square"),
        case(_eig, ints(3, 3), raises=True, label="integers refused"),
    ]),
    Entry("linalg.eigvals", [
        case(lambda L, a: L.linalg.eigvals(a), M),
        case(lambda L, a: L.linalg.eigvals(a), floats(5, 5, dtype="float32"), label="float32"),
    ]),
    Entry("angle", [
        case(lambda L, x: L.angle(x), floats(3, 4)),
        case(lambda L, x: L.angle(x), floats(3, 4), grad=(0,), label="zero gradient"),
        case(lambda L, x, y: L.angle(x + 1j * y), floats(3, 4), floats(3, 4), label="complex"),
        case(lambda L, x: L.angle(x), ints(5, low=-3, high=3), label="integers"),
    ]),
    Entry("Tensor.angle", [case(lambda L, x: x.angle(), floats(6))]),
    Entry("polar", [
        case(lambda L, r, t: L.polar(r, t), floats(3, low=0.0, high=2.0), floats(3)),
        case(lambda L, r, t: L.polar(r, t), floats(2, 3, dtype="float32"), floats(3,
             dtype="float32"), label="float32, broadcast"),
        case(lambda L, r, t: L.polar(r, t), floats(3, dtype="float32"), floats(3),
             raises=True, label="mixed dtypes refused"),
    ]),
    Entry("complex", [
        case(lambda L, a, b: L.complex(a, b), V, V),
        case(lambda L, a, b: L.complex(a, b), ints(3), ints(3), raises=True,
             label="integers refused"),
    ]),
    Entry("view_as_real", [
        case(lambda L, a, b: L.view_as_real(L.complex(a, b)), V, V),
        case(_real_view_writes, V, V, label="a view: writes reach the complex tensor"),
        case(lambda L, a: L.view_as_real(a), V, raises=True, label="real input refused"),
    ]),
    Entry("view_as_complex", [
        case(lambda L, x: L.view_as_complex(x), V),
        case(_complex_view_writes, V, label="a view: writes to the input show"),
        case(lambda L, x: L.view_as_complex(x), floats(2, 3), raises=True,
             label="last dim not 2"),
        case(lambda L, x: L.view_as_complex(x.t()), floats(2, 3), raises=True,
             label="last dim not contiguous"),
    ]),
]
