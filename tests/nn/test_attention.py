"""scaled_dot_product_attention (the fused primitive) and nn.MultiheadAttention against PyTorch.

Outputs, attention weights and every gradient (inputs, parameters, float masks) equal PyTorch
2.13's with the same weights: float64 relative 1e-6, float32 relative 1e-4. Dropout is 0 or the
layer is in eval mode for the comparisons; dropout itself is checked by gradcheck with a fixed
seed (the same mask at every evaluation) and by its expectation.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.autograd.functional import grad as autograd_grad
from chainrule.nn import functional as F
from chainrule.ops.attention import ScaledDotProductAttention
from tests.nn.layer_harness import check_basics

TOL = {np.float64: dict(rtol=1e-6, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-5)}


def _close(a, b, dtype, what):
    a = a.numpy() if isinstance(a, cr.Tensor) else a
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


# ------------------------------------------------------------------ the functional form
def _sdpa_case(rng, batch, L, S, E, Ev, mask_kind, dtype):
    q = rng.standard_normal(batch + (L, E)).astype(dtype)
    k = rng.standard_normal(batch + (S, E)).astype(dtype)
    v = rng.standard_normal(batch + (S, Ev)).astype(dtype)
    mask = None
    if mask_kind == "bool":
        mask = rng.random((L, S)) < 0.7
        mask[:, 0] = True                               # no row masked everywhere here
    elif mask_kind == "float":
        mask = rng.standard_normal(batch[:1] + (1,) * (len(batch) - 1) + (L, S)).astype(dtype)
    return q, k, v, mask


@given(batch=st.sampled_from([(), (2,), (2, 3), (1, 2)]), L=st.integers(1, 5),
       S=st.integers(1, 6), E=st.integers(1, 4), Ev=st.integers(1, 3),
       mask_kind=st.sampled_from([None, "bool", "float", "causal"]),
       scale=st.sampled_from([None, 0.3]), seed=st.integers(0, 2 ** 16))
def test_sdpa_matches_torch(batch, L, S, E, Ev, mask_kind, scale, seed):
    dtype = np.float64
    rng = np.random.default_rng(seed)
    q, k, v, mask = _sdpa_case(rng, batch, L, S, E, Ev, mask_kind, dtype)
    causal = mask_kind == "causal"
    ours = [cr.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    float_mask = mask is not None and mask.dtype != bool
    cm = None if mask is None else cr.tensor(mask, requires_grad=float_mask)
    tm = None if mask is None else torch.tensor(mask, requires_grad=float_mask)
    out = F.scaled_dot_product_attention(*ours, attn_mask=cm, is_causal=causal, scale=scale)
    expected = TF.scaled_dot_product_attention(*theirs, attn_mask=tm, is_causal=causal,
                                               scale=scale)
    _close(out, expected, dtype, "forward")
    g = rng.standard_normal(out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for name, a, b in zip("qkv", ours, theirs):
        _close(a.grad, b.grad, dtype, f"gradient of {name}")
    if float_mask:
        _close(cm.grad, tm.grad, dtype, "gradient of the float mask")


def test_sdpa_float32_matches_torch():
    rng = np.random.default_rng(1)
    q, k, v, mask = _sdpa_case(rng, (4, 2), 16, 16, 8, 8, "bool", np.float32)
    ours = [cr.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask)
    expected = TF.scaled_dot_product_attention(*theirs, attn_mask=torch.tensor(mask))
    assert out.dtype == np.float32
    _close(out, expected, np.float32, "forward (float32)")
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        assert a.grad.dtype == np.float32
        _close(a.grad, b.grad, np.float32, "gradient (float32)")


def test_sdpa_fully_masked_rows_give_zero_like_torch():
    rng = np.random.default_rng(2)
    q, k, v, _ = _sdpa_case(rng, (2,), 3, 4, 5, 2, None, np.float64)
    mask = np.ones((3, 4), bool)
    mask[1] = False                                       # query 1 may attend to nothing
    ours = [cr.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    with np.errstate(all="raise"):                        # no nan or division warnings either
        out = F.scaled_dot_product_attention(*ours, attn_mask=mask)
        out.backward(np.ones(out.shape))
    expected = TF.scaled_dot_product_attention(*theirs, attn_mask=torch.tensor(mask))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    assert np.all(out.numpy()[:, 1] == 0) and np.all(ours[0].grad.numpy()[:, 1] == 0)
    _close(out, expected, np.float64, "forward")
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad, np.float64, "gradient")


def test_sdpa_gradcheck_with_float_mask_and_causal():
    rng = np.random.default_rng(3)
    q, k, v, mask = _sdpa_case(rng, (2,), 3, 4, 2, 3, "float", np.float64)
    assert cr.gradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m),
                        q, k, v, mask)
    assert cr.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                        q[:, :3], k[:, :3], v[:, :3])


def test_sdpa_dropout_gradcheck_with_a_fixed_mask():
    rng = np.random.default_rng(4)
    q, k, v, _ = _sdpa_case(rng, (2,), 3, 4, 2, 3, None, np.float64)

    def fn(a, b, c):
        cr.manual_seed(7)                                  # the same dropout mask every time
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4)

    assert cr.gradcheck(fn, q, k, v)


def test_sdpa_dropout_is_unbiased_and_p1_drops_everything():
    rng = np.random.default_rng(5)
    q, k, v, _ = _sdpa_case(rng, (), 2, 3, 2, 2, None, np.float64)
    cr.manual_seed(0)
    clean = F.scaled_dot_product_attention(q, k, v).numpy()
    mean = np.mean([F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
                    for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, clean, atol=0.05)
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy().any()


def test_sdpa_double_backward_matches_torch():
    rng = np.random.default_rng(6)
    q, k, v, mask = _sdpa_case(rng, (2,), 3, 4, 2, 3, "float", np.float64)
    ours = [cr.tensor(a, requires_grad=True) for a in (q, k, v, mask)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v, mask)]
    g = rng.standard_normal((2, 3, 3))
    w = [rng.standard_normal(a.shape) for a in (q, k, v, mask)]

    out = F.scaled_dot_product_attention(*ours[:3], attn_mask=ours[3])
    grads = autograd_grad(out, ours, cr.tensor(g), create_graph=True)
    total = sum((gi * wi).sum() for gi, wi in zip(grads, w))
    total.backward()

    tout = TF.scaled_dot_product_attention(*theirs[:3], attn_mask=theirs[3])
    tgrads = torch.autograd.grad(tout, theirs, torch.tensor(g), create_graph=True)
    ttotal = sum((gi * torch.tensor(wi)).sum() for gi, wi in zip(tgrads, w))
    ttotal.backward()
    for a, b in zip(grads, tgrads):
        _close(a, b, np.float64, "first derivative")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        _close(a.grad, b.grad, np.float64, f"second derivative w.r.t. input {i}")


@pytest.mark.parametrize("shapes", [((8, 4), (8, 1), (1, 4), (8, 1)),
                                    ((1, 16), (1, 16), (1, 16), ())])
def test_sdpa_threaded_blocks_match_torch_and_the_serial_kernel(shapes, monkeypatch):
    """Big enough for the kernels to split the batch over threads (broadcast operands too)."""
    from chainrule.ops import attention as A

    (bq, bk, bv, bm), L, E = shapes, 128, 8
    assert np.prod(np.broadcast_shapes(bq, bk, bv)) * L * L >= A._MIN_PARALLEL
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal(b + (L, E)) for b in (bq, bk, bv)] + \
        [rng.standard_normal(bm + (L, L))]
    g = rng.standard_normal(np.broadcast_shapes(bq, bk, bv) + (L, E))

    def run(module):
        ts = [module.tensor(a, requires_grad=True) for a in arrays]
        if module is cr:
            out = F.scaled_dot_product_attention(*ts[:3], attn_mask=ts[3])
            out.backward(g)
        else:
            out = TF.scaled_dot_product_attention(*ts[:3], attn_mask=ts[3])
            out.backward(torch.tensor(g))
        return [out] + [t.grad for t in ts]

    threaded, expected = run(cr), run(torch)
    for a, b in zip(threaded, expected):
        _close(a, b, np.float64, "threaded kernel vs PyTorch")
    monkeypatch.setattr(A, "_MIN_PARALLEL", 1 << 60)          # one call, no threads
    for a, b in zip(threaded, run(cr)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sdpa_errors_name_shapes():
    q = cr.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"attn_mask has shape \(5, 5\).*\(2, 3, 3\).*\(3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((5, 5), bool))
    with pytest.raises(ValueError, match="either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ValueError, match="query has 4 features and key 5"):
        F.scaled_dot_product_attention(q, cr.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match="key has 3 positions and value 6"):
        F.scaled_dot_product_attention(q, q, cr.randn(2, 6, 4))
    with pytest.raises(TypeError, match="boolean or floating"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), np.int64))
    with pytest.raises(NotImplementedError, match="enable_gqa"):
        F.scaled_dot_product_attention(q, q, q, enable_gqa=True)


def test_sdpa_formula_states_the_mathematics():
    f = ScaledDotProductAttention.formula()
    assert "softmax" in f.forward.text and "rowsum" in f.derivative.text
    assert r"\sqrt{E}" in f.forward.latex
    assert cr.formula("scaled_dot_product_attention") == f


# ------------------------------------------------------------------ MultiheadAttention
def _mha_pair(E, H, dtype, seed=0, **kw):
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(E, H, **kw).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    ours = nn.MultiheadAttention(E, H, **kw).to(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _compare_mha(ours, theirs, q, k, v, dtype, train=False, **kw):
    """Outputs, weights and the gradients of ⟨out, g⟩ + ⟨weights, h⟩ for inputs, parameters and
    float masks equal PyTorch's."""
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(11)
    same = q is k and k is v
    ci = [cr.tensor(a, requires_grad=True) for a in ((q,) if same else (q, k, v))]
    ti = [torch.tensor(a, requires_grad=True) for a in ((q,) if same else (q, k, v))]
    c_args, t_args = (ci * 3, ti * 3) if same else (ci, ti)
    c_kw, t_kw = {}, {}
    masks = []
    for name, value in kw.items():
        if isinstance(value, np.ndarray):
            grad = value.dtype != bool
            c_kw[name] = cr.tensor(value, requires_grad=grad)
            t_kw[name] = torch.tensor(value, requires_grad=grad)
            if grad:
                masks.append(name)
        else:
            c_kw[name] = t_kw[name] = value
    out, w = ours(*c_args, **c_kw)
    tout, tw = theirs(*t_args, **t_kw)
    _close(out, tout, dtype, "attn_output")
    assert (w is None) == (tw is None)
    g = rng.standard_normal(out.shape).astype(dtype)
    loss = (out * g).sum()
    tloss = (tout * torch.tensor(g)).sum()
    if w is not None:
        _close(w, tw, dtype, "attn_weights")
        h = rng.standard_normal(w.shape).astype(dtype)
        loss = loss + (w * h).sum()
        tloss = tloss + (tw * torch.tensor(h)).sum()
    loss.backward()
    tloss.backward()
    for i, (a, b) in enumerate(zip(ci, ti)):
        _close(a.grad, b.grad, dtype, f"gradient of input {i}")
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, tparams[name].grad, dtype, f"gradient of {name}")
    for name in masks:
        _close(c_kw[name].grad, t_kw[name].grad, dtype, f"gradient of the float {name}")


