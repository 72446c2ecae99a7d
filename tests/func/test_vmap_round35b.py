"""vmap batching rules for the primitives that used to fall back to the per-example loop (group
norm, transposed convolution, unfold/fold, adaptive pooling, max_unpool, grid_sample,
affine_grid, index_put and its users, strided views, per-example embedding tables, weighted
class losses, margin losses, CTC) and for the composites that read their inputs' values
(gather, take_along_dim, sort, topk, argmax, max over a dim, embedding's indices, pooling with
indices), against torch.func.vmap in float64, with in_dims/out_dims variations, per-sample
gradients through vmap(grad(...)), and no fallback.

The sweep at the end runs vmap over every registered primitive's spec case and asserts that the
set of primitives that still fall back (or raise) is the known list written there: it may only
shrink.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn  # noqa: F401  (registers the layers' fused primitives)
from chainrule import func as crf

seeds = st.integers(0, 2**16)
GRAD = {"rtol": 1e-10, "atol": 1e-10}


def _np(x):
    return np.asarray(x.detach().numpy())


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    return [tree]


def check(fn, *arrays, rtol=1e-12, atol=1e-12, want=None):
    """fn(L, F, *tensors) with (torch, torch.func) and (chainrule, chainrule.func): the same
    leaves, shapes and values, and no primitive fell back to chainrule's loop. ``want``: the
    expected leaves when PyTorch cannot vmap the function (a loop over PyTorch's results)."""
    if want is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            want = _leaves(fn(torch, torch.func, *[torch.tensor(a) for a in arrays]))
    crf.clear_fallbacks()
    with warnings.catch_warnings():
        warnings.simplefilter("error", crf.VmapFallbackWarning)
        got = _leaves(fn(cr, crf, *[cr.tensor(a) for a in arrays]))
    assert crf.fallbacks() == {}
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert tuple(w.shape) == tuple(g.shape)
        np.testing.assert_allclose(_np(g), _np(w), rtol=rtol, atol=atol)


def arrays(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def ints(high, shape, seed):
    return np.random.default_rng(seed).integers(0, high, shape)


def F_(L):
    return L.nn.functional


# ------------------------------------------------------------------------------ normalization
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from([(2, 2), (4, 1), (4, 4), (6, 3)]),
       st.sampled_from([(3,), (2, 3)]), seeds)
def test_group_and_instance_norm(b, n, cg, spatial, seed):
    c, g = cg
    x, w, bias = arrays((b, n, c) + spatial, seed), arrays((b, c), seed + 1), arrays((b, c),
                                                                                      seed + 2)
    check(lambda L, F, x, w, s: F.vmap(lambda v, u, t: F_(L).group_norm(v, g, u, t))(x, w, s),
          x, w, bias)
    check(lambda L, F, x, w: F.vmap(lambda v: F_(L).group_norm(v, g, w[0], w[0]))(x), x, w)
    check(lambda L, F, x, w: F.vmap(lambda u: F_(L).group_norm(x[0], g, u))(w), x, w)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).group_norm(v, g), in_dims=2, out_dims=1)(
        x), np.moveaxis(x, 0, 2).copy())
    check(lambda L, F, x, w: F.vmap(lambda v, u: F_(L).instance_norm(v, weight=u, bias=u))(
        x, w), x, w)
    check(lambda L, F, x, w: F.vmap(F.grad(
        lambda u, v: F_(L).group_norm(v, g, u, u).pow(3).sum()), in_dims=(None, 0))(w[0], x),
        x, w, **GRAD)


def test_group_norm_module_per_sample_gradients():
    x = arrays((4, 2, 6, 5), 3)

    def grads(L, F, x):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Conv1d(6, 4, 3), L.nn.GroupNorm(2, 4), L.nn.Tanh(),
                                L.nn.InstanceNorm1d(4, affine=True), L.nn.Flatten(),
                                L.nn.Linear(12, 1)).double()
        params = {k: v.detach() for k, v in model.named_parameters()}
        return F.vmap(F.grad(lambda p, xi: F.functional_call(model, p, (xi,)).pow(2).sum()),
                      in_dims=(None, 0))(params, x)
    check(grads, x, **GRAD)


