"""Window functions for spectral analysis (PyTorch's ``torch.hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``): w[n] for n = 0 … N − 1, symmetric
over N points, or ``periodic`` (the default: the first N of N + 1 symmetric points, as a window
that repeats with period N, for the FFT):

    Hamming:  α − β cos(2πn/(N−1))           (Hann: α = β = ½)
    Blackman: 0.42 − 0.5 cos(2πn/(N−1)) + 0.08 cos(4πn/(N−1))
    Bartlett: 1 − |2n/(N−1) − 1|
    Kaiser:   I₀(β √(1 − (2n/(N−1) − 1)²)) / I₀(β)
"""
from __future__ import annotations

import math
import operator

from ..backend import get_default_dtype, numpy_dtype, xp
from ..tensor import Tensor


def _window(name, length: int, periodic: bool, dtype, formula, requires_grad: bool) -> Tensor:
    length = operator.index(length)     # an int, or a 0-d integer tensor (as PyTorch takes)
    if length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={length}")
    dtype = numpy_dtype(dtype) if dtype is not None else get_default_dtype()
    if xp.dtype(dtype).kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    if length <= 1:
        values = xp.ones(length, dtype=dtype)
    else:
        points = length + 1 if periodic else length
        n = xp.arange(points, dtype=xp.float64)
        values = formula(n, points - 1)[:length].astype(dtype)
    out = Tensor._from_op(values, None)
    return out.requires_grad_(True) if requires_grad else out


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    return _window("hamming_window", window_length, periodic, dtype,
                   lambda n, m: alpha - beta * xp.cos(2 * math.pi * n / m), requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    return _window("hann_window", window_length, periodic, dtype,
                   lambda n, m: 0.5 - 0.5 * xp.cos(2 * math.pi * n / m), requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    return _window("blackman_window", window_length, periodic, dtype,
                   lambda n, m: (0.42 - 0.5 * xp.cos(2 * math.pi * n / m)
                                 + 0.08 * xp.cos(4 * math.pi * n / m)), requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, requires_grad: bool = False) -> Tensor:
    return _window("bartlett_window", window_length, periodic, dtype,
                   lambda n, m: 1 - xp.abs(2 * n / m - 1), requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None,
                  layout=None, device=None, requires_grad: bool = False) -> Tensor:
    return _window("kaiser_window", window_length, periodic, dtype,
                   lambda n, m: xp.i0(beta * xp.sqrt(xp.clip(1 - (2 * n / m - 1) ** 2, 0, None)))
                   / xp.i0(beta), requires_grad)
