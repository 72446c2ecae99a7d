"""Datasets made of datasets: :class:`ConcatDataset` (one after another) and
:class:`StackDataset` (side by side), PyTorch's ``torch.utils.data`` names.

Both keep the DataLoader's fast path: when every member has ``get_batch(indices)`` (a
:class:`~chainrule.data.TensorDataset`, a :class:`~chainrule.data.Subset` of one, or one of these
two built from them), so do they, and a batch is one ``get_batch`` per member touched instead of
one ``__getitem__`` per sample.
"""
from __future__ import annotations

import bisect
import operator
import warnings
from collections.abc import Iterable, Mapping

from ..backend import xp
from .dataset import Dataset


def _all_batched(datasets) -> bool:
    return all(hasattr(d, "get_batch") for d in datasets)


def _merge(parts: list, order, where: str):
    """Concatenate same-structured batches field by field, then put the rows in ``order``."""
    first = parts[0]
    if isinstance(first, Mapping):
        return {key: _merge([p[key] for p in parts], order, where) for key in first}
    if isinstance(first, (tuple, list)):
        widths = {len(p) for p in parts}
        if len(widths) != 1:
            raise ValueError(f"{where}: the member datasets' samples have different numbers of "
                             f"fields {sorted(widths)}; they cannot be batched together")
        merged = tuple(_merge(list(f), order, where) for f in zip(*parts))
        return merged if isinstance(first, tuple) else list(merged)
    arrays = [xp.asarray(p) for p in parts]
    shapes = {a.shape[1:] for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"{where}: the member datasets' samples have different shapes "
                         f"{sorted(shapes)}; they cannot be stacked into one batch")
    return xp.concatenate(arrays)[order]


class ConcatDataset(Dataset):
    """The samples of ``datasets``, one dataset after another.

    ``cumulative_sizes[i]`` is the number of samples in the first ``i + 1`` datasets; index ``k``
    is sample ``k − cumulative_sizes[i − 1]`` of the dataset ``i`` whose range holds it (empty
    members are skipped). Negative indices count from the end. ``ds1 + ds2`` of two
    :class:`~chainrule.data.Dataset` s is ``ConcatDataset([ds1, ds2])``.

    Errors are PyTorch's: an empty ``datasets`` or an iterable-style member raises
    ``AssertionError``; an index below ``−len`` raises ``ValueError``; one at or past ``len``
    raises ``IndexError``.

    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> ds = TensorDataset(np.arange(3)) + TensorDataset(np.arange(10, 12))
    >>> len(ds), ds.cumulative_sizes, int(ds[-1][0]), int(ds[3][0])
    (5, [3, 5], 11, 10)
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        """The running totals of the lengths of ``sequence``'s datasets."""
        totals, running = [], 0
        for dataset in sequence:
            running += len(dataset)
            totals.append(running)
        return totals

    def __init__(self, datasets: Iterable):
        from .iterable import IterableDataset

        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError(f"ConcatDataset does not support IterableDataset (got "
                                     f"{type(dataset).__name__}); chain streams with "
                                     f"ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def _locate(self, index) -> tuple[int, int]:
        try:
            k = operator.index(index)
        except TypeError:
            raise TypeError(f"ConcatDataset: indices must be integers, got "
                            f"{type(index).__name__}") from None
        n = len(self)
        if k < 0:
            if -k > n:
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length ({n}), got index {k}")
            k += n
        if k >= n:
            raise IndexError(f"ConcatDataset: index {k} is out of range for a dataset of {n} "
                             f"samples")
        which = bisect.bisect_right(self.cumulative_sizes, k)
        return which, k - (self.cumulative_sizes[which - 1] if which else 0)

    def __getitem__(self, index):
        which, k = self._locate(index)
        return self.datasets[which][k]

    @property
    def get_batch(self):
        """The samples at an integer array of indices, stacked: one ``get_batch`` per member
        dataset the indices fall in (present only when every member has ``get_batch``)."""
        if not _all_batched(self.datasets):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'get_batch' "
                                 f"(not every member dataset has one)")
        return self._get_batch

    def _get_batch(self, indices):
        indices = xp.asarray(indices, dtype=xp.int64).reshape(-1)
        n = len(self)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(f"ConcatDataset: indices must lie in [-{n}, {n}) for a dataset of "
                             f"{n} samples, got values from {indices.min()} to {indices.max()}")
        indices = xp.where(indices < 0, indices + n, indices)
        ends = xp.asarray(self.cumulative_sizes, dtype=xp.int64)
        which = xp.searchsorted(ends, indices, side="right")
        local = indices - xp.concatenate([xp.zeros(1, xp.int64), ends[:-1]])[which]
        members = xp.unique(which)
        if members.size == 1:
            return self.datasets[int(members[0])].get_batch(local)
        parts, positions = [], []
        for m in members.tolist():
            rows = xp.flatnonzero(which == m)
            parts.append(self.datasets[m].get_batch(local[rows]))
            positions.append(rows)
        order = xp.empty(indices.size, dtype=xp.int64)
        order[xp.concatenate(positions)] = xp.arange(indices.size)
        return _merge(parts, order, "ConcatDataset")

    @property
    def cummulative_sizes(self) -> list[int]:
        """Deprecated spelling of :attr:`cumulative_sizes` (as in PyTorch)."""
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
                      FutureWarning, stacklevel=2)
        return self.cumulative_sizes


class StackDataset(Dataset):
    """Equally long datasets side by side: ``StackDataset(a, b)[i] == (a[i], b[i])`` and
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``.

    Errors are PyTorch's ``ValueError`` s: both forms at once, no dataset, or datasets of
    different lengths.

    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> ds = StackDataset(image=TensorDataset(np.zeros((4, 2))), label=TensorDataset(np.arange(4)))
    >>> len(ds), sorted(ds[1])
    (4, ['image', 'label'])
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple- (via args) or dict- (via "
                             "kwargs) like input/output, but both types are given")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        members = list(args) if args else list(kwargs.values())
        lengths = [len(d) for d in members]
        if len(set(lengths)) != 1:
            names = ([f"#{i}" for i in range(len(args))] if args else list(kwargs))
            raise ValueError(f"StackDataset: size mismatch between datasets: lengths "
                             f"{dict(zip(names, lengths))}")
        self._length = lengths[0]
        self.datasets = tuple(args) if args else dict(kwargs)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    @property
    def get_batch(self):
        """The samples at an integer array of indices, stacked: each member's ``get_batch``
        (present only when every member has ``get_batch``)."""
        members = (self.datasets.values() if isinstance(self.datasets, dict)
                   else self.datasets)
        if not _all_batched(members):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'get_batch' "
                                 f"(not every member dataset has one)")
        return self._get_batch

    def _get_batch(self, indices):
        if isinstance(self.datasets, dict):
            return {key: d.get_batch(indices) for key, d in self.datasets.items()}
        return [d.get_batch(indices) for d in self.datasets]


__all__ = ["ConcatDataset", "StackDataset"]
