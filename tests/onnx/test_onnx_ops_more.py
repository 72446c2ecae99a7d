"""The rest of the operator set, one small graph each, against onnxruntime: the unary and
variadic elementwise operators, comparisons and logic, Mod, the activations Elu/Selu/PRelu/
Softplus/Softsign, ReduceMin/Prod/L2, ArgMax/ArgMin, GatherElements, TopK, CumSum, Trilu,
Range, Size, Tile, Split (three ways), DepthToSpace/SpaceToDepth and Einsum; and that gradients
reach parameters through them."""
from __future__ import annotations

import numpy as np
import pytest
from onnx_helpers import FLOAT, TensorProto, assert_matches_ort, graph_model, helper

import chainrule as cr
import chainrule.onnx as cro

INT64, BOOL = TensorProto.INT64, TensorProto.BOOL
RNG = np.random.default_rng(1)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check(nodes, feeds: dict, inits=(), opset=17, outputs=("y",), out_types=None):
    kinds = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64,
             np.dtype(np.bool_): BOOL}
    inputs = [(k, list(v.shape), kinds[v.dtype]) for k, v in feeds.items()]
    out_types = out_types or [FLOAT] * len(outputs)
    outs = [(o, None, t) for o, t in zip(outputs, out_types)]
    return assert_matches_ort(graph_model(nodes, inputs, outs, inits, opset=opset), feeds)


@pytest.mark.parametrize("op_type", ["Reciprocal", "Sign", "Ceil", "Floor", "Sin", "Cos",
                                     "Softplus", "Softsign", "Elu", "Selu"])
def test_unary(op_type):
    x = randn(3, 5) * 3
    if op_type == "Reciprocal":
        x = np.where(np.abs(x) < 0.1, 0.5, x).astype(np.float32)
    check([helper.make_node(op_type, ["x"], ["y"])], {"x": x})


