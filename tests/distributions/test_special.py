"""lgamma, digamma and polygamma (chainrule/ops/gamma.py) against mpmath (40 digits) for accuracy
and PyTorch 2.13 for semantics (float64), on wide ranges: tiny, large and negative non-integers.

PyTorch's own trigamma (polygamma(1, ·)) is accurate only to ~3e-10 relative near x = 1 (its
asymptotic series stops at 1/x⁷), so polygamma is compared with mpmath to 1e-13, and with PyTorch
to the accuracy PyTorch itself has."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

mpmath.mp.dps = 40


def _points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([
        10.0 ** rng.uniform(-300, 300, 200),          # tiny to huge
        rng.uniform(0.0, 20.0, 300),                  # the recurrence and series regions
        -rng.uniform(0.0, 40.0, 200),                 # negative non-integers (reflection)
        np.array([0.5, 1.0, 2.0, 3.0, 1.5, 2.5, 10.0, 1e-320, 1 - 1e-10, 2 + 1e-9, 171.5]),
    ])


def _mp(fn, xs):
    return np.array([float(fn(mpmath.mpf(float(x)))) for x in xs])


def _close(actual, expected, rtol, atol=0.0):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def test_lgamma_equals_torch_and_mpmath():
    x = _points()
    ours = cr.lgamma(cr.tensor(x)).numpy()
    theirs = torch.lgamma(torch.tensor(x, dtype=torch.float64)).numpy()
    # relative 1e-13; near the roots of ln|Γ| on the negative axis (only there) the value is
    # a difference of two O(1) numbers: 1e-15 absolute
    _close(ours, theirs, rtol=1e-13, atol=1e-15)
    sample = x[np.abs(x) < 1e5][::7]
    _close(cr.lgamma(cr.tensor(sample)).numpy(),
           _mp(lambda v: mpmath.log(abs(mpmath.gamma(v))), sample), rtol=1e-13, atol=1e-15)


def test_lgamma_exact_at_one_and_two_and_poles():
    x = np.array([1.0, 2.0, 0.0, -0.0, -1.0, -7.0, np.inf, -np.inf, np.nan])
    ours = cr.lgamma(cr.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, torch.lgamma(torch.tensor(x)).numpy())


def test_digamma_equals_torch_and_mpmath():
    x = _points(1)
    ours = cr.digamma(cr.tensor(x)).numpy()
    theirs = torch.digamma(torch.tensor(x, dtype=torch.float64)).numpy()
    # near ψ's roots (x ≈ 1.4616, and one in each negative unit interval) both libraries
    # compute a difference of O(1) terms: 1e-15 absolute there
    _close(ours, theirs, rtol=1e-13, atol=1e-15)
    sample = x[np.abs(x) < 1e5][::7]
    _close(cr.digamma(cr.tensor(sample)).numpy(), _mp(mpmath.digamma, sample),
           rtol=1e-13, atol=1e-15)


def test_digamma_poles_as_torch():
    x = np.array([0.0, -0.0, -1.0, -3.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(cr.digamma(cr.tensor(x)).numpy(),
                                  torch.digamma(torch.tensor(x)).numpy())


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_polygamma_equals_mpmath_and_torch(n):
    x = _points(2)
    x = x[(np.abs(x) < 1e5) & (np.abs(x) > 1e-100)][::3]
    ours = cr.polygamma(n, cr.tensor(x)).numpy()
    _close(ours, _mp(lambda v: mpmath.psi(n, v), x), rtol=1e-12 if n < 3 else 1e-13, atol=1e-15)
    theirs = torch.polygamma(n, torch.tensor(x[x > 0], dtype=torch.float64)).numpy()
    _close(ours[x > 0], theirs, rtol=1e-9 if n == 1 else 1e-13)


@given(st.floats(0.05, 50.0), st.integers(0, 3))
@settings(max_examples=25)
def test_gradients_chain(x, n):
    """∂ lgamma = digamma, ∂ digamma = polygamma(1), ∂ polygamma(n) = polygamma(n+1), and
    gradcheck (central differences) on each, second order included."""
    t = cr.tensor([x], dtype=cr.float64, requires_grad=True)
    (g,) = cr.autograd.grad(cr.lgamma(t).sum(), t)
    _close(g.numpy(), cr.digamma(cr.tensor([x], dtype=cr.float64)).numpy(), rtol=1e-15)
    (g,) = cr.autograd.grad(cr.polygamma(n, t).sum(), t)
    _close(g.numpy(), [float(mpmath.psi(n + 1, x))], rtol=1e-12)
    assert cr.gradcheck(lambda v: cr.polygamma(n, v), t)
    assert cr.gradcheck(cr.lgamma, t)
    # second order (create_graph=True): ∂²lgamma = polygamma(1)
    (g,) = cr.autograd.grad(cr.lgamma(t).sum(), t, create_graph=True)
    (h,) = cr.autograd.grad(g.sum(), t)
    _close(h.numpy(), [float(mpmath.psi(1, x))], rtol=1e-12)


def test_names_and_methods():
    x = cr.tensor([0.3, 2.5, 7.0], dtype=cr.float64)
    assert np.array_equal(cr.special.gammaln(x).numpy(), x.lgamma().numpy())
    assert np.array_equal(cr.special.psi(x).numpy(), cr.special.digamma(x).numpy())
    assert np.array_equal(cr.special.polygamma(2, x).numpy(), x.polygamma(2).numpy())
    y = x.clone()
    y.lgamma_()
    assert np.array_equal(y.numpy(), cr.lgamma(x).numpy())
    assert cr.lgamma(cr.tensor([3, 4])).dtype == cr.float32          # ints → default float
    with pytest.raises(ValueError, match="polygamma: the order n"):
        cr.polygamma(-1, x)