# ------------------------------------------------------------------------------ convolutions
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.sampled_from([1, 2]), st.sampled_from([1, 2]),
       st.sampled_from([1, 2]), seeds)
def test_conv_transpose(b, n, groups, stride, nd, seed):
    cin, cout = 2 * groups, 3 * groups
    x = arrays((b, n, cin) + (4,) * nd, seed)
    w, bias = arrays((b, cin, cout // groups) + (3,) * nd, seed + 1), arrays((b, cout), seed + 2)

    def ct(L):
        return getattr(F_(L), f"conv_transpose{nd}d")

    kw = {"stride": stride, "groups": groups, "padding": 1, "output_padding": stride - 1}
    check(lambda L, F, x, w: F.vmap(lambda v: ct(L)(v, w[0], **kw))(x), x, w)
    check(lambda L, F, x, w, s: F.vmap(lambda v, u, t: ct(L)(v, u, t, **kw))(x, w, s), x, w,
          bias)
    check(lambda L, F, x, w: F.vmap(lambda u: ct(L)(x[0], u, **kw), out_dims=1)(w), x, w)
    check(lambda L, F, x, w: F.vmap(lambda v: ct(L)(v, w[0], **kw), in_dims=1)(x),
          np.moveaxis(x, 0, 1).copy(), w)
    check(lambda L, F, x, w, s: F.vmap(F.grad(lambda u, t, v: ct(L)(v, u, t, **kw).pow(2).sum(),
                                              argnums=(0, 1, 2)), in_dims=(None, None, 0))(
        w[0], s[0], x), x, w, bias, **GRAD)


def test_conv_double_backward_under_vmap():
    """conv_weight_grad (the kernel gradient of a convolution) meets vmap in jacobians of
    gradients: the Hessian-vector products of a per-example loss."""
    x, w = arrays((3, 2, 2, 5, 5), 4), arrays((3, 2, 3, 3), 5)

    def hvp(L, F, x, w):
        def loss(u, v):
            return F_(L).conv2d(v, u, padding=1).tanh().sum()
        return F.vmap(lambda v: F.jacrev(F.grad(loss))(w, v).sum((0, 1)))(x)
    check(hvp, x, w, **GRAD)


# ------------------------------------------------------------------------------ pooling, folds
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.sampled_from([(4, 4), (5, 7), (6, 3)]), seeds)
def test_pooling_unfold_fold(b, n, hw, seed):
    x = arrays((b, n, 2) + hw, seed)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).adaptive_avg_pool2d(v, (3, 2)))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).interpolate(v, size=(2, 3), mode="area"))(x),
          x)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).unfold(v, 2, padding=1))(x), x)
    cols = arrays((b, n, 2 * 4, 9), seed + 1)
    check(lambda L, F, c: F.vmap(lambda v: F_(L).fold(v, (4, 4), 2, stride=1))(c), cols)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).max_pool2d(v, 2, return_indices=True))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).adaptive_max_pool2d(v, (3, 2), True))(x), x)
    check(lambda L, F, x: F.vmap(lambda v: F_(L).adaptive_max_pool2d(v, (3, 2)), in_dims=1)(
        x), np.moveaxis(x, 0, 1).copy())

    def unpool(L, F, x):
        def f(v):
            y, i = F_(L).max_pool2d(v, 2, return_indices=True)
            return F_(L).max_unpool2d(y * 2, i, 2, output_size=v.shape[-2:])
        return F.vmap(f)(x), F.vmap(F.grad(lambda v: f(v).sin().sum()))(x)
    check(unpool, x, **GRAD)

    def unpool_shared(L, F, x):             # the indices of example 0, unbatched
        y, i = F_(L).max_pool2d(x[0], 2, return_indices=True)
        return F.vmap(lambda v: F_(L).max_unpool2d(v, i, 2, output_size=hw))(
            x[:, :, :, :y.shape[-2], :y.shape[-1]])
    check(unpool_shared, x)


