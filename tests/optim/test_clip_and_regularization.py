"""Gradient clipping against ``torch.nn.utils``; penalty gradients against their closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.optim import regularization as reg

SHAPES = [(4, 3), (3,), (2, 2, 2), (5,)]


def _pair(dtype, scale: float = 1.0, seed: int = 0, with_none: bool = True):
    """The same parameters with gradients in both libraries; the last has no gradient."""
    rng = np.random.default_rng(seed)
    mine, theirs = [], []
    for i, shape in enumerate(SHAPES):
        p = nn.Parameter(rng.standard_normal(shape).astype(dtype))
        t = torch.tensor(p.numpy().copy(), requires_grad=True)
        if not (with_none and i == len(SHAPES) - 1):
            g = (rng.standard_normal(shape) * scale).astype(dtype)
            p.grad = cr.tensor(g.copy())
            t.grad = torch.from_numpy(g.copy())
        mine.append(p)
        theirs.append(t)
    return mine, theirs


def _assert_grads(mine, theirs, rtol):
    for p, t in zip(mine, theirs):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_pytorch(dtype, rtol, norm_type, max_norm):
    mine, theirs = _pair(dtype, scale=2.0)
    total = nn.utils.clip_grad_norm_(mine, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=rtol)
    _assert_grads(mine, theirs, rtol)
    if max_norm < total.item():  # clipped: the new norm is max_norm (up to the 1e-6)
        after = nn.utils.get_total_norm([p.grad for p in mine[:-1]], norm_type)
        assert after.item() == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_single_tensor_generator_and_no_grads():
    mine, theirs = _pair(np.float64, with_none=False)
    total = nn.utils.clip_grad_norm_(mine[0], 0.1)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.1)
    assert total.item() == pytest.approx(expected.item())
    np.testing.assert_allclose(mine[0].grad.numpy(), theirs[0].grad.numpy())
    model = nn.Linear(3, 2)
    assert nn.utils.clip_grad_norm_(model.parameters(), 1.0).item() == 0.0  # no gradients yet
    model(cr.ones(4, 3)).sum().backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1e-3)   # a generator works too
    assert norm.item() > 1e-3
    assert nn.utils.get_total_norm([p.grad for p in model.parameters()]).item() == \
        pytest.approx(1e-3, rel=1e-3)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_non_finite(bad):
    mine, theirs = _pair(np.float64)
    mine[0].grad.numpy()[0, 0] = bad
    theirs[0].grad[0, 0] = bad
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(mine, 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_(mine, 1.0)   # scaled by the non-finite norm, as PyTorch
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert np.isnan(total.item()) == np.isnan(expected.item())
    for p, t in zip(mine, theirs):
        if t.grad is not None:
            np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(t.grad.numpy()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip_value", [0.3, 1, 10.0])
def test_clip_grad_value_matches_pytorch(dtype, clip_value):
    mine, theirs = _pair(dtype, scale=2.0)
    data_ids = [id(p.grad.numpy()) for p in mine if p.grad is not None]
    assert nn.utils.clip_grad_value_(mine, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_grads(mine, theirs, 0)
    assert [id(p.grad.numpy()) for p in mine if p.grad is not None] == data_ids  # in place
    assert all(np.abs(p.grad.numpy()).max() <= clip_value for p in mine if p.grad is not None)


def test_clip_formula():
    text = str(nn.utils.clip_grad.formula())
    assert "max_norm" in text and "10⁻⁶" in text


# --------------------------------------------------------------------------- regularization
def _weights(seed: int = 1):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((4, 5))
    w[0, :2] = 0.0                     # exact zeros: the L1 kink
    return [nn.Parameter(w), nn.Parameter(rng.standard_normal(3)), nn.Parameter(np.zeros(2))]


REGULARIZERS = [
    (reg.L1(0.3), lambda w: 0.3 * np.abs(w).sum(), lambda w: 0.3 * np.sign(w)),
    (reg.L2(0.2), lambda w: 0.1 * (w * w).sum(), lambda w: 0.2 * w),
    (reg.ElasticNet(0.3, 0.2), lambda w: 0.3 * np.abs(w).sum() + 0.1 * (w * w).sum(),
     lambda w: 0.3 * np.sign(w) + 0.2 * w),
]


@pytest.mark.parametrize("regularizer, value, grad", REGULARIZERS,
                         ids=lambda r: type(r).__name__ if isinstance(r, reg.Regularizer) else "")
def test_penalty_value_and_autodiff_gradient_equal_the_closed_forms(regularizer, value, grad):
    params = _weights()
    penalty = regularizer(params)
    assert penalty.shape == () and penalty.requires_grad
    assert penalty.item() == pytest.approx(sum(value(p.numpy()) for p in params), rel=1e-12)
    penalty.backward()
    for p in params:
        np.testing.assert_allclose(p.grad.numpy(), grad(p.numpy()), rtol=1e-12, atol=0)
        np.testing.assert_allclose(regularizer.gradient(p), grad(p.numpy()), rtol=1e-12, atol=0)
    assert params[2].grad.numpy().tolist() == ([0.0, 0.0])  # sign(0) = 0 (and L2: λ·0)


def test_penalty_functions_modules_and_tensors():
    params = _weights()
    model = nn.Sequential(nn.Linear(5, 4, dtype=np.float64), nn.Linear(4, 3, dtype=np.float64))
    assert reg.l1_penalty(params, 0.5).item() == pytest.approx(reg.L1(0.5)(params).item())
    assert reg.l2_penalty(params[0], 2.0).item() == pytest.approx((params[0].numpy() ** 2).sum())
    assert reg.elastic_net_penalty(iter(params), 0.1, 0.2).item() == \
        pytest.approx(reg.ElasticNet(0.1, 0.2)(params).item())
    on_model = reg.L2(0.1)(model).item()
    assert on_model == pytest.approx(sum(0.05 * (p.numpy() ** 2).sum() for p in model.parameters()))
    assert repr(reg.ElasticNet(0.1, 0.2)) == "ElasticNet(l1=0.1, l2=0.2)"
    assert isinstance(reg.get("l1"), reg.L1)
    assert reg.get({"name": "l2", "l2": 0.5}).l2 == 0.5
    with pytest.raises(ValueError, match="≥ 0"):
        reg.L1(-0.1)
    with pytest.raises(ValueError, match="no parameters"):
        reg.l2_penalty([], 0.1)
    with pytest.raises(TypeError, match="expected tensors"):
        reg.l1_penalty([np.zeros(3)], 0.1)
    with pytest.raises(ValueError, match="unknown regularizer"):
        reg.get("l3")


def test_l2_penalty_equals_sgd_weight_decay():
    """SGD on L + (λ/2)‖w‖² takes the same steps as SGD with weight_decay=λ on L."""
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((8, 3)))
    y = cr.tensor(rng.standard_normal((8, 2)))
    runs = []
    for use_penalty in (True, False):
        cr.manual_seed(3)
        model = nn.Linear(3, 2, dtype=np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                        weight_decay=0.0 if use_penalty else 0.05)
        for _ in range(20):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            if use_penalty:
                loss = loss + reg.l2_penalty(model.parameters(), 0.05)
            loss.backward()
            opt.step()
        runs.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_l1_proximal_steps_reach_exact_zeros_and_l2_does_not():
    """min ½‖w − a‖² + λ‖w‖₁ by proximal gradient: the lasso's soft threshold, with exact 0s."""
    a = np.array([3.0, -0.2, 0.05, -2.0, 0.4])
    lam, lr = 0.5, 0.5
    w1 = np.ones_like(a)
    w2 = np.ones_like(a)
    for _ in range(100):
        w1 = reg.L1(lam).proximal(w1 - lr * (w1 - a), lr)
        w2 = reg.L2(lam).proximal(w2 - lr * (w2 - a), lr)
    expected = np.sign(a) * np.maximum(np.abs(a) - lam, 0)
    np.testing.assert_allclose(w1, expected, atol=1e-12)
    assert (w1 == 0).sum() == 3            # |aᵢ| ≤ λ: exactly zero
    assert (w2 == 0).sum() == 0            # L2 shrinks, a/(1 + λ), never to zero
    np.testing.assert_allclose(w2, a / (1 + lam), rtol=1e-10)
    np.testing.assert_allclose(reg.ElasticNet(lam, 0.0).proximal(a, 1.0), expected)


@pytest.mark.parametrize("cls", [reg.L1, reg.L2, reg.ElasticNet])
def test_regularizers_state_their_mathematics(cls):
    f = cls.formula()
    assert [e.label for e in f.equations] == ["Penalty", "Gradient", "Proximal step"]
    assert f.explanation and f.to_latex()
    if cls is reg.L1:
        assert "λ·sign(wᵢ)" in str(f) and "0 at wᵢ = 0" in str(f)
        assert "exactly zero" in f.explanation and "constant magnitude" in f.explanation
    if cls is reg.L2:
        assert "weight_decay" in str(f)
