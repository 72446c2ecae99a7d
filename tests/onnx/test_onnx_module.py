"""The imported Module: how it is called, what it returns, where each tensor lives and under
which name, and which operators it knows."""
from __future__ import annotations

import io

import numpy as np
import pytest
from onnx_helpers import FLOAT, TensorProto, graph_model, helper

import chainrule as cr
import chainrule.onnx as cro
from chainrule.nn import Parameter

# The operator set issue 13 asks for (Upsample, of opsets 7-9, arrives as Resize: older models
# are converted to opset 11 first), which is what the importer implements.
BRIEF = """Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat Constant
ConstantOfShape Conv ConvTranspose CumSum DepthToSpace Div Dropout Einsum Elu Equal Erf Exp Expand
Flatten Floor GRU Gather GatherElements Gemm GlobalAveragePool GlobalMaxPool Greater HardSigmoid
HardSwish Identity If InstanceNormalization LRN LSTM LayerNormalization LeakyRelu Less Log
LogSoftmax MatMul Max MaxPool Mean Min Mod Mul Neg Not Or PRelu Pad Pow RNN Range Reciprocal
ReduceL2 ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum Relu Reshape Resize Selu Shape
Sigmoid Sign Sin Cos Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze
Unsqueeze Sub Sum Tanh Tile TopK Transpose Trilu Where""".split()


def test_supported_operators():
    assert set(cro.supported_operators()) == set(BRIEF)


def two_in_two_out():
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"]),
             helper.make_node("Mul", ["a", "w"], ["prod"])]
    return graph_model(nodes, [("a", [2]), ("b", [2])], [("prod", [2]), ("sum", [2])],
                       [("w", np.array([2.0, 3.0], np.float32))])


@pytest.mark.parametrize("kind", ["path", "str", "bytes", "file", "proto"])
def test_sources(tmp_path, kind):
    model = two_in_two_out()
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    source = {"path": path, "str": str(path), "bytes": path.read_bytes(),
              "file": io.BytesIO(path.read_bytes()), "proto": model}[kind]
    module = cro.load(source)
    assert module.input_names == ("a", "b") and module.output_names == ("prod", "sum")
    if kind in ("path", "str"):
        assert "m.onnx" in module.source


def test_inputs_positional_or_keyword_outputs_a_tuple_in_graph_order():
    m = cro.load(two_in_two_out())
    a, b = np.array([1.0, 2.0], np.float32), np.array([10.0, 20.0], np.float32)
    for prod, total in (m(a, b), m(b=b, a=a), m(a, b=b)):
        np.testing.assert_array_equal(prod.numpy(), [2.0, 6.0])
        np.testing.assert_array_equal(total.numpy(), [11.0, 22.0])
    with pytest.raises(TypeError, match="given twice"):
        m(a, a=a)
    with pytest.raises(TypeError, match="takes 2 input"):
        m(a, b, a)
    with pytest.raises(ValueError, match=r"input 'b' must have shape \(2\)"):
        m(a, np.ones(3, np.float32))


def test_one_output_is_a_tensor_and_initializers_listed_as_inputs_are_not_inputs():
    node = helper.make_node("Mul", ["x", "w"], ["y"])
    model = graph_model([node], [("x", [2]), ("w", [2])], [("y", [2])],
                        [("w", np.ones(2, np.float32))])     # IR-3 style: w is also an input
    m = cro.load(model)
    assert m.input_names == ("x",)
    y = m(np.array([3.0, 4.0], np.float32))
    assert isinstance(y, cr.Tensor) and y.shape == (2,)


def test_where_each_tensor_lives():
    nodes = [
        helper.make_node("Constant", [], ["/fc/Constant_output_0"],
                         value=helper.make_tensor("c", FLOAT, [2], [1.0, -1.0])),
        helper.make_node("Constant", [], ["scale"], value_float=3.0),
        helper.make_node("Constant", [], ["idx"], value_ints=[1, 0]),
        helper.make_node("Identity", ["stats.mean"], ["m2"]),
        helper.make_node("BatchNormalization", ["x", "bn.weight", "bn.bias", "m2", "stats.var"],
                         ["h"]),
        helper.make_node("Mul", ["h", "/fc/Constant_output_0"], ["h2"]),
        helper.make_node("Mul", ["h2", "scale"], ["h3"]),
        helper.make_node("Gather", ["h3", "idx"], ["h4"], axis=1),
        helper.make_node("Add", ["h4", "forward"], ["h5"]),
        helper.make_node("Add", ["h5", "bn"], ["y"]),
    ]
    inits = [("bn.weight", np.ones(2, np.float32)), ("bn.bias", np.zeros(2, np.float32)),
             ("stats.mean", np.zeros(2, np.float32)), ("stats.var", np.ones(2, np.float32)),
             ("forward", np.float32(0.5)), ("bn", np.float32(0.25)),
             ("steps", np.array([1, 2], np.int64))]
    m = cro.load(graph_model(nodes, [("x", [3, 2])], [("y", [3, 2])], inits))
    params = dict(m.named_parameters())
    buffers = dict(m.named_buffers())
    # the top module's own tensors first, then its submodules' (PyTorch's traversal order);
    # 'forward' is a Module method and 'bn' a submodule already, hence the suffixes
    assert list(params) == ["forward_1", "bn_1", "fc_Constant_output_0", "bn.weight",
                            "bn.bias"]
    assert list(buffers) == ["stats.mean", "stats.var"]
    assert all(isinstance(p, Parameter) for p in params.values())
    assert set(m.state_dict()) == set(params) | set(buffers)   # integers: not in state_dict
    assert m.onnx_names["fc_Constant_output_0"] == "/fc/Constant_output_0"
    assert m.onnx_names["forward_1"] == "forward"
    assert callable(m.forward)
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    y = m(x)
    np.testing.assert_allclose(y.numpy(), 3 * (x * [1, -1] / np.sqrt(1 + 1e-5))[:, ::-1] + 0.75,
                               rtol=1e-6)
    y.sum().backward()
    for key, p in params.items():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), key
    for b in buffers.values():
        assert b.grad is None and not b.requires_grad


def test_double_precision_and_repr():
    m = cro.load(two_in_two_out()).double()
    prod, _ = m(cr.tensor([1.0, 2.0], dtype=cr.float64), cr.tensor([0.0, 0.0],
                                                                  dtype=cr.float64))
    assert prod.dtype == cr.float64
    assert "opset=17" in repr(m) and "inputs=[a, b]" in repr(m)


def test_integer_inputs_and_int_only_graphs():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Mul", ["s", "k"], ["y"])]
    model = graph_model(nodes, [("x", ["n", 3], TensorProto.INT64)], [("y", [2],
                                                                       TensorProto.INT64)])
    model.graph.node.insert(0, helper.make_node("Constant", [], ["k"], value_int=2))
    m = cro.load(model)
    y = m(np.zeros((5, 3), np.int64))
    np.testing.assert_array_equal(y.numpy(), [10, 6])
    with pytest.raises(TypeError, match="input 'x' must be int64"):
        m(cr.zeros(5, 3))


def test_runtime_errors_name_the_node():
    node = helper.make_node("Reshape", ["x", "t"], ["y"], name="bad_reshape")
    m = cro.load(graph_model([node], [("x", ["n", 4])], [("y", 2)],
                             [("t", np.array([3, -1], np.int64))]))
    with pytest.raises(ValueError, match="cannot infer") as info:
        m(np.ones((2, 4), np.float32))
    assert any("bad_reshape" in note for note in info.value.__notes__)
