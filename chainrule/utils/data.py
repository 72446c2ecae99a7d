"""``torch.utils.data``'s names, re-exported from :mod:`chainrule.data` (the one implementation).

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> import chainrule.data
>>> DataLoader is chainrule.data.DataLoader
True
"""
from ..data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split  # noqa: F401

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]
