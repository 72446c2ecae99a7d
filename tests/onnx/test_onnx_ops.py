"""The other operators, one small graph each (built with onnx.helper), against onnxruntime:
Gemm's transA/transB/alpha/beta, Clip with omitted bounds, Pad's modes and inputs, Slice with
negative steps, Softmax's two opset semantics, Squeeze/Unsqueeze/Reduce* with axes as attribute
or input, Reshape's 0 and allowzero, the shape arithmetic, and the elementwise operators."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx_helpers import FLOAT, TensorProto, assert_matches_ort, graph_model, helper

import chainrule as cr
import chainrule.onnx as cro

INT64 = TensorProto.INT64
RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check(nodes, feeds: dict, inits=(), opset=17, outputs=("y",), out_types=None):
    """Compare chainrule with onnxruntime on a graph of ``nodes``; ``feeds`` are float inputs
    unless their arrays say otherwise."""
    kinds = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64,
             np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.float64): TensorProto.DOUBLE}
    inputs = [(k, list(v.shape), kinds[v.dtype]) for k, v in feeds.items()]
    out_types = out_types or [FLOAT] * len(outputs)
    outs = [(o, None, t) for o, t in zip(outputs, out_types)]
    return assert_matches_ort(graph_model(nodes, inputs, outs, inits, opset=opset), feeds)


# ------------------------------------------------------------------------------ Gemm, MatMul
@given(st.booleans(), st.booleans(), st.sampled_from([1.0, 0.5, -2.0]),
       st.sampled_from([1.0, 0.0, 3.0]), st.sampled_from(["none", "scalar", "row", "column",
                                                          "full"]))
def test_gemm_attributes(trans_a, trans_b, alpha, beta, c_kind):
    m, k, n = 3, 4, 5
    a = randn(k, m) if trans_a else randn(m, k)
    b = randn(n, k) if trans_b else randn(k, n)
    c = {"none": None, "scalar": randn(1), "row": randn(n), "column": randn(m, 1),
         "full": randn(m, n)}[c_kind]
    inits = [("B", b)] + ([] if c is None else [("C", c)])
    node = helper.make_node("Gemm", ["A", "B"] + ([] if c is None else ["C"]), ["y"],
                            alpha=alpha, beta=beta, transA=int(trans_a), transB=int(trans_b))
    check([node], {"A": a}, inits, opset=13)


def test_matmul_broadcasts_leading_axes():
    check([helper.make_node("MatMul", ["a", "b"], ["y"])], {"a": randn(2, 1, 3, 4),
                                                            "b": randn(3, 4, 5)})


# ------------------------------------------------------------------------------ Clip
@pytest.mark.parametrize("bounds", [("lo", "hi"), ("", "hi"), ("lo",), ("", ""), ()])
def test_clip_with_omitted_bounds(bounds):
    inits = [("lo", np.array(-0.3, np.float32)), ("hi", np.array(0.4, np.float32))]
    used = [(name, value) for name, value in inits if name in bounds]
    node = helper.make_node("Clip", ["x", *bounds], ["y"])
    check([node], {"x": randn(3, 5)}, used)


def test_clip_bounds_from_constants_and_parameters_get_gradients():
    """A bound that is a (1-element) parameter receives the gradient where it clips."""
    nodes = [helper.make_node("Clip", ["x", "", "hi"], ["y"])]
    model = cro.load(graph_model(nodes, [("x", [4])], [("y", [4])],
                                 [("hi", np.array([0.5], np.float32).reshape(()))]))
    x = cr.as_tensor(np.array([-1.0, 0.2, 0.7, 2.0], np.float32))
    model(x).sum().backward()
    (hi,) = model.parameters()
    assert float(hi.grad.numpy()) == 2.0       # two entries are clipped to hi


def test_clip_opset_11_and_relu6_export():
    node = helper.make_node("Clip", ["x", "lo", "hi"], ["y"])
    check([node], {"x": randn(6) * 8}, [("lo", np.float32(0)), ("hi", np.float32(6))],
          opset=11)


# ------------------------------------------------------------------------------ Pad
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("pads", [[0, 1, 2, 0, 2, 1], [0, 0, -1, 0, 1, 2], [1, 0, 0, 0, 0, 0]])
def test_pad_modes(mode, pads):
    inits = [("pads", np.array(pads, np.int64)), ("v", np.array(1.5, np.float32))]
    inputs = ["x", "pads"] + (["v"] if mode == "constant" else [])
    check([helper.make_node("Pad", inputs, ["y"], mode=mode)], {"x": randn(2, 3, 4)}, inits)


def test_pad_wrap_and_axes_input():
    inits = [("pads", np.array([1, 2, 2, 1], np.int64)), ("axes", np.array([-1, 1], np.int64))]
    for mode in ("wrap", "reflect", "constant"):
        node = helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode=mode)
        check([node], {"x": randn(2, 3, 4)}, inits, opset=19)


def test_pad_value_as_a_parameter_gets_the_gradient():
    nodes = [helper.make_node("Pad", ["x", "pads", "v"], ["y"])]
    model = cro.load(graph_model(nodes, [("x", [2, 2])], [("y", [3, 4])],
                                 [("pads", np.array([0, 1, 1, 1], np.int64)),
                                  ("v", np.array(0.5, np.float32))]))
    y = model(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(y.numpy(), [[.5, 1, 1, .5], [.5, 1, 1, .5], [.5, .5, .5, .5]])
    y.sum().backward()
    assert float(model.v.grad.numpy()) == 8.0


# ------------------------------------------------------------------------------ Slice, Gather
@pytest.mark.parametrize(("starts", "ends", "axes", "steps"), [
    ([1, 0], [3, 10], [0, 2], [1, 2]),
    ([-1], [-(2**63)], [1], [-1]),
    ([4], [0], [2], [-2]),
    ([0, -3], [2**63 - 1, -1], [-1, -2], None),
    ([2], [1], [0], None),                       # empty
])
def test_slice(starts, ends, axes, steps):
    inits = [("s", np.array(starts, np.int64)), ("e", np.array(ends, np.int64)),
             ("a", np.array(axes, np.int64))]
    inputs = ["x", "s", "e", "a"]
    if steps is not None:
        inits.append(("k", np.array(steps, np.int64)))
        inputs.append("k")
    check([helper.make_node("Slice", inputs, ["y"])], {"x": randn(3, 4, 6)}, inits)


@pytest.mark.parametrize("indices", [np.array(1), np.array([-1, 0, 2]),
                                     np.array([[0, 1], [-2, 1]])])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather(indices, axis):
    node = helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)
    check([node], {"x": randn(3, 4, 3)}, [("i", indices.astype(np.int64))])


def test_shape_arithmetic_as_exporters_write_it():
    """x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape, all integer
    arithmetic on the side of the Tensor path; plus Shape's start/end (opset 15)."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Shape", ["x"], ["tail"], start=-2),
        helper.make_node("ReduceSum", ["flat", "axes1"], ["summed"], keepdims=1),
        helper.make_node("Cast", ["tail"], ["tailf"], to=FLOAT),
        helper.make_node("Mul", ["summed", "tailf"], ["y"]),
    ]
    inits = [("zero", np.array(0, np.int64)), ("axes0", np.array([0], np.int64)),
             ("minus1", np.array([-1], np.int64)), ("axes1", np.array([1], np.int64))]
    check(nodes, {"x": randn(2, 3, 4, 5)}, inits)


