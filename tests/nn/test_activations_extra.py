"""The extra activations (functional and module) against PyTorch 2.13 in float64: values,
gradients (including PyTorch's conventions at the kinks), gradcheck, double backward, inplace=."""
from __future__ import annotations

import numpy as np
import pytest
import strategies as S
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from nn.layer_harness import check_against_torch, check_basics, check_gradcheck

RTOL, ATOL = 1e-10, 1e-12

# name → (chainrule call, torch call); both take (x) with fixed extra arguments
FUNCTIONS = {
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0)),
    "relu6": (F.relu6, TF.relu6),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "hardswish": (F.hardswish, TF.hardswish),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "selu": (F.selu, TF.selu),
    "glu": (lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0)),
    "mish": (F.mish, TF.mish),
    "softsign": (F.softsign, TF.softsign),
    "softmin": (lambda x: F.softmin(x, -1), lambda x: TF.softmin(x, -1)),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink),
    "softshrink": (lambda x: F.softshrink(x, 0.7), lambda x: TF.softshrink(x, 0.7)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.7), lambda x: TF.hardshrink(x, 0.7)),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: TF.threshold(x, 0.3, -2.0)),
    "rrelu_eval": (F.rrelu, TF.rrelu),
    "prelu_scalar": (lambda x: F.prelu(x, cr.tensor([0.3], dtype=cr.float64)),
                     lambda x: TF.prelu(x, torch.tensor([0.3], dtype=torch.float64))),
}
# Points where the functions have kinks: PyTorch's one-sided conventions must be followed.
KINKS = np.array([-3.0, -2.0, -0.7, -0.5, 0.0, 0.3, 0.7, 1.0, 2.0, 3.0, 6.0, -6.0])


def _compare(cr_fn, t_fn, x: np.ndarray, rtol=RTOL, atol=ATOL) -> None:
    a = cr.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    y, ty = cr_fn(a), t_fn(t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    assert y.dtype == np.float64 and tuple(y.shape) == tuple(ty.shape)
    w = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    (y * cr.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=25, deadline=None)
@given(shape=S.shapes(min_dims=1, max_dims=3), seed=st.integers(0, 2**16))
def test_matches_torch_on_drawn_shapes(name, shape, seed):
    if name == "glu":
        shape = (2 * shape[0],) + tuple(shape[1:])
    x = 3.0 * np.random.default_rng(seed).standard_normal(shape)
    _compare(*FUNCTIONS[name], x)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_and_gradients_at_the_kinks_match_torch(name):
    x = np.concatenate([KINKS, -KINKS])
    _compare(*FUNCTIONS[name], x)


def test_celu_gradient_with_alpha_not_representable_in_float32():
    """PyTorch's celu backward rounds α to float32 (derivatives.yaml: 1.0/alpha.toFloat()), so its
    float64 gradient for x ≤ 0 is (α/α₃₂)·e^{x/α₃₂} with α₃₂ = float32(α): a relative error of
    about (1 + |x/α|)·δ, δ = |α − α₃₂|/α ≈ 1.7e-8. chainrule's is exact: compare it tightly
    with the closed form and with PyTorch to the size of PyTorch's rounding."""
    x = np.linspace(-3, 3, 13)
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.celu(a, 0.7).sum().backward()
    TF.celu(t, 0.7).sum().backward()
    exact = np.where(x > 0, 1.0, np.exp(x / 0.7))
    np.testing.assert_allclose(a.grad.numpy(), exact, rtol=1e-14)
    bound = (1 + np.abs(x / 0.7)) * abs(0.7 - float(np.float32(0.7))) / 0.7
    assert np.all(np.abs(a.grad.numpy() - t.grad.numpy()) <= 1.01 * bound * np.abs(exact))


@pytest.mark.parametrize("name", ["hardtanh", "hardswish", "logsigmoid", "celu", "selu", "glu",
                                  "mish", "softsign", "softmin", "tanhshrink", "softshrink",
                                  "hardshrink", "threshold", "prelu_scalar"])
def test_gradcheck_and_double_backward(name):
    cr_fn, t_fn = FUNCTIONS[name]
    rng = np.random.default_rng(1)
    x = 2.5 * rng.standard_normal((2, 4))
    assert cr.gradcheck(cr_fn, x, eps=1e-6, atol=1e-5, rtol=1e-3)
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    v = rng.standard_normal(x.shape)
    (g,) = cr.autograd.grad((cr_fn(a) ** 2).sum(), [a], create_graph=True)
    (tg,) = torch.autograd.grad((t_fn(t) ** 2).sum(), [t], create_graph=True)
    (gg,) = cr.autograd.grad((g * cr.tensor(v)).sum(), [a])
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [t])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


def test_hardsigmoid_second_derivative_is_zero():
    """PyTorch has no double backward for hardsigmoid; the exact one is 0 away from ±3."""
    a = cr.tensor(np.array([-4.0, -1.0, 0.5, 2.0, 5.0]), requires_grad=True)
    (g,) = cr.autograd.grad(F.hardsigmoid(a).sum(), [a], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.float32(1 / 6) * np.array([0, 1, 1, 1, 0]))
    # the first derivative is piecewise constant: it does not depend on x at all
    assert not g.requires_grad or not np.any(
        cr.autograd.grad((g * g).sum(), [a], allow_unused=True)[0].numpy())


def test_logsigmoid_tails_are_accurate():
    x = np.array([-800.0, -40.0, -1e-3, 0.0, 40.0, 800.0])
    _compare(F.logsigmoid, TF.logsigmoid, x, rtol=1e-14, atol=0)


