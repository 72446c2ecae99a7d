"""Losses: every loss, reduction and option against PyTorch 2.13; gradcheck; double backward;
the loss primitives' own specs; error messages.

Targets take part like inputs: where a target is floating-point, its gradient is compared with
PyTorch's too (check_against_torch differentiates every float argument).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.autograd.functional import grad as cr_grad
from tests.nn.layer_harness import check_against_torch, check_basics, check_gradcheck

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]
FAST = settings(max_examples=15, deadline=None)


def _rng(seed):
    return np.random.default_rng(seed)


def _away_from(d, points, gap=0.02):
    """Move the entries of d that lie within ``gap`` of a kink ``points`` clear of it."""
    for p in points:
        d = np.where(np.abs(d - p) < gap, p + np.where(d >= p, 2 * gap, -2 * gap), d)
    return d


def _regression_pair(rng, shape, kinks=()):
    x = rng.standard_normal(shape) * 2
    d = _away_from(rng.standard_normal(shape) * 2, kinks)
    return x, x - d


def _probabilities(rng, shape, axis=1):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def _torch_weight(w):
    return None if w is None else torch.tensor(w)


# ------------------------------------------------------------------------------ regression losses
REGRESSION = {
    "mse": (lambda r, o: nn.MSELoss(reduction=r), lambda r, o: torch.nn.MSELoss(reduction=r)),
    "l1": (lambda r, o: nn.L1Loss(reduction=r), lambda r, o: torch.nn.L1Loss(reduction=r)),
    "huber": (lambda r, o: nn.HuberLoss(reduction=r, delta=o),
              lambda r, o: torch.nn.HuberLoss(reduction=r, delta=o)),
    "smooth_l1": (lambda r, o: nn.SmoothL1Loss(reduction=r, beta=o),
                  lambda r, o: torch.nn.SmoothL1Loss(reduction=r, beta=o)),
}


@FAST
@given(kind=st.sampled_from(sorted(REGRESSION)), reduction=st.sampled_from(REDUCTIONS),
       shape=st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple),
       option=st.sampled_from([0.5, 1.0, 2.5]), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16))
def test_regression_losses_match_torch(kind, reduction, shape, option, dtype, seed):
    x, t = _regression_pair(_rng(seed), shape, kinks=(0.0, option, -option))
    make, make_torch = REGRESSION[kind]
    check_against_torch(make(reduction, option), make_torch(reduction, option), x, t, dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_with_beta_zero_is_l1(reduction):
    x, t = _regression_pair(_rng(0), (4, 3), kinks=(0.0,))
    check_against_torch(nn.SmoothL1Loss(reduction=reduction, beta=0.0),
                        torch.nn.SmoothL1Loss(reduction=reduction, beta=0.0), x, t)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_elementwise_weight_matches_torch(name, reduction):
    rng = _rng(1)
    x, t = _regression_pair(rng, (3, 4), kinks=(0.0, 1.0, -1.0))
    w = rng.uniform(0.1, 2.0, (3, 4))
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(xc, t, reduction=reduction, weight=w)
    ref = getattr(torch.nn.functional, name)(xt, torch.tensor(t), reduction=reduction,
                                             weight=torch.tensor(w))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-6)
    g = _rng(2).standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_regression_target_broadcast_matches_torch_and_warns():
    x, t = _rng(3).standard_normal((4, 3)), _rng(4).standard_normal((3,))
    with pytest.warns(UserWarning, match=r"target of shape \(3,\) differs from input of shape "
                                         r"\(4, 3\)"):
        out = F.mse_loss(cr.tensor(x), cr.tensor(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


# ------------------------------------------------------------------------------ binary losses
@FAST
@given(reduction=st.sampled_from(REDUCTIONS), shape=st.sampled_from([(5,), (3, 4), (2, 3, 2)]),
       weight=st.sampled_from([None, "last", "full"]), hard=st.booleans(),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
def test_bce_matches_torch(reduction, shape, weight, hard, dtype, seed):
    rng = _rng(seed)
    x = rng.uniform(0.02, 0.98, shape)
    t = (rng.random(shape) < 0.5).astype(float) if hard else rng.random(shape)
    w = {None: None, "last": rng.uniform(0.2, 2, shape[-1:]),
         "full": rng.uniform(0.2, 2, shape)}[weight]
    w = None if w is None else w.astype(dtype)
    check_against_torch(nn.BCELoss(weight=w, reduction=reduction),
                        torch.nn.BCELoss(weight=_torch_weight(w), reduction=reduction), x, t,
                        dtype=dtype)


@FAST
@given(reduction=st.sampled_from(REDUCTIONS), shape=st.sampled_from([(5,), (3, 4), (2, 3, 4)]),
       weight=st.booleans(), pos_weight=st.booleans(), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16))
def test_bce_with_logits_matches_torch(reduction, shape, weight, pos_weight, dtype, seed):
    rng = _rng(seed)
    z = rng.standard_normal(shape) * 3
    t = rng.random(shape)
    w = rng.uniform(0.2, 2, shape[-1:]).astype(dtype) if weight else None
    p = rng.uniform(0.2, 3, shape[-1:]).astype(dtype) if pos_weight else None
    check_against_torch(
        nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=p),
        torch.nn.BCEWithLogitsLoss(weight=_torch_weight(w), reduction=reduction,
                                   pos_weight=_torch_weight(p)), z, t, dtype=dtype)


def test_bce_with_logits_is_stable_for_huge_logits():
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    zc = cr.tensor(z, requires_grad=True)
    out = F.binary_cross_entropy_with_logits(zc, t, reduction="none")
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), [1000.0, 0.0, np.log(2), 0.0, 1000.0], atol=1e-12)
    np.testing.assert_allclose(zc.grad.numpy(), [-1.0, 0.0, 0.0, 0.0, 1.0], atol=1e-12)


def test_bce_clamps_logs_at_minus_100_as_torch():
    x, t = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    out = F.binary_cross_entropy(cr.tensor(x), cr.tensor(t), reduction="none")
    ref = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t),
                                                   reduction="none")
    np.testing.assert_allclose(out.numpy(), ref.numpy())
    assert out.numpy()[0] == 100.0


def test_pos_weight_gradient_matches_the_textbook_formula():
    """PyTorch gives pos_weight no gradient; chainrule does: ∂ℓ/∂p = −y ln σ(z)."""
    rng = _rng(5)
    z, t, p = rng.standard_normal((4, 3)), rng.random((4, 3)), rng.uniform(0.5, 2, 3)
    pc, pt = cr.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    F.binary_cross_entropy_with_logits(cr.tensor(z), t, pos_weight=pc).backward()
    zt, tt = torch.tensor(z), torch.tensor(t)
    logsig = torch.nn.functional.logsigmoid
    (-(pt * tt * logsig(zt) + (1 - tt) * logsig(-zt))).mean().backward()
    np.testing.assert_allclose(pc.grad.numpy(), pt.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------ classification
@st.composite
def class_index_cases(draw):
    """Logits (N, C, d…), integer targets, and PyTorch's options, some targets ignored."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    extra = draw(st.sampled_from([(), (3,), (2, 3)]))
    rng = _rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, c) + extra) * 2
    t = rng.integers(0, c, (n,) + extra)
    ignore_index = draw(st.sampled_from([-100, -1, 0]))
    if draw(st.booleans()):       # some targets equal ignore_index
        t[rng.random(t.shape) < 0.3] = ignore_index
    weight = rng.uniform(0.2, 2.0, c) if draw(st.booleans()) else None
    return x, t, weight, ignore_index


