"""Gaps found by the round-33b compat programs (text CNN, GNN, REINFORCE, SimCLR, GPT), each
compared with PyTorch.

The main one: chainrule's random numbers were NumPy's (PCG64), so no program that draws — dropout
in train mode, Categorical.sample, torch.randn(generator=g), torch.multinomial — could be
compared with PyTorch, and ``torch.Generator`` did not exist. chainrule.random now draws as
PyTorch's CPU generator does (MT19937 and PyTorch's transformations), so the same seed gives the
same numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as CF

torch = pytest.importorskip("torch")
F = torch.nn.functional

DTYPES = [("float64", torch.float64, cr.float64), ("float32", torch.float32, cr.float32)]


def _np(t):
    return np.asarray(t.detach().numpy())


def same(a, b, dtype="float64", rtol=None):
    """Equal for integers; float64 draws to an ulp (NumPy's log1p, sin, cos may differ from
    PyTorch's in the last bit), float32 to a few (PyTorch's AVX2 normals approximate log, sin,
    cos), relative to the array's magnitude; ``rtol`` for results of longer computations."""
    a, b = _np(a), _np(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    if a.dtype.kind in "iub" or dtype == "exact":
        np.testing.assert_array_equal(a, b)
    else:
        rtol = rtol or (1e-15 if a.dtype == np.float64 else 1e-6)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max()))


# ----------------------------------------------------------------------------- the generator
@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 + 7, 67280421310721])
def test_manual_seed_rand_randn_randint_match_pytorch(seed):
    torch.manual_seed(seed)
    cr.manual_seed(seed)
    for _, td, cd in DTYPES:
        same(cr.rand(5, 3, dtype=cd), torch.rand(5, 3, dtype=td))
        same(cr.randn(7, dtype=cd), torch.randn(7, dtype=td))      # < 16: cached pairs
        same(cr.randn(3, dtype=cd), torch.randn(3, dtype=td))      # uses the cached value
        same(cr.randn(40, dtype=cd), torch.randn(40, dtype=td))    # the 16-block fill
        same(cr.randn(2, 16, dtype=cd), torch.randn(2, 16, dtype=td))
    same(cr.randint(3, 17, (50,)), torch.randint(3, 17, (50,)))
    same(cr.randint(10, (2, 3)), torch.randint(10, (2, 3)))
    same(cr.randint(0, 2**40, (5,)), torch.randint(0, 2**40, (5,)))
    same(cr.randperm(23), torch.randperm(23))
    assert cr.initial_seed() == torch.initial_seed() == seed


def test_generator_object_matches_pytorch():
    g, tg = cr.Generator().manual_seed(1234), torch.Generator().manual_seed(1234)
    assert cr.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    same(cr.randn(4, 20, generator=g), torch.randn(4, 20, generator=tg))
    same(cr.rand(9, generator=g, dtype=cr.float64), torch.rand(9, generator=tg,
                                                               dtype=torch.float64))
    same(cr.randint(-3, 4, (6,), generator=g), torch.randint(-3, 4, (6,), generator=tg))
    same(cr.randperm(12, generator=g), torch.randperm(12, generator=tg))
    same(cr.normal(0.5, 2.0, (3, 7), generator=g), torch.normal(0.5, 2.0, (3, 7), generator=tg))
    # the state is PyTorch's layout: it moves between the libraries
    state = g.get_state()
    assert state.dtype == cr.uint8 and tuple(state.shape) == (5056,)
    np.testing.assert_array_equal(state.numpy(), tg.get_state().numpy())
    g2 = cr.Generator().set_state(cr.from_numpy(tg.get_state().numpy()))
    same(cr.randn(5, generator=g2), torch.randn(5, generator=tg))
    # the default generator is untouched by draws from another
    cr.manual_seed(3)
    torch.manual_seed(3)
    cr.randn(10, generator=g)
    same(cr.rand(4), torch.rand(4))


def test_rng_state_round_trip_and_fork_rng():
    cr.manual_seed(7)
    torch.manual_seed(7)
    cr.randn(3)
    torch.randn(3)                                 # leaves a cached normal in both
    np.testing.assert_array_equal(cr.get_rng_state().numpy(), torch.get_rng_state().numpy())
    state = cr.get_rng_state()
    a = cr.randn(5)
    cr.set_rng_state(state)
    same(cr.randn(5), a)
    before = cr.get_rng_state()
    with cr.random.fork_rng():
        cr.rand(100)
    np.testing.assert_array_equal(cr.get_rng_state().numpy(), before.numpy())
    cr.set_rng_state(state)
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    same(cr.randn(6), torch.randn(6))
    with pytest.raises(RuntimeError, match="size"):
        cr.set_rng_state(cr.zeros(10, dtype=cr.uint8))


