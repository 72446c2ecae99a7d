"""Indexing with PyTorch's rules, writing into indexed positions, and gathering along a dimension.

PyTorch and NumPy agree on indexing except in one case: an integer beside an integer-array index.
NumPy counts the integer as a second array index (so when a slice separates them, the indexed
dimensions move to the front); PyTorch applies integers first, as basic indexing, and then the
array indices to what remains. :func:`torch_index` rewrites such an index into two steps that
NumPy then performs with PyTorch's result.
"""
from __future__ import annotations

import builtins
import math

from ..autograd.function import Function, primitive
from ..backend import (
    asarray_like,
    dtype_kind,
    is_foreign_array,
    namespace,
    ndarray,
    numpy_dtype,
    xp,
)
from ..tensor import Tensor, tensor_method
from .movement import Getitem, _normalize_index


class TwoStepIndex:
    """``x[first][second]``: integers applied first (a basic index, hence a view), then the rest."""

    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first = first
        self.second = second

    def __repr__(self) -> str:
        return f"TwoStepIndex({self.first!r}, {self.second!r})"


def _is_int(p) -> bool:
    return isinstance(p, (int, xp.integer)) and not isinstance(p, (bool, xp.bool_))


def _is_array(p) -> bool:
    return (isinstance(p, ndarray) or is_foreign_array(p)) and p.ndim > 0


def torch_index(index):
    """``index`` (with Tensors and lists turned into arrays) in a form NumPy evaluates as PyTorch.

    Returns a plain index, or a :class:`TwoStepIndex` when integers stand beside array indices.
    """
    index = _normalize_index(index)
    if not isinstance(index, tuple):
        return index
    if not (builtins.any(_is_int(p) for p in index) and builtins.any(_is_array(p) for p in index)):
        return index
    first, second = [], []
    for p in index:
        if _is_int(p):
            first.append(p)
        elif p is None:
            second.append(p)
        elif p is Ellipsis:
            first.append(p)
            second.append(p)
        elif (isinstance(p, ndarray) and p.dtype == xp.bool_) or (
                is_foreign_array(p) and dtype_kind(p.dtype) == "b"):
            first.extend([builtins.slice(None)] * builtins.max(p.ndim, 1))
            second.append(p)
        else:
            first.append(builtins.slice(None))
            second.append(p)
    return TwoStepIndex(tuple(first), tuple(second))


def getitem(x, index):
    """``x[index]`` with PyTorch's rules (see the module docstring)."""
    index = torch_index(index)
    if isinstance(index, TwoStepIndex):
        return Getitem.apply(Getitem.apply(x, index=index.first), index=index.second)
    return Getitem.apply(x, index=index)


def _put(x, index, v):
    out = x.copy()
    if isinstance(index, TwoStepIndex):
        out[index.first][index.second] = v
    else:
        out[index] = v
    return out


def _taken(g, index):
    return g[index.first][index.second] if isinstance(index, TwoStepIndex) else g[index]


@primitive
class IndexPut(Function):
    """Replace the indexed part of x by v (``x[index] = v`` as a step of the graph).

    Forward:     y = x with y[index] = v (v broadcast to the indexed shape)
    Derivative:  ∂y/∂x = 1 outside the index, 0 inside;  ∂y[index]/∂v = 1
    VJP:         ∂L/∂x = g with g[index] = 0;  ∂L/∂v = g[index] (summed over broadcast axes)
    Numerics:    with repeated positions the last write wins, and each repeat passes v's gradient.
    """

    name = "index_put"
    complex_grad = "real_linear"
    array_api = True
    text = ("y = x;  y[index] = v", "∂L/∂x = g · 1[outside index],  ∂L/∂v = g[index]")
    latex = (r"y = x,\; y_{[\text{index}]} = v",
             r"\frac{\partial L}{\partial x} = g \odot \mathbb{1}_{\notin\text{index}},\;"
             r"\frac{\partial L}{\partial v} = g_{[\text{index}]}")
    explanation = ("Writing into positions overwrites them, so the old values there get no "
                   "gradient and the written values take the gradient of their positions.")
    reference = staticmethod(lambda x, v, index: _put(x, index, v))

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        if is_foreign_array(x):             # another array library: the standard's route
            from . import movement_standard

            ctx.v_shape = tuple(getattr(v, "shape", ()))
            return movement_standard.put(x, v, index)
        ctx.v_shape = xp.shape(v)
        return _put(x, index, v)

    @staticmethod
    def vjp(ctx, g):
        index = ctx.index
        if is_foreign_array(g):
            from . import movement_standard

            return (movement_standard.put(g, 0.0, index),
                    movement_standard.taken(g, index))
        if isinstance(g, Tensor):       # the same rule through primitives (create_graph)
            mask = _put(xp.ones(g.shape, dtype=bool), index, False)
            gx = namespace(g).where(mask, g, 0.0)
            if isinstance(index, TwoStepIndex):
                gv = Getitem.apply(Getitem.apply(g, index=index.first), index=index.second)
            else:
                gv = Getitem.apply(g, index=index)
            return gx, gv
        return _put(g, index, 0), _taken(g, index)


