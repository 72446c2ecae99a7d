"""Conformance entries for torch.func and torch.vmap (chainrule/func/): vmap with in_dims and
out_dims, nested vmap, per-sample gradients, the derivative transforms, functional_call and
stack_module_state, each program run on torch and on chainrule.
"""
from __future__ import annotations

from harness import Entry, case, floats, ints
from hypothesis import strategies as st

_rows = st.tuples(st.integers(1, 5), st.integers(1, 4))


def _mlp(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()


def _per_sample_grads(L, x, y):
    model = _mlp(L)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, xi, yi):
        out = L.func.functional_call(model, p, (xi.unsqueeze(0),))
        return L.nn.functional.cross_entropy(out, yi.unsqueeze(0))
    grads = L.func.vmap(L.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    return tuple(grads[k] for k in sorted(grads))


def _ensemble(L, x):
    models = [_mlp(L) for _ in range(3)]
    params, buffers = L.func.stack_module_state(models)
    out = L.func.vmap(lambda p, b: L.func.functional_call(models[0], (p, b), (x,)))(
        params, buffers)
    return out, tuple(params[k] for k in sorted(params))


FUNC = [
    Entry("vmap", [
        case(lambda L, x: L.vmap(lambda v: (v.sin() * v).sum())(x), floats(drawn=_rows),
             label="a reduction per row"),
        case(lambda L, x, w: L.vmap(lambda v: v @ w)(x), floats(4, 3), floats(3, 2),
             label="matmul with a shared matrix"),
        case(lambda L, x: L.vmap(lambda v: v.softmax(0), in_dims=1, out_dims=1)(x),
             floats(3, 5), label="in_dims=1, out_dims=1"),
        case(lambda L, x, y: L.vmap(L.vmap(lambda a, b: a * b), in_dims=(0, None))(x, y),
             floats(2, 3), floats(3), label="nested"),
        case(lambda L, x: L.vmap(lambda v: v + L.rand(3))(x), floats(2, 3), raises=True,
             label="random draws raise in randomness='error'"),
        case(lambda L, x, y: L.vmap(lambda a, b: a + b)(x, y), floats(2, 3), floats(3, 3),
             raises=True, label="different batch sizes"),
    ]),
    Entry("func.vmap", [
        case(lambda L, x: L.func.vmap(lambda v: v[1:].reshape(-1, 1).T, chunk_size=2)(x),
             floats(5, 4), label="slices and reshape, chunked"),
    ]),
    Entry("func.grad", [
        case(lambda L, x: L.func.grad(L.func.grad(lambda a: a.sin() * a ** 2))(x), floats(),
             label="second derivative"),
        case(_per_sample_grads, floats(5, 3), ints(5, high=2),
             label="per-sample gradients of an MLP"),
    ]),
    Entry("func.grad_and_value", [
        case(lambda L, x: L.func.grad_and_value(lambda a: (a.exp() * a).sum())(x), floats(4)),
    ]),
    Entry("func.vjp", [
        case(lambda L, x, v: L.func.vjp(lambda a: a.tanh() * 2, x)[1](v), floats(3, 2),
             floats(3, 2)),
    ]),
    Entry("func.jvp", [
        case(lambda L, x, t: L.func.jvp(lambda a: a.sin() * a.sum(), (x,), (t,)), floats(4),
             floats(4)),
    ]),
    Entry("func.jacrev", [
        case(lambda L, x: L.func.jacrev(lambda a: a.sin() @ a.T)(x), floats(3, 2)),
    ]),
    Entry("func.jacfwd", [
        case(lambda L, x: L.func.jacfwd(lambda a: a.sin() * a.sum())(x), floats(4)),
    ]),
    Entry("func.hessian", [
        case(lambda L, x: L.func.hessian(lambda a: (a.tanh() ** 3).sum())(x), floats(2, 2)),
    ]),
    Entry("func.functional_call", [
        case(lambda L, x: L.func.functional_call(
            _mlp(L), {"0.bias": L.zeros(4, dtype=L.float64)}, (x,)), floats(2, 3)),
    ]),
    Entry("func.stack_module_state", [
        case(_ensemble, floats(2, 3), label="an ensemble under vmap"),
    ]),
]

ENTRIES = FUNC
