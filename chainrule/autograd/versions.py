"""Version counters: how in-place changes are caught before they corrupt a derivative.

A backward rule often needs the values its forward saw (the derivative of eˣ reuses eˣ, that of
x·w reuses x and w). If one of those arrays is changed in place between the forward and the
backward, the rule would silently compute the derivative at the wrong point. PyTorch guards this
with a version counter per storage; chainrule does the same:

- every in-place operation on a tensor bumps the version of the memory it writes to (views share
  their base's memory, so they share its counter);
- a recorded node remembers the versions of the arrays it saved;
- backward compares them and raises a clear error when one has changed.

Memory that was never written in place has version 0 and no entry, so a program without in-place
updates pays only an empty-dictionary check per operation.
"""
from __future__ import annotations

import weakref

from ..backend import ndarray

_versions: dict[int, int] = {}


def _owner(array):
    base = getattr(array, "base", None)     # arrays of other libraries: counted as themselves
    if base is None:
        return array
    while isinstance(base, ndarray) and base.base is not None:
        base = base.base
    return base


def version(array) -> int:
    """How many in-place writes the memory of ``array`` has had."""
    if not _versions:
        return 0
    return _versions.get(id(_owner(array)), 0)


def bump(array) -> None:
    """Record one in-place write to the memory of ``array``."""
    owner = _owner(array)
    key = id(owner)
    count = _versions.get(key)
    if count is None:
        try:
            weakref.finalize(owner, _versions.pop, key, None)
        except TypeError:       # memory owned by an object without weak references: keep counting
            pass
        count = 0
    _versions[key] = count + 1


def saved_versions(saved) -> tuple | None:
    """The versions of the saved arrays (None when nothing was ever written in place)."""
    if not _versions:
        return None
    return tuple(version(v) if isinstance(v, ndarray) else 0 for v in saved)


def check(node, name: str) -> None:
    """Raise if an array that ``node`` saved for backward was modified in place since."""
    if not _versions or not node.saved:
        return
    before = node.versions
    for i, value in enumerate(node.saved):
        if not isinstance(value, ndarray):
            continue
        now = version(value)
        then = 0 if before is None else before[i]
        if now != then:
            raise RuntimeError(
                f"backward through '{name}': one of the tensors it saved for its derivative (a "
                f"tensor of shape {tuple(value.shape)}) was modified by an in-place operation "
                f"after the forward pass (its version is now {now}, it was {then} when saved), "
                "so the derivative would be computed at the wrong values. Use an out-of-place "
                "operation (y = y + 1 instead of y += 1, or .clone() before changing it), or "
                "recompute the forward pass after the change.")


# ---------------------------------------------------------------------- rebinding after in place
# The graph links a node to the Tensor objects it consumed. An in-place operation on a tensor that
# has a node gives that same object a new node (its new value), so a node recorded *before* the
# change must still reach the *old* value: each rebinding keeps the old value as a separate
# "shadow" tensor, and the engine sends the gradient of an earlier consumer there. Nodes are
# numbered in recording order (``sequence``); a consumer numbered before a rebinding saw the value
# before it.
sequence = [0]
_rebinds: dict[int, list] = {}


def record_rebind(tensor, shadow) -> None:
    """``tensor`` is about to take a new node; ``shadow`` holds its old node and values."""
    key = id(tensor)
    entries = _rebinds.get(key)
    if entries is None:
        entries = _rebinds[key] = []
        weakref.finalize(tensor, _rebinds.pop, key, None)
    entries.append((sequence[0], shadow))


def resolve(tensor, consumer):
    """The version of ``tensor`` that the node ``consumer`` consumed."""
    entries = _rebinds.get(id(tensor))
    if not entries:
        return tensor
    seq = getattr(consumer, "seq", None)
    if seq is None:
        return tensor
    for boundary, shadow in entries:
        if seq <= boundary:
            return shadow
    return tensor
