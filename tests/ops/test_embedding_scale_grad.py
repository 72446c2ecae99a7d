"""``F.embedding`` / ``nn.Embedding`` with ``scale_grad_by_freq`` and ``max_norm`` against
PyTorch 2.13 in float64: values, the renormalised table, and gradients (each row's gradient
divided by how often its index occurs), alone and combined with ``padding_idx``, on
Hypothesis-drawn tables and index tensors; first and second order."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.autograd.gradcheck import gradcheck


def _close(a, b) -> None:
    a = a.detach().numpy() if isinstance(a, (cr.Tensor, torch.Tensor)) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, (cr.Tensor, torch.Tensor)) else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@st.composite
def cases(draw):
    v = draw(st.integers(1, 7))
    d = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((v, d)) * draw(st.sampled_from([0.3, 1.0, 3.0]))
    indices = rng.integers(0, v, size=shape)
    padding = draw(st.one_of(st.none(), st.integers(-v, v - 1)))
    max_norm = draw(st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.5])))
    norm_type = draw(st.sampled_from([1.0, 2.0, 3.0, float("inf")]))
    return weight, indices, padding, max_norm, norm_type, rng.standard_normal(shape + (d,))


def _run(lib, weight, indices, padding, max_norm, norm_type, g, scale):
    w = lib.tensor(weight.copy(), requires_grad=True)
    idx = lib.tensor(indices)
    fn = F if lib is cr else torch.nn.functional
    out = fn.embedding(idx, w, padding, max_norm, norm_type, scale)
    out.backward(lib.tensor(g))
    return out, w


@settings(max_examples=60, deadline=None)
@given(cases(), st.booleans())
def test_functional_matches_pytorch(case, scale):
    weight, indices, padding, max_norm, norm_type, g = case
    out, w = _run(cr, weight, indices, padding, max_norm, norm_type, g, scale)
    ref, tw = _run(torch, weight, indices, padding, max_norm, norm_type, g, scale)
    _close(out, ref)
    _close(w, tw)              # max_norm renormalises the table in place
    _close(w.grad, tw.grad)


@settings(max_examples=25, deadline=None)
@given(cases())
def test_layer_matches_pytorch(case):
    weight, indices, padding, max_norm, norm_type, g = case
    v, d = weight.shape
    kwargs = dict(padding_idx=padding, max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=True)
    layer = nn.Embedding(v, d, dtype=cr.float64, **kwargs)
    ref_layer = torch.nn.Embedding(v, d, dtype=torch.float64, **kwargs)
    with cr.no_grad():
        layer.weight.copy_(cr.tensor(weight))
    with torch.no_grad():
        ref_layer.weight.copy_(torch.tensor(weight))
    out, ref = layer(cr.tensor(indices)), ref_layer(torch.tensor(indices))
    out.backward(cr.tensor(g))
    ref.backward(torch.tensor(g))
    _close(out, ref)
    _close(layer.weight, ref_layer.weight)
    _close(layer.weight.grad, ref_layer.weight.grad)
    assert repr(layer) == repr(ref_layer)


def test_repeated_indices_are_averaged():
    w = cr.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    F.embedding(cr.tensor([[0, 0, 1], [0, 3, 3]]), w, scale_grad_by_freq=True).sum().backward()
    # row 0 occurs three times, row 3 twice: each occurrence contributes 1/count
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [1, 1], [0, 0], [1, 1]])


def test_from_pretrained_and_torch_embedding_spelling():
    weight = np.random.default_rng(0).standard_normal((5, 3))
    idx = np.array([1, 1, 4, 2, 1])
    layer = nn.Embedding.from_pretrained(cr.tensor(weight), freeze=False, max_norm=1.0,
                                         scale_grad_by_freq=True)
    ref = torch.nn.Embedding.from_pretrained(torch.tensor(weight), freeze=False, max_norm=1.0,
                                             scale_grad_by_freq=True)
    layer(cr.tensor(idx)).sum().backward()
    ref(torch.tensor(idx)).sum().backward()
    _close(layer.weight.grad, ref.weight.grad)
    _close(layer.weight, ref.weight)
    w, tw = cr.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    (cr.embedding(w, cr.tensor(idx), 2, True) ** 2).sum().backward()
    (torch.embedding(tw, torch.tensor(idx), 2, True) ** 2).sum().backward()
    _close(w.grad, tw.grad)


def test_sparse_still_raises():
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(cr.tensor([0]), cr.ones(4, 2), sparse=True)


@pytest.mark.parametrize("padding", [None, 1])
def test_gradcheck_first_and_second_order(padding):
    idx = cr.tensor([[0, 2, 2], [1, 2, 0]])
    w = cr.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)

    def fn(w, scale=True):
        return F.embedding(idx, w, padding, scale_grad_by_freq=scale) ** 2

    # the scaled "gradient" is by design not the derivative: it is the true one (which passes
    # central differences) divided, row by row, by the index counts (2, 1, 3, 1)
    if padding is None:         # (the padding row's zero gradient is by design, too)
        assert gradcheck(lambda w: fn(w, False), w)
    (true,) = cr.autograd.grad(fn(w, False).sum(), w)
    (scaled,) = cr.autograd.grad(fn(w).sum(), w)
    _close(scaled, true.numpy() / np.array([2.0, 1.0, 3.0, 1.0])[:, None])
    (gw,) = cr.autograd.grad(fn(w).sum(), w, create_graph=True)
    (ggw,) = cr.autograd.grad((gw ** 2).sum(), w)
    tw = torch.tensor(w.numpy(), requires_grad=True)
    tout = torch.nn.functional.embedding(torch.tensor(idx.numpy()), tw, padding,
                                         scale_grad_by_freq=True) ** 2
    (tgw,) = torch.autograd.grad(tout.sum(), tw, create_graph=True)
    (tggw,) = torch.autograd.grad((tgw ** 2).sum(), tw)
    _close(gw, tgw)
    _close(ggw, tggw)


def test_on_array_api_strict_arrays():
    xs = pytest.importorskip("array_api_strict")
    w0 = np.random.default_rng(0).standard_normal((5, 3))
    idx = np.array([[1, 1, 4], [2, 1, 0]])
    results = []
    for strict in (False, True):
        w = cr.tensor(w0.copy(), requires_grad=True)
        if strict:
            w._data = xs.asarray(w0.copy())
        out = F.embedding(cr.tensor(idx), w, 0, max_norm=1.0, scale_grad_by_freq=True)
        (out * 2).sum().backward()
        results.append((np.asarray(w.grad._data), np.asarray(w._data)))
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])
