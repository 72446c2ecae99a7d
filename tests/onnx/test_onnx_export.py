"""chainrule's own networks exported by ``chainrule.onnx.export`` run in onnxruntime with
chainrule's outputs: LeNet-5, SmallVGG and ResNet-18 (chainrule.models), LSTM/GRU text classifiers
(one layer, bidirectional, stacked), a Transformer encoder classifier and MultiheadAttention
with a causal mask; the batch axis (and the sequence axis) stays dynamic; export → import →
export gives the same graph and weights (CNNs, MLP, LSTM and Transformer text models), and the
imported model computes what the original did; the file goes to a path or a file object; the
model is left as it was."""
from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
from export_helpers import (
    assert_runs_like_chainrule,
    assert_same_graph,
    chainrule_outputs,
    dims,
    exported,
    initializers,
    onnx,
    op_types,
)

import chainrule as cr
import chainrule.onnx as cro
from chainrule import models, nn


def images(n: int, c: int, side: int, seed: int = 0) -> cr.Tensor:
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.standard_normal((n, c, side, side)).astype(np.float32))


def token_ids(n: int, length: int, vocab: int = 50, seed: int = 0) -> cr.Tensor:
    return cr.tensor(np.random.default_rng(seed).integers(1, vocab, (n, length)))


def cnn(name: str):
    cr.manual_seed(0)
    if name == "lenet":
        return models.LeNet5(), 1, 28
    if name == "resnet18":                    # residual additions, global average pooling
        return models.resnet18(num_classes=10), 3, 32
    model = models.SmallVGG(channels=(8, 16), hidden=32, image_size=16)
    for m in model.modules():                     # statistics that are not the identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean._data[:] = np.linspace(-0.5, 0.5, m.num_features)
            m.running_var._data[:] = np.linspace(0.5, 2.0, m.num_features)
    return model, 3, 16


@pytest.mark.parametrize("name", ["lenet", "smallvgg", "resnet18"])
def test_cnn_runs_in_onnxruntime_at_any_batch(name):
    model, channels, side = cnn(name)
    proto = exported(model, images(2, channels, side), dynamic_axes={"x": {0: "batch"}})
    assert dims(proto.graph.input[0]) == ["batch", channels, side, side]
    assert dims(proto.graph.output[0]) == ["batch", 10]
    for n in (2, 5):                              # exported at batch 2, run at 2 and 5
        assert_runs_like_chainrule(proto, model, images(n, channels, side, seed=n))
    ops = set(op_types(proto))
    assert {"Conv", "MaxPool", "Relu", "Reshape", "Gemm"} <= ops
    assert ("BatchNormalization" in ops) == (name != "lenet")
    assert ("GlobalAveragePool" in ops) == (name == "resnet18")
    # the weights are initializers named by their state_dict keys, with their values
    weights = initializers(proto)
    state = {k: v.numpy() for k, v in model.state_dict().items() if v.dtype.kind == "f"}
    assert set(state) <= set(weights)
    for key, value in state.items():
        np.testing.assert_array_equal(weights[key], value)


class TextClassifier(nn.Module):
    """Embedding → LSTM/GRU → Linear on the last time step."""

    def __init__(self, cell="lstm", layers=1, bidirectional=False, vocab=50, embed=8, hidden=12):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = rnn(embed, hidden, num_layers=layers, batch_first=True,
                       bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), 3)

    def forward(self, ids):
        out, _ = self.rnn(self.embedding(ids))
        return self.fc(out[:, -1])


RECURRENT = [("lstm", 1, False), ("lstm", 1, True), ("lstm", 2, True), ("gru", 2, True),
             ("rnn", 1, False)]


@pytest.mark.parametrize(("cell", "layers", "bidirectional"), RECURRENT)
def test_text_classifier_runs_in_onnxruntime(cell, layers, bidirectional):
    cr.manual_seed(1)
    model = TextClassifier(cell, layers, bidirectional)
    proto = exported(model, token_ids(2, 7), dynamic_axes={"ids": {0: "batch", 1: "seq"}})
    assert dims(proto.graph.input[0]) == ["batch", "seq"]
    nodes = [n for n in proto.graph.node if n.op_type == cell.upper()]
    assert len(nodes) == layers * (2 if bidirectional else 1)
    directions = [a.s.decode() for n in nodes for a in n.attribute if a.name == "direction"]
    assert directions == ["forward", "reverse"] * layers if bidirectional else \
        directions == ["forward"] * layers
    if cell == "gru":
        assert all(a.i == 1 for n in nodes for a in n.attribute
                   if a.name == "linear_before_reset")
    assert "rnn.weight_ih_l0" in initializers(proto)
    for n, length in ((2, 7), (5, 7), (3, 11)):   # other batch sizes and lengths
        assert_runs_like_chainrule(proto, model, token_ids(n, length, seed=n + length))