def _inputs(rng, N, L, S, E, dtype, batch_first, kdim=None, vdim=None):
    def make(length, d):
        shape = (N, length, d) if batch_first else (length, N, d)
        return rng.standard_normal(shape).astype(dtype)
    return make(L, E), make(S, kdim or E), make(S, vdim or E)


MASKS = {
    "none": lambda rng, N, H, L, S: {},
    "attn_bool": lambda rng, N, H, L, S: {"attn_mask": _bool_mask(rng, (L, S))},
    "attn_float": lambda rng, N, H, L, S: {"attn_mask": rng.standard_normal((L, S))},
    "attn_3d": lambda rng, N, H, L, S: {"attn_mask": _bool_mask(rng, (N * H, L, S))},
    "kpm_bool": lambda rng, N, H, L, S: {"key_padding_mask": _padding(N, S)},
    "kpm_float": lambda rng, N, H, L, S: {"key_padding_mask": rng.standard_normal((N, S))},
    "both": lambda rng, N, H, L, S: {"attn_mask": _bool_mask(rng, (L, S)),
                                     "key_padding_mask": _padding(N, S)},
}


def _bool_mask(rng, shape):
    m = rng.random(shape) < 0.3          # True = not allowed (MultiheadAttention's convention)
    m[..., 0] = False                    # every query keeps at least one key
    return m


