"""SyncBatchNorm's cross-rank function in one process (a communicator of one rank): its forward
is PyTorch's batch_norm in training mode and its backward passes gradcheck. Across ranks it is
compared with BatchNorm on the global batch in test_collectives_ddp.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

MPI = pytest.importorskip("mpi4py.MPI")
from chainrule.nn.layers.sync_batchnorm import sync_batch_norm  # noqa: E402


@settings(max_examples=8)
@given(st.sampled_from([(5, 3), (4, 2, 3), (3, 2, 4, 4), (2, 3, 2, 2, 2)]),
       st.integers(0, 10_000), st.booleans())
def test_sync_batch_norm_matches_torch_and_gradcheck(shape, seed, affine):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 3 + 1
    c = shape[1]
    w = rng.normal(size=c) if affine else None
    b = rng.normal(size=c) if affine else None

    def f(x, w=None, b=None):
        return sync_batch_norm(x, w, b, 1e-5, MPI.COMM_SELF)[0]

    args = [cr.tensor(x, requires_grad=True)] + ([cr.tensor(w, requires_grad=True),
                                                   cr.tensor(b, requires_grad=True)]
                                                  if affine else [])
    y = f(*args)
    expected = torch.nn.functional.batch_norm(
        torch.tensor(x), None, None, None if w is None else torch.tensor(w),
        None if b is None else torch.tensor(b), True, 0.1, 1e-5)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    assert cr.gradcheck(f, *args)


def test_sync_batchnorm_errors():
    with pytest.raises(ValueError, match="expected at least 2D input"):
        cr.nn.SyncBatchNorm(3)(cr.ones(3))
    with pytest.raises(ValueError, match="only the default process group"):
        cr.nn.SyncBatchNorm(3, process_group="other")