@FAST
@given(case=class_index_cases(), reduction=st.sampled_from(REDUCTIONS),
       label_smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.35]), dtype=st.sampled_from(DTYPES))
def test_cross_entropy_class_indices_match_torch(case, reduction, label_smoothing, dtype):
    x, t, w, ignore_index = case
    w = None if w is None else w.astype(dtype)
    kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
    check_against_torch(nn.CrossEntropyLoss(weight=w, **kwargs),
                        torch.nn.CrossEntropyLoss(weight=_torch_weight(w), **kwargs), x, t,
                        dtype=dtype)


@FAST
@given(shape=st.sampled_from([(1, 1), (4, 3), (3, 5, 2), (2, 3, 2, 2)]),
       reduction=st.sampled_from(REDUCTIONS), weight=st.booleans(),
       label_smoothing=st.sampled_from([0.0, 0.2]), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16))
def test_cross_entropy_class_probabilities_match_torch(shape, reduction, weight, label_smoothing,
                                                       dtype, seed):
    rng = _rng(seed)
    x = rng.standard_normal(shape) * 2
    t = _probabilities(rng, shape)
    w = rng.uniform(0.2, 2.0, shape[1]).astype(dtype) if weight else None
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    check_against_torch(nn.CrossEntropyLoss(weight=w, **kwargs),
                        torch.nn.CrossEntropyLoss(weight=_torch_weight(w), **kwargs), x, t,
                        dtype=dtype)


