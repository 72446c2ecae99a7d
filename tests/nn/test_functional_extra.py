"""nn.functional breadth against PyTorch 2.13 (float64 unless stated): pad in every mode,
interpolate in every mode (and nn.Upsample*), unfold/fold (and nn.Unfold/Fold), pixel
(un)shuffle, normalize, one_hot, embedding, cosine_similarity, pairwise_distance,
dropout1d/3d — values, gradients, gradcheck, double backward and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from nn.layer_harness import check_against_torch, check_basics

RTOL, ATOL = 1e-10, 1e-12


def _compare(cr_fn, t_fn, *xs, rtol=RTOL, atol=ATOL, grad=True, seed=0):
    """Values, dtype, shape and (for float inputs) the gradient of ⟨w, f(x)⟩ equal PyTorch's."""
    rg = [grad and np.asarray(x).dtype.kind == "f" for x in xs]
    a = [cr.tensor(x, requires_grad=r) for x, r in zip(xs, rg)]
    t = [torch.tensor(x, requires_grad=r) for x, r in zip(xs, rg)]
    y, ty = cr_fn(*a), t_fn(*t)
    assert tuple(y.shape) == tuple(ty.shape), (tuple(y.shape), tuple(ty.shape))
    assert str(y.dtype).replace("torch.", "") == str(ty.dtype).replace("torch.", "")
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    if any(rg):
        w = np.random.default_rng(seed).standard_normal(tuple(ty.shape))
        (y * cr.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
        for p, q, r in zip(a, t, rg):
            if r:
                # an empty output passes no gradient: zeros (PyTorch's pad backward leaves the
                # gradient's memory uninitialised then, so it is not the oracle for that case)
                expected = np.zeros(p.shape) if ty.numel() == 0 else q.grad.numpy()
                np.testing.assert_allclose(p.grad.numpy(), expected, rtol=rtol, atol=atol)


def _double_backward(cr_fn, t_fn, x, rtol=1e-9, atol=1e-12, seed=1):
    """∂⟨∂⟨w, f(x)³⟩/∂x, v⟩/∂x equals PyTorch's (the backward is itself differentiable)."""
    rng = np.random.default_rng(seed)
    a, t = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = cr_fn(a)
    w = rng.standard_normal(tuple(y.shape))
    v = rng.standard_normal(x.shape)
    (g,) = cr.autograd.grad((y ** 3 * cr.tensor(w)).sum(), [a], create_graph=True)
    (tg,) = torch.autograd.grad((t_fn(t) ** 3 * torch.tensor(w)).sum(), [t], create_graph=True)
    (gg,) = cr.autograd.grad((g * cr.tensor(v)).sum(), [a])
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [t])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------ pad
@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    if mode == "constant":
        ndim = draw(st.integers(1, 4))
        shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
        k = draw(st.integers(0, ndim))
    else:
        k = draw(st.integers(1, 3))
        ndim = k + draw(st.integers(1, 2))
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    pad = []
    for j in range(k):
        n = shape[ndim - 1 - j]
        low = -(n // 2)
        high = {"reflect": n - 1, "circular": n}.get(mode, 3)
        pad += [draw(st.integers(low, max(low, high - n // 2 if mode != "constant" else high)))
                for _ in range(2)]
    value = draw(st.sampled_from([None, 0.0, 1.5])) if mode == "constant" else None
    return shape, tuple(pad), mode, value


@settings(max_examples=150, deadline=None)
@given(case=pad_cases(), seed=st.integers(0, 1000))
def test_pad_matches_torch(case, seed):
    shape, pad, mode, value = case
    x = np.random.default_rng(seed).standard_normal(shape)
    kw = {} if value is None else {"value": value}
    try:
        expected_error = None
        TF.pad(torch.tensor(x), pad, mode, **kw)
    except RuntimeError as e:
        expected_error = e
    if expected_error is not None:
        with pytest.raises(RuntimeError):
            F.pad(cr.tensor(x), pad, mode, **kw)
        return
    _compare(lambda t: F.pad(t, pad, mode, **kw), lambda t: TF.pad(t, pad, mode, **kw), x)


def test_pad_gradients_accumulate_into_source_positions():
    x = np.arange(1.0, 5.0)[None, None]
    for mode in ("reflect", "replicate", "circular"):
        a = cr.tensor(x, requires_grad=True)
        F.pad(a, (3, 3), mode).sum().backward()
        t = torch.tensor(x, requires_grad=True)
        TF.pad(t, (3, 3), mode).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
        assert a.grad.numpy().sum() == 10.0


def test_pad_constant_on_integers_and_0d():
    _compare(lambda t: F.pad(t, (1, 2, 0, 1), value=3), lambda t: TF.pad(t, (1, 2, 0, 1), value=3),
             np.arange(6).reshape(2, 3))
    _compare(lambda t: F.pad(t, ()), lambda t: TF.pad(t, ()), np.array(2.0))


def test_pad_is_twice_differentiable():
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert cr.gradcheck(lambda t, m=mode: F.pad(t, (1, 2, 2, 1), m) ** 2, x)
        _double_backward(lambda t, m=mode: F.pad(t, (1, 2, 2, 1), m),
                         lambda t, m=mode: TF.pad(t, (1, 2, 2, 1), m), x)


@pytest.mark.parametrize("args,kw,error", [
    (((1,),), {}, RuntimeError),
    (((1, 1, 1, 1, 1, 1),), {}, RuntimeError),
    (((1, 1),), {"mode": "reflect", "value": 1.0}, RuntimeError),
    (((4, 1),), {"mode": "reflect"}, RuntimeError),
    (((5, 1),), {"mode": "circular"}, RuntimeError),
    (((1, 1, 1, 1),), {"mode": "reflect"}, NotImplementedError),
    (((1, 1),), {"mode": "foo"}, NotImplementedError),
    (((-3, -2),), {}, RuntimeError),
])
def test_pad_errors_match_torch(args, kw, error):
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(error):
        TF.pad(torch.tensor(x), *args, **kw)
    with pytest.raises(error, match="pad"):
        F.pad(cr.tensor(x), *args, **kw)


# ------------------------------------------------------------------------------------ interpolate
MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1, "bilinear": 2,
         "bicubic": 2, "trilinear": 3}


@st.composite
def interpolate_cases(draw):
    mode = draw(st.sampled_from(sorted(MODES)))
    nd = MODES[mode] or draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 6), min_size=nd, max_size=nd)))
    kw = {}
    if draw(st.booleans()):
        kw["size"] = tuple(draw(st.lists(st.integers(1, 9), min_size=nd, max_size=nd)))
        if nd == 1 or draw(st.booleans()) and len(set(kw["size"])) == 1:
            kw["size"] = kw["size"][0]
    else:
        factors = draw(st.lists(st.sampled_from([0.5, 1.0, 4 / 3, 1.5, 2.0, 2.7, 3.0]),
                                min_size=nd, max_size=nd))
        if any(int(np.floor(d * f)) < 1 for d, f in zip(spatial, factors)):
            factors = [2.0] * nd
        kw["scale_factor"] = tuple(factors) if draw(st.booleans()) else factors[0]
        if isinstance(kw["scale_factor"], float):
            kw["scale_factor"] = factors[0]
            if any(int(np.floor(d * factors[0])) < 1 for d in spatial):
                kw["scale_factor"] = 2.0
        if draw(st.booleans()):
            kw["recompute_scale_factor"] = True
    if mode not in ("nearest", "nearest-exact", "area"):
        kw["align_corners"] = draw(st.booleans())
    return mode, (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial, kw


@settings(max_examples=200, deadline=None)
@given(case=interpolate_cases(), seed=st.integers(0, 1000))
def test_interpolate_matches_torch(case, seed):
    mode, shape, kw = case
    x = np.random.default_rng(seed).standard_normal(shape)
    _compare(lambda t: F.interpolate(t, mode=mode, **kw),
             lambda t: TF.interpolate(t, mode=mode, **kw), x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_interpolate_float32_keeps_dtype_and_matches_torch(mode):
    nd = MODES[mode] or 2
    x = np.random.default_rng(1).standard_normal((2, 3) + (5,) * nd).astype(np.float32)
    for kw in ({"size": 7}, {"scale_factor": 1.7}, {"size": 3}):
        if mode not in ("nearest", "nearest-exact", "area"):
            kw["align_corners"] = False
        _compare(lambda t, k=kw: F.interpolate(t, mode=mode, **k),
                 lambda t, k=kw: TF.interpolate(t, mode=mode, **k), x, rtol=1e-5, atol=1e-6)


def test_nearest_indices_match_torch_for_many_sizes():
    """The nearest source index uses PyTorch's float32 arithmetic: check every size pair."""
    for n_in in range(1, 24):
        x = np.arange(float(n_in))[None, None]
        for n_out in range(1, 40):
            for mode in ("nearest", "nearest-exact"):
                y = F.interpolate(cr.tensor(x), size=n_out, mode=mode).numpy()
                ty = TF.interpolate(torch.tensor(x), size=n_out, mode=mode).numpy()
                np.testing.assert_array_equal(y, ty, err_msg=f"{mode} {n_in}→{n_out}")
        for factor in (0.3, 0.7, 1.1, 1 / 3, 2.5, 3.3):
            if int(n_in * factor) < 1:
                continue
            y = F.interpolate(cr.tensor(x), scale_factor=factor).numpy()
            ty = TF.interpolate(torch.tensor(x), scale_factor=factor).numpy()
            np.testing.assert_array_equal(y, ty, err_msg=f"nearest {n_in}×{factor}")


@pytest.mark.parametrize("mode,nd", [("bilinear", 2), ("bicubic", 2), ("nearest", 2),
                                     ("trilinear", 3), ("linear", 1), ("area", 2)])
def test_interpolate_gradcheck_and_double_backward(mode, nd):
    x = np.random.default_rng(2).standard_normal((1, 2) + (3,) * nd)
    kw = {"align_corners": True} if mode in ("bilinear", "bicubic", "trilinear", "linear") else {}
    size = (5,) * nd
    assert cr.gradcheck(lambda t: F.interpolate(t, size=size, mode=mode, **kw) ** 2, x)
    _double_backward(lambda t: F.interpolate(t, size=size, mode=mode, **kw),
                     lambda t: TF.interpolate(t, size=size, mode=mode, **kw), x)


@pytest.mark.parametrize("kw,error", [
    ({"size": 4, "scale_factor": 2.0}, ValueError),
    ({}, ValueError),
    ({"size": 4, "mode": "nearest", "align_corners": True}, ValueError),
    ({"size": 4, "mode": "bilinear"}, NotImplementedError),
    ({"size": 4, "mode": "foo"}, NotImplementedError),
    ({"size": (4, 4)}, ValueError),
    ({"size": 4, "recompute_scale_factor": True}, ValueError),
])
def test_interpolate_errors_match_torch(kw, error):
    x = np.zeros((1, 2, 3))
    with pytest.raises(error):
        TF.interpolate(torch.tensor(x), **kw)
    with pytest.raises(error, match="interpolate"):
        F.interpolate(cr.tensor(x), **kw)


@pytest.mark.parametrize("factory", [
    lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(5, 3), mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
    lambda nn: nn.UpsamplingNearest2d(size=7), lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
    lambda nn: nn.PixelShuffle(2), lambda nn: nn.PixelUnshuffle(2),
    lambda nn: nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=2),
])
def test_resampling_modules_match_torch(factory):
    x = np.random.default_rng(3).standard_normal((2, 4, 4, 6))
    cr_layer, torch_layer = factory(cr.nn), factory(torch.nn)
    check_against_torch(cr_layer, torch_layer, x, rtol=1e-10, atol=1e-12)
    assert repr(cr_layer) == repr(torch_layer)
    check_basics(lambda: factory(cr.nn), x)


def test_fold_module_matches_torch():
    x = np.random.default_rng(4).standard_normal((2, 3 * 4, 9))
    factory = lambda nn: nn.Fold((4, 5), (2, 2), padding=(0, 1), stride=(1, 2))  # noqa: E731
    check_against_torch(factory(cr.nn), factory(torch.nn), x, rtol=1e-10, atol=1e-12)
    assert repr(factory(cr.nn)) == repr(factory(torch.nn))
    check_basics(lambda: factory(cr.nn), x)


# ------------------------------------------------------------------------------------ unfold/fold
@st.composite
def block_cases(draw):
    k = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    d = tuple(draw(st.lists(st.integers(1, 2), min_size=2, max_size=2)))
    p = tuple(draw(st.lists(st.integers(0, 2), min_size=2, max_size=2)))
    s = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    size = tuple(max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 4))
                 for kk, dd, pp in zip(k, d, p))
    lead = draw(st.sampled_from([(), (1,), (2,)]))
    return lead, draw(st.integers(1, 3)), size, k, d, p, s


