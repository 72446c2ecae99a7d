"""Iterable-style datasets (PyTorch's ``IterableDataset``, ``ChainDataset``, ``get_worker_info``)
and how a DataLoader reads them.

An iterable-style dataset is a stream: ``iter(ds)`` gives its samples, there is no index. A
:class:`~chainrule.data.DataLoader` over one takes no sampler and no shuffle; it batches the
stream in order, ``batch_size`` samples a batch (the last one shorter, or dropped with
``drop_last``), or with ``batch_size=None`` serves each sample through
:func:`~chainrule.data.default_convert`.

Workers (``num_workers = w > 0``), as PyTorch's in-order loader gives them, run in this process:

- each worker ``k`` gets its own replica of the dataset (a deep copy, as a forked worker process
  has its own copy; a shallow copy where the dataset cannot be deep-copied, e.g. it holds an open
  file) and its own random state, seeded as PyTorch seeds a worker: ``seed = base_seed + k``
  seeds chainrule's default generator and Python's ``random``, and NumPy's legacy global
  generator gets ``SeedSequence([k, base_seed mod 2³², base_seed div 2³², 0])``'s four words
  (PyTorch's ``_generate_state``), ``base_seed`` being the int64 the loader draws from its
  generator at every iteration (PyTorch's draw);
- inside a worker — its ``worker_init_fn(k)``, called before ``iter(replica)``, and the
  replica's ``__iter__`` — :func:`get_worker_info` describes it (``id``, ``num_workers``,
  ``seed``, ``dataset`` = the replica); the main process, and map-style loading, see ``None``;
- the batches come round-robin, one from each worker in turn, a worker leaving the rotation once
  its replica is exhausted (each worker batches its own stream, so each has its own last partial
  batch).

So a dataset that shards itself with :func:`get_worker_info` gives PyTorch's samples in
PyTorch's order, and one that does not gives each sample ``w`` times, as in PyTorch. The random
states are swapped in and out around each step of a worker, so the main process's generators
are left exactly as the worker processes would leave them: untouched.
"""
from __future__ import annotations

import collections
import copy
import itertools
import random as _pyrandom
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .. import random as _random
from ..backend import xp
from .dataset import Dataset


class IterableDataset(Dataset):
    """Base class of stream datasets: subclasses define ``__iter__`` (and may define
    ``__len__``, which ``len(DataLoader)`` then uses).

    ``a + b`` chains two of them (:class:`ChainDataset`).

    >>> class Count(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(self.n))
    >>> list(Count(2) + Count(3))
    [0, 1, 0, 1, 2]
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self) -> int:
        # PyTorch's IterableDataset has no __len__: len() of one is Python's TypeError
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other) -> ChainDataset:
        return ChainDataset([self, other])


def _require_iterable(dataset) -> None:
    if not isinstance(dataset, IterableDataset):
        raise AssertionError(f"ChainDataset only supports IterableDataset, got "
                             f"{type(dataset).__name__}")


class ChainDataset(IterableDataset):
    """The streams of ``datasets`` one after another, read on the fly.

    Every member must be an :class:`IterableDataset` (``AssertionError`` otherwise, when it is
    reached, as in PyTorch); ``len`` is the sum of the members' lengths.
    """

    def __init__(self, datasets: Iterable):
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            _require_iterable(dataset)
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            _require_iterable(dataset)
            total += len(dataset)
        return total


# --------------------------------------------------------------------------- workers
@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker (read-only)."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "in-process"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current DataLoader worker's ``id``, ``num_workers``, ``seed`` and ``dataset`` (its
    replica) inside a worker — a ``worker_init_fn`` or the ``__iter__`` of an iterable-style
    dataset read with ``num_workers > 0`` — and ``None`` in the main process.

    chainrule's workers run in this process (see :mod:`chainrule.data.iterable`); map-style
    datasets are read without workers, so ``get_worker_info()`` is ``None`` there.
    """
    return _worker_info


