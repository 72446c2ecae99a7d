"""Regression tests for the gaps the round-35c compat programs (tests/compat/
test_programs_round35c.py) found, each compared against PyTorch.

- ``nn.ReLU(inplace=True)`` after ``nn.PixelShuffle`` (a sub-pixel decoder) raised "this tensor
  is a view (reshape) of another tensor": a reshape that has to copy (of a permuted tensor, as
  pixel_shuffle, pixel_unshuffle and channel_shuffle end with) was taken for a view. PyTorch's
  result is no view there and may be changed in place; a true view still raises.
- ``nn.Module.register_full_backward_hook`` and ``register_full_backward_pre_hook`` were missing
  (Grad-CAM's way to capture the gradient at a layer): now with PyTorch's firing rules, arguments
  and replacement of gradients (chainrule/nn/backward_hooks.py).
- ``F.interpolate`` (every mode but 1-d linear/nearest), ``F.adaptive_avg_pool1d/2d/3d`` with
  unequal bins and ``F.pad`` in 'reflect', 'replicate' and 'circular' modes returned arrays in
  a memory order of their own (a resampled axis moved back into place), so ``.view(n, -1)`` on
  the result raised where PyTorch's contiguous output allows it, and ``.stride()`` /
  ``.is_contiguous()`` differed. The results are now laid out as PyTorch's (row-major, or
  channels-last for a channels-last input where PyTorch keeps it).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.autograd.gradcheck import gradcheck

torch = pytest.importorskip("torch")
LIBS = (torch, chainrule)


def _np(t):
    return None if t is None else np.array(t.detach().numpy(), copy=True)


def _close(a, e, tol=1e-12):
    assert (a is None) == (e is None)
    if e is not None:
        assert a.shape == e.shape and a.dtype == e.dtype
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol * max(1.0, np.abs(e).max()))


# ----------------------------------------------------------------------------- in place on a copy
@pytest.mark.parametrize("make", [
    lambda L, w: L.nn.functional.pixel_shuffle(w.reshape(2, 8, 3, 2), 2),
    lambda L, w: L.nn.functional.pixel_unshuffle(w.reshape(2, 2, 6, 4), 2),
    lambda L, w: L.nn.functional.channel_shuffle(w.reshape(2, 8, 3, 2), 2),
    lambda L, w: w.reshape(8, 12).t().reshape(-1),
], ids=["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "permuted_reshape"])
def test_inplace_on_a_reshape_that_copied_matches_pytorch(make):
    rng = np.random.default_rng(0)
    w0, g0 = rng.normal(size=96), rng.normal(size=96)
    results = []
    for L in LIBS:
        w = L.tensor(w0, requires_grad=True)
        y = make(L, w * 1.5)
        y.mul_(2.0)
        y.relu_()
        (y.reshape(-1) * L.tensor(g0)).sum().backward()
        results.append((_np(y), _np(w.grad)))
    for a, e in zip(results[1], results[0]):
        _close(a, e)


def test_nn_relu_inplace_after_pixel_shuffle_matches_pytorch():
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=(2, 3, 4, 4))
    results = []
    for L in LIBS:
        m = L.nn.Sequential(L.nn.Conv2d(3, 8, 3, padding=1), L.nn.PixelShuffle(2),
                            L.nn.ReLU(inplace=True)).double()
        _params(L, m)
        x = L.tensor(x0, requires_grad=True)
        y = m(x)
        y.pow(2).sum().backward()
        results.append([_np(y), _np(x.grad)] + [_np(p.grad) for p in m.parameters()])
    for a, e in zip(results[1], results[0]):
        _close(a, e)


def test_inplace_on_a_true_view_still_raises():
    w = chainrule.tensor(np.ones(6), requires_grad=True)
    for view in (lambda t: t.reshape(2, 3), lambda t: t[1:], lambda t: t.view(3, 2).t()):
        with pytest.raises(RuntimeError, match="view"):
            view(w * 2).relu_()


# ----------------------------------------------------------------------------- backward hooks
def _params(L, m, seed=1):
    rng = np.random.default_rng(seed)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(rng.uniform(-0.6, 0.6, tuple(p.shape))))


def _hook_log(L, program):
    """Run ``program(L, log)``; the log of what the hooks saw, as NumPy."""
    log = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extra = program(L, log)
    return log, extra


def _compare_logs(program):
    (tlog, textra), (clog, cextra) = (_hook_log(L, program) for L in LIBS)
    assert len(clog) == len(tlog), (clog, tlog)
    for c, t in zip(clog, tlog):
        assert c[0] == t[0]
        assert len(c[1]) == len(t[1])
        for a, e in zip(c[1], t[1]):
            _close(a, e)
    assert len(cextra) == len(textra)
    for a, e in zip(cextra, textra):
        if isinstance(e, (bool, int, str)):
            assert a == e
        else:
            _close(_np(a), _np(e))


def _record(log, name):
    return lambda mod, *grads: log.append((name, [_np(g) for gs in grads for g in gs]))


def test_full_backward_hook_sees_pytorchs_gradients_in_a_cnn():
    """Grad-CAM's hooks: forward hook + full backward hook on a conv block; the hook fires once
    per call, after the later layers' hooks, with PyTorch's grad_input and grad_output."""
    def program(L, log):
        L.manual_seed(0)
        m = L.nn.Sequential(L.nn.Conv2d(2, 3, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2),
                            L.nn.Conv2d(3, 4, 3), L.nn.Tanh(), L.nn.Flatten(),
                            L.nn.Linear(4, 2)).double()
        _params(L, m)
        acts = []
        m[3].register_forward_hook(lambda mod, args, out: acts.append(out.detach()))
        handles = [layer.register_full_backward_hook(_record(log, str(i)))
                   for i, layer in enumerate(m)]
        x = L.tensor(np.random.default_rng(2).normal(size=(2, 2, 6, 6)))
        out = m(x)
        out[:, 1].sum().backward()
        grads = [p.grad for p in m.parameters()]
        for h in handles:
            h.remove()
        xx = x.clone().requires_grad_(True)
        m.requires_grad_(False)
        g, = L.autograd.grad(m(xx)[:, 0].sum(), xx)
        return [acts[0], out] + grads + [g, len(m[0]._backward_hooks)]
    _compare_logs(program)


def test_full_backward_hook_several_inputs_and_outputs():
    """Tensor and non-Tensor arguments and outputs, an unused output (grad_output None, the
    input's grad_input zeros), an input that does not require grad, hooks that replace
    gradients, the pre-hook, prepend."""
    def program(L, log):
        class M(L.nn.Module):
            def forward(self, a, b, k, scale=1.0):
                return a * b * k, (b ** 2) * scale, "tag"

        m = M()
        m.register_full_backward_hook(_record(log, "hook"))
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [_np(g)
                                                                              for g in go])))
        m.register_full_backward_pre_hook(
            lambda mod, go: (go[0] * 2, go[1], go[2]), prepend=True)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1, gi[1], None))
        a = L.tensor([1.0, -2.0, 0.5], requires_grad=True)
        b = L.tensor([0.3, 0.4, -1.0], requires_grad=True)
        y, z, tag = m(a, b, 3.0, scale=2.0)
        y.sum().backward()                    # z unused
        first = [a.grad.clone(), b.grad.clone()]
        y, z, _ = m(a, b.detach(), 2.0)
        (y * z).sum().backward()
        return first + [a.grad, b.grad, tag]
    _compare_logs(program)


def test_full_backward_hook_when_no_input_requires_grad():
    """The hook fires at the outputs with grad_input all None (and may return only None)."""
    def program(L, log):
        L.manual_seed(0)
        lin = L.nn.Linear(3, 2).double()
        _params(L, lin)
        lin.register_full_backward_hook(
            lambda mod, gi, go: log.append(("hook", [None if g is None else _np(g) for g in gi]
                                            + [_np(g) for g in go])))
        lin(L.ones(4, 3, dtype=L.float64)).pow(2).sum().backward()
        bad = L.nn.Linear(3, 2).double()
        bad.register_full_backward_hook(lambda mod, gi, go: (L.ones(4, 3),))
        try:
            bad(L.ones(4, 3, dtype=L.float64)).sum().backward()
            raised = False
        except RuntimeError:
            raised = True
        return [lin.weight.grad, raised]
    _compare_logs(program)


def test_full_backward_hook_double_backward_and_reuse():
    """A module called twice fires twice; a backward that records a graph (a gradient
    penalty) runs the hooks with Tensors and differentiates through them."""
    def program(L, log):
        L.manual_seed(0)
        lin = L.nn.Linear(2, 2).double()
        _params(L, lin)
        lin.register_full_backward_hook(_record(log, "lin"))
        x = L.tensor([[0.3, 0.7], [-0.2, 0.5]], dtype=L.float64, requires_grad=True)
        (lin(L.tanh(lin(x))) * L.tensor([1.0, 2.0], dtype=L.float64)).sum().backward()
        first = x.grad.clone()
        x.grad = None
        gx, = L.autograd.grad(L.tanh(lin(x)).sum(), x, create_graph=True)
        (gx ** 2).sum().backward()
        return [first, x.grad, lin.weight.grad]
    _compare_logs(program)


def test_output_of_hooked_module_is_a_view_changed_in_place_raises():
    for L in LIBS:
        lin = L.nn.Linear(2, 2)
        lin.register_full_backward_hook(lambda mod, gi, go: None)
        with pytest.raises(RuntimeError):
            L.relu_(lin(L.ones(1, 2, requires_grad=True)))


def test_hooks_removed_and_no_grad():
    lin = chainrule.nn.Linear(2, 2)
    fired = []
    h = lin.register_full_backward_hook(lambda *a: fired.append(1))
    p = lin.register_full_backward_pre_hook(lambda *a: fired.append(2))
    with chainrule.no_grad():
        y = lin(chainrule.ones(1, 2))
    assert y._node is None
    h.remove()
    p.remove()
    lin(chainrule.ones(1, 2, requires_grad=True)).sum().backward()
    assert fired == [] and not lin._backward_hooks and not lin._backward_pre_hooks


def test_hooked_module_gradcheck():
    lin = chainrule.nn.Linear(3, 2).double()
    lin.register_full_backward_hook(lambda mod, gi, go: None)
    lin.register_full_backward_pre_hook(lambda mod, go: None)
    x = chainrule.tensor(np.random.default_rng(0).normal(size=(2, 3)), requires_grad=True)
    assert gradcheck(lambda t: chainrule.tanh(lin(t)), x)


# ----------------------------------------------------------------------------- layouts
def _layout_cases():
    return {
        "bilinear": lambda L, x: L.nn.functional.interpolate(
            x, size=(7, 5), mode="bilinear", align_corners=False),
        "bilinear_ac": lambda L, x: L.nn.functional.interpolate(
            x, scale_factor=2, mode="bilinear", align_corners=True),
        "nearest": lambda L, x: L.nn.functional.interpolate(x, scale_factor=2),
        "bicubic": lambda L, x: L.nn.functional.interpolate(x, size=(3, 8), mode="bicubic"),
        "area": lambda L, x: L.nn.functional.interpolate(x, size=(4, 3), mode="area"),
        "adaptive_avg": lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, (4, 5)),
        "reflect": lambda L, x: L.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect"),
        "replicate": lambda L, x: L.nn.functional.pad(x, (1, 2, 2, 1), mode="replicate"),
        "circular": lambda L, x: L.nn.functional.pad(x, (1, 2, 2, 1), mode="circular"),
    }


CASES = _layout_cases()


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(CASES)), c=st.integers(1, 4), h=st.integers(3, 7),
       w=st.integers(3, 7), channels_last=st.booleans(), seed=st.integers(0, 9))
def test_resampled_layout_matches_pytorch(name, c, h, w, channels_last, seed):
    """Strides (so .view and .is_contiguous) and values/gradients as PyTorch's."""
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(2, c, h, w))
    out = []
    for L in LIBS:
        x = L.tensor(x0, requires_grad=True)
        xin = x.contiguous(memory_format=L.channels_last) if channels_last else x * 1
        y = CASES[name](L, xin)
        flat = y.view(y.size(0), -1) if y.is_contiguous() else y.reshape(y.size(0), -1)
        (flat * L.tensor(np.arange(flat.shape[1]) / 7.0)).sum().backward()
        out.append((tuple(y.stride()), y.is_contiguous(), _np(y), _np(x.grad)))
    (ts, tc, ty, tg), (cs, cc, cy, cg) = out
    assert cs == ts and cc == tc
    _close(cy, ty)
    _close(cg, tg)


