"""flip, fliplr, flipud and rot90 return new tensors in PyTorch, never views: an in-place change
of the input (or of the result) must not show in the other. And transpose refuses dims out of
range."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr


@pytest.mark.parametrize("make", [lambda L, x: x.flip(0), lambda L, x: L.flip(x, (0, 1)),
                                  lambda L, x: x.fliplr(), lambda L, x: L.flipud(x),
                                  lambda L, x: L.rot90(x, 1, (0, 1))])
def test_flips_do_not_share_memory_with_their_input(make):
    data = np.arange(6.0).reshape(2, 3)
    results = []
    for L in (cr, torch):
        x = L.tensor(data.copy())
        y = make(L, x)
        x.add_(100)                     # the input changes: the flip must not
        y.mul_(-1)                      # the flip changes: the input must not
        results.append((x.tolist(), y.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("dims", [(0, 3), (0, 5), (-4, 0)])
def test_transpose_refuses_dims_out_of_range_as_torch(dims):
    """chainrule.transpose(x, 0, 3) on a 3-d tensor used to wrap 3 to 0 silently."""
    with pytest.raises(IndexError, match="out of range"):
        torch.transpose(torch.zeros(2, 3, 4), *dims)
    with pytest.raises(IndexError, match="out of range"):
        cr.transpose(cr.zeros(2, 3, 4), *dims)
