"""``chainrule.backends``: PyTorch's ``torch.backends`` switches, so that programs that set them
(``torch.backends.cudnn.benchmark = True``, ``import torch.backends.cudnn as cudnn``) or ask
about them (``torch.backends.mps.is_available()``) run unchanged.

chainrule computes with NumPy on the CPU (CuPy on a GPU, where chainrule.cuda says so): it has no
cuDNN autotuner, no TF32 and no MPS, so the switches are recorded and change nothing — as they
change nothing in PyTorch's CPU build. The ``is_available()`` answers describe chainrule itself.
"""
from . import cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cudnn", "cuda", "mps", "mkldnn", "mkl", "openmp"]
