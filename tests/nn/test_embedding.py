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
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.Embedding(10, 3, max_norm=1.0)
    check_basics(lambda: nn.Embedding(6, 3, padding_idx=0), np.array([[1, 0, 5]]),
                 torch_factory=lambda: torch.nn.Embedding(6, 3))
    assert repr(nn.Embedding(6, 3, padding_idx=1)) == repr(torch.nn.Embedding(6, 3, padding_idx=1))
    text = str(nn.Embedding(6, 3, padding_idx=1).formula())
    assert "W ∈ ℝ^{6×3}" in text and "Σ_{k : i_k = v} G_k" in text and "row 1" in text
    assert registry.get("embedding").formula().to_latex()
