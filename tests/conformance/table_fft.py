"""Conformance entries for torch.fft (chainrule/fft/): every transform on real and complex
inputs, with its n/s, dim and norm options, the frequencies and shifts, and the errors (complex
input to the real transforms, a bad norm, a dim out of range, no data points). Complex results
are compared value for value (``resolve_conj``: PyTorch's ihfft returns a lazily conjugated
tensor)."""
from __future__ import annotations

from harness import Entry, case, floats, ints, value

X = floats(3, 8)
X32 = floats(3, 8, dtype="float32")
Y = floats(3, 8)
CUBE = floats(2, 4, 6)


def _t(name, **kw):
    def program(L, x):
        return getattr(L.fft, name)(x, **kw).resolve_conj()
    return program


def _complex(name, **kw):
    def program(L, x, y):
        return getattr(L.fft, name)(x + 1j * y, **kw).resolve_conj()
    return program


def _one_dim(name, real_only=False):
    cases = [
        case(_t(name), X),
        case(_t(name), X32, label="float32 → complex64"),
        case(_t(name, n=5), X, label="cropped"),
        case(_t(name, n=11, dim=0), X, label="zero-padded along dim 0"),
        case(_t(name, norm="ortho"), X, label="ortho"),
        case(_t(name, norm="forward"), X, label="forward"),
        case(_t(name), ints(4, 6, low=-3, high=4), label="integers"),
        case(_t(name, norm="sideways"), X, raises=True, label="bad norm"),
        case(_t(name, dim=2), X, raises=True, label="dim out of range"),
        case(_t(name, n=0), X, raises=True, label="no data points"),
    ]
    if real_only:
        cases.append(case(_complex(name), X, Y, raises=True, label="complex input refused"))
    else:
        cases.append(case(_complex(name), X, Y, label="complex input"))
        cases.append(case(_complex(name, norm="ortho", n=6), X, Y, label="complex, ortho"))
    return cases


def _many_dims(name, real_only=False, default_all=False):
    cases = [
        case(_t(name), CUBE),
        case(_t(name, norm="ortho"), CUBE, label="ortho"),
        case(_t(name, norm="forward", dim=(0, 2)), CUBE, label="forward over (0, 2)"),
        case(_t(name, s=(3, 10)), CUBE, label="s crops and pads the last two"),
        case(_t(name), floats(2, 4, 6, dtype="float32"), label="float32"),
        case(_t(name, dim=(0, 0)), CUBE, raises=True, label="repeated dim"),
    ]
    if default_all:
        cases.append(case(_t(name, s=(5,)), CUBE, label="s alone: the last len(s) dims"))
    if real_only:
        cases.append(case(_complex(name), CUBE, CUBE, raises=True, label="complex refused"))
    else:
        cases.append(case(_complex(name), CUBE, CUBE, label="complex input"))
    return cases


def _shift(name):
    def program(L, x, **kw):
        return getattr(L.fft, name)(x, **kw)

    def differentiated(L, x):
        return (getattr(L.fft, name)(x, dim=1) * L.arange(8.0, dtype=x.dtype)).sum()
    return [
        case(program, X),
        case(lambda L, x: getattr(L.fft, name)(x, dim=0), floats(5, 3), label="dim 0, odd"),
        case(lambda L, x: getattr(L.fft, name)(x, dim=(0, 1)), floats(5, 4), label="two dims"),
        case(differentiated, X, grad=(0,), label="differentiable (a roll)"),
    ]


ENTRIES = [
    Entry("fft.fft", _one_dim("fft")),
    Entry("fft.ifft", _one_dim("ifft")),
    Entry("fft.rfft", _one_dim("rfft", real_only=True)),
    Entry("fft.irfft", _one_dim("irfft")),
    Entry("fft.hfft", _one_dim("hfft")),
    Entry("fft.ihfft", _one_dim("ihfft", real_only=True)),
    Entry("fft.fft2", _many_dims("fft2")),
    Entry("fft.ifft2", _many_dims("ifft2")),
    Entry("fft.rfft2", _many_dims("rfft2", real_only=True)),
    Entry("fft.irfft2", _many_dims("irfft2")),
    Entry("fft.hfft2", _many_dims("hfft2")),
    Entry("fft.ihfft2", _many_dims("ihfft2", real_only=True)),
    Entry("fft.fftn", _many_dims("fftn", default_all=True)),
    Entry("fft.ifftn", _many_dims("ifftn", default_all=True)),
    Entry("fft.rfftn", _many_dims("rfftn", real_only=True, default_all=True)),
    Entry("fft.irfftn", _many_dims("irfftn", default_all=True)),
    Entry("fft.hfftn", _many_dims("hfftn", default_all=True)),
    Entry("fft.ihfftn", _many_dims("ihfftn", real_only=True, default_all=True)),
    Entry("fft.fftfreq", [
        case(lambda L: L.fft.fftfreq(7)),
        case(lambda L: L.fft.fftfreq(8, 0.25, dtype=L.float64), label="spacing, float64"),
    ]),
    Entry("fft.rfftfreq", [
        case(lambda L: L.fft.rfftfreq(7)),
        case(lambda L: L.fft.rfftfreq(8, d=0.5), label="spacing"),
    ]),
    Entry("fft.fftshift", _shift("fftshift")),
    Entry("fft.ifftshift", _shift("ifftshift")),
    Entry("fft.fft", [case(lambda L, x: L.fft.fft(x), value(3.0), raises=True,
                           label="not a tensor")]),
]
