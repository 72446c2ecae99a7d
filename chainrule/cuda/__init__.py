"""``chainrule.cuda``: PyTorch's ``torch.cuda`` queries. chainrule has no GPU backend yet, so
``is_available()`` is False and ``device_count()`` is 0; programs that choose their device with
``"cuda" if chainrule.cuda.is_available() else "cpu"`` run on the CPU unchanged."""
from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""


def manual_seed(seed: int) -> None:
    """Accepted (PyTorch seeds the GPU generators); chainrule's generator is the CPU's."""


def manual_seed_all(seed: int) -> None:
    """Accepted, as :func:`manual_seed`."""


def empty_cache() -> None:
    """Nothing cached on a GPU."""


def is_bf16_supported() -> bool:
    return False
