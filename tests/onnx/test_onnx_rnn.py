"""Recurrent operators (RNN, GRU, LSTM) imported from PyTorch's exports and from hand-built
graphs (sequence_lens, layout = 1, initial states), against onnxruntime; gradients reach every
imported weight; an LSTM classifier (Embedding → LSTM → Linear) fine-tunes."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from onnx_helpers import FLOAT, TensorProto, assert_matches_ort, graph_model, helper, torch

import chainrule as cr
import chainrule.onnx as cro

RNG = np.random.default_rng(2)


def randn(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def export_multi(module, args, names, outputs, opset):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), args, buffer, opset_version=opset, dynamo=False,
                          do_constant_folding=False, input_names=names, output_names=outputs)
    return buffer.getvalue()


class Recurrent(torch.nn.Module):
    def __init__(self, kind, **kwargs):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(**kwargs)

    def forward(self, x, h0):
        return self.rnn(x, h0)


class LSTMWithState(torch.nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.rnn = torch.nn.LSTM(**kwargs)

    def forward(self, x, h0, c0):
        y, (h, c) = self.rnn(x, (h0, c0))
        return y, h, c


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize(("layers", "bidirectional", "batch_first"),
                         [(1, False, False), (2, True, False), (1, True, True)])
def test_torch_recurrent_layers(kind, layers, bidirectional, batch_first, opset):
    torch.manual_seed(0)
    kwargs = dict(input_size=5, hidden_size=6, num_layers=layers, bidirectional=bidirectional,
                  batch_first=batch_first)
    dirs = 2 if bidirectional else 1
    x = randn(3, 7, 5) if batch_first else randn(7, 3, 5)
    h0 = randn(layers * dirs, 3, 6, scale=0.5)
    if kind == "LSTM":
        module = LSTMWithState(**kwargs)
        c0 = randn(layers * dirs, 3, 6, scale=0.5)
        data = export_multi(module, (torch.from_numpy(x), torch.from_numpy(h0),
                                     torch.from_numpy(c0)), ["x", "h0", "c0"], ["y", "h", "c"],
                            opset)
        feeds = {"x": x, "h0": h0, "c0": c0}
    else:
        module = Recurrent(kind, **kwargs)
        data = export_multi(module, (torch.from_numpy(x), torch.from_numpy(h0)), ["x", "h0"],
                            ["y", "h"], opset)
        feeds = {"x": x, "h0": h0}
    ours = assert_matches_ort(data, feeds)
    with torch.no_grad():
        theirs = module(*[torch.from_numpy(v) for v in feeds.values()])
    flat = [theirs[0], *theirs[1]] if kind == "LSTM" and isinstance(theirs[1], tuple) else theirs
    for a, b in zip(ours, flat):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    model = cro.load(data)
    sum(o.sum() for o in model(**feeds)).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0, name


def _rnn_graph(kind, direction, layout, T=5, N=4, I=3, H=2, lengths=False, states=True):
    g = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    dirs = 2 if direction == "bidirectional" else 1
    inits = [("W", randn(dirs, g * H, I)), ("R", randn(dirs, g * H, H)),
             ("B", randn(dirs, 2 * g * H))]
    inputs = ["X", "W", "R", "B", "lens" if lengths else ""]
    feeds = {"X": randn(N, T, I) if layout else randn(T, N, I)}
    state_shape = (N, dirs, H) if layout else (dirs, N, H)
    if states:
        inputs.append("h0")
        feeds["h0"] = randn(*state_shape, scale=0.5)
        if kind == "LSTM":
            inputs.append("c0")
            feeds["c0"] = randn(*state_shape, scale=0.5)
    if lengths:
        feeds["lens"] = np.array([5, 3, 1, 4][:N], np.int32)
    outputs = ["Y", "Y_h"] + (["Y_c"] if kind == "LSTM" else [])
    attrs = dict(hidden_size=H, direction=direction, layout=layout)
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    node = helper.make_node(kind, inputs, outputs, **attrs)
    kinds = {np.dtype(np.float32): FLOAT, np.dtype(np.int32): TensorProto.INT32}
    model = graph_model([node], [(k, list(v.shape), kinds[v.dtype]) for k, v in feeds.items()],
                        [(o, None) for o in outputs], inits, opset=14)
    return model, feeds


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("layout", [0, 1])
def test_hand_built_graphs_with_sequence_lengths(kind, direction, layout):
    """onnxruntime runs only layout 0: a layout-1 graph is compared with the same weights in
    layout 0 on the transposed inputs, its outputs transposed back."""
    global RNG
    RNG = np.random.default_rng(3)
    model, feeds = _rnn_graph(kind, direction, 0, lengths=True)
    expected = assert_matches_ort(model, feeds)
    if layout == 0:
        return
    RNG = np.random.default_rng(3)
    batch_major, _ = _rnn_graph(kind, direction, 1, lengths=True)   # the same weights
    feeds1 = {k: (v.transpose(1, 0, 2) if v.ndim == 3 else v) for k, v in feeds.items()}
    ours = cro.load(batch_major)(**feeds1)
    np.testing.assert_allclose(ours[0].numpy(), expected[0].numpy().transpose(2, 0, 1, 3),
                               rtol=1e-6, atol=1e-7)
    for a, b in zip(ours[1:], expected[1:]):
        np.testing.assert_allclose(a.numpy(), b.numpy().transpose(1, 0, 2), rtol=1e-6,
                                   atol=1e-7)


def test_unsupported_attributes_are_refused_at_load():
    node = helper.make_node("LSTM", ["X", "W", "R"], ["Y"], hidden_size=2, clip=3.0, name="l")
    inits = [("W", randn(1, 8, 3)), ("R", randn(1, 8, 2))]
    model = graph_model([node], [("X", [5, 4, 3])], [("Y", [5, 1, 4, 2])], inits)
    with pytest.raises(cro.UnsupportedOperatorError, match="'l'.*clip"):
        cro.load(model)
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=2)
    inits = [("W", randn(1, 6, 3)), ("R", randn(1, 6, 2))]
    model = graph_model([node], [("X", [5, 4, 3])], [("Y", [5, 1, 4, 2])], inits)
    with pytest.raises(cro.UnsupportedOperatorError, match="linear_before_reset=0"):
        cro.load(model)


class LSTMClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(50, 8)
        self.lstm = torch.nn.LSTM(8, 12, batch_first=True)
        self.fc = torch.nn.Linear(12, 2)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embedding(tokens))
        return self.fc(h[-1])


@pytest.mark.parametrize("opset", [13, 17])
def test_lstm_classifier_imports_and_fine_tunes(opset):
    torch.manual_seed(1)
    module = LSTMClassifier()
    tokens = RNG.integers(0, 50, (6, 9)).astype(np.int64)
    data = export_multi(module, (torch.from_numpy(tokens),), ["tokens"], ["logits"], opset)
    assert_matches_ort(data, {"tokens": tokens})
    model = cro.load(data)
    labels = cr.as_tensor(np.array([0, 1, 0, 1, 1, 0]))
    opt = cr.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = cr.nn.functional.cross_entropy(model(tokens), labels)
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.5 * losses[0]