@pytest.mark.parametrize("name, td, cd", DTYPES)
def test_in_place_samplers_match_pytorch(name, td, cd):
    torch.manual_seed(11)
    cr.manual_seed(11)
    t, c = torch.empty(6, 5, dtype=td), cr.empty(6, 5, dtype=cd)
    same(c.uniform_(-0.37, 0.81), t.uniform_(-0.37, 0.81))
    same(c.normal_(0.1, 0.3), t.normal_(0.1, 0.3))
    same(c.exponential_(2.5), t.exponential_(2.5))
    same(c.bernoulli_(0.3), t.bernoulli_(0.3))
    same(c.random_(0, 9), t.random_(0, 9))
    same(c.random_(), t.random_())
    p, cp = torch.rand(6, 5, dtype=td), cr.rand(6, 5, dtype=cd)
    same(cp, p)
    same(c.bernoulli_(cp), t.bernoulli_(p))
    small_t, small_c = torch.empty(3, dtype=td), cr.empty(3, dtype=cd)
    same(small_c.normal_(), small_t.normal_())
    # a transposed view is filled in memory order, as PyTorch's TensorIterator visits it
    base_t, base_c = torch.empty(4, 20, dtype=td), cr.empty(4, 20, dtype=cd)
    same(base_c.t().uniform_(), base_t.t().uniform_())
    same(base_c, base_t)
    ints_t, ints_c = torch.empty(8, dtype=torch.int64), cr.empty(8, dtype=cr.int64)
    same(ints_c.random_(), ints_t.random_())
    same(ints_c.random_(100), ints_t.random_(100))


@pytest.mark.parametrize("name, td, cd", DTYPES)
def test_bernoulli_multinomial_match_pytorch(name, td, cd):
    torch.manual_seed(21)
    cr.manual_seed(21)
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.125, 0.125],
                          [0.7, 0.1, 0.1, 0.1]], dtype=td)
    cp = cr.from_numpy(probs.numpy())
    same(cr.bernoulli(cp), torch.bernoulli(probs))
    same(cr.bernoulli(cp, 0.6), torch.bernoulli(probs, 0.6))
    same(cr.multinomial(cp, 1), torch.multinomial(probs, 1))
    same(cr.multinomial(cp, 3), torch.multinomial(probs, 3))
    same(cr.multinomial(cp, 6, replacement=True), torch.multinomial(probs, 6, replacement=True))
    same(cr.multinomial(cp[0], 2), torch.multinomial(probs[0], 2))
    same(cp.multinomial(4, True), probs.multinomial(4, True))
    g, tg = cr.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    same(cr.multinomial(cp, 1, generator=g), torch.multinomial(probs, 1, generator=tg))
    with pytest.raises(RuntimeError):
        cr.multinomial(cr.tensor([[0.0, 0.0]]), 1)


@pytest.mark.parametrize("name, td, cd", DTYPES)
def test_dropout_masks_match_pytorch(name, td, cd):
    torch.manual_seed(13)
    cr.manual_seed(13)
    x, cx = torch.randn(7, 9, dtype=td), cr.randn(7, 9, dtype=cd)
    same(CF.dropout(cx, 0.3, True), F.dropout(x, 0.3, True), name)
    same(cr.nn.Dropout(0.5)(cx), torch.nn.Dropout(0.5)(x), name)
    x4 = torch.arange(96, dtype=td).view(2, 3, 4, 4)
    cx4 = cr.arange(96, dtype=cd).view(2, 3, 4, 4)
    same(CF.dropout2d(cx4, 0.4, True), F.dropout2d(x4, 0.4, True), name)
    same(cr.rand(3, dtype=cd), torch.rand(3, dtype=td))       # the streams are still in step


