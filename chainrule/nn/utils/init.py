"""``skip_init`` (PyTorch's ``torch.nn.utils.init``): build a module without paying for the
initialisation of its parameters, for code that overwrites them at once (from a checkpoint)."""
from __future__ import annotations

import inspect

from ..module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with parameters whose values are unspecified (PyTorch
    leaves them uninitialised memory), on ``device`` (default ``'cpu'``).

    As PyTorch, the class must be a Module taking a ``device`` argument. chainrule builds the
    module on the device directly: its parameters then hold their ordinary initial values,
    which is one of the values "unspecified" allows. chainrule's own layers that do not take
    ``device`` yet (PyTorch's do) are built and then moved with ``.to(device)``.
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    takes_device = "device" in inspect.signature(module_cls).parameters
    if not takes_device and not module_cls.__module__.startswith("chainrule."):
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    if takes_device:
        return module_cls(*args, device=final_device, **kwargs)
    return module_cls(*args, **kwargs).to(final_device)