def _padding(N, S):
    m = np.zeros((N, S), bool)
    for n in range(N):
        m[n, S - n % S:] = True          # sequence n has n padded positions (at most S − 1)
    m[:, 0] = False
    return m


@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch_with_masks(mask, batch_first, need_weights):
    dtype = np.float64
    rng = np.random.default_rng(hash((mask, batch_first, need_weights)) % 2 ** 32)
    N, L, S, E, H = 3, 4, 5, 8, 2
    ours, theirs = _mha_pair(E, H, dtype, batch_first=batch_first)
    q, k, v = _inputs(rng, N, L, S, E, dtype, batch_first)
    kw = {name: (m.astype(dtype) if m.dtype != bool else m)
          for name, m in MASKS[mask](rng, N, H, L, S).items()}
    _compare_mha(ours, theirs, q, k, v, dtype, need_weights=need_weights, **kw)


@pytest.mark.parametrize("options", [
    dict(bias=False), dict(kdim=5, vdim=3), dict(add_bias_kv=True), dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=7)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_options_match_torch(options, batch_first):
    dtype = np.float64
    rng = np.random.default_rng(21)
    N, L, S, E, H = 2, 3, 4, 6, 3
    ours, theirs = _mha_pair(E, H, dtype, batch_first=batch_first, **options)
    q, k, v = _inputs(rng, N, L, S, E, dtype, batch_first, options.get("kdim"),
                      options.get("vdim"))
    kpm = _padding(N, S)
    _compare_mha(ours, theirs, q, k, v, dtype, key_padding_mask=kpm,
                 attn_mask=_bool_mask(rng, (L, S)))
    _compare_mha(ours, theirs, q, k, v, dtype, key_padding_mask=kpm, need_weights=False)


def test_mha_self_attention_causal_unaveraged_weights_and_float32():
    rng = np.random.default_rng(22)
    N, L, E, H = 2, 5, 8, 4
    causal = np.triu(np.ones((L, L), bool), 1)
    for dtype in (np.float64, np.float32):
        ours, theirs = _mha_pair(E, H, dtype, batch_first=True)
        x = rng.standard_normal((N, L, E)).astype(dtype)
        _compare_mha(ours, theirs, x, x, x, dtype, attn_mask=causal, is_causal=True,
                     need_weights=False)
        _compare_mha(ours, theirs, x, x, x, dtype, attn_mask=causal, is_causal=True,
                     average_attn_weights=False)


def test_mha_unbatched_matches_torch():
    rng = np.random.default_rng(23)
    L, S, E, H = 3, 4, 6, 2
    ours, theirs = _mha_pair(E, H, np.float64)
    q, k, v = (rng.standard_normal((n, E)) for n in (L, S, S))
    kpm = np.array([False, False, True, False])
    _compare_mha(ours, theirs, q, k, v, np.float64, key_padding_mask=kpm)
    mask3 = _bool_mask(rng, (H, L, S))
    _compare_mha(ours, theirs, q, k, v, np.float64, attn_mask=mask3, need_weights=False)


def test_mha_eval_mode_ignores_dropout_and_training_uses_it():
    rng = np.random.default_rng(24)
    ours, theirs = _mha_pair(8, 2, np.float64, dropout=0.5, batch_first=True)
    x = rng.standard_normal((2, 5, 8))
    _compare_mha(ours, theirs, x, x, x, np.float64, train=False)
    ours.train()
    cr.manual_seed(0)
    a = ours(x, x, x, need_weights=False)[0].numpy()
    b = ours(x, x, x, need_weights=False)[0].numpy()
    assert not np.allclose(a, b)


def test_mha_fully_masked_rows_follow_torch():
    """PyTorch gives nan rows with need_weights=True (an explicit softmax of all −∞) and 0 rows
    with need_weights=False (the fused kernel); chainrule does the same."""
    rng = np.random.default_rng(25)
    ours, theirs = _mha_pair(4, 2, np.float64)
    x = rng.standard_normal((3, 2, 4))
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True
    for need in (True, False):
        out = ours(x, x, x, key_padding_mask=kpm, need_weights=need)[0].numpy()
        expected = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm),
                          need_weights=need)[0].detach().numpy()
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
        np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(expected), rtol=1e-6)


