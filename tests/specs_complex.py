"""Test specs of the complex primitives (chainrule/ops/complex_grad.py and
chainrule/fft/primitives.py), in primitive_specs.py's form (imported at its end, which registers
them into ``SPECS``).

The generic suite draws real arrays and compares real results, so each case builds its complex
values with ``complex(a, b)`` and reads complex results back with ``view_as_real``: the gradient
then flows through the primitive under test with PyTorch's complex conventions, and the forward,
backward, gradcheck, double backward and float32 checks all apply unchanged.
"""
from __future__ import annotations

import numpy as np
import strategies as S
import torch
from hypothesis import strategies as st
from primitive_specs import Case, Drawer, spec

import chainrule as cr


def _z(lib, a, b):
    return lib.complex(a, b)


def _pairs(z):
    return np.stack([z.real, z.imag], -1)


def _complex_case(d: Drawer, cr_fn, torch_fn, np_fn, domain: str = "real") -> Case:
    """Inputs a, b (one complex z = a + ib); the result ``fn(z)`` as a real array."""
    shape = d.shape()
    a, b = d.values([shape, shape], [domain, domain])
    return Case((a, b), lambda x, y: cr_fn(cr, _z(cr, x, y)),
                lambda x, y: torch_fn(torch, _z(torch, x, y)),
                lambda x, y: np.asarray(np_fn(x + 1j * y)), requires_grad=d.requires_grad(2))


spec("conj")(lambda d: _complex_case(
    d, lambda L, z: L.view_as_real(L.conj(z).resolve_conj() * z),
    lambda L, z: L.view_as_real((L.conj(z) * z).resolve_conj()),
    lambda z: _pairs(np.conj(z) * z)))
spec("real")(lambda d: _complex_case(d, lambda L, z: (z * z).real, lambda L, z: (z * z).real,
                                     lambda z: (z * z).real))
spec("imag")(lambda d: _complex_case(d, lambda L, z: (z * z).imag, lambda L, z: (z * z).imag,
                                     lambda z: (z * z).imag))
spec("angle")(lambda d: _complex_case(d, lambda L, z: L.angle(z), lambda L, z: L.angle(z),
                                      np.angle, "away_from_zero"))
spec("sgn")(lambda d: _complex_case(d, lambda L, z: L.view_as_real(L.sgn(z)),
                                    lambda L, z: L.view_as_real(L.sgn(z)),
                                    lambda z: _pairs(np.sign(z)), "away_from_zero"))
spec("view_as_real")(lambda d: _complex_case(
    d, lambda L, z: L.view_as_real(z * z), lambda L, z: L.view_as_real(z * z),
    lambda z: _pairs(z * z)))


@spec("complex")
def _complex(d: Drawer) -> Case:
    """complex(a, b) of broadcasting shapes (the engine sums each part's gradient back)."""
    sa, sb = d.broadcast(2)
    a, b = d.values([sa, sb], ["real", "real"])
    return Case((a, b), lambda x, y: cr.view_as_real(cr.complex(x, y)),
                lambda x, y: torch.view_as_real(torch.complex(*torch.broadcast_tensors(x, y))),
                lambda x, y: _pairs(x + 1j * y), d.requires_grad(2))


@spec("view_as_complex")
def _view_as_complex(d: Drawer) -> Case:
    (p,) = d.values([d.shape(max_dims=3) + (2,)], ["real"])
    return Case((p,), lambda t: cr.view_as_real(cr.view_as_complex(t) ** 2),
                lambda t: torch.view_as_real(torch.view_as_complex(t) ** 2),
                lambda a: _pairs((a[..., 0] + 1j * a[..., 1]) ** 2))


def _fft_shape(d: Drawer) -> tuple[int, ...]:
    """1 to 3 axes; in float32 short ones only: a coefficient is a sum over the transformed
    elements, and pocketfft and PyTorch's MKL round such sums of hundreds of terms differently
    by more than the float32 check's atol (the float64 checks draw the long axes)."""
    if d.dtype == np.float32:
        return d.draw(S.shapes(min_dims=1, max_dims=3, large=False))
    return d.shape(min_dims=1, max_dims=3)


def _fft_values(d: Drawer, shape, count: int):
    return d.values([shape] * count, ["real"] * count,
                    1.0 if d.dtype == np.float32 else None)


def _axes_and_sizes(d: Drawer, shape, sizes_needed: bool = False):
    ndim = len(shape)
    count = d.draw(st.integers(1, ndim))
    axes = tuple(d.draw(st.permutations(range(ndim)))[:count])
    sizes = None
    if sizes_needed or d.draw(st.booleans()):
        sizes = tuple(d.draw(st.integers(1, shape[a] + 2)) for a in axes)
    norm = d.draw(st.sampled_from([None, "backward", "ortho", "forward"]))
    return axes, sizes, norm


@spec("fft_c2c")
def _fft_c2c(d: Drawer) -> Case:
    shape = _fft_shape(d)
    a, b = _fft_values(d, shape, 2)
    axes, sizes, norm = _axes_and_sizes(d, shape)
    inverse = d.draw(st.booleans())
    name = "ifftn" if inverse else "fftn"
    numpy_fn = np.fft.ifftn if inverse else np.fft.fftn

    def call(L, x, y):
        return L.view_as_real(getattr(L.fft, name)(L.complex(x, y), s=sizes, dim=axes,
                                                   norm=norm))
    return Case((a, b), lambda x, y: call(cr, x, y), lambda x, y: call(torch, x, y),
                lambda x, y: _pairs(numpy_fn(x + 1j * y, s=sizes, axes=axes, norm=norm)),
                d.requires_grad(2),
                params={"fn": name, "axes": axes, "sizes": sizes, "norm": norm})


@spec("fft_r2c")
def _fft_r2c(d: Drawer) -> Case:
    (x,) = _fft_values(d, _fft_shape(d), 1)
    axes, sizes, norm = _axes_and_sizes(d, x.shape)

    def call(L, t):
        return L.view_as_real(L.fft.rfftn(t, s=sizes, dim=axes, norm=norm))
    return Case((x,), lambda t: call(cr, t), lambda t: call(torch, t),
                lambda a: _pairs(np.fft.rfftn(a, s=sizes, axes=axes, norm=norm)),
                params={"axes": axes, "sizes": sizes, "norm": norm})


@spec("fft_c2r")
def _fft_c2r(d: Drawer) -> Case:
    shape = _fft_shape(d)
    a, b = _fft_values(d, shape, 2)
    axes, sizes, norm = _axes_and_sizes(d, shape, sizes_needed=True)

    def call(L, x, y):
        return L.fft.irfftn(L.complex(x, y), s=sizes, dim=axes, norm=norm)
    return Case((a, b), lambda x, y: call(cr, x, y), lambda x, y: call(torch, x, y),
                lambda x, y: np.fft.irfftn(x + 1j * y, s=sizes, axes=axes, norm=norm),
                d.requires_grad(2), params={"axes": axes, "sizes": sizes, "norm": norm})
