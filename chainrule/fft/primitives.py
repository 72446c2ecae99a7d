r"""The three Fourier-transform primitives behind ``chainrule.fft``, with their adjoints.

Every ``torch.fft`` transform is one of these (hfft and ihfft add a ``conj``):

- ``fft_c2c``: X = F x over ``axes`` (``forward``: e^{−2πi jk/n}, else the inverse e^{+2πi jk/n}),
  after cropping or zero-padding x to ``sizes``. F is complex-linear, so its gradient is the
  adjoint Fᴴ g: the opposite-direction transform with the *dual* normalisation (backward ↔
  forward, ortho ↔ ortho), cropped or zero-padded back to x's lengths.
- ``fft_r2c`` (rfftn): the first n//2 + 1 coefficients along the last axis of F x, x real.
  Gradient: Re Fᴴ g₊, where g₊ is g zero-padded to n along the last axis (the bins rfft drops
  receive no gradient), then fitted to x's lengths.
- ``fft_c2r`` (irfftn): the real signal of lengths ``sizes`` whose half-spectrum is X (the
  other half taken as the conjugates; the imaginary parts of the bins 0 and n/2 are ignored).
  It is real-linear: each interior bin k appears twice in the signal (as X_k and its conjugate),
  so the gradient is the rfftn of g (dual normalisation) with the bins 1 … ⌈n/2⌉ − 1 doubled,
  fitted to X's lengths.

These are PyTorch's conventions (z.grad = ∂L/∂x + i·∂L/∂y: chainrule/autograd/complex.py).
The transforms run on the host with NumPy's pocketfft; each rule dispatches on Tensors to the
primitives themselves, so a backward with ``create_graph=True`` is differentiable too.
"""
from __future__ import annotations

import numpy as np

from .. import backend as B
from ..autograd.complex import real_part
from ..autograd.function import Function, primitive
from ..tensor import Tensor

DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _numpy(fn, x, **kwargs):
    """NumPy's transform of an array of any library, back in that library; NumPy's
    ValueErrors are PyTorch's RuntimeErrors."""
    try:
        out = fn(B.to_numpy(x), **kwargs)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    return B.asarray_like(np.ascontiguousarray(out), x)


def fit(g, axes, lengths):
    """``g`` cropped or zero-padded at the end of each of ``axes`` to ``lengths`` (the adjoint
    of the transforms' own crop-or-pad)."""
    index, widths, pad = [slice(None)] * g.ndim, [(0, 0)] * g.ndim, False
    for axis, n in zip(axes, lengths):
        if g.shape[axis] > n:
            index[axis] = slice(0, n)
        elif g.shape[axis] < n:
            widths[axis], pad = (0, n - g.shape[axis]), True
    g = g[tuple(index)]
    if pad:
        if isinstance(g, Tensor):
            from ..ops import pad as pad_tensor

            return pad_tensor(g, widths)
        g = B.asarray_like(np.pad(B.to_numpy(g), widths), g)
    return g


def c2c(x, axes, sizes, norm, forward):
    return _apply(FftC2C, x, axes=axes, sizes=sizes, norm=norm, forward=forward)


def r2c(x, axes, sizes, norm):
    return _apply(FftR2C, x, axes=axes, sizes=sizes, norm=norm)


def c2r(x, axes, sizes, norm):
    return _apply(FftC2R, x, axes=axes, sizes=sizes, norm=norm)


class _Plain:
    """A stand-in context for running a forward on arrays outside the graph."""


def _apply(cls, x, **params):
    if isinstance(x, Tensor):
        return cls.apply(x, **params)
    return cls.forward(_Plain(), x, **params)


def _lengths(x, axes):
    return tuple(x.shape[a] for a in axes)


@primitive
class FftC2C(Function):
    """Complex-to-complex discrete Fourier transform over several axes.

    Forward:     X = F x,  X_k = s Σ_j x_j e^{∓2πi jk/n}  (s: 1, 1/n or 1/√n by ``norm``)
    Derivative:  F is complex-linear (holomorphic): ∂X/∂x = F
    VJP:         grad_x = Fᴴ g: the opposite transform with the dual norm, fitted to x
    Numerics:    NumPy's pocketfft (a few ulps from PyTorch's MKL).
    """

    name = "fft_c2c"
    array_api = True
    complex_grad = "explicit"
    text = ("X_k = s Σ_j x_j e^{∓2πi jk/n}", "grad_x = Fᴴ g  (the inverse direction, dual norm)")
    latex = (r"X_k = s \sum_j x_j e^{\mp 2\pi i jk/n}", r"\nabla_x L = F^{H} g")
    explanation = "A Fourier transform is linear; its adjoint is the transform the other way."
    reference = staticmethod(lambda x, axes, sizes, norm, forward: (
        np.fft.fftn if forward else np.fft.ifftn)(x, s=sizes, axes=axes, norm=norm))

    @staticmethod
    def forward(ctx, x, axes, sizes, norm, forward):
        ctx.args = (tuple(axes), norm, forward, _lengths(x, axes))
        fn = np.fft.fftn if forward else np.fft.ifftn
        return _numpy(fn, x, s=sizes, axes=axes, norm=norm)

    @staticmethod
    def vjp(ctx, g):
        axes, norm, forward, lengths = ctx.args
        return fit(c2c(g, axes, None, DUAL[norm], not forward), axes, lengths)