# ------------------------------------------------------------------------------ reshaping
@pytest.mark.parametrize(("target", "allowzero", "shape"), [
    ([0, -1], 0, (2, 3, 4)), ([4, 0, 3], 0, (3, 2, 4)), ([0, 3], 1, (0, 3)),
    ([-1], 0, (2, 3)), ([2, 0, 1, -1], 0, (2, 3, 4)),
])
def test_reshape(target, allowzero, shape):
    node = helper.make_node("Reshape", ["x", "t"], ["y"], allowzero=allowzero)
    check([node], {"x": randn(*shape)}, [("t", np.array(target, np.int64))], opset=14)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 3])
def test_flatten(axis):
    check([helper.make_node("Flatten", ["x"], ["y"], axis=axis)], {"x": randn(2, 3, 4)})


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_and_unsqueeze_axes_attribute_or_input(opset):
    if opset < 13:
        nodes = [helper.make_node("Squeeze", ["x"], ["s"], axes=[1, -1]),
                 helper.make_node("Unsqueeze", ["s"], ["y"], axes=[0, 3])]
        inits = []
    else:
        nodes = [helper.make_node("Squeeze", ["x", "a"], ["s"]),
                 helper.make_node("Unsqueeze", ["s", "b"], ["y"])]
        inits = [("a", np.array([1, -1], np.int64)), ("b", np.array([0, 3], np.int64))]
    (y,) = check(nodes, {"x": randn(2, 1, 3, 1)}, inits, opset=opset)
    assert y.shape == (1, 2, 3, 1)
    check([helper.make_node("Squeeze", ["x"], ["y"])], {"x": randn(1, 2, 1, 3)}, opset=opset)


