"""``nn.utils.parametrize``, ``nn.utils.parametrizations`` (weight_norm, spectral_norm,
orthogonal), the hook-based ``weight_norm``/``spectral_norm``, BatchNorm fusion, ``skip_init``
and ``clip_grad_norm``, against PyTorch: values, state_dict keys, parameter names, the swapped
class, hooks, errors, and gradients and SGD steps through the parametrized layers (float64,
weights copied from PyTorch; spectral_norm's random u, v drawn from the same seed, or copied)."""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = (cr, torch)


def _np(t):
    return t.detach().numpy()


def _close(mine, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(_np(mine), _np(theirs), rtol=rtol, atol=atol)


def _pair(make, seed=0):
    """The module ``make(L)`` in both libraries, in float64, with PyTorch's weights."""
    torch.manual_seed(seed)
    theirs = make(torch).double()
    mine = make(cr).double()
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return mine, theirs


def _linear(L):
    return L.nn.Linear(5, 4)


def _square(L):
    return L.nn.Linear(4, 4)


def _conv(L):
    return L.nn.Conv2d(3, 4, 3)


def _parametrizations(L):
    """Symmetric (with right_inverse), Scale (without), RankOne (two originals)."""
    nn = L.nn

    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    class Scale(nn.Module):
        def forward(self, X):
            return 3.0 * X

    class RankOne(nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()

    return Symmetric, Scale, RankOne


def _steps(mine, theirs, params_mine, params_theirs, x, steps=3, lr=0.1, loss=None):
    """SGD steps on both; after each, the outputs and gradients agree."""
    loss = loss or (lambda y: (y ** 2).sum())
    opt = cr.optim.SGD(params_mine, lr=lr, momentum=0.9)
    topt = torch.optim.SGD(params_theirs, lr=lr, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        y, ty = mine(cr.tensor(x)), theirs(torch.tensor(x))
        _close(y, ty, rtol=1e-9)
        loss(y).backward()
        loss(ty).backward()
        for p, tp in zip(params_mine, params_theirs):
            _close(p.grad, tp.grad, rtol=1e-8, atol=1e-10)
        opt.step()
        topt.step()
    for p, tp in zip(params_mine, params_theirs):
        _close(p, tp, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------------------------ parametrize
def test_register_parametrization_layout_matches_pytorch():
    mine, theirs = _pair(_square)
    weight, tweight = mine.weight, theirs.weight
    for L, m in ((cr, mine), (torch, theirs)):
        sym = _parametrizations(L)[0]()
        assert L.nn.utils.parametrize.register_parametrization(m, "weight", sym) is m
    assert type(mine).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert isinstance(mine, cr.nn.Linear)
    assert list(mine.state_dict()) == list(theirs.state_dict()) \
        == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert mine.parametrizations.weight.original is weight            # the same Parameter
    assert theirs.parametrizations.weight.original is tweight
    _close(mine.weight, theirs.weight)
    _close(mine.parametrizations.weight.original, theirs.parametrizations.weight.original)
    assert repr(mine).replace("Symmetric", "S") == repr(theirs).replace("Symmetric", "S")
    P = cr.nn.utils.parametrize
    assert P.is_parametrized(mine) and P.is_parametrized(mine, "weight")
    assert not P.is_parametrized(mine, "bias")
    assert P.type_before_parametrizations(mine) is cr.nn.Linear
    assert P.type_before_parametrizations(cr.nn.Linear(2, 2)) is cr.nn.Linear
    assert isinstance(mine.parametrizations.weight, P.ParametrizationList)
    assert mine.parametrizations.weight.is_tensor and mine.parametrizations.weight.ntensors == 1


def test_training_through_a_parametrization_matches_pytorch():
    mine, theirs = _pair(_square)
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[0]())
    x = np.random.default_rng(0).standard_normal((6, 4))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x)
    _close(mine.weight, mine.weight.T)                              # still symmetric


def test_right_inverse_assignment_and_chaining():
    mine, theirs = _pair(_square)
    A = np.random.default_rng(1).standard_normal((4, 4))
    A = A + A.T
    for L, m in ((cr, mine), (torch, theirs)):
        Symmetric, Scale, _ = _parametrizations(L)
        P = L.nn.utils.parametrize
        P.register_parametrization(m, "weight", Symmetric())
        m.weight = L.tensor(A)                                      # right_inverse
        P.register_parametrization(m, "weight", Symmetric())        # checked: keeps shape
        assert len(m.parametrizations.weight) == 2
    _close(mine.weight, theirs.weight)
    _close(mine.parametrizations.weight.original, theirs.parametrizations.weight.original)
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[1]())
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            m.weight = L.tensor(A)
    _close(mine.weight, theirs.weight)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    mine, theirs = _pair(_square)
    originals = []
    for L, m in ((cr, mine), (torch, theirs)):
        P = L.nn.utils.parametrize
        P.register_parametrization(m, "weight", _parametrizations(L)[0]())
        originals.append(m.parametrizations.weight.original)
        P.register_parametrization(m, "bias", _parametrizations(L)[1]())
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        assert type(m).__name__ == "ParametrizedLinear"             # bias still parametrized
        P.remove_parametrizations(m, "bias", leave_parametrized=leave)
        assert type(m) is L.nn.Linear and not hasattr(m, "parametrizations")
    assert mine.weight is originals[0] and theirs.weight is originals[1]
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    _close(mine.weight, theirs.weight)
    _close(mine.bias, theirs.bias)
    for L, m in ((cr, mine), (torch, theirs)):
        with pytest.raises(ValueError, match="does not have a parametrization"):
            L.nn.utils.parametrize.remove_parametrizations(m, "weight")


def test_several_originals_from_right_inverse():
    mine, theirs = _pair(_square)
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[2]())
    assert list(mine.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert not mine.parametrizations.weight.is_tensor
    assert mine.parametrizations.weight.ntensors == 2
    _close(mine.weight, theirs.weight)
    x = np.random.default_rng(2).standard_normal((3, 4))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x, steps=2)
    for L, m in ((cr, mine), (torch, theirs)):
        P = L.nn.utils.parametrize
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            P.remove_parametrizations(m, "weight", leave_parametrized=False)
        P.remove_parametrizations(m, "weight")
    _close(mine.weight, theirs.weight)
    assert isinstance(mine.weight, cr.nn.Parameter)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_consistency_errors_and_unsafe():
    for L in LIBS:
        nn, P = L.nn, L.nn.utils.parametrize

        class Crop(nn.Module):
            def forward(self, X):
                return X[:2]

        class Half(nn.Module):
            def forward(self, X):
                return X.float()

        class NotTensor(nn.Module):
            def forward(self, X):
                return 1.0

        m = nn.Linear(3, 4).double()
        with pytest.raises(ValueError, match="may not change the shape"):
            P.register_parametrization(m, "weight", Crop())
        with pytest.raises(ValueError, match="may not change the dtype"):
            P.register_parametrization(m, "weight", Half())
        with pytest.raises(ValueError, match="must return a tensor"):
            P.register_parametrization(m, "weight", NotTensor())
        with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
            P.register_parametrization(m, "nothing", Crop())
        assert type(m) is nn.Linear                                 # nothing half-done
        P.register_parametrization(m, "weight", Crop(), unsafe=True)
        assert tuple(m.weight.shape) == (2, 3)
        assert m.parametrizations.weight.unsafe
        P.register_parametrization(m, "weight", Half(), unsafe=True)
        assert m.weight.dtype == L.float32