def test_pooling_per_sample_gradients_unbatched_examples():
    x = arrays((4, 3, 6, 6), 6)

    def grads(L, F, x):
        L.manual_seed(1)
        model = L.nn.Sequential(L.nn.Conv2d(3, 4, 3), L.nn.AdaptiveAvgPool2d(3),
                                L.nn.ConvTranspose2d(4, 2, 2, stride=2), L.nn.ReLU(),
                                L.nn.Unfold(2), L.nn.Flatten(0)).double()
        params = {k: v.detach() for k, v in model.named_parameters()}
        return F.vmap(F.grad(lambda p, xi: F.functional_call(model, p, (xi,)).pow(2).sum()),
                      in_dims=(None, 0))(params, x)
    check(grads, x, **GRAD)


# ------------------------------------------------------------------------------ sampling
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 3), st.integers(1, 2), st.sampled_from(["bilinear", "nearest"]),
       st.sampled_from(["zeros", "border", "reflection"]), st.booleans(), seeds)
def test_grid_sample_affine_grid(b, n, mode, padding, align, seed):
    x, grid = arrays((b, n, 2, 4, 5), seed), 0.9 * arrays((b, n, 3, 2, 2), seed + 1)
    theta = 0.5 * arrays((b, n, 2, 3), seed + 2)
    kw = {"mode": mode, "padding_mode": padding, "align_corners": align}
    check(lambda L, F, x, g: F.vmap(lambda v, u: F_(L).grid_sample(v, u, **kw))(x, g), x, grid)
    check(lambda L, F, x, g: F.vmap(lambda v: F_(L).grid_sample(v, g[0], **kw))(x), x, grid)
    check(lambda L, F, x, g: F.vmap(lambda u: F_(L).grid_sample(x[0], u, **kw), out_dims=2)(g),
          x, grid)
    check(lambda L, F, t: F.vmap(lambda u: F_(L).affine_grid(u, (n, 2, 3, 4), align))(t), theta)

    def stn(L, F, x, t):                     # a spatial transformer's per-sample gradients
        def loss(u, v):
            g = F_(L).affine_grid(u, (n, 2, 3, 4), align)
            return F_(L).grid_sample(v, g, align_corners=align).pow(2).sum()
        return F.vmap(F.grad(loss, argnums=(0, 1)))(t, x)
    if mode == "bilinear":
        check(stn, x, theta, **GRAD)


# ------------------------------------------------------------------------------ indexed writes
@settings(max_examples=8, deadline=None)
@given(st.integers(1, 4), st.integers(2, 4), st.integers(2, 5), seeds)
def test_index_put_and_its_users(b, n, m, seed):
    x, v = arrays((b, n, m), seed), arrays((b, 2, m), seed + 1)
    col = arrays((b, n, 2), seed + 2)
    mask = arrays((n, m), seed + 3) > 0
    idx = [0, n - 1]

    def T(L, a):
        return L.tensor(a)

    check(lambda L, F, x, v: F.vmap(lambda a, c: L.index_put(a, (T(L, idx),), c))(x, v), x, v)
    check(lambda L, F, x, v: F.vmap(lambda c: L.index_put(x[0], (T(L, idx),), c))(v), x, v)
    check(lambda L, F, x, c: F.vmap(lambda a, s: L.index_copy(a, 1, T(L, [1, 0]), s))(x, c), x,
          col)
    check(lambda L, F, x: F.vmap(lambda a: L.index_fill(a, 1, T(L, [0, m - 1]), -2.0),
                                 in_dims=1)(x), np.moveaxis(x, 0, 1).copy())
    check(lambda L, F, x: F.vmap(lambda a: a.masked_fill(T(L, mask), 0.5))(x), x)
    check(lambda L, F, x, v: F.vmap(lambda a, c: L.put(a, T(L, [0, n * m - 1]), c[0, :2]))(x, v),
          x, v)
    check(lambda L, F, x, v: F.vmap(F.grad(lambda a, c: L.index_put(a, (T(L, idx),), c).pow(3)
                                           .sum(), argnums=(0, 1)))(x, v), x, v, **GRAD)


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 4), st.integers(2, 4), st.integers(2, 5), seeds)
def test_gather_scatter_by_index_tensors(b, n, m, seed):
    x, src = arrays((b, n, m), seed), arrays((b, n, 2), seed + 1)
    i = ints(m, (b, n, 2), seed + 2)
    check(lambda L, F, x, i: F.vmap(lambda a, j: L.gather(a, 1, j))(x, i), x, i)
    check(lambda L, F, x, i: F.vmap(lambda j: L.gather(x[0], -1, j))(i), x, i)
    check(lambda L, F, x, i: F.vmap(lambda a: L.gather(a, 1, i[0]))(x), x, i)
    check(lambda L, F, x, i: F.vmap(lambda a, j: L.take_along_dim(a, j, 1), in_dims=(2, 0))(
        x, i), np.moveaxis(x, 0, 2).copy(), i)
    check(lambda L, F, x, i: F.vmap(lambda a, j: L.take_along_dim(a, j))(x, i), x, i)
    check(lambda L, F, x, s: F.vmap(lambda a, c: L.scatter_add(a, 0, L.tensor([[0, 1]] * 1),
                                                               c[:1]))(x, s), x, src)
    check(lambda L, F, x, i: F.vmap(F.grad(lambda a, j: L.gather(a, 1, j).pow(2).sum()))(x, i),
          x, i, **GRAD)


