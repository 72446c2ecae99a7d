"""Text and image models train on array_api_strict arrays (issue 17, part 2): embeddings,
recurrences, transposed convolutions, average pooling, max unpooling, attention, padding and
indexing inside a model.

Each model is built twice from the same seed, once on NumPy arrays and once with its parameters
and inputs moved to array_api_strict (which implements the array API standard and nothing else,
so any NumPy-only call on the way fails); one training step (forward, backward, an optimizer
step) must give the same outputs, gradients and updated parameters, all array_api_strict arrays.
The scatter-adds that the standard lacks (the backward of gathers) are checked on their own
against ``np.add.at`` with many repeated positions.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.ops import rnn as R

xs = pytest.importorskip("array_api_strict")
StrictArray = type(xs.asarray(0.0))


def _numpy(a):
    return np.from_dlpack(a) if isinstance(a, StrictArray) else np.asarray(a)


def _strict(a):
    return xs.asarray(a) if isinstance(a, np.ndarray) else a


# ------------------------------------------------------------------------------ models
class Recurrent(nn.Module):
    """Embedding → a bidirectional recurrence (the layer's parameters, run through the
    primitives: ops/rnn.py's functions) → the last step (x[:, -1]) → Linear."""

    def __init__(self, kind: str, proj: int = 0):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(7, 4, padding_idx=0)
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        options = {"proj_size": proj} if proj else {}
        self.rnn = layer(4, 5, bidirectional=True, **options)
        self.out = nn.Linear(2 * (proj or 5), 3)

    def _direction(self, x, suffix, reverse, lengths):
        w = [getattr(self.rnn, f"{name}_l0{suffix}") for name in
             ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        if self.kind == "lstm":
            w_hr = getattr(self.rnn, f"weight_hr_l0{suffix}", None)
            return R.lstm(x, None, None, *w, w_hr, lengths=lengths, reverse=reverse)[0]
        if self.kind == "gru":
            return R.gru(x, None, *w, lengths=lengths, reverse=reverse)[0]
        return R.rnn(x, None, *w, nonlinearity="tanh", lengths=lengths, reverse=reverse)[0]

    def forward(self, tokens, lengths=None):
        x = cr.swapaxes(self.emb(tokens), 0, 1)                  # (T, N, E), time-major
        y = cr.concatenate([self._direction(x, "", False, lengths),
                            self._direction(x, "_reverse", True, lengths)], axis=2)
        return self.out(cr.swapaxes(y, 0, 1)[:, -1])


class Unpool(nn.Module):
    """Conv2d → MaxPool2d(return_indices) → MaxUnpool2d → Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.head = nn.Linear(3 * 8 * 8, 2)

    def forward(self, x):
        y, indices = self.pool(self.conv(x))
        return self.head(self.unpool(y, indices).flatten(1))


class Attention(nn.Module):
    """MultiheadAttention (causal boolean mask, key padding mask) → the first position → Linear,
    plus F.scaled_dot_product_attention on the same input."""

    def __init__(self):
        super().__init__()
        # without in-projection biases: softmax is blind to a bias added to every key, so the
        # key bias's gradient is zero up to rounding, which Adam's g/√v turns into steps of ±lr
        # (as in PyTorch); the two libraries' roundings of zero need not agree
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True, bias=False)
        self.mha_weights = nn.MultiheadAttention(8, 2, batch_first=True, bias=False)  # weights
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        causal = np.triu(np.ones((5, 5), dtype=bool), 1)
        padding = np.zeros((x.shape[0], 5), dtype=bool)
        padding[:, -1] = True
        y, _ = self.mha(x, x, x, attn_mask=causal, key_padding_mask=padding, need_weights=False)
        w_out, weights = self.mha_weights(x, x, x, key_padding_mask=padding)
        z = F.scaled_dot_product_attention(y, x, x, is_causal=True)
        return self.head(y[:, 0] + z[:, 2] + w_out[:, 1]) + weights[:, 0, :3]


class PadAndIndex(nn.Module):
    """F.pad, integer-array and basic indexing, index_put, diagonal and Tensor.unfold views
    inside a model."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 3)

    def forward(self, x):
        x = F.pad(x, (1, 1), value=0.5)                           # (5, 6)
        rows = np.array([0, 2, 2, 4])                             # a repeated row
        picked = self.lin(x[rows])                                # (4, 3)
        basic = self.lin(x[1:5]) * x[1:5, 0:1] + x[:, 0][None, :4, None]
        put = cr.ops.index_put(picked, (np.array([1, 1, 3]), np.array([0, 2, 0])), -1.0)
        windows = x.unfold(1, 3, 2).sum(axis=-1)                  # (5, 2)
        return put + basic + cr.diagonal(x)[:3] + windows[:4, :1]


IMAGE = (4, 2, 8, 8)
MODELS = {
    "embedding_lstm_linear": (lambda: Recurrent("lstm"), "tokens"),
    "embedding_lstm_projection_linear": (lambda: Recurrent("lstm", proj=3), "tokens"),
    "embedding_gru_linear": (lambda: Recurrent("gru"), "tokens"),
    "embedding_rnn_linear": (lambda: Recurrent("rnn"), "tokens"),
    "conv_transpose": (lambda: nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), nn.Tanh(),
        nn.ConvTranspose2d(2, 2, 2, groups=2, dilation=2), nn.Flatten(), nn.Linear(2 * 10 * 10, 3)),
        IMAGE),
    "avg_pool": (lambda: nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.AvgPool2d(2),
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.Flatten(), nn.Linear(3 * 3 * 3, 3)), IMAGE),
    "max_unpool": (Unpool, IMAGE),
    "attention": (Attention, (3, 5, 8)),
    "pad_and_index": (PadAndIndex, (5, 4)),
}


