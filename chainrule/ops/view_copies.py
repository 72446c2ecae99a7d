"""PyTorch's ``*_copy`` functions (``torch.transpose_copy``, ``torch.expand_copy``,
``torch.split_copy`` …): the result of a view function, as a new contiguous tensor that shares
no memory with the input.

Forward:     y = copy(view(x))
Derivative:  the view's own (a copy is the identity on values): ∂L/∂x = view⁻ᵀ(g) — for
             expand a sum over the broadcast dims, for select/slice/diagonal a scatter into
             zeros, for permute/transpose the inverse permutation.

Each function is generated from :data:`VIEWS`, a table of the view with PyTorch's parameter
names, and cloned (:func:`clone`, which records the graph), so the copy is differentiable
through the view's own rule. ``detach_copy`` is a detached copy (PyTorch 2.13 marks its result
as requiring grad but raises on backward: "derivative for aten::detach_copy is not
implemented"; here it is simply not part of the graph). ``chainrule/__init__.py`` binds
:data:`NAMES`.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence

from ..tensor import Tensor
from . import shape as _shape
from . import tensor_extras as _extras
from .indexing import select as _select
from .movement import permute as _permute
from .movement import reshape as _reshape
from .movement import unsqueeze as _unsqueeze
from .scatter_views import split_with_sizes as _split_with_sizes


def _sizes(op: str, name: str, value) -> tuple:
    """A shape argument: a sequence of ints (a bare int is a TypeError, as in PyTorch)."""
    if isinstance(value, Tensor) or not isinstance(value, Sequence):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be tuple of ints, not "
                        f"{type(value).__name__}")
    return tuple(int(v) for v in value)


def _int(op: str, name: str, value, position: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return value


def _dim(op: str, dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})")
    return dim % max(ndim, 1)


def _alias(input):  # noqa: A002
    return input


def _diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    return _shape.diagonal(input, offset, dim1, dim2)


def _expand(input, size, *, implicit: bool = False):  # noqa: A002
    return input.expand(_sizes("expand_copy", "size", size))


def _permute_dims(input, dims):  # noqa: A002
    return _permute(input, _sizes("permute_copy", "dims", dims))


def _select_index(input, dim: int, index: int):  # noqa: A002
    return _select(input, dim, index)


def _slice(input, dim: int = 0, start=None, end=None, step: int = 1):  # noqa: A002
    """input[..., start:end:step, ...] along ``dim`` (ends clamped as Python's slices)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = _dim("slice_copy", dim, input.ndim)
    return input[(slice(None),) * d + (slice(start, end, step),)]


def _split(input, split_size: int, dim: int = 0):  # noqa: A002
    return _shape.split(input, _int("split_copy", "split_size", split_size, 2), dim)


def _split_sizes(input, split_sizes, dim: int = 0):  # noqa: A002
    return _split_with_sizes(input, list(_sizes("split_with_sizes_copy", "split_sizes",
                                                split_sizes)), dim)


def _squeeze(input, dim=None):  # noqa: A002
    return _shape.squeeze(input, dim)


def _transpose_dims(input, dim0: int, dim1: int):  # noqa: A002
    return _shape.swapdims(input, dim0, dim1)


def _unbind(input, dim: int = 0):  # noqa: A002
    return _shape.unbind(input, dim)


def _unfold(input, dimension: int, size: int, step: int):  # noqa: A002
    return input.unfold(dimension, size, step)


def _unsqueeze_dim(input, dim: int):  # noqa: A002
    return _unsqueeze(input, dim)


def _view(input, size):  # noqa: A002
    """A new shape (the copy need not be a view: any layout works, as reshape) or a dtype of
    the same bits (of a contiguous copy)."""
    from ..backend import xp

    if not isinstance(size, Sequence) and not isinstance(size, Tensor):
        try:
            dtype = xp.dtype(size)
        except TypeError:
            dtype = None
        if dtype is not None and not isinstance(size, (int, float)):
            return _shape.clone(input).view(dtype)
    return _reshape(input, _sizes("view_copy", "size", size))


# name -> (the view it copies, with PyTorch's parameter names)
VIEWS = {
    "alias_copy": _alias,
    "detach_copy": _extras.detach,
    "diagonal_copy": _diagonal,
    "expand_copy": _expand,
    "permute_copy": _permute_dims,
    "select_copy": _select_index,
    "slice_copy": _slice,
    "split_copy": _split,
    "split_with_sizes_copy": _split_sizes,
    "squeeze_copy": _squeeze,
    "t_copy": _shape.t,
    "transpose_copy": _transpose_dims,
    "unbind_copy": _unbind,
    "unfold_copy": _unfold,
    "unsqueeze_copy": _unsqueeze_dim,
    "view_copy": _view,
}


def _fresh(t):
    """A new contiguous tensor of t's values (clone keeps a strided layout; contiguous copies
    only what is not contiguous already), in the graph."""
    return _shape.clone(t) if t.is_contiguous() else t.contiguous()


def _copying(name: str, view):
    def fn(input, *args, **kwargs):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        result = view(input, *args, **kwargs)
        if isinstance(result, (tuple, list)):
            return tuple(_fresh(r) for r in result)
        return _fresh(result)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (f"``torch.{name}``: the result of ``{name.removesuffix('_copy')}`` as a new "
                  "contiguous tensor (no memory shared with input; differentiable as the view).")
    fn.__signature__ = inspect.signature(view)     # the view's: PyTorch's parameter names
    return fn


globals().update({_name: _copying(_name, _view_fn) for _name, _view_fn in VIEWS.items()})

NAMES = tuple(VIEWS)