def test_mha_gradcheck():
    rng = np.random.default_rng(26)

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(4, 2, batch_first=True, kdim=3, vdim=2)

        def forward(self, q, k, v):
            return self.mha(q, k, v, key_padding_mask=np.array([[False, False, True]] * 2),
                            need_weights=False)[0]

    layer = Wrapped().double()
    q, k, v = (rng.standard_normal(s) for s in ((2, 2, 4), (2, 3, 3), (2, 3, 2)))
    assert cr.gradcheck(lambda q, k, v: layer(q, k, v), q, k, v)
    mha = layer.mha

    def with_params(wq, wk, wv, b):
        mha._parameters.update(q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv,
                               in_proj_bias=b)
        return mha(cr.tensor(q), cr.tensor(k), cr.tensor(v), need_weights=True)[1]

    originals = {n: mha._parameters[n] for n in ("q_proj_weight", "k_proj_weight",
                                                  "v_proj_weight", "in_proj_bias")}
    try:
        assert cr.gradcheck(with_params, *[p.numpy().copy() for p in originals.values()])
    finally:
        mha._parameters.update(originals)


def test_mha_parameter_names_and_torch_weights_load():
    for kw in ({}, dict(kdim=3, vdim=5), dict(bias=False), dict(add_bias_kv=True)):
        ours, theirs = nn.MultiheadAttention(6, 2, **kw), torch.nn.MultiheadAttention(6, 2, **kw)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():
            assert ours.state_dict()[key].shape == tuple(value.shape), key
    class OutputOnly(nn.MultiheadAttention):
        def forward(self, *args, **kwargs):
            return super().forward(*args, **kwargs)[0]

    check_basics(lambda: OutputOnly(4, 2, batch_first=True),
                 np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 4)),
                 torch_factory=lambda: torch.nn.MultiheadAttention(4, 2))


