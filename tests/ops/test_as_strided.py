"""The as_strided family against PyTorch 2.13 in float64: values and gradients of
``as_strided`` on Hypothesis-drawn geometries (overlapping windows, views of slices, transposes
and expanded tensors as input), writes through the view, ``storage_offset`` of chainrule's views,
``as_strided_``, ``as_strided_scatter`` (with its one deliberate difference), the strided
constructors, ``resize_``/``resize_as_``, and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.autograd.gradcheck import gradcheck


def _close(a, b) -> None:
    a = a.detach().numpy() if isinstance(a, (cr.Tensor, torch.Tensor)) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, (cr.Tensor, torch.Tensor)) else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


BASES = {  # how the input of as_strided is made from a leaf of 12 elements (lib, leaf) -> input
    "flat": lambda L, t: t,
    "matrix": lambda L, t: t.reshape(3, 4),
    "slice": lambda L, t: t[2:9],
    "transpose": lambda L, t: t.reshape(3, 4).t(),
    "column": lambda L, t: t.reshape(3, 4)[:, 1],
    "expanded": lambda L, t: t[:4].expand(2, 4),
}


@st.composite
def geometries(draw):
    ndim = draw(st.integers(0, 3))
    size = tuple(draw(st.integers(0 if ndim else 1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(0, 4)) for _ in range(ndim))
    span = 1 + sum(max(n - 1, 0) * s for n, s in zip(size, stride))
    offset = draw(st.one_of(st.none(), st.integers(0, max(12 - span, 0))))
    return size, stride, offset


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(BASES)), geometries(), st.integers(0, 2**31 - 1))
def test_values_and_gradients_match_pytorch(base, geometry, seed):
    size, stride, offset = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(12)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    cin, tin = BASES[base](cr, cx), BASES[base](torch, tx)
    assert cin.storage_offset() == tin.storage_offset()
    try:
        ref = torch.as_strided(tin, size, stride, offset)
    except RuntimeError as exc:
        with pytest.raises(RuntimeError, match="out of bounds" if "bounds" in str(exc) else ""):
            cr.as_strided(cin, size, stride, offset)
        return
    out = cr.as_strided(cin, size, stride, offset)
    _close(out, ref)
    assert out.stride() == ref.stride() and out.shape == ref.shape
    if out.numel():
        assert out.storage_offset() == ref.storage_offset()
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(cr.tensor(g))
    ref.backward(torch.tensor(g))
    _close(cx.grad, tx.grad)


def test_overlapping_windows_accumulate_and_pass_gradcheck():
    x = cr.tensor(np.arange(1.0, 7.0), requires_grad=True)
    windows = x.as_strided((4, 3), (1, 1))         # the sliding windows of length 3
    (windows * cr.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    # element k is in windows w with w ≤ k < w + 3, at position k − w
    expected = [sum(3 * w + (k - w) for w in range(4) if 0 <= k - w < 3) for k in range(6)]
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    # (positions of the storage outside the input's own elements depend on the leaf too, but
    # their gradient stops at the view, as in PyTorch: so only inputs that cover them here)
    for base in (BASES["flat"], BASES["matrix"], BASES["transpose"]):
        assert gradcheck(lambda t, b=base: b(cr, t).as_strided((2, 3), (1, 2), 1) ** 2,
                         cr.tensor(np.random.default_rng(0).standard_normal(12)))


def test_double_backward_matches_pytorch():
    x = np.random.default_rng(5).standard_normal(8)
    grads = []
    for L in (cr, torch):
        t = L.tensor(x, requires_grad=True)
        y = (L.as_strided(t.reshape(2, 4).t(), (3, 3), (1, 2), 1) ** 3).sum()
        (g,) = L.autograd.grad(y, t, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), t)
        grads.append((g, gg))
    _close(grads[0][0], grads[1][0])
    _close(grads[0][1], grads[1][1])


def test_writes_through_the_view_reach_the_base():
    for L in (cr, torch):
        base = L.arange(12.0)
        view = base[2:].as_strided((2, 3), (4, 1))          # offset 2 (the slice's)
        view[1] = L.tensor([-1.0, -2.0, -3.0])
        view.mul_(10)
        base.as_strided((2,), (11,)).fill_(7)
        if L is cr:
            ours = base.numpy().copy()
        else:
            np.testing.assert_array_equal(ours, base.numpy())


@pytest.mark.parametrize("make", [
    lambda L, z: z[1:, 2:], lambda L, z: z.t(), lambda L, z: z.narrow(1, 1, 2),
    lambda L, z: z.narrow(0, 2, 1), lambda L, z: z.select(0, 2), lambda L, z: z.select(1, 3),
    lambda L, z: z.diagonal(), lambda L, z: z.diagonal(1), lambda L, z: z.diagonal(-1),
    lambda L, z: z.unfold(1, 2, 1), lambda L, z: z.unfold(0, 2, 1).unfold(1, 2, 2),
    lambda L, z: z[2], lambda L, z: z[:, 3], lambda L, z: z.reshape(-1)[3:].view(3, 3),
    lambda L, z: z.t()[2:], lambda L, z: z.chunk(2, 1)[1], lambda L, z: z.split(1)[2],
    lambda L, z: z.unbind(1)[2], lambda L, z: z.movedim(0, 1)[1], lambda L, z: z.view(2, 6)[1],
    lambda L, z: z[1:][1:, 1:], lambda L, z: z.expand(2, 3, 4)[1, 1:]])
def test_storage_offset_of_views(make):
    ours, theirs = make(cr, cr.arange(12.0).reshape(3, 4)), make(torch,
                                                                 torch.arange(12.0).reshape(3, 4))
    assert ours.storage_offset() == theirs.storage_offset()
    assert tuple(ours.stride()) == tuple(theirs.stride())
    _close(ours.as_strided((2,), (1,)), theirs.as_strided((2,), (1,)))


def test_errors():
    x = cr.arange(6.0)
    with pytest.raises(RuntimeError, match=r"setStorage: sizes \[5, 3\], strides \[1, 1\], "
                                           r"storage offset 0, and itemsize 4 requiring a storage "
                                           r"size of 28 are out of bounds for storage of size 24"):
        cr.as_strided(x, (5, 3), (1, 1))
    with pytest.raises(RuntimeError, match="storage offset 6"):
        x.as_strided((2,), (1,), 6)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x[5:].as_strided((2,), (1,))                  # the slice's offset 5 counts
    with pytest.raises(RuntimeError, match="Negative strides are not supported"):
        x.as_strided((2,), (-1,), 3)
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        x.as_strided((2,), (1,), -1)
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        x.as_strided((2, 2), (1,))
    with pytest.raises(TypeError, match="size must be a sequence of ints"):
        x.as_strided(("a",), (1,))
    assert x.as_strided((0, 3), (1, 1), 6).shape == (0, 3)   # empty: nothing is read


def test_as_strided_in_place():
    for L in (cr, torch):
        leaf = L.tensor(np.arange(6.0), requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.as_strided_((2,), (1,))
    grads = []
    for L in (cr, torch):
        leaf = L.tensor(np.arange(6.0), requires_grad=True)
        y = leaf * 2
        assert y.as_strided_((2, 2), (2, 1), 1) is y
        assert y.stride() == (2, 1) and y.storage_offset() == 1
        (y * L.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        grads.append((y, leaf.grad))
    _close(grads[0][0], grads[1][0])
    _close(grads[0][1], grads[1][1])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_as_strided_scatter(seed, transposed_input):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 3))
    size, stride = (rows, 2), (int(rng.integers(2, 4)), 1)
    offset = int(rng.integers(0, 12 - ((rows - 1) * stride[0] + 2) + 1))
    x, s = rng.standard_normal(12), rng.standard_normal(size)
    g = rng.standard_normal((4, 3) if transposed_input else (12,))
    results = []
    for L in (cr, torch):
        t = L.tensor(x)
        t = t.reshape(3, 4).t() if transposed_input else t
        src = L.tensor(s, requires_grad=True)
        out = L.as_strided_scatter(t, src, size, stride, offset)
        out.backward(L.tensor(g))
        results.append((out, src.grad, out.stride()))
    _close(results[0][0], results[1][0])
    assert tuple(results[0][2]) == tuple(results[1][2])
    if not transposed_input:
        _close(results[0][1], results[1][1])
    else:
        # PyTorch reads src's gradient from a row-major copy of G, which places it wrongly for
        # an input that is not row-major (its backward assumes a contiguous input); chainrule's
        # reads G where the forward wrote src: the derivative
        t = cr.tensor(x).reshape(3, 4).t()
        assert gradcheck(lambda b: cr.as_strided_scatter(t, b, size, stride, offset) ** 2,
                         cr.tensor(s))


def test_as_strided_scatter_input_gradient_is_the_derivative():
    """The one difference from PyTorch 2.13: its gradient of ``input`` keeps G at the written
    positions and zeroes the rest (the reverse of the derivative; PyTorch's own gradcheck fails
    on it). chainrule's is the derivative: G with the written positions zeroed."""
    x = cr.tensor(np.zeros(6), requires_grad=True)
    s = cr.tensor(np.ones(3), requires_grad=True)
    out = cr.as_strided_scatter(x, s, (3,), (2,), 1)
    out.backward(cr.tensor(np.arange(1.0, 7.0)))
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 3, 0, 5, 0])
    np.testing.assert_array_equal(s.grad.numpy(), [2, 4, 6])
    rng = np.random.default_rng(0)
    assert gradcheck(lambda a, b: x.as_strided_scatter(b, (2, 2), (3, 1), 1) * a,
                     cr.tensor(rng.standard_normal(6)), cr.tensor(rng.standard_normal((2, 2))))
    assert gradcheck(lambda a, b: cr.as_strided_scatter(a, b, (2, 2), (3, 1), 1) ** 2,
                     cr.tensor(rng.standard_normal(6)), cr.tensor(rng.standard_normal((2, 2))))
    for L in (cr, torch):
        with pytest.raises(RuntimeError, match="src"):
            L.as_strided_scatter(L.zeros(6), L.ones(4), (2, 2), (1, 1))
        with pytest.raises(RuntimeError, match="contiguous inputs"):
            L.as_strided_scatter(L.zeros(6, requires_grad=True).view(2, 3).t(), L.ones(2),
                                 (2,), (1,))