@tensor_method(inplace=True)
def index_put(input, indices, values, accumulate: bool = False):  # noqa: A002
    """``input`` with ``input[indices] = values`` as a new tensor (PyTorch's index_put; also the
    recorded form of item assignment). ``accumulate=True`` adds ``values`` at the positions
    instead, repeated positions summing: y = x + scatter_add(values, indices)."""
    x, index, value = input, indices, values
    if not isinstance(index, TwoStepIndex):
        index = torch_index(tuple(index) if isinstance(index, list) else index)
    if not isinstance(value, Tensor):
        value = Tensor._make(xp.asarray(value, dtype=numpy_dtype(x.dtype)))   # any library's
    if accumulate:
        if isinstance(index, TwoStepIndex):
            raise IndexError("index_put(accumulate=True): use array indices only (an integer "
                             "beside them is not supported here)")
        from .arithmetic import add
        from .movement import ScatterAdd, broadcast_to
        target = xp.empty(x.shape, dtype=bool)[index].shape
        spread = value if tuple(value.shape) == target else broadcast_to(value, target)
        return add(x, ScatterAdd.apply(spread, shape=tuple(x.shape), index=index, basic=False))
    return IndexPut.apply(x, value, index=index)


# ---------------------------------------------------------------------- gather and the like
def _gather_index(index: ndarray, dim: int):
    """The NumPy advanced index that picks ``x[i₀, …, index[i₀…], …]`` for every position
    (in ``index``'s library: the position grids are host constants moved there)."""
    foreign = type(index) is not ndarray and is_foreign_array(index)
    parts = []
    for d in range(index.ndim):
        if d == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = index.shape[d]
            grid = xp.arange(index.shape[d]).reshape(shape)
            parts.append(asarray_like(grid, index) if foreign else grid)
    return tuple(parts)


