"""Shared helpers of the complex-autograd tests: draw complex inputs, run one program under
chainrule and PyTorch (``fn(L, *tensors)`` with L the library), compare values and gradients."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

import chainrule as cr

RTOL, ATOL = 1e-12, 1e-12


def complex_array(rng: np.random.Generator, shape, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale


def like(rng: np.random.Generator, out) -> np.ndarray:
    """A random upstream gradient with the shape and kind (real or complex) of ``out``."""
    shape = tuple(out.shape)
    if out.is_complex():
        return complex_array(rng, shape).astype(np.complex128)
    return rng.standard_normal(shape)


def to_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    return t.detach().numpy()


def close(a, b, what: str, rtol: float = RTOL, atol: float = ATOL, scaled: bool = False) -> None:
    """Equal to rtol (elementwise) and atol; with ``scaled``, atol is relative to the largest
    magnitude of the expected array: a Fourier coefficient is a sum over the whole signal, and
    pocketfft and PyTorch's MKL round it differently by a few ulps *of the largest terms*, so a
    coefficient that cancels to a small value agrees only to that absolute accuracy."""
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape}, expected {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype}, expected {b.dtype}"
    if scaled and b.size:
        atol = atol * max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def compare(fn, arrays, seed: int = 0, rtol: float = RTOL, atol: float = ATOL,
            requires_grad=None, scaled: bool = False) -> None:
    """``fn`` under both libraries: values, then the gradients of every input for a random
    upstream gradient (complex where the output is complex), equal to PyTorch's (``scaled``:
    see :func:`close`)."""
    requires_grad = requires_grad or [True] * len(arrays)
    ours = [cr.tensor(a, requires_grad=rg) for a, rg in zip(arrays, requires_grad)]
    theirs = [torch.tensor(a, requires_grad=rg) for a, rg in zip(arrays, requires_grad)]
    out, expected = fn(cr, *ours), fn(torch, *theirs)
    close(out, expected, "forward", rtol, atol, scaled)
    g = like(np.random.default_rng(seed), expected)
    out.backward(cr.tensor(g))
    expected.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if not b.requires_grad:
            continue
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy()), f"input {i}: unexpected grad"
            continue
        close(a.grad, b.grad, f"gradient of input {i}", rtol, atol, scaled)


seeds = st.integers(0, 2**32 - 1)
