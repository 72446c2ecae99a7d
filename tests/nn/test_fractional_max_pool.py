"""F.fractional_max_pool2d/3d and nn.FractionalMaxPool2d/3d against PyTorch 2.13 with the same
_random_samples: indices equal, values and gradients equal (float64 and float32), windows holding
NaN (PyTorch's kernel keeps the last NaN) and ties (the first maximum), unbatched inputs,
output_ratio, the module's buffer, and PyTorch's errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr


@st.composite
def cases(draw):
    dims = draw(st.sampled_from([2, 3]))
    spatial = tuple(draw(st.lists(st.integers(2, 8), min_size=dims, max_size=dims)))
    kernel = tuple(draw(st.integers(1, n)) for n in spatial)
    # 2-d: output + kernel − 1 ≤ n; 3-d: < n (PyTorch's 3-d kernel is strict)
    out = tuple(draw(st.integers(1, n - k + (1 if dims == 2 else 0)))
                for n, k in zip(spatial, kernel)
                if n - k + (1 if dims == 2 else 0) >= 1)
    if len(out) != dims:
        kernel = tuple(1 for _ in spatial)
        out = tuple(1 for _ in spatial)
    return dims, spatial, kernel, out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30, deadline=None)
@given(case=cases(), seed=st.integers(0, 9999), nan=st.booleans(), batched=st.booleans())
def test_matches_torch_with_the_same_samples(dtype, case, seed, nan, batched):
    dims, spatial, kernel, out = case
    rng = np.random.default_rng(seed)
    n, c = 2, 3
    x = rng.standard_normal((n, c) + spatial).round(1).astype(dtype)     # ties too
    if nan:
        x.reshape(-1)[rng.integers(0, x.size, 3)] = np.nan
    samples = rng.random((n, c, dims)).astype(dtype)
    if not batched:
        x, samples = x[0], samples[:1]
    name = f"fractional_max_pool{dims}d"
    tx, cx = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    a, ai = getattr(torch.nn.functional, name)(tx, kernel, output_size=out, return_indices=True,
                                                _random_samples=torch.from_numpy(samples))
    b, bi = getattr(cr.nn.functional, name)(cx, kernel, output_size=out, return_indices=True,
                                             _random_samples=cr.tensor(samples))
    np.testing.assert_array_equal(bi.numpy(), ai.numpy())
    assert b.dtype == cx.dtype and bi.dtype == cr.int64
    np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())
    g = rng.standard_normal(tuple(a.shape)).astype(dtype)
    a.backward(torch.from_numpy(g))
    b.backward(cr.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_modules_ratio_buffer_and_random_draws():
    samples = np.random.default_rng(0).random((1, 2, 2))
    theirs = torch.nn.FractionalMaxPool2d(2, output_ratio=0.5,
                                          _random_samples=torch.from_numpy(samples))
    ours = cr.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=cr.tensor(samples))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    assert ours.output_ratio == theirs.output_ratio == (0.5, 0.5)
    x = np.random.default_rng(1).standard_normal((1, 2, 7, 9))
    np.testing.assert_array_equal(ours(cr.tensor(x)).numpy(),
                                  theirs(torch.from_numpy(x)).numpy())
    drawn = cr.nn.FractionalMaxPool3d(2, output_size=(2, 2, 2), return_indices=True)
    y, idx = drawn(cr.randn(2, 3, 5, 5, 5))
    assert tuple(y.shape) == (2, 3, 2, 2, 2) and tuple(idx.shape) == (2, 3, 2, 2, 2)
    assert list(drawn.state_dict()) == []


def test_errors_match_torch():
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        cr.nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        cr.nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        cr.nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        cr.nn.functional.fractional_max_pool2d(cr.randn(1, 1, 9, 5), 2)
    with pytest.raises(RuntimeError, match="pool width 4 too large relative to input width 5"):
        cr.nn.functional.fractional_max_pool2d(cr.randn(1, 1, 9, 5), (2, 4), output_size=(2, 3))
    with pytest.raises(RuntimeError, match="pool time 2 too large relative to input time 5"):
        cr.nn.functional.fractional_max_pool3d(cr.randn(1, 1, 5, 9, 9), 2, output_size=4)
    with pytest.raises(RuntimeError, match="_random_samples.size\\(2\\) equals to 2; got 3"):
        cr.nn.functional.fractional_max_pool2d(cr.randn(1, 1, 9, 5), 2, output_size=2,
                                               _random_samples=cr.rand(1, 1, 3))
    with pytest.raises(TypeError):          # PyTorch's function takes no single-float ratio
        cr.nn.functional.fractional_max_pool2d(cr.randn(1, 1, 9, 5), 2, output_ratio=0.5)
