"""BatchNorm3d, InstanceNorm1d/2d/3d (F.instance_norm), LocalResponseNorm
(F.local_response_norm), RMSNorm (F.rms_norm) and LayerNorm(bias=False): values, input and
parameter gradients and running statistics against PyTorch, gradcheck, state_dict layouts."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

TF = torch.nn.functional
FEW = settings(max_examples=20, deadline=None)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _layout(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


# --------------------------------------------------------------------------- batch norm 3d
@pytest.mark.parametrize("kw", [{}, dict(affine=False), dict(momentum=None),
                                dict(track_running_stats=False)])
def test_batch_norm3d_matches_torch(kw):
    x = 3 + 2 * _rng(1).standard_normal((3, 4, 2, 3, 2))
    for train in (True, False):
        check_against_torch(nn.BatchNorm3d(4, **kw), torch.nn.BatchNorm3d(4, **kw), x,
                            train=train, steps=2)
    assert _layout(nn.BatchNorm3d(4, **kw)) == _layout(torch.nn.BatchNorm3d(4, **kw))


# --------------------------------------------------------------------------- instance norm
@FEW
@given(nd=st.sampled_from([1, 2, 3]), affine=st.booleans(), track=st.booleans(),
       train=st.booleans(), unbatched=st.booleans(), momentum=st.sampled_from([0.1, 0.5, None]),
       n=st.integers(1, 3))
def test_instance_norm_matches_torch(nd, affine, track, train, unbatched, momentum, n):
    shape = (n, 3) + (3, 2, 2)[:nd]
    if unbatched:
        shape = shape[1:]
    x = 1 + 2 * _rng(2).standard_normal(shape)
    cls = f"InstanceNorm{nd}d"
    kw = dict(affine=affine, track_running_stats=track, momentum=momentum)
    mine, theirs = getattr(nn, cls)(3, **kw), getattr(torch.nn, cls)(3, **kw)
    assert _layout(mine) == _layout(theirs)
    if affine:      # non-trivial parameters
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
    check_against_torch(mine, theirs, x, train=train, steps=2)


def test_instance_norm_defaults_and_repr():
    mine, theirs = nn.InstanceNorm2d(5), torch.nn.InstanceNorm2d(5)
    assert mine.affine is False and mine.track_running_stats is False
    assert list(mine.state_dict()) == list(theirs.state_dict()) == []
    assert repr(mine) == repr(theirs)
    assert repr(nn.InstanceNorm1d(3, affine=True, track_running_stats=True)) == \
        repr(torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True))


def test_functional_instance_norm_running_stats():
    rng = _rng(3)
    x, w, b = rng.standard_normal((4, 3, 5, 2)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    cm, cv, tm, tv = cr.tensor(rm.copy()), cr.tensor(rv.copy()), torch.tensor(rm.copy()), \
        torch.tensor(rv.copy())
    for use_input_stats in (True, False):
        y = F.instance_norm(cr.tensor(x), cm, cv, cr.tensor(w), cr.tensor(b), use_input_stats,
                            0.3, 1e-3)
        t = TF.instance_norm(torch.tensor(x), tm, tv, torch.tensor(w), torch.tensor(b),
                             use_input_stats, 0.3, 1e-3)
        np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(cm.numpy(), tm.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(cv.numpy(), tv.numpy(), rtol=1e-10, atol=1e-12)


def test_instance_norm_errors():
    with pytest.raises(ValueError, match="InstanceNorm2d.*expected 3D or 4D"):
        nn.InstanceNorm2d(3)(cr.ones(2, 3))
    with pytest.raises(ValueError, match="num_features"):
        nn.InstanceNorm1d(4, affine=True)(cr.ones(2, 3, 5))
    with pytest.warns(UserWarning, match="num_features"):
        nn.InstanceNorm1d(4)(cr.tensor(_rng(4).standard_normal((2, 3, 5))))
    with pytest.raises(ValueError, match="instance_norm.*more than 1 spatial element"):
        F.instance_norm(cr.ones(2, 3, 1))


# --------------------------------------------------------------------------- local response
@FEW
@given(size=st.integers(1, 6), alpha=st.sampled_from([1e-4, 0.1, 1.0]),
       beta=st.sampled_from([0.75, 0.5, 2.0]), k=st.sampled_from([1.0, 2.0]),
       shape=st.sampled_from([(2, 5, 4), (1, 3, 2, 3), (2, 4, 2, 2, 3), (1, 1, 3)]))
def test_local_response_norm_matches_torch(size, alpha, beta, k, shape):
    x = 2 * _rng(5).standard_normal(shape)
    check_against_torch(nn.LocalResponseNorm(size, alpha, beta, k),
                        torch.nn.LocalResponseNorm(size, alpha, beta, k), x)


def test_local_response_norm_repr_and_errors():
    assert repr(nn.LocalResponseNorm(3, 0.1)) == repr(torch.nn.LocalResponseNorm(3, 0.1))
    with pytest.raises(ValueError, match="local_response_norm.*3D or higher"):
        F.local_response_norm(cr.ones(2, 3), 2)


# --------------------------------------------------------------------------- RMS norm
@FEW
@given(shape=st.sampled_from([(4,), (2, 3, 4), (3, 2, 4)]), k=st.integers(1, 2),
       eps=st.sampled_from([None, 1e-5, 0.3]), affine=st.booleans())
def test_rms_norm_matches_torch(shape, k, eps, affine):
    k = min(k, len(shape))
    normalized = shape[len(shape) - k:]
    mine = nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    theirs = torch.nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    assert _layout(mine) == _layout(theirs)
    if affine:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
    check_against_torch(mine, theirs, _rng(6).standard_normal(shape))
    assert repr(mine) == repr(theirs)


def test_rms_norm_functional_and_errors():
    x, w = _rng(7).standard_normal((3, 5)), _rng(8).standard_normal(5)
    np.testing.assert_allclose(F.rms_norm(cr.tensor(x), (5,), cr.tensor(w)).numpy(),
                               TF.rms_norm(torch.tensor(x), (5,), torch.tensor(w)).numpy(),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="rms_norm"):
        F.rms_norm(cr.tensor(x), (4,))


# --------------------------------------------------------------------------- LayerNorm bias
def test_layer_norm_without_bias():
    mine, theirs = nn.LayerNorm((3, 4), bias=False), torch.nn.LayerNorm((3, 4), bias=False)
    assert _layout(mine) == _layout(theirs)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
    check_against_torch(mine, theirs, _rng(9).standard_normal((2, 3, 4)))


# --------------------------------------------------------------------------- gradcheck, basics
def test_gradcheck_small():
    rng = _rng(10)
    assert check_gradcheck(nn.InstanceNorm2d(2, affine=True), rng.standard_normal((2, 2, 2, 3)))
    assert check_gradcheck(nn.InstanceNorm1d(2, track_running_stats=True),
                           rng.standard_normal((2, 2, 3)), train=False)
    assert check_gradcheck(nn.BatchNorm3d(2), rng.standard_normal((2, 2, 2, 1, 2)))
    assert check_gradcheck(nn.LocalResponseNorm(3, 0.5, 0.75, 1.0),
                           rng.standard_normal((1, 4, 3)))
    assert check_gradcheck(nn.RMSNorm(3), rng.standard_normal((2, 3)))


def test_double_backward_local_response_and_rms():
    rng = _rng(11)
    for fn, tfn, x in ((lambda a: F.local_response_norm(a, 3, 0.3),
                        lambda a: TF.local_response_norm(a, 3, 0.3),
                        rng.standard_normal((1, 4, 2))),
                       (lambda a: F.rms_norm(a, (3,)), lambda a: TF.rms_norm(a, (3,)),
                        rng.standard_normal((2, 3)))):
        xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (gc,) = cr.autograd.grad((fn(xc) ** 2).sum(), xc, create_graph=True)
        (gt,) = torch.autograd.grad((tfn(xt) ** 2).sum(), xt, create_graph=True)
        gc.sum().backward()
        gt.sum().backward()
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_basics_and_formulas():
    x = _rng(12).standard_normal((2, 3, 2, 2, 2))
    check_basics(lambda: nn.BatchNorm3d(3), x, torch_factory=lambda: torch.nn.BatchNorm3d(3))
    check_basics(lambda: nn.InstanceNorm3d(3, affine=True), x,
                 torch_factory=lambda: torch.nn.InstanceNorm3d(3, affine=True))
    check_basics(lambda: nn.LocalResponseNorm(2), x)
    check_basics(lambda: nn.RMSNorm(2), x, torch_factory=lambda: torch.nn.RMSNorm(2))
