"""LayerNormalization, InstanceNormalization, LRN, ConvTranspose and Resize: PyTorch's exports
of the layers that produce them and hand-built graphs for the attributes PyTorch does not write
(LRN's even window, ConvTranspose's asymmetric pads/output_shape/auto_pad, Resize's rounding
modes), against onnxruntime; gradients reach the imported weights."""
from __future__ import annotations

import numpy as np
import pytest
from onnx_helpers import assert_matches_ort, export, graph_model, helper, torch

import chainrule.onnx as cro

RNG = np.random.default_rng(4)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check(nodes, feeds, inits=(), opset=17):
    inputs = [(k, list(v.shape)) for k, v in feeds.items()]
    return assert_matches_ort(graph_model(nodes, inputs, [("y", None)], inits, opset=opset), feeds)


def check_torch(module, x, opset):
    data = export(module, torch.from_numpy(x), opset)
    ours = assert_matches_ort(data, {"input": x})[0]
    with torch.no_grad():
        np.testing.assert_allclose(ours.numpy(), module(torch.from_numpy(x)).numpy(), rtol=1e-3,
                                   atol=1e-4)
    model = cro.load(data)
    if list(model.parameters()):
        model(x).square().sum().backward()
        for name, p in model.named_parameters():
            assert p.grad is not None, name
    return model


class Randomized(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p.ndim == 1 else 0.0))

    def forward(self, x):
        return self.layer(x)


@pytest.mark.parametrize("opset", [13, 17])
def test_layer_norm(opset):
    check_torch(Randomized(torch.nn.LayerNorm([4, 5])), randn(2, 3, 4, 5), opset)


def test_layer_normalization_statistics_outputs_and_broadcast_scale():
    node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "m", "v"], axis=1,
                            epsilon=1e-3)
    inits = [("s", randn(1, 5)), ("b", randn(5))]
    model = graph_model([node], [("x", [2, 3, 5])], [("y", None), ("m", None), ("v", None)],
                        inits, opset=17)
    assert_matches_ort(model, {"x": randn(2, 3, 5)})


@pytest.mark.parametrize("opset", [13, 17])
def test_instance_norm(opset):
    check_torch(Randomized(torch.nn.InstanceNorm2d(3, affine=True)), randn(2, 3, 5, 4), opset)


def test_local_response_norm_odd_from_torch():
    check_torch(torch.nn.LocalResponseNorm(3, alpha=0.3, beta=0.6, k=1.5), randn(2, 6, 3, 3), 13)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn_windows(size):
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.2, beta=0.7, bias=2.0)
    check([node], {"x": randn(2, 7, 3, 2)})


@pytest.mark.parametrize("size", [2, 4])
def test_lrn_even_windows_follow_the_specification(size):
    """onnxruntime refuses an even size; the specification's window is
    [c − ⌊(size − 1)/2⌋, c + ⌈(size − 1)/2⌉], summed here by hand."""
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.2, beta=0.7, bias=2.0)
    x = randn(2, 7, 3, 2)
    model = cro.load(graph_model([node], [("x", list(x.shape))], [("y", list(x.shape))]))
    before, after = (size - 1) // 2, size // 2
    square = np.zeros_like(x)
    for c in range(7):
        square[:, c] = (x[:, max(0, c - before):c + after + 1] ** 2).sum(axis=1)
    expected = x / (2.0 + 0.2 / size * square) ** 0.7
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize(("kwargs", "shape"), [
    (dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1),
     (2, 4, 5, 5)),
    (dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(1, 2), dilation=2,
          groups=2), (1, 4, 4, 3)),
])
def test_conv_transpose_2d_from_torch(opset, kwargs, shape):
    check_torch(torch.nn.ConvTranspose2d(**kwargs), randn(*shape), opset)


def test_conv_transpose_1d_and_3d_from_torch():
    check_torch(torch.nn.ConvTranspose1d(3, 2, 4, stride=3, padding=2), randn(2, 3, 6), 17)
    check_torch(torch.nn.ConvTranspose3d(2, 3, 2, stride=2), randn(1, 2, 2, 3, 2), 17)


@pytest.mark.parametrize("attrs", [
    dict(strides=[2, 2], pads=[0, 1, 2, 0]),
    dict(strides=[2, 3], output_padding=[1, 2]),
    dict(strides=[2, 2], output_shape=[9, 10]),
    dict(strides=[2, 2], auto_pad="SAME_UPPER"),
    dict(strides=[2, 2], auto_pad="SAME_LOWER"),
    dict(strides=[3, 2], auto_pad="VALID", dilations=[2, 1]),
])
def test_conv_transpose_attributes(attrs):
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)
    check([node], {"x": randn(2, 3, 4, 5)}, [("w", randn(3, 2, 3, 3)), ("b", randn(2))])


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(7, 5), mode="nearest"),
    dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(scale_factor=1.5, mode="bilinear", align_corners=True),
    dict(size=(3, 9), mode="bilinear", align_corners=False),
])
def test_interpolate_from_torch(opset, kwargs):
    class Up(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.interpolate(x, **kwargs)

    check_torch(Up(), randn(2, 3, 4, 6), opset)


@pytest.mark.parametrize("transform", ["half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric"])
@pytest.mark.parametrize("rounding", ["round_prefer_floor", "round_prefer_ceil", "floor",
                                      "ceil"])
def test_resize_nearest_modes(transform, rounding):
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                            coordinate_transformation_mode=transform, nearest_mode=rounding)
    check([node], {"x": randn(1, 2, 4, 5)},
          [("scales", np.array([1, 1, 2.5, 0.6], np.float32))])


@pytest.mark.parametrize("transform", ["half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric"])
def test_resize_linear_with_sizes_and_axes(transform):
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear",
                            coordinate_transformation_mode=transform)
    check([node], {"x": randn(2, 3, 4, 5)}, [("sizes", np.array([2, 3, 7, 1], np.int64))])
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear",
                            coordinate_transformation_mode=transform, axes=[3, 2])
    check([node], {"x": randn(2, 3, 4, 5)}, [("sizes", np.array([8, 3], np.int64))], opset=18)


def test_resize_gradient_is_the_adjoint():
    """⟨Resize(x), g⟩ = ⟨x, ∂⟩: the gradient of Σ g·Resize(x) is the transposed interpolation."""
    node = helper.make_node("Resize", ["w", "", "scales"], ["y"], mode="linear")
    w = randn(1, 1, 3, 4)
    model = cro.load(graph_model([node], [], [("y", None)],
                                 [("w", w), ("scales", np.array([1, 1, 2, 1.5], np.float32))]))
    y = model()
    g = randn(*y.shape)
    (y * cro.values.tensor(g)).sum().backward()
    eps = 1e-2
    numeric = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        bump = np.zeros_like(w)
        bump[idx] = eps
        plus = cro.load(graph_model([node], [], [("y", None)], [
            ("w", w + bump), ("scales", np.array([1, 1, 2, 1.5], np.float32))]))().numpy()
        numeric[idx] = ((plus - y.numpy()) * g).sum() / eps
    np.testing.assert_allclose(model.w.grad.numpy(), numeric, rtol=1e-2, atol=1e-3)


def test_upsample_of_an_old_opset_is_converted():
    node = helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")
    model = graph_model([node], [("x", [1, 2, 3, 3])], [("y", [1, 2, 6, 9])],
                        [("scales", np.array([1, 1, 2, 3], np.float32))], opset=9)
    assert_matches_ort(model, {"x": randn(1, 2, 3, 3)})
