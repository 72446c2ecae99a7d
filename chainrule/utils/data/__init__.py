"""``torch.utils.data``'s names, re-exported from :mod:`chainrule.data` (the one implementation).

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> import chainrule.data
>>> DataLoader is chainrule.data.DataLoader
True
"""
from ...data import (  # noqa: F401
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from .distributed import DistributedSampler  # noqa: F401

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
           "IterableDataset", "ChainDataset", "ConcatDataset", "StackDataset", "get_worker_info",
           "default_convert"]
