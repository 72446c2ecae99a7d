"""Conformance entries for mixed precision (chainrule/amp/): ``torch.autocast`` on the CPU in
float16, the autocast state functions, and ``torch.amp.GradScaler``. Each program runs in both
libraries; float16 results are compared as the harness compares tensors (same dtype and values).
"""
from __future__ import annotations

import warnings

from harness import Entry, case, floats


def _region(fn):
    """``fn(L, *inputs)`` inside a float16 CPU autocast region."""
    def program(L, *inputs):
        with L.autocast("cpu", dtype=L.float16):
            return fn(L, *inputs)
    return program


def _state(L):
    seen = [L.is_autocast_enabled("cpu"), L.is_autocast_cache_enabled()]
    with L.autocast("cpu", dtype=L.float16, cache_enabled=False):
        seen += [L.is_autocast_enabled("cpu"), L.is_autocast_enabled(),
                 L.is_autocast_cache_enabled(), L.get_autocast_dtype("cpu") == L.float16]
        with L.autocast("cpu", enabled=False):
            seen.append(L.is_autocast_enabled("cpu"))
    return seen + [L.is_autocast_enabled("cpu"), L.get_autocast_dtype("cuda") == L.float16]


def _set_enabled(L):
    L.set_autocast_dtype("cpu", L.float16)
    L.set_autocast_enabled("cpu", True)
    try:
        on = L.mm(L.ones(2, 2), L.ones(2, 2))
    finally:
        L.set_autocast_enabled("cpu", False)
    off = L.mm(L.ones(2, 2), L.ones(2, 2))
    return on, off, L.is_autocast_enabled("cpu")


def _set_cache(L):
    L.set_autocast_cache_enabled(False)
    try:
        return L.is_autocast_cache_enabled()
    finally:
        L.set_autocast_cache_enabled(True)


def _nesting(L):
    depth = [L.autocast_increment_nesting(), L.autocast_increment_nesting()]
    depth += [L.autocast_decrement_nesting(), L.autocast_decrement_nesting()]
    L.clear_autocast_cache()
    return depth