def test_assigning_a_parameter_to_a_parametrized_name_raises_keyerror():
    for L in LIBS:
        m = L.nn.Linear(3, 3)
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[1]())
        with pytest.raises(KeyError, match="already exists"):
            m.weight = L.nn.Parameter(L.zeros(3, 3))


def test_a_buffer_can_be_parametrized():
    mine, theirs = _pair(lambda L: L.nn.BatchNorm1d(3))
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrize.register_parametrization(m, "running_var",
                                                          _parametrizations(L)[1]())
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert "parametrizations.running_var.original" in [n for n, _ in mine.named_buffers()]
    _close(mine.running_var, theirs.running_var)


@pytest.mark.parametrize("L", LIBS, ids=["chainrule", "torch"])
def test_cached_computes_once(L):
    calls = []

    class Count(L.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = L.nn.Linear(3, 3)
    P = L.nn.utils.parametrize
    P.register_parametrization(m, "weight", Count())
    calls.clear()
    reads = [m.weight, m.weight]
    assert len(calls) == 2 and reads[0] is not reads[1]
    with P.cached():
        a = m.weight
        with P.cached():
            b = m.weight
        c = m.weight
    assert len(calls) == 3 and a is b is c
    assert m.weight is not a and len(calls) == 4


def test_deepcopy_works_and_pickle_is_refused():
    for L in LIBS:
        m = L.nn.Linear(3, 3)
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[0]())
        twin = copy.deepcopy(m)
        assert type(twin) is type(m)
        assert twin.parametrizations.weight.original is not m.parametrizations.weight.original
        np.testing.assert_array_equal(_np(twin.weight), _np(m.weight))
        with pytest.raises(RuntimeError, match="only supported through state_dict"):
            pickle.dumps(m)


