"""MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d and the pool primitives (max_pool, avg_pool):
values and gradients against PyTorch, ties, gradcheck, double backward, errors."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.autograd.functional import grad as cr_grad
from chainrule.nn import functional as F
from chainrule.ops import pool as P
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

TF = torch.nn.functional
FEW = settings(max_examples=30, deadline=None)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _fits(size, k, s, p, d, ceil_mode):
    return P.pool_output_size(size, k, s, p, d, ceil_mode) >= 1


@st.composite
def pool_cases(draw, nd=2, dilation=True):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * nd)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if dilation else (1,) * nd
    ceil_mode = draw(st.booleans())
    size = tuple(d * (k - 1) + 1 + draw(st.integers(0, 5)) for k, d in zip(kernel, dil))
    s = stride or kernel
    assume(all(_fits(h, k, st_, p, d, ceil_mode) for h, k, st_, p, d in
               zip(size, kernel, s, padding, dil)))
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=dil, ceil_mode=ceil_mode,
                size=size, n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)))


# --------------------------------------------------------------------------- max pooling
@FEW
@given(case=pool_cases())
def test_max_pool2d_matches_torch(case):
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              ceil_mode=case["ceil_mode"])
    x = _rng(1).standard_normal((case["n"], case["c"]) + case["size"])
    check_against_torch(nn.MaxPool2d(case["kernel"], **kw),
                        torch.nn.MaxPool2d(case["kernel"], **kw), x)


@FEW
@given(case=pool_cases(nd=1))
def test_max_pool1d_matches_torch(case):
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              ceil_mode=case["ceil_mode"])
    x = _rng(2).standard_normal((case["n"], case["c"]) + case["size"])
    check_against_torch(nn.MaxPool1d(case["kernel"], **kw),
                        torch.nn.MaxPool1d(case["kernel"], **kw), x)


@FEW
@given(case=st.integers(1, 3).flatmap(lambda nd: pool_cases(nd=nd)), nan=st.booleans(),
       seed=st.integers(0, 100))
def test_max_pool_without_a_graph_gives_the_recorded_maxima_and_torchs(case, nan, seed):
    """Under no_grad the maxima are reduced one axis at a time (pool.py's _separable_max): the
    same values, bit for bit, as the running maximum a recorded forward takes, and PyTorch's
    (NaN included)."""
    nd = len(case["kernel"])
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              ceil_mode=case["ceil_mode"])
    x = _rng(seed).standard_normal((case["n"], case["c"]) + case["size"])
    if nan:
        x.reshape(-1)[seed % x.size] = np.nan
    fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
    with cr.no_grad():
        alone = fn(cr.tensor(x), case["kernel"], **kw).numpy()
    recorded = fn(cr.tensor(x, requires_grad=True), case["kernel"], **kw).detach().numpy()
    theirs = (TF.max_pool1d, TF.max_pool2d, TF.max_pool3d)[nd - 1](
        torch.tensor(x), case["kernel"], **kw).numpy()
    np.testing.assert_array_equal(alone, recorded)
    np.testing.assert_array_equal(alone, theirs)


@settings(max_examples=15, deadline=None)
@given(case=pool_cases(), seed=st.integers(0, 100))
def test_max_pool2d_ties_give_the_gradient_to_the_first_maximum_as_torch(case, seed):
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              ceil_mode=case["ceil_mode"])
    x = _rng(seed).integers(-1, 2, (case["n"], case["c"]) + case["size"]).astype(np.float64)
    check_against_torch(nn.MaxPool2d(case["kernel"], **kw),
                        torch.nn.MaxPool2d(case["kernel"], **kw), x)


def test_max_pool2d_specials_match_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1  # a tie in the first window
    check_against_torch(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x)
    x = np.full((1, 2, 5, 5), -np.inf)  # windows of −∞ with padding: the first real element
    check_against_torch(nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1), x)
    x = _rng(3).standard_normal((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan  # NaN propagates
    y = F.max_pool2d(cr.tensor(x), 2)
    assert np.array_equal(np.isnan(y.numpy()), np.isnan(TF.max_pool2d(torch.tensor(x), 2).numpy()))


def test_max_pool2d_float32_and_unbatched():
    x = _rng(4).standard_normal((4, 6, 24, 24)).astype(np.float32)
    check_against_torch(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x, dtype=np.float32)
    x = _rng(5).standard_normal((3, 7, 6))
    check_against_torch(nn.MaxPool2d(3, 2, 1, ceil_mode=True),
                        torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True), x)


def test_max_pool_return_indices_match_torch():
    x = _rng(6).standard_normal((2, 3, 7, 8))
    for kw in [dict(), dict(stride=2, padding=1, ceil_mode=True), dict(dilation=2)]:
        y, i = F.max_pool2d(cr.tensor(x), 3, return_indices=True, **kw)
        ty, ti = TF.max_pool2d(torch.tensor(x), 3, return_indices=True, **kw)
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_allclose(y.numpy(), ty.numpy())
    y, i = nn.MaxPool1d(2, return_indices=True)(cr.tensor(x[0]))
    ty, ti = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    y, i = F.max_pool2d(cr.tensor(x, requires_grad=True), 2, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), TF.max_pool2d(torch.tensor(x), 2,
                                                        return_indices=True)[1].numpy())


# --------------------------------------------------------------------------- average pooling
@FEW
@given(case=pool_cases(dilation=False), count_include_pad=st.booleans(),
       divisor=st.sampled_from([None, None, 3]))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor):
    kw = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
              count_include_pad=count_include_pad, divisor_override=divisor)
    x = _rng(7).standard_normal((case["n"], case["c"]) + case["size"])
    check_against_torch(nn.AvgPool2d(case["kernel"], **kw),
                        torch.nn.AvgPool2d(case["kernel"], **kw), x)


@FEW
@given(case=pool_cases(nd=1, dilation=False), count_include_pad=st.booleans())
def test_avg_pool1d_matches_torch(case, count_include_pad):
    kw = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
              count_include_pad=count_include_pad)
    x = _rng(8).standard_normal((case["n"], case["c"]) + case["size"])
    check_against_torch(nn.AvgPool1d(case["kernel"], **kw),
                        torch.nn.AvgPool1d(case["kernel"], **kw), x)


def test_avg_pool2d_float32():
    x = _rng(9).standard_normal((4, 6, 24, 24)).astype(np.float32)
    check_against_torch(nn.AvgPool2d(2), torch.nn.AvgPool2d(2), x, dtype=np.float32)
    check_against_torch(nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                        torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), x,
                        dtype=np.float32)


# --------------------------------------------------------------------------- adaptive
@FEW
@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.one_of(st.none(), st.integers(1, 10)),
       ow=st.integers(1, 10), n=st.integers(1, 2))
def test_adaptive_avg_pool2d_matches_torch(h, w, oh, ow, n):
    x = _rng(10).standard_normal((n, 3, h, w))
    check_against_torch(nn.AdaptiveAvgPool2d((oh, ow)), torch.nn.AdaptiveAvgPool2d((oh, ow)), x)


def test_adaptive_avg_pool2d_int_size_float32_and_unbatched():
    x = _rng(11).standard_normal((2, 4, 7, 7)).astype(np.float32)
    for size in [1, 3, 7]:
        check_against_torch(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), x,
                            dtype=np.float32)
    x = _rng(12).standard_normal((4, 10, 6))
    check_against_torch(nn.AdaptiveAvgPool2d((4, 4)), torch.nn.AdaptiveAvgPool2d((4, 4)), x)
    x = _rng(13).standard_normal((2, 3, 10))
    np.testing.assert_allclose(F.adaptive_avg_pool1d(cr.tensor(x), 4).numpy(),
                               TF.adaptive_avg_pool1d(torch.tensor(x), 4).numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- gradcheck, basics
LAYERS = [
    (lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True), lambda: torch.nn.MaxPool2d(3, 2, 1,
                                                                               ceil_mode=True)),
    (lambda: nn.MaxPool2d(2, dilation=2), lambda: torch.nn.MaxPool2d(2, dilation=2)),
    (lambda: nn.MaxPool1d(3, 2, 1), lambda: torch.nn.MaxPool1d(3, 2, 1)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    (lambda: nn.AvgPool1d(2), lambda: torch.nn.AvgPool1d(2)),
    (lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda: torch.nn.AdaptiveAvgPool2d((3, 2))),
    (lambda: nn.AdaptiveAvgPool2d(2), lambda: torch.nn.AdaptiveAvgPool2d(2)),
]


@pytest.mark.parametrize("make, make_torch", LAYERS)
def test_pool_layers_gradcheck_and_basics(make, make_torch):
    nd = 1 if "1d" in type(make()).__name__ else 2
    x = _rng(14).standard_normal((2, 2) + (6,) * nd)
    assert check_gradcheck(make(), x)
    check_basics(make, x, torch_factory=make_torch)
    f = make().formula()
    assert f.forward.text and f.derivative.text


def test_pool_formulas_state_this_layers_settings():
    text = str(nn.MaxPool2d(3, 2, 1).formula())
    assert "max_{i < 3, j < 3}" in text and "2h − 1 + i" in text
    text = str(nn.AvgPool2d(2, count_include_pad=False, padding=1).formula())
    assert "padding not counted" in text
    assert "⌊i·H/3⌋" in str(nn.AdaptiveAvgPool2d((3, 5)).formula())


# --------------------------------------------------------------------------- primitives
def test_pool_primitives_match_their_references():
    rng = _rng(15)
    x = rng.standard_normal((2, 3, 9, 8))
    params = dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1),
                  ceil_mode=True)
    np.testing.assert_allclose(P.MaxPool.apply(cr.tensor(x), **params).numpy(),
                               P.MaxPool.reference(x, **params))
    params = dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True,
                  count_include_pad=False, divisor_override=None)
    np.testing.assert_allclose(P.AvgPool.apply(cr.tensor(x), **params).numpy(),
                               P.AvgPool.reference(x, **params), rtol=1e-12)


def _double_backward(fn_cr, fn_torch, x, seed=0):
    rng = _rng(seed)
    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = fn_cr(cx), fn_torch(tx)
    g = rng.standard_normal(ty.shape)
    v = rng.standard_normal(x.shape)
    (gx,) = cr_grad(y, [cx], grad_outputs=cr.tensor(g), create_graph=True)
    (tgx,) = torch.autograd.grad(ty, [tx], grad_outputs=torch.tensor(g), create_graph=True)
    ((gx * cr.tensor(v)).sum() + (y * y * y).sum()).backward()
    ((tgx * torch.tensor(v)).sum() + (ty ** 3).sum()).backward()
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn, fn_torch", [
    (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
     lambda x: TF.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    (lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), lambda x: TF.avg_pool2d(x, 3, 2, 1, True,
                                                                              False)),
    (lambda x: F.adaptive_avg_pool2d(x, (3, 4)), lambda x: TF.adaptive_avg_pool2d(x, (3, 4))),
])
def test_pool_double_backward_matches_torch(fn, fn_torch):
    _double_backward(fn, fn_torch, _rng(16).standard_normal((2, 3, 7, 6)))


# --------------------------------------------------------------------------- errors
def test_pool_errors_say_what_was_given_and_expected():
    with pytest.raises(ValueError, match="at most half of the kernel size"):
        nn.MaxPool2d(2, padding=2)(cr.ones(1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(1×1×2×2\) is too small.*kernel_size=\(3, 3\)"):
        nn.MaxPool2d(3)(cr.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"4-d input \(N, C, H, W\).*3-d input.*got shape "
                                         r"\(8×8\)"):
        nn.AvgPool2d(2)(cr.ones(8, 8))
    with pytest.raises(ValueError, match="output_size"):
        nn.AdaptiveAvgPool2d((2, 2, 2))(cr.ones(1, 1, 8, 8))
