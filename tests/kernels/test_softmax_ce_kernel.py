"""Softmax cross-entropy's one-pass kernels (chainrule.kernels.softmax_ce, the ``fast`` extra)
against the NumPy rule and PyTorch: losses and gradients with ignored targets, ±∞ and NaN
logits, both reductions that take the kernels, and the errors a bad label gets."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import kernels
from chainrule.ops.softmax_ce import softmax_cross_entropy

pytest.importorskip("numba")


def _loss_and_grad(z, y, fast: bool, **kw):
    previous = kernels.enabled(fast)
    try:
        zt = cr.tensor(z, requires_grad=True)
        loss = cr.nn.functional.cross_entropy(zt, cr.tensor(y), **kw)
        loss.backward()
        return loss.numpy(), zt.grad.numpy()
    finally:
        kernels.enabled(previous)


@given(n=st.integers(1, 9), c=st.integers(1, 7), seed=st.integers(0, 500),
       dtype=st.sampled_from([np.float32, np.float64]), special=st.booleans(),
       ignore=st.booleans(), reduction=st.sampled_from(["mean", "sum"]))
def test_the_kernels_agree_with_the_numpy_rule_and_pytorch(n, c, seed, dtype, special, ignore,
                                                           reduction):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * 4).astype(dtype)
    y = rng.integers(0, c, n)
    if special:
        mask = rng.random((n, c)) < 0.2
        z[mask] = rng.choice([np.inf, -np.inf, np.nan, 1e30, -1e30], size=int(mask.sum()))
    if ignore:
        y[rng.random(n) < 0.4] = -100
    fast = _loss_and_grad(z, y, True, reduction=reduction)
    reference = _loss_and_grad(z, y, False, reduction=reduction)
    zt = torch.tensor(z, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(zt, torch.tensor(y), reduction=reduction)
    theirs.backward()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for mine, ref, torch_value in zip(fast, reference, (theirs.detach().numpy(),
                                                        zt.grad.numpy())):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine, ref, equal_nan=True, **tol)
        np.testing.assert_allclose(mine, torch_value, equal_nan=True, **tol)


def test_every_target_ignored_gives_nan_and_zero_gradients_as_pytorch():
    z = np.random.default_rng(0).standard_normal((3, 4))
    loss, grad = _loss_and_grad(z, np.full(3, -100), True)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad, np.zeros_like(z))


def test_the_kernels_are_used(monkeypatch):
    from chainrule.kernels import softmax_ce as K

    calls = []
    for name in ("softmax_ce_forward", "softmax_ce_backward"):
        original = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))
    _loss_and_grad(np.ones((2, 3)), np.array([0, 2]), True)
    assert calls == ["softmax_ce_forward", "softmax_ce_backward"]


@pytest.mark.parametrize("label", [3, -1, 7])
def test_a_label_out_of_range_raises_with_the_classes_named(label):
    """The primitive itself (as a compiled step replays it, without cross_entropy's own check):
    a label outside 0 … C − 1 is refused — a negative one does not wrap around to a class."""
    z = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match="out of bounds|class"):
        softmax_cross_entropy(z, cr.tensor(np.array([0, label])))


def test_a_differentiable_backward_after_the_fast_forward_matches_pytorch():
    """create_graph=True: the rule reruns on Tensors (the NumPy rule's terms made on demand)."""
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 2])
    zt = cr.tensor(z, requires_grad=True)
    (g,) = cr.autograd.grad(cr.nn.functional.cross_entropy(zt, cr.tensor(y)), zt,
                            create_graph=True)
    (g * g).sum().backward()
    tz = torch.tensor(z, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tz, torch.tensor(y)), tz,
                                create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(zt.grad.numpy(), tz.grad.numpy(), rtol=1e-12, atol=1e-15)