@pytest.mark.parametrize("mode", ["linear", "nearest", "area"])
def test_resampled_1d_and_3d_layouts_match_pytorch(mode):
    for nd in (1, 3):
        if mode == "linear" and nd == 3:
            mode = "trilinear"
        x0 = np.random.default_rng(0).normal(size=(2, 3) + (5,) * nd)
        strides = [tuple(L.nn.functional.interpolate(L.tensor(x0), size=3, mode=mode).stride())
                   for L in LIBS]
        assert strides[1] == strides[0]
        strides = [tuple(L.nn.functional.adaptive_avg_pool1d(L.tensor(x0[..., 0, 0]
                                                                      if nd == 3 else x0),
                                                             3).stride()) for L in LIBS]
        assert strides[1] == strides[0]


def test_gradcam_view_after_interpolate():
    """The line that failed: cam.view(n, -1) after a bilinear upsampling of a 1-channel map."""
    cam = chainrule.tensor(np.random.default_rng(0).random((4, 1, 2, 2)))
    up = chainrule.nn.functional.interpolate(cam, size=(8, 8), mode="bilinear",
                                             align_corners=False)
    ref = torch.nn.functional.interpolate(torch.tensor(cam.numpy()), size=(8, 8),
                                          mode="bilinear", align_corners=False)
    np.testing.assert_allclose(up.view(4, -1).numpy(), ref.view(4, -1).numpy(), rtol=1e-13)
