"""Each attribution method against Captum 0.9 on the same weights and inputs (float64 models in
both libraries; tolerances are float32's, since Captum builds some of its coefficients in
float32). Each test names the Captum call and options it compares with."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import (
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule import interpret

RTOL, ATOL = 1e-5, 1e-7
TARGETS = [2, [0, 4, 1]]


def _close(ours, theirs, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _t(target):
    return torch.tensor(target) if isinstance(target, list) else target


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("abs_", [True, False])
def test_saliency_equals_captum(twins, images, target, abs_):
    """Captum: Saliency(model).attribute(x, target=target, abs=abs_)."""
    ours, theirs = twins
    want = Saliency(theirs).attribute(torch.tensor(images, requires_grad=True),
                                      target=_t(target), abs=abs_)
    _close(interpret.saliency(ours, images, target, abs=abs_), want)


@pytest.mark.parametrize("target", TARGETS)
def test_input_x_gradient_equals_captum(twins, images, target):
    """Captum: InputXGradient(model).attribute(x, target=target)."""
    ours, theirs = twins
    want = InputXGradient(theirs).attribute(torch.tensor(images, requires_grad=True),
                                            target=_t(target))
    _close(interpret.input_x_gradient(ours, images, target), want)


@pytest.mark.parametrize("method", interpret.integrated.METHODS)
@pytest.mark.parametrize("target", TARGETS)
def test_integrated_gradients_equals_captum(twins, images, method, target):
    """Captum: IntegratedGradients(model).attribute(x, baselines=b, target=target, n_steps=20,
    method=method, return_convergence_delta=True), with a random baseline."""
    ours, theirs = twins
    base = np.random.default_rng(5).uniform(0, 0.3, images.shape)
    want, want_delta = IntegratedGradients(theirs).attribute(
        torch.tensor(images), baselines=torch.tensor(base), target=_t(target), n_steps=20,
        method=method, return_convergence_delta=True)
    got, delta = interpret.integrated_gradients(ours, images, target, baseline=base, steps=20,
                                                method=method, return_convergence_delta=True)
    _close(got, want)
    np.testing.assert_allclose(delta.numpy(), want_delta.numpy(), rtol=1e-4, atol=1e-6)


def test_integrated_gradients_in_chunks_equals_captum_internal_batch_size(twins, images):
    """Captum: IntegratedGradients(model).attribute(x, target=1, n_steps=16,
    internal_batch_size=7) (default zero baseline, default method gausslegendre)."""
    ours, theirs = twins
    want = IntegratedGradients(theirs).attribute(torch.tensor(images), target=1, n_steps=16,
                                                 internal_batch_size=7)
    _close(interpret.integrated_gradients(ours, images, 1, steps=16, internal_batch_size=7),
           want)
    _close(interpret.integrated_gradients(ours, images, 1, steps=16), want)


@pytest.mark.parametrize("abs_", [True, False])
def test_smoothgrad_equals_captum_noise_tunnel_given_the_same_noise(twins, images, abs_,
                                                                    monkeypatch):
    """Captum: NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=6,
    stdevs=0.2, target=[0, 4, 1], abs=abs_), with torch.normal replaced by the noise we also
    give chainrule (Captum draws it with torch.normal; its layout is sample-minor)."""
    ours, theirs = twins
    samples, n = 6, images.shape[0]
    eps = np.random.default_rng(11).normal(0, 0.2, (samples,) + images.shape)
    captum_layout = torch.tensor(eps.transpose(1, 0, 2, 3, 4).reshape((n * samples,)
                                                                      + images.shape[1:]))
    monkeypatch.setattr(torch, "normal", lambda mean, std: captum_layout.clone())
    want = NoiseTunnel(Saliency(theirs)).attribute(
        torch.tensor(images, requires_grad=True), nt_type="smoothgrad", nt_samples=samples,
        stdevs=0.2, target=torch.tensor([0, 4, 1]), abs=abs_)
    got = interpret.smoothgrad(ours, images, [0, 4, 1], samples=samples, noise=eps, abs=abs_)
    _close(got, want)


def test_smoothgrad_sigma_is_a_fraction_of_the_range_and_stdevs_absolute(twins, images):
    """With sigma=0 (no noise) SmoothGrad is saliency; the drawn noise's spread is
    sigma·(max − min) per sample, or stdevs when given."""
    import chainrule as cr

    ours, _ = twins
    np.testing.assert_allclose(interpret.smoothgrad(ours, images, 1, samples=3, sigma=0).numpy(),
                               interpret.saliency(ours, images, 1).numpy(), rtol=1e-12)
    x = np.zeros((2, 1, 12, 12))
    x[0, 0, 0, 0], x[1, 0, 0, 0] = 4.0, 0.5           # ranges 4 and 0.5
    seen = []

    class Spy(cr.nn.Module):
        def forward(self, t):
            seen.append(t.numpy().copy())
            return ours(t)

    interpret.smoothgrad(Spy(), x, 0, samples=200, sigma=0.1)
    noisy = seen[-1].reshape(200, 2, -1)[:, :, 1:]           # pixels that were 0
    np.testing.assert_allclose(noisy.std(axis=(0, 2)), [0.4, 0.05], rtol=0.05)
    interpret.smoothgrad(Spy(), x, 0, samples=200, stdevs=0.3)
    np.testing.assert_allclose(seen[-1].reshape(200, 2, -1)[:, :, 1:].std(axis=(0, 2)),
                               [0.3, 0.3], rtol=0.05)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("layer", ["features.3", "features.4", "features.2"])
def test_grad_cam_equals_captum(twins, images, relu, layer):
    """Captum: LayerGradCam(model, layer).attribute(x, target=[0, 4, 1],
    relu_attributions=relu), then LayerAttribution.interpolate(cam, (12, 12),
    interpolate_mode="bilinear") and the channel axis dropped."""
    ours, theirs = twins
    module = dict(theirs.named_modules())[layer]
    cam = LayerGradCam(theirs, module).attribute(torch.tensor(images),
                                                 target=torch.tensor([0, 4, 1]),
                                                 relu_attributions=relu)
    want = LayerAttribution.interpolate(cam, (12, 12), interpolate_mode="bilinear")[:, 0]
    got = interpret.grad_cam(ours, images, [0, 4, 1], layer, relu=relu)
    assert got.shape == (3, 12, 12)
    _close(got, want)


@pytest.mark.parametrize("window,stride,baseline", [
    ((1, 3, 3), (1, 2, 2), 0.0),          # windows cut at the edge (ceil rule)
    ((1, 4, 4), 2, 0.5),
    ((1, 2, 5), (1, 1, 3), "image"),      # a per-sample baseline tensor
    ((1, 12, 12), 1, 0.0),                # one window over the whole image
])
def test_occlusion_equals_captum(twins, images, window, stride, baseline):
    """Captum: Occlusion(model).attribute(x, sliding_window_shapes=window, strides=stride,
    baselines=baseline, target=[0, 4, 1]) (perturbations_per_eval=1)."""
    ours, theirs = twins
    if baseline == "image":
        baseline = np.random.default_rng(2).uniform(0, 1, images.shape)
    t_base = torch.tensor(baseline) if isinstance(baseline, np.ndarray) else baseline
    want = Occlusion(theirs).attribute(torch.tensor(images), sliding_window_shapes=window,
                                       strides=stride, baselines=t_base,
                                       target=torch.tensor([0, 4, 1]))
    got = interpret.occlusion(ours, images, [0, 4, 1], window, stride, baseline)
    _close(got, want.double(), rtol=1e-4, atol=1e-6)     # Captum returns float32 here
    small = interpret.occlusion(ours, images, [0, 4, 1], window, stride, baseline,
                                internal_batch_size=4)
    np.testing.assert_allclose(small.numpy(), got.numpy(), rtol=1e-12, atol=1e-12)


def test_float32_models_agree_with_captum(images):
    """The methods in float32 (chainrule's default dtype) against Captum in float32:
    Saliency(abs=True) and IntegratedGradients(n_steps=32, method="riemann_middle")."""
    import chainrule as cr

    from .interpret_models import small_cnn

    ours, theirs = small_cnn(cr).eval(), small_cnn(torch).eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = images.astype(np.float32)
    _close(interpret.saliency(ours, x, 3), Saliency(theirs).attribute(
        torch.tensor(x, requires_grad=True), target=3), rtol=1e-4, atol=1e-6)
    got = interpret.integrated_gradients(ours, x, 3, steps=32, method="riemann_middle")
    want = IntegratedGradients(theirs).attribute(torch.tensor(x), target=3, n_steps=32,
                                                 method="riemann_middle")
    assert got.dtype == np.float32
    _close(got, want, rtol=1e-4, atol=1e-6)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_occlusion_and_integrated_gradients_on_drawn_options(twins, images, data):
    """Drawn windows, strides (≤ window), baselines, steps and quadrature rules against
    Captum's Occlusion(model).attribute(x, sliding_window_shapes, strides, baselines, target)
    and IntegratedGradients(model).attribute(x, baselines, target, n_steps, method)."""
    ours, theirs = twins
    h, w = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    sh, sw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    base = data.draw(st.floats(-1, 1))
    target = data.draw(st.lists(st.integers(0, 4), min_size=3, max_size=3))
    want = Occlusion(theirs).attribute(torch.tensor(images), sliding_window_shapes=(1, h, w),
                                       strides=(1, sh, sw), baselines=base,
                                       target=torch.tensor(target))
    got = interpret.occlusion(ours, images, target, (1, h, w), (1, sh, sw), base)
    _close(got, want.double(), rtol=1e-4, atol=1e-6)
    method = data.draw(st.sampled_from(interpret.integrated.METHODS))
    steps = data.draw(st.integers(2, 40))
    want = IntegratedGradients(theirs).attribute(torch.tensor(images), baselines=base,
                                                 target=torch.tensor(target), n_steps=steps,
                                                 method=method)
    _close(interpret.integrated_gradients(ours, images, target, base, steps, method), want)