@settings(max_examples=100, deadline=None)
@given(case=block_cases(), seed=st.integers(0, 1000))
def test_unfold_and_fold_match_torch(case, seed):
    lead, c, size, k, d, p, s = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + (c,) + size)
    _compare(lambda t: F.unfold(t, k, d, p, s), lambda t: TF.unfold(t, k, d, p, s), x)
    blocks = TF.unfold(torch.tensor(x), k, d, p, s).shape[-1]
    y = rng.standard_normal(lead + (c * k[0] * k[1], blocks))
    _compare(lambda t: F.fold(t, size, k, d, p, s), lambda t: TF.fold(t, size, k, d, p, s), y)


def test_fold_is_the_adjoint_of_unfold_and_both_are_twice_differentiable():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 5, 4))
    geometry = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    u = F.unfold(cr.tensor(x), **geometry)
    y = rng.standard_normal(tuple(u.shape))
    lhs = float((u * cr.tensor(y)).sum())
    rhs = float((cr.tensor(x) * F.fold(cr.tensor(y), (5, 4), **geometry)).sum())
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))
    _double_backward(lambda t: F.unfold(t, **geometry), lambda t: TF.unfold(t, **geometry), x)
    _double_backward(lambda t: F.fold(t, (5, 4), **geometry),
                     lambda t: TF.fold(t, (5, 4), **geometry), y)