@primitive
class FftR2C(Function):
    """Real-to-complex (one-sided) discrete Fourier transform over several axes.

    Forward:     X = the first n//2 + 1 bins (last axis) of F x, x real
    Derivative:  real-linear: ∂X/∂x = those rows of F
    VJP:         grad_x = Re Fᴴ g₊  (g₊: g zero-padded to n on the last axis), fitted to x
    Numerics:    NumPy's pocketfft; the adjoint is a full complex inverse transform.
    """

    name = "fft_r2c"
    array_api = True
    complex_grad = "explicit"
    text = ("X = (F x)[…, :n//2 + 1]", "grad_x = Re Fᴴ [g, 0]")
    latex = (r"X = (F x)_{0 \ldots n/2}",
             r"\nabla_x L = \operatorname{Re} F^{H} (g, 0)")
    explanation = "The half spectrum is a linear map of the real signal: its adjoint pads the "\
        "missing bins with zeros and transforms back."
    reference = staticmethod(lambda x, axes, sizes, norm: np.fft.rfftn(x, s=sizes, axes=axes,
                                                                       norm=norm))

    @staticmethod
    def forward(ctx, x, axes, sizes, norm):
        full = _lengths(x, axes) if sizes is None else tuple(sizes)
        ctx.args = (tuple(axes), norm, full, _lengths(x, axes))
        return _numpy(np.fft.rfftn, x, s=sizes, axes=axes, norm=norm)

    @staticmethod
    def vjp(ctx, g):
        axes, norm, full, lengths = ctx.args
        padded = fit(g, axes[-1:], full[-1:])
        return fit(real_part(c2c(padded, axes, None, DUAL[norm], False)), axes, lengths)


@primitive
class FftC2R(Function):
    """Complex-to-real (Hermitian half-spectrum) inverse transform over several axes.

    Forward:     x = F⁻¹ of the spectrum whose last-axis half is X (the rest its conjugates)
    Derivative:  real-linear; the interior bins enter twice (as X_k and conj X_k)
    VJP:         grad_X = rfftn(g) with the dual norm, bins 1 … ⌈n/2⌉ − 1 doubled, fitted to X
    Numerics:    NumPy's pocketfft; the imaginary parts of bins 0 and n/2 are ignored (gradient
                 0 there, as PyTorch's).
    """

    name = "fft_c2r"
    array_api = True
    complex_grad = "explicit"
    text = ("x = irfftn(X)", "grad_X = 2·rfftn(g) on bins 1 … ⌈n/2⌉ − 1, rfftn(g) on 0 and n/2")
    latex = (r"x = \mathcal{F}^{-1}_{\mathbb{R}} X",
             r"\nabla_X L = w \odot \mathcal{F}_{\mathbb{R}}\, g,\ w_k = 2 \text{ for } "
             r"0 < k < n/2")
    explanation = "Each interior half-spectrum bin stands for itself and its conjugate, so its "\
        "gradient counts twice."
    reference = staticmethod(lambda x, axes, sizes, norm: np.fft.irfftn(x, s=sizes, axes=axes,
                                                                        norm=norm))

    @staticmethod
    def forward(ctx, x, axes, sizes, norm):
        ctx.args = (tuple(axes), norm, _lengths(x, axes))
        out = _numpy(np.fft.irfftn, x, s=sizes, axes=axes, norm=norm)
        ctx.n = out.shape[axes[-1]]
        return out

    @staticmethod
    def vjp(ctx, g):
        axes, norm, lengths = ctx.args
        n = ctx.n
        spectrum = r2c(g, axes, None, DUAL[norm])
        weights = np.ones(n // 2 + 1)
        weights[1:(n + 1) // 2] = 2.0
        shape = [1] * spectrum.ndim
        shape[axes[-1]] = n // 2 + 1
        real = np.float32 if B.dtype_kind(g.dtype) == "f" and g.dtype == np.float32 \
            else np.float64
        w = B.asarray_like(weights.astype(real).reshape(shape),
                           g._data if isinstance(g, Tensor) else g)
        return fit(spectrum * w, axes, lengths)
