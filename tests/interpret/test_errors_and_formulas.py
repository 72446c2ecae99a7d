"""Bad input gets a clear error; every method states its formula; plot writes a PNG."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import interpret
from chainrule.mathematics import Formula

ALL = ["saliency", "input_x_gradient", "smoothgrad", "integrated_gradients", "occlusion"]


def _call(name, model, x, target, **kw):
    fn = interpret.METHODS[name]
    if name == "occlusion":
        kw.setdefault("window", (1, 3, 3))
    if name == "smoothgrad":
        kw.setdefault("samples", 2)
    if name == "integrated_gradients":
        kw.setdefault("steps", 4)
    return fn(model, x, target, **kw)


@pytest.mark.parametrize("name", ALL + ["grad_cam"])
def test_target_out_of_range_says_how_many_classes(twins, images, name):
    model, _ = twins
    kw = {"layer": "features.3"} if name == "grad_cam" else {}
    with pytest.raises(ValueError, match=r"target 5 is out of range: the model has 5 classes"):
        _call(name, model, images, 5, **kw)
    with pytest.raises(ValueError, match="target -1 is out of range"):
        _call(name, model, images, [0, -1, 2], **kw)
    with pytest.raises(ValueError, match=r"one class per sample \(3 of them\)"):
        _call(name, model, images, [0, 1], **kw)


@pytest.mark.parametrize("name", ALL)
def test_wrong_image_shape_names_the_shape(twins, images, name):
    model, _ = twins
    kw = {"window": (3, 3)} if name == "occlusion" else {}
    with pytest.raises(ValueError, match=r"cannot take x of shape \(3, 12, 12\)"):
        _call(name, model, images[:, 0], 1, **kw)    # the channel axis missing
    with pytest.raises(ValueError, match=r"must be a batch \(N, …\)"):
        _call(name, model, images[0, 0, 0], 1)


def test_grad_cam_unknown_layer_lists_the_valid_names(twins, images):
    model, _ = twins
    with pytest.raises(ValueError, match=r"no layer named 'conv9'.*features\.0, features\.1, "
                                         r"features\.2, features\.3, features\.4, classifier, "
                                         r"classifier\.0, classifier\.1"):
        interpret.grad_cam(model, images, 1, "conv9")


def test_grad_cam_needs_images_and_feature_maps(twins, images):
    model, _ = twins
    with pytest.raises(ValueError, match=r"outputs shape \(3, 5\); Grad-CAM needs feature maps"):
        interpret.grad_cam(model, images, 1, "classifier.1")
    with pytest.raises(ValueError, match=r"must be images \(N, C, H, W\)"):
        interpret.grad_cam(model, images[:, 0], 1, "features.3")
    cam = interpret.grad_cam(model, images, 1, model.features[3])    # a module works too
    assert cam.shape == (3, 12, 12)


@pytest.mark.parametrize("steps,method,message", [
    (0, "gausslegendre", "steps must be an int ≥ 1"),
    (-3, "riemann_left", "steps must be an int ≥ 1"),
    (1, "riemann_trapezoid", "needs steps ≥ 2"),
    (2.5, "gausslegendre", "steps must be an int ≥ 1"),
    (10, "simpson", "unknown method 'simpson'; the methods are riemann_trapezoid"),
])
def test_integrated_gradients_bad_steps_or_method(twins, images, steps, method, message):
    model, _ = twins
    with pytest.raises(ValueError, match=message):
        interpret.integrated_gradients(model, images, 1, steps=steps, method=method)


def test_bad_baselines_windows_strides_and_samples(twins, images):
    model, _ = twins
    with pytest.raises(ValueError, match=r"baseline of shape \(2, 5\) does not broadcast"):
        interpret.integrated_gradients(model, images, 1, baseline=np.zeros((2, 5)), steps=4)
    with pytest.raises(ValueError, match=r"window must be 3 positive ints.*\(C, h, w\)"):
        interpret.occlusion(model, images, 1, window=(3, 3))
    with pytest.raises(ValueError, match="stride .* skips features"):
        interpret.occlusion(model, images, 1, window=(1, 2, 2), stride=(1, 3, 3))
    with pytest.raises(ValueError, match="larger than an input"):
        interpret.occlusion(model, images, 1, window=(1, 13, 2))
    with pytest.raises(ValueError, match="samples must be an int ≥ 1"):
        interpret.smoothgrad(model, images, 1, samples=0)
    with pytest.raises(ValueError, match="sigma must be ≥ 0"):
        interpret.smoothgrad(model, images, 1, sigma=-0.1)
    with pytest.raises(ValueError, match=r"noise must have shape \(samples, \*x.shape\)"):
        interpret.smoothgrad(model, images, 1, samples=2, noise=np.zeros((3,) + images.shape))
    with pytest.raises(ValueError, match="internal_batch_size must be an int ≥ 1"):
        interpret.saliency(model, images, 1, internal_batch_size=0)


def test_model_that_does_not_return_scores(images):
    with pytest.raises(ValueError, match=r"must return scores of shape \(N, classes\)"):
        interpret.saliency(cr.nn.Identity(), images, 0)


@pytest.mark.parametrize("name", list(interpret.METHODS))
def test_each_method_states_its_formula(name):
    fn = interpret.METHODS[name]
    f = fn.formula()
    assert isinstance(f, Formula) and f.name == name
    assert f.to_latex().startswith("\\begin{aligned}") and str(f).startswith(name)
    assert "LaTeX" in fn.__doc__ and f.equations[0].text.split()[0] in str(f)


def test_attributions_are_tensors_shaped_like_x_and_leave_no_parameter_gradients(twins,
                                                                                 images):
    model, _ = twins
    for name in ALL:
        a = _call(name, model, cr.tensor(images), 2)
        assert isinstance(a, cr.Tensor) and a.shape == images.shape and a.dtype == np.float64
    assert all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())      # grad_cam's hook removed


def test_plot_writes_a_png_of_images_and_overlays(twins, images, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    model, _ = twins
    attr = interpret.integrated_gradients(model, images, [0, 1, 2], steps=8)
    path = interpret.plot(images, attr, tmp_path / "ig.png", titles=["a", "b", "c"])
    with Image.open(path) as im:
        assert im.size[0] > 300 and im.size[1] > 300
        assert im.convert("L").getextrema()[0] < im.convert("L").getextrema()[1]
    cam = interpret.grad_cam(model, images, 1, "features.3")
    assert interpret.plot(images, cam, tmp_path / "cam.png", sign="positive").is_file()
    with pytest.raises(ValueError, match="sign must be"):
        interpret.plot(images, attr, tmp_path / "x.png", sign="both")
    with pytest.raises(ValueError, match="3 heatmaps"):
        interpret.plot(images, cam[:, :6], tmp_path / "x.png")
    maps = interpret.heatmap(attr, sign="all")
    assert maps.shape == (3, 12, 12) and maps.min() >= -1 and maps.max() <= 1


def test_parameters_that_required_grad_still_do_and_frozen_ones_stay_frozen(twins, images):
    model, _ = twins
    model.features[0].weight.requires_grad_(False)
    try:
        interpret.integrated_gradients(model, images, 1, steps=4)
        interpret.grad_cam(model, images, 1, "features.3")
        assert not model.features[0].weight.requires_grad
        assert all(p.requires_grad for n, p in model.named_parameters()
                   if n != "features.0.weight")
    finally:
        model.features[0].weight.requires_grad_(True)
