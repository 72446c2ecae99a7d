"""FGSM and PGD against torchattacks 3.5.1 on the same weights, and their checks.

The oracle is torchattacks' FGSM, PGD (L∞) and PGDL2 with random_start=False, in its default
mode (untargeted) and with ``set_mode_targeted_by_label`` (the given labels are the targets),
on a small CNN (conv, ReLU, max-pool, tanh, linear) whose weights are copied into chainrule.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
from chainrule.adversarial import fgsm, pgd
from chainrule.mathematics import Formula

from .helpers import CLASSES, batch, twin_cnns

torchattacks = pytest.importorskip("torchattacks")


def _torch_attack(cls, tm, targeted, **kwargs):
    atk = cls(tm, **kwargs)
    if targeted:
        atk.set_mode_targeted_by_label(quiet=True)
    return atk


@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), eps=st.floats(0.0, 0.5), targeted=st.booleans())
def test_fgsm_equals_torchattacks(seed, eps, targeted):
    tm, cm = twin_cnns(seed % 7)
    x, y = batch(seed)
    expected = _torch_attack(torchattacks.FGSM, tm, targeted, eps=eps)(
        torch.tensor(x), torch.tensor(y)).numpy()
    got = fgsm(cm, cr.tensor(x), cr.tensor(y), eps, targeted=targeted)
    assert isinstance(got, cr.Tensor) and not got.requires_grad and got.grad_fn is None
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-5)


@settings(max_examples=12)
@given(seed=st.integers(0, 10_000), eps=st.floats(0.01, 0.5), alpha=st.floats(0.005, 0.2),
       steps=st.integers(1, 8), norm=st.sampled_from(["inf", "2"]), targeted=st.booleans())
def test_pgd_equals_torchattacks(seed, eps, alpha, steps, norm, targeted):
    tm, cm = twin_cnns(seed % 7)
    x, y = batch(seed)
    if norm == "2":                       # an L2 ball of a useful size for 64 pixels
        eps, alpha = 8 * eps, 8 * alpha
    cls = torchattacks.PGD if norm == "inf" else torchattacks.PGDL2
    expected = _torch_attack(cls, tm, targeted, eps=eps, alpha=alpha, steps=steps,
                             random_start=False)(torch.tensor(x), torch.tensor(y)).numpy()
    got = pgd(cm, cr.tensor(x), cr.tensor(y), eps, alpha, steps, random_start=False, norm=norm,
              targeted=targeted)
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-5)
    assert np.abs(got.numpy() - x).max() > 0           # the attack did move the images


def test_float32_images_and_numpy_inputs():
    tm, cm = twin_cnns(1, torch.float32)
    x, y = batch(3, dtype=np.float32)
    expected = torchattacks.PGD(tm, eps=0.1, alpha=0.02, steps=5, random_start=False)(
        torch.tensor(x), torch.tensor(y)).numpy()
    got = pgd(cm, x, y, 0.1, 0.02, 5, random_start=False)       # arrays are accepted too
    assert got.dtype == cr.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-5)


def test_targeted_moves_toward_the_target():
    _, cm = twin_cnns(2)
    x, _ = batch(5, n=32)
    target = np.full(32, 3)
    x_adv = pgd(cm, x, target, 0.3, 0.05, 20, random_start=False, targeted=True)
    with cr.no_grad():
        before = (cm(cr.tensor(x)).numpy().argmax(1) == 3).mean()
        after = (cm(x_adv).numpy().argmax(1) == 3).mean()
    assert after > before


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_random_start_stays_in_the_ball_and_range_and_follows_the_seed(norm):
    _, cm = twin_cnns(0)
    x, y = batch(8, n=10)
    eps = 0.1 if norm == "inf" else 0.8
    cr.manual_seed(4)
    a = pgd(cm, x, y, eps, eps / 4, 3, random_start=True, norm=norm).numpy()
    cr.manual_seed(4)
    b = pgd(cm, x, y, eps, eps / 4, 3, random_start=True, norm=norm).numpy()
    np.testing.assert_array_equal(a, b)
    delta = (a - x).reshape(10, -1)
    size = np.abs(delta).max(1) if norm == "inf" else np.linalg.norm(delta, axis=1)
    assert (size <= eps + 1e-12).all() and a.min() >= 0 and a.max() <= 1


def test_clipping_to_a_given_range_and_no_clipping():
    _, cm = twin_cnns(3)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (6, 1, 8, 8))
    y = rng.integers(0, CLASSES, 6)
    a = pgd(cm, x, y, 0.3, 0.1, 5, random_start=False, clamp=(-1, 1)).numpy()
    assert a.min() >= -1 and a.max() <= 1 and np.abs(a - x).max() <= 0.3 + 1e-12
    assert np.isclose(a.min(), -1) or np.isclose(a.max(), 1)           # the clip was needed
    # clamp=None: exactly x + eps · sign(∇ₓL), values may leave any range
    xt = torch.tensor(x, requires_grad=True)
    tm, _ = twin_cnns(3)
    torch.nn.functional.cross_entropy(tm(xt), torch.tensor(y)).backward()
    expected = x + 0.3 * np.sign(xt.grad.numpy())
    got = fgsm(cm, x, y, 0.3, clamp=None).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert got.max() > 1


class _Recorder(nn.Module):
    """Dropout and BatchNorm around the CNN; records the mode it ran in."""

    def __init__(self, inner):
        super().__init__()
        self.norm = nn.BatchNorm2d(1)
        self.drop = nn.Dropout(0.5)
        self.inner = inner
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return self.inner(self.drop(self.norm(x)))


@pytest.mark.parametrize("attack", ["fgsm", "pgd"])
def test_model_runs_in_eval_mode_and_every_mode_is_restored(attack):
    _, inner = twin_cnns(0)
    model = _Recorder(inner).to(cr.float64)
    model.train()
    model.inner[0].eval()                    # a submodule frozen in eval mode stays so
    model.inner[0].weight.requires_grad = False
    stats = model.norm.running_mean.numpy().copy()
    x, y = batch(1)
    run = (lambda: fgsm(model, x, y, 0.1)) if attack == "fgsm" else (
        lambda: pgd(model, x, y, 0.1, 0.02, 3, random_start=False))
    first, second = run().numpy(), run().numpy()
    np.testing.assert_array_equal(first, second)          # no dropout noise: eval mode
    assert model.seen and not any(model.seen)
    np.testing.assert_array_equal(model.norm.running_mean.numpy(), stats)
    assert model.training and model.norm.training and model.drop.training
    assert not model.inner[0].training and model.inner[4].training
    assert not model.inner[0].weight.requires_grad and model.inner[4].weight.requires_grad
    assert all(p.grad is None for p in model.parameters())


def test_mode_restored_when_the_attack_fails():
    _, model = twin_cnns(0)
    model.train()
    x, _ = batch(1)
    with pytest.raises(ValueError):
        pgd(model, x, np.full(6, CLASSES), 0.1, 0.02, 2)       # label out of range
    assert model.training and all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: fgsm(m, x, y, -0.1), "eps must be ≥ 0"),
    (lambda m, x, y: pgd(m, x, y, -0.1, 0.01, 3), "eps must be ≥ 0"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.0, 3), "alpha must be > 0"),
    (lambda m, x, y: pgd(m, x, y, 0.1, -0.01, 3), "alpha must be > 0"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 0), "steps must be an integer ≥ 1"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 2.5), "steps must be an integer ≥ 1"),
    (lambda m, x, y: pgd(m, x, y, 0.1, 0.01, 3, norm="1"), "norm must be 'inf'"),
    (lambda m, x, y: fgsm(m, x[0, 0, 0], y[:1], 0.1), "expected a batch of images"),
    (lambda m, x, y: fgsm(m, x, y[:3], 0.1), "one label per image"),
    (lambda m, x, y: fgsm(m, x * 2, y, 0.1), "must lie in the valid range [0, 1]"),
    (lambda m, x, y: fgsm(m, x - 0.5, y, 0.1), "Were they normalised"),
    (lambda m, x, y: fgsm(m, x, y, 0.1, clamp=(1, 0)), "lo < hi"),
    (lambda m, x, y: fgsm(m, x, y + CLASSES, 0.1), "class indices in [0, 4]"),
    (lambda m, x, y: fgsm(m, x, y - 10, 0.1, targeted=True), "target labels"),
    (lambda m, x, y: fgsm(m, x, y.astype(float), 0.1), "integer class indices"),
    (lambda m, x, y: fgsm(m, (x * 255).astype(np.uint8), y, 0.1), "floating point"),
])
def test_bad_input_is_a_clear_error(call, message):
    _, model = twin_cnns(0)
    x, y = batch(0)
    with pytest.raises((ValueError, TypeError)) as info:
        call(model, x, y)
    assert message in str(info.value)


def test_wrong_image_shape_for_the_model_is_reported_by_the_model():
    _, model = twin_cnns(0)
    x, y = batch(0)
    with pytest.raises(Exception) as info:
        fgsm(model, x[:, :, :5, :5], y, 0.1)
    assert "shape" in str(info.value).lower()


def test_formulas():
    for f in (fgsm.formula(), pgd.formula("inf"), pgd.formula("2")):
        assert isinstance(f, Formula)
        assert f.to_latex() and str(f)
    assert "sign" in str(fgsm.formula()) and "clip" in fgsm.formula().forward.latex
    assert "‖" in str(pgd.formula("2")) and "ε" in str(pgd.formula())
    assert "x′ = clip" in fgsm.__doc__ and "PGDL2" in pgd.__doc__


def test_attacks_work_inside_no_grad_and_leave_the_input_alone():
    _, cm = twin_cnns(0)
    x, y = batch(9)
    xc = cr.tensor(x, requires_grad=True)
    expected = fgsm(cm, x, y, 0.1).numpy()
    with cr.no_grad():
        got = fgsm(cm, xc, y, 0.1)
    np.testing.assert_array_equal(got.numpy(), expected)
    np.testing.assert_array_equal(xc.numpy(), x)
    assert xc.grad is None and not got.requires_grad


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_eps_zero_returns_the_images(norm):
    _, cm = twin_cnns(0)
    x, y = batch(4)
    np.testing.assert_array_equal(pgd(cm, x, y, 0.0, 0.1, 3, norm=norm).numpy(), x)
    np.testing.assert_array_equal(fgsm(cm, x, y, 0.0).numpy(), x)


def test_l2_projection_with_zero_eps_and_zero_gradient_keeps_the_images():
    """The one deliberate difference from torchattacks' PGDL2, whose projection computes 0/0
    (NaN images) when ε = 0 and an example's gradient is exactly zero."""

    class Constant(nn.Module):
        def forward(self, x):
            return cr.zeros(len(x), CLASSES, dtype=x.dtype) + 0 * x.flatten(1)[:, :1]

    x, y = batch(6)
    np.testing.assert_array_equal(pgd(Constant(), x, y, 0.0, 0.1, 2, norm="2").numpy(), x)