def test_prelu_per_channel_weight_broadcasts_on_dim_1():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    w = rng.uniform(0.1, 0.5, 3)
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    wa, wt = cr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.prelu(a, wa).sum().backward()
    TF.prelu(t, wt).sum().backward()
    np.testing.assert_allclose(F.prelu(a, wa).detach().numpy(), TF.prelu(t, wt).detach().numpy(),
                               rtol=RTOL)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=RTOL)
    np.testing.assert_allclose(wa.grad.numpy(), wt.grad.numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError, match="prelu"):
        F.prelu(a, cr.tensor([0.1, 0.2], dtype=cr.float64))


def test_rrelu_training_draws_slopes_in_range_from_the_seeded_generator():
    x = -np.abs(np.random.default_rng(3).standard_normal(1000)) - 0.1
    cr.manual_seed(7)
    y1 = F.rrelu(cr.tensor(x), 0.1, 0.3, training=True).numpy()
    cr.manual_seed(7)
    y2 = F.rrelu(cr.tensor(x), 0.1, 0.3, training=True).numpy()
    np.testing.assert_array_equal(y1, y2)
    slopes = y1 / x
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    a = cr.tensor(x, requires_grad=True)
    cr.manual_seed(7)
    F.rrelu(a, 0.1, 0.3, training=True).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), slopes, rtol=1e-12)
    pos = np.abs(x)
    np.testing.assert_array_equal(F.rrelu(cr.tensor(pos), training=True).numpy(), pos)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "hardtanh", "relu6",
                                  "hardsigmoid", "hardswish", "celu", "selu", "mish",
                                  "threshold", "rrelu"])
def test_inplace_writes_into_the_input_and_keeps_gradients(name):
    args = (0.1, -1.0) if name == "threshold" else ()
    x = np.array([-2.5, -0.4, 0.0, 0.6, 3.5, 7.0])
    a = cr.tensor(x, requires_grad=True)
    b = a * 1.5
    version = b._version if hasattr(b, "_version") else None
    out = getattr(F, name)(b, *args, inplace=True)
    assert out is b
    if version is not None:
        assert b._version > version
    (out * out).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    tb = t * 1.5
    tout = getattr(TF, name)(tb, *args, inplace=True)
    (tout * tout).sum().backward()
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=RTOL)


def test_inplace_on_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError):
        F.relu(cr.tensor([1.0, -1.0], requires_grad=True), inplace=True)


@pytest.mark.parametrize("module", ["ReLU", "LeakyReLU", "ELU", "SiLU", "Hardtanh", "ReLU6",
                                    "Hardswish", "Hardsigmoid", "CELU", "SELU", "Mish", "RReLU"])
def test_modules_inplace(module):
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    a = cr.tensor(x)
    out = getattr(cr.nn, module)(inplace=True).eval()(a)
    expected = getattr(torch.nn, module)(inplace=True).eval()(torch.tensor(x))
    assert out is a
    assert repr(getattr(cr.nn, module)(inplace=True)) == repr(getattr(torch.nn, module)(
        inplace=True))
    np.testing.assert_allclose(a.numpy(), expected.numpy(), rtol=RTOL)


MODULES = [
    ("CELU", dict(alpha=1.5)), ("SELU", {}), ("GLU", dict(dim=1)), ("Hardtanh", dict(min_val=-2.0)),
    ("ReLU6", {}), ("Hardswish", {}), ("Hardsigmoid", {}), ("Mish", {}), ("Softsign", {}),
    ("Softmin", dict(dim=1)), ("Tanhshrink", {}), ("Softshrink", dict(lambd=0.3)),
    ("Hardshrink", dict(lambd=0.3)), ("LogSigmoid", {}), ("Threshold", dict(threshold=0.1,
                                                                             value=20.0)),
    ("RReLU", dict(lower=0.1, upper=0.4)), ("PReLU", {}), ("PReLU", dict(num_parameters=4,
                                                                          init=0.1)),
]


@pytest.mark.parametrize("module,kwargs", MODULES)
def test_modules_match_torch(module, kwargs):
    x = 2.0 * np.random.default_rng(4).standard_normal((3, 4, 5))
    cr_layer = getattr(cr.nn, module)(**kwargs)
    torch_layer = getattr(torch.nn, module)(**kwargs)
    if module == "PReLU":   # distinct slopes so the per-channel broadcast is tested
        with torch.no_grad():
            torch_layer.weight.copy_(torch.linspace(0.1, 0.4, torch_layer.weight.numel()))
    check_against_torch(cr_layer, torch_layer, x, train=False, rtol=1e-10, atol=1e-12)
    assert repr(cr_layer) == repr(torch_layer)
    check_basics(lambda: getattr(cr.nn, module)(**kwargs), x,
                 torch_factory=lambda: getattr(torch.nn, module)(**kwargs))
    if module not in ("RReLU", "Hardsigmoid"):
        assert check_gradcheck(getattr(cr.nn, module)(**kwargs), x[:1, :, :2], train=False)


def test_softmin_default_dim_follows_pytorch_legacy_rule():
    x = np.random.default_rng(5).standard_normal((2, 3))
    with pytest.warns(UserWarning):
        expected = TF.softmin(torch.tensor(x))
    np.testing.assert_allclose(F.softmin(cr.tensor(x)).numpy(), expected.numpy(), rtol=RTOL)


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match="glu"):
        F.glu(cr.tensor(np.ones((3, 3))), 1)
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(cr.tensor([1.0]), 2.0, 1.0)
    with pytest.raises(ValueError, match="rrelu"):
        F.rrelu(cr.tensor([1.0]), 0.5, 0.1)