@FAST
@given(case=class_index_cases(), reduction=st.sampled_from(REDUCTIONS),
       dtype=st.sampled_from(DTYPES))
def test_nll_loss_matches_torch(case, reduction, dtype):
    x, t, w, ignore_index = case
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    w = None if w is None else w.astype(dtype)
    check_against_torch(nn.NLLLoss(weight=w, ignore_index=ignore_index, reduction=reduction),
                        torch.nn.NLLLoss(weight=_torch_weight(w), ignore_index=ignore_index,
                                         reduction=reduction), logp, t, dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_class_axis_inputs_match_torch(reduction):
    rng = _rng(6)
    x = rng.standard_normal(5)
    check_against_torch(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
                        torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
                        x, np.array(3))
    check_against_torch(nn.CrossEntropyLoss(reduction=reduction),
                        torch.nn.CrossEntropyLoss(reduction=reduction), x,
                        _probabilities(rng, (5,), axis=0))
    check_against_torch(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction),
                        x, np.array(1))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_all_targets_ignored(label_smoothing):
    x, t = _rng(7).standard_normal((3, 4)), np.full(3, -100)
    check_against_torch(nn.CrossEntropyLoss(label_smoothing=label_smoothing),
                        torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing), x, t)


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    t = np.array([1, 2])
    check_against_torch(nn.CrossEntropyLoss(label_smoothing=0.1),
                        torch.nn.CrossEntropyLoss(label_smoothing=0.1), x, t)


def test_cross_entropy_equals_nll_of_log_softmax():
    x, t = _rng(8).standard_normal((6, 4)), _rng(9).integers(0, 4, 6)
    a = F.cross_entropy(cr.tensor(x), t)
    b = F.nll_loss(F.log_softmax(cr.tensor(x), dim=1), t)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


# ------------------------------------------------------------------------------ KL divergence
@FAST
@given(reduction=st.sampled_from(REDUCTIONS + ["batchmean"]), log_target=st.booleans(),
       shape=st.sampled_from([(4,), (3, 5), (2, 3, 4)]), dtype=st.sampled_from(DTYPES),
       seed=st.integers(0, 2**16))
def test_kl_div_matches_torch(reduction, log_target, shape, dtype, seed):
    rng = _rng(seed)
    x = np.log(_probabilities(rng, shape, axis=-1))
    t = _probabilities(rng, shape, axis=-1)
    t = np.log(t) if log_target else t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # PyTorch warns about 'mean'
        check_against_torch(nn.KLDivLoss(reduction=reduction, log_target=log_target),
                            torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), x, t,
                            dtype=dtype)


def test_kl_div_zero_target_contributes_zero():
    x = np.log(np.array([0.5, 0.25, 0.25]))
    out = F.kl_div(cr.tensor(x, requires_grad=True), np.array([1.0, 0.0, 0.0]), reduction="sum")
    ref = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor([1.0, 0.0, 0.0]),
                                     reduction="sum")
    np.testing.assert_allclose(out.numpy(), ref.numpy())
    assert np.isfinite(out.numpy())