def test_elu_selu_attributes():
    check([helper.make_node("Elu", ["x"], ["y"], alpha=0.3)], {"x": randn(7) * 2})
    check([helper.make_node("Selu", ["x"], ["y"], alpha=1.2, gamma=0.9)], {"x": randn(7) * 2})


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,), (5,)])
def test_prelu_and_its_slope_gradient(slope_shape):
    slope = np.abs(randn(*slope_shape)) * 0.3
    node = helper.make_node("PRelu", ["x", "slope"], ["y"])
    check([node], {"x": randn(2, 3, 4, 5)}, [("slope", slope)])
    model = cro.load(graph_model([node], [("x", [2, 3, 4, 5])], [("y", [2, 3, 4, 5])],
                                 [("slope", slope)]))
    x = randn(2, 3, 4, 5)
    model(x).sum().backward()
    expected = np.where(x < 0, x, 0).sum(axis=tuple(
        i for i in range(4) if i < 4 - len(slope_shape) or slope_shape[i - 4 + len(slope_shape)]
        == 1)).reshape(slope_shape)
    np.testing.assert_allclose(model.slope.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op_type", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_variadic(op_type, count):
    shapes = [(2, 3, 4), (3, 1), (4,)][:count]
    feeds = {f"x{i}": randn(*s) for i, s in enumerate(shapes)}
    check([helper.make_node(op_type, list(feeds), ["y"])], feeds)


def test_variadic_gradient_reaches_each_operand():
    nodes = [helper.make_node("Mean", ["x", "w"], ["m"]),
             helper.make_node("Max", ["m", "w"], ["y"])]
    w = randn(4)
    model = cro.load(graph_model(nodes, [("x", [4])], [("y", [4])], [("w", w)]))
    x = randn(4)
    model(x).sum().backward()
    m = (x + w) / 2
    expected = np.where(m > w, 0.5, np.where(m < w, 1.0, 0.75))
    np.testing.assert_allclose(model.w.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("op_type", ["Greater", "Less", "Equal"])
def test_comparisons(op_type):
    a, b = randn(3, 4), randn(4)
    a[0, :2] = b[:2]
    check([helper.make_node(op_type, ["a", "b"], ["y"])], {"a": a, "b": b}, out_types=[BOOL])


def test_logic():
    a, b = RNG.random((3, 4)) > 0.5, RNG.random(4) > 0.5
    nodes = [helper.make_node("And", ["a", "b"], ["p"]), helper.make_node("Or", ["a", "b"],
                                                                         ["q"]),
             helper.make_node("Not", ["p"], ["r"]), helper.make_node("Or", ["r", "q"], ["y"])]
    check(nodes, {"a": a, "b": b}, out_types=[BOOL])


def test_mod():
    a, b = randn(3, 4) * 5, randn(4) * 2 + 0.1
    check([helper.make_node("Mod", ["a", "b"], ["y"], fmod=1)], {"a": a, "b": b})
    ia = RNG.integers(-9, 9, (3, 4)).astype(np.int64)
    ib = np.array([3, -4, 5, -2], np.int64)
    for f in (0, 1):
        check([helper.make_node("Mod", ["a", "b"], ["y"], fmod=f)], {"a": ia, "b": ib},
              out_types=[INT64])


def test_mod_of_floats_needs_fmod():
    node = helper.make_node("Mod", ["a", "b"], ["y"])
    model = cro.load(graph_model([node], [("a", [2]), ("b", [2])], [("y", [2])]))
    with pytest.raises(ValueError, match="fmod=1"):
        model(randn(2), randn(2))


@pytest.mark.parametrize("op_type", ["ReduceMin", "ReduceProd", "ReduceL2"])
@pytest.mark.parametrize("opset", [13, 18])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reductions(op_type, opset, keepdims):
    x = randn(2, 3, 4)
    if opset >= 18:
        node = helper.make_node(op_type, ["x", "axes"], ["y"], keepdims=keepdims)
        inits = [("axes", np.array([0, -1], np.int64))]
    else:
        node = helper.make_node(op_type, ["x"], ["y"], axes=[0, -1], keepdims=keepdims)
        inits = []
    check([node], {"x": x}, inits, opset=opset)


@pytest.mark.parametrize("op_type", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("last", [0, 1])
@pytest.mark.parametrize(("axis", "keepdims"), [(0, 1), (-1, 0), (1, 1)])
def test_arg_extremes_with_ties(op_type, last, axis, keepdims):
    x = np.round(randn(3, 4, 5)).astype(np.float32)      # many ties
    node = helper.make_node(op_type, ["x"], ["y"], axis=axis, keepdims=keepdims,
                            select_last_index=last)
    check([node], {"x": x}, out_types=[INT64])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements_and_its_gradient(axis):
    x = randn(3, 4)
    idx = RNG.integers(-3, 3, (2, 4) if axis == 0 else (3, 5)).astype(np.int64)
    node = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis)
    check([node], {"x": x}, [("i", idx)])
    model = cro.load(graph_model([node], [("i", list(idx.shape), INT64)], [("y", None)],
                                 [("x", x)]))
    model(idx).sum().backward()
    counts = np.zeros_like(x)
    n = x.shape[axis]
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[axis] = idx[pos] % n
        counts[tuple(target)] += 1
    np.testing.assert_array_equal(model.x.grad.numpy(), counts)


@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("axis", [-1, 0])
def test_topk_with_ties(largest, axis):
    x = np.round(randn(4, 6)).astype(np.float32)
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=largest)
    check([node], {"x": x}, [("k", np.array([3], np.int64))], outputs=("v", "i"),
          out_types=[FLOAT, INT64])


@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
def test_cumsum(exclusive, reverse):
    node = helper.make_node("CumSum", ["x", "a"], ["y"], exclusive=exclusive, reverse=reverse)
    check([node], {"x": randn(3, 5)}, [("a", np.array(1, np.int64))])


def test_cumsum_gradient():
    node = helper.make_node("CumSum", ["w", "a"], ["y"], exclusive=1, reverse=1)
    model = cro.load(graph_model([node], [], [("y", [4])],
                                 [("w", randn(4)), ("a", np.array(0, np.int64))]))
    model().sum().backward()
    np.testing.assert_array_equal(model.w.grad.numpy(), [0, 1, 2, 3])


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, -1, 2])
def test_trilu(upper, k):
    inits = [] if k is None else [("k", np.array(k, np.int64))]
    node = helper.make_node("Trilu", ["x"] + ([] if k is None else ["k"]), ["y"], upper=upper)
    check([node], {"x": randn(2, 4, 5)}, inits, opset=17)


