"""Dropout and Dropout2d: mask statistics, scaling, evaluation identity, seeding, gradients."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck


class Seeded(nn.Module):
    """Reseeds chainrule's generator before each call, so every call draws the same mask."""

    def __init__(self, layer, seed=0):
        super().__init__()
        self.layer = layer
        self.seed = seed

    def forward(self, x):
        cr.manual_seed(self.seed)
        return self.layer(x)


def _x(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    x[x == 0] = 1.0
    return x


@settings(max_examples=10, deadline=None)
@given(p=st.sampled_from([0.1, 0.3, 0.5, 0.8]), seed=st.integers(0, 1000))
def test_dropout_mask_statistics_and_scaling(p, seed):
    cr.manual_seed(seed)
    x = cr.tensor(np.ones((200, 250)))
    y = F.dropout(x, p).numpy()
    kept = y != 0
    # 50 000 Bernoulli(1 − p) draws: the kept fraction is within 5 standard errors of 1 − p
    se = np.sqrt(p * (1 - p) / kept.size)
    assert abs(kept.mean() - (1 - p)) < 5 * se
    np.testing.assert_allclose(y[kept], 1 / (1 - p))
    assert abs(y.mean() - 1) < 5 * se / (1 - p)        # inverted dropout: E[y] = x


@settings(max_examples=10, deadline=None)
@given(p=st.sampled_from([0.2, 0.5, 0.9]), shape=st.sampled_from([(3, 4), (2, 3, 5), (2, 2, 3, 3)]))
def test_dropout_gradient_is_mask_over_keep_probability(p, shape):
    cr.manual_seed(1)
    x = cr.tensor(_x(shape), requires_grad=True)
    y = F.dropout(x, p)
    y.backward(np.ones(shape))
    mask = (y.numpy() != 0).astype(np.float64)
    np.testing.assert_allclose(x.grad.numpy(), mask / (1 - p))
    np.testing.assert_allclose(y.numpy(), mask * x.numpy() / (1 - p))


def test_dropout_is_identity_in_eval_and_for_p0():
    x = cr.tensor(_x((4, 5)), requires_grad=True)
    layer = nn.Dropout(0.7).eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    check_against_torch(nn.Dropout(0.4), torch.nn.Dropout(0.4), _x((3, 4)), train=False)
    check_against_torch(nn.Dropout2d(0.4), torch.nn.Dropout2d(0.4), _x((2, 3, 4, 4)),
                        train=False)


def test_dropout_p1_drops_everything():
    x = cr.tensor(_x((3, 4)), requires_grad=True)
    y = F.dropout(x, 1.0)
    assert not y.numpy().any() and np.isfinite(y.numpy()).all()
    y.sum().backward()
    assert not x.grad.numpy().any()
    t = torch.nn.functional.dropout(torch.tensor(_x((3, 4))), 1.0)
    assert not t.any()


def test_dropout_is_reproducible_with_manual_seed():
    x = cr.tensor(_x((10, 10)))
    cr.manual_seed(123)
    a = nn.Dropout(0.5)(x).numpy()
    b = F.dropout2d(cr.tensor(_x((4, 6, 3, 3))), 0.5).numpy()
    cr.manual_seed(123)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), a)
    np.testing.assert_array_equal(F.dropout2d(cr.tensor(_x((4, 6, 3, 3))), 0.5).numpy(), b)
    assert not np.array_equal(nn.Dropout(0.5)(x).numpy(), a)   # the generator moved on


def test_dropout_keeps_dtype_and_mask_is_per_element():
    x = cr.ones(64, 64)
    assert F.dropout(x, 0.5).dtype == np.float32
    assert F.dropout(cr.tensor(np.ones((4, 4))), 0.5).dtype == np.float64
    y = F.dropout(x, 0.5).numpy()
    assert 0 < (y == 0).sum(axis=1).min() and (y == 0).sum(axis=1).max() < 64


@settings(max_examples=8, deadline=None)
@given(p=st.sampled_from([0.25, 0.5, 0.75]), seed=st.integers(0, 1000))
def test_dropout2d_drops_whole_channels(p, seed):
    cr.manual_seed(seed)
    x = cr.tensor(np.ones((40, 50, 3, 4)), requires_grad=True)
    y = F.dropout2d(x, p)
    per_channel = y.numpy().reshape(40, 50, -1)
    zero = (per_channel == 0).all(axis=2)
    kept = (per_channel == 1 / (1 - p)).all(axis=2)
    assert (zero | kept).all()                  # every channel is dropped or kept whole
    se = np.sqrt(p * (1 - p) / zero.size)
    assert abs(zero.mean() - p) < 5 * se
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())    # x = 1: the gradient is m/(1 − p)


def test_dropout2d_three_dimensional_input_drops_channels_of_length_l():
    cr.manual_seed(0)
    with pytest.warns(UserWarning, match="3-D input"):
        y = F.dropout2d(cr.ones(8, 16, 5), 0.5).numpy()
    assert ((y == 0).all(axis=2) | (y == 2).all(axis=2)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(cr.ones(2, 3, 4, 4), 0.5)


def test_dropout_gradcheck():
    assert check_gradcheck(Seeded(nn.Dropout(0.3)), _x((3, 4)))
    assert check_gradcheck(Seeded(nn.Dropout2d(0.5)), _x((2, 3, 2, 2)))
    # evaluation: the identity, so ∂L/∂x = G. (Not via gradcheck: dropout returns its input
    # tensor itself there, as PyTorch's does, and gradcheck's two perturbed outputs would then
    # share that one array.)
    x = cr.tensor(_x((3, 4)), requires_grad=True)
    nn.Dropout(0.3).eval()(x).backward(np.full((3, 4), 2.0))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_dropout_second_derivative_flows_through_the_mask():
    drop = Seeded(nn.Dropout(0.5), seed=3)
    x = _x((5, 6))
    s = drop(cr.tensor(np.ones((5, 6)))).numpy()             # m/(1 − p), the same mask every call

    def f(t):
        return (drop(t) ** 3).sum()                        # Σ (s x)³

    np.testing.assert_allclose(cr.grad(f)(cr.tensor(x)).numpy(), 3 * s ** 3 * x ** 2)
    second = cr.grad(lambda t: cr.grad(f)(t).sum())(cr.tensor(x))
    np.testing.assert_allclose(second.numpy(), 6 * s ** 3 * x)


def test_dropout_errors_and_basics():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(cr.ones(2), p)
    with pytest.raises(ValueError, match=r"dropout2d: expected input of shape \(N, C, H, W\)"):
        F.dropout2d(cr.ones(3), 0.5)
    check_basics(lambda: nn.Dropout(0.2), np.ones((2, 3)), torch_factory=lambda: torch.nn.Dropout())
    check_basics(lambda: nn.Dropout2d(0.2), np.ones((2, 3, 2, 2)))
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.Dropout2d()) == repr(torch.nn.Dropout2d())
    text = str(nn.Dropout(0.2).formula())
    assert "y = m ⊙ x/(1 − p)" in text and "Bernoulli(1 − p), p = 0.2" in text
    assert "∂L/∂x = m ⊙ G/(1 − p)" in text
    assert "m_{n,c}" in str(nn.Dropout2d(0.3).formula())