def _input(kind, rng, dtype):
    if kind == "tokens":
        tokens = rng.integers(0, 7, (3, 6))
        tokens[0, :2] = 0                                          # the padding row, twice
        return tokens
    return rng.standard_normal(kind).astype(dtype)


def _train_step(name, strict, dtype, optimizer, lengths=None):
    """(output, loss, parameter gradients, parameters after one optimizer step)."""
    make, kind = MODELS[name]
    cr.manual_seed(0)
    model = make().to(dtype)
    x = _input(kind, np.random.default_rng(1), dtype)
    if strict:
        for p in model.parameters():
            p._data = xs.asarray(np.asarray(p._data))
        x = xs.asarray(x)
    opt = optimizer(model.parameters())
    opt.zero_grad()
    y = model(cr.tensor(x)) if lengths is None else model(cr.tensor(x), lengths=lengths)
    loss = (y * y).mean() + y.max()
    loss.backward()
    grads = [p.grad._data for p in model.parameters()]
    opt.step()
    return [y._data, loss._data] + grads + [p._data for p in model.parameters()]


def _assert_equal(got, expected, name, tol):
    assert len(got) == len(expected)
    for i, (a, e) in enumerate(zip(got, expected)):
        assert isinstance(a, StrictArray), f"{name}: result {i} is a {type(a).__name__}"
        e = np.asarray(e)
        scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
        np.testing.assert_allclose(_numpy(a), e, rtol=tol, atol=tol * scale,
                                   err_msg=f"{name}: result {i}")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_training_step_on_array_api_strict_equals_numpy(name):
    """Forward, backward and an Adam step in float64: equal to NumPy's to 1e-12."""
    def adam(ps):
        return cr.optim.Adam(ps, lr=0.01)

    expected = _train_step(name, False, np.float64, adam)
    got = _train_step(name, True, np.float64, adam)
    _assert_equal(got, expected, name, 1e-12)


@pytest.mark.parametrize("name", ["embedding_lstm_linear", "embedding_gru_linear", "conv_transpose",
                                  "avg_pool"])
def test_float32_sgd_step_on_array_api_strict_equals_numpy(name):
    """float32 and SGD with momentum: the same values to the float32 tolerance of the primitive
    suite (1e-5)."""
    def sgd(ps):
        return cr.optim.SGD(ps, lr=0.1, momentum=0.9)

    expected = _train_step(name, False, np.float32, sgd)
    got = _train_step(name, True, np.float32, sgd)
    _assert_equal(got, expected, name, 1e-5)


@pytest.mark.parametrize("name", ["embedding_lstm_linear", "embedding_gru_linear",
                                  "embedding_rnn_linear"])
