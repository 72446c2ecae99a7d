"""Forward hooks and forward pre-hooks on Module, against PyTorch's behaviour: the order the hooks
run in, replacement of inputs and outputs, removal by handle, and the keyword options."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr


def _net(L):
    net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()
    rng = np.random.default_rng(0)
    with L.no_grad():
        for p in net.parameters():
            p.copy_(L.tensor(rng.uniform(-1, 1, tuple(p.shape))))
    return net


def _np(t):
    return np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy())


def _scenario(L, x):
    """Registers hooks of every kind on a small net, calls it, removes some, calls again; returns
    the log of hook calls and the outputs."""
    net = _net(L)
    log = []

    def pre_a(m, args):
        log.append(("pre_a", type(m).__name__, len(args)))

    def pre_double(m, args):
        log.append(("pre_double",))
        return args[0] * 2                      # a non-tuple: wrapped into (value,)

    def fwd_a(m, args, out):
        log.append(("fwd_a", round(float(_np(out).sum()), 10), round(float(_np(args[0]).sum()),
                                                                        10)))

    def fwd_plus(m, args, out):
        log.append(("fwd_plus",))
        return out + 1

    def fwd_kw(m, args, kwargs, out):
        log.append(("fwd_kw", sorted(kwargs), round(float(_np(out).sum()), 10)))

    def pre_first(m, args):
        log.append(("pre_first",))

    h1 = net[0].register_forward_pre_hook(pre_a)
    h2 = net[0].register_forward_pre_hook(pre_double)
    net[0].register_forward_pre_hook(pre_first, prepend=True)
    h3 = net[0].register_forward_hook(fwd_a)
    h4 = net[0].register_forward_hook(fwd_plus)
    net[0].register_forward_hook(fwd_kw, with_kwargs=True)
    net[2].register_forward_hook(fwd_plus, prepend=True)
    y1 = net(x)
    h2.remove()
    h4.remove()
    h4.remove()                                # a second remove does nothing
    y2 = net(x)
    h1.remove()
    h3.remove()
    with net[2].register_forward_hook(lambda m, a, o: o * 0) as h5:
        y3 = net(x)
    assert h5.id not in net[2]._forward_hooks
    y4 = net(x)
    return log, _np(y1), _np(y2), _np(y3), _np(y4)


def test_hook_order_replacement_and_removal_match_pytorch():
    x = np.random.default_rng(1).standard_normal((5, 3))
    got = _scenario(cr, cr.tensor(x))
    want = _scenario(torch, torch.tensor(x))
    assert got[0] == want[0]
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def _kwargs_pre_hook(L, x):
    class Scale(L.nn.Module):
        def forward(self, t, factor=1.0):
            return t * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(dict(kwargs)),
                            with_kwargs=True)
    return _np(m(x, factor=2.0)), seen


def test_pre_hook_with_kwargs_replaces_args_and_kwargs_as_pytorch():
    x = np.arange(4.0)
    got, want = _kwargs_pre_hook(cr, cr.tensor(x)), _kwargs_pre_hook(torch, torch.tensor(x))
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1] == [{"factor": 3.0}]


def _always_call(L):
    class Boom(L.nn.Module):
        def forward(self, t):
            raise ValueError("boom")

    m, log = Boom(), []
    m.register_forward_hook(lambda mod, a, o: log.append(("plain", o)))
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(L.zeros(2))
    return log


def test_always_call_hook_runs_when_forward_raises():
    assert _always_call(cr) == _always_call(torch) == [("always", None)]


def test_bad_pre_hook_return_with_kwargs_is_a_clear_error():
    m = cr.nn.Identity()
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        m(cr.zeros(1))


def test_hook_must_be_callable_and_unknown_keywords_raise():
    m = cr.nn.Identity()
    with pytest.raises(TypeError, match="callable"):
        m.register_forward_hook(3)
    with pytest.raises(TypeError):
        m.register_forward_hook(lambda *a: None, before=True)


def test_hooks_capture_activations_and_gradients_flow_through_replacements():
    net = _net(cr)
    acts = {}
    handle = net[1].register_forward_hook(lambda m, a, o: acts.__setitem__("tanh", o))
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    net[1].register_forward_hook(lambda m, a, o: o * 3)
    y = net(x)
    y.sum().backward()
    tnet = _net(torch)
    tnet[1].register_forward_hook(lambda m, a, o: o * 3)
    tx = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    tnet(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert acts["tanh"].shape == (2, 4)
    handle.remove()
    acts.clear()
    net(x)
    assert acts == {}


def test_a_module_without_hooks_again_takes_the_fast_path():
    m = cr.nn.Identity()
    h = m.register_forward_pre_hook(lambda mod, a: None)
    assert m._has_forward_hooks
    h.remove()
    m(cr.zeros(1))
    assert not m._has_forward_hooks


def _pre_hook_raises(L):
    m, log = L.nn.Identity(), []
    m.register_forward_pre_hook(lambda mod, a: 1 / 0)
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    with pytest.raises(ZeroDivisionError):
        m(L.zeros(1))
    return log


def _hook_added_during_the_call(L):
    m, log = L.nn.Identity(), []

    def pre(mod, args):
        mod.register_forward_hook(lambda mod2, a, o: log.append("added by the pre-hook"))

    h = m.register_forward_pre_hook(pre)
    m(L.zeros(1))
    h.remove()
    return log


def test_always_call_after_a_failing_pre_hook_and_hooks_added_during_a_call():
    assert _pre_hook_raises(cr) == _pre_hook_raises(torch) == [("always", None)]
    assert _hook_added_during_the_call(cr) == _hook_added_during_the_call(torch)
