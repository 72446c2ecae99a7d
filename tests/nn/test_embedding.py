"""Embedding: lookups and scatter-added gradients (repeated indices, padding_idx) vs PyTorch."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.autograd import registry
from chainrule.nn import functional as F
from chainrule.ops.embedding import _segment_sum_rows
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck


@settings(max_examples=15, deadline=None)
@given(v=st.integers(1, 12), d=st.integers(1, 5),
       index_shape=st.sampled_from([(), (1,), (6,), (3, 4), (2, 3, 2)]),
       padding=st.one_of(st.none(), st.integers(-12, 11)), seed=st.integers(0, 2 ** 16))
def test_embedding_matches_torch(v, d, index_shape, padding, seed):
    rng = np.random.default_rng(seed)
    if padding is not None and not -v <= padding < v:
        padding = None
    idx = rng.integers(0, v, index_shape)         # few rows: indices repeat
    if padding is not None and idx.size:
        idx.reshape(-1)[0] = padding % v           # the padding row is always looked up
    ours = nn.Embedding(v, d, padding_idx=padding)
    theirs = torch.nn.Embedding(v, d, padding_idx=padding)
    out = check_against_torch(ours, theirs, idx)
    assert out.shape == index_shape + (d,)
    check_against_torch(ours, theirs, idx, dtype=np.float32)
    if padding is not None:
        assert not ours.weight.grad.numpy()[padding % v].any()


def test_embedding_repeated_indices_accumulate():
    layer = nn.Embedding(4, 2).double()
    idx = cr.tensor([[1, 1, 3], [1, 0, 3]])
    g = np.arange(12.0).reshape(2, 3, 2)
    layer(idx).backward(g)
    expected = np.zeros((4, 2))
    np.add.at(expected, idx.numpy(), g)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), expected)
    np.testing.assert_array_equal(layer.weight.grad.numpy()[1], g[0, 0] + g[0, 1] + g[1, 0])
    assert not layer.weight.grad.numpy()[2].any()


@settings(max_examples=20, deadline=None)
@given(v=st.integers(1, 50), d=st.integers(1, 4), m=st.integers(0, 60),
       seed=st.integers(0, 2 ** 16))
def test_segment_sum_equals_add_at(v, d, m, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v, m)
    g = rng.standard_normal((m, d))
    expected = np.zeros((v, d))
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(_segment_sum_rows(g, idx, v), expected, rtol=1e-12, atol=1e-12)


def test_embedding_gradcheck_and_second_order():
    idx = np.array([[0, 2, 4], [4, 4, 1]])
    # without padding_idx: with it, the padding row's zero gradient is a convention (the row is
    # held fixed), not the derivative that central differences measure
    assert check_gradcheck(nn.Embedding(5, 3), idx)
    w = cr.tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)

    def f(weight):
        return (F.embedding(idx, weight, padding_idx=2) ** 3).sum()

    counts = np.bincount(idx.reshape(-1), minlength=5)[:, None] * (np.arange(5) != 2)[:, None]
    np.testing.assert_allclose(cr.grad(f)(w).numpy(), 3 * w.numpy() ** 2 * counts)
    second = cr.grad(lambda t: cr.grad(f)(t).sum())(w)     # through the differentiable path
    np.testing.assert_allclose(second.numpy(), 6 * w.numpy() * counts)


def test_embedding_init_padding_row_and_from_pretrained():
    cr.manual_seed(0)
    layer = nn.Embedding(1000, 50, padding_idx=-1)
    assert layer.padding_idx == 999
    assert not layer.weight.numpy()[999].any()
    w = layer.weight.numpy()[:999]
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02     # N(0, 1), PyTorch's init
    assert layer.weight.dtype == np.float32
    table = np.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(cr.tensor([2, 0])).numpy(), table[[2, 0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_errors_and_basics():
    layer = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range for 10 embeddings "
                                         r"\(valid indices: 0 … 9\)"):
        layer(cr.tensor([1, 10]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        layer(cr.tensor([-1, 2]))
    with pytest.raises(TypeError, match="indices must be integers.*float32"):
        layer(cr.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"padding_idx=10 must be within \[-10, 10\)"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(10, 3, sparse=True)
    check_basics(lambda: nn.Embedding(6, 3, padding_idx=0), np.array([[1, 0, 5]]),
                 torch_factory=lambda: torch.nn.Embedding(6, 3))
    assert repr(nn.Embedding(6, 3, padding_idx=1)) == repr(torch.nn.Embedding(6, 3, padding_idx=1))
    text = str(nn.Embedding(6, 3, padding_idx=1).formula())
    assert "W ∈ ℝ^{6×3}" in text and "Σ_{k : i_k = v} G_k" in text and "row 1" in text
    assert registry.get("embedding").formula().to_latex()


# ------------------------------------------------------------------------------ EmbeddingBag
def _bag_case(rng, v, n_bags, two_d, padding):
    """Indices (1-D with offsets, or 2-D), with empty and repeated-index bags likely."""
    if two_d:
        return rng.integers(0, v, (n_bags, int(rng.integers(1, 4)))), None
    lengths = rng.integers(0, 4, n_bags)                 # empty bags (length 0) are common
    idx = rng.integers(0, v, int(lengths.sum()))
    if padding is not None and idx.size:
        idx[0] = padding % v
    return idx, np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


@settings(max_examples=25, deadline=None)
@given(v=st.integers(1, 8), d=st.integers(1, 4), n_bags=st.integers(1, 5),
       mode=st.sampled_from(["sum", "mean", "max"]), two_d=st.booleans(),
       weighted=st.booleans(), padding=st.one_of(st.none(), st.integers(-8, 7)),
       last=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_embedding_bag_matches_torch(v, d, n_bags, mode, two_d, weighted, padding, last, seed):
    rng = np.random.default_rng(seed)
    if padding is not None and not -v <= padding < v:
        padding = None
    idx, offsets = _bag_case(rng, v, n_bags, two_d, padding)
    weight = rng.standard_normal((v, d))
    psw = rng.standard_normal(idx.shape) if weighted and mode == "sum" else None
    if offsets is not None and last:
        offsets = np.append(offsets, idx.size)
    results = []
    for lib, fn in ((cr, F.embedding_bag), (torch, torch.nn.functional.embedding_bag)):
        w = lib.tensor(weight, requires_grad=True)
        p = None if psw is None else lib.tensor(psw, requires_grad=True)
        off = None if offsets is None else lib.tensor(offsets)
        y = fn(lib.tensor(idx), w, off, mode=mode, per_sample_weights=p, padding_idx=padding,
               include_last_offset=last and offsets is not None)
        g = rng.standard_normal(tuple(y.shape)) if not results else results[0][3]
        y.backward(lib.tensor(g))
        results.append((y.detach().numpy(), w.grad.numpy(),
                        None if p is None else p.grad.numpy(), g))
    (ours, gw, gp, _), (theirs, tgw, tgp, _) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gw, tgw, rtol=1e-12, atol=1e-14)
    if gp is not None:
        np.testing.assert_allclose(gp, tgp, rtol=1e-12, atol=1e-14)


def test_embedding_bag_gradcheck():
    rng = np.random.default_rng(0)
    idx, offsets = cr.tensor([1, 2, 4, 2, 0, 4, 3]), cr.tensor([0, 2, 2, 5])
    psw = cr.tensor(rng.standard_normal(7), requires_grad=True)
    for mode in ("sum", "mean", "max"):
        w = cr.tensor(rng.standard_normal((5, 3)), requires_grad=True)
        assert cr.gradcheck(lambda t, m=mode: F.embedding_bag(idx, t, offsets, mode=m), w)
    w = cr.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    assert cr.gradcheck(lambda t, p: F.embedding_bag(idx, t, offsets, mode="sum",
                                                     per_sample_weights=p, padding_idx=4),
                        w, psw)


def test_embedding_bag_layer_init_errors_and_formula():
    cr.manual_seed(0)
    bag = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=2)
    assert not bag.weight.numpy()[2].any() and bag.weight.numpy().std() > 0.3
    assert repr(bag) == "EmbeddingBag(6, 3, mode='sum', padding_idx=2)"
    out = bag(cr.tensor([[0, 2, 5], [1, 1, 2]]))         # the padding entries (2) left out
    w = bag.weight.numpy()
    np.testing.assert_allclose(out.numpy(), np.stack([w[0] + w[5], w[1] + w[1]]), rtol=1e-6)
    assert "EmbeddingBag" in str(bag.formula()) and "Σ" in str(bag.formula())
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        bag(cr.tensor([1, 2, 3]), cr.tensor([1, 2]))
    with pytest.raises(ValueError, match="non-decreasing"):
        bag(cr.tensor([1, 2, 3]), cr.tensor([0, 2, 1]))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        nn.EmbeddingBag(6, 3)(cr.tensor([[1, 2]]), per_sample_weights=cr.ones(1, 2))
    with pytest.raises(ValueError, match="mode"):
        nn.EmbeddingBag(6, 3, mode="median")
    frozen = nn.EmbeddingBag.from_pretrained(cr.ones(4, 2), mode="max")
    assert not frozen.weight.requires_grad and frozen.mode == "max"


@pytest.mark.parametrize("mode", ["max", "sum", "mean"])
def test_embedding_bag_special_values_and_ties(mode):
    """NaN and ±∞ in the table, and equal maxima: PyTorch's max walks each bag (a NaN counts
    only as a bag's first entry, the first of equal maxima takes the gradient)."""
    nan, inf = np.nan, np.inf
    weight = np.array([[1.0, nan, 3.0, 2.0], [inf, 0.0, -inf, 1.0], [nan, nan, 1.0, 2.0],
                       [-inf, -inf, 5.0, 5.0], [2.0, 2.0, 2.0, 2.0]])
    idx = np.array([0, 1, 1, 0, 2, 3, 3, 2, 4, 4, 3, 4, 0, 0])
    offsets = np.array([0, 2, 4, 6, 8, 10, 12, 12])
    results = []
    for lib, fn in ((cr, F.embedding_bag), (torch, torch.nn.functional.embedding_bag)):
        w = lib.tensor(weight, requires_grad=True)
        y = fn(lib.tensor(idx), w, lib.tensor(offsets), mode=mode)
        y.backward(lib.tensor(np.arange(y.numel(), dtype=float).reshape(tuple(y.shape)) + 1))
        results.append((y.detach().numpy(), w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, equal_nan=True)
