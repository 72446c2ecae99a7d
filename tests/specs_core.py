"""Test spec of the core indexing primitive that item assignment records: index_put."""
from __future__ import annotations

import numpy as np
import strategies as S
from hypothesis import strategies as st
from primitive_specs import OWN, Case, Drawer, spec

import chainrule as cr


def _torch_put(x, v, index):
    y = x.clone()
    y[index] = v
    return y


def _basic_forward(index) -> bool:
    """A basic index PyTorch can assign through (its slices take positive steps only)."""
    parts = index if isinstance(index, tuple) else (index,)
    return S.is_basic_index(index) and all(
        not isinstance(p, slice) or p.step is None or p.step > 0 for p in parts)


@spec("index_put")
def _index_put(d: Drawer) -> Case:
    """``y = x; y[index] = v`` with a basic index (positions written once), v broadcast."""
    shape = d.shape(min_dims=1)
    index = d.draw(S.indices(shape).filter(_basic_forward))
    target = np.empty(shape)[index].shape
    v_shape = target[d.draw(st.integers(0, len(target))):]    # v broadcast from the right
    x, v = d.values([shape, v_shape], [OWN, OWN])
    put = cr.primitives()["index_put"]
    return Case((x, v), lambda a, b: cr.ops.index_put(a, index, b),
                lambda a, b: _torch_put(a, b, index),
                lambda a, b: put.reference(a, b, index), params={"index": index})


@spec("strided_view")
def _strided_view(d: Drawer) -> Case:
    """Through its two users: diagonal(offset, dim1, dim2) and Tensor.unfold(dim, size, step)."""
    shape = d.shape(min_dims=2)
    (x,) = d.values([shape], [OWN])
    if d.draw(st.booleans()):
        offset = d.draw(st.integers(-shape[0], shape[1]))
        return Case((x,), lambda t: cr.diagonal(t, offset), lambda t: t.diagonal(offset),
                    lambda a: np.diagonal(a, offset).copy(), params={"offset": offset})
    dim = d.draw(st.integers(0, len(shape) - 1))
    size = d.draw(st.integers(0, shape[dim]))
    step = d.draw(st.integers(1, 3))

    def windows(a):
        n = (a.shape[dim] - size) // step + 1
        starts = np.arange(n) * step
        taken = np.stack([np.take(a, np.arange(s, s + size), axis=dim) for s in starts], dim)
        return np.moveaxis(taken, dim + 1, -1)

    return Case((x,), lambda t: t.unfold(dim, size, step), lambda t: t.unfold(dim, size, step),
                windows, params={"dim": dim, "size": size, "step": step})
