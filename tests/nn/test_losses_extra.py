"""The losses of chainrule.ops.losses_extra and CTC against PyTorch 2.13, float64.

Every loss, as function and as module, over 'none' / 'mean' / 'sum' and its options: values to
relative 1e-10 and the gradients of every differentiable input (⟨w, loss⟩ backpropagated with the
same random w); chainrule.gradcheck on the composites; CTC in both target formats, with repeated
labels, blank-only (empty) targets, unequal input lengths and infeasible alignments.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

REDUCTIONS = ["none", "mean", "sum"]
RTOL, ATOL = 1e-10, 1e-12


def _compare(name, arrays, grad, kwargs=None, ints=(), module=None, module_kwargs=None):
    """Run F.<name> (or nn.<module>) on both libraries; compare outputs and gradients."""
    kwargs = kwargs or {}
    rng = np.random.default_rng(7)
    mine, theirs = [], []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            rg = i in grad
            mine.append(cr.tensor(a.copy(), requires_grad=rg))
            theirs.append(torch.tensor(a.copy(), requires_grad=rg))
        else:
            mine.append(a)
            theirs.append(a)
    if module is None:
        out = getattr(F, name)(*mine, **kwargs)
        expected = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    else:
        out = getattr(nn, module)(**(module_kwargs or {}))(*mine)
        expected = getattr(torch.nn, module)(**(module_kwargs or {}))(*theirs)
    assert tuple(out.shape) == tuple(expected.shape), (out.shape, expected.shape)
    assert str(out.dtype).endswith(str(expected.dtype).split(".")[-1])
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=RTOL,
                               atol=ATOL)
    if grad:
        w = rng.standard_normal(tuple(expected.shape))
        (out * cr.tensor(w)).sum().backward()
        (expected * torch.tensor(w)).sum().backward()
        for i in grad:
            np.testing.assert_allclose(mine[i].grad.numpy(), theirs[i].grad.numpy(), rtol=RTOL,
                                       atol=ATOL, err_msg=f"{name}: gradient of input {i}")
    return out


def _gradcheck(fn, *arrays):
    assert cr.gradcheck(fn, *arrays, eps=1e-6, atol=1e-5, rtol=1e-3)


RNG = np.random.default_rng(0)


def _u(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape)


def _sign(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


# ------------------------------------------------------------------------ likelihood losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(reduction, log_input, full):
    x = _u(3, 4) if log_input else _u(3, 4, low=0.1, high=3)
    y = RNG.poisson(2.0, (3, 4)).astype(float)
    y[0, :3] = [0, 1, 1.5]
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    _compare("poisson_nll_loss", [x, y], [0, 1], kw)
    _compare("", [x, y], [0], module="PoissonNLLLoss",
             module_kwargs=dict(log_input=log_input, full=full, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    x, y = _u(3, 4), _u(3, 4)
    var = _u(*var_shape, low=0.2, high=2)
    var.flat[0] = 1e-8                                       # below eps: clamped, value only
    _compare("gaussian_nll_loss", [x, y, var], [0, 1, 2],
             dict(full=full, reduction=reduction))
    _compare("", [x, y, var], [0, 2], module="GaussianNLLLoss",
             module_kwargs=dict(full=full, reduction=reduction))


def test_gaussian_nll_loss_errors():
    with pytest.raises(ValueError, match="var"):
        F.gaussian_nll_loss(cr.zeros(3, 4), cr.zeros(3, 4), cr.ones(2, 4))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(cr.zeros(3), cr.zeros(3), -cr.ones(3))


# ------------------------------------------------------------------------ margin losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    x1, x2, y = _u(7), _u(7), _sign(7)
    _compare("margin_ranking_loss", [x1, x2, y], [0, 1], dict(margin=margin, reduction=reduction))
    _compare("", [x1, x2, y], [0, 1], module="MarginRankingLoss",
             module_kwargs=dict(margin=margin, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), ()])
def test_hinge_embedding_loss(reduction, shape):
    x, y = _u(*shape), _sign(*shape)
    _compare("hinge_embedding_loss", [x, y], [0], dict(margin=0.7, reduction=reduction))
    _compare("", [x, y], [0], module="HingeEmbeddingLoss", module_kwargs=dict(reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    x, y = _u(3, 5, low=-4, high=4), _sign(3, 5)
    _compare("soft_margin_loss", [x, y], [0], dict(reduction=reduction))
    _compare("", [x, y], [0], module="SoftMarginLoss", module_kwargs=dict(reduction=reduction))
    _gradcheck(lambda a: F.soft_margin_loss(a, cr.tensor(y)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_multilabel_soft_margin_loss(reduction, weighted, shape):
    x = _u(*shape, low=-30, high=30)
    y = (RNG.random(shape) < 0.5).astype(float)
    w = _u(shape[-1], low=0.5, high=2) if weighted else None
    if not weighted:
        _compare("multilabel_soft_margin_loss", [x, y], [0, 1], dict(reduction=reduction))
    mine = F.multilabel_soft_margin_loss(cr.tensor(x), cr.tensor(y), weight=None if w is None
                                         else cr.tensor(w), reduction=reduction)
    theirs = torch.nn.functional.multilabel_soft_margin_loss(
        torch.tensor(x), torch.tensor(y), weight=None if w is None else torch.tensor(w),
        reduction=reduction)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=RTOL, atol=ATOL)
    _gradcheck(lambda a: F.multilabel_soft_margin_loss(a, cr.tensor(y)), x / 10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (4,)])
def test_multi_margin_loss(reduction, p, weighted, shape):
    x = _u(*shape)
    y = RNG.integers(0, shape[-1], shape[:-1])
    w = _u(shape[-1], low=0.5, high=2) if weighted else None
    mine = cr.tensor(x.copy(), requires_grad=True)
    theirs = torch.tensor(x.copy(), requires_grad=True)
    a = F.multi_margin_loss(mine, cr.tensor(y), p=p, margin=0.8,
                            weight=None if w is None else cr.tensor(w), reduction=reduction)
    b = torch.nn.functional.multi_margin_loss(theirs, torch.tensor(y), p=p, margin=0.8,
                                              weight=None if w is None else torch.tensor(w),
                                              reduction=reduction)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = RNG.standard_normal(tuple(b.shape))
    (a * cr.tensor(g)).sum().backward()
    (b * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=RTOL, atol=ATOL)
    m = nn.MultiMarginLoss(p=p, reduction=reduction)(cr.tensor(x), cr.tensor(y))
    t = torch.nn.MultiMarginLoss(p=p, reduction=reduction)(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    x = _u(4, 5)
    y = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0], [4, 4, -1, 2, 2]])
    _compare("multilabel_margin_loss", [x, y], [0], dict(reduction=reduction))
    _compare("multilabel_margin_loss", [x[0], y[0]], [0], dict(reduction=reduction))
    _compare("", [x, y], [0], module="MultiLabelMarginLoss",
             module_kwargs=dict(reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.2])
def test_cosine_embedding_loss(reduction, margin):
    x1, x2, y = _u(6, 4), _u(6, 4), _sign(6)
    _compare("cosine_embedding_loss", [x1, x2, y], [0, 1], dict(margin=margin,
                                                                reduction=reduction))
    _compare("cosine_embedding_loss", [x1[0], x2[0], np.array(y[0])], [0, 1],
             dict(margin=margin, reduction=reduction))
    _compare("", [x1, x2, y], [0, 1], module="CosineEmbeddingLoss",
             module_kwargs=dict(margin=margin, reduction=reduction))
    _gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, cr.tensor(y), margin=margin), x1, x2)


# ------------------------------------------------------------------------ triplet losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2, 1, 3])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, p, swap):
    a, pos, neg = _u(5, 3), _u(5, 3), _u(5, 3)
    kw = dict(margin=1.5, p=p, eps=1e-6, swap=swap, reduction=reduction)
    _compare("triplet_margin_loss", [a, pos, neg], [0, 1, 2], kw)
    _compare("triplet_margin_loss", [a[0], pos[0], neg[0]], [0, 1, 2], kw)
    _compare("", [a, pos, neg], [0, 1, 2], module="TripletMarginLoss", module_kwargs=kw)
    _gradcheck(lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=1.5, p=p, swap=swap),
               a, pos, neg)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(reduction, swap):
    a, pos, neg = _u(5, 3), _u(5, 3), _u(5, 3)
    _compare("triplet_margin_with_distance_loss", [a, pos, neg], [0, 1, 2],
             dict(swap=swap, reduction=reduction, margin=2.0))
    mine = [cr.tensor(v, requires_grad=True) for v in (a, pos, neg)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, pos, neg)]
    out = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda u, v: ((u - v) ** 2).sum(-1), swap=swap,
        reduction=reduction)(*mine)
    expected = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda u, v: ((u - v) ** 2).sum(-1), swap=swap,
        reduction=reduction)(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=RTOL)
    out.sum().backward()
    expected.sum().backward()
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_margin_errors_name_the_op():
    with pytest.raises(ValueError, match="multi_margin_loss"):
        F.multi_margin_loss(cr.zeros(2, 3), cr.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="margin"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="reduction"):
        F.soft_margin_loss(cr.zeros(2), cr.ones(2), reduction="avg")


# ------------------------------------------------------------------------ existing losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_and_cross_entropy_k_dimensional_weighted_ignore_index(reduction):
    x = _u(3, 4, 5, 2)
    t = RNG.integers(0, 4, (3, 5, 2))
    t[0, 0, 0] = t[1, 2, 1] = -100
    w = _u(4, low=0.5, high=2)
    lp = torch.log_softmax(torch.tensor(x), 1).numpy()
    for name, inp, kw in (("nll_loss", lp, {}), ("cross_entropy", x, dict(label_smoothing=0.1))):
        mine = cr.tensor(inp.copy(), requires_grad=True)
        theirs = torch.tensor(inp.copy(), requires_grad=True)
        a = getattr(F, name)(mine, cr.tensor(t), weight=cr.tensor(w), reduction=reduction, **kw)
        b = getattr(torch.nn.functional, name)(theirs, torch.tensor(t), weight=torch.tensor(w),
                                               reduction=reduction, **kw)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets_weighted_smoothed(reduction):
    x = _u(3, 4, 5)
    p = RNG.dirichlet(np.ones(4), (3, 5)).transpose(0, 2, 1).copy()
    w = _u(4, low=0.5, high=2)
    mine = cr.tensor(x.copy(), requires_grad=True)
    theirs = torch.tensor(x.copy(), requires_grad=True)
    a = F.cross_entropy(mine, cr.tensor(p), weight=cr.tensor(w), reduction=reduction,
                        label_smoothing=0.2)
    b = torch.nn.functional.cross_entropy(theirs, torch.tensor(p), weight=torch.tensor(w),
                                          reduction=reduction, label_smoothing=0.2)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weight_pos_weight_huber_smooth_l1_kl(reduction):
    x, y = _u(4, 3), RNG.random((4, 3))
    w, pw = _u(4, 3, low=0.5, high=2), _u(3, low=0.5, high=3)
    cases = [
        ("binary_cross_entropy_with_logits", [x, y], dict(weight=w, pos_weight=pw)),
        ("binary_cross_entropy", [1 / (1 + np.exp(-x)), y], dict(weight=w)),
        ("huber_loss", [x, y], dict(delta=0.6)),
        ("smooth_l1_loss", [x, y], dict(beta=0.4)),
        ("kl_div", [x, np.log(y)], dict(log_target=True)),
        ("kl_div", [x, y], dict(log_target=False)),
    ]
    for name, arrays, kw in cases:
        mine_kw = {k: cr.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                     for k, v in kw.items()}
        mine = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
        a = getattr(F, name)(*mine, reduction=reduction, **mine_kw)
        b = getattr(torch.nn.functional, name)(*theirs, reduction=reduction, **theirs_kw)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
        a.sum().backward()
        b.sum().backward()
        for m, t in zip(mine, theirs):
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=name)


# ------------------------------------------------------------------------------- CTC
def _ctc_problem(seed=0, T=12, N=5, C=5, width=5):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C))
    lp = torch.log_softmax(torch.tensor(logits), 2).numpy()
    target_lengths = np.array([3, 0, 5, 2, 4])[:N]
    input_lengths = np.array([12, 9, 12, 5, 4])[:N]     # the last one cannot fit [1, 1, 2, 2]
    targets = rng.integers(1, C, (N, width))
    targets[2] = [1, 1, 2, 2, 2]                         # repeats need blanks in between
    targets[3, :2] = [3, 3]
    targets[4, :4] = [1, 1, 2, 2]
    return logits, lp, targets, input_lengths, target_lengths


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("blank", [0, 4])
def test_ctc_loss_matches_torch(reduction, zero_infinity, layout, blank):
    logits, lp, targets, il, tl = _ctc_problem()
    if blank == 4:
        targets = np.where(targets == 4, 0, targets)
    if not zero_infinity:                                # keep the loss finite
        il, tl, targets, lp = il[:4], tl[:4], targets[:4], lp[:, :4]
    if layout == "concatenated":
        targets = np.concatenate([targets[i, :tl[i]] for i in range(len(tl))])
    kw = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    out = _compare("ctc_loss", [lp, targets, il, tl], [0], kw)
    assert np.isfinite(out.detach().numpy()).all()
    _compare("", [lp, targets, il, tl], [0], module="CTCLoss", module_kwargs=kw)


def test_ctc_loss_lengths_as_tensors_and_lists_and_unbatched():
    logits, lp, targets, il, tl = _ctc_problem()
    a = F.ctc_loss(cr.tensor(lp[:, :4]), cr.tensor(targets[:4]), cr.tensor(il[:4]),
                   cr.tensor(tl[:4]), reduction="none")
    b = F.ctc_loss(cr.tensor(lp[:, :4]), cr.tensor(targets[:4]), list(il[:4]), tuple(tl[:4]),
                   reduction="none")
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    for reduction in REDUCTIONS:
        _compare("ctc_loss", [lp[:, 0], targets[0, :3], np.array(12), np.array(3)], [0],
                 dict(reduction=reduction))


def test_ctc_loss_infinite_without_zero_infinity():
    _, lp, targets, il, tl = _ctc_problem()
    a = F.ctc_loss(cr.tensor(lp), cr.tensor(targets), cr.tensor(il), cr.tensor(tl),
                   reduction="none")
    b = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor(targets), torch.tensor(il),
                                     torch.tensor(tl), reduction="none")
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL)
    assert np.isinf(a.numpy()[4])


def test_ctc_gradient_is_exact_through_log_softmax():
    """With x = log_softmax(z), PyTorch's gradient convention is the true derivative in z."""
    logits = np.random.default_rng(3).standard_normal((6, 3, 4)) * 0.5
    targets = np.array([[1, 1, 0], [2, 0, 0], [3, 1, 3]])     # a repeat, an empty target
    tl, il = np.array([2, 0, 3]), np.array([6, 4, 6])

    def fn(z):
        return F.ctc_loss(F.log_softmax(z, 2), cr.tensor(targets), cr.tensor(il),
                          cr.tensor(tl), reduction="sum")
    _gradcheck(fn, logits)


def test_ctc_loss_errors():
    lp = cr.zeros(5, 2, 3)
    with pytest.raises(RuntimeError, match="input_lengths"):
        F.ctc_loss(lp, cr.tensor([[1], [2]]), [6, 5], [1, 1])
    with pytest.raises(RuntimeError, match="concatenated"):
        F.ctc_loss(lp, cr.tensor([1, 2, 1]), [5, 5], [1, 1])
    with pytest.raises(ValueError, match="blank"):
        F.ctc_loss(lp, cr.tensor([1, 2]), [5, 5], [1, 1], blank=3)


def test_formulas_of_new_loss_modules():
    for name in ("PoissonNLLLoss", "GaussianNLLLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
                 "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
                 "MultiLabelMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
                 "TripletMarginWithDistanceLoss", "CTCLoss"):
        for reduction in REDUCTIONS:
            f = getattr(nn, name)(reduction=reduction).formula()
            assert f.equations, name