def test_train_mode_follows_the_module_and_transfer():
    for L in LIBS:
        P = L.nn.utils.parametrize
        m = L.nn.Linear(3, 3).eval()
        scale = _parametrizations(L)[1]()
        P.register_parametrization(m, "weight", scale)
        assert not scale.training
        m.train()
        assert scale.training
        other = L.nn.Linear(3, 3)
        assert P.transfer_parametrizations_and_params(m, other) is other
        assert other.parametrizations.weight.original is m.parametrizations.weight.original
        np.testing.assert_array_equal(_np(other.weight), _np(m.weight))


def test_state_dict_round_trip_between_the_libraries():
    mine, theirs = _pair(_square)
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrize.register_parametrization(m, "weight", _parametrizations(L)[0]())
    fresh = cr.nn.Linear(4, 4, dtype=cr.float64)
    cr.nn.utils.parametrize.register_parametrization(fresh, "weight", _parametrizations(cr)[0]())
    fresh.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    _close(fresh.weight, theirs.weight)


# ------------------------------------------------------------------------------ weight_norm
@pytest.mark.parametrize(("make", "dim"), [(_linear, 0), (_linear, 1), (_linear, None),
                                           (_conv, 0), (_conv, -2), (_conv, None)])
def test_parametrized_weight_norm_matches_pytorch(make, dim):
    mine, theirs = _pair(make)
    for L, m in ((cr, mine), (torch, theirs)):
        assert L.nn.utils.parametrizations.weight_norm(m, dim=dim) is m
    assert list(mine.state_dict()) == list(theirs.state_dict())
    g, v = mine.parametrizations.weight.original0, mine.parametrizations.weight.original1
    tg, tv = theirs.parametrizations.weight.original0, theirs.parametrizations.weight.original1
    assert tuple(g.shape) == tuple(tg.shape) and tuple(v.shape) == tuple(tv.shape)
    _close(g, tg)
    _close(mine.weight, theirs.weight)
    shape = (2, 5) if make is _linear else (2, 3, 6, 6)
    x = np.random.default_rng(3).standard_normal(shape)
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x)


def test_parametrized_weight_norm_loads_the_old_hook_state_dict():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double())
    new = cr.nn.utils.parametrizations.weight_norm(cr.nn.Linear(4, 3, dtype=cr.float64))
    sd = {k: v.detach().numpy() for k, v in old.state_dict().items()}
    result = new.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert set(sd) == {"bias", "weight_g", "weight_v"}             # the caller's dict untouched
    _close(new.weight, old.weight)