@pytest.mark.parametrize(("size", "stride"), [((2, 3), (1, 2)), ((2, 3), (3, 1)),
                                              ((2, 3), (0, 1)), ((0, 3), (1, 1)),
                                              ((4, 1, 2), (1, 9, 5))])
def test_empty_strided(size, stride):
    for dtype in (None, "float64", "int32"):
        ours = cr.empty_strided(size, stride, dtype=None if dtype is None else getattr(cr, dtype))
        theirs = torch.empty_strided(size, stride,
                                     dtype=None if dtype is None else getattr(torch, dtype))
        assert (ours.shape, ours.stride(), ours.storage_offset()) == \
            (theirs.shape, theirs.stride(), theirs.storage_offset())
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    new = cr.ones(2, dtype=cr.float64).new_empty_strided(size, stride, requires_grad=True)
    assert new.dtype == cr.float64 and new.requires_grad and new.stride() == stride
    with pytest.raises(RuntimeError, match="Negative strides"):
        cr.empty_strided((2,), (-1,))


@pytest.mark.parametrize("make", [
    lambda L: (L.arange(6.0), (2, 2)), lambda L: (L.arange(6.0), (6,)),
    lambda L: (L.arange(6.0).view(2, 3).t(), (3, 2)),
    lambda L: (L.arange(6.0).view(2, 3).t(), (6,)),
    lambda L: (L.arange(6.0)[2:], (2, 2)), lambda L: (L.arange(6.0)[2:], (1, 3)),
    lambda L: (L.arange(6.0), (0,)), lambda L: (L.arange(12.0).view(3, 4)[:, 1], (2, 2))])
def test_resize(make):
    results = []
    for L in (cr, torch):
        x, size = make(L)
        y = x.resize_(*size)
        assert y is x
        results.append((x, x.stride(), x.storage_offset()))
    _close(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


def test_resize_larger_keeps_the_old_values_and_formats():
    for L in (cr, torch):
        x = L.arange(6.0)[2:]
        x.resize_(3, 3)
        assert x.storage_offset() == 2 and x.stride() == (3, 1)
        np.testing.assert_array_equal(x.flatten()[:4].numpy(), [2, 3, 4, 5])
        y = L.arange(24.0).resize_(1, 2, 3, 4, memory_format=L.channels_last)
        assert y.stride() == (24, 1, 8, 2)
        z = L.arange(6.0).resize_as_(L.ones(3, 2))
        assert z.shape == (3, 2)


def test_resize_refuses_tensors_that_require_grad():
    for L in (cr, torch):
        leaf = L.ones(4, requires_grad=True)
        for call in (lambda t, L: t.resize_(2), lambda t, L: (t * 2).resize_(2),
                     lambda t, L: t.resize_as_(L.ones(2))):
            with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
                call(leaf, L)
        with L.no_grad(), pytest.raises(RuntimeError, match="cannot resize"):
            leaf.resize_(2)