def _numpy_seed(base_seed: int, worker_id: int):
    """PyTorch's seed of NumPy's global generator in worker ``worker_id``: the four words of a
    SeedSequence over (worker id, low and high halves of the base seed, 0)."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return xp.random.SeedSequence(entropy).generate_state(4)


class _Worker:
    """One emulated worker: its replica, its info, its random states and its stream."""

    def __init__(self, dataset, worker_id: int, num_workers: int, base_seed: int,
                 init_fn: Callable | None):
        try:
            replica = copy.deepcopy(dataset)
        except (TypeError, copy.Error, RecursionError):
            replica = copy.copy(dataset)
        seed = base_seed + worker_id
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                               dataset=replica)
        generator = _random.Generator().manual_seed(seed)
        self.chainrule_state = generator.bit_generator.state
        python = _pyrandom.Random(seed)
        self.python_state = python.getstate()
        legacy = xp.random.RandomState(_numpy_seed(base_seed, worker_id))
        self.numpy_state = legacy.get_state()
        self.init_fn = init_fn
        self.started = False
        self.make_stream = None
        self.stream = None

    def restart(self, stream: Callable) -> None:
        """Read ``stream(replica)`` from the next step on (a new epoch: PyTorch's workers make a
        new fetcher; the replica, the random states and the started flag carry over)."""
        self.make_stream = stream
        self.stream = None

    def step(self):
        """The worker's next item, computed inside the worker (raises StopIteration at its
        end)."""
        global _worker_info
        default = _random.default_generator
        saved = (_worker_info, default.bit_generator.state, _pyrandom.getstate(),
                 xp.random.get_state())
        _worker_info = self.info
        default.bit_generator.state = self.chainrule_state
        _pyrandom.setstate(self.python_state)
        xp.random.set_state(self.numpy_state)
        try:
            if not self.started:
                self.started = True
                if self.init_fn is not None:
                    self.init_fn(self.info.id)
            if self.stream is None:
                self.stream = self.make_stream(self.info.dataset)
            return next(self.stream)
        finally:
            self.chainrule_state = default.bit_generator.state
            self.python_state = _pyrandom.getstate()
            self.numpy_state = xp.random.get_state()
            _worker_info, state, python, legacy = saved
            default.bit_generator.state = state
            _pyrandom.setstate(python)
            xp.random.set_state(legacy)


def stream_items(dataset, batch_size: int | None, drop_last: bool, collate: Callable):
    """The items a single reader of ``dataset`` gives: ``collate(list of batch_size samples)``
    per batch (a shorter last one unless ``drop_last``), or ``collate(sample)`` per sample with
    ``batch_size=None``. After a short batch the stream is not asked for more (PyTorch's)."""
    samples = iter(dataset)
    if batch_size is None:
        for sample in samples:
            yield collate(sample)
        return
    while True:
        batch = list(itertools.islice(samples, batch_size))
        if not batch or (drop_last and len(batch) < batch_size):
            return
        yield collate(batch)
        if len(batch) < batch_size:
            return


def make_workers(dataset, num_workers: int, base_seed: int,
                 init_fn: Callable | None) -> list[_Worker]:
    """``num_workers`` emulated workers, each with its replica of ``dataset``, seeded from
    ``base_seed`` as PyTorch seeds its worker processes."""
    return [_Worker(dataset, k, num_workers, base_seed, init_fn) for k in range(num_workers)]


def worker_items(workers: list[_Worker], stream: Callable[[object], Iterator]):
    """The items of the ``workers``, each reading ``stream(its replica)`` from the start,
    round-robin in worker order; an exhausted worker leaves the rotation."""
    for worker in workers:
        worker.restart(stream)
    workers = collections.deque(workers)
    while workers:
        try:
            item = workers[0].step()
        except StopIteration:
            workers.popleft()
            continue
        workers.rotate(-1)
        yield item


__all__ = ["IterableDataset", "ChainDataset", "get_worker_info", "WorkerInfo"]