# ------------------------------------------------------------------------------ spectral_norm
def _sn_pair(make, seed=5, **kw):
    """spectral_norm on both, u and v drawn from the same seed (PyTorch's generator)."""
    mine, theirs = _pair(make)
    torch.manual_seed(seed)
    cr.manual_seed(seed)
    torch.nn.utils.parametrizations.spectral_norm(theirs, **kw)
    cr.nn.utils.parametrizations.spectral_norm(mine, **kw)
    return mine, theirs


def _check_sn_layout(mine, theirs):
    assert list(mine.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
        "parametrizations.weight.0._v"]
    sn, tsn = mine.parametrizations.weight[0], theirs.parametrizations.weight[0]
    assert sn.dim == tsn.dim and sn.eps == tsn.eps
    assert sn.n_power_iterations == tsn.n_power_iterations
    _close(sn._u, tsn._u, rtol=1e-9)
    _close(sn._v, tsn._v, rtol=1e-9)
    return sn, tsn


@pytest.mark.parametrize("kw", [{}, {"n_power_iterations": 3}, {"dim": 1},
                                {"eps": 1e-6, "dim": -1}])
def test_parametrized_spectral_norm_matches_pytorch(kw):
    mine, theirs = _sn_pair(_linear, **kw)
    sn, tsn = _check_sn_layout(mine, theirs)
    x = np.random.default_rng(4).standard_normal((3, 5))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x)
    _close(sn._u, tsn._u, rtol=1e-8)
    u = sn._u.numpy().copy()
    mine.eval()
    theirs.eval()
    _close(mine.weight, theirs.weight, rtol=1e-8)
    np.testing.assert_array_equal(sn._u.numpy(), u)                 # no iteration in eval


@pytest.mark.parametrize(("make", "kw"), [(_conv, {}), (_conv, {"eps": 1e-6, "dim": -1}),
                                          (lambda L: L.nn.ConvTranspose2d(3, 4, 2), {})])
def test_parametrized_spectral_norm_of_convolutions(make, kw):
    """Each read in training mode is one power-iteration step; a step of SGD in eval mode."""
    mine, theirs = _sn_pair(make, **kw)
    sn, tsn = _check_sn_layout(mine, theirs)
    for _ in range(4):
        _close(mine.weight, theirs.weight, rtol=1e-9)
    _close(sn._u, tsn._u, rtol=1e-9)
    mine.eval()
    theirs.eval()
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 6))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x, steps=2)


def test_a_convolution_reads_its_parametrized_weight_once():
    calls = []

    class Count(cr.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X

    m = cr.nn.Conv2d(2, 3, 3)
    cr.nn.utils.parametrize.register_parametrization(m, "weight", Count())
    calls.clear()
    m(cr.zeros(1, 2, 5, 5))
    assert len(calls) == 1


def test_spectral_norm_with_pytorch_buffers_copied():
    """The same result when u and v come from PyTorch's state_dict instead of the seed."""
    mine, theirs = _pair(_conv)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    cr.manual_seed(123)
    cr.nn.utils.parametrizations.spectral_norm(mine)
    mine.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    _close(mine.weight, theirs.weight, rtol=1e-9)                   # a training-mode read
    _close(mine.parametrizations.weight[0]._u, theirs.parametrizations.weight[0]._u)


def test_spectral_norm_of_a_vector_and_errors():
    for L in LIBS:
        m = L.nn.Linear(3, 4).double()
        L.nn.utils.parametrizations.spectral_norm(m, "bias")
        assert "parametrizations.bias.0._u" not in m.state_dict()
        np.testing.assert_allclose(np.linalg.norm(_np(m.bias)), 1.0)
        with pytest.raises(ValueError, match="n_power_iterations"):
            L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(3, 4), n_power_iterations=0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(3, 4), dim=2)
        with pytest.raises(ValueError, match="has no parameter or buffer"):
            L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(3, 4), "nothing")


