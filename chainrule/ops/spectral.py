r"""The short-time Fourier transform and its inverse (PyTorch's ``torch.stft``/``istft``), values
only: their gradients are not implemented, so an input that requires grad is refused (the
transforms of chainrule.fft, complex tensors in general, are differentiable: docs/pytorch.md).

    X[ω, m] = Σ_{k=0}^{n_fft−1} w[k] x[m·hop + k] e^{−2πi ωk/n_fft}

with the window w (``win_length`` samples, zero-padded to n_fft in the middle; a rectangle when
none is given), ``center=True`` first padding x by n_fft//2 on both sides (``pad_mode``,
reflect by default), ``normalized`` scaling by n_fft^{−1/2}, and ``onesided`` keeping the
n_fft//2 + 1 non-negative frequencies (the default for real input). The frames are a strided
view of the signal and one FFT transforms them all.

``istft`` inverts it by overlap-add: each frame's inverse FFT times w, added at its offset, then
divided by the overlap-added w² (which must not vanish: the window must satisfy the NOLA
condition), the centre padding cut off and the result cut or zero-padded to ``length``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend as B
from ..amp.autocast_mode import autocast_op
from ..tensor import Tensor, tensor_method
from .complex_values import _no_grad_through_complex

_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:               # PyTorch warns once per process (TORCH_WARN_ONCE)
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def _window(window, win_length: int, n_fft: int, dtype, op: str):
    """The window as a NumPy array of n_fft samples (centred, zero-padded)."""
    if window is None:
        w = np.ones(win_length, dtype=dtype)
    else:
        w = B.to_numpy(window._data)
        if w.ndim != 1 or w.shape[0] != win_length:
            raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to "
                               f"win_length={win_length}, but got window with size "
                               f"{list(w.shape)}")
    if win_length < n_fft:
        left = (n_fft - win_length) // 2
        w = np.pad(w, (left, n_fft - win_length - left))
    return w


def _lengths(op: str, n_fft: int, hop_length, win_length):
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if n_fft <= 0:
        raise RuntimeError(f"{op}: expected 0 < n_fft, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win}")
    return hop, win


@tensor_method
@autocast_op("stft")
def stft(input, n_fft: int, hop_length=None, win_length=None, window=None,  # noqa: A002
         center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided=None, return_complex=None) -> Tensor:
    """X[ω, m] = Σ_k w[k] x[m·hop + k] e^{−2πi ωk/n_fft} of a 1-D signal or a (B, L) batch
    (PyTorch's arguments and defaults; see the module)."""
    op = "stft"
    _no_grad_through_complex(op, input, window)
    x = B.to_numpy(input._data)
    is_complex = x.dtype.kind == "c"
    if return_complex is None and not is_complex:
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    if x.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {x.ndim}D tensor")
    if x.dtype.kind in "biu":
        raise RuntimeError(f"stft: expected a tensor of floating point or complex values, "
                           f"got {x.dtype}")
    hop, win = _lengths(op, n_fft, hop_length, win_length)
    if window is None:
        _warn_once("stft-window", "A window was not provided. A rectangular window will be "
                   "applied, which is known to cause spectral leakage.")
    if return_complex is False:
        _warn_once("stft-real", "stft with return_complex=False is deprecated; "
                   "view_as_real recovers the old format from the complex result.")
    batched = x.ndim == 2
    x = x if batched else x[None]
    real_dtype = np.float32 if x.dtype in (np.float32, np.complex64) else np.float64
    if center:
        pad = n_fft // 2
        mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                "circular": "wrap"}.get(pad_mode)
        if mode is None:
            raise RuntimeError(f"stft: unsupported pad_mode {pad_mode!r}")
        if mode == "reflect" and pad >= x.shape[-1]:
            raise RuntimeError(f"stft: padding size {pad} should be less than the input's "
                               f"length {x.shape[-1]} for reflect padding")
        x = np.pad(x, ((0, 0), (pad, pad)), mode=mode)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]}, but got n_fft={n_fft}")
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[:, ::hop]  # (B, M, n)
    w = _window(window, win, n_fft, real_dtype, op)
    onesided = (not is_complex and (window is None or B.dtype_kind(window.dtype) != "c")) \
        if onesided is None else onesided
    if onesided and is_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    spectrum = (np.fft.rfft if onesided else np.fft.fft)(frames * w, axis=-1,
                                                          norm="ortho" if normalized else None)
    out = np.swapaxes(spectrum, -1, -2)                   # (B, freq, frames)
    out = out.astype(np.complex64 if real_dtype == np.float32 else np.complex128, copy=False)
    out = out if batched else out[0]
    if not return_complex and return_complex is not None:
        out = np.stack([out.real, out.imag], -1)
    return Tensor._make(B.asarray_like(np.ascontiguousarray(out), input._data))


