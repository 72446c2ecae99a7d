"""chainrule.autocast against torch.autocast('cpu', dtype=torch.float16): the output dtype of
every case in cases.py, its values (to float16's last bit), the gradients reaching float32 master
weights, and the region's state, errors and cast cache."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule
from chainrule.amp import autocast_mode

from .cases import CASES, IMG, K2, Q, W, X

torch = pytest.importorskip("torch")


def _under_autocast(L, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with L.autocast("cpu", dtype=L.float16):
            return case(L)


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place between float16 arrays of one sign pattern."""
    return np.abs(a.view(np.int16).astype(np.int64) - b.view(np.int16).astype(np.int64))


@pytest.mark.parametrize("name", sorted(CASES))
def test_dtype_and_values_match_pytorch(name):
    expected = _under_autocast(torch, CASES[name])
    got = _under_autocast(chainrule, CASES[name])
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    e, g = expected.detach().numpy(), got.detach().numpy()
    if e.dtype == np.float16:
        # float32 products of float16-rounded inputs, rounded once: PyTorch's arithmetic up to
        # float32 summation order, so at most one float16 ulp apart
        assert _ulps(e, g).max() <= 1
    else:
        np.testing.assert_allclose(g, e, rtol=5e-7, atol=1e-7)


def _grads(L, op):
    x = L.tensor(X, requires_grad=True)
    w = L.tensor(W, requires_grad=True)
    img = L.tensor(IMG, requires_grad=True)
    k = L.tensor(K2, requires_grad=True)
    q = L.tensor(Q, requires_grad=True)
    F = L.nn.functional
    with L.autocast("cpu", dtype=L.float16):
        out = {"linear": lambda: F.linear(x, w),
               "matmul": lambda: (x @ w.T) @ w,          # the cached cast of w used twice
               "conv2d": lambda: F.conv2d(img, k, padding=1),
               "sdpa": lambda: F.scaled_dot_product_attention(q, q, q)}[op]()
        loss = (out.float() ** 2).sum() * 0.01
    loss.backward()
    return [t.grad for t in (x, w, img, k, q) if t.grad is not None]


@pytest.mark.parametrize("op", ["linear", "matmul", "conv2d", "sdpa"])
def test_gradients_reach_float32_master_weights(op):
    expected, got = _grads(torch, op), _grads(chainrule, op)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert g.dtype == chainrule.float32          # widened from float16 by the cast's VJP
        e, g = e.numpy(), g.numpy()
        if op != "matmul":      # one float16 gradient each (matmul: two summed in float32)
            assert np.array_equal(g, g.astype(np.float16).astype(np.float32))
            assert _ulps(e.astype(np.float16), g.astype(np.float16)).max() <= 2
        np.testing.assert_allclose(g, e, rtol=2.0**-9, atol=1e-4)


def test_cast_is_differentiable_and_cached():
    w = chainrule.tensor(W, requires_grad=True)
    with chainrule.autocast("cpu", dtype=chainrule.float16):
        a = chainrule.nn.functional.linear(chainrule.tensor(X), w)
        assert len(autocast_mode._State.cache) == 1     # one float16 copy of w, shared
        b = chainrule.nn.functional.linear(chainrule.tensor(X), w)
        (a.float().sum() + b.float().sum()).backward()
    assert autocast_mode._State.cache == {}             # cleared by the outermost exit
    # one float16 gradient per use, summed in float16 at the shared cast, widened once
    once = X.astype(np.float16).astype(np.float32).sum(0).astype(np.float16)
    expected = (once + once).astype(np.float32)
    np.testing.assert_array_equal(w.grad.numpy(), np.broadcast_to(expected, W.shape))


def test_cache_disabled():
    w = chainrule.tensor(W, requires_grad=True)
    with chainrule.autocast("cpu", dtype=chainrule.float16, cache_enabled=False):
        chainrule.nn.functional.linear(chainrule.tensor(X), w)
        assert autocast_mode._State.cache == {}


def test_region_state_like_pytorch():
    for L in (torch, chainrule):
        assert not L.is_autocast_enabled("cpu")
        with L.autocast("cpu", dtype=L.float16):
            assert L.is_autocast_enabled("cpu") and not L.is_autocast_enabled()
            assert L.get_autocast_dtype("cpu") == L.float16
            with L.autocast("cpu", enabled=False):
                assert not L.is_autocast_enabled("cpu")
                assert L.nn.functional.linear(L.ones(2, 3), L.ones(4, 3)).dtype == L.float32
            assert L.is_autocast_enabled("cpu")
            assert L.is_autocast_cache_enabled()
        assert not L.is_autocast_enabled("cpu")
        assert L.get_autocast_dtype("cuda") == L.float16


