"""solve_triangular and cholesky_solve read B as a matrix (*, n, k) always, as PyTorch does,
even when B's shape equals A's without its last size (where linalg.solve reads a batch of
vectors): the case used to be solved as vectors, silently wrong."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr


def _lower(batch, n, seed=0):
    rng = np.random.default_rng(seed)
    return np.tril(rng.normal(size=batch + (n, n))) + 3 * np.eye(n)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("upper", [True, False])
def test_solve_triangular_b_shaped_like_a_batch_of_vectors(left, upper):
    A = _lower((3,), 3)
    A = A.transpose(0, 2, 1) if upper else A
    B = np.random.default_rng(1).normal(size=(3, 3))       # == A.shape[:-1]
    expected = torch.linalg.solve_triangular(torch.tensor(A), torch.tensor(B), upper=upper,
                                             left=left)
    got = cr.linalg.solve_triangular(cr.tensor(A), cr.tensor(B), upper=upper, left=left)
    assert tuple(got.shape) == tuple(expected.shape) == (3, 3, 3)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_cholesky_solve_b_shaped_like_a_batch_of_vectors():
    A = _lower((4,), 4)
    L = np.linalg.cholesky(A @ A.transpose(0, 2, 1))
    B = np.random.default_rng(2).normal(size=(4, 4))
    expected = torch.cholesky_solve(torch.tensor(B), torch.tensor(L))
    got = cr.cholesky_solve(cr.tensor(B), cr.tensor(L))
    assert tuple(got.shape) == tuple(expected.shape) == (4, 4, 4)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_cholesky_solve_refuses_a_vector_b():
    with pytest.raises(RuntimeError, match="b should have at least 2 dimensions"):
        cr.cholesky_solve(cr.ones(3, dtype=cr.float64), cr.eye(3, dtype=cr.float64))


def test_linalg_solve_keeps_its_vector_rule():
    A = _lower((3,), 3)
    B = np.random.default_rng(3).normal(size=(3, 3))
    expected = torch.linalg.solve(torch.tensor(A), torch.tensor(B))
    got = cr.linalg.solve(cr.tensor(A), cr.tensor(B))
    assert tuple(got.shape) == tuple(expected.shape) == (3, 3)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
