"""``chainrule.accelerator``: PyTorch's ``torch.accelerator`` helpers. No accelerator is present,
so programs that ask for ``current_accelerator()`` get None and fall back to the CPU."""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""
