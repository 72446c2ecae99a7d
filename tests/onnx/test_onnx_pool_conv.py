"""Window operators built with onnx.helper against onnxruntime: MaxPool (pads, strides,
dilations, ceil_mode, auto_pad), AveragePool (count_include_pad, ceil_mode, dilations at opset
19), Conv (groups, depthwise, dilations, asymmetric pads, auto_pad SAME_UPPER/SAME_LOWER/VALID,
1-D/2-D/3-D), global pools. Hypothesis draws the attributes; gradients of the explicit-padding
paths are checked by central differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx_helpers import TensorProto, assert_matches_ort, graph_model, helper

import chainrule as cr
import chainrule.onnx as cro
from chainrule.autograd.gradcheck import gradcheck

AUTO = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]


@st.composite
def pool_case(draw, average: bool):
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    kernel = [draw(st.integers(1, 3)) for _ in range(nd)]
    strides = [draw(st.integers(1, 3)) for _ in range(nd)]
    dilated = not average or draw(st.booleans())
    dilations = [draw(st.integers(1, 2)) if dilated else 1 for _ in range(nd)]
    # onnxruntime sizes SAME padding without the dilation (against the spec's pad_shape
    # formula); dilated SAME pooling is checked by hand below instead
    auto_pad = draw(st.sampled_from(AUTO if all(d == 1 for d in dilations) else AUTO[::3]))
    pads = [draw(st.integers(0, k - 1)) for k in kernel * 2]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    size = [draw(st.integers(max(s, 2), 7 if nd < 3 else 5)) for s in spans]
    if auto_pad.startswith("SAME") and any((-(-h // s) - 1) * s + span < h for h, s, span in
                                           zip(size, strides, spans)):
        auto_pad = "VALID"   # the spec's pad would be negative (onnxruntime refuses; we use 0)
    attrs = {"kernel_shape": kernel, "strides": strides, "auto_pad": auto_pad}
    if auto_pad == "NOTSET":
        attrs["pads"] = pads
        attrs["ceil_mode"] = draw(st.integers(0, 1))
    if average:
        attrs["count_include_pad"] = draw(st.integers(0, 1))
    if dilated and any(d > 1 for d in dilations) or not average:
        attrs["dilations"] = dilations
    return [2, 3] + size, attrs


def _single(op, shape, attrs, opset=17, dtype=TensorProto.FLOAT):
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    return graph_model([node], [("x", shape, dtype)], [("y", len(shape), dtype)], opset=opset)


@given(pool_case(average=False), st.integers(0, 2**31))
def test_max_pool_matches_onnxruntime(case, seed):
    shape, attrs = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    assert_matches_ort(_single("MaxPool", shape, attrs), {"x": x})


@given(pool_case(average=True), st.integers(0, 2**31))
def test_average_pool_matches_onnxruntime(case, seed):
    shape, attrs = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    assert_matches_ort(_single("AveragePool", shape, attrs, opset=19), {"x": x})


@pytest.mark.parametrize("include_pad", [0, 1])
@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_average_pool_divisor_at_the_edges(include_pad, ceil_mode):
    """6×6, kernel 3, stride 2, pads 1: the corner windows overlap the padding (and with
    ceil_mode a last window reaches past it); count_include_pad decides the divisor there."""
    attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
             "ceil_mode": ceil_mode, "count_include_pad": include_pad}
    x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6)
    (y,) = assert_matches_ort(_single("AveragePool", [1, 1, 6, 6], attrs, opset=13), {"x": x})
    corner = x[0, 0, :2, :2].sum() / (9 if include_pad else 4)
    np.testing.assert_allclose(y.numpy()[0, 0, 0, 0], corner, rtol=1e-6)


def test_max_pool_ceil_mode_adds_the_partial_window():
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    (y,) = assert_matches_ort(_single("MaxPool", [1, 1, 5, 5], attrs), {"x": x})
    assert y.shape == (1, 1, 3, 3) and y.numpy()[0, 0, 2, 2] == 24


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
def test_same_padding_puts_the_odd_pad_where_the_spec_says(auto_pad):
    """Kernel 2, stride 1 on length 4: one pad in total, after (UPPER) or before (LOWER)."""
    attrs = {"kernel_shape": [1, 2], "auto_pad": auto_pad}
    x = np.array([[[[1, 5, 2, 4]]]], dtype=np.float32)
    (y,) = assert_matches_ort(_single("MaxPool", [1, 1, 1, 4], attrs), {"x": x})
    expected = [5, 5, 4, 4] if auto_pad == "SAME_UPPER" else [1, 5, 5, 4]
    np.testing.assert_array_equal(y.numpy().ravel(), expected)


def test_dilated_same_pooling_follows_the_spec():
    """Length 3, kernel 2, dilation 2, SAME_UPPER: the spec's output length is ⌈3/1⌉ = 3 and its
    pad is (3 − 1)·1 + (2 − 1)·2 + 1 − 3 = 2, one at each end: windows {−1, 1}, {0, 2}, {1, 3}."""
    attrs = {"kernel_shape": [2], "dilations": [2], "auto_pad": "SAME_UPPER"}
    model = cro.load(_single("MaxPool", [1, 1, 3], attrs))
    y = model(np.array([[[4.0, 1.0, 2.0]]], dtype=np.float32))
    np.testing.assert_array_equal(y.numpy().ravel(), [1.0, 4.0, 1.0])


@st.composite
def conv_case(draw):
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    groups = draw(st.sampled_from([1, 2, 4]))
    depthwise = draw(st.booleans())
    cin = 4 if depthwise else groups * draw(st.integers(1, 2))
    cout = cin * draw(st.integers(1, 2)) if depthwise else groups * draw(st.integers(1, 2))
    groups = cin if depthwise else groups
    kernel = [draw(st.integers(1, 3)) for _ in range(nd)]
    dilations = [draw(st.integers(1, 2)) for _ in range(nd)]
    strides = [draw(st.integers(1, 2)) for _ in range(nd)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    size = [draw(st.integers(s, s + (3 if nd < 3 else 1))) for s in spans]
    # onnxruntime refuses dilated SAME convolutions (the shared geometry is checked above)
    auto_pad = draw(st.sampled_from(AUTO if all(d == 1 for d in dilations) else AUTO[::3]))
    attrs = {"group": groups, "strides": strides, "dilations": dilations, "auto_pad": auto_pad}
    if draw(st.booleans()):
        attrs["kernel_shape"] = kernel
    if auto_pad == "NOTSET":
        attrs["pads"] = [draw(st.integers(0, 2)) for _ in range(2 * nd)]
    bias = draw(st.booleans())
    return [2, cin] + size, [cout, cin // groups] + kernel, bias, attrs


@given(conv_case(), st.integers(0, 2**31))
def test_conv_matches_onnxruntime(case, seed):
    x_shape, w_shape, bias, attrs = case
    rng = np.random.default_rng(seed)
    inits = [("w", rng.standard_normal(w_shape).astype(np.float32))]
    if bias:
        inits.append(("b", rng.standard_normal(w_shape[0]).astype(np.float32)))
    node = helper.make_node("Conv", ["x", "w", "b"] if bias else ["x", "w"], ["y"], **attrs)
    model = graph_model([node], [("x", x_shape)], [("y", len(x_shape))], inits, opset=11)
    assert_matches_ort(model, {"x": rng.standard_normal(x_shape).astype(np.float32)})


def _double_model(op, shape, attrs, inits=(), extra_inputs=()):
    node = helper.make_node(op, ["x", *extra_inputs], ["y"], **attrs)
    return graph_model([node], [("x", shape, TensorProto.DOUBLE)],
                       [("y", len(shape), TensorProto.DOUBLE)], inits, opset=19)


@pytest.mark.parametrize(("op", "attrs"), [
    ("MaxPool", {"kernel_shape": [3, 2], "strides": [2, 1], "pads": [0, 1, 2, 0],
                 "ceil_mode": 1}),
    ("AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 0, 0, 1],
                     "count_include_pad": 0, "ceil_mode": 1}),
    ("AveragePool", {"kernel_shape": [2, 3], "dilations": [2, 1], "pads": [1, 1, 1, 1],
                     "count_include_pad": 1}),
])
def test_explicit_padding_paths_have_correct_gradients(op, attrs):
    model = cro.load(_double_model(op, [1, 2, 5, 5], attrs))
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    assert gradcheck(lambda t: model(t), cr.as_tensor(x))


def test_conv_with_asymmetric_pads_has_correct_gradients():
    rng = np.random.default_rng(1)
    model = cro.load(_double_model("Conv", [1, 2, 4, 5], {"pads": [0, 2, 1, 0], "strides": [2, 1]},
                                   [("w", rng.standard_normal((3, 2, 2, 3)))], ["w"]))
    assert gradcheck(lambda t: model(t), cr.as_tensor(rng.standard_normal((1, 2, 4, 5))))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [[2, 3, 5], [2, 3, 4, 5], [1, 2, 3, 2, 4]])
def test_global_pools(op, shape):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    (y,) = assert_matches_ort(_single(op, shape, {}), {"x": x})
    assert y.shape == tuple(shape[:2]) + (1,) * (len(shape) - 2)
