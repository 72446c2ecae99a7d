"""Tensor hooks (``t.register_hook(fn)``) and anomaly detection (``detect_anomaly``).

A hook sees the gradient ∂L/∂t when backward reaches t, before it flows further (or is stored in
``t.grad``), and may return a replacement, as in PyTorch. Anomaly mode checks every gradient a
backward rule returns and names the operation whose rule produced a NaN.
"""
from __future__ import annotations

import weakref

from ..backend import dtype_kind, namespace, xp

_hooks: dict[int, list] = {}
_anomaly = [False]


_post_hooks: dict[int, list] = {}     # post-accumulate-grad hooks of leaves, by id


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook away."""

    def __init__(self, key: int, fn, table: dict | None = None):
        self._key = key
        self._fn = fn
        self._table = _hooks if table is None else table

    def remove(self) -> None:
        entries = self._table.get(self._key)
        if entries and self._fn in entries:
            entries.remove(self._fn)
            if not entries:
                del self._table[self._key]


def register(tensor, fn, table: dict | None = None) -> RemovableHandle:
    table = _hooks if table is None else table
    key = id(tensor)
    if key not in table:
        weakref.finalize(tensor, table.pop, key, None)
        table[key] = []
    table[key].append(fn)
    return RemovableHandle(key, fn, table)


def register_post_accumulate(tensor, fn) -> RemovableHandle:
    """``t.register_post_accumulate_grad_hook(fn)``: ``fn(t)`` runs after backward has
    accumulated the gradient into ``t.grad`` (leaves only; its return value must be None)."""
    return register(tensor, fn, _post_hooks)


def run_post(tensor) -> None:
    """Run the post-accumulate-grad hooks of leaf ``tensor`` (its ``.grad`` is complete)."""
    for fn in list(_post_hooks.get(id(tensor), ())):
        if fn(tensor) is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: the hook must return None "
                               "(it may change tensor.grad in place)")


_final_callbacks: list = []


def queue_callback(fn) -> None:
    """Run ``fn()`` once when the backward pass now running ends (PyTorch's
    ``Variable._execution_engine.queue_callback``); outside a backward pass, a RuntimeError."""
    if not _in_backward[0]:
        raise RuntimeError("queue_callback: there is no backward pass running to attach the "
                           "callback to (call it from a hook during backward)")
    _final_callbacks.append(fn)


_in_backward = [0]


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
        if dtype_kind(array.dtype) not in "fc":
            continue
        ns = namespace(array)
        if (xp.isnan(array).any() if ns is xp else ns.any(ns.isnan(array))):
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
