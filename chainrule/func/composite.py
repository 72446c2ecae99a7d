"""vmap for functions that read their inputs' values outside the primitives (order statistics,
gathers by an index tensor, pooling that returns indices, embedding lookups).

Such a function cannot see a batched tensor's array (it raises, batched.py). When one of its
arguments is batched, the function's own code calls a helper of this module instead, which runs
the function **once** on the plain tensors underneath: every tensor argument is lifted to the
same vmap levels (broadcast where it is not batched at one), its batch dimensions sit in front,
and the results are batched again at those levels. Autograd sees the plain tensors, so grad and
vjp under vmap (per-sample gradients) differentiate the function's primitives as they are.

- :func:`on_batch`: for functions whose leading dimensions are free (gather, take_along_dim,
  sort, argsort, topk, argmax, max/min over a dim, embedding's index tensor): the keyword
  arguments named in ``dims`` are logical dimensions, shifted past the batch dimensions.
- :func:`on_folded_batch`: for layers of a fixed rank (N, C, *spatial) (max pooling with
  indices, max_unpool): the batch dimensions and N are folded into one N, and unfolded after.
"""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import tree
from .batched import BatchedTensor, expand_at, is_batched_at, peel, rewrap


def is_batched(*args) -> bool:
    """Whether any argument is a batched tensor (chainrule.func.vmap is running over it)."""
    return any(isinstance(a, BatchedTensor) for a in args)


def _plain(args, kwargs):
    """(the levels, the arguments with every tensor lifted to them and peeled)."""
    from .vmap import active_levels

    flat, spec = tree.flatten((args, kwargs))
    levels = sorted({level for a in flat if isinstance(a, BatchedTensor) for level in peel(a)[1]})
    sizes = dict(active_levels())
    plain = []
    for a in flat:
        if isinstance(a, Tensor):
            for level in levels:
                if not is_batched_at(a, level):
                    a = expand_at(a, level, sizes[level])
            a = peel(a)[0]
        plain.append(a)
    return levels, tree.unflatten(plain, spec)


def _rewrapped(out, levels, reshape=None):
    leaves, spec = tree.flatten(out)
    done = []
    for o in leaves:
        if isinstance(o, Tensor):
            o = rewrap(o if reshape is None else reshape(o), levels)
        done.append(o)
    return tree.unflatten(done, spec)


def on_batch(fn, args: tuple, kwargs: dict, dims: tuple = (), ndim: int | None = None):
    """``fn(*args, **kwargs)`` under vmap, once on the plain tensors (batch dimensions in
    front). ``dims``: keyword arguments that hold a dimension of a tensor of logical rank
    ``ndim`` (ints; negative ones count from the end), shifted past the batch dimensions."""
    levels, (p_args, p_kwargs) = _plain(args, kwargs)
    if not levels:
        return NotImplemented
    p_kwargs = dict(p_kwargs)
    for key in dims:
        d = p_kwargs[key]
        n = max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {d})")
        p_kwargs[key] = d % n + len(levels)
    return _rewrapped(fn(*p_args, **p_kwargs), levels)


def on_folded_batch(fn, args: tuple, kwargs: dict, rank: int):
    """``fn(*args, **kwargs)`` for a layer on (N, *rest) tensors whose ``rest`` has ``rank``
    dimensions (C and the spatial ones): every tensor argument's leading dimensions (the vmap
    batches, and N when the example has one) fold into one N, and every result unfolds."""
    levels, (p_args, p_kwargs) = _plain(args, kwargs)
    if not levels:
        return NotImplemented
    lead = None

    def fold(t):
        nonlocal lead
        k = t.ndim - rank
        if lead is None:
            lead = tuple(t.shape[:k])
        return t.reshape((math.prod(t.shape[:k]),) + tuple(t.shape[k:]))

    flat, spec = tree.flatten((p_args, p_kwargs))
    flat = [fold(a) if isinstance(a, Tensor) else a for a in flat]
    f_args, f_kwargs = tree.unflatten(flat, spec)
    out = fn(*f_args, **f_kwargs)
    return _rewrapped(out, levels, lambda o: o.reshape(lead + tuple(o.shape[1:])))


def embedding(fn, input, weight, padding_idx, **kwargs):  # noqa: A002
    """F.embedding (``fn``) with a batched index tensor: one lookup of the plain indices in a
    shared table; with per-example tables too (grad of the table inside vmap: per-sample
    gradients) the tables are stacked into one and example b reads rows b·V + i, and the
    ``padding_idx`` rows pass no gradient (their values detached, as the fused gradient does)."""
    from .. import ops

    if not isinstance(weight, BatchedTensor):
        plain, levels = peel(input)
        return rewrap(fn(plain, weight, padding_idx, **kwargs), levels)
    if kwargs.get("max_norm") is not None or kwargs.get("scale_grad_by_freq"):
        raise NotImplementedError("vmap: embedding with per-example tables and max_norm or "
                                  "scale_grad_by_freq is not supported")
    levels, ((idx, table), _) = _plain((input, weight), {})
    k = len(levels)
    lead, rows = tuple(table.shape[:k]), table.shape[k]
    count = math.prod(lead)
    offsets = Tensor._make((ops.arange(count, dtype=idx.dtype) * rows)._data.reshape(
        lead + (1,) * (idx.ndim - k)))
    stacked = table.reshape((count * rows,) + tuple(table.shape[k + 1:]))
    out = fn(idx + offsets, stacked, None, **kwargs)
    if padding_idx is not None:
        p = padding_idx % rows
        out = ops.where(ops.expand_dims(idx == p, -1), out.detach(), out)
    return rewrap(out, levels)