# ------------------------------------------------------------------------------ order statistics
@settings(max_examples=8, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5), st.integers(-2, 1), seeds)
def test_sort_topk_argmax_max(b, n, m, dim, seed):
    x = arrays((b, n, m), seed)
    k = 2 if dim in (1, -1) else 1
    check(lambda L, F, x: F.vmap(lambda a: L.sort(a, dim))(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.sort(a, dim, descending=True), out_dims=1)(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.argsort(a, dim))(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.topk(a, k, dim))(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.max(a, dim))(x), x)
    check(lambda L, F, x: F.vmap(lambda a: L.min(a, dim, keepdim=True), in_dims=2)(x), x)
    check(lambda L, F, x: F.vmap(lambda a: (L.argmax(a, dim), L.argmin(a)))(x), x)
    check(lambda L, F, x: F.vmap(F.grad(lambda a: L.topk(a, k, dim).values.pow(2).sum()
                                        + L.sort(a, dim)[0][..., :1].sum()
                                        + L.max(a, dim).values.sin().sum()))(x), x, **GRAD)


# ------------------------------------------------------------------------------ embedding
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.integers(2, 6), st.sampled_from([None, 0, 3]), seeds)
def test_embedding_per_sample_gradients(b, v, padding, seed):
    if padding is not None and padding >= v:
        padding = v - 1
    w = arrays((b, v, 3), seed)
    i = ints(v, (b, 2, 4), seed + 1)
    check(lambda L, F, i, w: F.vmap(lambda j: F_(L).embedding(j, w[0], padding))(i), i, w)
    check(lambda L, F, i, w: F.vmap(lambda u: F_(L).embedding(i[0], u))(w), i, w)
    check(lambda L, F, i, w: F.vmap(lambda j, u: F_(L).embedding(j, u, padding))(i, w), i, w)
    check(lambda L, F, i, w: F.vmap(lambda u: F_(L).embedding_bag(i[0], u, mode="sum"))(w),
          i, w)

    def grads(L, F, i, w):
        return F.vmap(F.grad(lambda u, j: F_(L).embedding(j, u, padding).pow(2).sum()),
                      in_dims=(None, 0))(w[0], i)
    check(grads, i, w, **GRAD)


def test_text_classifier_per_sample_gradients():
    tokens, y = ints(7, (4, 5), 7), ints(3, (4,), 8)

    def grads(L, F, t, y):
        L.manual_seed(2)
        model = L.nn.ModuleDict({"emb": L.nn.Embedding(7, 4, padding_idx=0),
                                 "head": L.nn.Linear(4, 3)}).double()
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, ti, yi):
            e = F.functional_call(model["emb"], {"weight": p["emb.weight"]}, (ti,))
            logits = F.functional_call(model["head"], {"weight": p["head.weight"],
                                                       "bias": p["head.bias"]}, (e.mean(0),))
            return F_(L).cross_entropy(logits[None], yi[None], label_smoothing=0.1)
        return F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, t, y)
    check(grads, tokens, y, **GRAD)


