"""``DistributedSampler``: each rank's share of every epoch (PyTorch's
``torch.utils.data.distributed.DistributedSampler``, with its index arithmetic).

For a dataset of n samples on p ranks, one epoch is

    order  = a permutation of 0…n−1  (shuffle=True; the same on every rank: seeded by
             (seed, epoch))   or  0, 1, …, n−1  (shuffle=False)
    m      = ⌈n / p⌉                     (drop_last=False)   or  ⌈(n − p) / p⌉ (drop_last=True,
                                           when p does not divide n; n / p when it does)
    order  ← order + order[:p·m − n]     (drop_last=False: pad by repeating the head)
             order[:p·m]                 (drop_last=True: drop the tail)
    rank r serves  order[r], order[r + p], order[r + 2p], …   (m indices)

so the ranks' shares are disjoint and together cover the epoch's p·m indices. The permutation is
NumPy's ``default_rng([seed, epoch]).permutation(n)`` (the convention of
:class:`chainrule.data.DataLoader`), not torch's generator: the same arithmetic, other draws.
Call ``set_epoch(epoch)`` before each epoch, or every epoch has the same order.
"""
from __future__ import annotations

import math

import numpy as np

from ...data.samplers import Sampler


class DistributedSampler(Sampler):
    """Indices of this rank's share of each epoch (see the module docstring for the rule).

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this rank (default: the process group's rank).
        shuffle: a new permutation every epoch (seeded by ``seed`` and the epoch).
        seed: the same on every rank.
        drop_last: drop the tail that does not divide evenly (instead of padding with the head
            of the order).

    >>> s = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
    >>> list(s)
    [1, 4, 7, 0]
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: give num_replicas and rank, or call "
                                   "chainrule.distributed.init_process_group() first (they are "
                                   "then the group's world size and this process's rank)")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) \
                or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive integer, got "
                             f"{num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) \
                or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        order = (np.random.default_rng([self.seed, self.epoch]).permutation(n) if self.shuffle
                 else np.arange(n))
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                order = np.concatenate([order, np.resize(order, pad)])   # the head, repeated
        else:
            order = order[:self.total_size]
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64)

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation next (the same on every rank)."""
        self.epoch = int(epoch)

    def __repr__(self) -> str:
        return (f"DistributedSampler(rank {self.rank} of {self.num_replicas}, "
                f"{self.num_samples} of {len(self.dataset)} samples, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, epoch={self.epoch})")


__all__ = ["DistributedSampler"]
