"""Batching rules of the indexed writes and views: index_put, strided_view, and embedding with
per-example tables.

- index_put (``x[index] = v`` recorded; index_copy, index_fill, put, masked writes go through it):
  the index is a constant of the primitive (unbatched), so it gains a full slice in front for the
  vmap batch, as getitem's does; ``v`` is broadcast to each example's indexed shape and its batch
  axis moved to where the batch lands in ``x[index]`` (in front, unless non-adjacent advanced
  indices put their axes first, NumPy's rule). An unbatched ``x`` is broadcast to the batch
  first (every example writes into its own copy).
- strided_view (diagonal, Tensor.unfold, …): the view-making function is given one more leading
  axis. It runs on example 0's array, and the batch is one more stride in front of its result:
  the batch stride of the value. The primitive's gradient (a scatter-add over the positions
  the view reads) follows from the same function, so it needs nothing more.
- embedding with a per-example table (B, V, D) (an ensemble's weights, or grad of the table
  inside vmap): the tables are stacked into one (B·V, D) table and example b reads rows
  b·V + i. With ``padding_idx`` or ``scale_grad_by_freq`` (which the fused gradient applies per
  row number of one table) the rule declines and vmap loops.
"""
from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from .batched import BatchedTensor


def _ops():
    from .. import ops

    return ops


def _expanded(v, size: int):
    ops = _ops()
    return ops.broadcast_to(ops.expand_dims(v, 0), (size,) + tuple(v.shape))


# ----------------------------------------------------------------------------- index_put
def index_put(cls, values, batched, params, size):
    from ..ops.indexing import TwoStepIndex
    from .batching_rules import _batched_index

    ops = _ops()
    x, v = values[0], values[1]
    bx, bv = batched[0], batched[1]
    x = x if bx else _expanded(x, size)
    logical = tuple(x.shape[1:])
    index = params["index"]
    if isinstance(index, TwoStepIndex):
        first, lead_first = _batched_index(index.first)
        second, lead = _batched_index(index.second)
        if first is None or second is None or lead_first:
            return NotImplemented
        probe = xp.empty(logical, dtype=bool)[index.first][index.second]
        new_index = TwoStepIndex(first, second)
    else:
        new_index, lead = _batched_index(index)
        if new_index is None:
            return NotImplemented
        probe = xp.empty(logical, dtype=bool)[index]
    target = tuple(probe.shape)
    if bv:
        vrank = v.ndim - 1
        if vrank > len(target):
            return NotImplemented       # too many dimensions: the loop gives PyTorch's error
        v = ops.reshape(v, (size,) + (1,) * (len(target) - vrank) + tuple(v.shape[1:]))
        v = ops.broadcast_to(v, (size,) + target)
        if lead:
            v = ops.moveaxis(v, 0, lead)
    return cls.apply(x, v, index=new_index)


# ----------------------------------------------------------------------------- strided views
def _lifted(make):
    """A view-making function for one example's array, made for a stack of them: the result of
    ``make`` on example 0 with the stack's own stride in front."""
    def make_batched(arr):
        first = make(arr[0])
        return xp.lib.stride_tricks.as_strided(
            first, shape=(arr.shape[0],) + tuple(first.shape),
            strides=(arr.strides[0],) + tuple(first.strides), writeable=arr.flags.writeable)
    return make_batched


def strided_view(cls, values, batched, params, size):
    if size == 0:
        return NotImplemented
    return cls.apply(values[0], make=_lifted(params["make"]))


# ----------------------------------------------------------------------------- embedding
def embedding(cls, values, batched, params, size):
    """Indices are a parameter of the primitive (batched indices come as a batched parameter)."""
    weight = values[0]
    indices = params["indices"]
    idx_batched = isinstance(indices, Tensor)
    if not batched[0]:
        return cls.apply(weight, **params)      # one table, the batch in the indices
    if params.get("padding_idx") is not None or params.get("scale_grad_by_freq"):
        return NotImplemented
    if idx_batched:
        if isinstance(indices, BatchedTensor):
            return NotImplemented               # batched at an outer vmap too: that level first
        idx = indices._data
    else:
        idx = xp.broadcast_to(xp.asarray(indices), (size,) + tuple(xp.shape(indices)))
    rows = weight.shape[1]
    offsets = (xp.arange(size, dtype=xp.int64) * rows).reshape((size,) + (1,) * (idx.ndim - 1))
    table = _ops().reshape(weight, (size * rows,) + tuple(weight.shape[2:]))
    return cls.apply(table, **dict(params, indices=idx + offsets))


embedding.batched_params = True

RULES = {"index_put": index_put, "strided_view": strided_view, "embedding": embedding}