def _deprecated(L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with L.autocast("cpu", dtype=L.float16):
            inside = [L.is_autocast_cpu_enabled(), L.get_autocast_cpu_dtype() == L.float16]
        L.set_autocast_cpu_dtype(L.float16)
        L.set_autocast_cpu_enabled(False)
        L.set_autocast_gpu_dtype(L.float16)
        return inside + [L.is_autocast_cpu_enabled(), L.get_autocast_gpu_dtype() == L.float16]


def _mlp(L, x, w1, b1, w2):
    with L.autocast("cpu", dtype=L.float16):
        h = L.nn.functional.relu(L.nn.functional.linear(x, w1, b1))
        out = h @ w2.T
        loss = L.nn.functional.mse_loss(out, L.zeros(out.shape))
    return out.float(), loss     # (the harness weighs float32/float64 outputs)


def _decorated(L, a, b):
    return L.autocast("cpu", dtype=L.float16)(lambda u, v: u @ v)(a, b)


def _scaler_episode(L, g1, g2):
    scaler = L.amp.GradScaler("cpu", init_scale=256.0, growth_interval=1)
    p = L.zeros(3, requires_grad=True)
    optimizer = L.optim.SGD([p], lr=1.0)
    record = []
    for g in (g1, g2, g1):
        scaled = scaler.scale(L.tensor(3.0))
        p.grad = g.clone()
        scaler.unscale_(optimizer)
        grad = p.grad.clone()
        scaler.step(optimizer)
        scaler.update()
        record += [scaled, grad, p.detach().clone(), scaler.get_scale()]
    return record + sorted(scaler.state_dict().items())


def _inf(L, x):
    return x / L.tensor(0.0)


F32 = "float32"

ENTRIES = [
    Entry("autocast", [
        case(_region(lambda L, x, w, b: L.nn.functional.linear(x, w, b)),
             floats(4, 8, dtype=F32), floats(3, 8, dtype=F32), floats(3, dtype=F32),
             label="linear runs in float16"),
        case(_region(lambda L, x, w: L.nn.functional.linear(x, w).float()),
             floats(4, 8, dtype=F32), floats(3, 8, dtype=F32), grad=[0, 1],
             label="float32 master weights get float16 gradients widened"),
        case(_region(lambda L, x, k: L.nn.functional.conv2d(x, k, padding=1)),
             floats(2, 3, 5, 5, dtype=F32), floats(4, 3, 3, 3, dtype=F32),
             label="conv2d runs in float16"),
        case(_region(lambda L, a, b: L.bmm(a, b)), floats(2, 3, 4, dtype=F32),
             floats(2, 4, 5, dtype=F32), label="bmm"),
        case(_region(lambda L, x, y: L.nn.functional.mse_loss(x.half(), y.half())),
             floats(4, 8, dtype=F32), floats(4, 8, dtype=F32),
             label="a loss runs in float32"),
        case(_region(lambda L, x: L.nn.functional.cross_entropy(x.half(),
                                                                L.tensor([0, 2, 1, 1]))),
             floats(4, 3, dtype=F32), label="cross_entropy in float32"),
        case(_region(lambda L, x: L.cat([x.half(), x])), floats(2, 3, dtype=F32),
             label="cat promotes"),
        case(_region(lambda L, x: L.nn.functional.relu(x.half())), floats(2, 3, dtype=F32),
             label="an unlisted op keeps its input's dtype"),
        case(_region(lambda L, x: L.nn.functional.linear(x, x)), floats(2, 3),
             label="float64 is not cast"),
        case(_mlp, floats(4, 6, dtype=F32), floats(5, 6, dtype=F32), floats(5, dtype=F32),
             floats(2, 5, dtype=F32), grad=[1, 2, 3], label="MLP forward and loss"),
        case(_decorated, floats(2, 3, dtype=F32), floats(3, 2, dtype=F32),
             label="as a decorator"),
        case(lambda L: L.autocast("tpu"), raises=True, label="unknown device type"),
    ]),
    Entry("is_autocast_enabled", [case(_state, label="nesting, enabled=False")]),
    Entry("get_autocast_dtype", [case(_state, label="inside a float16 region")]),
    Entry("is_autocast_cache_enabled", [case(_state, label="cache_enabled=False")]),
    Entry("set_autocast_enabled", [case(_set_enabled)]),
    Entry("set_autocast_dtype", [case(_set_enabled)]),
    Entry("set_autocast_cache_enabled", [case(_set_cache)]),
    Entry("autocast_increment_nesting", [case(_nesting)]),
    Entry("autocast_decrement_nesting", [case(_nesting)]),
    Entry("clear_autocast_cache", [case(_nesting)]),
    Entry("is_autocast_cpu_enabled", [case(_deprecated)]),
    Entry("set_autocast_cpu_enabled", [case(_deprecated)]),
    Entry("get_autocast_cpu_dtype", [case(_deprecated)]),
    Entry("set_autocast_cpu_dtype", [case(_deprecated)]),
    Entry("get_autocast_gpu_dtype", [case(_deprecated)]),
    Entry("set_autocast_gpu_dtype", [case(_deprecated)]),
    Entry("amp.autocast", [
        case(lambda L, a, b: L.amp.autocast("cpu", dtype=L.float16)(lambda u, v: u @ v)(a, b),
             floats(2, 3, dtype=F32), floats(3, 2, dtype=F32)),
    ]),
    Entry("amp.is_autocast_available", [
        case(lambda L: L.amp.is_autocast_available("cpu")),
    ]),
    Entry("amp.GradScaler", [
        case(_scaler_episode, floats(3, dtype=F32), floats(3, dtype=F32),
             label="scale, unscale_, step, update"),
        case(lambda L, g, z: _scaler_episode(L, g, _inf(L, z)), floats(3, dtype=F32),
             floats(3, low=0.5, high=1.0, dtype=F32), label="an overflowing step is skipped"),
        case(lambda L: L.amp.GradScaler("cpu", growth_factor=0.5), raises=True,
             label="growth_factor must exceed 1"),
    ]),
]
