"""Memory formats (PyTorch's ``torch.memory_format``) and layouts (``torch.layout``).

A memory format says in which order a tensor's elements lie in memory, not what they are:
``channels_last`` keeps an N×C×H×W tensor's shape and values but stores it as N×H×W×C (strides
(HWC, 1, WC, C)), as PyTorch does. chainrule's arrays are strided NumPy arrays, so the format is
real: ``x.contiguous(memory_format=chainrule.channels_last)`` lays the memory out that way,
``stride()`` and ``is_contiguous(memory_format=…)`` report it, and ``view`` refuses what the
layout does not allow, as in PyTorch. Results of computations are the same in every format.
"""
from __future__ import annotations

from . import backend


class memory_format:  # noqa: N801  (PyTorch's name)
    """One of ``contiguous_format``, ``channels_last``, ``channels_last_3d``,
    ``preserve_format``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):
        return self.name


class layout:  # noqa: N801  (PyTorch's name)
    """A tensor's layout; chainrule's tensors are all ``strided`` (dense)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
strided = layout("strided")

# the order of the dims from the fastest-varying to the slowest, per format and rank
_ORDER = {"channels_last": (4, (1, 3, 2, 0)), "channels_last_3d": (5, (1, 4, 3, 2, 0))}


def _check(fmt) -> memory_format:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"memory_format: expected a chainrule.memory_format such as "
                        f"chainrule.channels_last, got {fmt!r}")
    return fmt


def is_contiguous_as(array, fmt) -> bool:
    """Whether ``array``'s memory is dense in format ``fmt`` (PyTorch's rule: dims of size 1
    may have any stride; channels_last needs rank 4, channels_last_3d rank 5)."""
    fmt = _check(fmt)
    data = backend.host_layout(array)
    if fmt.name in ("contiguous_format", "preserve_format"):
        return bool(data.flags.c_contiguous)
    rank, order = _ORDER[fmt.name]
    if data.ndim != rank:
        return False
    expected = 1
    for d in order:
        size = data.shape[d]
        if size != 1:
            if data.strides[d] // data.itemsize != expected:
                return False
            expected *= size
    return True


def laid_out(array, fmt):
    """``array``'s values in memory format ``fmt`` (``array`` itself when already so laid out,
    or for ``preserve_format``)."""
    fmt = _check(fmt)
    if fmt.name in _ORDER and array.ndim != _ORDER[fmt.name][0]:
        raise RuntimeError(f"required rank {_ORDER[fmt.name][0]} tensor to use {fmt.name} "
                           f"format (got rank {array.ndim})")
    if fmt.name == "preserve_format" or not hasattr(array, "strides") or \
            is_contiguous_as(array, fmt):
        return array          # (an array library without strides has no layout to change)
    xp = backend.array_namespace(array)
    if fmt.name == "contiguous_format":
        return xp.ascontiguousarray(array)
    slow_to_fast = _ORDER[fmt.name][1][::-1]         # e.g. (0, 2, 3, 1): N, H, W, C
    back = [slow_to_fast.index(d) for d in range(array.ndim)]
    return xp.transpose(xp.ascontiguousarray(xp.transpose(array, slow_to_fast)), back)


def like_layout(values, template):
    """``values`` (a fresh array of ``template``'s shape) in ``template``'s memory order, as
    PyTorch's ``preserve_format`` does: the same strides where ``template`` is dense; where it is
    not (a slice), a dense array whose dims are ordered as ``template``'s strides (NumPy's order
    'K'; PyTorch's suggest_memory_format gives the same for the row-major and channels-last
    orders)."""
    if not hasattr(template, "strides") or not hasattr(values, "strides") or \
            backend.host_layout(template).flags.c_contiguous:
        return values
    xp = backend.array_namespace(template)
    out = xp.empty_like(template, dtype=values.dtype)
    out[...] = values
    return out
