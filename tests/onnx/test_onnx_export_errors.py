"""What ``chainrule.onnx.export`` refuses, and how it says so: a primitive without an ONNX
form (named with the module where it was applied), values computed outside chainrule's
operations that depend on the inputs, a path that depends on the data, recurrent lengths
derived from padding, arguments that are not what export takes. And what it warns about."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from export_helpers import Lambda, assert_runs_like_chainrule, exported, onnx, op_types

import chainrule as cr
import chainrule.onnx as cro
from chainrule import models, nn


def export(model, inputs, **kwargs):
    return cro.export(model, inputs, None, **kwargs)


class Body(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Unfold(2))

    def forward(self, x):
        return self.body(x)


def test_unsupported_primitive_names_itself_and_the_module_path():
    with pytest.raises(cro.UnsupportedPrimitiveError) as info:
        export(Body(), cr.randn(1, 1, 6, 6))
    message = str(info.value)
    assert "'im2col'" in message and "body.1 (Unfold)" in message
    assert "exportable_primitives()" in message
    assert info.value.primitive == "im2col" and info.value.module == "body.1"
    assert isinstance(info.value, cro.OnnxExportError) and isinstance(info.value, RuntimeError)
    assert "im2col" not in cro.exportable_primitives()
    assert {"conv", "lstm", "layer_norm", "getitem"} <= set(cro.exportable_primitives())


def test_unsupported_primitive_whose_result_is_unused_does_not_matter():
    model = Lambda(lambda m, x: (m.unfold(x), x.relu())[1], unfold=nn.Unfold(2))
    proto = exported(model, cr.randn(1, 1, 6, 6))
    assert op_types(proto) == ["Relu"]


def test_unsupported_arguments_name_the_layer():
    with pytest.raises(cro.UnsupportedPrimitiveError, match=r"'lstm' in the model \(LSTM\).*"
                                                             r"proj_size"):
        export(nn.LSTM(3, 4, proj_size=2), cr.randn(5, 2, 3))
    with pytest.raises(cro.UnsupportedPrimitiveError, match="batch's own statistics"):
        export(nn.BatchNorm1d(3, track_running_stats=False), cr.randn(4, 3))
    wrapped = Lambda(lambda m, x: m.inner(x), inner=nn.AvgPool2d(2, divisor_override=3))
    with pytest.raises(cro.UnsupportedPrimitiveError, match=r"inner \(AvgPool2d\).*divisor"):
        export(wrapped, cr.randn(1, 1, 4, 4))


@pytest.mark.parametrize("fn", [
    lambda m, x: x * cr.tensor(x.numpy().max()),          # NumPy on the data
    lambda m, x: x + cr.tensor(np.sort(x._data, axis=1)),
    lambda m, x: x * (x.abs().argmax(dim=1, keepdim=True) == 0),   # argmax is not a primitive
], ids=["numpy", "private-data", "argmax"])
def test_values_computed_outside_the_graph_from_the_inputs_are_refused(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cro.OnnxExportWarning)
        with pytest.raises(cro.OnnxExportError, match="computed outside chainrule's operations"):
            export(Lambda(fn), cr.randn(2, 8))


@pytest.mark.parametrize("fn", [
    lambda m, x: cr.where(x > 0, x, 0.0), lambda m, x: x * (x != x[:1]),
    lambda m, x: cr.where(x <= 0.5, x, -x) * (x >= -0.5), lambda m, x: cr.where(x < 1, x, x * 2),
], ids=["gt", "ne", "le-ge", "lt"])
def test_comparisons_are_primitives_and_export(fn):
    model = Lambda(fn)
    proto = exported(model, cr.randn(2, 8))
    assert_runs_like_chainrule(proto, model, cr.randn(2, 8))


def test_a_constant_that_follows_a_dynamic_axis_is_refused_and_a_fixed_one_is_kept():
    model = Lambda(lambda m, x: x + cr.ones(x.shape[0], 3))
    with pytest.raises(cro.OnnxExportError, match=r"argument 1 \(shape \(2, 3\)"):
        export(model, cr.randn(2, 3), dynamic_axes={"input": [0]})
    proto = exported(model, cr.randn(2, 3))
    assert_runs_like_chainrule(proto, model, cr.randn(2, 3))


def test_a_path_that_depends_on_the_data_is_refused_or_warned_about():
    branch = Lambda(lambda m, x: x.relu() if float(x.max()) > 1 else x.tanh().tanh())
    with pytest.raises(cro.OnnxExportError, match="different operations on different inputs"):
        export(branch, cr.ones(4, 25))
    # a conversion whose branch happens to agree on both traces: the warning says what
    # the graph holds
    steady = Lambda(lambda m, x: x * 2 if float(x.abs().sum()) >= 0 else x)
    with pytest.warns(cro.OnnxExportWarning, match=r"float\(\) in the model \(Lambda\)"):
        export(steady, cr.ones(2, 3))


def test_lengths_derived_from_padding_are_refused():
    cr.manual_seed(0)
    model = models.LSTMClassifier(20, 4, 5, padding_idx=0)
    ids = cr.tensor(np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 2]]))
    with pytest.raises(cro.OnnxExportError, match=r"'lstm' in rnn \(LSTM\).*lengths"):
        export(model, ids)
    # the lengths (all L, one per sample) of TransformerClassifier, likewise, once the batch
    # is dynamic: their number follows the batch
    model = models.TransformerClassifier(20, 8, 2, 1, 16, padding_idx=None)
    with pytest.raises(cro.OnnxExportError, match="changes with the inputs"):
        export(model, ids, dynamic_axes={"ids": [0]})


def test_fixed_lengths_become_sequence_lens_with_a_warning():
    class Fixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 4, bidirectional=True)

        def forward(self, x):
            return self.rnn(x, lengths=np.array([4, 2, 5]))[0]

    model = Fixed()
    with pytest.warns(cro.OnnxExportWarning, match="constant sequence_lens"):
        proto = exported(model, cr.randn(5, 3, 3))
    lstm = [n for n in proto.graph.node if n.op_type == "LSTM"]
    assert len(lstm) == 2 and all(n.input[4] for n in lstm)
    assert_runs_like_chainrule(proto, model, cr.randn(5, 3, 3))


def test_a_key_padding_mask_input_exports():
    """The mask becomes its additive bias by the where primitive (0 or −∞), so it is part of
    the graph: onnxruntime masks the keys each call's mask says."""
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x, mask):
            return self.attention(x, x, x, key_padding_mask=mask)[0]

    mask = cr.tensor(np.array([[False] * 4, [False, False, True, True]]))
    model = Masked()
    proto = exported(model, (cr.randn(2, 4, 8), mask))
    other = cr.tensor(np.array([[False, True, False, False], [True, False, False, False]]))
    for m in (mask, other):
        assert_runs_like_chainrule(proto, model, (cr.randn(2, 4, 8), m))


