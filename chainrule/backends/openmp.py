"""OpenMP (``torch.backends.openmp``): chainrule's threads are its own (chainrule.parallel)."""
from __future__ import annotations


def is_available() -> bool:
    return False