def test_unfold_fold_errors():
    with pytest.raises(RuntimeError, match="unfold"):
        F.unfold(cr.tensor(np.zeros((1, 1, 2, 2))), 3)
    with pytest.raises(RuntimeError, match="fold"):
        F.fold(cr.tensor(np.zeros((1, 4, 5))), (3, 3), 2)
    with pytest.raises(NotImplementedError, match="unfold"):
        F.unfold(cr.tensor(np.zeros((2, 2))), 1)


# ------------------------------------------------------------------------------------ pixel shuffle
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((12, 1, 1), 2), ((2, 1, 9, 2, 3), 3),
                                     ((0, 4, 2, 2), 2), ((1, 3, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle_match_torch(shape, r):
    x = np.random.default_rng(6).standard_normal(shape)
    grad = x.size > 0   # PyTorch 2.13's pixel_shuffle backward fails on an empty batch
    _compare(lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r), x, grad=grad)
    y = TF.pixel_shuffle(torch.tensor(x), r).numpy()
    if x.size:
        _compare(lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r), y)
    else:   # PyTorch 2.13 returns an empty input's shape unchanged; chainrule's is the true one
        assert tuple(F.pixel_unshuffle(cr.tensor(y), r).shape) == shape
    np.testing.assert_array_equal(
        cr.pixel_unshuffle(cr.pixel_shuffle(cr.tensor(x), r), r).numpy(), x)


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="pixel_shuffle"):
        F.pixel_shuffle(cr.tensor(np.zeros((1, 3, 2, 2))), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle"):
        F.pixel_unshuffle(cr.tensor(np.zeros((1, 3, 3, 2))), 2)


# ------------------------------------------------------------------------------------ vectors
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, -1), (3.0, 0), (float("inf"), 1)])
def test_normalize_matches_torch(p, dim):
    x = np.random.default_rng(7).standard_normal((3, 4, 2))
    x[0, :, 0] = 0.0                      # a zero vector: the eps clamp, gradient finite
    _compare(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim), x)


