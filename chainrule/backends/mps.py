"""Apple's Metal (``torch.backends.mps``): not a chainrule device."""
from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
