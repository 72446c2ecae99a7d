"""``nn.utils.prune`` against PyTorch: the masks (bit for bit, ties included: integer-valued
weights make many equal |w| and equal channel norms, which PyTorch's CPU ``topk`` breaks in its
own way), the ``weight_orig`` / ``weight_mask`` layout and its forward pre-hook, iterative
pruning through PruningContainer, global pruning, removal, errors, and training through the
mask; the random methods draw from chainrule's generator, which gives PyTorch's draws for the
same seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import chainrule as cr
import chainrule.nn.utils.prune as prune
from chainrule.nn.utils._stl_select import topk_indices

LIBS = ((cr, prune), (torch, tprune))


def _np(t):
    return t.detach().numpy()


def _int_weights(shape, seed, high=3):
    """Small integers: many ties among |w| and among channel norms."""
    return np.random.default_rng(seed).integers(-high, high + 1, shape).astype(np.float64)


def _pair(make, weight=None, seed=0):
    torch.manual_seed(seed)
    theirs = make(torch).double()
    if weight is not None:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(weight))
    mine = make(cr).double()
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def _same_masks(mine, theirs, name="weight"):
    np.testing.assert_array_equal(_np(getattr(mine, name + "_mask")),
                                  _np(getattr(theirs, name + "_mask")))
    np.testing.assert_array_equal(_np(getattr(mine, name)), _np(getattr(theirs, name)))


def _linear(L):
    return L.nn.Linear(12, 9)


def _conv(L):
    return L.nn.Conv2d(4, 6, 3)


# ------------------------------------------------------------------------------ ties
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("n", [1, 7, 40, 300, 5000])
def test_topk_tie_choice_is_pytorchs(n, largest):
    rng = np.random.default_rng(n)
    for trial in range(8):
        values = rng.integers(0, 1 + trial, n).astype(np.float64)
        if trial == 5:
            values[rng.random(n) < 0.2] = np.nan
        for k in sorted({0, 1, n // 64, n // 63, n // 3, n - 1, n} & set(range(n + 1))):
            theirs = torch.topk(torch.tensor(values), k, largest=largest).indices.numpy()
            mine = topk_indices(values, k, largest)
            np.testing.assert_array_equal(np.sort(mine), np.sort(theirs))


# ------------------------------------------------------------------------------ unstructured
@pytest.mark.parametrize("amount", [0, 1, 0.3, 0.5, 17, 108, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1_unstructured_masks_with_ties(amount, seed):
    mine, theirs = _pair(_linear, _int_weights((9, 12), seed))
    for P, m in ((prune, mine), (tprune, theirs)):
        assert P.l1_unstructured(m, "weight", amount=amount) is m
    _same_masks(mine, theirs)


def test_layout_hook_and_training_match_pytorch():
    mine, theirs = _pair(_linear, _int_weights((9, 12), 3))
    weight = mine.weight
    for L, P, m in ((cr, prune, mine), (torch, tprune, theirs)):
        P.l1_unstructured(m, "weight", amount=0.4)
        assert not P.is_pruned(L.nn.Linear(2, 2)) and P.is_pruned(m)
        assert P.is_pruned(L.nn.Sequential(L.nn.Linear(2, 2), m))
    assert mine.weight_orig is weight                           # the same Parameter object
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig",
                                                                    "weight_mask"]
    assert [n for n, _ in mine.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in mine.named_buffers()] == ["weight_mask"]
    assert "weight" not in mine._parameters and not isinstance(mine.weight, cr.nn.Parameter)
    hooks = list(mine._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.L1Unstructured)
    assert hooks[0]._tensor_name == "weight" and hooks[0].amount == 0.4
    assert mine.weight_mask.dtype == cr.float64
    opt = cr.optim.SGD(mine.parameters(), lr=0.1)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((5, 12))
        opt.zero_grad()
        topt.zero_grad()
        y, ty = mine(cr.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-10)
        (y ** 2).sum().backward()
        (ty ** 2).sum().backward()
        np.testing.assert_allclose(_np(mine.weight_orig.grad), _np(theirs.weight_orig.grad),
                                   rtol=1e-10, atol=1e-12)
        assert not np.any(_np(mine.weight_orig.grad)[_np(mine.weight_mask) == 0])
        opt.step()
        topt.step()
    np.testing.assert_allclose(_np(mine.weight), _np(theirs.weight), rtol=1e-10)


def test_importance_scores():
    scores = _int_weights((9, 12), 9)
    mine, theirs = _pair(_linear, _int_weights((9, 12), 4))
    prune.l1_unstructured(mine, "weight", 30, importance_scores=cr.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", 30, importance_scores=torch.tensor(scores))
    _same_masks(mine, theirs)
    prune.ln_structured(mine, "weight", 2, 1, 0, importance_scores=cr.tensor(scores))
    tprune.ln_structured(theirs, "weight", 2, 1, 0, importance_scores=torch.tensor(scores))
    _same_masks(mine, theirs)
    for L, P, m in ((cr, prune, mine), (torch, tprune, theirs)):
        with pytest.raises(AssertionError, match="importance_scores should have the same shape"):
            P.l1_unstructured(m, "weight", 3, importance_scores=L.zeros(2, 2))


def test_random_unstructured_same_seed_same_mask():
    mine, theirs = _pair(_conv)
    for amount in (0.25, 20):
        torch.manual_seed(amount)
        cr.manual_seed(amount)
        tprune.random_unstructured(theirs, "weight", amount)
        prune.random_unstructured(mine, "weight", amount)
        _same_masks(mine, theirs)
    assert isinstance(next(iter(mine._forward_pre_hooks.values())), prune.PruningContainer)


# ------------------------------------------------------------------------------ structured
@pytest.mark.parametrize("n", [1, 2, float("inf"), float("-inf"), "fro", 0])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("amount", [1, 0.5, 3])
def test_ln_structured_masks_with_ties(n, dim, amount):
    make = _conv if n != "fro" else (lambda L: L.nn.Conv1d(4, 6, 3))
    shape = (6, 4, 3, 3) if n != "fro" else (6, 4, 3)
    mine, theirs = _pair(make, _int_weights(shape, 5, high=1))
    for P, m in ((prune, mine), (tprune, theirs)):
        P.ln_structured(m, "weight", amount=amount, n=n, dim=dim)
    _same_masks(mine, theirs)


def test_ln_structured_matrix_norms():
    w = _int_weights((6, 4, 3), 12)
    mine, theirs = _pair(lambda L: L.nn.Conv1d(4, 6, 3), w)
    for P, m in ((prune, mine), (tprune, theirs)):
        P.ln_structured(m, "weight", amount=2, n="nuc", dim=0)
    _same_masks(mine, theirs)
    for L, P in LIBS:
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
            P.ln_structured(L.nn.Conv2d(2, 3, 2), "weight", amount=1, n="fro", dim=0)


def test_ln_structured_equal_channels():
    """Channels that are permutations of each other: equal norms computed exactly."""
    w = np.zeros((8, 5))
    w[:, :3] = [1.0, -2.0, 2.0]
    for i in range(8):
        w[i] = np.roll(w[i], i)
    mine, theirs = _pair(lambda L: L.nn.Linear(5, 8), w)
    for P, m in ((prune, mine), (tprune, theirs)):
        P.ln_structured(m, "weight", amount=3, n=2, dim=0)
        P.ln_structured(m, "weight", amount=0.4, n=1, dim=1)
    _same_masks(mine, theirs)


def test_random_structured_same_seed_same_mask():
    mine, theirs = _pair(_conv)
    torch.manual_seed(7)
    cr.manual_seed(7)
    tprune.random_structured(theirs, "weight", 2, dim=0)
    prune.random_structured(mine, "weight", 2, dim=0)
    _same_masks(mine, theirs)
    tprune.random_structured(theirs, "weight", 0.5, dim=1)
    prune.random_structured(mine, "weight", 0.5, dim=1)
    _same_masks(mine, theirs)


# ------------------------------------------------------------------------------ combinations
def test_iterative_pruning_combines_masks():
    mine, theirs = _pair(_conv, _int_weights((6, 4, 3, 3), 6, high=2))
    cr.manual_seed(1)
    torch.manual_seed(1)
    steps = [("l1_unstructured", {"amount": 0.2}),
             ("ln_structured", {"amount": 1, "n": 2, "dim": 0}),
             ("random_unstructured", {"amount": 0.1}),
             ("l1_unstructured", {"amount": 15}),
             ("random_structured", {"amount": 1, "dim": 1}),
             ("ln_structured", {"amount": 0.34, "n": 1, "dim": -1}),
             ("identity", {})]
    for name, kw in steps:
        getattr(prune, name)(mine, "weight", **kw)
        getattr(tprune, name)(theirs, "weight", **kw)
        _same_masks(mine, theirs)
    container = next(iter(mine._forward_pre_hooks.values()))
    assert isinstance(container, prune.PruningContainer) and len(container) == len(steps)
    assert [type(m).__name__ for m in container] == [
        type(m).__name__ for m in next(iter(theirs._forward_pre_hooks.values()))]
    assert isinstance(container[0], prune.L1Unstructured)
    assert list(mine.state_dict()) == list(theirs.state_dict())


def test_global_unstructured():
    makes = [_int_weights((9, 12), 7), _int_weights((6, 4, 3, 3), 8)]
    lin, tlin = _pair(_linear, makes[0])
    conv, tconv = _pair(_conv, makes[1])
    prune.l1_unstructured(lin, "weight", 10)                     # a mask already there
    tprune.l1_unstructured(tlin, "weight", 10)
    scores = _int_weights((6,), 1)
    for P, a, b, L in ((prune, lin, conv, cr), (tprune, tlin, tconv, torch)):
        params = [(a, "weight"), (b, "weight"), (b, "bias")]
        P.global_unstructured(params, P.L1Unstructured, amount=0.3,
                              importance_scores={(b, "bias"): L.tensor(scores)})
        P.global_unstructured(params, pruning_method=P.RandomUnstructured, amount=0)
    for m, t, name in ((lin, tlin, "weight"), (conv, tconv, "weight"), (conv, tconv, "bias")):
        _same_masks(m, t, name)
    for P, m in ((prune, lin), (tprune, tlin)):
        with pytest.raises(TypeError, match='Only "unstructured"'):
            P.global_unstructured([(m, "weight")], P.LnStructured, amount=1, n=2, dim=0)
        with pytest.raises(TypeError, match="importance_scores must be of type dict"):
            P.global_unstructured([(m, "weight")], P.L1Unstructured, importance_scores=[],
                                  amount=1)


def test_custom_from_mask_identity_and_remove():
    mask = (np.random.default_rng(0).random((9, 12)) < 0.5).astype(np.float64)
    mine, theirs = _pair(_linear)
    weight = mine.weight
    for L, P, m in ((cr, prune, mine), (torch, tprune, theirs)):
        P.identity(m, "bias")
        P.custom_from_mask(m, "weight", mask=L.tensor(mask))
        assert list(m.state_dict()) == ["bias_orig", "weight_orig", "bias_mask", "weight_mask"]
        assert P.remove(m, "weight") is m
        with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
            P.remove(m, "weight")
        P.remove(m, "bias")
        assert not P.is_pruned(m) and len(m._forward_pre_hooks) == 0
    assert mine.weight is weight                                 # the original Parameter back
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(_np(mine.weight), _np(theirs.weight))
    np.testing.assert_array_equal(_np(mine.weight) == 0, (mask == 0) | (_np(theirs.weight) == 0))


def test_methods_called_directly():
    t = _int_weights((5, 6), 11)
    for L, P in LIBS:
        x = L.tensor(t)
        out = [P.L1Unstructured(amount=7).compute_mask(x, default_mask=L.ones_like(x)),
               P.LnStructured(2, n=1, dim=1).compute_mask(x, L.ones_like(x)),
               P.L1Unstructured(0.5).prune(x),
               P.CustomFromMask(L.tensor(t > 0)).compute_mask(x, L.ones_like(x)),
               P.Identity().compute_mask(x, L.ones_like(x))]
        if L is cr:
            mine = [_np(o) for o in out]
        else:
            for a, b in zip(mine, out):
                np.testing.assert_array_equal(a, _np(b))
    for _, P in LIBS:
        with pytest.raises(TypeError):
            P.BasePruningMethod()                                # abstract
        with pytest.raises(AttributeError):
            P.PruningContainer(P.L1Unstructured(1))              # _tensor_name never set
        with pytest.raises(AttributeError):
            P.PruningContainer(P.L1Unstructured(1), P.L1Unstructured(2))
        first = P.L1Unstructured(1)
        first._tensor_name = "weight"
        c = P.PruningContainer(first)
        other = P.L1Unstructured(1)
        other._tensor_name = "bias"
        with pytest.raises(ValueError, match="Can only add pruning methods acting on"):
            c.add_pruning_method(other)
        with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
            c.add_pruning_method(3)


def test_errors_match_pytorch():
    for L, P in LIBS:
        m = L.nn.Linear(4, 3)
        with pytest.raises(TypeError, match="Invalid type for amount"):
            P.l1_unstructured(m, "weight", amount="half")
        for bad in (-1, 1.5, -0.1):
            with pytest.raises(ValueError, match="should either be a float"):
                P.random_unstructured(m, "weight", amount=bad)
        with pytest.raises(ValueError, match="should be smaller than the number"):
            P.l1_unstructured(m, "weight", amount=13)
        assert "weight" in m._parameters and "weight_orig" not in m._parameters  # rolled back
        with pytest.raises(ValueError, match="Structured pruning can only be applied"):
            P.ln_structured(m, "bias", amount=1, n=2, dim=0)
        with pytest.raises(IndexError, match="Invalid index"):
            P.random_structured(m, "weight", amount=1, dim=2)
        with pytest.raises(AttributeError):
            P.l1_unstructured(m, "nothing", amount=1)