def test_models_lstm_classifier_exports_with_a_warning_about_lengths():
    """chainrule.models.LSTMClassifier gives its LSTM lengths (all full without padding_idx):
    they are dropped, and the warning says the graph runs every sequence to its end."""
    cr.manual_seed(2)
    model = models.LSTMClassifier(50, embed_dim=8, hidden_size=12, num_layers=2,
                                  bidirectional=True, padding_idx=None)
    with pytest.warns(cro.OnnxExportWarning, match="no sequence_lens"):
        proto = exported(model, token_ids(2, 6), dynamic_axes={"ids": {0: "batch"}})
    assert_runs_like_chainrule(proto, model, token_ids(4, 6, seed=3))


class EncoderClassifier(nn.Module):
    """Embedding·√d + learned positions → 2-layer TransformerEncoder (pre-norm, GELU, final
    LayerNorm) → mean over positions → Linear."""

    def __init__(self, vocab=50, d=16, heads=2, max_len=32):
        super().__init__()
        self.d = d
        self.embedding = nn.Embedding(vocab, d)
        self.position = nn.Embedding(max_len, d)
        layer = nn.TransformerEncoderLayer(d, heads, 32, dropout=0.1, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d))
        self.fc = nn.Linear(d, 2)

    def forward(self, ids, positions):
        x = self.embedding(ids) * math.sqrt(self.d) + self.position(positions)
        return self.fc(self.encoder(x).mean(dim=1))


def encoder_inputs(n: int, length: int, seed: int = 0):
    positions = cr.tensor(np.broadcast_to(np.arange(length), (n, length)).copy())
    return token_ids(n, length, seed=seed), positions


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_transformer_encoder_runs_in_onnxruntime(opset):
    cr.manual_seed(3)
    model = EncoderClassifier()
    axes = {"ids": {0: "batch", 1: "seq"}, "positions": {0: "batch", 1: "seq"}}
    proto = exported(model, encoder_inputs(2, 7), opset=opset, dynamic_axes=axes)
    ops = set(op_types(proto))
    assert {"MatMul", "Softmax", "Gather"} <= ops
    assert ("LayerNormalization" in ops) == (opset >= 17)
    assert ("Gelu" in ops) == (opset >= 20)
    for n, length in ((2, 7), (5, 9)):
        assert_runs_like_chainrule(proto, model, encoder_inputs(n, length, seed=n))


def test_transformer_encoder_module_and_causal_attention():
    """nn.TransformerEncoder itself (post-norm, ReLU, time-major), and MultiheadAttention with a
    causal attn_mask (a fixed constant of the graph)."""
    cr.manual_seed(4)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 24, dropout=0.2), 2)
    x = cr.randn(6, 3, 16)                                        # (L, N, E)
    proto = exported(encoder, x, dynamic_axes={"src": {1: "batch"}})
    assert_runs_like_chainrule(proto, encoder, cr.randn(6, 5, 16))

    attention = nn.MultiheadAttention(16, 2, batch_first=True)
    mask = nn.Transformer.generate_square_subsequent_mask(5)

    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = attention

        def forward(self, x):
            out, weights = self.attention(x, x, x, attn_mask=mask)
            return out, weights

    model = Causal()
    proto = exported(model, cr.randn(2, 5, 16), dynamic_axes={"x": {0: "batch"}})
    assert len(proto.graph.output) == 2
    assert_runs_like_chainrule(proto, model, cr.randn(4, 5, 16))


def test_examples_of_batch_1_and_equal_axis_sizes():
    """An example of batch 1 and length 1, or with batch and length equal, still exports a
    graph whose reshapes follow the right axis (each dynamic axis grows by its own amount on
    the second trace, so no two take the same sizes)."""
    cr.manual_seed(8)
    model = EncoderClassifier()
    axes = {"ids": {0: "batch", 1: "seq"}, "positions": {0: "batch", 1: "seq"}}
    for n, length in ((1, 1), (3, 3)):
        proto = exported(model, encoder_inputs(n, length), dynamic_axes=axes)
        for shape in ((2, 6), (5, 2), (1, 1)):
            assert_runs_like_chainrule(proto, model, encoder_inputs(*shape, seed=sum(shape)))
    lstm = TextClassifier("lstm", 2, True)
    proto = exported(lstm, token_ids(1, 1), dynamic_axes={"ids": {0: "batch", 1: "seq"}})
    assert_runs_like_chainrule(proto, lstm, token_ids(4, 6))


