"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch 2.13 in float64: the same state_dict keys and
initialisation shapes, output and loss of forward (batched and one sample), every gradient,
log_prob and predict, on Hypothesis-drawn cutoffs, sizes and targets; PyTorch's errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr


def pair(in_features, n_classes, cutoffs, div_value=4.0, head_bias=False):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value,
                                                 head_bias).double()
    ours = cr.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value,
                                            head_bias, dtype=cr.float64)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert tuple(a.shape) == tuple(b.shape), name
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


@st.composite
def setups(draw):
    n_classes = draw(st.integers(3, 30))
    cutoffs = sorted(draw(st.sets(st.integers(1, n_classes - 1), min_size=1, max_size=3)))
    return (draw(st.integers(4, 12)), n_classes, cutoffs, draw(st.sampled_from([2.0, 4.0])),
            draw(st.booleans()))


@settings(max_examples=25, deadline=None)
@given(setup=setups(), n=st.integers(1, 9), seed=st.integers(0, 9999))
def test_forward_gradients_log_prob_predict_match_torch(setup, n, seed):
    in_features, n_classes, cutoffs, div_value, head_bias = setup
    ours, theirs = pair(in_features, n_classes, cutoffs, div_value, head_bias)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, in_features))
    y = rng.integers(0, n_classes, n)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = ours(cx, cr.tensor(y)), theirs(tx, torch.from_numpy(y))
    assert a._fields == ("output", "loss")
    close(a.output, b.output)
    close(a.loss, b.loss)
    a.loss.backward()
    b.loss.backward()
    close(cx.grad, tx.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert (p.grad is None) == (q.grad is None)     # a cluster no target reached: none
        if q.grad is not None:
            close(p.grad, q.grad)
    close(ours.log_prob(cx), theirs.log_prob(tx))
    np.testing.assert_array_equal(ours.predict(cx).numpy(), theirs.predict(tx).numpy())


def test_one_sample_and_empty_batch_as_torch():
    ours, theirs = pair(6, 10, [3, 6])
    x = np.random.default_rng(0).standard_normal(6)
    a, b = ours(cr.tensor(x), cr.tensor(7)), theirs(torch.from_numpy(x), torch.tensor(7))
    assert tuple(a.output.shape) == tuple(b.output.shape) == ()
    close(a.output, b.output)
    a = ours(cr.zeros(0, 6, dtype=cr.float64), cr.zeros(0, dtype=cr.int64))
    assert tuple(a.output.shape) == (0,) and np.isnan(a.loss.item())


def test_errors_match_torch():
    with pytest.raises(ValueError, match="unique, positive integers sorted"):
        cr.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 4])
    with pytest.raises(ValueError, match="unique, positive integers sorted"):
        cr.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [10])
    m = cr.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(cr.randn(3, 8), cr.tensor([1, 2, 12]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(cr.randn(3, 8), cr.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(cr.randn(3, 8), cr.zeros(3, 2, dtype=cr.int64))
    with pytest.raises(IndexError, match="2-D input"):      # PyTorch: an IndexError too
        m.log_prob(cr.randn(8))
    with pytest.raises(IndexError, match="2-D input"):
        m.predict(cr.randn(8))


def test_linear_with_no_inputs_initialises_as_torch():
    """nn.Linear(0, k) (an adaptive softmax cluster's projection can have 0 units): PyTorch
    warns and leaves the empty weight, and draws the bias from U(0, 0)."""
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        layer = cr.nn.Linear(0, 3)
    assert tuple(layer.weight.shape) == (3, 0) and layer.bias.tolist() == [0.0, 0.0, 0.0]
    assert layer(cr.zeros(2, 0)).tolist() == [[0.0] * 3] * 2
    for shape in ((4, 0), (0, 3)):          # gradients through a 0-wide layer, as PyTorch's
        ours, theirs = cr.nn.Linear(*shape), torch.nn.Linear(*shape)
        x = np.ones((2, 5, shape[0]), dtype=np.float32)
        cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours(cx).sum().backward()
        theirs(tx).sum().backward()
        assert cx.grad.shape == tx.grad.shape and not cx.grad.numpy().any()
        assert ours.weight.grad.shape == theirs.weight.grad.shape
        assert ours.bias.grad.shape == theirs.bias.grad.shape


def test_rnn_base_classes_are_exported():
    assert issubclass(cr.nn.LSTM, cr.nn.RNNBase) and issubclass(cr.nn.GRUCell, cr.nn.RNNCellBase)
