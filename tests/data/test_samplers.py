"""Samplers and PyTorch's DataLoader arguments: the same batches as torch.utils.data where the
order is deterministic, PyTorch's sizes and errors elsewhere."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.utils import data as D


def _pair(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    return D.TensorDataset(x, y), tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def _batches(loader):
    return [tuple(t.numpy().tolist() for t in batch) for batch in loader]


@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_and_batch_samplers_match_torch(drop_last):
    mine, theirs = _pair(10)
    a = D.DataLoader(mine, sampler=D.SequentialSampler(mine), batch_size=3, drop_last=drop_last,
                     num_workers=2, pin_memory=True)
    b = tud.DataLoader(theirs, sampler=tud.SequentialSampler(theirs), batch_size=3,
                       drop_last=drop_last)
    assert len(a) == len(b) and _batches(a) == _batches(b)
    order = [9, 0, 4, 4, 2, 7, 1]
    a = D.DataLoader(mine, batch_sampler=D.BatchSampler(order, 2, drop_last))
    b = tud.DataLoader(theirs, batch_sampler=tud.BatchSampler(order, 2, drop_last))
    assert len(a) == len(b) and _batches(a) == _batches(b)


def test_random_samplers_are_permutations_and_seeded():
    mine, _ = _pair(10)
    perm = list(D.RandomSampler(mine, generator=3))
    assert sorted(perm) == list(range(10)) and perm == list(D.RandomSampler(mine, generator=3))
    assert len(list(D.RandomSampler(mine, replacement=True, num_samples=25))) == 25
    assert len(D.RandomSampler(mine, num_samples=25)) == 25
    subset = list(D.SubsetRandomSampler([1, 3, 5, 7], generator=0))
    assert sorted(subset) == [1, 3, 5, 7]
    draws = list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=1))
    assert set(draws) == {1, 3} and 0.6 < draws.count(3) / 200 < 0.9
    cr.manual_seed(5)
    first = [b[1].numpy().tolist() for b in D.DataLoader(mine, batch_size=4,
                                                         sampler=D.RandomSampler(mine))]
    cr.manual_seed(5)
    again = [b[1].numpy().tolist() for b in D.DataLoader(mine, batch_size=4,
                                                         sampler=D.RandomSampler(mine))]
    assert first == again and sorted(sum(first, [])) == list(range(10))


def test_dataloader_refuses_what_pytorch_refuses():
    mine, _ = _pair(4)
    with pytest.raises(ValueError):
        D.DataLoader(mine, sampler=D.SequentialSampler(mine), shuffle=True)
    with pytest.raises(ValueError):
        D.DataLoader(mine, batch_sampler=D.BatchSampler([0, 1], 1, False), batch_size=2)
    with pytest.raises(ValueError):
        D.BatchSampler([0], 0, False)
    with pytest.raises(ValueError):
        D.DataLoader(mine, num_workers=-1)
    loader = D.DataLoader(mine, batch_size=2, shuffle=True, generator=7)
    assert loader.order().tolist() == D.DataLoader(mine, batch_size=2, shuffle=True,
                                                   seed=7).order().tolist()
