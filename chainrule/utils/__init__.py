"""PyTorch's ``torch.utils`` names: ``chainrule.utils.data`` is :mod:`chainrule.data`.

So ``from chainrule.utils.data import DataLoader, TensorDataset`` (the line a PyTorch program has,
with ``torch`` renamed) works, and so does ``chainrule.utils.data.DataLoader`` after
``import chainrule``.
"""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]