def test_distributions_sample_as_pytorch():
    D, TD = cr.distributions, torch.distributions
    torch.manual_seed(25)
    cr.manual_seed(25)
    p = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], dtype=torch.float64)
    cp = cr.from_numpy(p.numpy())
    tc, cc = TD.Categorical(probs=p), D.Categorical(probs=cp)
    for _ in range(4):
        same(cc.sample(), tc.sample())
    same(cc.sample((5,)), tc.sample((5,)))
    logits = torch.tensor([0.3, -1.2, 2.0, 0.1], dtype=torch.float64)
    same(D.Categorical(logits=cr.from_numpy(logits.numpy())).sample((2, 3)),
         TD.Categorical(logits=logits).sample((2, 3)))
    same(D.Bernoulli(probs=cp).sample((2,)), TD.Bernoulli(probs=p).sample((2,)))
    loc, scale = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    same(D.Normal(cr.from_numpy(loc.numpy()), cr.from_numpy(scale.numpy())).rsample((6,)),
         TD.Normal(loc, scale).rsample((6,)))
    same(D.Uniform(cr.from_numpy(loc.numpy()), cr.from_numpy(scale.numpy())).rsample((2,)),
         TD.Uniform(loc, scale).rsample((2,)))


def test_fill_and_where_keep_large_int64_values():
    """A fill value (and the drawn values an in-place sampler writes) kept their dtype only
    through float32: ``fill_(2**62 + 1)`` on an int64 tensor lost the low bits."""
    big = 7692698082559361259
    same(cr.zeros(3, dtype=cr.int64).fill_(big), torch.zeros(3, dtype=torch.int64).fill_(big))
    cond = [True, False]
    same(cr.where(cr.tensor(cond), 2**62 + 1, cr.zeros(2, dtype=cr.int64)),
         torch.where(torch.tensor(cond), 2**62 + 1, torch.zeros(2, dtype=torch.int64)))


# ----------------------------------------------------------------------------- DataLoader
def _loader_run(lib, n, bs, drop_last, shuffle, with_generator):
    lib.manual_seed(4)
    g = lib.Generator().manual_seed(9)
    data = lib.utils.data
    loader = data.DataLoader(data.TensorDataset(lib.arange(n)), batch_size=bs, shuffle=shuffle,
                             drop_last=drop_last, generator=g if with_generator else None)
    out = []
    for _ in range(2):
        for (x,) in loader:
            out.append(x.tolist())
            out.append(lib.rand(1, dtype=lib.float64).item())      # the streams stay in step
            out.append(lib.rand(1, generator=g, dtype=lib.float64).item())
    return out + [lib.rand(1, dtype=lib.float64).item(),
                  lib.rand(1, generator=g, dtype=lib.float64).item()]