# ------------------------------------------------------------------------------ legacy arguments
@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, True)])
def test_legacy_size_average_and_reduce(size_average, reduce):
    x, t = _regression_pair(_rng(10), (3, 2), kinks=(0.0,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tl = torch.nn.L1Loss(size_average=size_average, reduce=reduce)
    ours = nn.L1Loss(size_average=size_average, reduce=reduce)
    assert ours.reduction == tl.reduction
    check_against_torch(ours, tl, x, t)


# ------------------------------------------------------------------------------ gradcheck
def _positive_probs(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


GRADCHECK = [
    ("mse", lambda: nn.MSELoss(), lambda r: _regression_pair(r, (3, 2))),
    ("l1", lambda: nn.L1Loss(reduction="sum"), lambda r: _regression_pair(r, (3, 2), (0.0,))),
    ("huber", lambda: nn.HuberLoss(delta=0.7),
     lambda r: _regression_pair(r, (3, 2), (0.0, 0.7, -0.7))),
    ("smooth_l1", lambda: nn.SmoothL1Loss(reduction="none", beta=0.5),
     lambda r: _regression_pair(r, (2, 3), (0.0, 0.5, -0.5))),
    ("bce", lambda: nn.BCELoss(weight=cr.tensor([0.5, 1.5])),
     lambda r: (_positive_probs(r, (3, 2)), r.random((3, 2)))),
    ("bce_logits", lambda: nn.BCEWithLogitsLoss(pos_weight=cr.tensor([2.0, 0.5])),
     lambda r: (r.standard_normal((3, 2)), r.random((3, 2)))),
    ("ce_indices", lambda: nn.CrossEntropyLoss(weight=cr.tensor([1.0, 2.0, 0.5]),
                                               label_smoothing=0.1, ignore_index=1),
     lambda r: (r.standard_normal((4, 3, 2)), np.array([[0, 1], [2, 2], [1, 0], [0, 2]]))),
    ("ce_probabilities", lambda: nn.CrossEntropyLoss(label_smoothing=0.2, reduction="none"),
     lambda r: (r.standard_normal((3, 4)), _probabilities(r, (3, 4)))),
    ("nll", lambda: nn.NLLLoss(weight=cr.tensor([1.0, 2.0, 0.5]), reduction="sum"),
     lambda r: (r.standard_normal((4, 3)), np.array([0, 2, 1, 2]))),
    ("kl", lambda: nn.KLDivLoss(reduction="batchmean"),
     lambda r: (r.standard_normal((3, 4)), _probabilities(r, (3, 4)))),
    ("kl_log_target", lambda: nn.KLDivLoss(reduction="sum", log_target=True),
     lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
]


@pytest.mark.parametrize("name, make, draw", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, make, draw):
    x, t = draw(_rng(11))
    assert check_gradcheck(make(), x, t)


# ------------------------------------------------------------------------------ double backward
DOUBLE = [
    ("mse_loss", {}, "regression"),
    ("huber_loss", {"delta": 0.7}, "regression"),
    ("binary_cross_entropy", {}, "probability"),
    ("binary_cross_entropy_with_logits", {"pos_weight": np.array([2.0, 0.5, 1.0])}, "binary"),
    ("cross_entropy", {"label_smoothing": 0.1, "weight": np.array([1.0, 2.0, 0.5])}, "indices"),
    ("cross_entropy", {"reduction": "none"}, "probabilities"),
    ("nll_loss", {"reduction": "sum"}, "indices"),
    ("kl_div", {"reduction": "batchmean"}, "probabilities"),
    ("kl_div", {"log_target": True, "reduction": "sum"}, "regression"),
]


def _double_case(kind, rng):
    shape = (4, 3)
    if kind == "regression":
        return _regression_pair(rng, shape, (0.0, 0.7, -0.7))
    if kind == "probability":
        return _positive_probs(rng, shape), rng.random(shape)
    if kind == "binary":
        return rng.standard_normal(shape), rng.random(shape)
    if kind == "indices":
        return rng.standard_normal(shape), np.array([0, 2, 1, 2])
    return rng.standard_normal(shape), _probabilities(rng, shape)


@pytest.mark.parametrize("name, kwargs, kind", DOUBLE, ids=[f"{d[0]}-{d[2]}" for d in DOUBLE])
def test_double_backward_matches_torch(name, kwargs, kind):
    """∂/∂x of ⟨∂L/∂x, v⟩ (a Hessian-vector product), and its part in the target, as PyTorch."""
    rng = _rng(12)
    x, t = _double_case(kind, rng)
    float_target = t.dtype.kind == "f"
    v = rng.standard_normal(x.shape)
    xc, tc = cr.tensor(x, requires_grad=True), cr.tensor(t, requires_grad=float_target)
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=float_target)
    tk = {k: torch.tensor(a) if isinstance(a, np.ndarray) else a for k, a in kwargs.items()}
    out = getattr(F, name)(xc, tc, **kwargs)
    ref = getattr(torch.nn.functional, name)(xt, tt, **tk)
    seed = rng.standard_normal(out.shape)
    (gx,) = cr_grad(out, xc, grad_outputs=cr.tensor(seed), create_graph=True)
    (gxt,) = torch.autograd.grad(ref, xt, grad_outputs=torch.tensor(seed), create_graph=True)
    np.testing.assert_allclose(gx.numpy(), gxt.detach().numpy(), rtol=1e-6, atol=1e-12)
    if not gx.requires_grad:      # ∂L/∂x does not depend on x or t (nll_loss): nothing to do
        assert not gxt.requires_grad or not float_target
        return
    (gx * cr.tensor(v)).sum().backward()
    (gxt * torch.tensor(v)).sum().backward()
    if xc.grad is None:           # ∂L/∂x depends on the target only (kl_div)
        assert xt.grad is None or not xt.grad.any()
    else:
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-10)
    if float_target:
        np.testing.assert_allclose(tc.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-10)


# ------------------------------------------------------------------------------ primitive specs
LOSS_PRIMITIVES = ["huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                   "kl_div", "nll_loss", "softmax_cross_entropy"]


def _primitive_inputs(name, rng):
    x = rng.standard_normal((4, 3))
    if name == "binary_cross_entropy":
        return (_positive_probs(rng, (4, 3)), rng.random((4, 3))), {}
    if name == "kl_div":
        return (x, _probabilities(rng, (4, 3))), {}
    if name == "nll_loss":
        return (x, np.array([0, 2, 1, 1])), {}
    if name == "softmax_cross_entropy":
        return (x, _probabilities(rng, (4, 3))), {}
    if name == "huber_loss":
        return _regression_pair(rng, (4, 3), (0.0, 1.0, -1.0)), {"delta": 1.0}
    return (x, rng.random((4, 3))), {}


@pytest.mark.parametrize("name", LOSS_PRIMITIVES)
def test_loss_primitive_spec(name):
    """Registered with its mathematics; forward equals its NumPy reference; gradcheck passes."""
    prim = cr.primitives()[name]
    f = prim.formula()
    assert str(f) and f.to_latex() and f.forward.text and f.derivative.text
    for section in ("Forward:", "Derivative:", "VJP:"):
        assert section in prim.__doc__
    args, params = _primitive_inputs(name, _rng(13))
    out = prim.apply(*args, **params)
    np.testing.assert_allclose(out.numpy(), prim.reference(*args, **params), rtol=1e-12)

    def call(*a):
        return prim.apply(*a, **params)

    assert cr.gradcheck(call, *args)


def test_fused_cross_entropy_states_its_gradient():
    f = cr.formula("softmax_cross_entropy")
    assert "(softmax(z) − y)/N" in f.derivative.text
    assert "(softmax(z) − y)/N" in cr.primitives()["softmax_cross_entropy"].__doc__
    assert "softmax(z) − y" in str(nn.CrossEntropyLoss().formula())


def test_fused_cross_entropy_builds_one_node():
    x = cr.tensor(_rng(14).standard_normal((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 1, 3]))
    assert loss.grad_fn.name == "softmax_cross_entropy"
    assert all(i is x or not getattr(i, "requires_grad", False) for i in loss._node.inputs)


# ------------------------------------------------------------------------------ modules
MODULES = [
    (lambda: nn.MSELoss(), lambda: torch.nn.MSELoss(), "regression"),
    (lambda: nn.L1Loss(), lambda: torch.nn.L1Loss(), "regression"),
    (lambda: nn.HuberLoss(), lambda: torch.nn.HuberLoss(), "regression"),
    (lambda: nn.SmoothL1Loss(), lambda: torch.nn.SmoothL1Loss(), "regression"),
    (lambda: nn.BCELoss(weight=cr.ones(3)), lambda: torch.nn.BCELoss(weight=torch.ones(3)),
     "probability"),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=cr.ones(3)),
     lambda: torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)), "binary"),
    (lambda: nn.CrossEntropyLoss(weight=cr.ones(3)),
     lambda: torch.nn.CrossEntropyLoss(weight=torch.ones(3)), "indices"),
    (lambda: nn.NLLLoss(), lambda: torch.nn.NLLLoss(), "indices"),
    (lambda: nn.KLDivLoss(reduction="batchmean"),
     lambda: torch.nn.KLDivLoss(reduction="batchmean"), "probabilities"),
]


