"""export → import → export is a fixed point for the spellings chainrule's exporter writes:
recurrent layers (LSTM, GRU, RNN; stacked, bidirectional, with initial states given), Squeeze
and Unsqueeze, slices of a dynamic axis, scalar constants and 0-d weights. The imported
recurrent layers run on their stored weights (chainrule/onnx/fusion.py): the gradients by
state_dict key equal the original model's. A graph that only resembles the pattern (other gate
rows, an intermediate value also used elsewhere) takes the general route and matches
onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest
from export_helpers import (
    Lambda,
    assert_runs_like_chainrule,
    assert_same_graph,
    chainrule_outputs,
    exported,
    initializers,
    onnx,
    op_types,
    session,
)
from onnx import helper, numpy_helper

import chainrule as cr
import chainrule.onnx as cro
from chainrule import nn


class Recurrent(nn.Module):
    """x (T, N, 4) [, h0 [, c0]] → an LSTM/GRU/RNN's outputs (y, h[, c]), or with ``head`` a
    Linear on the last step of an Embedding → recurrence → (batch-first token ids)."""

    def __init__(self, cell, layers=1, bidirectional=False, states=False, head=False,
                 **kwargs):
        super().__init__()
        self.cell, self.states, self.head = cell, states, head
        make = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = make(4, 6, num_layers=layers, bidirectional=bidirectional,
                        batch_first=head, **kwargs)
        if head:
            self.embedding = nn.Embedding(20, 4)
            self.fc = nn.Linear(6 * (2 if bidirectional else 1), 3)

    def forward(self, x, *states):
        if self.head:
            out, _ = self.rnn(self.embedding(x))
            return self.fc(out[:, -1])
        if self.cell == "lstm":
            y, (h, c) = self.rnn(x, tuple(states) if states else None)
            return y, h, c
        y, h = self.rnn(x, states[0] if states else None)
        return y, h


def case(cell, layers, bidirectional, states, head=False, seed=0, T=5, N=3, **kwargs):
    """The model (in eval mode), its example inputs, and inputs of two other sizes."""
    cr.manual_seed(seed)
    model = Recurrent(cell, layers, bidirectional, states, head, **kwargs).eval()
    rng = np.random.default_rng(seed)
    d = layers * (2 if bidirectional else 1)

    def inputs(t, n):
        if head:
            return (cr.tensor(rng.integers(0, 20, (n, t))),)
        x = cr.tensor(rng.standard_normal((t, n, 4)).astype(np.float32))
        k = (2 if cell == "lstm" else 1) if states else 0
        return (x,) + tuple(cr.tensor(rng.standard_normal((d, n, 6)).astype(np.float32))
                            for _ in range(k))

    return model, inputs(T, N), [inputs(T + 2, N + 1), inputs(1, 1)]


TOKENS = {"x": {0: "batch", 1: "seq"}}          # dynamic axes of the token-id models


RECURRENT = [("lstm", 1, False, False), ("lstm", 2, True, False), ("lstm", 2, True, True),
             ("gru", 2, True, True), ("gru", 1, False, False), ("rnn", 2, True, True)]


@pytest.mark.parametrize(("cell", "layers", "bidirectional", "states"), RECURRENT)
def test_recurrent_layers_round_trip_to_the_same_graph(cell, layers, bidirectional, states):
    kwargs = {"nonlinearity": "relu"} if cell == "rnn" else {}
    model, example, others = case(cell, layers, bidirectional, states, **kwargs)
    k = len(example)
    names = ["x", "h0", "c0"][:k]
    axes = {"x": {0: "seq", 1: "batch"}, **{n: {1: "batch"} for n in names[1:]}}
    first = exported(model, example, input_names=names, dynamic_axes=axes)
    imported = cro.load(first.SerializeToString())
    second = exported(imported, example, dynamic_axes=axes)
    assert_same_graph(first, second)
    assert op_types(first).count(cell.upper()) == layers * (2 if bidirectional else 1)
    for inputs in others:
        assert_runs_like_chainrule(second, model, inputs)
        for a, b in zip(chainrule_outputs(imported, inputs), chainrule_outputs(model, inputs)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_third_export_is_the_first_again():
    model, example, _ = case("lstm", 2, True, False, head=True)
    first = exported(model, example, dynamic_axes=TOKENS)
    second = exported(cro.load(first.SerializeToString()), example, dynamic_axes=TOKENS)
    third = exported(cro.load(second.SerializeToString()), example, dynamic_axes=TOKENS)
    assert_same_graph(first, third)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_imported_layer_has_the_original_weights_and_gradients(cell):
    """The imported recurrent weights are the state_dict's, under the same keys, and a loss's
    gradients reach each of them with the original model's values."""
    model, example, others = case(cell, 2, True, False, head=True, seed=4)
    first = exported(model, example, dynamic_axes=TOKENS)
    imported = cro.load(first.SerializeToString())
    ours = {k: v for k, v in imported.state_dict().items() if not k.startswith("const")}
    theirs = model.state_dict()
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key].numpy(), value.numpy())
    ids = others[0][0]
    weights = cr.tensor(np.random.default_rng(1).standard_normal((ids.shape[0], 3))
                        .astype(np.float32))
    grads = []
    for m in (model, imported):
        m.zero_grad()
        (m(ids) * weights).sum().backward()
        grads.append({k: p.grad.numpy() for k, p in m.named_parameters() if p.grad is not None})
    assert set(theirs) <= set(grads[1])
    for key in theirs:
        np.testing.assert_allclose(grads[1][key], grads[0][key], rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    # and an optimizer step moves the imported parameters (they are the ones the LSTM reads)
    before = imported(ids).numpy()
    cr.optim.SGD(imported.parameters(), lr=0.5).step()
    assert not np.allclose(imported(ids).numpy(), before)


def _lstm_export():
    model, example, others = case("lstm", 1, False, True, seed=2)
    names = ["x", "h0", "c0"]
    axes = {"x": {0: "seq", 1: "batch"}, "h0": {1: "batch"}, "c0": {1: "batch"}}
    return exported(model, example, input_names=names, dynamic_axes=axes), others


def _feeds(proto, inputs):
    return {i.name: x.numpy() for i, x in zip(proto.graph.input, inputs)}


def _matches_ort(proto, inputs):
    ours = cro.load(proto.SerializeToString())(*inputs)
    theirs = session(proto).run(None, _feeds(proto, inputs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-4, atol=1e-5)


def test_other_gate_rows_take_the_general_route():
    """The same graph with the rows Gather picks changed (here: no reordering at all, so ONNX's
    LSTM reads PyTorch's blocks as its own) computes another function; the importer must not
    take it for chainrule's pattern."""
    proto, others = _lstm_export()
    made_by = {o: n for n in proto.graph.node for o in n.output}
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    gather = made_by[made_by[lstm.input[1]].input[0]]          # W = Unsqueeze(Gather(w, rows))
    assert gather.op_type == "Gather"
    rows_name = gather.input[1]
    for init in proto.graph.initializer:
        if init.name == rows_name:
            rows = numpy_helper.to_array(init)
            init.CopyFrom(numpy_helper.from_array(np.arange(rows.size, dtype=np.int64),
                                                  rows_name))
    onnx.checker.check_model(proto, full_check=True)
    for inputs in others:
        _matches_ort(proto, inputs)


@pytest.mark.parametrize("which", ["W", "B", "Y"])
def test_a_value_also_used_elsewhere_takes_the_general_route(which):
    """The pattern's intermediate values serve only the recurrence; when one is also a graph
    output (W after its Unsqueeze, B, the raw Y before its Squeeze) the layer is imported node by
    node, and every output matches onnxruntime."""
    proto, others = _lstm_export()
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    name = {"W": lstm.input[1], "B": lstm.input[3], "Y": lstm.output[0]}[which]
    proto.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    onnx.checker.check_model(proto, full_check=True)
    for inputs in others:
        _matches_ort(proto, inputs)


def test_squeeze_unsqueeze_and_slices_of_a_dynamic_axis_round_trip():
    """Unsqueeze and Squeeze import as chainrule's unsqueeze and squeeze (not reshapes), and a
    slice keeps its bounds as written (1: and :−1 of a dynamic axis), so the re-export is the same
    graph and still runs at other lengths."""
    cr.manual_seed(3)

    def forward(m, x):                               # x (N, T, 5)
        d = x[:, 1:] - x[:, :-1]
        e = m.fc(d.unsqueeze(1).relu()).squeeze(1)    # (N, T − 1, 2)
        return e[:, 2:-1:2].sum(dim=1) * 0.5 + 1.0

    model = Lambda(forward, fc=nn.Linear(5, 2))
    rng = np.random.default_rng(0)

    def x(n, t):
        return cr.tensor(rng.standard_normal((n, t, 5)).astype(np.float32))

    axes = {"x": {0: "batch", 1: "time"}}
    first = exported(model, x(2, 7), input_names=["x"], dynamic_axes=axes)
    assert {"Unsqueeze", "Squeeze", "Slice"} <= set(op_types(first))
    assert "Shape" not in op_types(first)            # no bound computed from a size
    imported = cro.load(first.SerializeToString())
    second = exported(imported, x(2, 7), dynamic_axes=axes)
    assert_same_graph(first, second)
    for n, t in ((3, 9), (1, 4)):
        batch = x(n, t)
        assert_runs_like_chainrule(second, model, batch)
        np.testing.assert_allclose(chainrule_outputs(imported, batch)[0],
                                   chainrule_outputs(model, batch)[0], rtol=1e-5, atol=1e-6)


def test_scalar_weights_stay_scalars_and_constants_keep_their_names():
    """A 0-d parameter is a 0-d initializer (not 1-element); an exported model's scalar
    constants come back as 0-d parameters named const_<k>, and the re-export numbers its other
    constants around them as the first export did."""
    cr.manual_seed(5)

    def forward(m, x):
        return m.fc(x * m.scale).sum(dim=-1, keepdim=True).reshape(-1) * 0.25 + 3.0

    model = Lambda(forward, fc=nn.Linear(3, 2))
    model.scale = nn.Parameter(cr.tensor(np.float32(1.5)))
    x = cr.randn(4, 3)
    first = exported(model, x, input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    weights = initializers(first)
    assert weights["scale"].shape == ()
    assert sum(1 for k in weights if k.startswith("const_")) >= 3
    imported = cro.load(first.SerializeToString())
    assert tuple(imported.state_dict()["scale"].shape) == ()
    second = exported(imported, x, dynamic_axes={"x": {0: "batch"}})
    assert_same_graph(first, second)
    assert_runs_like_chainrule(second, model, cr.randn(6, 3))


@pytest.mark.parametrize("kind", ["lstm", "encoder"])
def test_a_pytorch_export_is_a_fixed_point_after_one_chainrule_export(kind):
    """PyTorch's export is spelled PyTorch's way (its LSTM weights already in ONNX's gate order,
    its attention's shape arithmetic); chainrule's export of the imported model is chainrule's
    spelling of the same function, and from then on export → import → export is the same graph
    (the imported recurrent layers' weights are then computed values, which the pattern allows)."""
    import io
    import warnings

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    emb = torch.nn.Embedding(30, 16)
    if kind == "lstm":
        body = torch.nn.LSTM(16, 12, 2, batch_first=True, bidirectional=True)
        head = torch.nn.Linear(24, 3)

        def forward(ids):
            return head(body(emb(ids))[0][:, -1])
    else:                    # PyTorch writes its attention's reshapes for the example's shapes
        layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        body = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        head = torch.nn.Linear(16, 2)

        def forward(ids):
            return head(body(emb(ids)).mean(1))

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.body, self.head = emb, body, head

        def forward(self, ids):
            return forward(ids)

    ids = torch.randint(0, 30, (2, 6))
    axes = {"ids": {0: "batch", 1: "seq"}} if kind == "lstm" else None
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Model().eval(), (ids,), buffer, opset_version=17, dynamo=False,
                          do_constant_folding=False, input_names=["ids"], dynamic_axes=axes)
    example = cr.tensor(ids.numpy())
    imported = cro.load(buffer.getvalue())
    once = exported(imported, example, dynamic_axes=axes)
    twice = exported(cro.load(once.SerializeToString()), example, dynamic_axes=axes)
    assert_same_graph(once, twice)
    others = [cr.tensor(np.random.default_rng(1).integers(0, 30, (3, 9)))] if axes else []
    for batch in [example] + others:
        assert_runs_like_chainrule(twice, imported, batch)
