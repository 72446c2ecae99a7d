r"""The discrete Fourier transforms (PyTorch's ``torch.fft``), on NumPy's pocketfft.

For x₀ … x_{n−1} the transform and its inverse are

    X_k = Σ_j x_j e^{−2πi jk/n}          (``fft``; ``norm="backward"``, the default)
    x_j = (1/n) Σ_k X_k e^{+2πi jk/n}     (``ifft``)

``norm="ortho"`` scales both by 1/√n, ``norm="forward"`` puts the 1/n on the forward transform.
``rfft`` keeps the n//2 + 1 coefficients of a real signal (the others are their conjugates),
``irfft`` inverts it to a real signal, ``hfft``/``ihfft`` are the same pair for a signal whose
*spectrum* is real; the ``2``/``n`` forms transform over several dims (the last one the "real"
one for the r- and h-transforms). ``fftfreq``/``rfftfreq`` give the sample frequencies k/(n·d),
``fftshift``/``ifftshift`` roll the zero frequency to the middle and back.

dtypes as PyTorch: float32 (and integer or bool, through the default float dtype) → complex64,
float64 → complex128, and back for the real outputs; float16 is refused, as by PyTorch's CPU
build. Values: pocketfft's, a few units in the last place from PyTorch's MKL transforms.

Gradients: every transform is differentiable with PyTorch's complex conventions (z.grad =
∂L/∂x + i·∂L/∂y; chainrule/autograd/complex.py). Each is one of three primitives
(chainrule/fft/primitives.py: complex-to-complex, real-to-complex, complex-to-real), whose
gradient is the adjoint transform with the dual normalisation (rfft's adjoint pads the dropped
bins with zeros; irfft's doubles the interior bins, which stand for themselves and their
conjugates); hfft/ihfft add a ``conj``. ``fftshift``/``ifftshift`` (rolls) and
``fftfreq``/``rfftfreq`` are ordinary differentiable or constant tensors.
"""
from __future__ import annotations

import numpy as np

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..tensor import Tensor
from . import primitives as P

_NORMS = {None: "backward", "backward": "backward", "ortho": "ortho", "forward": "forward"}
_SWAPPED = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm) -> str:
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return _NORMS[norm]


def _array(op: str, input, real_only: bool = False):
    """The input as a NumPy array of a floating or complex dtype PyTorch's transforms take."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft.{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    a = B.to_numpy(input._data)
    kind = a.dtype.kind
    if a.dtype == np.float16:
        raise RuntimeError("Unsupported dtype Half")
    if kind in "biu":
        a = a.astype(B.get_default_dtype())
    if real_only and a.dtype.kind == "c":
        name = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}[a.dtype.name]
        if op in ("rfft2", "rfftn"):          # PyTorch's messages, one per family
            raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {name}")
        if op in ("ihfft2", "ihfftn"):
            raise RuntimeError(f"Only supports floating-point dtypes, but found: {name}")
        raise RuntimeError(f"{op} expects a real input tensor, but got {name}")
    return a


def _dims(op: str, ndim: int, dim, s, default_all: bool):
    """The transform's dims as non-negative ints (PyTorch's defaults and errors)."""
    if dim is None:
        if s is not None:
            dims = list(range(ndim - len(s), ndim))
        else:
            dims = list(range(ndim)) if default_all else [ndim - 1]
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
    out = []
    for d in dims:
        if ndim == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}], but got {d})")
        out.append(d % ndim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"fft.{op}: dims must be unique")
    if s is not None:
        if len(s) != len(out):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        for n in s:
            if n != -1 and n <= 0:
                raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return out


def _sizes(s, dims, shape):
    return None if s is None else [shape[d] if n == -1 else n for n, d in zip(s, dims)]


def _one(op: str, numpy_fn, input, n, dim, norm, real_only=False, swap=False, conj_in=False,
         conj_out=False) -> Tensor:
    a = _array(op, input, real_only)
    (axis,) = _dims(op, a.ndim, dim, None, False)
    if n is not None and n <= 0:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    if numpy_fn is np.fft.irfftn and (2 * (a.shape[axis] - 1) if n is None else n) <= 0:
        raise RuntimeError(f"Invalid number of data points ({2 * (a.shape[axis] - 1)}) "
                           f"specified")
    mode = _norm(norm)
    if swap:
        mode = _SWAPPED[mode]
    return _transform(numpy_fn, _source(input, a), [axis], None if n is None else [n], mode,
                      conj_in, conj_out)


def _many(op: str, numpy_fn, input, s, dim, norm, default_all, real_only=False, swap=False,
          conj_in=False, conj_out=False) -> Tensor:
    a = _array(op, input, real_only)
    dims = _dims(op, a.ndim, dim, s, default_all)
    sizes = _sizes(s, dims, a.shape)
    if numpy_fn is np.fft.irfftn and dims:
        last = 2 * (a.shape[dims[-1]] - 1) if sizes is None else sizes[-1]
        if last <= 0:
            raise RuntimeError(f"Invalid number of data points ({last}) specified")
    mode = _norm(norm)
    if swap:
        mode = _SWAPPED[mode]
    return _transform(numpy_fn, _source(input, a), dims, sizes, mode, conj_in, conj_out)


def _source(input, a) -> Tensor:  # noqa: A002
    """The tensor to transform: the input itself, or (an integer or bool input, which cannot
    require grad) its values in the default float dtype."""
    if a.dtype == input._data.dtype:
        return input
    return Tensor._make(B.asarray_like(a, input._data))


def _transform(numpy_fn, x: Tensor, axes, sizes, norm, conj_in, conj_out) -> Tensor:
    """The transform ``numpy_fn`` names, as one of the three differentiable primitives."""
    from ..ops import conj

    if conj_in:
        x = conj(x)
    if numpy_fn in (np.fft.fftn, np.fft.ifftn):
        out = P.c2c(x, axes, sizes, norm, numpy_fn is np.fft.fftn)
    elif numpy_fn is np.fft.rfftn:
        out = P.r2c(x, axes, sizes, norm)
    else:
        out = P.c2r(x, axes, sizes, norm)
    return conj(out) if conj_out else out


# ------------------------------------------------------------------ one dimension
@autocast_op("fft_fft")
def fft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """X_k = Σ_j x_j e^{−2πi jk/n} along ``dim`` (``n``: crop or zero-pad to n first)."""
    return _one("fft", np.fft.fftn, input, n, dim, norm)


@autocast_op("fft_ifft")
def ifft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """x_j = (1/n) Σ_k X_k e^{+2πi jk/n} along ``dim``."""
    return _one("ifft", np.fft.ifftn, input, n, dim, norm)


@autocast_op("fft_rfft")
def rfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """The n//2 + 1 non-redundant coefficients of the fft of a real signal."""
    return _one("rfft", np.fft.rfftn, input, n, dim, norm, real_only=True)


