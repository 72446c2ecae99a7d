"""``Tensor.register_post_accumulate_grad_hook`` and the engine's end-of-backward callbacks,
against PyTorch: when the hooks run, what they see in ``.grad``, and their errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import hooks


def _trace(lib, tensor_fn, x0, w0):
    """Run y = sum(tanh(x·w) · w) with post-accumulate hooks; record (name, grad) per hook."""
    seen = []
    x = tensor_fn(x0, requires_grad=True)
    w = tensor_fn(w0, requires_grad=True)
    handles = [t.register_post_accumulate_grad_hook(
        lambda t, name=name: seen.append((name, np.array(t.grad.detach().numpy()))))
        for name, t in (("x", x), ("w", w))]
    for _ in range(2):                           # the second backward accumulates
        (lib.tanh(x * w) * w).sum().backward()
    handles[0].remove()
    (lib.tanh(x * w) * w).sum().backward()
    return seen


def test_post_accumulate_hooks_match_torch():
    rng = np.random.default_rng(0)
    x0, w0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    ours = _trace(cr, cr.tensor, x0, w0)
    theirs = _trace(torch, torch.tensor, x0, w0)
    assert sorted(n for n, _ in ours) == sorted(n for n, _ in theirs)
    for name in ("x", "w"):
        a = [g for n, g in ours if n == name]
        b = [g for n, g in theirs if n == name]
        assert len(a) == len(b)
        for ga, gb in zip(a, b):
            np.testing.assert_allclose(ga, gb, rtol=1e-12, atol=1e-12)


def test_post_accumulate_hook_fires_once_after_fan_out():
    w = cr.tensor(np.ones(3), requires_grad=True)
    grads = []
    w.register_post_accumulate_grad_hook(lambda t: grads.append(t.grad.numpy().copy()))
    (w * 2 + w * 3 + w.sum()).sum().backward()          # three uses: one complete gradient
    assert len(grads) == 1
    np.testing.assert_allclose(grads[0], np.full(3, 8.0))


def test_post_accumulate_hook_with_backward_inputs():
    a = cr.tensor(np.ones(2), requires_grad=True)
    b = cr.tensor(np.ones(2), requires_grad=True)
    calls = []
    a.register_post_accumulate_grad_hook(lambda t: calls.append("a"))
    b.register_post_accumulate_grad_hook(lambda t: calls.append("b"))
    (a * b).sum().backward(inputs=[a])
    assert calls == ["a"] and b.grad is None


def test_post_accumulate_hook_errors():
    x = cr.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor(np.ones(2)).register_post_accumulate_grad_hook(lambda t: None)
    x.register_post_accumulate_grad_hook(lambda t: t.grad)
    with pytest.raises(RuntimeError, match="must return None"):
        (x * 2).sum().backward()


def test_queue_callback_runs_once_at_the_end_of_backward():
    x = cr.tensor(np.ones(2), requires_grad=True)
    order = []

    def hook(t):
        order.append("hook")
        hooks.queue_callback(lambda: order.append(("end", t.grad.numpy().tolist())))

    x.register_post_accumulate_grad_hook(hook)
    (x * 3).sum().backward()
    assert order == ["hook", ("end", [3.0, 3.0])]
    with pytest.raises(RuntimeError, match="no backward pass running"):
        hooks.queue_callback(lambda: None)