@pytest.mark.parametrize("name", ["lenet", "smallvgg", "resnet18", "mlp"])
def test_export_import_export_is_stable(name):
    if name == "mlp":
        cr.manual_seed(5)
        model, x = models.MLP(12, (16, 8), 3), cr.randn(2, 12)
    else:
        model, channels, side = cnn(name)
        x = images(2, channels, side)
    model.eval()
    first = exported(model, x, dynamic_axes={"x": {0: "batch"}})
    imported = cro.load(first.SerializeToString())
    for n in (2, 5):
        batch = cr.tensor(np.random.default_rng(n).standard_normal(
            (n,) + tuple(x.shape[1:])).astype(np.float32))
        np.testing.assert_allclose(chainrule_outputs(imported, batch)[0],
                                   chainrule_outputs(model, batch)[0], rtol=1e-5, atol=1e-6)
    second = exported(imported, x, dynamic_axes={"x": {0: "batch"}})
    assert_same_graph(first, second)
    assert_runs_like_chainrule(second, model, x)


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_text_models_round_trip(name):
    """An exported text model (a 2-layer bidirectional LSTM, a Transformer encoder), imported
    and exported again, is the same graph as the first export (as the CNNs' are above: the
    imported LSTM runs on its stored weights, see chainrule/onnx/fusion.py), and still computes
    the original model's outputs at other batch sizes and lengths."""
    cr.manual_seed(8)
    if name == "lstm":
        model = TextClassifier("lstm", 2, True)
        inputs, axes = token_ids(3, 5), {"ids": {0: "batch", 1: "seq"}}
        other = [token_ids(4, 7, seed=1), token_ids(1, 2, seed=2)]
    else:
        model = EncoderClassifier()
        inputs = encoder_inputs(2, 7)
        axes = {"ids": {0: "batch", 1: "seq"}, "positions": {0: "batch", 1: "seq"}}
        other = [encoder_inputs(3, 9, seed=1), encoder_inputs(1, 4, seed=2)]
    model.eval()
    first = exported(model, inputs, dynamic_axes=axes)
    imported = cro.load(first.SerializeToString())
    second = exported(imported, inputs, dynamic_axes=axes)
    assert_same_graph(first, second)
    for batch in other:
        assert_runs_like_chainrule(second, model, batch)
        np.testing.assert_allclose(chainrule_outputs(imported, batch)[0],
                                   chainrule_outputs(model, batch)[0], rtol=1e-5, atol=1e-6)


def test_path_file_object_and_pytorch_keywords(tmp_path):
    cr.manual_seed(6)
    model = models.MLP(4, (5,), 2)
    x = cr.randn(3, 4)
    path = tmp_path / "mlp.onnx"
    proto = cro.export(model, (x,), str(path))
    assert onnx.load(str(path)) == proto
    buffer = io.BytesIO()
    cro.export(model, x, buffer, opset=13)
    assert onnx.load_from_string(buffer.getvalue()).opset_import[0].version == 13
    # torch.onnx.export's keywords: args, f, opset_version, input_names, output_names
    cro.export(model, args=(x,), f=tmp_path / "again.onnx", opset_version=15,
               input_names=["features"], output_names=["logits"],
               dynamic_axes={"features": [0]}, do_constant_folding=True)
    again = onnx.load(str(tmp_path / "again.onnx"))
    assert [i.name for i in again.graph.input] == ["features"]
    assert [o.name for o in again.graph.output] == ["logits"]
    assert dims(again.graph.input[0]) == ["features_dynamic_axes_1", 4]
    assert_runs_like_chainrule(again, model, cr.randn(6, 4))
    # the chainrule attribute, as torch.onnx
    assert cr.onnx.export is cro.export


def test_export_leaves_the_model_and_inputs_as_they_were():
    cr.manual_seed(7)

    class InPlace(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            x -= 1.0                      # changes its input in place (allowed in chainrule)
            h = self.fc(x)
            h += x                        # and an intermediate
            return self.drop(h).relu()

    model = InPlace().train()
    model.fc.bias.requires_grad_(False)
    data = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x = cr.tensor(data.copy())
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    proto = exported(model, x)
    np.testing.assert_array_equal(x.numpy(), data)          # the example is not changed
    assert model.training and model.drop.training
    assert not model.fc.bias.requires_grad and model.fc.weight.requires_grad
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert "Dropout" not in op_types(proto)
    model.eval()
    assert_runs_like_chainrule(proto, model, cr.tensor(data.copy()))


def test_several_outputs_and_an_output_that_is_an_input():
    class Many(nn.Module):
        def forward(self, x, y):
            s = x + y
            return s, (x, s * 2), {"relu": s.relu()}

    model = Many()
    x, y = cr.randn(2, 3), cr.randn(2, 3)
    proto = exported(model, (x, y), output_names=["sum"])
    assert [o.name for o in proto.graph.output] == ["sum", "output_1", "output_2", "output_3"]
    assert_runs_like_chainrule(proto, model, (x, y))


def test_non_tensor_arguments_are_passed_as_constants():
    class Scaled(nn.Module):
        def forward(self, x, factor, flag=None):
            return x * factor if flag is None else x

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proto = exported(Scaled(), (cr.randn(2, 3), 2.5))
    assert [i.name for i in proto.graph.input] == ["x"]
    out = assert_runs_like_chainrule(proto, Scaled(), (cr.randn(2, 3), 2.5))
    assert out[0].shape == (2, 3)
