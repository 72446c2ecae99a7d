"""Intel MKL (``torch.backends.mkl``): chainrule computes with NumPy's BLAS, not MKL's."""
from __future__ import annotations


def is_available() -> bool:
    return False
