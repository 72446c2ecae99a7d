"""Conformance entries for complex values without complex derivatives (ops/complex_values.py,
ops/spectral.py): linalg.eig/eigvals (complex results always), angle (real and complex; zero
gradient for real), polar, complex, view_as_real and view_as_complex (views sharing memory),
stft and istft, and the errors."""
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


def _hann(L, n, dtype):
    return L.hann_window(n, dtype=dtype)


def _stft(**kw):
    def program(L, x):
        window = _hann(L, kw.get("win", 16), x.dtype)
        args = {k: v for k, v in kw.items() if k != "win"}
        return L.stft(x, 16, window=window, return_complex=True, **args)
    return program


def _round_trip(**kw):
    def program(L, x):
        window = L.hann_window(16, dtype=x.dtype)
        spectrum = L.stft(x, 16, hop_length=kw.get("hop_length"), window=window,
                          return_complex=True, normalized=kw.get("normalized", False))
        return spectrum, L.istft(spectrum, 16, window=window, **kw)
    return program


SIGNALS = floats(2, 60)
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
    Entry("stft", [
        case(_stft(), SIGNALS),
        case(_stft(hop_length=5, win_length=10, win=10, normalized=True), SIGNALS,
             label="hop, shorter window, normalized"),
        case(_stft(center=False), floats(60), label="1-d, no centre padding"),
        case(_stft(pad_mode="constant", onesided=False), SIGNALS, label="two-sided, zeros"),
        case(_stft(), floats(2, 60, dtype="float32"), label="float32 → complex64"),
        case(lambda L, x: L.stft(x, 16), SIGNALS, raises=True, label="return_complex missing"),
        case(lambda L, x: L.stft(x, 16, return_complex=True), floats(2, 2, 60), raises=True,
             label="3-d refused"),
    ]),
    Entry("Tensor.stft", [case(lambda L, x: x.stft(16, window=L.hann_window(16, dtype=x.dtype),
                                                   return_complex=True), SIGNALS)]),
    Entry("istft", [
        case(_round_trip(), SIGNALS),
        case(_round_trip(hop_length=4, length=60), SIGNALS, label="hop 4, length"),
        case(_round_trip(normalized=True, length=55), SIGNALS, label="normalized, cut"),
        case(lambda L, x: L.istft(x, 16), SIGNALS, raises=True, label="real input refused"),
    ]),
    Entry("Tensor.istft", [case(lambda L, x: L.stft(x, 16, window=L.hann_window(
        16, dtype=x.dtype), return_complex=True).istft(16, window=L.hann_window(
            16, dtype=x.dtype), length=60), SIGNALS)]),
]
