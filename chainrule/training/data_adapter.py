"""Data adapters: whatever ``fit``/``evaluate``/``predict`` are given, batches of Tensors out.

Keras 3 splits its input handling the same way: an adapter per kind of input, each answering how
many samples and batches an epoch has and giving the batches of an epoch.

- :class:`ArrayAdapter`: NumPy arrays, chainrule Tensors, or nested lists (``x`` and ``y``).
  Shuffled orders are reproducible: with ``seed`` the order of epoch e is
  ``numpy.random.default_rng([seed, e]).permutation(n)`` (the convention of
  :class:`chainrule.data.DataLoader`), without it a permutation drawn from chainrule's generator
  (so ``chainrule.manual_seed`` fixes it, and a checkpoint's saved RNG state replays it).
- :class:`LoaderAdapter`: a :class:`~chainrule.data.DataLoader` or any re-iterable of batches,
  each ``(x, y)`` (or ``x`` alone for ``predict``). A loader with ``set_epoch`` is told the epoch
  before each pass, so resuming at epoch e replays its order.
- A :class:`~chainrule.data.Dataset` is batched through a DataLoader.

Floating-point inputs and targets are cast to the model's floating dtype (float64 arrays for a
float32 model become float32, as Keras does); integer arrays (class labels, token ids) are kept.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

from .. import backend
from ..backend import xp
from ..tensor import Tensor


def _is_array_like(x) -> bool:
    return isinstance(x, (xp.ndarray, Tensor, list, xp.generic, int, float))


def _as_array(a, what: str, op: str):
    if isinstance(a, Tensor):
        return a._data
    if isinstance(a, xp.ndarray):
        return a
    try:
        return xp.asarray(a)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: {what} must be an array, a Tensor or a DataLoader, got "
                        f"{type(a).__name__} ({e})") from None


def _cast(a, dtype):
    if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
        return a.astype(dtype)
    return a


def _to_tensor(a, dtype):
    if a is None:
        return None
    if isinstance(a, Tensor):
        if dtype is not None and a._data.dtype.kind == "f" and a._data.dtype != dtype:
            return Tensor._make(a._data.astype(dtype))
        return a
    if isinstance(a, (tuple, list)):
        return type(a)(_to_tensor(v, dtype) for v in a)
    return Tensor._make(_cast(xp.asarray(a), dtype))


def train_validation_split(x, y, validation_split: float, op: str = "fit"):
    """Keras's split: the *last* ⌊…⌋ fraction of the samples, taken before any shuffling.

    Returns ``(x_train, y_train), (x_val, y_val)``; arrays are sliced (views, no copies).
    """
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"{op}: validation_split must lie in (0, 1), got {validation_split}")
    n = x.shape[0]
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"{op}: training data contains {n} samples, which is not enough to split "
                         f"into a training and a validation set with validation_split="
                         f"{validation_split}; give more data or another validation_split")
    return (x[:split_at], None if y is None else y[:split_at]), \
        (x[split_at:], None if y is None else y[split_at:])


class ArrayAdapter:
    """Batches of in-memory arrays; see the module docstring for the shuffling rule."""

    def __init__(self, x, y=None, batch_size: int = 32, shuffle: bool = False,
                 seed: int | None = None, dtype=None, op: str = "fit"):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) \
                or batch_size < 1:
            raise ValueError(f"{op}: batch_size must be a positive integer, got {batch_size!r}")
        self.x = _cast(_as_array(x, "x", op), dtype)
        self.y = None if y is None else _cast(_as_array(y, "y", op), dtype)
        if self.x.ndim == 0:
            raise ValueError(f"{op}: x must have a first axis of samples, got a 0-d array")
        if self.y is not None and (self.y.ndim == 0 or self.y.shape[0] != self.x.shape[0]):
            raise ValueError(f"{op}: x and y must have the same number of samples, got x of shape "
                             f"{self.x.shape} and y of shape {self.y.shape}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed

    @property
    def num_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_batches(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def order(self, epoch: int):
        n = self.num_samples
        if not self.shuffle:
            return None
        if self.seed is None:
            return backend.generator().permutation(n)
        return xp.random.default_rng([int(self.seed), int(epoch)]).permutation(n)

    def epoch(self, epoch: int = 0) -> Iterator[tuple]:
        """The batches ``(x, y)`` of one epoch, as Tensors (``y`` None when there are no targets).

        The order is drawn when iteration starts, so that it follows the RNG state at the start
        of the epoch.
        """
        order = self.order(epoch)
        n, bs = self.num_samples, self.batch_size
        for start in range(0, n, bs):
            index = slice(start, start + bs) if order is None else order[start:start + bs]
            xb = Tensor._make(self.x[index])
            yb = None if self.y is None else Tensor._make(self.y[index])
            yield xb, yb


def _unpack(batch, op: str):
    if isinstance(batch, (tuple, list)):
        if len(batch) == 2:
            return batch[0], batch[1]
        if len(batch) == 1:
            return batch[0], None
        raise ValueError(f"{op}: each batch must be (x, y) or x, got a {type(batch).__name__} of "
                         f"{len(batch)} items")
    if isinstance(batch, dict):
        raise ValueError(f"{op}: batches that are dicts are not supported; yield (x, y) tuples")
    return batch, None


class LoaderAdapter:
    """Batches from a DataLoader or any re-iterable of ``(x, y)`` batches."""

    def __init__(self, loader, dtype=None, op: str = "fit"):
        # a generator is spent after one pass: accepted, but only one epoch can come of it
        self._once = isinstance(loader, Iterator)
        self.loader = loader
        self.dtype = dtype
        self.op = op
        self._used = False

    @property
    def num_batches(self) -> int | None:
        try:
            return len(self.loader)
        except TypeError:
            return None

    @property
    def num_samples(self) -> int | None:
        dataset = getattr(self.loader, "dataset", None)
        try:
            return len(dataset) if dataset is not None else None
        except TypeError:
            return None

    @property
    def batch_size(self) -> int | None:
        return getattr(self.loader, "batch_size", None)

    def epoch(self, epoch: int = 0) -> Iterator[tuple]:
        if self._once and self._used:
            raise ValueError(f"{self.op}: the data is a one-shot iterator that is already used up;"
                             " pass a DataLoader (or another re-iterable) to run several epochs")
        self._used = True
        set_epoch = getattr(self.loader, "set_epoch", None)
        if callable(set_epoch):
            set_epoch(epoch)
        for batch in self.loader:
            x, y = _unpack(batch, self.op)
            yield _to_tensor(x, self.dtype), _to_tensor(y, self.dtype)


def _dataset_class():
    try:
        from ..data import Dataset
    except ImportError:     # chainrule.data not available: datasets are passed as loaders
        return None
    return Dataset


def get_adapter(x, y=None, batch_size: int = 32, shuffle: bool = False, seed=None, dtype=None,
                op: str = "fit"):
    """The adapter for ``x`` (and ``y``): arrays, a Dataset, or a loader of batches."""
    if x is None:
        raise ValueError(f"{op}: no data was given (x is None)")
    dataset_class = _dataset_class()
    if dataset_class is not None and isinstance(x, dataset_class):
        if y is not None:
            raise ValueError(f"{op}: y must be None when x is a Dataset (its samples hold the "
                             "targets)")
        from ..data import DataLoader

        return LoaderAdapter(DataLoader(x, batch_size=batch_size, shuffle=shuffle, seed=seed),
                             dtype, op)
    if _is_array_like(x):
        return ArrayAdapter(x, y, batch_size, shuffle, seed, dtype, op)
    if hasattr(x, "__iter__"):
        if y is not None:
            raise ValueError(f"{op}: y must be None when x is a DataLoader or an iterable of "
                             "batches: each batch already holds (x, y)")
        return LoaderAdapter(x, dtype, op)
    raise TypeError(f"{op}: cannot use x of type {type(x).__name__}; give NumPy arrays, Tensors, "
                    "a chainrule.data.Dataset or a DataLoader")


__all__ = ["ArrayAdapter", "LoaderAdapter", "get_adapter", "train_validation_split"]