# ------------------------------------------------------------------------------ losses
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5), st.floats(0.0, 0.3), seeds)
def test_class_losses_with_weights(b, n, c, smoothing, seed):
    z, t = arrays((b, n, c), seed), ints(c, (b, n), seed + 1)
    t[:, 0] = 1 if n > 1 else t[:, 0]
    w = np.abs(arrays((c,), seed + 2)) + 0.1

    def ce(L, a, y, w):
        return F_(L).cross_entropy(a, y, weight=w, ignore_index=1, label_smoothing=smoothing)
    # torch.func cannot vmap this one (masked_select of the targets): PyTorch's loop is the oracle
    want = [torch.stack([ce(torch, torch.tensor(a), torch.tensor(y), torch.tensor(w))
                         for a, y in zip(z, t)])]
    check(lambda L, F, z, t, w: F.vmap(lambda a, y: ce(L, a, y, w))(z, t), z, t, w, want=want)
    check(lambda L, F, z, t, w: F.vmap(lambda a, y: F_(L).nll_loss(
        a.log_softmax(-1), y, weight=w))(z, t), z, t, w)
    check(lambda L, F, z, t, w: F.vmap(lambda a: F_(L).nll_loss(a, t[0], weight=w,
                                                                reduction="sum"))(z), z, t, w)
    check(lambda L, F, z, t, w: F.vmap(F.grad(lambda a, y: F_(L).cross_entropy(
        a, y, weight=w, label_smoothing=smoothing)))(z, t), z, t, w, **GRAD)


def test_margin_and_ctc_losses_with_shared_targets():
    """multi_margin, multilabel_margin and ctc_loss read their integer targets outside the
    primitive, so vmap covers inputs batched over shared targets; the oracle is a loop over
    PyTorch's per-example losses (torch.func has no batching rule for them either)."""
    x, t = arrays((3, 4, 5), 9), ints(5, (4,), 10)
    tl = np.array([[1, 3, -1, 0, 0]] * 4)
    for fn in (lambda L, a: F_(L).multi_margin_loss(a, L.tensor(t), p=2, reduction="none"),
               lambda L, a: F_(L).multilabel_margin_loss(a, L.tensor(tl))):
        want = [torch.stack([fn(torch, torch.tensor(xi)) for xi in x])]
        check(lambda L, F, x, fn=fn: F.vmap(lambda a: fn(L, a))(x), x, want=want)
    lp = arrays((3, 6, 2, 4), 11)
    tg = np.array([[1, 2, 2], [3, 1, 0]])

    def ctc(L, a):
        return F_(L).ctc_loss(a.log_softmax(-1), L.tensor(tg), [6, 5], [3, 2])
    want = [torch.stack([ctc(torch, torch.tensor(a)) for a in lp])]
    check(lambda L, F, lp: F.vmap(lambda a: ctc(L, a))(lp), lp, want=want)
    want = []
    for a in lp:
        u = torch.tensor(a, requires_grad=True)
        want.append(torch.autograd.grad(ctc(torch, u), u)[0])
    want = [torch.stack(want)]
    check(lambda L, F, lp: F.vmap(F.grad(lambda a: ctc(L, a)))(lp), lp, want=want, **GRAD)


# ------------------------------------------------------------------------------ strided views
@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5), st.integers(-1, 1), seeds)
def test_strided_views(b, n, m, offset, seed):
    x = arrays((b, n, m), seed)
    check(lambda L, F, x: F.vmap(lambda a: L.diagonal(a, offset))(x), x)
    check(lambda L, F, x: F.vmap(lambda a: a.unfold(0, 1, 1), in_dims=2)(x), x)
    check(lambda L, F, x: F.vmap(F.grad(lambda a: (a.unfold(-1, 2, 1).pow(2).sum()
                                                   + L.diagonal(a, offset).sin().sum())))(x),
          x, **GRAD)
    check(lambda L, F, x: F.vmap(F.vmap(lambda a: L.diagonal(a)))(x), np.stack([x, 2 * x]))