@pytest.mark.parametrize("s1,s2,dim", [((3, 4), (3, 4), 1), ((2, 3, 4), (1, 3, 4), -1),
                                       ((5,), (5,), 0), ((2, 3), (3,), 1)])
def test_cosine_similarity_matches_torch(s1, s2, dim):
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    _compare(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: TF.cosine_similarity(
        x, y, dim), a, b)
    tiny = 1e-10 * a                       # norms below eps: clamped in value only
    _compare(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: TF.cosine_similarity(
        x, y, dim), tiny, b)


@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3.0, False)])
def test_pairwise_distance_matches_torch(p, keepdim):
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    _compare(lambda x, y: F.pairwise_distance(x, y, p, keepdim=keepdim),
             lambda x, y: TF.pairwise_distance(x, y, p, keepdim=keepdim), a, b)
    _compare(lambda x, y: cr.nn.PairwiseDistance(p, keepdim=keepdim)(x, y),
             lambda x, y: torch.nn.PairwiseDistance(p, keepdim=keepdim)(x, y), a, b)
    _compare(lambda x, y: cr.nn.CosineSimilarity(0)(x, y),
             lambda x, y: torch.nn.CosineSimilarity(0)(x, y), a, b)


def test_one_hot_matches_torch():
    i = np.array([[0, 3], [2, 1]])
    for n in (-1, 4, 6):
        _compare(lambda t, n=n: F.one_hot(t, n), lambda t, n=n: TF.one_hot(t, n), i)
    for bad in (np.array([0, 4]), np.array([-1, 0])):
        with pytest.raises(RuntimeError):
            TF.one_hot(torch.tensor(bad), 4)
        with pytest.raises(RuntimeError, match="one_hot"):
            F.one_hot(cr.tensor(bad), 4)
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(cr.tensor(np.array([], dtype=np.int64)))


