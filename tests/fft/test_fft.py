"""chainrule.fft against torch.fft on drawn shapes, dtypes, lengths, dims and norms; round trips;
and what chainrule refuses: a transform of a tensor that requires grad (complex values are not
differentiated), float16 (as PyTorch's CPU build)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

ONE_DIM = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
MANY = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn",
        "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}


def _input(draw, name, ndim_min):
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim_min, max_size=3)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    x = rng.normal(size=shape)
    if name not in REAL_ONLY and draw(st.booleans()):
        x = x + 1j * rng.normal(size=shape)
        dtype = {"float32": "complex64", "float64": "complex128"}[dtype]
    return x.astype(dtype)


def _both(name, x, **kwargs):
    """PyTorch's and chainrule's results, or both raise the same kind of error."""
    try:
        expected = getattr(torch.fft, name)(torch.tensor(x), **kwargs)
    except RuntimeError as exc:
        with pytest.raises(type(exc)):
            getattr(cr.fft, name)(cr.tensor(x), **kwargs)
        return
    _compare(expected, getattr(cr.fft, name)(cr.tensor(x), **kwargs))


def _compare(expected, got):
    expected = expected.resolve_conj()
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    assert tuple(got.shape) == tuple(expected.shape)
    single = got.dtype in (np.float32, np.complex64)
    scale = max(1.0, float(np.abs(expected.numpy()).max(initial=0)))
    tol = (2e-6 if single else 1e-13) * scale
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=tol, atol=tol)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", ONE_DIM)
def test_one_dimensional(name, data):
    x = _input(data.draw, name, 1)
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = data.draw(st.one_of(st.none(), st.integers(2, 9)))
    norm = data.draw(st.sampled_from([None, "backward", "ortho", "forward"]))
    _both(name, x, n=n, dim=dim, norm=norm)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", MANY)
def test_several_dimensions(name, data):
    x = _input(data.draw, name, 2)
    dims = data.draw(st.permutations(range(x.ndim)))[:2]
    s = data.draw(st.one_of(st.none(), st.lists(st.integers(2, 7), min_size=2, max_size=2)))
    norm = data.draw(st.sampled_from([None, "ortho", "forward"]))
    kwargs = {"dim": tuple(dims), "norm": norm, "s": None if s is None else tuple(s)}
    _both(name, x, **kwargs)


def test_round_trips():
    x = cr.tensor(np.random.default_rng(0).normal(size=(4, 10)))
    np.testing.assert_allclose(cr.fft.ifft(cr.fft.fft(x)).numpy().real, x.numpy(), atol=1e-14)
    np.testing.assert_allclose(cr.fft.irfft(cr.fft.rfft(x), n=10).numpy(), x.numpy(),
                               atol=1e-14)
    np.testing.assert_allclose(cr.fft.irfftn(cr.fft.rfftn(x), s=x.shape).numpy(), x.numpy(),
                               atol=1e-14)


def test_a_tensor_that_requires_grad_is_differentiated_as_by_pytorch():
    # (the full oracle and gradcheck suite is tests/complex_autograd/test_fft_grad.py)
    values = np.random.default_rng(1).normal(size=8)
    x = cr.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    cr.fft.rfft(x).abs().pow(2).sum().backward()
    torch.fft.rfft(t).abs().pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
    with cr.no_grad():
        assert not cr.fft.rfft(x).requires_grad
    assert cr.fft.rfft(x.detach()).shape == (5,)


def test_shifts_and_frequencies_are_differentiable_or_constant():
    x = cr.tensor(np.arange(6.0), requires_grad=True)
    cr.fft.fftshift(x).mul(cr.arange(6.0, dtype=cr.float64)).sum().backward()
    t = torch.tensor(np.arange(6.0), requires_grad=True)
    torch.fft.fftshift(t).mul(torch.arange(6.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    assert cr.fft.fftfreq(4, requires_grad=True).requires_grad


def test_float16_is_refused_as_by_pytorch():
    with pytest.raises(RuntimeError, match="Unsupported dtype Half"):
        torch.fft.fft(torch.ones(4, dtype=torch.float16))
    with pytest.raises(RuntimeError, match="Unsupported dtype Half"):
        cr.fft.fft(cr.ones(4, dtype=cr.float16))
