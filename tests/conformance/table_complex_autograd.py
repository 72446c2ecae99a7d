"""Conformance entries for gradients through complex tensors (chainrule/autograd/complex.py):
PyTorch's convention z.grad = ∂L/∂x + i·∂L/∂y, on programs whose inputs and results are real
(the harness differentiates real inputs) and whose middle is complex: the Fourier transforms
(a spectral loss), ``complex``/``polar``/``view_as_complex``/``view_as_real``, ``real``/``imag``/
``conj``, ``abs``/``angle``/``sgn``, arithmetic and products with complex constants, and the
refusal by name of an operation without a complex rule."""
from __future__ import annotations

from harness import Entry, case, floats

X = floats(3, 8)
Y = floats(3, 8)
PAIRS = floats(3, 4, 2)


def _z(L, x, y):
    return L.complex(x, y)


def _spectral(name, **kw):
    def program(L, x):
        return getattr(L.fft, name)(x, **kw).abs().pow(2)
    return program


def _complex_spectral(name, **kw):
    def program(L, x, y):
        return L.view_as_real(getattr(L.fft, name)(_z(L, x, y), **kw).resolve_conj())
    return program


def _to_real(name, **kw):
    def program(L, x, y):
        return getattr(L.fft, name)(_z(L, x, y), **kw)
    return program


def _fft_entries():
    entries = []
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "hfft", "irfft"):
        cases = [case(_spectral(name), X, grad=(0,), label="spectral loss of a real signal")]
        if name in ("hfft", "irfft"):
            cases.append(case(_to_real(name), X, Y, grad=(0, 1), label="complex in, real out"))
            cases.append(case(_to_real(name, norm="ortho", n=7) if name in ("hfft", "irfft")
                              else _to_real(name), X, Y, grad=(0, 1), label="ortho, n=7"))
        else:
            cases.append(case(_complex_spectral(name), X, Y, grad=(0, 1), label="complex in"))
            cases.append(case(_complex_spectral(name, norm="forward"), X, Y, grad=(0, 1),
                              label="complex in, norm=forward"))
        entries.append(Entry(f"fft.{name}", cases))
    for name in ("rfft", "rfft2", "rfftn", "ihfft"):
        entries.append(Entry(f"fft.{name}", [
            case(_spectral(name), X, grad=(0,), label="spectral loss"),
            case(_spectral(name, norm="ortho"), X, grad=(0,), label="spectral loss, ortho"),
        ]))
    for name in ("irfft2", "irfftn", "hfft2", "hfftn"):
        entries.append(Entry(f"fft.{name}", [
            case(_to_real(name, s=(3, 9)), X, Y, grad=(0, 1), label="complex in, real out"),
        ]))
    entries.append(Entry("fft.ihfft2", [case(_spectral("ihfft2"), X, grad=(0,))]))
    entries.append(Entry("fft.ihfftn", [case(_spectral("ihfftn", norm="forward"), X,
                                             grad=(0,))]))
    return entries


ENTRIES = _fft_entries() + [
    Entry("complex", [case(lambda L, x, y: L.view_as_real(_z(L, x, y) ** 2), X, Y, grad=(0, 1),
                           label="gradient of both parts")]),
    Entry("polar", [case(lambda L, r, t: L.view_as_real(L.polar(r.abs(), t).exp()), X, Y,
                         grad=(0, 1), label="gradient of modulus and angle")]),
    Entry("view_as_complex", [case(lambda L, p: L.view_as_complex(p).abs(), PAIRS, grad=(0,),
                                   label="gradient of the pairs")]),
    Entry("view_as_real", [case(lambda L, x, y: L.view_as_real(_z(L, x, y).sin()), X, Y,
                                grad=(0, 1))]),
    Entry("real", [case(lambda L, x, y: L.real(_z(L, x, y) ** 3), X, Y, grad=(0, 1))]),
    Entry("imag", [case(lambda L, x, y: L.imag(_z(L, x, y).exp()), X, Y, grad=(0, 1))]),
    Entry("Tensor.real", [case(lambda L, x, y: (_z(L, x, y) * 1j).real, X, Y, grad=(0, 1))]),
    Entry("Tensor.imag", [case(lambda L, x, y: (_z(L, x, y) / 2j).imag, X, Y, grad=(0, 1))]),
    Entry("conj", [case(lambda L, x, y: L.view_as_real(L.conj(_z(L, x, y)).resolve_conj()
                                                       * 1), X, Y, grad=(0, 1))]),
    Entry("Tensor.conj", [case(lambda L, x, y: (_z(L, x, y).conj() * _z(L, y, x)).imag, X, Y,
                               grad=(0, 1))]),
    Entry("abs", [case(lambda L, x, y: L.abs(_z(L, x, y)), X, Y, grad=(0, 1),
                       label="the modulus of a complex tensor")]),
    Entry("angle", [case(lambda L, x, y: L.angle(_z(L, x, y)), X, Y, grad=(0, 1),
                         label="arg of a complex tensor")]),
    Entry("sgn", [case(lambda L, x, y: L.view_as_real(L.sgn(_z(L, x, y))), X, Y, grad=(0, 1),
                       label="z/|z|")]),
    Entry("mul", [case(lambda L, x: (x * (1 + 2j)).exp().abs(), X, grad=(0,),
                       label="a real tensor times a complex number: the real part")]),
    Entry("matmul", [case(lambda L, x, y: (_z(L, x, y) @ _z(L, y, x).mT).abs(), X, Y,
                          grad=(0, 1), label="complex product: conjugate rules")]),
    Entry("prod", [case(lambda L, x, y: _z(L, x, y).prod().abs(), X, Y, grad=(0, 1),
                        xfail="prod has no complex gradient rule in chainrule (it raises "
                              "NotImplementedError naming the operation)")]),
]