@pytest.mark.parametrize("n, bs, drop_last", [(10, 4, False), (10, 4, True), (8, 4, False),
                                              (8, 4, True)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("with_generator", [False, True])
def test_dataloader_draws_as_pytorch(n, bs, drop_last, shuffle, with_generator):
    """Each iteration draws PyTorch's base seed (and, shuffling, the sampler's seed and
    randperm; from generator= its next randperm when the order runs out), so the orders and
    every draw after them agree with PyTorch's."""
    assert _loader_run(cr, n, bs, drop_last, shuffle, with_generator) == \
        _loader_run(torch, n, bs, drop_last, shuffle, with_generator)


def test_dataloader_with_seed_keeps_its_resumable_orders():
    data = cr.utils.data
    ds = data.TensorDataset(cr.arange(20))
    a = data.DataLoader(ds, batch_size=5, shuffle=True, seed=3)
    b = data.DataLoader(ds, batch_size=5, shuffle=True, seed=3)
    b.set_epoch(1)
    first, second = [list(a) for _ in range(2)]
    assert [x.tolist() for x, in second] == [x.tolist() for x, in b]
    assert a.state_dict()["base_seed"] == 3
    plain = data.DataLoader(ds, batch_size=5, shuffle=True)
    assert plain.state_dict()["base_seed"] is None
    plain.load_state_dict({"base_seed": 3, "epoch": 1})
    assert [x.tolist() for x, in plain] == [x.tolist() for x, in second]


# ----------------------------------------------------------------------------- Transformers
def _copy(cm, tm):
    cm.load_state_dict({k: cr.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_transformer_encoder_dropout_in_train_mode_matches_pytorch(norm_first, causal):
    """PyTorch's batch-first MultiheadAttention returns a transposed view of its (L, N, E)
    result, and dropout1's mask (empty_like, which keeps the layout) is drawn in that memory
    order: chainrule's output has the same layout and its masks follow memory order."""
    E, H, B, T = 8, 2, 2, 5
    kw = dict(dim_feedforward=16, dropout=0.3, activation="gelu", batch_first=True,
              norm_first=norm_first)
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, **kw), 2,
                                     enable_nested_tensor=False).double()
    cm = cr.nn.TransformerEncoder(cr.nn.TransformerEncoderLayer(E, H, **kw), 2,
                                  enable_nested_tensor=False).to(cr.float64)
    _copy(cm, tm)
    x = np.random.default_rng(0).normal(size=(B, T, E))
    tk = ck = {}
    if causal:
        tk = dict(mask=torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64),
                  is_causal=True)
        ck = dict(mask=cr.nn.Transformer.generate_square_subsequent_mask(T, dtype=cr.float64),
                  is_causal=True)
    torch.manual_seed(0)
    cr.manual_seed(0)
    xt, xc = torch.from_numpy(x).requires_grad_(), cr.tensor(x, requires_grad=True)
    a, b = tm(xt, **tk), cm(xc, **ck)
    same(b, a, rtol=1e-12)
    a.pow(2).sum().backward()
    b.pow(2).sum().backward()
    same(xc.grad, xt.grad, rtol=1e-10)
    same(cr.rand(3), torch.rand(3))


def test_transformer_decoder_layer_dropout_matches_pytorch():
    E, H, B, T, S = 8, 2, 2, 4, 5
    kw = dict(dim_feedforward=16, dropout=0.25, batch_first=True)
    tm = torch.nn.TransformerDecoderLayer(E, H, **kw).double()
    cm = cr.nn.TransformerDecoderLayer(E, H, **kw).to(cr.float64)
    _copy(cm, tm)
    rng = np.random.default_rng(1)
    tgt, mem = rng.normal(size=(B, T, E)), rng.normal(size=(B, S, E))
    torch.manual_seed(3)
    cr.manual_seed(3)
    same(cm(cr.from_numpy(tgt), cr.from_numpy(mem)),
         tm(torch.from_numpy(tgt), torch.from_numpy(mem)))


def _sampled(lib, kind, with_generator):
    lib.manual_seed(6)
    g = lib.Generator().manual_seed(1) if with_generator else None
    data = lib.utils.data
    ds = data.TensorDataset(lib.arange(10))
    sampler = {
        "random": lambda: data.RandomSampler(ds, generator=g),
        "replacement": lambda: data.RandomSampler(ds, replacement=True, num_samples=40,
                                                  generator=g),
        "more": lambda: data.RandomSampler(ds, num_samples=25, generator=g),
        "subset": lambda: data.SubsetRandomSampler([1, 3, 5, 7, 9], generator=g),
        "weighted": lambda: data.WeightedRandomSampler([0.1, 1.0, 0.0, 3.0, 2.0], 7,
                                                       generator=g),
        "weighted, no replacement": lambda: data.WeightedRandomSampler(
            [0.1, 1.0, 0.0, 3.0, 2.0], 3, replacement=False, generator=g),
    }[kind]()
    loader = data.DataLoader(ds, batch_size=3, sampler=sampler)
    out = []
    for _ in range(2):
        for (x,) in loader:
            out += [x.tolist(), lib.rand(1, dtype=lib.float64).item()]
    parts = data.random_split(ds, [0.3, 0.7], generator=g)
    return out + [[int(i) for i in part.indices] for part in parts]


@pytest.mark.parametrize("kind", ["random", "replacement", "more", "subset", "weighted",
                                  "weighted, no replacement"])
@pytest.mark.parametrize("with_generator", [False, True])
def test_samplers_and_random_split_draw_as_pytorch(kind, with_generator):
    assert _sampled(cr, kind, with_generator) == _sampled(torch, kind, with_generator)


@pytest.mark.parametrize("name, td, cd", DTYPES)
def test_alpha_dropout_rrelu_gumbel_softmax_draw_as_pytorch(name, td, cd):
    torch.manual_seed(2)
    cr.manual_seed(2)
    x = torch.linspace(-2, 2, 60, dtype=td).view(4, 3, 5)
    cx = cr.linspace(-2, 2, 60, dtype=cd).view(4, 3, 5)
    same(CF.alpha_dropout(cx, 0.3, True), F.alpha_dropout(x, 0.3, True), rtol=1e-6)
    same(CF.feature_alpha_dropout(cx, 0.3, True), F.feature_alpha_dropout(x, 0.3, True),
         rtol=1e-6)
    same(CF.rrelu(cx, 0.1, 0.3, True), F.rrelu(x, 0.1, 0.3, True), rtol=1e-6)
    logits, clogits = x.view(12, 5), cx.view(12, 5)
    same(CF.gumbel_softmax(clogits, tau=0.5), F.gumbel_softmax(logits, tau=0.5), rtol=1e-6)
    same(CF.gumbel_softmax(clogits, hard=True), F.gumbel_softmax(logits, hard=True))
    same(cr.rand(3, dtype=cd), torch.rand(3, dtype=td))