# ------------------------------------------------------------------------------ linalg in_dims
def test_householder_ormqr_with_one_operand_batched():
    a, tau, c = arrays((3, 4, 3), 12), arrays((3, 3), 13), arrays((3, 4, 2), 14)
    la = lambda L: L.linalg                                        # noqa: E731
    check(lambda L, F, a, t: F.vmap(lambda u: la(L).householder_product(a[0], u))(t), a, tau)
    check(lambda L, F, a, t: F.vmap(lambda m: la(L).householder_product(m, t[0]))(a), a, tau)
    check(lambda L, F, a, t, c: F.vmap(lambda m: L.ormqr(m, t[0], c[0]))(a), a, tau, c)
    check(lambda L, F, a, t, c: F.vmap(lambda u: L.ormqr(a[0], u, c[0]))(t), a, tau, c)


# ------------------------------------------------------------------------------ the sweep
# primitives that still fall back to the loop (or raise) when vmap runs over their spec cases:
# this list may only shrink (a primitive that gets a rule is removed from it)
KNOWN_GAPS = {
    "as_strided": "fallback: an arbitrary (size, stride, offset) of the example's storage",
    "as_strided_scatter": "fallback: likewise",
    "view_as_complex": "fallback: complex values under vmap",
    "view_as_real": "raises: complex values under vmap (their parts are read on the host)",
    "angle": "raises: complex", "complex": "raises: complex", "conj": "raises: complex",
    "real": "raises: complex", "imag": "raises: complex", "sgn": "raises: complex",
    "fft_c2c": "raises: complex", "fft_c2r": "raises: complex", "fft_r2c": "raises: complex",
    "frexp": "raises: frexp reads its input's array (the exponent is computed on the host)",
    "power": "raises with a batched integer exponent: the check for negative integer powers "
             "reads it",
    "linalg_lu_factor": "raises in lu_unpack: the pivots are read",
}


def _spec_case(name: str, k: int):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from primitive_specs import SPECS

    box = []

    @settings(max_examples=k + 1, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def draw(data):
        box.append(SPECS[name].case(data.draw))
    draw()
    return box[-1]


def _first(o):
    while isinstance(o, (tuple, list)):
        o = o[0]
    return o


def _sweep(name: str):
    """'ok', or why not: vmap over 3 scaled copies of the spec's inputs, every input batched and
    each one alone batched, compared with the primitive run on each example."""
    for k in range(2):
        case = _spec_case(name, k)
        stacked = [np.stack([a * (1 + 0.01 * j) for j in range(3)]) if a.dtype.kind == "f"
                   else np.stack([a] * 3) for a in case.inputs]
        n = len(stacked)
        variants = [0] + ([tuple(0 if j == i else None for j in range(n)) for i in range(n)]
                          if n > 1 else [])
        for dims in variants:
            mapped = [dims == 0 or dims[j] == 0 for j in range(n)]
            args = [cr.tensor(s if m else s[0]) for s, m in zip(stacked, mapped)]
            crf.clear_fallbacks()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = _first(crf.vmap(case.call, in_dims=dims)(*args))
            except Exception as exc:                    # noqa: BLE001
                return f"raises {type(exc).__name__}"
            if crf.fallbacks():
                return "fallback " + ",".join(sorted(crf.fallbacks()))
            for i in range(3):
                one = _first(case.call(*[a[i] if m else a for a, m in zip(args, mapped)]))
                np.testing.assert_allclose(_np(out[i]), _np(one), rtol=1e-10, atol=1e-12,
                                           equal_nan=True, err_msg=f"{name} in_dims={dims}")
    return "ok"


def test_sweep_every_primitive_under_vmap():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from primitive_specs import SPECS

    names = sorted(set(cr.primitives()) & set(SPECS))
    with np.errstate(all="ignore"):
        report = {name: _sweep(name) for name in names}
    gaps = {name for name, r in report.items() if r != "ok"}
    new = sorted(gaps - set(KNOWN_GAPS))
    assert not new, "primitives that newly fall back or raise under vmap: " + ", ".join(
        f"{n} ({report[n]})" for n in new)
    closed = sorted(set(KNOWN_GAPS) & set(names) - gaps)
    assert not closed, f"these now vmap without the loop: remove them from KNOWN_GAPS: {closed}"
