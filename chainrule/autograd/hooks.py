"""Tensor hooks (``t.register_hook(fn)``) and anomaly detection (``detect_anomaly``).

A hook sees the gradient ∂L/∂t when backward reaches t, before it flows further (or is stored in
``t.grad``), and may return a replacement, as in PyTorch. Anomaly mode checks every gradient a
backward rule returns and names the operation whose rule produced a NaN.
"""
from __future__ import annotations

import weakref

from ..backend import xp

_hooks: dict[int, list] = {}
_anomaly = [False]


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook away."""

    def __init__(self, key: int, fn):
        self._key = key
        self._fn = fn

    def remove(self) -> None:
        entries = _hooks.get(self._key)
        if entries and self._fn in entries:
            entries.remove(self._fn)
            if not entries:
                del _hooks[self._key]


def register(tensor, fn) -> RemovableHandle:
    key = id(tensor)
    if key not in _hooks:
        weakref.finalize(tensor, _hooks.pop, key, None)
        _hooks[key] = []
    _hooks[key].append(fn)
    return RemovableHandle(key, fn)


def run(tensor, g, create_graph: bool):
    """Apply the hooks registered on ``tensor`` to its gradient ``g`` (an array or a Tensor)."""
    entries = _hooks.get(id(tensor))
    if not entries:
        return g
    from ..tensor import Tensor

    wrapped = g if isinstance(g, Tensor) else Tensor._from_op(g, None)
    for fn in list(entries):
        result = fn(wrapped)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"register_hook: a hook must return None or a Tensor, got "
                                f"{type(result).__name__}")
            if tuple(result.shape) != tuple(wrapped.shape):
                raise RuntimeError(f"register_hook: the hook returned a gradient of shape "
                                   f"{tuple(result.shape)} for a tensor of shape "
                                   f"{tuple(wrapped.shape)}")
            wrapped = result
    return wrapped if create_graph else wrapped._data


def anomaly_enabled() -> bool:
    return _anomaly[0]


def check_finite(name: str, grads) -> None:
    for i, gi in enumerate(grads):
        if gi is None:
            continue
        array = getattr(gi, "_data", gi)
        if array.dtype.kind in "fc" and xp.isnan(array).any():
            raise RuntimeError(f"Function '{name}' returned nan values in its {i}th output "
                               "(found by detect_anomaly during backward)")


class detect_anomaly:
    """``with detect_anomaly():`` — during backward, raise at the first operation whose rule
    returns a NaN gradient, naming it (PyTorch's ``torch.autograd.detect_anomaly``)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.previous = _anomaly[0]
        _anomaly[0] = self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly[0] = self.previous
        return False


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(mode)``: as a call switches anomaly mode; as a context restores it."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(check_nan and mode)
        self.previous = _anomaly[0]
        _anomaly[0] = bool(mode) and check_nan

    def __enter__(self):
        return self


def is_anomaly_enabled() -> bool:
    return _anomaly[0]