@pytest.mark.parametrize("make, make_torch, kind", MODULES,
                         ids=[m[1]().__class__.__name__ for m in MODULES])
def test_loss_module_basics(make, make_torch, kind):
    x, t = _double_case(kind, _rng(15))
    check_basics(make, x, t, torch_factory=make_torch)
    assert list(make().state_dict()) == list(make_torch().state_dict())
    assert repr(make()).startswith(type(make()).__name__ + "(")
    f = make().formula()
    assert f.forward.label == "Forward" and f.derivative.label == "Derivative"
    assert "∂" in f.derivative.text


def test_functional_exports():
    for name in ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div"]:
        assert name in F.__all__ and callable(getattr(F, name))


def test_float32_default_and_numpy_targets():
    """A float32 model output with a float64 NumPy target: the loss stays float32."""
    x = cr.tensor(_rng(16).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    for loss in (F.mse_loss(x, np.zeros((4, 3))), F.cross_entropy(x, [0, 1, 2, 0]),
                 F.cross_entropy(x, _probabilities(_rng(17), (4, 3)))):
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32


# ------------------------------------------------------------------------------ error messages
def test_cross_entropy_integer_one_hot_labels_explained():
    labels = np.eye(3, dtype=np.int64)[[0, 2, 1, 1]]
    with pytest.raises(ValueError, match=r"one-hot.*class indices of shape \(N,\) = \(4,\).*"
                                         r"labels\.argmax\(1\)"):
        nn.CrossEntropyLoss()(cr.zeros(4, 3), labels)


def test_cross_entropy_target_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"target of shape \(5,\) does not fit the input of shape "
                                         r"\(4, 3\).*\(N,\) = \(4,\)"):
        F.cross_entropy(cr.zeros(4, 3), np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match=r"\(4, 1\).*labels\.reshape\(-1\)"):
        F.cross_entropy(cr.zeros(4, 3), np.zeros((4, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"\(N, d1\) = \(4, 5\)"):
        F.cross_entropy(cr.zeros(4, 3, 5), np.zeros((4, 3), dtype=np.int64))


def test_cross_entropy_label_out_of_range_names_label_and_class_count():
    with pytest.raises(IndexError, match=r"label 3 at position \(2,\).*3 classes.*0…2"):
        F.cross_entropy(cr.zeros(4, 3), np.array([0, 1, 3, 2]))
    with pytest.raises(IndexError, match=r"label -1 .*3 classes"):
        nn.CrossEntropyLoss()(cr.zeros(2, 3), np.array([-1, 0]))
    with pytest.raises(IndexError, match=r"label 7 .*5 classes"):
        nn.NLLLoss()(cr.zeros(2, 5), np.array([7, 0]))
    F.cross_entropy(cr.zeros(2, 3), np.array([-1, 0]), ignore_index=-1)   # ignored: fine


def test_cross_entropy_float_target_of_wrong_shape_explained():
    with pytest.raises(ValueError, match=r"class probabilities.*\(4, 3\).*\(4,\).*integers"):
        F.cross_entropy(cr.zeros(4, 3), np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"ignore_index=0.*class-probability"):
        F.cross_entropy(cr.zeros(4, 3), np.full((4, 3), 1 / 3), ignore_index=0)


def test_nll_loss_one_hot_and_float_targets_explained():
    with pytest.raises(ValueError, match=r"one-hot.*argmax\(1\)"):
        F.nll_loss(cr.zeros(2, 3), np.eye(3, dtype=np.int64)[[0, 1]])
    with pytest.raises(ValueError, match=r"integer class indices.*float64"):
        F.nll_loss(cr.zeros(2, 3), np.full((2, 3), 0.5))


def test_class_weight_of_wrong_shape_explained():
    with pytest.raises(ValueError, match=r"weight of shape \(4,\).*\(3,\)"):
        nn.CrossEntropyLoss(weight=cr.ones(4))(cr.zeros(2, 3), np.array([0, 1]))


def test_regression_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"input of shape \(4, 3\) and target of shape \(4,\)"):
        nn.MSELoss()(cr.zeros(4, 3), cr.zeros(4))


def test_bce_errors():
    with pytest.raises(ValueError, match=r"target of shape \(4,\).*input \(4, 1\)"):
        nn.BCELoss()(cr.full((4, 1), 0.5), cr.zeros(4))
    with pytest.raises(ValueError, match=r"\[0, 1\].*binary_cross_entropy_with_logits"):
        nn.BCELoss()(cr.tensor([-1.0, 2.0]), cr.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target of shape \(3,\).*\(3, 1\)"):
        nn.BCEWithLogitsLoss()(cr.zeros(3, 1), cr.zeros(3))


def test_invalid_options_explained():
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none', got "
                                         r"'avg'"):
        F.mse_loss(cr.zeros(2), cr.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(cr.zeros(2), cr.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match="beta must be non-negative"):
        F.smooth_l1_loss(cr.zeros(2), cr.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        F.cross_entropy(cr.zeros(2, 3), [0, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match="'batchmean'"):
        F.mse_loss(cr.zeros(2), cr.zeros(2), reduction="batchmean")


@pytest.mark.parametrize("fast", [True, False])
def test_infinite_and_nan_logits_give_pytorchs_nans(fast):
    """A row whose maximum is +∞, or that is −∞ throughout, is NaN in softmax, log_softmax and
    the cross-entropy's gradient, as PyTorch's (not 0 where the other entries are finite); an
    ignored sample adds 0 to the loss even where its logits are NaN."""
    from chainrule import kernels

    inf, nan = float("inf"), float("nan")
    z = np.array([[0.5, inf, 1.0], [-inf, -inf, -inf], [nan, 0.0, 1.0], [2.0, inf, 0.0],
                  [0.0, 1.0, 2.0]])
    y = np.array([0, 1, 2, -100, 2])
    for f in ("softmax", "log_softmax"):
        mine = getattr(cr.nn.functional, f)(cr.tensor(z), dim=1).numpy()
        np.testing.assert_allclose(mine, getattr(torch, f)(torch.tensor(z), dim=1).numpy(),
                                   rtol=1e-15, atol=1e-16)
    previous = kernels.enabled(fast)
    try:
        for rows in (slice(None), [3, 4]):
            zt = cr.tensor(z[rows], requires_grad=True)
            loss = cr.nn.functional.cross_entropy(zt, cr.tensor(y[rows]))
            loss.backward()
            tz = torch.tensor(z[rows], requires_grad=True)
            theirs = torch.nn.functional.cross_entropy(tz, torch.tensor(y[rows]))
            theirs.backward()
            np.testing.assert_allclose(loss.numpy(), theirs.detach().numpy(), rtol=1e-15)
            np.testing.assert_allclose(zt.grad.numpy(), tz.grad.numpy(), rtol=1e-15, atol=1e-16)
    finally:
        kernels.enabled(previous)