def test_transpose_concat_expand_where_equal():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
        helper.make_node("Transpose", ["t"], ["t2"]),
        helper.make_node("Concat", ["t2", "z"], ["c"], axis=-1),
        helper.make_node("Expand", ["c", "shape"], ["e"]),
        helper.make_node("Equal", ["k", "kk"], ["mask"]),
        helper.make_node("Where", ["mask", "e", "zero"], ["y"]),
    ]
    inits = [("shape", np.array([2, 1, 1, 1], np.int64)), ("zero", np.float32(0)),
             ("kk", np.array([1, 2, 3], np.int64))]
    feeds = {"x": randn(2, 3, 4), "z": randn(3, 4, 1), "k": np.array([1, 0, 3], np.int64)}
    check(nodes, feeds, inits)


# ------------------------------------------------------------------------------ reductions
@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax"])
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("axes", [[1], [0, -1], None])
def test_reductions_axes_as_attribute_and_as_input(op, keepdims, axes):
    x = randn(2, 3, 4)
    old = helper.make_node(op, ["x"], ["y"], keepdims=keepdims,
                           **({} if axes is None else {"axes": axes}))
    check([old], {"x": x}, opset=11)
    inits = [] if axes is None else [("a", np.array(axes, np.int64))]
    new = helper.make_node(op, ["x"] + ([] if axes is None else ["a"]), ["y"],
                           keepdims=keepdims)
    check([new], {"x": x}, inits, opset=18)


def test_reduce_noop_with_empty_axes():
    node = helper.make_node("ReduceSum", ["x"], ["y"], noop_with_empty_axes=1)
    (y,) = check([node], {"x": randn(2, 3)}, opset=13)
    assert y.shape == (2, 3)