def test_decorator_and_amp_spelling():
    @chainrule.amp.autocast("cpu", dtype=chainrule.float16)
    def forward(x, w):
        return x @ w

    assert forward(chainrule.ones(2, 3), chainrule.ones(3, 2)).dtype == chainrule.float16
    assert not chainrule.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="requires a callable"):
        chainrule.autocast("cpu", dtype=chainrule.float16)(3)


def test_set_autocast_enabled_and_dtype():
    chainrule.set_autocast_dtype("cpu", chainrule.float16)
    chainrule.set_autocast_enabled("cpu", True)
    try:
        assert chainrule.mm(chainrule.ones(2, 2), chainrule.ones(2, 2)).dtype == chainrule.float16
    finally:
        chainrule.set_autocast_enabled("cpu", False)
        autocast_mode._State.dtype["cpu"] = autocast_mode._BFLOAT16
    assert chainrule.mm(chainrule.ones(2, 2), chainrule.ones(2, 2)).dtype == chainrule.float32


def test_bfloat16_is_refused_clearly():
    with pytest.raises(RuntimeError, match="bfloat16.*dtype=chainrule.float16"):
        chainrule.autocast("cpu")
    with pytest.raises(RuntimeError, match="NumPy.*has no bfloat16"):
        chainrule.autocast("cpu", dtype="bfloat16")
    with pytest.raises(RuntimeError, match="bfloat16"):
        chainrule.get_autocast_dtype("cpu")
    with chainrule.autocast("cpu", enabled=False):     # no dtype needed when off
        assert not chainrule.is_autocast_enabled("cpu")


def test_unsupported_dtype_and_device_warn_and_disable_as_pytorch():
    for L in (torch, chainrule):
        with pytest.warns(UserWarning, match="target dtype is not supported"):
            region = L.autocast("cpu", dtype=L.float32)
        with region:
            assert not L.is_autocast_enabled("cpu")
        with pytest.warns(UserWarning, match="CUDA is not available"):
            region = L.autocast("cuda")
        with region:
            assert not L.is_autocast_enabled("cuda")
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        chainrule.autocast("tpu")
    with pytest.raises(ValueError, match="device_type"):
        chainrule.autocast(0)


def test_float64_is_not_cast_and_mixing_it_is_an_error():
    with chainrule.autocast("cpu", dtype=chainrule.float16):
        x64 = chainrule.tensor(X, dtype=chainrule.float64)
        assert chainrule.nn.functional.linear(x64, x64).dtype == chainrule.float64
        with pytest.raises(RuntimeError, match="linear.*float64"):
            chainrule.nn.functional.linear(x64, chainrule.tensor(W))


def test_recurrent_layers_without_a_faithful_policy_raise():
    with chainrule.autocast("cpu", dtype=chainrule.float16):
        with pytest.raises(NotImplementedError, match="rnn under autocast"):
            chainrule.nn.RNN(8, 3)(chainrule.randn(4, 1, 8))
        with pytest.raises(NotImplementedError, match="lstm under autocast"):
            chainrule.nn.LSTM(8, 3)(chainrule.randn(4, 1, 8))
        with pytest.raises(NotImplementedError, match="einsum under autocast"):
            chainrule.einsum("ij,jk,kl->il", *[chainrule.ones(2, 2)] * 3)


def test_deprecated_spellings():
    with pytest.warns(DeprecationWarning):
        assert chainrule.is_autocast_cpu_enabled() is False
    with pytest.warns(DeprecationWarning):
        assert chainrule.get_autocast_gpu_dtype() == chainrule.float16


def test_policy_tables_follow_aten():
    assert {"linear", "matmul", "conv2d", "bmm", "addmm"} <= autocast_mode.LOWER_PRECISION_FP
    assert {"mse_loss", "cross_entropy_loss", "nll_loss", "prod"} <= autocast_mode.FP32
    assert autocast_mode.PROMOTE == {"cat", "stack", "index_copy"}
    assert not autocast_mode.LOWER_PRECISION_FP & autocast_mode.FP32
    assert chainrule.nn.functional.linear.autocast_policy == ("linear", "lower_precision_fp")


def test_formula():
    text = str(chainrule.autocast.formula())
    assert "fl₁₆" in text and "65504" in text
    assert "L_s = s · L" in str(chainrule.amp.GradScaler.formula())
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("path")
    for latex in chainrule.autocast.latex + chainrule.amp.GradScaler.latex:
        parser.parse(f"${latex}$")              # the docs render every formula