def test_spectral_norm_bounds_the_largest_singular_value():
    cr.manual_seed(0)
    m = cr.nn.utils.parametrizations.spectral_norm(cr.nn.Linear(8, 6, dtype=cr.float64))
    for _ in range(30):
        w = m.weight                                            # each read: one iteration
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), 2), 1.0, rtol=1e-6)


# ------------------------------------------------------------------------------ orthogonal
ORTHOGONAL = [((5, 3), None), ((3, 5), None), ((4, 4), None), ((4, 4), "cayley"),
              ((4, 4), "householder"), ((5, 3), "matrix_exp"), ((3, 5), "cayley")]


@pytest.mark.parametrize("triv", [True, False])
@pytest.mark.parametrize(("shape", "orthogonal_map"), ORTHOGONAL)
def test_orthogonal_matches_pytorch(shape, orthogonal_map, triv):
    mine, theirs = _pair(lambda L: L.nn.Linear(shape[1], shape[0]))
    torch.manual_seed(3)
    cr.manual_seed(3)      # a wide/tall base is completed with N(0, 1) draws
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrizations.orthogonal(m, orthogonal_map=orthogonal_map,
                                               use_trivialization=triv)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    _close(mine.weight, theirs.weight, rtol=1e-9, atol=1e-12)
    q = mine.weight.numpy()
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)
    x = np.random.default_rng(5).standard_normal((4, shape[1]))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x, steps=2,
           lr=0.05)


def test_orthogonal_assignment_and_errors():
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    mine, theirs = _pair(_square)
    for L, m in ((cr, mine), (torch, theirs)):
        L.nn.utils.parametrizations.orthogonal(m)
        m.weight = L.tensor(q)
    _close(mine.weight, theirs.weight, rtol=1e-9)
    np.testing.assert_allclose(mine.weight.numpy(), q, atol=1e-12)
    for L in LIBS:
        orth = L.nn.utils.parametrizations.orthogonal
        with pytest.raises(ValueError, match="Expected a matrix"):
            orth(L.nn.Linear(3, 4), "bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be"):
            orth(L.nn.Linear(3, 4), orthogonal_map="qr")
        m = orth(L.nn.Linear(4, 4), orthogonal_map="cayley", use_trivialization=False)
        with pytest.raises(NotImplementedError, match="use_trivialization=False"):
            m.weight = L.tensor(q)


# ------------------------------------------------------------------------------ hook-based
def test_hook_weight_norm_matches_pytorch():
    mine, theirs = _pair(_conv)
    for L, m in ((cr, mine), (torch, theirs)):
        with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
            assert L.nn.utils.weight_norm(m) is m
        assert len(m._forward_pre_hooks) == 1
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g",
                                                                    "weight_v"]
    assert tuple(mine.weight_g.shape) == tuple(theirs.weight_g.shape) == (4, 1, 1, 1)
    _close(mine.weight, theirs.weight)
    x = np.random.default_rng(6).standard_normal((2, 3, 5, 5))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x)
    for L, m in ((cr, mine), (torch, theirs)):
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                L.nn.utils.weight_norm(m)
        assert L.nn.utils.remove_weight_norm(m) is m
        assert len(m._forward_pre_hooks) == 0
        with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
            L.nn.utils.remove_weight_norm(m)
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    _close(mine.weight, theirs.weight)


@pytest.mark.parametrize("dim", [None, 1])
def test_hook_weight_norm_dims(dim):
    mine, theirs = _pair(_linear)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for L, m in ((cr, mine), (torch, theirs)):
            L.nn.utils.weight_norm(m, dim=dim)
    assert tuple(mine.weight_g.shape) == tuple(theirs.weight_g.shape)
    _close(mine.weight_g, theirs.weight_g)
    x = np.random.default_rng(7).standard_normal((3, 5))
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x, steps=2)