@tensor_method
def istft(input, n_fft: int, hop_length=None, win_length=None, window=None,  # noqa: A002
          center: bool = True, normalized: bool = False, onesided=None, length=None,
          return_complex: bool = False) -> Tensor:
    """The signal whose stft is the input, by windowed overlap-add (see the module)."""
    op = "istft"
    _no_grad_through_complex(op, input, window)
    spec = B.to_numpy(input._data)
    if spec.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    if spec.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex "
                           f"values, got {spec.ndim}")
    hop, win = _lengths(op, n_fft, hop_length, win_length)
    if window is None:
        _warn_once("istft-window", "A window was not provided. A rectangular window will be "
                   "applied. Please provide the same window used by stft to make the "
                   "inversion lossless.")
    batched = spec.ndim == 3
    spec = spec if batched else spec[None]
    real_dtype = np.float32 if spec.dtype == np.complex64 else np.float64
    onesided = (spec.shape[-2] != n_fft) if onesided is None else onesided
    expected = n_fft // 2 + 1 if onesided else n_fft
    if spec.shape[-2] != expected:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{spec.shape[-2]}" if onesided else
                           f"istft: expected the frequency dimension to match n_fft={n_fft} "
                           f"when onesided=False, but got {spec.shape[-2]}")
    norm = "ortho" if normalized else None
    frames = np.swapaxes(spec, -1, -2)                   # (B, M, freq)
    if onesided:
        if return_complex:
            raise RuntimeError("cannot have onesided output if window or input is complex")
        time = np.fft.irfft(frames, n=n_fft, axis=-1, norm=norm)
    else:
        time = np.fft.ifft(frames, n=n_fft, axis=-1, norm=norm)
        if not return_complex:
            time = time.real
    w = _window(window, win, n_fft, real_dtype, op)
    n_frames = frames.shape[1]
    total = n_fft + hop * (n_frames - 1)
    positions = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]).reshape(-1)
    weighted = (time * w).reshape(time.shape[0], -1)
    y = np.zeros((time.shape[0], total), dtype=weighted.dtype)
    np.add.at(y, (slice(None), positions), weighted)
    envelope = np.bincount(positions, weights=np.tile(w * w, n_frames), minlength=total)
    start = n_fft // 2 if center else 0
    end = total - (n_fft // 2 if center else 0) if length is None else start + int(length)
    end = min(end, total)
    if np.abs(envelope[start:end]).min(initial=np.inf) < 1e-11:
        raise RuntimeError("istft: window overlap add min: the window's squares add up to 0 "
                           "somewhere (it does not meet the NOLA condition)")
    y = y[:, start:end] / envelope[start:end]
    if length is not None and y.shape[-1] < int(length):
        y = np.pad(y, ((0, 0), (0, int(length) - y.shape[-1])))
    y = y.astype(np.complex64 if return_complex and real_dtype == np.float32 else
                 (np.complex128 if return_complex else real_dtype), copy=False)
    y = y if batched else y[0]
    return Tensor._make(B.asarray_like(np.ascontiguousarray(y), input._data))


__all__ = ["stft", "istft"]
