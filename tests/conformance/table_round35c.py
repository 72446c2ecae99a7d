"""Conformance entries added with the round-35c compat programs: nn.Module's full backward hooks
(register_full_backward_hook, register_full_backward_pre_hook), as Grad-CAM uses them."""
from __future__ import annotations

import warnings

import numpy as np
from harness import Entry, case, floats


def _set_params(L, m, seed: int = 1):
    rng = np.random.default_rng(seed)
    with L.no_grad():
        for _, p in m.named_parameters():
            p.copy_(L.tensor(rng.uniform(-0.6, 0.6, tuple(p.shape))))


def _mlp(L):
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()
    _set_params(L, m)
    return m


def _full_backward_hooks(L, x):
    """Hooks on each layer see grad_input / grad_output; one doubles its grad_input."""
    m = _mlp(L)
    seen = []
    for layer in m:
        layer.register_full_backward_hook(
            lambda mod, gi, go: seen.append((gi[0], go[0])))
    doubling = m[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,),
                                                prepend=True)
    m(x).pow(2).sum().backward()
    first = [p.grad.clone() for p in m.parameters()]
    doubling.remove()
    m.zero_grad()
    m(x).pow(2).sum().backward()
    return seen, first, [p.grad for p in m.parameters()], x.grad


def _no_input_grad(L, x):
    """An input that does not require grad: the hook fires with grad_input (None,)."""
    m = _mlp(L)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi[0] is None, go[0])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m(x.detach()).sum().backward()
    return seen, [p.grad for p in m.parameters()]


def _full_backward_pre_hooks(L, x):
    """A pre-hook sees grad_output and may replace it (scaled here)."""
    m = _mlp(L)
    seen = []
    m[2].register_full_backward_pre_hook(lambda mod, go: seen.append(go[0]))
    m[2].register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
    m(x).sum().backward()
    return seen, [p.grad for p in m.parameters()], x.grad


ENTRIES = [
    Entry("nn.Module.register_full_backward_hook", [
        case(_full_backward_hooks, floats(4, 3), grad=[0]),
        case(_no_input_grad, floats(4, 3), label="no input requires grad"),
    ]),
    Entry("nn.Module.register_full_backward_pre_hook", [
        case(_full_backward_pre_hooks, floats(4, 3), grad=[0]),
    ]),
]