# ------------------------------------------------------------------------------ softmax
@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_softmax_both_opset_semantics(op, opset, axis):
    """Before opset 13 the input is a matrix (axes before ``axis`` × the rest), axis 1 by
    default; from 13 on, one axis, −1 by default."""
    attrs = {} if axis is None else {"axis": axis}
    check([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": randn(2, 3, 4)}, opset=opset)


# ------------------------------------------------------------------------------ elementwise
@pytest.mark.parametrize(("op", "attrs"), [
    ("Relu", {}), ("LeakyRelu", {"alpha": 0.2}), ("LeakyRelu", {}), ("Sigmoid", {}),
    ("Tanh", {}), ("HardSigmoid", {}), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    ("HardSwish", {}), ("Exp", {}), ("Neg", {}), ("Abs", {}), ("Erf", {}),
    ("Identity", {}), ("Dropout", {}),
])
def test_unary(op, attrs):
    check([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": randn(3, 7) * 4})


@pytest.mark.parametrize("op", ["Sqrt", "Log"])
def test_unary_positive(op):
    check([helper.make_node(op, ["x"], ["y"])], {"x": np.abs(randn(3, 4)) + 0.1})


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Pow"])
def test_binary_broadcasting(op):
    a = np.abs(randn(2, 3, 4)) + 0.5
    check([helper.make_node(op, ["a", "b"], ["y"])], {"a": a, "b": randn(3, 1)})


def test_pow_with_a_constant_exponent_has_no_log_of_negatives():
    nodes = [helper.make_node("Constant", [], ["two"], value=helper.make_tensor(
        "two", FLOAT, [], [2.0])), helper.make_node("Pow", ["x", "two"], ["y"])]
    model = cro.load(graph_model(nodes, [("x", [3])], [("y", [3])]))
    x = cr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    model(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-4.0, 0.0, 6.0])
    assert not list(model.parameters())    # a 0-d Constant stays a constant


def test_integer_division_truncates_and_cast():
    nodes = [helper.make_node("Div", ["a", "b"], ["q"]),
             helper.make_node("Cast", ["q"], ["y"], to=FLOAT),
             helper.make_node("Cast", ["f"], ["fi"], to=INT64),
             helper.make_node("Cast", ["fi"], ["y2"], to=FLOAT)]
    feeds = {"a": np.array([7, -7, 7, -7, 0], np.int64), "b": np.array([2, 2, -2, -2, 3],
                                                                       np.int64),
             "f": np.array([1.7, -1.7, 2.5, -0.2, 9.9], np.float32)}
    (y, y2) = check(nodes, feeds, outputs=("y", "y2"))
    np.testing.assert_array_equal(y.numpy(), [3, -3, -3, 3, 0])


def test_constant_of_shape_and_constants():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("ConstantOfShape", ["s"], ["ones"],
                         value=helper.make_tensor("v", FLOAT, [1], [1.0])),
        helper.make_node("ConstantOfShape", ["s"], ["zeros"]),
        helper.make_node("Constant", [], ["w"], value_floats=[1.0, 2.0, 3.0]),
        helper.make_node("Constant", [], ["k"], value_float=0.5),
        helper.make_node("Add", ["x", "ones"], ["a"]),
        helper.make_node("Add", ["a", "zeros"], ["b"]),
        helper.make_node("Mul", ["b", "w"], ["c"]),
        helper.make_node("Mul", ["c", "k"], ["y"]),
    ]
    check(nodes, {"x": randn(2, 3)})


def test_dropout_with_mask_output_and_ratio():
    nodes = [helper.make_node("Dropout", ["x", "r"], ["y", "m"]),
             helper.make_node("Cast", ["m"], ["mf"], to=FLOAT)]
    check(nodes, {"x": randn(2, 3)}, [("r", np.float32(0.3))], outputs=("y", "mf"))


# ------------------------------------------------------------------------------ BatchNorm
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (2, 3, 4, 4), (1, 3, 2, 3, 2)])
def test_batch_normalization(shape):
    c = shape[1]
    inits = [("s", randn(c)), ("b", randn(c)), ("m", randn(c)), ("v", np.abs(randn(c)) + 0.2)]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                            epsilon=1e-3)
    check([node], {"x": randn(*shape)}, inits, opset=15)


def test_batch_normalization_statistics_as_trainable_values_get_gradients():
    """Mean and variance that are graph inputs requiring grad take the composed route."""
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])
    model = cro.load(graph_model([node], [("x", [2, 3]), ("m", [3]), ("v", [3])], [("y", 2)],
                                 [("s", randn(3)), ("b", randn(3))]))
    m = cr.tensor(randn(3), requires_grad=True)
    v = cr.tensor(np.abs(randn(3)) + 0.5, requires_grad=True)
    x = randn(2, 3)
    y = model(x, m=m, v=v)
    reference = cro.load(graph_model([node], [("x", [2, 3]), ("m", [3]), ("v", [3])],
                                     [("y", 2)], [("s", model.s.numpy()),
                                                  ("b", model.b.numpy())]))
    np.testing.assert_allclose(y.numpy(), reference(x, m=m.detach(), v=v.detach()).numpy(),
                               rtol=1e-5, atol=1e-6)
    y.sum().backward()
    assert m.grad is not None and v.grad is not None
