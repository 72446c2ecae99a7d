"""Samplers: which sample indices a DataLoader serves, and in what order (PyTorch's
``torch.utils.data`` samplers). Random ones draw as PyTorch's do — from ``generator=`` (a
:class:`chainrule.Generator`) or chainrule's global generator, with PyTorch's algorithms and at
the same moments (while iterating), so the same seed gives PyTorch's indices — or, given an int
seed or a NumPy Generator as ``generator=`` (chainrule's), from NumPy's algorithms."""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from .. import backend
from .. import random as _random
from ..backend import xp


def _pytorch_draws(generator) -> bool:
    """Whether ``generator`` asks for PyTorch's draws (None or a chainrule.Generator)."""
    return generator is None or isinstance(generator, _random.Generator)


def _rng(generator):
    if generator is None:
        return xp.random.default_rng(int(backend.generator().integers(0, 2**63 - 1)))
    if isinstance(generator, xp.random.Generator):
        return generator
    if isinstance(generator, (int, xp.integer)) and not isinstance(generator, bool):
        return xp.random.default_rng(int(generator))
    raise TypeError(f"sampler: generator must be None, an int seed or a numpy.random.Generator, "
                    f"got {type(generator).__name__}")


class Sampler:
    """Base class: iterating yields sample indices."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, …, n − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (or ``num_samples`` draws with ``replacement=True``)."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer, got "
                             f"{num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        if _pytorch_draws(self.generator):
            return self._pytorch_order()
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = math.ceil(self.num_samples / n) if n else 0
        order = xp.concatenate([rng.permutation(n) for _ in range(reps)]) if reps else []
        return iter(list(order[: self.num_samples]))

    def _pytorch_order(self):
        """PyTorch's RandomSampler.__iter__: without a generator, a fresh one seeded from the
        global generator; randint in blocks of 32 with replacement, else randperms."""
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(_random.resolve(None).random_((), xp.dtype(xp.int64)))
            generator = _random.Generator().manual_seed(seed)
        if self.replacement:
            for count in [32] * (self.num_samples // 32) + [self.num_samples % 32]:
                yield from generator.random_((count,), xp.dtype(xp.int64), 0, n).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from generator.randperm(n).tolist()
            yield from generator.randperm(n).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices: Sequence[int], generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        if _pytorch_draws(self.generator):      # randperm from the generator, when iterated
            return (self.indices[i] for i in self._pytorch_order())
        order = _rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order)

    def _pytorch_order(self):
        yield from _random.resolve(self.generator).randperm(len(self.indices)).tolist()

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        w = xp.asarray(getattr(weights, "_data", weights), dtype=xp.float64)
        if w.ndim != 1 or (w < 0).any() or not w.sum() > 0:
            raise ValueError("WeightedRandomSampler: weights must be a 1-D sequence of "
                             "non-negative numbers with a positive sum")
        if not replacement and num_samples > (w > 0).sum():
            raise ValueError("WeightedRandomSampler: cannot draw more samples without "
                             "replacement than there are positive weights")
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = bool(replacement), generator

    def __iter__(self):
        if _pytorch_draws(self.generator):
            return self._pytorch_order()
        p = self.weights / self.weights.sum()
        draws = _rng(self.generator).choice(len(p), self.num_samples, replace=self.replacement,
                                            p=p)
        return iter(draws.tolist())

    def _pytorch_order(self):
        """torch.multinomial(weights, num_samples, replacement, generator), when iterated."""
        rows = self.weights.reshape(1, -1)
        drawn = _random.resolve(self.generator).multinomial(rows, self.num_samples,
                                                            self.replacement)
        yield from drawn.reshape(-1).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer, got "
                             f"{batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
