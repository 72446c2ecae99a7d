"""Pooling breadth: MaxPool3d/AvgPool3d, ceil_mode, dilation, padding, count_include_pad,
divisor_override, return_indices (PyTorch's flat per-plane indices), MaxUnpool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d, AdaptiveAvgPool1d/3d, LPPool1d/2d/3d and the *_with_indices
functions, against PyTorch (values, indices, gradients), plus gradcheck."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.ops import pool as P
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

TF = torch.nn.functional
FEW = settings(max_examples=25, deadline=None)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=1e-12)


@st.composite
def pool_cases(draw, nd, dilation=True):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * nd)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if dilation else (1,) * nd
    ceil_mode = draw(st.booleans())
    size = tuple(d * (k - 1) + 1 + draw(st.integers(0, 4)) for k, d in zip(kernel, dil))
    s = stride or kernel
    assume(all(P.pool_output_size(h, k, st_, p, d, ceil_mode) >= 1 for h, k, st_, p, d in
               zip(size, kernel, s, padding, dil)))
    return dict(kernel=kernel, stride=stride, padding=padding, dilation=dil, ceil_mode=ceil_mode,
                shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size)


# --------------------------------------------------------------------------- 3-d pooling
@FEW
@given(case=pool_cases(3))
def test_max_pool3d_matches_torch(case):
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"],
              ceil_mode=case["ceil_mode"])
    check_against_torch(nn.MaxPool3d(case["kernel"], **kw),
                        torch.nn.MaxPool3d(case["kernel"], **kw),
                        _rng(1).standard_normal(case["shape"]))


@FEW
@given(case=pool_cases(3, dilation=False), count_include_pad=st.booleans(),
       divisor=st.sampled_from([None, 3, 7]))
def test_avg_pool3d_matches_torch(case, count_include_pad, divisor):
    kw = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
              count_include_pad=count_include_pad, divisor_override=divisor)
    check_against_torch(nn.AvgPool3d(case["kernel"], **kw),
                        torch.nn.AvgPool3d(case["kernel"], **kw),
                        _rng(2).standard_normal(case["shape"]))


@FEW
@given(case=pool_cases(1, dilation=False), count_include_pad=st.booleans())
def test_avg_pool1d_options_match_torch(case, count_include_pad):
    kw = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
              count_include_pad=count_include_pad)
    check_against_torch(nn.AvgPool1d(case["kernel"], **kw),
                        torch.nn.AvgPool1d(case["kernel"], **kw),
                        _rng(3).standard_normal(case["shape"]))


# --------------------------------------------------------------------------- ceil_mode's rule
@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (2, 2, 1), (3, 2, 1), (3, 3, 1), (2, 3, 1),
                                   (4, 3, 2), (1, 2, 0), (3, 4, 1)])
def test_ceil_mode_last_window_starts_inside(k, s, p):
    """PyTorch drops a ceil-mode window that would start in the right padding; the sizes and the
    values agree with PyTorch for every input length (max and average, 1-d and 2-d)."""
    for size in range(max(1, k - 2 * p), 12):
        x = _rng(size).standard_normal((1, 2, size))
        t = torch.tensor(x)
        ours = P.pool_output_size(size, k, s, p, 1, True)
        theirs = TF.max_pool1d(t, k, s, p, ceil_mode=True).shape[-1]
        assert ours == theirs, (size, k, s, p)
        _close(F.max_pool1d(cr.tensor(x), k, s, p, ceil_mode=True).numpy(),
               TF.max_pool1d(t, k, s, p, ceil_mode=True).numpy())
        for cip in (True, False):
            _close(F.avg_pool1d(cr.tensor(x), k, s, p, ceil_mode=True,
                                count_include_pad=cip).numpy(),
                   TF.avg_pool1d(t, k, s, p, ceil_mode=True, count_include_pad=cip).numpy())
        x2 = x.reshape(1, 1, 2, size).repeat(2, axis=2)
        _close(F.avg_pool2d(cr.tensor(x2), (1, k), (1, s), (0, p), ceil_mode=True,
                            divisor_override=2).numpy(),
               TF.avg_pool2d(torch.tensor(x2), (1, k), (1, s), (0, p), ceil_mode=True,
                             divisor_override=2).numpy())


# --------------------------------------------------------------------------- return_indices
@FEW
@given(case=pool_cases(2), nd=st.sampled_from([1, 2, 3]), unbatched=st.booleans())
def test_return_indices_equal_torch(case, nd, unbatched):
    kernel, padding, dil = case["kernel"][:1] * nd, case["padding"][:1] * nd, \
        case["dilation"][:1] * nd
    stride = None if case["stride"] is None else case["stride"][:1] * nd
    shape = case["shape"][:2] + case["shape"][2:3] * nd
    if unbatched:
        shape = shape[1:]
    x = _rng(4).standard_normal(shape)
    name = f"max_pool{nd}d"
    kw = dict(stride=stride, padding=padding, dilation=dil, ceil_mode=case["ceil_mode"])
    y, i = getattr(F, name)(cr.tensor(x), kernel, return_indices=True, **kw)
    yt, it = getattr(TF, name)(torch.tensor(x), kernel, return_indices=True, **kw)
    _close(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    assert i.dtype == np.int64
    y2, i2 = getattr(F, name + "_with_indices")(cr.tensor(x), kernel, **kw)
    np.testing.assert_array_equal(i2.numpy(), it.numpy())
    module = getattr(nn, f"MaxPool{nd}d")(kernel, return_indices=True, **kw)
    np.testing.assert_array_equal(module(cr.tensor(x))[1].numpy(), it.numpy())


def test_return_indices_with_grad_and_ties():
    x = np.zeros((2, 3, 6, 6))
    x[:, :, 1::3, 2::3] = 1.0
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, i = F.max_pool2d(xc, 3, stride=2, padding=1, return_indices=True)
    yt, it = TF.max_pool2d(xt, 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    g = _rng(5).standard_normal(yt.shape)
    y.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    _close(xc.grad.numpy(), xt.grad.numpy())


# --------------------------------------------------------------------------- max unpooling
@FEW
@given(nd=st.sampled_from([1, 2, 3]), k=st.integers(1, 3), extra=st.integers(0, 2),
       padding=st.integers(0, 1), overlap=st.booleans())
def test_max_unpool_matches_torch(nd, k, extra, padding, overlap):
    padding = min(padding, k // 2)
    stride = max(1, k - 1) if overlap else k
    size = k + extra
    x = _rng(6).standard_normal((2, 2) + (size,) * nd)
    pool = getattr(TF, f"max_pool{nd}d")
    yt, it = pool(torch.tensor(x), k, stride, padding, return_indices=True)
    default = (yt.shape[-1] - 1) * stride + k - 2 * padding
    out = (size,) * nd if default - stride < size < default + stride else None
    v = _rng(7).standard_normal(tuple(yt.shape))
    vc, vt = cr.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    if overlap:     # repeated indices: the same input element, so give them the same value
        vt = torch.tensor(yt.numpy(), requires_grad=True)
        vc = cr.tensor(yt.numpy(), requires_grad=True)
    name = f"max_unpool{nd}d"
    u = getattr(F, name)(vc, cr.tensor(it.numpy()), k, stride, padding, output_size=out)
    ut = getattr(TF, name)(vt, it, k, stride, padding, output_size=out)
    _close(u.numpy(), ut.detach().numpy())
    g = _rng(8).standard_normal(tuple(ut.shape))
    u.backward(cr.tensor(g))
    ut.backward(torch.tensor(g))
    _close(vc.grad.numpy(), vt.grad.numpy())
    module = getattr(nn, f"MaxUnpool{nd}d")(k, stride, padding)
    _close(module(vc.detach(), cr.tensor(it.numpy()), out).numpy(), ut.detach().numpy())


def test_max_unpool_roundtrip_and_errors():
    x = _rng(9).standard_normal((1, 2, 5, 4))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, i = pool(cr.tensor(x))
    u = unpool(y, i, output_size=(1, 2, 5, 4))
    yt, it = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    _close(u.numpy(), torch.nn.MaxUnpool2d(2)(yt, it, output_size=(1, 2, 5, 4)).numpy())
    assert u.shape == (1, 2, 5, 4)
    with pytest.raises(ValueError, match="max_unpool2d.*output_size"):
        unpool(y, i, output_size=(9, 9))
    with pytest.raises(RuntimeError, match="max_unpool2d.*invalid max index"):
        F.max_unpool2d(y, cr.tensor(i.numpy() + 100), 2)
    assert repr(unpool) == repr(torch.nn.MaxUnpool2d(2))


# --------------------------------------------------------------------------- adaptive pooling
@FEW
@given(nd=st.sampled_from([1, 2, 3]), sizes=st.lists(st.integers(1, 7), min_size=3, max_size=3),
       outs=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=3, max_size=3),
       unbatched=st.booleans())
def test_adaptive_max_pool_matches_torch(nd, sizes, outs, unbatched):
    shape = (2, 3) + tuple(sizes[:nd])
    if unbatched:
        shape = shape[1:]
    out = tuple(outs[:nd]) if nd > 1 else (outs[0] or 3)
    x = _rng(10).standard_normal(shape)
    x[..., 0] = x[..., -1]            # ties across bins and within
    name = f"adaptive_max_pool{nd}d"
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, i = getattr(F, name)(xc, out, return_indices=True)
    yt, it = getattr(TF, name)(xt, out, return_indices=True)
    _close(y.numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    g = _rng(11).standard_normal(tuple(yt.shape))
    y.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    _close(xc.grad.numpy(), xt.grad.numpy())
    y2, i2 = getattr(F, name + "_with_indices")(cr.tensor(x), out)
    np.testing.assert_array_equal(i2.numpy(), it.numpy())
    module = getattr(nn, f"AdaptiveMaxPool{nd}d")(out)
    _close(module(cr.tensor(x)).numpy(), yt.detach().numpy())


@pytest.mark.parametrize("shape", [(5, 7), (4, 6)])     # unequal bins; equal bins (max pool)
def test_adaptive_max_pool_nan_and_ties_like_torch(shape):
    x = np.round(_rng(12).standard_normal((1, 2) + shape))     # many ties
    x[0, 0, 1, 2] = x[0, 0, 1, 1] = x[0, 1, 3, 5] = np.nan
    y, i = F.adaptive_max_pool2d(cr.tensor(x), (2, 3), return_indices=True)
    yt, it = TF.adaptive_max_pool2d(torch.tensor(x), (2, 3), return_indices=True)
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    np.testing.assert_array_equal(y.numpy(), yt.numpy())


@FEW
@given(nd=st.sampled_from([1, 3]), sizes=st.lists(st.integers(1, 7), min_size=3, max_size=3),
       outs=st.lists(st.integers(1, 5), min_size=3, max_size=3))
def test_adaptive_avg_pool_1d_3d_matches_torch(nd, sizes, outs):
    out = tuple(outs[:nd]) if nd == 3 else outs[0]
    cls = f"AdaptiveAvgPool{nd}d"
    check_against_torch(getattr(nn, cls)(out), getattr(torch.nn, cls)(out),
                        _rng(13).standard_normal((2, 3) + tuple(sizes[:nd])))


# --------------------------------------------------------------------------- power average
@FEW
@given(nd=st.sampled_from([1, 2, 3]), p=st.sampled_from([1.0, 2.0, 3.0, 1.5]),
       k=st.integers(1, 3), stride=st.one_of(st.none(), st.integers(1, 3)),
       ceil_mode=st.booleans(), extra=st.integers(0, 3))
def test_lp_pool_matches_torch(nd, p, k, stride, ceil_mode, extra):
    x = _rng(14).uniform(0.2, 2.0, (2, 2) + (k + extra,) * nd)
    if p in (1.0, 2.0, 3.0):          # integer powers are defined for negative inputs
        x[..., 0] *= -1
    cls = f"LPPool{nd}d"
    check_against_torch(getattr(nn, cls)(p, k, stride, ceil_mode),
                        getattr(torch.nn, cls)(p, k, stride, ceil_mode), x)


# --------------------------------------------------------------------------- gradcheck, basics
def test_gradcheck_small():
    rng = _rng(15)
    x3 = rng.standard_normal((1, 2, 3, 4, 3))
    assert check_gradcheck(nn.AvgPool3d(2, stride=1, padding=1, ceil_mode=True,
                                        count_include_pad=False), x3)
    assert check_gradcheck(nn.MaxPool3d(2, stride=1, padding=1, dilation=(1, 2, 1)), x3)
    assert check_gradcheck(nn.AdaptiveMaxPool2d((2, 3)), rng.standard_normal((1, 2, 5, 4)))
    assert check_gradcheck(nn.AdaptiveAvgPool3d((2, 1, 2)), x3)
    assert check_gradcheck(nn.LPPool2d(2, 2, stride=1), rng.uniform(0.5, 2, (1, 2, 3, 3)))
    _, idx = F.max_pool2d(cr.tensor(rng.standard_normal((1, 2, 4, 4))), 2, return_indices=True)
    assert cr.gradcheck(lambda v: F.max_unpool2d(v, idx, 2), rng.standard_normal((1, 2, 2, 2)))


@pytest.mark.parametrize("name,args", [("MaxPool3d", (2,)), ("AvgPool3d", (2,)),
                                       ("AdaptiveMaxPool1d", (3,)), ("AdaptiveMaxPool2d", (3,)),
                                       ("AdaptiveAvgPool1d", (3,)), ("AdaptiveAvgPool3d", (2,)),
                                       ("LPPool2d", (2, 2)), ("LPPool1d", (2, 3)),
                                       ("MaxUnpool1d", (2,)), ("MaxUnpool3d", (2, 1))])
def test_repr_and_state_equal_torch(name, args):
    mine, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict()) == []


def test_basics_and_formulas():
    x = _rng(16).standard_normal((1, 2, 4, 4, 4))
    for factory in (lambda: nn.MaxPool3d(2), lambda: nn.AvgPool3d(2, divisor_override=3),
                    lambda: nn.AdaptiveMaxPool3d(2), lambda: nn.AdaptiveAvgPool3d((2, None, 1)),
                    lambda: nn.LPPool3d(2, 2)):
        check_basics(factory, np.abs(x) + 0.1)
    check_basics(lambda: nn.AdaptiveMaxPool1d(2), x[:, :, 0, 0])
    assert str(nn.MaxUnpool2d(2).formula())


def test_errors():
    with pytest.raises(ValueError, match="max_pool3d.*5-d"):
        F.max_pool3d(cr.ones(2, 3), 2)
    with pytest.raises(ValueError, match="adaptive_max_pool2d.*output_size"):
        F.adaptive_max_pool2d(cr.ones(1, 2, 3, 3), (1, 2, 3))
    with pytest.raises(ValueError, match="avg_pool3d.*half of the kernel"):
        F.avg_pool3d(cr.ones(1, 1, 4, 4, 4), 2, padding=2)
