"""repeat, tile, flip, roll, rot90, diagonals, triangles, movedim, splitting, stacking, meshgrid
and broadcasting against PyTorch in float64 on drawn shapes (0-d, empty, size-1, negative dims)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr

from ._util import array, pair, same, same_grads, shapes


def _check(fn_cr, fn_th, values):
    """Run both programs on the same values; compare results (tensors or tuples) and grads."""
    x, tx = pair(values)
    out, tout = fn_cr(x), fn_th(tx)
    if isinstance(tout, tuple):
        assert type(out) is tuple and len(out) == len(tout)
        for a, e in zip(out, tout):
            same(a, e)
        if tout:
            out, tout = cr.cat([o.reshape(-1) for o in out]), torch.cat(
                [o.reshape(-1) for o in tout])
        else:
            return
    same(out, tout)
    same_grads(out, tout, [x], [tx])


def _dim(data, ndim):
    n = max(ndim, 1)
    return data.draw(st.integers(-n, n - 1))


@given(st.data())
def test_repeat_tile_interleave(data):
    shape = data.draw(shapes())
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape),
                                    max_size=len(shape) + 2)))
    values = array(data, shape)
    _check(lambda x: x.repeat(*reps) if reps else x.repeat(()),
           lambda x: x.repeat(*reps) if reps else x.repeat(()), values)
    _check(lambda x: cr.tile(x, reps), lambda x: torch.tile(x, reps), values)
    r = data.draw(st.integers(0, 3))
    _check(lambda x: cr.repeat_interleave(x, r), lambda x: torch.repeat_interleave(x, r), values)
    if shape:
        d = _dim(data, len(shape))
        _check(lambda x: x.repeat_interleave(r, d), lambda x: x.repeat_interleave(r, d), values)


@given(st.data())
def test_flip_roll_rot90(data):
    shape = data.draw(shapes())
    values = array(data, shape)
    nd = len(shape)
    dims = tuple(sorted(set(data.draw(st.lists(st.integers(0, max(nd - 1, 0)), max_size=nd)))))
    _check(lambda x: cr.flip(x, dims), lambda x: torch.flip(x, dims), values)
    shift = data.draw(st.integers(-5, 5))
    _check(lambda x: cr.roll(x, shift), lambda x: torch.roll(x, shift), values)
    if nd:
        d = _dim(data, nd)
        _check(lambda x: cr.roll(x, shift, d), lambda x: torch.roll(x, shift, d), values)
    if nd >= 2:
        k = data.draw(st.integers(-4, 4))
        a, b = data.draw(st.permutations(range(nd)))[:2]
        _check(lambda x: cr.rot90(x, k, (a, b)), lambda x: torch.rot90(x, k, (a, b)), values)
        _check(cr.fliplr, torch.fliplr, values)
    if nd >= 1:
        _check(cr.flipud, torch.flipud, values)


@given(st.data())
def test_diagonals_and_triangles(data):
    shape = data.draw(shapes(2, 4))
    values = array(data, shape)
    nd = len(shape)
    off = data.draw(st.integers(-4, 4))
    a, b = data.draw(st.permutations(range(nd)))[:2]
    _check(lambda x: cr.diagonal(x, off, a - nd, b), lambda x: torch.diagonal(x, off, a - nd, b),
           values)
    _check(lambda x: cr.tril(x, off), lambda x: torch.tril(x, off), values)
    _check(lambda x: x.triu(off), lambda x: x.triu(off), values)
    v = array(data, shape[:-1])
    a, b = data.draw(st.permutations(range(nd)))[:2]
    _check(lambda x: cr.diag_embed(x, off, a, b), lambda x: torch.diag_embed(x, off, a, b), v)
    v1 = array(data, shape[-1:])
    _check(lambda x: cr.diag(x, off), lambda x: torch.diag(x, off), v1)
    _check(lambda x: cr.diag(x, off), lambda x: torch.diag(x, off), array(data, shape[-2:]))


@given(st.data())
def test_moving_and_unflatten(data):
    shape = data.draw(shapes(1, 4))
    values = array(data, shape)
    nd = len(shape)
    k = data.draw(st.integers(1, nd))
    src = data.draw(st.permutations(range(nd)))[:k]
    dst = [d - nd if i % 2 else d for i, d in enumerate(data.draw(st.permutations(range(nd)))[:k])]
    _check(lambda x: cr.movedim(x, src, dst), lambda x: torch.movedim(x, src, dst), values)
    a, b = _dim(data, nd), _dim(data, nd)
    _check(lambda x: x.swapdims(a, b), lambda x: x.swapdims(a, b), values)
    d = _dim(data, nd)
    _check(lambda x: cr.unflatten(x, d, (1, shape[d], 1)),
           lambda x: torch.unflatten(x, d, (1, shape[d], 1)), values)
    dims = (d, 0) if d % nd else (d,)
    _check(lambda x: cr.squeeze(x, dims), lambda x: torch.squeeze(x, dims), values)
    with pytest.raises(RuntimeError):
        cr.squeeze(cr.tensor(values), (d, d))


@given(st.data())
def test_splitting(data):
    shape = data.draw(shapes(1, 3))
    values = array(data, shape)
    d = _dim(data, len(shape))
    _check(lambda x: cr.unbind(x, d), lambda x: torch.unbind(x, d), values)
    sections = data.draw(st.integers(1, 5))
    _check(lambda x: cr.tensor_split(x, sections, d), lambda x: torch.tensor_split(x, sections, d),
           values)
    cuts = data.draw(st.lists(st.integers(-5, 5), max_size=3))
    _check(lambda x: cr.tensor_split(x, cuts, d), lambda x: torch.tensor_split(x, cuts, d),
           values)
    size = data.draw(st.integers(1, 4))
    _check(lambda x: cr.split(x, size, d), lambda x: torch.split(x, size, d), values)


@given(st.data())
def test_joining_and_atleast(data):
    shape = data.draw(shapes(0, 3, 1, 3))
    a, b = array(data, shape), array(data, shape)
    for name in ("hstack", "vstack", "dstack", "column_stack"):
        x, tx = pair(a)
        y, ty = pair(b)
        out, tout = getattr(cr, name)([x, y]), getattr(torch, name)([tx, ty])
        same(out, tout)
        same_grads(out, tout, [x, y], [tx, ty])
    for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
        _check(getattr(cr, name), getattr(torch, name), a)


@given(st.data())
def test_meshgrid_broadcast(data):
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    vals = [array(data, (n,)) for n in sizes]
    for indexing in ("ij", "xy"):
        xs = [pair(v) for v in vals]
        out = cr.meshgrid(*[c for c, _ in xs], indexing=indexing)
        tout = torch.meshgrid(*[t for _, t in xs], indexing=indexing)
        assert type(out) is tuple
        for a, e in zip(out, tout):
            same(a, e)
    s1, s2 = data.draw(shapes()), data.draw(shapes())
    try:
        expected = torch.broadcast_shapes(s1, s2)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            cr.broadcast_shapes(s1, s2)
        return
    assert tuple(cr.broadcast_shapes(s1, s2)) == tuple(expected)
    x, tx = pair(array(data, s1))
    y, ty = pair(array(data, s2))
    for a, e in zip(cr.broadcast_tensors(x, y), torch.broadcast_tensors(tx, ty)):
        same(a, e)


def test_unfold_and_narrow():
    values = np.random.default_rng(0).standard_normal((3, 7, 2))
    for dim, size, step in [(1, 3, 2), (-2, 1, 1), (0, 3, 1), (2, 2, 5), (1, 0, 1)]:
        _check(lambda x, a=(dim, size, step): x.unfold(*a),
               lambda x, a=(dim, size, step): x.unfold(*a), values)
    _check(lambda x: cr.narrow(x, -2, -4, 3), lambda x: torch.narrow(x, -2, -4, 3), values)
    x = cr.tensor(values, requires_grad=True)
    assert cr.gradcheck(lambda a: a.unfold(1, 3, 2), x)
    assert cr.gradcheck(lambda a: cr.rot90(a, 1, (0, 2)), x)
    assert cr.gradcheck(lambda a: cr.diag_embed(a, 1, 0, 2), x)


def test_t_rules():
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        cr.t(cr.zeros(2, 2, 2))
    same(cr.t(cr.tensor([1.0, 2.0])), torch.t(torch.tensor([1.0, 2.0])))
