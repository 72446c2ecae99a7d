"""PyTorch's ``torch.nn.parallel``: :class:`DistributedDataParallel` (over MPI; see
:mod:`chainrule.distributed`). Importing it does not import MPI."""
from .distributed import DistributedDataParallel

DDP = DistributedDataParallel

__all__ = ["DistributedDataParallel"]