def test_range_and_size():
    """y = x.flatten()[:6] · Range(0, Size(x), 2): integer arithmetic feeding the Tensor path."""
    nodes = [helper.make_node("Size", ["x"], ["n"]),
             helper.make_node("Range", ["zero", "n", "step"], ["r"]),
             helper.make_node("Cast", ["r"], ["rf"], to=FLOAT),
             helper.make_node("Reshape", ["x", "flat"], ["xf"]),
             helper.make_node("Slice", ["xf", "start", "six"], ["xs"]),
             helper.make_node("Mul", ["xs", "rf"], ["y"])]
    inits = [("zero", np.array(0, np.int64)), ("step", np.array(2, np.int64)),
             ("flat", np.array([-1], np.int64)), ("start", np.array([0], np.int64)),
             ("six", np.array([6], np.int64))]
    check(nodes, {"x": randn(3, 4)}, inits)
    float_range = helper.make_node("Range", ["a", "b", "c"], ["y"])
    check([float_range], {}, [("a", np.array(1.5, np.float32)), ("b", np.array(-2, np.float32)),
                              ("c", np.array(-0.75, np.float32))])


def test_tile_and_its_gradient():
    node = helper.make_node("Tile", ["x", "r"], ["y"])
    check([node], {"x": randn(2, 3)}, [("r", np.array([2, 3], np.int64))])
    model = cro.load(graph_model([node], [], [("y", [4, 9])],
                                 [("x", randn(2, 3)), ("r", np.array([2, 3], np.int64))]))
    model().sum().backward()
    np.testing.assert_array_equal(model.x.grad.numpy(), np.full((2, 3), 6.0))


def test_split_three_ways():
    x = randn(2, 7)
    lengths = helper.make_node("Split", ["x", "s"], ["a", "b", "c"], axis=1)
    check([lengths], {"x": x}, [("s", np.array([1, 4, 2], np.int64))], outputs="abc")
    attribute = helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[3, 4])
    check([attribute], {"x": x}, opset=11, outputs="ab")
    uneven = helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)
    check([uneven], {"x": x}, opset=18, outputs="abc")
    equal = helper.make_node("Split", ["x"], ["a", "b"], axis=0)
    check([equal], {"x": x}, outputs="ab")


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(mode):
    check([helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode=mode)],
          {"x": randn(2, 8, 3, 4)})
    check([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], {"x": randn(2, 3, 4, 6)})


def test_depth_to_space_crd_is_pixel_shuffle():
    node = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=3, mode="CRD")
    x = randn(1, 18, 2, 2)
    model = cro.load(graph_model([node], [("x", [1, 18, 2, 2])], [("y", [1, 2, 6, 6])]))
    np.testing.assert_array_equal(model(x).numpy(),
                                  cr.nn.functional.pixel_shuffle(cr.as_tensor(x), 3).numpy())


@pytest.mark.parametrize(("equation", "shapes"), [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ii->i", [(4, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij", [(3, 4)]),
])
def test_einsum(equation, shapes):
    feeds = {f"x{i}": randn(*s) for i, s in enumerate(shapes)}
    check([helper.make_node("Einsum", list(feeds), ["y"], equation=equation)], feeds)


def test_errors_name_the_node():
    node = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=2, mode="XYZ", name="d2s")
    with pytest.raises(cro.UnsupportedOperatorError, match="d2s.*mode"):
        cro.load(graph_model([node], [("x", [1, 4, 2, 2])], [("y", [1, 1, 4, 4])]))