@pytest.mark.parametrize("make", [_linear, _conv, lambda L: L.nn.ConvTranspose2d(3, 4, 2)])
def test_hook_spectral_norm_matches_pytorch(make):
    mine, theirs = _pair(make)
    torch.manual_seed(11)
    cr.manual_seed(11)
    for L, m in ((torch, theirs), (cr, mine)):
        assert L.nn.utils.spectral_norm(m) is m
    assert list(mine.state_dict()) == list(theirs.state_dict()) == [
        "bias", "weight_orig", "weight_u", "weight_v"]
    assert [n for n, _ in mine.named_parameters()] == ["bias", "weight_orig"]
    _close(mine.weight_u, theirs.weight_u)
    _close(mine.weight_v, theirs.weight_v)
    _close(mine.weight, theirs.weight)                # the plain attribute set at apply
    shape = (3, 5) if make is _linear else (2, 3, 6, 6)
    x = np.random.default_rng(8).standard_normal(shape)
    _steps(mine, theirs, list(mine.parameters()), list(theirs.parameters()), x)
    _close(mine.weight_u, theirs.weight_u, rtol=1e-8)
    for L, m in ((cr, mine), (torch, theirs)):
        with pytest.raises(RuntimeError, match="Cannot register two spectral_norm"):
            L.nn.utils.spectral_norm(m)
        m.eval()
        L.nn.utils.remove_spectral_norm(m)
        with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
            L.nn.utils.remove_spectral_norm(m)
    assert list(mine.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    _close(mine.weight, theirs.weight, rtol=1e-8)


def test_hook_spectral_norm_errors():
    for L in LIBS:
        with pytest.raises(ValueError, match="n_power_iterations"):
            L.nn.utils.spectral_norm(L.nn.Linear(3, 4), n_power_iterations=0)
        with pytest.raises(ValueError, match="is None"):
            L.nn.utils.spectral_norm(L.nn.Linear(3, 4, bias=False), "bias")


# ------------------------------------------------------------------------------ fusion
def _bn_stats(bn, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1, generator=g)
        bn.running_var.uniform_(0.5, 2, generator=g)
        bn.weight.uniform_(-1, 1, generator=g)
        bn.bias.uniform_(-1, 1, generator=g)


@pytest.mark.parametrize(("conv", "bn", "transpose", "shape"), [
    (lambda L: L.nn.Conv2d(3, 4, 3), lambda L: L.nn.BatchNorm2d(4), False, (2, 3, 6, 6)),
    (lambda L: L.nn.Conv1d(3, 4, 3, bias=False), lambda L: L.nn.BatchNorm1d(4), False,
     (2, 3, 7)),
    (lambda L: L.nn.ConvTranspose2d(3, 4, 2), lambda L: L.nn.BatchNorm2d(4), True,
     (2, 3, 4, 4))])
def test_fuse_conv_bn_eval(conv, bn, transpose, shape):
    mine_c, theirs_c = _pair(conv)
    torch.manual_seed(1)
    theirs_bn = bn(torch).double()
    _bn_stats(theirs_bn, 2)
    mine_bn = bn(cr).double()
    mine_bn.load_state_dict({k: v.numpy() for k, v in theirs_bn.state_dict().items()})
    for m in (mine_c, theirs_c, mine_bn, theirs_bn):
        m.eval()
    fused = cr.nn.utils.fuse_conv_bn_eval(mine_c, mine_bn, transpose=transpose)
    tfused = torch.nn.utils.fuse_conv_bn_eval(theirs_c, theirs_bn, transpose=transpose)
    assert fused is not mine_c and isinstance(fused.weight, cr.nn.Parameter)
    _close(fused.weight, tfused.weight)
    _close(fused.bias, tfused.bias)
    assert fused.bias.requires_grad == tfused.bias.requires_grad
    x = np.random.default_rng(9).standard_normal(shape)
    _close(fused(cr.tensor(x)), mine_bn(mine_c(cr.tensor(x))), rtol=1e-9)
    _close(fused(cr.tensor(x)), tfused(torch.tensor(x)), rtol=1e-9)


def test_fuse_linear_bn_eval_and_errors():
    mine_l, theirs_l = _pair(lambda L: L.nn.Linear(5, 4))
    theirs_bn = torch.nn.BatchNorm1d(4).double()
    _bn_stats(theirs_bn, 3)
    mine_bn = cr.nn.BatchNorm1d(4, dtype=cr.float64)
    mine_bn.load_state_dict({k: v.numpy() for k, v in theirs_bn.state_dict().items()})
    for L, lin, bn in ((cr, mine_l, mine_bn), (torch, theirs_l, theirs_bn)):
        with pytest.raises(AssertionError, match="Fusion only for eval"):
            L.nn.utils.fuse_linear_bn_eval(lin, bn)
        with pytest.raises(AssertionError, match="Fusion only for eval"):
            L.nn.utils.fuse_conv_bn_eval(L.nn.Conv2d(1, 4, 1), bn)
        lin.eval()
        bn.eval()
        with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
            L.nn.utils.fuse_linear_bn_eval(L.nn.Linear(5, 3).eval(), bn)
    fused = cr.nn.utils.fuse_linear_bn_eval(mine_l, mine_bn)
    tfused = torch.nn.utils.fuse_linear_bn_eval(theirs_l, theirs_bn)
    _close(fused.weight, tfused.weight)
    _close(fused.bias, tfused.bias)
    w, b = cr.nn.utils.fuse_linear_bn_weights(mine_l.weight, None, mine_bn.running_mean,
                                              mine_bn.running_var, 1e-3, mine_bn.weight,
                                              mine_bn.bias)
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(theirs_l.weight, None, theirs_bn.running_mean,
                                                   theirs_bn.running_var, 1e-3, theirs_bn.weight,
                                                   theirs_bn.bias)
    _close(w, tw)
    _close(b, tb)
    assert b.requires_grad == tb.requires_grad is False
    w, b = cr.nn.utils.fuse_conv_bn_weights(
        cr.tensor(np.ones((4, 2, 3), np.float32)), None, cr.zeros(4, dtype=cr.float64),
        cr.ones(4, dtype=cr.float64), 1e-5, None, None)
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(
        torch.ones(4, 2, 3), None, torch.zeros(4, dtype=torch.float64),
        torch.ones(4, dtype=torch.float64), 1e-5, None, None)
    assert str(w.dtype) == str(tw.dtype).removeprefix("torch.") == "float32"
    _close(w, tw, rtol=1e-6)
    _close(b, tb)


# ------------------------------------------------------------------------------ the rest
def test_skip_init():
    m = cr.nn.utils.skip_init(cr.nn.Linear, 5, 3)
    t = torch.nn.utils.skip_init(torch.nn.Linear, 5, 3)
    assert type(m) is cr.nn.Linear
    assert tuple(m.weight.shape) == tuple(t.weight.shape) and str(m.weight.device) == "cpu"
    m = cr.nn.utils.skip_init(cr.nn.Embedding, 7, 2, device="cpu")
    assert tuple(m.weight.shape) == (7, 2)
    for L in LIBS:
        class NoDevice(L.nn.Module):
            def __init__(self, n):
                super().__init__()

        with pytest.raises(RuntimeError, match="support a 'device' arg"):
            L.nn.utils.skip_init(NoDevice, 3)
        with pytest.raises(RuntimeError, match="Expected a Module"):
            L.nn.utils.skip_init(int, 3)


def test_clip_grad_norm_is_the_deprecated_alias():
    totals = []
    for L in LIBS:
        a = L.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        (a * a).sum().backward()
        with pytest.warns(FutureWarning, match="clip_grad_norm_"):
            totals.append(L.nn.utils.clip_grad_norm(a, 1.0))
        np.testing.assert_allclose(np.linalg.norm(_np(a.grad)), 1.0, rtol=1e-5)
    _close(totals[0], totals[1], rtol=1e-6)
