"""Random functions: shapes and dtypes as PyTorch, draws from chainrule's seeded generator, and
their distributions (moments, frequencies) within statistical tolerance."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

from ._util import same


def _like(a, e):
    assert tuple(a.shape) == tuple(e.shape)
    assert np.dtype(a.dtype) == np.dtype(str(e.dtype).removeprefix("torch."))


def test_seeded_and_repeatable():
    cr.manual_seed(7)
    a = cr.normal(0.0, 1.0, (5,))
    cr.manual_seed(7)
    b = cr.normal(0.0, 1.0, (5,))
    same(a, b.numpy())


def test_normal_forms_and_moments():
    cr.manual_seed(0)
    _like(cr.normal(2.0, 3.0, (2, 3)), torch.normal(2.0, 3.0, (2, 3)))
    mean = cr.full((200_000,), 2.0, dtype=cr.float64)
    x = cr.normal(mean, 3.0)
    assert x.dtype == np.float64
    assert abs(x.numpy().mean() - 2.0) < 0.05 and abs(x.numpy().std() - 3.0) < 0.05
    m = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    s = cr.ones(3, dtype=cr.float64, requires_grad=True)
    y = cr.normal(m, s)
    y.sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), 1.0)
    np.testing.assert_allclose(s.grad.numpy(), y.numpy())
    with pytest.raises(RuntimeError):
        cr.normal(cr.zeros(2), cr.tensor([1.0, -1.0]))


def test_randperm_multinomial_bernoulli_poisson():
    cr.manual_seed(1)
    p = cr.randperm(10)
    _like(p, torch.randperm(10))
    same(np.sort(p.numpy()), np.arange(10))
    probs = cr.tensor([0.1, 0.2, 0.7], dtype=cr.float64)
    draws = cr.multinomial(probs, 60_000, replacement=True).numpy()
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 60_000, [0.1, 0.2, 0.7],
                               atol=0.01)
    rows = cr.multinomial(cr.tensor([[1.0, 0.0, 1.0, 1.0]] * 500), 3).numpy()
    assert rows.shape == (500, 3) and not (rows == 1).any()
    assert all(len(set(r)) == 3 for r in rows.tolist())
    first = np.bincount(cr.multinomial(cr.tensor([[0.5, 0.25, 0.25]] * 20_000), 1).numpy()[:, 0],
                        minlength=3) / 20_000
    np.testing.assert_allclose(first, [0.5, 0.25, 0.25], atol=0.015)
    with pytest.raises(RuntimeError):
        cr.multinomial(probs, 4)
    b = cr.bernoulli(cr.full((100_000,), 0.3, dtype=cr.float64))
    assert b.dtype == np.float64 and abs(b.numpy().mean() - 0.3) < 0.01
    r = cr.poisson(cr.full((100_000,), 4.0))
    _like(r, torch.poisson(torch.full((100_000,), 4.0)))
    assert abs(r.numpy().mean() - 4.0) < 0.05 and abs(r.numpy().var() - 4.0) < 0.1


def test_like_and_new_factories():
    x = cr.tensor([[1, 2]])
    tx = torch.tensor([[1, 2]])
    _like(cr.randint_like(x, 5), torch.randint_like(tx, 5))
    _like(cr.empty_like(x), torch.empty_like(tx))
    f = cr.zeros(2, dtype=cr.float64)
    tf = torch.zeros(2, dtype=torch.float64)
    same(f.new_ones(2, 3), tf.new_ones(2, 3))
    same(f.new_zeros((1,)), tf.new_zeros((1,)))
    same(x.new_full((2,), 2.7), tx.new_full((2,), 2.7))
    same(f.new_tensor([1, 2]), tf.new_tensor([1, 2]))
    _like(f.new_empty((3,)), tf.new_empty((3,)))
    same(cr.logspace(-1, 2, 7), torch.logspace(-1, 2, 7))
    same(cr.arange(0, 1, 0.1), torch.arange(0, 1, 0.1))
