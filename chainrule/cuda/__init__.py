"""``chainrule.cuda``: PyTorch's ``torch.cuda`` queries, answered by the ``"cuda"`` device
backend (CuPy, when installed and a GPU is visible: chainrule.device). Without one,
``is_available()`` is False and ``device_count()`` is 0, and programs that choose their device
with ``"cuda" if chainrule.cuda.is_available() else "cpu"`` run on the CPU unchanged."""
from __future__ import annotations

import importlib

_device = importlib.import_module("chainrule.device")


def is_available() -> bool:
    return _device.backend_for("cuda") is not None


def device_count() -> int:
    found = _device.backend_for("cuda")
    return 0 if found is None else found.count()


def synchronize(device=None) -> None:
    """Wait until the GPU has finished the work queued on it (nothing to wait for without one)."""
    found = _device.backend_for("cuda")
    if found is not None:
        found.synchronize(None if device is None else _device.device(device).index)


def manual_seed(seed: int) -> None:
    """Accepted (PyTorch seeds the GPU generators); chainrule's generator is the CPU's."""


def manual_seed_all(seed: int) -> None:
    """Accepted, as :func:`manual_seed`."""


def empty_cache() -> None:
    """Nothing cached on a GPU."""


def is_bf16_supported() -> bool:
    return False


from . import amp  # noqa: E402  (torch.cuda.amp's deprecated GradScaler and autocast)
