"""Data: datasets, batching, batch transforms and real datasets (PyTorch's ``torch.utils.data``).

>>> import numpy as np
>>> from chainrule.data import DataLoader, TensorDataset
>>> from chainrule.data import transforms as T
>>> x, y = np.zeros((100, 28, 28), np.uint8), np.arange(100) % 10
>>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0,
...                     transform=T.Compose([T.ToFloat(), T.Normalize(0.2860, 0.3530)]))
>>> xb, yb = next(iter(loader))
>>> xb.shape, xb.dtype, yb.dtype
((32, 28, 28), dtype('float32'), dtype('int64'))
"""
from . import datasets, transforms
from .combined import ConcatDataset, StackDataset
from .convert import default_convert
from .dataset import Dataset, Subset, TensorDataset, random_split
from .iterable import ChainDataset, IterableDataset, get_worker_info
from .loader import DataLoader, default_collate
from .samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler",
           "transforms", "datasets",
           "IterableDataset", "ChainDataset", "ConcatDataset", "StackDataset", "get_worker_info",
           "default_convert"]