def test_mha_default_init_like_torch():
    cr.manual_seed(0)
    mha = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))               # xavier_uniform_ over (3E, E)
    assert np.abs(mha.in_proj_weight.numpy()).max() <= bound
    assert np.abs(mha.in_proj_weight.numpy()).max() > 0.9 * bound
    assert not mha.in_proj_bias.numpy().any() and not mha.out_proj.bias.numpy().any()
    assert mha.in_proj_weight.dtype == np.float32


def test_mha_errors_are_clear():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = cr.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"attn_mask has shape \(2, 2\), expected \(3, 3\)"):
        mha(x, x, x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match=r"\(4, 3, 3\) = \(batch·num_heads, L, S\)"):
        mha(x, x, x, attn_mask=np.zeros((3, 3, 3), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(3, 2\), expected "
                                         r"\(2, 3\)"):
        mha(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match="query has 5 features.*embed_dim = 4"):
        mha(cr.randn(2, 3, 5), x, x)
    with pytest.raises(ValueError, match="3-D"):
        mha(cr.randn(3), x, x)
    with pytest.raises(RuntimeError, match="is_causal=True.*needs attn_mask"):
        mha(x, x, x, is_causal=True)


def test_mha_formula_mentions_heads_and_sizes():
    text = str(nn.MultiheadAttention(64, 8).formula())
    assert "√8" in text and "softmax" in text and "ℝ^{64×64}" in text


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", ["inference", "float mask", "not self-attention", "train",
                                  "grad", "odd heads", "need_weights"])
def test_fully_masked_query_in_inference_as_pytorch(case):
    """A query whose keys are all padding: PyTorch's fused inference kernel (self-attention,
    eval mode, no gradient, boolean masks, even heads) gives NaN, its ordinary route with
    need_weights=False gives 0, and need_weights=True gives NaN; chainrule gives the same."""
    torch.manual_seed(0)
    heads = 1 if case == "odd heads" else 2
    theirs = torch.nn.MultiheadAttention(4, heads, batch_first=True).double()
    ours = nn.MultiheadAttention(4, heads, batch_first=True).to(np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    theirs.train(case == "train")
    ours.train(case == "train")
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    pad = np.array([[True, True, True], [False, False, True]])
    if case == "float mask":
        pad = np.where(pad, -np.inf, 0.0)
    outs = []
    for lib, layer in ((torch, theirs), (cr, ours)):
        q = lib.tensor(x)
        k = lib.tensor(x) if case == "not self-attention" else q
        with lib.set_grad_enabled(case == "grad"):
            y = layer(q, k, k, key_padding_mask=lib.tensor(pad),
                      need_weights=case == "need_weights")[0]
        outs.append(y.detach().numpy())
    assert np.isnan(outs[0][0]).all() == (case in ("inference", "need_weights"))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-9, atol=1e-12)
