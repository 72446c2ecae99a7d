"""Datasets: indexable collections of samples (PyTorch's ``torch.utils.data`` names).

A dataset answers ``len(ds)`` and ``ds[i]``. One that also answers ``ds.get_batch(indices)`` —
the whole batch for an integer index array, already stacked — is batched by
:class:`~chainrule.data.DataLoader` with one call per batch instead of one per sample.
:class:`TensorDataset` and :class:`Subset` of such a dataset do: a batch of a TensorDataset is one
fancy index per array, with no Python loop over its samples.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from .. import backend
from .. import random as _random
from ..backend import xp
from ..tensor import Tensor


class Dataset:
    """Base class: a map from an index in ``range(len(self))`` to a sample.

    Subclasses define ``__getitem__`` and ``__len__``; they may define ``get_batch(indices)``
    (an integer array in, the batch's stacked arrays out) to be batched without a per-sample loop.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        """``ds1 + ds2``: :class:`~chainrule.data.ConcatDataset` ``([ds1, ds2])``."""
        from .combined import ConcatDataset

        return ConcatDataset([self, other])


def _as_array(a, position: int):
    """A Tensor's own array (its dtype kept, as in PyTorch); anything else as a NumPy array, with
    1-D integer arrays — class labels — as int64, the dtype the losses expect."""
    if isinstance(a, Tensor):
        return a._data
    if not isinstance(a, xp.ndarray):
        try:
            a = xp.asarray(a)
        except (TypeError, ValueError) as e:
            raise TypeError(f"TensorDataset: argument {position} cannot be made an array "
                            f"({type(a).__name__}): {e}") from None
    if a.ndim == 1 and a.dtype.kind in "iu" and a.dtype != xp.int64:
        a = a.astype(xp.int64)
    return a


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``ds[i] == (a[i], b[i], …)``.

    ``TensorDataset(images, labels)`` takes chainrule Tensors (their arrays are used, not copied,
    dtypes kept), NumPy arrays or anything NumPy can convert (a 1-D integer array — class labels
    — is stored as int64); all must have the same length along axis 0.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, tensor(3))

    As in PyTorch, ``ds[i]`` and ``ds.tensors`` give Tensors (views of the stored arrays, no
    copy); batches for a DataLoader are taken from the arrays directly (:meth:`get_batch`).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array")
        arrays = tuple(_as_array(a, i) for i, a in enumerate(arrays))
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d (a single number); every "
                                 f"array needs a first axis of samples")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all arrays must have the same length along axis 0, "
                             f"got lengths {lengths} (shapes {[a.shape for a in arrays]})")
        self.arrays = arrays

    @property
    def tensors(self) -> tuple:
        """The stored arrays as Tensors (sharing memory), PyTorch's attribute."""
        return tuple(Tensor._from_op(a, None) for a in self.arrays)

    def __getitem__(self, index):
        return tuple(Tensor._from_op(xp.asarray(a[index]), None) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def get_batch(self, indices) -> list:
        """The samples at ``indices`` stacked: one fancy index (a copy) per array, in a list as
        PyTorch's ``default_collate`` gives a batch of tuples."""
        return [a[indices] for a in self.arrays]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = xp.asarray(indices, dtype=xp.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [0, {n}) for a dataset of {n} "
                             f"samples, got values from {self.indices.min()} to "
                             f"{self.indices.max()}")

    def __getitem__(self, index):
        if isinstance(index, (list, xp.ndarray)):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getattr__(self, name: str):
        # get_batch exists exactly when the wrapped dataset has it, so the loader's fast path
        # carries through subsets (random_split's results included).
        if name == "get_batch" and hasattr(self.__dict__.get("dataset"), "get_batch"):
            return lambda indices: self.dataset.get_batch(self.indices[indices])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _resolve_generator(generator, op: str):
    """A NumPy Generator from an int seed, a Generator, or None (chainrule's global one); a
    :class:`chainrule.Generator` as it is."""
    if generator is None:
        return backend.generator()
    if isinstance(generator, (xp.random.Generator, _random.Generator)):
        return generator
    if isinstance(generator, (int, xp.integer)) and not isinstance(generator, bool):
        return xp.random.default_rng(int(generator))
    raise TypeError(f"{op}: generator must be None, a chainrule.Generator, an int seed or a "
                    f"numpy.random.Generator, got {type(generator).__name__}")


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if all(isinstance(x, (int, xp.integer)) and not isinstance(x, bool) for x in lengths):
        if sum(lengths) != n:
            raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the "
                             f"dataset has {n} samples")
        return [int(x) for x in lengths]
    if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6) or any(x > 1 for x in lengths):
        raise ValueError(f"random_split: fractional lengths must lie in [0, 1] and sum to 1, got "
                         f"{lengths} (sum {sum(lengths)}); or give integer lengths summing to {n}")
    counts = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(counts)):  # the remainder, one each, round-robin (as PyTorch)
        counts[i % len(counts)] += 1
    return counts


def random_split(dataset, lengths: Sequence[float], generator=None, *, seed: int | None = None
                 ) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1 (each
    count is ⌊n·f⌋, the remainder handed out one at a time from the first split on, as PyTorch
    does). The permutation is PyTorch's ``randperm(n, generator=generator)`` from ``generator`` (a
    :class:`chainrule.Generator`) or, by default, chainrule's global generator: PyTorch's split
    for the same seed. An int seed or a NumPy Generator (chainrule's; ``seed=`` is the same as an
    int ``generator``) permutes with NumPy's algorithm.

    >>> train, val = random_split(TensorDataset(list(range(10))), [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    if seed is not None:
        if generator is not None:
            raise TypeError("random_split: give generator or seed, not both")
        generator = seed
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    gen = _resolve_generator(generator, "random_split")
    perm = gen.randperm(n) if isinstance(gen, _random.Generator) else gen.permutation(n)
    out, start = [], 0
    for count in counts:
        out.append(Subset(dataset, perm[start:start + count]))
        start += count
    return out
