"""chainrule.func against torch.func: vmap (vectorised, with reported fallbacks), grad,
grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, functional_call, stack_module_state.

Every comparison runs the same function with L=torch, F=torch.func and L=chainrule,
F=chainrule.func on the same float64 inputs (drawn by Hypothesis where shapes vary).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import func as crf

LIBS = ((torch, torch.func), (cr, crf))


def _np(x):
    return np.asarray(x.detach().numpy())


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    return [tree]


def check(fn, *arrays, rtol=1e-12, atol=1e-12, no_fallback=True):
    """fn(L, F, *tensors) on both libraries: same structure, shapes and values."""
    crf.clear_fallbacks()
    want = _leaves(fn(torch, torch.func, *[torch.tensor(a) for a in arrays]))
    got = _leaves(fn(cr, crf, *[cr.tensor(a) for a in arrays]))
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert tuple(w.shape) == tuple(g.shape)
        np.testing.assert_allclose(_np(g), _np(w), rtol=rtol, atol=atol)
    if no_fallback:
        assert crf.fallbacks() == {}


def arrays(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


shape = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)
batch = st.integers(1, 5)


# ------------------------------------------------------------------------------ vmap
@given(batch, shape, seeds)
def test_vmap_elementwise_reductions_softmax(b, s, seed):
    x = arrays((b,) + s, seed)
    check(lambda L, F, x: F.vmap(lambda v: (v.sin() * v.exp() + 1).sum(-1))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: v.softmax(0) - v.log_softmax(-1))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: v.mean() + v.var(0).sum() + v.amax(-1).sum())(x), x)


@given(batch, st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), seeds)
def test_vmap_matmul_every_rank(b, n, k, m, seed):
    x, w = arrays((b, n, k), seed), arrays((k, m), seed + 1)
    v, u = arrays((b, k), seed + 2), arrays((b, k, m), seed + 3)
    check(lambda L, F, x, w: F.vmap(lambda a: a @ w)(x), x, w)
    check(lambda L, F, v, w: F.vmap(lambda a: a @ w)(v), v, w)
    check(lambda L, F, v, u: F.vmap(lambda a, c: a @ c)(v, u), v, u)
    check(lambda L, F, x, v: F.vmap(lambda c: x[0] @ c)(v), x, v)
    check(lambda L, F, v: F.vmap(lambda a: a @ a)(v), v)
    check(lambda L, F, v, x: F.vmap(lambda a: a @ x, in_dims=0)(v), v, arrays((3, k, n), seed))


@given(batch, st.integers(2, 4), st.integers(2, 4), seeds)
def test_vmap_reshape_transpose_index(b, n, m, seed):
    x = arrays((b, n, m), seed)
    check(lambda L, F, x: F.vmap(lambda v: v.reshape(-1, 1).T.flatten())(x), x)
    check(lambda L, F, x: F.vmap(lambda v: v.permute(1, 0).unsqueeze(1).squeeze())(x), x)
    check(lambda L, F, x: F.vmap(lambda v: v[1:, ::2] * v[0, ::2] + v[..., -1:].sum())(x), x)
    check(lambda L, F, x: F.vmap(lambda v: v[[0, 1, 0]])(x), x)
    check(lambda L, F, x: F.vmap(lambda v: L.cat([v, v.exp()], 1).transpose(0, 1))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: L.stack([v, -v], -1).expand(2, n, m, 2))(x), x)


@given(batch, st.integers(1, 2), seeds)
def test_vmap_conv2d_and_pool(b, n, seed):
    x, w = arrays((b, n, 2, 6, 5), seed), arrays((3, 2, 3, 3), seed + 1)
    bias = arrays((3,), seed + 2)
    check(lambda L, F, x, w, c: F.vmap(lambda v: L.nn.functional.conv2d(v, w, c, padding=1))(
        x), x, w, bias, rtol=1e-10)
    wb = arrays((b, 3, 2, 3, 3), seed + 3)
    check(lambda L, F, x, w: F.vmap(lambda v, u: L.nn.functional.conv2d(v, u, stride=2))(x, w),
          x, wb, rtol=1e-10)
    check(lambda L, F, x: F.vmap(lambda v: L.nn.functional.max_pool2d(v, 2))(x), x)


def test_vmap_in_dims_out_dims_and_nesting():
    x, y = arrays((3, 4, 5), 0), arrays((5, 4), 1)
    check(lambda L, F, x, y: F.vmap(lambda a, c: a * c.T, in_dims=(0, None))(x, y), x, y)
    check(lambda L, F, x: F.vmap(lambda a: a.sum(0), in_dims=2)(x), x)
    check(lambda L, F, x: F.vmap(lambda a: a.exp(), in_dims=-1, out_dims=1)(x), x)
    check(lambda L, F, x: F.vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(x), x)
    check(lambda L, F, x: F.vmap(lambda d: d["a"] * d["b"][0], in_dims=({"a": 0, "b": (1,)},))(
        {"a": x[:, 0], "b": (x[:, 1].T,)}), x)
    check(lambda L, F, x: F.vmap(F.vmap(lambda a: a.sin().sum()))(x), x)
    check(lambda L, F, x, y: F.vmap(F.vmap(lambda a, c: a @ c, in_dims=(0, None)),
                                    in_dims=(None, 1))(x, y), x, y)
    check(lambda L, F, x: F.vmap(lambda a: a.sum(0), chunk_size=2)(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.ones(2, dtype=L.float64))(x), x)


def test_vmap_shows_the_per_example_shape():
    seen = []

    def f(v):
        seen.append((tuple(v.shape), v.dim(), v.ndim, len(v), v.size(1), v.numel()))
        return v
    crf.vmap(f)(cr.zeros(7, 3, 2))
    assert seen == [((3, 2), 2, 2, 3, 2, 6)]


def test_vmap_fallback_is_reported():
    x = arrays((4, 6), 5)             # as_strided has no batching rule (round 35b's sweep)
    crf.clear_fallbacks()
    with pytest.warns(crf.VmapFallbackWarning, match="as_strided"):
        got = crf.vmap(lambda v: cr.as_strided(v, (2, 2), (1, 2), 1))(cr.tensor(x))
    want = torch.stack([torch.as_strided(torch.tensor(v), (2, 2), (1, 2), 1) for v in x])
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12, atol=1e-12)
    assert crf.fallbacks().get("as_strided") == 1


def test_vmap_errors():
    x = cr.zeros(3, 2)
    with pytest.raises(RuntimeError, match="randomness"):
        crf.vmap(lambda v: v + cr.rand(2))(x)
    with pytest.raises(RuntimeError, match="randomness"):
        crf.vmap(lambda v: cr.nn.functional.dropout(v, 0.5))(x)
    same = crf.vmap(lambda v: v + cr.rand(2, dtype=cr.float64), randomness="same")(
        cr.zeros(3, 2, dtype=cr.float64))
    np.testing.assert_array_equal(_np(same)[0], _np(same)[1])
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        crf.vmap(lambda a, b: a + b)(x, cr.zeros(4, 2))
    with pytest.raises(ValueError, match="non-Tensor"):
        crf.vmap(lambda a, b: a * b)(x, 2.0)
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        crf.vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="in_dim"):
        crf.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="no Tensors to vmap over"):
        crf.vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(RuntimeError, match="read the values of a batched tensor"):
        crf.vmap(lambda v: v * 2 if v.sum() > 0 else v)(x)
    with pytest.raises(RuntimeError, match="randomness"):
        crf.vmap(lambda v: v, randomness="sometimes")
    with pytest.raises(ValueError, match="must only return Tensors"):
        crf.vmap(lambda v: 1.0)(x)


# ------------------------------------------------------------------------------ transforms
@given(shape, seeds)
def test_grad_vjp_jvp(s, seed):
    x, v = arrays(s, seed), arrays(s, seed + 1)

    def f(L):
        return lambda a: (a.tanh() * a.exp()).sum()
    check(lambda L, F, x: F.grad(f(L))(x), x)
    check(lambda L, F, x: F.grad_and_value(f(L))(x), x)
    check(lambda L, F, x, v: F.vjp(lambda a: a.sin() * a, x)[1](v), x, v)
    check(lambda L, F, x, v: F.jvp(lambda a: a.sin() * a.sum(), (x,), (v,)), x, v)
    check(lambda L, F, x: F.grad(lambda a, b: (a * b.cos()).sum(), argnums=(0, 1))(x, x), x)
    check(lambda L, F, x: F.grad(lambda a: ((a ** 2).sum(), a.exp()), has_aux=True)(x), x)


@given(shape, seeds)
def test_jacobians_and_hessian(s, seed):
    x = arrays(s, seed)
    check(lambda L, F, x: F.jacrev(lambda a: a.sin() * a.sum())(x), x)
    check(lambda L, F, x: F.jacfwd(lambda a: a.sin() * a.sum())(x), x)
    check(lambda L, F, x: F.jacrev(lambda a, b: (a * b, b.exp()), argnums=(0, 1))(x, x), x)
    check(lambda L, F, x: F.hessian(lambda a: (a.tanh() ** 3).sum())(x), x, rtol=1e-10)


def test_grad_composes():
    x = arrays((), 3)
    check(lambda L, F, x: F.grad(F.grad(F.grad(lambda a: a.sin() * a ** 3)))(x), x)
    # an inner gradient does not see the outer variable's other uses (perturbation confusion)
    check(lambda L, F, x: F.grad(lambda a: F.grad(lambda b: a * b)(a))(x), x)
    xs = arrays((5, 3), 4)
    check(lambda L, F, x: F.vmap(F.jacrev(lambda a: a.sin() * a.sum()))(x), xs)
    check(lambda L, F, x: F.vmap(F.hessian(lambda a: (a.exp() * a).sum()))(x), xs, rtol=1e-10)
    check(lambda L, F, x: F.jacrev(F.vmap(lambda a: a.sin().sum()))(x), xs)


def test_transform_errors():
    x = cr.ones(3, dtype=cr.float64)
    with pytest.raises(RuntimeError, match="scalar"):
        crf.grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match="tuple"):
        crf.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="argnums"):
        crf.grad(lambda a: a.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        crf.jvp(lambda a: a, x, (x,))
    with pytest.raises(RuntimeError, match="shape"):
        crf.vjp(lambda a: a * 2, x)[1](cr.ones(2, dtype=cr.float64))


# ------------------------------------------------------------------------------ modules
def _mlp(L, seed):
    rng = np.random.default_rng(seed)
    m = L.nn.Sequential(L.nn.Linear(3, 5), L.nn.Tanh(), L.nn.Linear(5, 2)).double()
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.tensor(rng.standard_normal(tuple(p.shape))))
    return m


@settings(max_examples=10)
@given(st.integers(1, 6), seeds)
def test_per_sample_gradients_of_an_mlp(n, seed):
    x = arrays((n, 3), seed)
    y = np.random.default_rng(seed).integers(0, 2, n)

    def per_sample(L, F, x, y):
        model = _mlp(L, seed)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            out = F.functional_call(model, p, (xi.unsqueeze(0),))
            return L.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        return F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    check(per_sample, x, y)


def test_functional_call_and_ensembles():
    x = arrays((4, 3), 9)

    def call(L, F, x):
        model = _mlp(L, 1)
        other = {k: v * 2 for k, v in _mlp(L, 2).named_parameters()}
        out = F.functional_call(model, other, (x,))
        partial = F.functional_call(model, ({"0.weight": other["0.weight"]}, {}), x)
        return out, partial, model(x)            # the model's own parameters are back
    check(call, x)

    def ensemble(L, F, x):
        models = [_mlp(L, s) for s in range(3)]
        params, buffers = F.stack_module_state(models)
        base = models[0]
        return F.vmap(lambda p, b: F.functional_call(base, (p, b), (x,)))(params, buffers)
    check(ensemble, x)


def test_functional_call_errors_and_ties():
    model = _mlp(cr, 0)
    with pytest.raises(RuntimeError, match="Missing key"):
        crf.functional_call(model, {"0.weight": cr.zeros(5, 3)}, cr.zeros(1, 3), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        crf.functional_call(model, ({"0.bias": cr.zeros(5)}, {"0.bias": cr.zeros(5)}),
                            cr.zeros(1, 3))
    with pytest.raises(RuntimeError, match="at least one model"):
        crf.stack_module_state([])
    tied = cr.nn.Sequential(cr.nn.Linear(2, 2, bias=False), cr.nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    w = cr.eye(2)
    out = crf.functional_call(tied, {"0.weight": w}, cr.ones(1, 2))
    np.testing.assert_allclose(_np(out), [[1.0, 1.0]])
    untied = crf.functional_call(tied, {"0.weight": w}, cr.ones(1, 2), tie_weights=False)
    assert not np.allclose(_np(untied), [[1.0, 1.0]]) or np.allclose(
        _np(tied[0].weight), np.eye(2))


def test_top_level_vmap_and_gradcheck():
    assert cr.vmap is crf.vmap and cr.func is crf
    w = cr.tensor(arrays((3, 2), 1), requires_grad=True)
    xs = cr.tensor(arrays((4, 3), 2))
    assert cr.gradcheck(lambda w: crf.vmap(lambda x: (x @ w).tanh())(xs), w)
    with warnings.catch_warnings():
        warnings.simplefilter("error", crf.VmapFallbackWarning)
        crf.vmap(lambda x: (x @ w).tanh())(xs).sum().backward()
    assert w.grad is not None
