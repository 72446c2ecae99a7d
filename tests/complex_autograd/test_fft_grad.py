"""Gradients of every ``chainrule.fft`` transform equal PyTorch's (float64/complex128, rtol
1e-12) for every norm, with crop/zero-pad lengths and any dims, and pass the complex gradcheck.

The delicate ones: rfft's adjoint pads the dropped bins with zeros; irfft's (and hfft's)
doubles the interior bins, which stand for themselves and their conjugates, and gives the
imaginary parts of the bins 0 and n/2 (ignored by the transform) a zero gradient.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

from .helpers import compare as compare_exactly
from .helpers import complex_array, seeds

# transforms: atol relative to the largest magnitude (pocketfft vs MKL: see helpers.close)
compare = partial(compare_exactly, scaled=True)

NORMS = [None, "backward", "ortho", "forward"]
ONE_DIM = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
MANY_DIMS = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2",
             "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}


def _input(rng, name: str, shape, kind: str):
    """A real input for the r-transforms and ihfft; otherwise complex, or (kind 'real') real."""
    if name in REAL_ONLY or kind == "real":
        return rng.standard_normal(shape)
    return complex_array(rng, shape)


@pytest.mark.parametrize("name", ONE_DIM)
@given(shape=S.shapes(min_dims=1, max_dims=3, max_side=6), seed=seeds,
       norm=st.sampled_from(NORMS), data=st.data(), kind=st.sampled_from(["complex", "real"]))
def test_one_dimensional_transforms(name, shape, seed, norm, data, kind):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    side = shape[dim]
    n = data.draw(st.one_of(st.none(), st.integers(1, 2 * side + 2)))
    if name in ("irfft", "hfft") and n is None and side < 2:
        n = 1 + data.draw(st.integers(0, 4))     # (the default 2(m − 1) needs m ≥ 2)
    compare(lambda L, x: getattr(L.fft, name)(x, n=n, dim=dim, norm=norm),
            [_input(rng, name, shape, kind)], seed)


@pytest.mark.parametrize("name", MANY_DIMS)
@given(shape=S.shapes(min_dims=2, max_dims=3, max_side=5), seed=seeds,
       norm=st.sampled_from(NORMS), data=st.data(), kind=st.sampled_from(["complex", "real"]))
def test_multi_dimensional_transforms(name, shape, seed, norm, data, kind):
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    if name.endswith("2"):
        dims = tuple(data.draw(st.permutations(range(ndim)))[:2])
    else:
        count = data.draw(st.integers(1, ndim))
        dims = tuple(data.draw(st.permutations(range(ndim)))[:count])
    s = None
    if data.draw(st.booleans()) or (name[:-1] in ("irfft", "hfft") or
                                    name[:-1] in ("irfftn", "hfftn")):
        s = tuple(data.draw(st.integers(1, shape[d] + 3)) for d in dims)
    compare(lambda L, x: getattr(L.fft, name)(x, s=s, dim=dims, norm=norm),
            [_input(rng, name, shape, kind)], seed)


def test_the_default_dims_and_lengths():
    rng = np.random.default_rng(0)
    z, x = complex_array(rng, (3, 4, 6)), rng.standard_normal((3, 4, 6))
    for name in ("fft", "ifft", "irfft", "hfft", "fft2", "ifft2", "irfft2", "hfft2", "fftn",
                 "ifftn", "irfftn", "hfftn"):
        compare(lambda L, t, name=name: getattr(L.fft, name)(t), [z])
    for name in ("rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"):
        compare(lambda L, t, name=name: getattr(L.fft, name)(t), [x])


@given(seed=seeds, n=st.integers(2, 9))
def test_the_doubled_bins_of_irfft(seed, n):
    """x₁ of irfft(X, n, norm="forward") is Re X₀ + 2 Σ Re(X_k e^{2πik/n}) (+ Re X_{n/2}·(−1)
    for even n), so its gradient is w_k e^{−2πik/n} with w = 2 on the interior bins, 1 on bins
    0 and n/2 (a closed form), and PyTorch's."""
    X = complex_array(np.random.default_rng(seed), (n // 2 + 1,))
    z = cr.tensor(X, requires_grad=True)
    cr.fft.irfft(z, n=n, norm="forward")[1].backward()
    k = np.arange(n // 2 + 1)
    w = np.where((k == 0) | (2 * k == n), 1.0, 2.0)
    np.testing.assert_allclose(z.grad.numpy(), w * np.exp(-2j * np.pi * k / n), rtol=1e-12,
                               atol=1e-15)
    t = torch.tensor(X, requires_grad=True)
    torch.fft.irfft(t, n=n, norm="forward")[1].backward()
    np.testing.assert_allclose(z.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2",
                                  "rfft2", "irfft2", "ihfftn"])
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_gradcheck(name, norm):
    rng = np.random.default_rng(1)
    real = name in REAL_ONLY
    shape = (2, 4) if "2" in name or name.endswith("n") else (5,)
    a = rng.standard_normal(shape) if real else complex_array(rng, shape)
    assert cr.gradcheck(lambda t: getattr(cr.fft, name)(t, norm=norm), a)


@given(seed=seeds, shape=S.shapes(min_dims=1, max_dims=2, max_side=8))
def test_spectral_loss_trains_as_in_pytorch(seed, shape):
    """torch.fft.rfft(x).abs().pow(2).sum().backward(): Parseval's theorem says the gradient is
    2·n·x up to the doubled bins, and it must be PyTorch's exactly."""
    x = np.random.default_rng(seed).standard_normal(shape)
    compare(lambda L, t: L.fft.rfft(t).abs().pow(2).sum(), [x], seed)
    compare(lambda L, t: (L.fft.fft(t, norm="ortho").abs() ** 2).sum(), [x], seed)


def test_parseval_gradient_of_the_full_transform():
    """Σ|F x|² = n·Σ|x|², so the gradient is 2n·x (a closed form, no oracle needed)."""
    x = np.random.default_rng(2).standard_normal(8)
    t = cr.tensor(x, requires_grad=True)
    (cr.fft.fft(t).abs() ** 2).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 16 * x, rtol=1e-12)


def test_fft_round_trip_and_second_order_gradients():
    z0 = complex_array(np.random.default_rng(4), (6,))
    results = []
    for L in (cr, torch):
        z = L.tensor(z0, requires_grad=True)
        y = L.fft.irfft(L.fft.fft(z) * z.conj(), n=10)
        (g,) = L.autograd.grad((y ** 2).sum(), z, create_graph=True)
        (g.abs() ** 2).sum().backward()
        results.append((g.detach(), z.grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.numpy(), theirs.resolve_conj().numpy(), rtol=1e-11,
                                   atol=1e-11)


def test_fftshift_and_a_complex_model_with_view_as_complex():
    rng = np.random.default_rng(5)
    p = rng.standard_normal((4, 3, 2))
    compare(lambda L, t: L.fft.fftshift(L.fft.ifft(L.view_as_complex(t), dim=0)).abs(), [p])
