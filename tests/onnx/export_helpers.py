"""Shared helpers of the ONNX export tests: export a chainrule model, check the file with
``onnx.checker`` (full check: shape inference strict), compare onnxruntime's outputs with
chainrule's on the same inputs, and compare two exports of a model."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import numpy_helper  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.onnx as cro  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5


def exported(model, inputs, opset: int = 17, **kwargs):
    """``chainrule.onnx.export`` of ``model`` on ``inputs``, checked by onnx.checker."""
    proto = cro.export(model, inputs, None, opset=opset, **kwargs)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def session(proto):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(proto.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def arrays(inputs) -> list[np.ndarray]:
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return [np.asarray(x._data if isinstance(x, cr.Tensor) else x) for x in inputs
            if isinstance(x, (cr.Tensor, np.ndarray))]


def flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in flat(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in flat(v)]
    return [value]


def chainrule_outputs(model, inputs) -> list[np.ndarray]:
    """The model's outputs in evaluation mode (which it is left in)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    model.eval()
    with cr.no_grad():
        out = model(*inputs)
    return [np.asarray(o.numpy()) for o in flat(out)]


def assert_runs_like_chainrule(proto, model, inputs, rtol=RTOL, atol=ATOL):
    """onnxruntime's outputs of ``proto`` on ``inputs`` equal ``model``'s (in eval mode)."""
    names = [i.name for i in proto.graph.input]
    feeds = dict(zip(names, arrays(inputs)))
    theirs = session(proto).run(None, feeds)
    ours = chainrule_outputs(model, inputs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    return theirs


def op_types(proto) -> list[str]:
    return [n.op_type for n in proto.graph.node]


def initializers(proto) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}


def dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def assert_same_graph(first, second):
    """The second export is the first again: the same operators in the same order, the same
    initializers (names, shapes, dtypes and values bit for bit), inputs and outputs (names and
    dimensions, symbolic ones included) — and in the end the same ModelProto, node names,
    wiring, attributes and initializer order included."""
    assert op_types(second) == op_types(first)
    a, b = initializers(first), initializers(second)
    assert sorted(a) == sorted(b)
    for key in a:
        assert (a[key].shape, a[key].dtype) == (b[key].shape, b[key].dtype), key
        np.testing.assert_array_equal(a[key], b[key])
    for ours, theirs in ((first.graph.input, second.graph.input),
                         (first.graph.output, second.graph.output)):
        assert [i.name for i in theirs] == [i.name for i in ours]
        assert [dims(i) for i in theirs] == [dims(i) for i in ours]
    for k, (ours, theirs) in enumerate(zip(first.graph.node, second.graph.node)):
        assert theirs == ours, f"node {k} differs:\n{ours}\nthen\n{theirs}"
    assert second == first


class Lambda(cr.nn.Module):
    """A module whose forward is ``fn(*inputs)`` (plus any submodules given as keywords)."""

    def __init__(self, fn, **modules):
        super().__init__()
        self.fn = fn
        for name, m in modules.items():
            setattr(self, name, m)

    def forward(self, *inputs):
        return self.fn(self, *inputs)