def test_bad_arguments():
    model, x = nn.Linear(2, 2), cr.randn(1, 2)
    for opset in (12, 22, "17", True):
        with pytest.raises(ValueError, match="opset must be an integer from 13 to 21"):
            export(model, x, opset=opset)
    with pytest.raises(TypeError, match="disagree"):
        export(model, x, opset=13, opset_version=17)
    with pytest.raises(ValueError, match="export_params=False"):
        cro.export(model, x, None, export_params=False)
    with pytest.raises(ValueError, match=r"dynamic_axes names 'y', which is neither an input "
                                         r"\(\['x'\]\) nor an output"):
        export(model, x, dynamic_axes={"y": [0]})
    with pytest.raises(ValueError, match="axis 2, out of range"):
        export(model, x, dynamic_axes={"x": [2]})
    with pytest.raises(ValueError, match="2 input_names given"):
        export(model, x, input_names=["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        export(model, x, input_names=["x"], output_names=["x"])
    with pytest.raises(ValueError, match=r"\['weight'\] are the state_dict keys"):
        export(model, x, input_names=["weight"])
    with pytest.raises(TypeError, match="must be a chainrule nn.Module"):
        export(lambda t: t, x)
    with pytest.raises(TypeError, match="example_inputs must be a Tensor or a tuple"):
        export(model, 3.0)
    with pytest.raises(TypeError, match="keyword"):
        export(model, (x, {"scale": 2}))
    with pytest.raises(TypeError, match="argument 0 of example_inputs is a list holding Tensors"):
        export(model, ([x, x], 2))
    with pytest.raises(TypeError, match="output 1 of the forward is a int"):
        export(Lambda(lambda m, t: (t, 3)), x)
    with pytest.raises(TypeError, match="path must be a file name or a binary file"):
        cro.export(model, x, 42)


def test_a_failure_on_the_second_trace_is_explained():
    def fn(m, x):
        if x.shape[0] > 2:
            raise ValueError("this model takes at most 2 rows")
        return x * 2

    with pytest.raises(cro.OnnxExportError, match="failed when run again on perturbed inputs "
                                                  r"\(values shuffled, dynamic axes longer"):
        export(Lambda(fn), cr.randn(2, 3), dynamic_axes={"input": [0]})


def test_opset_versions_write_their_forms():
    model = Lambda(lambda m, x: x.unsqueeze(0).sum(dim=1).mean(dim=0))
    for opset in (13, 18, 21):
        buffer = io.BytesIO()
        cro.export(model, cr.randn(2, 3), buffer, opset=opset)
        proto = onnx.load_from_string(buffer.getvalue())
        assert proto.opset_import[0].version == opset
        mean = next(n for n in proto.graph.node if n.op_type == "ReduceMean")
        assert (len(mean.input) == 2) == (opset >= 18)
        assert_runs_like_chainrule(proto, model, cr.randn(2, 3))


def test_instrumentation_is_removed_even_when_the_forward_fails():
    from chainrule.autograd.function import Function

    apply, to_float = Function.__dict__["apply"], cr.Tensor.__dict__["__float__"]

    def fn(m, x):
        m.fc(x)
        raise RuntimeError("broken forward")

    model = Lambda(fn, fc=nn.Linear(3, 3))
    model.train()
    with pytest.raises(RuntimeError, match="broken forward"):
        export(model, cr.randn(2, 3))
    assert Function.__dict__["apply"] is apply
    assert cr.Tensor.__dict__["__float__"] is to_float
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert model.training and model.fc.training
    assert float(cr.tensor(2.0)) == 2.0