def test_embedding_takes_input_then_weight_like_torch():
    rng = np.random.default_rng(10)
    w = rng.standard_normal((5, 3))
    i = np.array([[0, 4, 4], [2, 1, 0]])
    _compare(lambda a, b: F.embedding(a, b, padding_idx=4),
             lambda a, b: TF.embedding(a, b, padding_idx=4), i, w)


@pytest.mark.parametrize("name,shape,nd", [("dropout1d", (4, 5, 6), 1),
                                           ("dropout3d", (2, 3, 2, 2, 2), 3),
                                           ("dropout1d", (5, 6), 1)])
def test_channel_dropout_zeroes_whole_channels(name, shape, nd):
    cr.manual_seed(0)
    y = getattr(F, name)(cr.tensor(np.ones(shape)), p=0.5).numpy()
    flat = y.reshape(y.shape[:y.ndim - nd] + (-1,))
    assert set(np.unique(flat)) <= {0.0, 2.0}
    assert np.all(flat.min(-1) == flat.max(-1))
    x = cr.tensor(np.ones(shape))
    assert getattr(F, name)(x, 0.5, training=False) is x
    with pytest.raises(RuntimeError, match=name):
        getattr(F, name)(cr.tensor(np.ones((2,) * (nd + 3))), 0.5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_non_finite_inputs_stay_local_like_torch(mode):
    """A non-finite input takes the gather path: inf/NaN reach only the outputs that read them."""
    x = np.random.default_rng(11).standard_normal((1, 1, 4, 5))
    x[0, 0, 1, 2] = np.inf
    x[0, 0, 3, 0] = np.nan
    y = F.interpolate(cr.tensor(x), size=(7, 9), mode=mode).numpy()
    ty = TF.interpolate(torch.tensor(x), size=(7, 9), mode=mode).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ty))
    np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)


def test_interpolate_long_axis_uses_gathers_and_matches_torch():
    x = np.random.default_rng(12).standard_normal((1, 1, 5000))
    _compare(lambda t: F.interpolate(t, size=3001, mode="linear"),
             lambda t: TF.interpolate(t, size=3001, mode="linear"), x)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_keeps_zero_mean_unit_variance_and_takes_two_values_per_unit(name):
    p = 0.3
    x = np.random.default_rng(13).standard_normal((400, 300, 1))
    alpha = 1.6732632423543772 * 1.0507009873554805
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    cr.manual_seed(1)
    t = cr.tensor(x, requires_grad=True)
    y = getattr(F, name)(t, p, training=True)
    out = y.detach().numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    kept = np.isclose(out, a * x + a * alpha * p, rtol=1e-12, atol=1e-12)
    dropped = np.isclose(out, a * (p - 1) * alpha, rtol=1e-12, atol=1e-12)
    assert np.all(kept | dropped) and abs(dropped.mean() - p) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.where(kept, a, 0.0), rtol=1e-12)
    if name == "feature_alpha_dropout":
        assert np.all(dropped.min(-1) == dropped.max(-1))
    # the identity in evaluation (PyTorch's default training=False) and for p = 0
    assert getattr(F, name)(t, p) is t and getattr(F, name)(t, 0.0, training=True) is t


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout3d", "AlphaDropout",
                                  "FeatureAlphaDropout"])
def test_dropout_modules(name):
    m, tm = getattr(cr.nn, name)(0.25), getattr(torch.nn, name)(0.25)
    assert repr(m) == repr(tm)
    x = cr.tensor(np.ones((2, 3, 2, 2, 2) if name == "Dropout3d" else (2, 3, 4)))
    assert m.eval()(x) is x
    y = m.train()(x).numpy()
    assert y.shape == tuple(x.shape) and str(m.formula())
    with pytest.raises(ValueError):
        getattr(cr.nn, name)(1.5)
