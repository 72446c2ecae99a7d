"""DataLoader: a dataset in batches of chainrule Tensors, reshuffled each epoch reproducibly.

Batching takes one of two paths:

- **fast**: a dataset with ``get_batch(indices)`` (:class:`TensorDataset`, a :class:`Subset` of
  one) gives each batch with one fancy index per array — no Python loop over samples;
- **generic**: any other dataset (or any dataset with a ``collate_fn``) is read sample by sample
  and the samples are stacked by ``collate_fn`` (:func:`default_collate` by default).

Batches have PyTorch's structure and dtypes: samples that are tuples or lists of fields give a
list of batched fields (``for x, y in loader`` unpacks it), dicts a dict; arrays keep the dtype
they are stored with (float32 images stay float32, uint8 pixels stay uint8 until a
:class:`~chainrule.data.transforms.ToFloat`). A :class:`TensorDataset` made from NumPy arrays
stores 1-D integer arrays — class labels — as int64, the dtype the losses expect.

Random numbers, two ways:

- **PyTorch's** (no ``seed=``; ``generator=`` None or a :class:`chainrule.Generator`): each
  iteration draws what PyTorch's ``_BaseDataLoaderIter`` and ``RandomSampler`` draw, from the
  same generator, in the same order — one int64 base seed, then (shuffling) one seed for a fresh
  ``Generator`` whose ``randperm`` is the order (or the order straight from ``generator=``). A
  program therefore sees PyTorch's orders and leaves the generator where PyTorch leaves it (the
  dropout masks after it stay in step). Restoring the generator's state (a checkpoint's RNG)
  replays the orders.
- **seeded** (``seed=`` an int or a NumPy Generator, or a state from ``load_state_dict``): the
  order of epoch ``e`` is a permutation drawn from ``default_rng([base_seed, e])``, so it depends
  only on the loader's seed and the epoch number. Resuming training at epoch ``e``
  (``loader.set_epoch(e)`` or ``load_state_dict``) replays exactly the order an uninterrupted run
  would have seen.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence

from .. import random as _random
from ..backend import xp
from ..tensor import Tensor
from .convert import default_convert
from .iterable import IterableDataset, make_workers, stream_items, worker_items


def collate_arrays(samples: Sequence):
    """Stack a list of samples into a batch of arrays, mirroring the sample's structure (the
    loader's default collation; :func:`default_collate` is PyTorch's, on Tensors).

    A tuple or list of fields gives a list of stacked fields (a namedtuple stays a namedtuple),
    as PyTorch's ``default_collate``; a dict gives a dict; arrays, Tensors and numbers are
    stacked along a new first axis (Python floats as float64 and Python ints as int64, as PyTorch
    collates them; NumPy scalars and arrays keep their dtype). Returns NumPy arrays; the loader
    makes the Tensors.
    """
    if not samples:
        raise ValueError("default_collate: no samples to collate")
    first = samples[0]
    if isinstance(first, Mapping):
        return {key: collate_arrays([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        _check_widths(samples)
        fields = [collate_arrays(list(field)) for field in zip(*samples)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    if isinstance(first, Tensor):
        return xp.stack([s._data for s in samples])
    if isinstance(first, xp.generic):   # NumPy scalars keep their dtype (np.float64 is a float)
        return xp.stack([xp.asarray(s) for s in samples])
    if isinstance(first, bool):
        return xp.asarray(samples, dtype=xp.bool_)
    if isinstance(first, int):
        return xp.asarray(samples, dtype=xp.int64)
    if isinstance(first, float):
        return xp.asarray(samples, dtype=xp.float64)
    try:
        return xp.stack([xp.asarray(s) for s in samples])
    except ValueError as e:
        shapes = sorted({tuple(xp.shape(s)) for s in samples})
        raise ValueError(f"default_collate: samples of different shapes {shapes} cannot be "
                         f"stacked into one batch ({e}); resize them or pass a collate_fn"
                         ) from None


def _check_widths(samples) -> None:
    widths = {len(s) for s in samples}
    if len(widths) != 1:
        raise ValueError(f"default_collate: samples have different numbers of fields "
                         f"{sorted(widths)}")


def default_collate(batch: Sequence):
    """PyTorch's ``torch.utils.data.default_collate``: a list of samples → one batch of Tensors
    with the samples' structure — a dict of batches for dicts, a namedtuple for namedtuples, a
    list of batches for other tuples and lists, strings left as they come; numbers and arrays
    stacked along a new first axis (Python floats float64, ints int64, bools bool, NumPy values
    their own dtype)."""
    if not batch:
        raise ValueError("default_collate: no samples to collate")
    first = batch[0]
    if isinstance(first, Mapping):
        return {key: default_collate([s[key] for s in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        _check_widths(batch)
        fields = [default_collate(field) for field in zip(*batch)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    if isinstance(first, (str, bytes)):
        return batch                        # as PyTorch: the list (or zipped tuple) itself
    return Tensor._make(collate_arrays(batch))


def _to_tensor(value):
    """Backend arrays → Tensors, recursively (dtypes kept, as PyTorch's collation keeps them)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, tuple):
        fields = [_to_tensor(v) for v in value]
        return type(value)(*fields) if hasattr(value, "_fields") else tuple(fields)
    if isinstance(value, list):
        return [_to_tensor(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _to_tensor(v) for k, v in value.items()}
    if isinstance(value, xp.ndarray):
        return Tensor._make(value)
    return value


def _base_seed(seed, op: str) -> int | None:
    """The seed of the seeded mode; None (no seed): PyTorch's draws at each iteration."""
    if seed is None:
        return None
    if isinstance(seed, xp.random.Generator):
        return int(seed.integers(2 ** 63))
    if isinstance(seed, (int, xp.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise TypeError(f"{op}: seed must be None, an int or a numpy.random.Generator, got "
                    f"{type(seed).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in batches of chainrule Tensors.

    Args:
        dataset: a :class:`~chainrule.data.Dataset` (anything with ``__len__`` and
            ``__getitem__``) or an :class:`~chainrule.data.IterableDataset` (a stream: no
            sampler, no shuffle; ``len(loader)`` from ``len(dataset)`` where it has one; worker
            replicas as in PyTorch, see :mod:`chainrule.data.iterable`).
        batch_size: samples per batch; None: no batching, each sample (``dataset[i]`` in the
            sampler's order, or the stream's next) through ``collate_fn`` or
            :func:`~chainrule.data.default_convert`.
        shuffle: a new random order every epoch (see the module docstring for reproducibility).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (forces the per-sample path).
        transform: applied to each whole batch's inputs (the first field of a tuple batch, or the
            batch itself), as a NumPy array, before it becomes a Tensor — e.g. a
            :class:`~chainrule.data.transforms.Compose` of batch transforms.
        target_transform: the same for the second field (the labels).
        seed: None (PyTorch's draws from ``generator``, by default the global generator, so
            ``chainrule.manual_seed`` fixes them), an int, or a NumPy Generator (one number is
            drawn from it): the seeded mode (see the module docstring).

    Each batch is a list of Tensors for a dataset of tuples (``for x, y in loader``), as in
    PyTorch.

    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.zeros((10, 3), np.float32), np.arange(10)),
    ...                     batch_size=4, shuffle=True, seed=0)
    >>> [tuple(x.shape) for x, y in loader]
    [(4, 3), (4, 3), (2, 3)]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True, transform: Callable | None = None, seed=None,
                 target_transform: Callable | None = None):
        # PyTorch's signature. Loading happens in this process (num_workers, pin_memory,
        # prefetching and timeouts change nothing about the batches, so they are accepted);
        # ``generator`` is PyTorch's name for ``seed``. An iterable-style dataset's workers are
        # emulated in this process (replicas, worker_init_fn, get_worker_info).
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:      # checked first, as PyTorch does
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle} (a stream has no order "
                                 f"to shuffle)")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader with a sampler: shuffle must not be set (the sampler "
                             "decides the order)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler is mutually exclusive with batch_size, "
                             "shuffle, sampler and drop_last")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative integer, got "
                             f"{num_workers!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.pin_memory = bool(pin_memory)
        self.generator = generator if isinstance(generator, _random.Generator) else None
        if seed is None and generator is not None and self.generator is None:
            seed = generator        # chainrule's: an int or a NumPy Generator as the seed
        shuffle = bool(shuffle)
        if batch_sampler is not None:
            batch_size = 1
        if batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                                 "is mutually exclusive with drop_last")
            if transform is not None or target_transform is not None:
                raise ValueError("DataLoader: transform and target_transform act on batches; "
                                 "with batch_size=None (no batching) apply them in the dataset "
                                 "or the collate_fn")
        elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if not self._iterable and (not hasattr(dataset, "__len__")
                                   or not hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: the dataset must define __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.transform = transform
        self.target_transform = target_transform
        self.base_seed = _base_seed(seed, "DataLoader")
        self.epoch = 0          # the epoch the next iteration runs
        self._len_reported = None   # len(dataset) of an IterableDataset, once len(self) asked
        self._iterated = False      # persistent workers draw their base seed once
        self._workers = None        # an IterableDataset's persistent (emulated) workers

    # ----------------------------------------------------------------- sizes and order
    def __len__(self) -> int:
        if self._iterable:      # PyTorch's rule: trust the dataset's __len__, remember it
            n = self._len_reported = len(self.dataset)
        elif self.batch_sampler is not None:
            return len(self.batch_sampler)
        else:
            n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def fast(self) -> bool:
        """Whether batches are taken whole (``dataset.get_batch``) rather than sample by sample."""
        return self.collate_fn is None and hasattr(self.dataset, "get_batch")

    def order(self, epoch: int | None = None):
        """The sample indices of an epoch (``self.epoch`` by default), in the order served.
        Without a seed, a shuffled order is drawn now, as PyTorch's RandomSampler draws it (a
        seed from the generator, then ``randperm`` from a Generator seeded with it)."""
        epoch = self.epoch if epoch is None else epoch
        if self._iterable:
            raise TypeError("DataLoader.order: an IterableDataset is a stream; it has no "
                            "sample indices")
        if self.sampler is not None:
            return xp.asarray(list(self.sampler), dtype=xp.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return xp.arange(n)
        if self.base_seed is None:
            gen = self.generator
            if gen is None:
                seed = int(_random.resolve(None).random_((), xp.dtype(xp.int64)))
                gen = _random.Generator().manual_seed(seed)
            return gen.randperm(n)
        return xp.random.default_rng([self.base_seed, int(epoch)]).permutation(n)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration serve epoch ``epoch``'s order (for resuming)."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict:
        """What reproduces the order of the coming epochs: the seed and the next epoch."""
        return {"base_seed": self.base_seed, "epoch": self.epoch}

    def load_state_dict(self, state: Mapping) -> None:
        seed = state["base_seed"]
        self.base_seed = None if seed is None else int(seed)
        self.epoch = int(state["epoch"])

    # ----------------------------------------------------------------- iteration
    def __iter__(self):
        # PyTorch's _BaseDataLoaderIter, when iter() makes it, draws its base seed (once only,
        # for persistent workers) and notes the length len(loader) reported so far
        base_seed = None
        if self.base_seed is None and not (self._iterated and self.persistent_workers
                                           and self.num_workers > 0):
            base_seed = int(_random.resolve(self.generator).random_((), xp.dtype(xp.int64)))
        self._iterated = True
        if self._iterable:
            return self._iterate_stream(base_seed, self._len_reported)
        return self._iterate_map()

    def _iterate_map(self):
        if self.batch_sampler is not None:
            self.epoch += 1
            for indices in self.batch_sampler:
                yield self._batch(xp.asarray(indices, dtype=xp.int64))
            return
        order = self.order()
        self.epoch += 1
        n, bs = len(order), self.batch_size or 1
        stop = (n // bs) * bs if self.drop_last else n
        # PyTorch's RandomSampler(generator=g) draws its next randperm from g when its order
        # runs out (before a last partial batch, else when the batch after the last is asked
        # for); the words are gone from g even though the indices are not used
        spent = not (self.shuffle and self.sampler is None and self.base_seed is None
                     and self.generator is not None)
        for start in range(0, stop, bs):
            if not spent and start + bs > n:
                self.generator.randperm(n)
                spent = True
            yield self._batch(order[start:start + bs])
        if not spent:
            self.generator.randperm(n)

    def _iterate_stream(self, base_seed, reported):
        """An IterableDataset's batches (or samples), read in this process or by emulated
        workers, with PyTorch's warning when more come than len(loader) said (``reported``)."""
        if self.batch_size is None:
            collate = self.collate_fn or default_convert
        else:
            def collate(samples):
                return self._finish((self.collate_fn or collate_arrays)(samples))
        epoch = self.epoch
        self.epoch += 1

        def stream(dataset):
            return stream_items(dataset, self.batch_size, self.drop_last, collate)

        if self.num_workers == 0:
            items = stream(self.dataset)
        else:
            workers = self._workers
            if workers is None:
                if base_seed is None:   # seeded mode: a base seed from the seed and the epoch
                    base_seed = int(xp.random.default_rng([self.base_seed, int(epoch)])
                                    .integers(2 ** 63))
                workers = make_workers(self.dataset, self.num_workers, base_seed,
                                       self.worker_init_fn)
                if self.persistent_workers:
                    self._workers = workers
            items = worker_items(workers, stream)
        for count, item in enumerate(items, 1):
            if reported is not None and count > reported:
                note = (" With workers, this could be caused by not configuring the "
                        "IterableDataset replica of each worker (see get_worker_info)."
                        if self.num_workers > 0 else "")
                warnings.warn(f"Length of IterableDataset {self.dataset} was reported to be "
                              f"{reported} (when accessing len(dataloader)), but {count} "
                              f"samples have been fetched.{note}", UserWarning, stacklevel=2)
            yield item

    def _batch(self, indices):
        if self.batch_size is None:     # no batching: one sample, converted
            return (self.collate_fn or default_convert)(self.dataset[int(indices[0])])
        if self.fast:
            batch = self.dataset.get_batch(indices)
        else:
            collate = self.collate_fn or collate_arrays
            batch = collate([self.dataset[int(i)] for i in indices])
        return self._finish(batch)

    def _finish(self, batch):
        """A collated batch → the batch served: transforms applied, arrays made Tensors."""
        if self.transform is not None or self.target_transform is not None:
            batch = self._apply_transforms(batch)
        return _to_tensor(batch)

    def _apply_transforms(self, batch):
        if isinstance(batch, (tuple, list)):
            fields = list(batch)
            if self.transform is not None and fields:
                fields[0] = self.transform(fields[0])
            if self.target_transform is not None and len(fields) > 1:
                fields[1] = self.target_transform(fields[1])
            return tuple(fields) if isinstance(batch, tuple) else fields
        return self.transform(batch) if self.transform is not None else batch

    def __repr__(self) -> str:
        if self._iterable:
            return (f"DataLoader({type(self.dataset).__name__} (iterable), batch_size="
                    f"{self.batch_size}, drop_last={self.drop_last}, num_workers="
                    f"{self.num_workers})")
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"{len(self)} batches, {'fast' if self.fast else 'per-sample'} path)")