@tensor_method
def gather(input, dim: int, index, *, sparse_grad: bool = False):  # noqa: A002
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` (dim 0; likewise for other dims).

    A composite of getitem with an advanced index, so its gradient is the scatter-add of g into
    the gathered positions (repeated positions accumulate).
    """
    if hasattr(input, "_level") or hasattr(index, "_level"):    # inside chainrule.func.vmap
        from ..func.composite import on_batch

        return on_batch(gather, (input,), {"dim": dim, "index": index}, ("dim",), input.ndim)
    idx = index._data if isinstance(index, Tensor) else index
    foreign = type(idx) is not ndarray and is_foreign_array(idx)
    if not foreign:
        idx = xp.asarray(idx)
    if dtype_kind(idx.dtype) not in "iu":
        raise RuntimeError(f"gather(): index must be an integer tensor, got {idx.dtype}")
    ndim = input.ndim
    if idx.ndim != ndim:
        raise RuntimeError(f"gather(): index has {idx.ndim} dimensions but input has {ndim}; "
                           "they must have the same number of dimensions")
    dim = dim % builtins.max(ndim, 1) if ndim else 0
    if ndim == 0:
        return getitem(input, ())
    for d in range(ndim):
        if d != dim and idx.shape[d] > input.shape[d]:
            raise RuntimeError(f"gather(): index size {idx.shape[d]} in dimension {d} exceeds "
                               f"the input's size {input.shape[d]}")
    size = input.shape[dim]
    if foreign:
        ns = namespace(idx)
        if math.prod(idx.shape) and (int(ns.min(idx)) < -size or int(ns.max(idx)) >= size):
            raise IndexError(f"gather(): index out of range for dimension {dim} of size {size}")
    elif idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"gather(): index out of range for dimension {dim} of size {size}")
    return getitem(input, _gather_index(idx % builtins.max(size, 1), dim))


@tensor_method
def take_along_dim(input, indices, dim: int | None = None):  # noqa: A002
    """PyTorch's take_along_dim: gather with indices broadcast against the input."""
    if hasattr(input, "_level") or hasattr(indices, "_level"):  # inside chainrule.func.vmap
        from ..func.composite import on_batch

        if dim is None:
            return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
        return on_batch(take_along_dim, (input, indices), {"dim": dim}, ("dim",), input.ndim)
    idx = indices._data if isinstance(indices, Tensor) else indices
    foreign = type(idx) is not ndarray and is_foreign_array(idx)
    if not foreign:
        idx = xp.asarray(idx)
    if dim is None:
        from .movement import reshape
        return gather(reshape(input, (-1,)), 0,
                      namespace(idx).reshape(idx, (-1,)) if foreign else idx.reshape(-1))
    dim = dim % input.ndim
    shape = list(xp.broadcast_shapes(tuple(input.shape[:dim]) + (1,) + tuple(input.shape[dim+1:]),
                                     idx.shape[:dim] + (1,) + idx.shape[dim + 1:]))
    target = list(shape)
    target[dim] = idx.shape[dim]
    idx = (namespace(idx) if foreign else xp).broadcast_to(idx, tuple(target))
    shape[dim] = input.shape[dim]
    from .movement import broadcast_to
    base = input if tuple(input.shape) == tuple(shape) else broadcast_to(input, tuple(shape))
    return gather(base, dim, idx)


# ---------------------------------------------------------------------- strided views
def _positions(shape, make):
    """Which element of an input of ``shape`` (C-order index) each entry of the view reads."""
    return make(xp.arange(int(xp.prod(shape, dtype=xp.int64))).reshape(shape))


@primitive
class StridedView(Function):
    """A view that reads the input's memory with other strides (diagonals, sliding windows).

    Forward:     y[k] = x[p(k)] — the same memory, read along new strides (no copy)
    Derivative:  each yₖ is one element x_{p(k)}; windows may read an element several times
    VJP:         ∂L/∂xᵢ = Σ_{k: p(k) = i} g_k  (a scatter-add over the positions read)
    Numerics:    a view: writing into y writes into x, as PyTorch's diagonal and unfold do.
                 Other array libraries (the standard has no strided views): y is a copy made
                 by one gather of the positions p, and the VJP a scatter-add by gathers
                 (ops/movement_standard.py).
    """

    name = "strided_view"
    complex_grad = "real_linear"
    array_api = True
    text = ("y[k] = x[p(k)]  (a view)", "∂L/∂xᵢ = Σ_{k: p(k)=i} g_k")
    latex = (r"y_k = x_{p(k)}", r"\frac{\partial L}{\partial x_i} = \sum_{k:\,p(k)=i} g_k")
    explanation = ("A view only relabels memory, so each input element collects the gradient of "
                   "every place it is read.")
    is_view = True
    reference = staticmethod(lambda x, make: make(x).copy())

    @staticmethod
    def forward(ctx, x, make):
        ctx.shape = x.shape
        ctx.make = make
        if is_foreign_array(x):             # another array library: a gather (a copy)
            from . import movement_standard

            return movement_standard.strided_view(x, _positions(tuple(x.shape), make))
        return make(x)

    @staticmethod
    def vjp(ctx, g):
        if is_foreign_array(g):
            from . import movement_standard

            return movement_standard.strided_gradient(g, _positions(tuple(ctx.shape), ctx.make),
                                                      ctx.shape)
        positions = _positions(ctx.shape, ctx.make)
        size = int(xp.prod(ctx.shape, dtype=xp.int64))
        if isinstance(g, Tensor):
            from .movement import ScatterAdd, reshape
            flat = ScatterAdd.apply(g, shape=(size,), index=positions, basic=False)
            return reshape(flat, ctx.shape)
        if g.dtype.kind == "c":       # bincount weighs with reals: the two parts apart
            gx = xp.empty(size, dtype=xp.complex128)
            gx.real = xp.bincount(positions.ravel(), weights=g.real.ravel(), minlength=size)
            gx.imag = xp.bincount(positions.ravel(), weights=g.imag.ravel(), minlength=size)
        else:
            gx = xp.bincount(positions.ravel(), weights=g.ravel().astype(xp.float64),
                             minlength=size)
        return gx.astype(g.dtype, copy=False).reshape(ctx.shape)


def _strided(a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=tuple(shape), strides=tuple(strides),
                                           writeable=a.flags.writeable)


def diagonal_view(input, offset: int, a: int, b: int):  # noqa: A002
    """The diagonal (i, i + offset) of the planes (a, b) as a view (a new last dimension)."""
    shape = input.shape
    rows, cols = shape[a], shape[b]
    n = builtins.max(0, builtins.min(rows + builtins.min(offset, 0),
                                     cols - builtins.max(offset, 0)))
    keep = [d for d in range(len(shape)) if d not in (a, b)]

    def make(arr):
        start = [builtins.slice(None)] * arr.ndim
        if n:
            start[a] = builtins.slice(-builtins.min(offset, 0), None)
            start[b] = builtins.slice(builtins.max(offset, 0), None)
        base = arr[tuple(start)]
        return _strided(base, [arr.shape[d] for d in keep] + [n],
                        [base.strides[d] for d in keep] + [base.strides[a] + base.strides[b]])

    return StridedView.apply(input, make=make)


def windows_view(input, d: int, size: int, step: int):  # noqa: A002
    """Sliding windows along dim ``d`` as a view: that dim becomes the window count and a new last
    dim of length ``size`` holds each window (Tensor.unfold)."""
    n = (input.shape[d] - size) // step + 1

    def make(arr):
        shape = list(arr.shape[:d]) + [n] + list(arr.shape[d + 1:]) + [size]
        strides = list(arr.strides[:d]) + [arr.strides[d] * step] + list(arr.strides[d + 1:]) \
            + [arr.strides[d]]
        return _strided(arr, shape, strides)

    return StridedView.apply(input, make=make)


@tensor_method
def select(input, dim: int, index: int):  # noqa: A002
    """``input`` at position ``index`` of dimension ``dim`` (that dimension removed): a view."""
    ndim = input.ndim
    if not -ndim <= dim < builtins.max(ndim, 1) or ndim == 0:
        raise IndexError(f"select(): dim {dim} is out of range for a tensor with {ndim} "
                         "dimensions")
    return getitem(input, (builtins.slice(None),) * (dim % ndim) + (index,))