@autocast_op("fft_irfft")
def irfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """The real signal of n = 2(m − 1) samples (or ``n``) whose rfft is the input."""
    return _one("irfft", np.fft.irfftn, input, n, dim, norm)


@autocast_op("fft_hfft")
def hfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """The real spectrum of a signal with Hermitian symmetry given by its first half:
    irfft of the conjugate with the normalisation swapped."""
    return _one("hfft", np.fft.irfftn, input, n, dim, norm, swap=True, conj_in=True)


@autocast_op("fft_ihfft")
def ihfft(input, n=None, dim=-1, norm=None, *, out=None) -> Tensor:  # noqa: A002
    """The inverse of hfft: the conjugate of rfft with the normalisation swapped."""
    return _one("ihfft", np.fft.rfftn, input, n, dim, norm, real_only=True, swap=True,
                conj_out=True)


# ------------------------------------------------------------------ several dimensions
@autocast_op("fft_fft2")
def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("fft2", np.fft.fftn, input, s, dim, norm, False)


@autocast_op("fft_ifft2")
def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("ifft2", np.fft.ifftn, input, s, dim, norm, False)


@autocast_op("fft_rfft2")
def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("rfft2", np.fft.rfftn, input, s, dim, norm, False, real_only=True)


@autocast_op("fft_irfft2")
def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("irfft2", np.fft.irfftn, input, s, dim, norm, False)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("hfft2", np.fft.irfftn, input, s, dim, norm, False, swap=True, conj_in=True)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("ihfft2", np.fft.rfftn, input, s, dim, norm, False, real_only=True,
                 swap=True, conj_out=True)


@autocast_op("fft_fftn")
def fftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("fftn", np.fft.fftn, input, s, dim, norm, True)


@autocast_op("fft_ifftn")
def ifftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("ifftn", np.fft.ifftn, input, s, dim, norm, True)


@autocast_op("fft_rfftn")
def rfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("rfftn", np.fft.rfftn, input, s, dim, norm, True, real_only=True)


@autocast_op("fft_irfftn")
def irfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("irfftn", np.fft.irfftn, input, s, dim, norm, True)


def hfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("hfftn", np.fft.irfftn, input, s, dim, norm, True, swap=True, conj_in=True)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None) -> Tensor:  # noqa: A002
    return _many("ihfftn", np.fft.rfftn, input, s, dim, norm, True, real_only=True, swap=True,
                 conj_out=True)


# ------------------------------------------------------------------ frequencies and shifts
def _frequencies(values, dtype, requires_grad: bool) -> Tensor:
    dtype = B.numpy_dtype(dtype) if dtype is not None else B.get_default_dtype()
    out = Tensor._make(np.asarray(values).astype(dtype))
    return out.requires_grad_(True) if requires_grad else out


def fftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an fft of length n: [0, 1, …, ⌈n/2⌉ − 1, −⌊n/2⌋, …, −1]/(d n)."""
    return _frequencies(np.fft.fftfreq(n, d), dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an rfft of length n: [0, 1, …, n//2]/(d n)."""
    return _frequencies(np.fft.rfftfreq(n, d), dtype, requires_grad)


def _shift(input, dim, sign: int) -> Tensor:
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int)
                                                         else list(dim))
    return input.roll([sign * (input.shape[d] // 2) for d in dims], dims)


def fftshift(input, dim=None) -> Tensor:  # noqa: A002
    """The zero frequency rolled to the middle: a roll by ⌊n/2⌋ along each dim (differentiable)."""
    return _shift(input, dim, +1)


def ifftshift(input, dim=None) -> Tensor:  # noqa: A002
    """fftshift undone: a roll by −⌊n/2⌋ along each dim."""
    return _shift(input, dim, -1)


__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]