def test_recurrences_with_lengths_on_array_api_strict(name):
    """Variable lengths (unsorted, so the batch is reordered) through the same step."""
    lengths = np.array([4, 6, 2])

    def sgd(ps):
        return cr.optim.SGD(ps, lr=0.1)

    expected = _train_step(name, False, np.float64, sgd, lengths)
    got = _train_step(name, True, np.float64, sgd, lengths)
    _assert_equal(got, expected, name, 1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_the_recurrent_layers_on_array_api_strict(kind):
    """nn.LSTM / nn.GRU / nn.RNN themselves (their input checks included): output, final state
    and the weights' gradients on strict arrays equal NumPy's."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    results = []
    for strict in (False, True):
        cr.manual_seed(0)
        layer = getattr(nn, kind)(4, 5, batch_first=True).double()
        if strict:
            for p in layer.parameters():
                p._data = xs.asarray(np.asarray(p._data))
        out, state = layer(cr.tensor(xs.asarray(x) if strict else x))
        h = state[0] if kind == "LSTM" else state
        (out.sum() + (h * h).sum()).backward()
        results.append([out._data, h._data] + [p.grad._data for p in layer.parameters()])
    for i, (got, expected) in enumerate(zip(results[1], results[0])):
        assert isinstance(got, StrictArray)
        np.testing.assert_allclose(np.from_dlpack(got), expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{kind} result {i}")


# ------------------------------------------------------------------------------ scatter-adds
@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 6), width=st.integers(1, 3), count=st.integers(0, 40),
       seed=st.integers(0, 2**16))
def test_scatter_rows_equals_add_at(rows, width, count, seed):
    """The scatter-add by gathers (heavily repeated positions, rows never hit) against NumPy's
    np.add.at, which adds each position's terms in the same order: equal values."""
    from chainrule.ops.movement_standard import scatter_rows

    rng = np.random.default_rng(seed)
    positions = rng.integers(0, rows, count)
    g = rng.standard_normal((count, width))
    expected = np.zeros((rows, width))
    np.add.at(expected, positions, g)
    got = scatter_rows(xs.asarray(g), positions, rows)
    assert isinstance(got, StrictArray)
    np.testing.assert_array_equal(_numpy(got), expected)


INDICES = [
    (np.array([3, 0, 3, 3, -1]),),                              # repeats, negative
    (slice(None), np.array([[1, 0], [1, 2]])),                  # a slice, then a 2-D array
    (np.array([0, 2, 2]), np.array([1, 1, 1])),                 # a pair of arrays, repeating
    (np.array([True, False, True, True]),),                     # a boolean mask on axis 0
    (Ellipsis, np.array([2, 2, 0])),                            # the last axis
    (np.array([1, 1]), slice(None), 0),                         # an int beside an array
    (slice(1, None), None, slice(0, 100)),                      # None, slice end past the axis
]


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_getitem_and_its_gradient_on_array_api_strict(index):
    """x[index] and its backward (a scatter-add for repeated positions), as NumPy computes them
    (NumPy's indexing rules: what the NumPy path of getitem uses)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 3))
    results = []
    for move in (np.asarray, _strict):
        xt = cr.tensor(move(x), requires_grad=True)
        y = cr.ops.getitem(xt, index)
        y.backward(cr.tensor(move(np.arange(float(np.prod(y.shape))).reshape(y.shape))))
        results.append((_numpy(y._data), _numpy(xt.grad._data)))
    assert isinstance(y._data, StrictArray) and isinstance(xt.grad._data, StrictArray)
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


@pytest.mark.parametrize("index", [(np.array([2, 0, 2]),), (slice(None), np.array([1, 1])),
                                   (np.array([0, 1]), 1)],
                         ids=["rows_repeated", "columns_repeated", "int_beside_array"])
def test_index_put_with_array_indices_on_array_api_strict(index):
    """y = x; y[index] = v with repeated positions (the last write wins, as NumPy's assignment)
    and PyTorch's rule for an int beside an array; gradients of x (zero where written) and v."""
    rng = np.random.default_rng(0)
    x, weights = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    target = np.empty((3, 4))[index].shape
    results = []
    for move in (np.asarray, _strict):
        xt = cr.tensor(move(x), requires_grad=True)
        v = cr.tensor(move(np.arange(float(np.prod(target))).reshape(target)), requires_grad=True)
        y = cr.ops.index_put(xt, index, v)
        (y * cr.tensor(move(weights))).sum().backward()
        results.append([_numpy(a) for a in (y._data, xt.grad._data, v.grad._data)])
    assert isinstance(y._data, StrictArray) and isinstance(v.grad._data, StrictArray)
    for a, e in zip(results[1], results[0]):
        np.testing.assert_array_equal(a, e)
