"""vmap batching rules for batch_norm (training), attention, recurrences and linear algebra, and
vmap's randomness modes, against torch.func (float64, tight tolerances, no fallback loop).

PyTorch 2.13 has no batching rule for aten::rnn_tanh / gru / lstm (vmap over nn.RNN, nn.GRU,
nn.LSTM raises there), so the recurrences are compared with PyTorch's modules run one example
at a time, and the LSTM classifier's per-sample gradients with torch.func on the same LSTM
written from torch operations.
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

seeds = st.integers(0, 2**16)


def _np(x):
    return np.asarray(x.detach().numpy())


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    return [tree]


def check(fn, *arrays, rtol=1e-12, atol=1e-12):
    """fn(L, F, *tensors) with (torch, torch.func) and (chainrule, chainrule.func), both seeded
    alike: same structure, shapes and values, and no primitive fell back to the loop."""
    torch.manual_seed(0)
    want = _leaves(fn(torch, torch.func, *[torch.tensor(a) for a in arrays]))
    cr.manual_seed(0)
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


# ------------------------------------------------------------------------------ batch norm
@settings(max_examples=6, deadline=None)
@given(st.integers(2, 4), st.integers(2, 4), st.integers(1, 3), st.sampled_from([(), (3,), (2, 2)]),
       seeds)
def test_batch_norm_training(b, n, c, spatial, seed):
    x = arrays((b, n, c) + spatial, seed)
    w, bias = arrays((b, c), seed + 1), arrays((b, c), seed + 2)

    def bn(L):
        return L.nn.functional.batch_norm

    check(lambda L, F, x: F.vmap(lambda v: bn(L)(v, None, None, training=True))(x), x)
    check(lambda L, F, x, w, bias: F.vmap(lambda v, u, s: bn(L)(v, None, None, u, s, True))(
        x, w, bias), x, w, bias)
    check(lambda L, F, x, w: F.vmap(lambda v: bn(L)(v, None, None, w[0], None, True))(x), x, w)
    check(lambda L, F, x, w: F.vmap(lambda u: bn(L)(x[0], None, None, u, None, True))(w), x, w)
    check(lambda L, F, x: F.vmap(lambda v: bn(L)(v, None, None, training=True), in_dims=1,
                                 out_dims=2)(x), x)

    def running(L, F, x):
        rm, rv = L.zeros(b, c, dtype=L.float64), L.ones(b, c, dtype=L.float64)
        y = F.vmap(lambda v, m, s: bn(L)(v, m, s, training=True, momentum=0.3))(x, rm, rv)
        return y, rm, rv                  # each example's row of the stack updated in place
    check(running, x)

    def transposed(L, F, x):                # PyTorch leaves a strided stack as it was
        rm, rv = L.zeros(c, b, dtype=L.float64), L.ones(c, b, dtype=L.float64)
        y = F.vmap(lambda v, m, s: bn(L)(v, m, s, training=True), in_dims=(0, 1, 1))(x, rm, rv)
        return y, rm, rv
    check(transposed, x)

    def shared_x(L, F, x, w):               # x shared: the shared statistics update once
        rm, rv = L.zeros(c, dtype=L.float64), L.ones(c, dtype=L.float64)
        y = F.vmap(lambda u: bn(L)(x[0], rm, rv, u, None, True))(w)
        return y, rm, rv
    check(shared_x, x, w)

    def per_sample(L, F, x, w):
        def loss(u, v):
            return (bn(L)(v, None, None, u, None, True) ** 3).sum()
        return F.vmap(F.grad(loss, argnums=(0, 1)), in_dims=(None, 0))(w[0], x)
    check(per_sample, x, w, rtol=1e-10, atol=1e-10)


def test_batch_norm_errors_and_modules():
    x = arrays((3, 4, 5), 1)
    for L, F in ((torch, torch.func), (cr, crf)):
        rm, rv = L.zeros(5, dtype=L.float64), L.ones(5, dtype=L.float64)
        with pytest.raises(RuntimeError, match="were not batched"):
            F.vmap(lambda v, L=L, rm=rm, rv=rv: L.nn.functional.batch_norm(
                v, rm, rv, training=True))(L.tensor(x))
        module = L.nn.BatchNorm1d(5).double()
        with pytest.raises(RuntimeError, match="track_running_stats"):
            F.vmap(module)(L.tensor(x))

    def modules(L, F, x):
        plain = L.nn.BatchNorm1d(5, track_running_stats=False).double()
        replaced = F.replace_all_batch_norm_modules_(
            L.nn.Sequential(L.nn.Linear(5, 5), L.nn.BatchNorm1d(5)).double())
        return F.vmap(plain)(x), F.vmap(replaced)(x), replaced[1].running_mean is None
    check(lambda L, F, x: modules(L, F, x)[:2], x)
    assert modules(cr, crf, cr.tensor(x))[2]

    def ensemble(L, F, x):                 # stacked buffers: every model's statistics update
        models = [L.nn.BatchNorm1d(5).double() for _ in range(3)]
        params, buffers = F.stack_module_state(models)
        y = F.vmap(lambda p, b, v: F.functional_call(models[0], (p, b), (v,)))(params, buffers,
                                                                                x)
        return y, buffers
    check(ensemble, x)

    def conv_bn_grads(L, F, x):
        L.manual_seed(3)
        model = F.replace_all_batch_norm_modules_(L.nn.Sequential(
            L.nn.Conv2d(2, 3, 3, padding=1), L.nn.BatchNorm2d(3), L.nn.ReLU(), L.nn.Flatten(),
            L.nn.Linear(3 * 4 * 4, 2)).double())
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi):
            return F.functional_call(model, p, (xi,)).pow(2).sum()
        return F.vmap(F.grad(loss), in_dims=(None, 0))(params, x)
    check(conv_bn_grads, arrays((3, 2, 2, 4, 4), 2), rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------------ attention
def _sdpa(L):
    return L.nn.functional.scaled_dot_product_attention


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 4), seeds)
def test_scaled_dot_product_attention(b, h, lq, lk, e, seed):
    q, k, v = arrays((b, h, lq, e), seed), arrays((b, h, lk, e), seed + 1), arrays(
        (b, h, lk, 2), seed + 2)
    mask = arrays((b, lq, lk), seed + 3)
    keep = mask > 0
    keep[..., 0] = True
    check(lambda L, F, q, k, v: F.vmap(_sdpa(L))(q, k, v), q, k, v)
    check(lambda L, F, q, k, v: F.vmap(lambda a: _sdpa(L)(a, k[0], v[0], is_causal=True))(q),
          q, k, v)
    check(lambda L, F, q, k, v: F.vmap(lambda a, c: _sdpa(L)(a, k[:, 0], c), in_dims=(1, 1),
                                       out_dims=1)(q, v[:, :, None, :, :].squeeze(2)), q, k, v)
    check(lambda L, F, q, k, v, m: F.vmap(lambda a, mm: _sdpa(L)(a, k[0], v[0], attn_mask=mm))(
        q, m), q, k, v, mask)
    check(lambda L, F, q, k, v, m: F.vmap(lambda a, mm: _sdpa(L)(a, k[0], v[0], attn_mask=mm))(
        q, m), q, k, v, keep)
    check(lambda L, F, q, k, v: F.vmap(F.grad(lambda a, c, d: _sdpa(L)(a, c, d).pow(2).sum(),
                                              argnums=(0, 1, 2)))(q, k, v), q, k, v,
          rtol=1e-10, atol=1e-10)


def test_attention_dropout_randomness():
    q = arrays((3, 2, 5, 4), 4)
    for mode in ("same", "different"):
        check(lambda L, F, q, mode=mode: F.vmap(lambda a: _sdpa(L)(a, a, a, dropout_p=0.5),
                                                randomness=mode)(q), q)
    for L, F in ((torch, torch.func), (cr, crf)):
        with pytest.raises(RuntimeError, match="randomness error mode"):
            F.vmap(lambda a, L=L: _sdpa(L)(a, a, a, dropout_p=0.5))(L.tensor(q))


def test_multihead_attention_functional_path():
    x = arrays((3, 5, 4), 5)

    def per_sample(L, F, x, need_weights):
        L.manual_seed(1)
        att = L.nn.MultiheadAttention(4, 2, batch_first=True).double()
        params = {n: p.detach() for n, p in att.named_parameters()}

        def loss(p, xi):
            out, _ = F.functional_call(att, p, (xi, xi, xi), {"need_weights": need_weights})
            return out.pow(2).sum()
        out = F.vmap(lambda xi: att(xi, xi, xi, need_weights=need_weights)[
            :2 if need_weights else 1])(x)
        return F.vmap(F.grad(loss), in_dims=(None, 0))(params, x), out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # PyTorch's own fallback warning
        check(lambda L, F, x: per_sample(L, F, x, False), x, rtol=1e-10, atol=1e-10)
        check(lambda L, F, x: per_sample(L, F, x, True), x, rtol=1e-10, atol=1e-10)


def test_tiny_transformer_block_per_sample_gradients():
    x, y = arrays((4, 5, 8), 6), np.random.default_rng(6).integers(0, 3, 4)

    def grads(L, F, x, y):
        L.manual_seed(0)
        enc = L.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                           batch_first=True)
        model = L.nn.Sequential(enc, L.nn.Flatten(), L.nn.Linear(40, 3)).double()
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            out = F.functional_call(model, p, (xi.unsqueeze(0),))
            return L.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        return F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(grads, x, y, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------ recurrences
_CONFIGS = [("RNN", {}), ("RNN", {"nonlinearity": "relu", "batch_first": True}),
            ("RNN", {"num_layers": 2, "bidirectional": True}), ("GRU", {}),
            ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
            ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
            ("LSTM", {"proj_size": 2, "batch_first": True})]


def _recurrent(L, kind, kw):
    L.manual_seed(2)
    return getattr(L.nn, kind)(4, 3, **kw).double()


def _rnn_loss(kind, out):
    return out[0].pow(2).sum() + (out[1][0] if kind == "LSTM" else out[1]).sin().sum()


@pytest.mark.parametrize("kind,kw", _CONFIGS)
def test_recurrent_modules_and_per_sample_gradients(kind, kw):
    x = arrays((3, 5, 2, 4), 7)
    tm, cm = _recurrent(torch, kind, kw), _recurrent(cr, kind, kw)
    with pytest.raises(RuntimeError, match="Batching rule not implemented"):
        torch.func.vmap(tm)(torch.tensor(x))        # PyTorch 2.13 has no rule: the loop is the
    want = [tm(torch.tensor(xi)) for xi in x]        # oracle
    crf.clear_fallbacks()
    got = crf.vmap(cm)(cr.tensor(x))
    for k in range(2):
        w = torch.stack([_leaves(o)[k] for o in want])
        np.testing.assert_allclose(_np(_leaves(got)[k]), _np(w), rtol=1e-12, atol=1e-12)
    names = [n for n, _ in cm.named_parameters()]
    params = {n: p.detach() for n, p in cm.named_parameters()}
    grads = crf.vmap(crf.grad(lambda p, xi: _rnn_loss(kind, crf.functional_call(cm, p, (xi,)))),
                     in_dims=(None, 0))(params, cr.tensor(x))
    assert crf.fallbacks() == {}
    for xi, i in zip(x, range(len(x))):
        ref = torch.autograd.grad(_rnn_loss(kind, tm(torch.tensor(xi))), list(tm.parameters()))
        for n, r in zip(names, ref):
            np.testing.assert_allclose(_np(grads[n][i]), _np(r), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_lengths_fold_and_per_example_weights(kind, reverse):
    """With lengths: the folded fused primitive and the composed per-example-weight path give
    each example's own fused run (chainrule's primitives are checked against PyTorch's packed
    sequences in their own tests)."""
    from chainrule.ops import rnn as R

    g = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    B, T, N, H = 3, 5, 3, 2
    x = cr.tensor(arrays((B, T, N, 4), 8))
    ws = [cr.tensor(arrays((B, g * H, 4), 9)), cr.tensor(arrays((B, g * H, H), 10)),
          cr.tensor(arrays((B, g * H), 11)), cr.tensor(arrays((B, g * H), 12))]
    h0 = cr.tensor(arrays((B, N, H), 13))
    lengths = np.array([5, 2, 4])
    fn = getattr(R, kind)

    def run(xi, hi, *w):
        states = (hi, hi) if kind == "lstm" else (hi,)
        return fn(xi, *states, *w, lengths=lengths, reverse=reverse)
    crf.clear_fallbacks()
    folded = crf.vmap(run, in_dims=(0, 0) + (None,) * 4)(x, h0, *[w[0] for w in ws])
    composed = crf.vmap(run)(x, h0, *ws)
    assert crf.fallbacks() == {}
    for i in range(B):
        one = run(x[i], h0[i], *[w[0] for w in ws])
        each = run(x[i], h0[i], *[w[i] for w in ws])
        for f, o in zip(folded, one):
            np.testing.assert_allclose(_np(f[i]), _np(o), rtol=1e-12, atol=1e-14)
        for c, o in zip(composed, each):
            np.testing.assert_allclose(_np(c[i]), _np(o), rtol=1e-12, atol=1e-14)


def test_lstm_classifier_per_sample_gradients_match_torch_func():
    """chainrule's nn.LSTM under vmap(grad(functional_call)) against torch.func on the same LSTM
    written from torch operations (torch.func cannot vmap nn.LSTM)."""
    x, y = arrays((4, 6, 3), 14), np.random.default_rng(14).integers(0, 2, 4)
    cr.manual_seed(5)
    lstm, head = cr.nn.LSTM(3, 4, batch_first=True).double(), cr.nn.Linear(4, 2).double()
    model = cr.nn.ModuleDict({"lstm": lstm, "head": head})
    params = {k: v.detach() for k, v in model.named_parameters()}

    def forward(p, xi):
        out, _ = crf.functional_call(lstm, {k[5:]: v for k, v in p.items()
                                            if k.startswith("lstm.")}, (xi.unsqueeze(0),))
        return crf.functional_call(head, {"weight": p["head.weight"], "bias": p["head.bias"]},
                                   (out[:, -1],))

    def loss(p, xi, yi):
        return cr.nn.functional.cross_entropy(forward(p, xi), yi.unsqueeze(0))
    crf.clear_fallbacks()
    got = crf.vmap(crf.grad(loss), in_dims=(None, 0, 0))(params, cr.tensor(x), cr.tensor(y))
    assert crf.fallbacks() == {}

    tp = {k: torch.tensor(_np(v)) for k, v in params.items()}

    def torch_loss(p, xi, yi):
        h = torch.zeros(4, dtype=torch.float64)
        c = torch.zeros(4, dtype=torch.float64)
        for t in range(xi.shape[0]):
            a = p["lstm.weight_ih_l0"] @ xi[t] + p["lstm.bias_ih_l0"] + \
                p["lstm.weight_hh_l0"] @ h + p["lstm.bias_hh_l0"]
            i, f, g, o = a.chunk(4)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
        logits = p["head.weight"] @ h + p["head.bias"]
        return torch.nn.functional.cross_entropy(logits[None], yi[None])
    want = torch.func.vmap(torch.func.grad(torch_loss), in_dims=(None, 0, 0))(
        tp, torch.tensor(x), torch.tensor(y))
    for k in want:
        np.testing.assert_allclose(_np(got[k]), _np(want[k]), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------ linear algebra
def _square(b, n, seed):
    a = arrays((b, n, n), seed)
    return a, a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), seeds)
def test_linalg_rules(b, n, k, seed):
    a, s = _square(b, n, seed)
    r, rhs = arrays((b, n + 1, n), seed + 1), arrays((b, n, k), seed + 2)
    vec = arrays((b, n), seed + 3)
    la = lambda L: L.linalg                                        # noqa: E731
    tol = {"rtol": 1e-10, "atol": 1e-10}
    check(lambda L, F, s: F.vmap(la(L).inv)(s), s, **tol)
    check(lambda L, F, a: F.vmap(lambda m: (la(L).det(m), *la(L).slogdet(m)))(a), a, **tol)
    check(lambda L, F, s: F.vmap(L.logdet)(s), s, **tol)
    check(lambda L, F, s: F.vmap(la(L).cholesky, in_dims=2, out_dims=1)(s),
          np.moveaxis(s, 0, 2).copy(), **tol)
    check(lambda L, F, r: F.vmap(la(L).qr)(r), r, **tol)
    check(lambda L, F, r: F.vmap(lambda m: la(L).qr(m, mode="complete"))(r), r, **tol)
    check(lambda L, F, s: F.vmap(lambda m: (la(L).eigh(m)[0], la(L).eigh(m)[1].abs()))(s), s,
          **tol)
    check(lambda L, F, r: F.vmap(lambda m: la(L).svd(m, full_matrices=False).S)(r), r, **tol)
    check(lambda L, F, r: F.vmap(lambda m: la(L).svd(m).U.abs())(r), r, **tol)
    check(lambda L, F, r: F.vmap(la(L).pinv)(r), r, **tol)
    check(lambda L, F, a: F.vmap(la(L).matrix_exp)(a), a * 0.5, **tol)
    check(lambda L, F, s, v: F.vmap(la(L).solve)(s, v), s, vec, **tol)
    check(lambda L, F, s, c: F.vmap(la(L).solve)(s, c), s, rhs, **tol)
    check(lambda L, F, s, c: F.vmap(lambda c: la(L).solve(s[0], c))(c), s, rhs, **tol)
    check(lambda L, F, s, c: F.vmap(lambda m: la(L).solve(m, c[None].expand(2, b, n, k)[:, 0]))(
        s), s, rhs, **tol)
    check(lambda L, F, a: F.vmap(lambda m: (la(L).norm(m), la(L).matrix_norm(m, "nuc"),
                                            la(L).matrix_norm(m, 2), la(L).vector_norm(m, 3)))(
        a), a, **tol)
    check(lambda L, F, a: F.vmap(la(L).lu_factor)(a), a, **tol)
    check(lambda L, F, a: F.vmap(la(L).matrix_rank)(a), a)
    check(lambda L, F, s: F.vmap(F.vmap(la(L).inv))(s[None].expand(2, b, n, n)), s, **tol)


@settings(max_examples=5, deadline=None)
@given(st.integers(1, 4), st.integers(2, 4), seeds)
def test_linalg_per_example_gradients(b, n, seed):
    a, s = _square(b, n, seed)
    r, vec = arrays((b, n + 1, n), seed + 1), arrays((b, n), seed + 2)
    la = lambda L: L.linalg                                        # noqa: E731
    tol = {"rtol": 1e-9, "atol": 1e-9}
    check(lambda L, F, s: F.vmap(F.grad(lambda m: la(L).slogdet(m)[1] + la(L).inv(m).sum()
                                        + la(L).det(m)))(s), s, **tol)
    check(lambda L, F, s: F.vmap(F.grad(lambda m: la(L).eigvalsh(m).pow(3).sum()
                                        + la(L).cholesky(m).sum()))(s), s, **tol)
    check(lambda L, F, r: F.vmap(F.grad(lambda m: la(L).svdvals(m).sum()
                                        + la(L).qr(m)[1].pow(2).sum()))(r), r, **tol)
    check(lambda L, F, s, v: F.vmap(F.grad(lambda m, u: la(L).solve(m, u).pow(2).sum(),
                                           argnums=(0, 1)))(s, v), s, vec, **tol)
    check(lambda L, F, a: F.vmap(F.grad(lambda m: la(L).matrix_exp(m).sum()))(a), a * 0.3,
          **tol)


# ------------------------------------------------------------------------------ randomness
@pytest.mark.parametrize("mode", ["same", "different"])
def test_randomness_values_are_pytorchs(mode):
    """A seeded draw under 'different' is the draw of the whole physical batch at once (what
    torch.func does), so the values are PyTorch's bit for bit; 'same' is one unbatched draw."""
    x = np.ones((3, 4))

    def rand(L):
        return lambda v: (v + L.rand(4, dtype=L.float64) + L.randn(4, dtype=L.float64)
                          + L.randint(0, 9, (4,)).double())
    check(lambda L, F, x: F.vmap(rand(L), randomness=mode)(x), x, rtol=0, atol=0)
    check(lambda L, F, x: F.vmap(lambda v: (L.randn_like(v), L.rand_like(v)),
                                 randomness=mode)(x), x, rtol=0, atol=0)
    check(lambda L, F, x: F.vmap(lambda v: L.nn.functional.dropout(v, 0.4),
                                 randomness=mode)(x), x, rtol=0, atol=0)
    check(lambda L, F, x: F.vmap(lambda v: L.nn.functional.dropout(v, 0.4), in_dims=1,
                                 randomness=mode)(x), x.T.copy(), rtol=0, atol=0)
    for inner in ("same", "different"):
        check(lambda L, F, x, inner=inner: F.vmap(F.vmap(lambda v: L.rand(2, dtype=L.float64),
                                                         randomness=inner), randomness=mode)(x),
              x, rtol=0, atol=0)


def test_randomness_errors():
    x = np.ones((3, 4))
    for L, F in ((torch, torch.func), (cr, crf)):
        t = L.tensor(x)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            F.vmap(lambda v, L=L: v + L.rand(4))(t)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            F.vmap(lambda v, L=L: v + L.rand(4, generator=L.Generator().manual_seed(1)))(t)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            F.vmap(F.vmap(lambda v, L=L: L.rand(2), randomness="same"))(t)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            F.vmap(lambda v, L=L: L.nn.functional.dropout(v, 0.5))(t)
        F.vmap(lambda v, L=L: L.nn.functional.dropout(v, 0.5, training=False))(t)
        F.vmap(lambda v, L=L: L.nn.functional.dropout(v, 0.0))(t)
    with pytest.raises(NotImplementedError, match="randomness='different'"):
        crf.vmap(lambda v: v + cr.randperm(4), randomness="different")(cr.tensor(x))
    same = crf.vmap(lambda v: cr.randperm(4), randomness="same")(cr.tensor(x))
    np.testing.assert_array_equal(_np(same)[0], _np(same)[2])
