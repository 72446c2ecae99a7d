"""Adamax, ASGD, Rprop and LBFGS against PyTorch 2.13's ``torch.optim``.

Adamax, ASGD and Rprop: the harness of test_optimizers.py (a 5-8-3 tanh MLP; at each of 50 steps
chainrule's gradients are given to both optimizers), every option alone and combined, two
parameter groups, and the state saved halfway and loaded into a fresh optimizer; float64 to
relative 1e-10. LBFGS: several ``step(closure)`` calls, each library computing its own gradients,
on the Rosenbrock function and on a small regression problem, with and without the strong-Wolfe
line search, and a state_dict round trip in the middle.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from tests.optim.test_optimizers import TOL, _case_id, _check_state_layout

STEPS = 50

CASES = [
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1)),
    ("ASGD", dict(lr=0.1, t0=10)),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=5)),
    ("ASGD", dict(lr=0.05, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, maximize=True, t0=3, lambd=0.1)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5))),
    ("Rprop", dict(lr=0.05, step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.02, etas=(0.4, 1.1), step_sizes=(1e-4, 1.0), maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.6, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1,
                       maximize=True)),
]

SECOND_GROUP = {
    "Adamax": dict(lr=0.003, betas=(0.5, 0.9), weight_decay=0.02),
    "ASGD": dict(lr=0.02, t0=4, lambd=0.05),
    "Rprop": dict(lr=0.001, etas=(0.2, 1.3)),
    "Adafactor": dict(lr=0.003, beta2_decay=-0.5, weight_decay=0.02),
}


class Problem:
    """A 5-8-3 tanh MLP as four parameters, its data, and the same weights as PyTorch leaves."""

    def __init__(self, dtype, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.x = cr.tensor(rng.standard_normal((16, 5)).astype(dtype))
        self.y = cr.tensor(rng.standard_normal((16, 3)).astype(dtype))
        arrays = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in ((5, 8), (8,), (8, 3),
                                                                           (3,))]
        self.params = [cr.tensor(a, requires_grad=True) for a in arrays]
        self.torch_params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]

    def compute_grads(self) -> None:
        """Gradients by chainrule's autodiff; the same arrays become PyTorch's ``.grad``."""
        w1, b1, w2, b2 = self.params
        for p in self.params:
            p.grad = None
        loss = (((cr.tanh(self.x @ w1 + b1) @ w2 + b2) - self.y) ** 2).mean()
        loss.backward()
        for p, t in zip(self.params, self.torch_params):
            t.grad = torch.from_numpy(p.grad.numpy().copy())

    def assert_equal(self, dtype) -> None:
        for i, (p, t) in enumerate(zip(self.params, self.torch_params)):
            np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), **TOL[dtype],
                                       err_msg=f"parameter {i}")


@pytest.fixture
def torch_dtype(request):
    """Both libraries' default dtype set to the parameters' (ASGD keeps η and μ in it)."""
    previous, previous_cr = torch.get_default_dtype(), cr.get_default_dtype()
    wide = request.param == np.float64
    torch.set_default_dtype(torch.float64 if wide else torch.float32)
    cr.set_default_dtype(cr.float64 if wide else cr.float32)
    yield request.param
    torch.set_default_dtype(previous)
    cr.set_default_dtype(previous_cr)


DTYPES = pytest.mark.parametrize("torch_dtype", [np.float64, np.float32], indirect=True,
                                 ids=["float64", "float32"])


def _groups(problem, name, two, torch_side):
    params = problem.torch_params if torch_side else problem.params
    if not two:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **SECOND_GROUP[name]}]


def _run(name, kwargs, dtype, two_groups=False, reload_at=None):
    problem = Problem(dtype)
    mine = getattr(optim, name)(_groups(problem, name, two_groups, False), **kwargs)
    theirs = getattr(torch.optim, name)(_groups(problem, name, two_groups, True), **kwargs)
    for step in range(STEPS):
        if step == reload_at:
            saved = mine.state_dict()
            _check_state_layout(saved, theirs.state_dict(), dtype)
            mine = getattr(optim, name)(_groups(problem, name, two_groups, False))
            mine.load_state_dict(saved)
        problem.compute_grads()
        mine.step()
        theirs.step()
    problem.assert_equal(dtype)


@DTYPES
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_pytorch(case, torch_dtype):
    _run(*case, torch_dtype)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_asgd_keeps_eta_and_mu_in_the_default_dtype(default):
    """float64 parameters with float32 as the default dtype: η, μ round to float32 as PyTorch's."""
    previous, previous_cr = torch.get_default_dtype(), cr.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default))
    cr.set_default_dtype(getattr(cr, default))
    try:
        _run("ASGD", dict(lr=0.03, t0=5, lambd=0.05), np.float64)
    finally:
        torch.set_default_dtype(previous)
        cr.set_default_dtype(previous_cr)


@DTYPES
@pytest.mark.parametrize("name", sorted(SECOND_GROUP))
def test_two_param_groups_match_pytorch(name, torch_dtype):
    _run(name, dict(lr=0.01), torch_dtype, two_groups=True)


@pytest.mark.parametrize("torch_dtype", [np.float64], indirect=True)
@pytest.mark.parametrize("case", [c for c in CASES if len(c[1]) >= 2], ids=_case_id)
def test_state_dict_halfway_into_fresh_optimizer(case, torch_dtype):
    _run(*case, torch_dtype, two_groups=True, reload_at=STEPS // 2)


def test_invalid_arguments():
    p = [nn.Parameter(cr.zeros(2))]
    with pytest.raises(ValueError, match="eta"):
        optim.Rprop(p, etas=(1.5, 1.2))
    with pytest.raises(ValueError):
        optim.Adamax(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="per-parameter"):
        optim.LBFGS([{"params": p}, {"params": [nn.Parameter(cr.zeros(1))]}])
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        optim.LBFGS(p, line_search_fn="armijo").step(lambda: cr.tensor(0.0))


def test_formulas():
    for cls in (optim.Adamax, optim.ASGD, optim.Rprop, optim.LBFGS):
        f = cls.formula()
        assert f.equations and cls.__name__ in str(f.name)


# ------------------------------------------------------------------------------------- LBFGS
def _rosenbrock(L, x):
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def _regression(L, w, b, data):
    x, y = data
    return ((L.tanh(x @ w + b) - y) ** 2).mean() + 0.01 * (w ** 2).sum()


class _LBFGSProblem:
    """The same objective and starting point in both libraries; each computes its own gradient."""

    def __init__(self, kind: str):
        rng = np.random.default_rng(1)
        if kind == "rosenbrock":
            start = [rng.uniform(-1.5, 1.5, 6)]
            self.fn = lambda L, ps, data: _rosenbrock(L, ps[0])
            self.data = None
        else:
            start = [rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(3) * 0.1]
            x, y = rng.standard_normal((20, 4)), rng.standard_normal((20, 3)) * 0.5
            self.fn = lambda L, ps, data: _regression(L, ps[0], ps[1], data)
            self.data = {cr: (cr.tensor(x), cr.tensor(y)), torch: (torch.tensor(x),
                                                                   torch.tensor(y))}
        self.mine = [cr.tensor(a.copy(), requires_grad=True) for a in start]
        self.theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in start]

    def closure(self, L, opt, params):
        def closure():
            opt.zero_grad()
            loss = self.fn(L, params, None if self.data is None else self.data[L])
            loss.backward()
            return loss
        return closure


LBFGS_CASES = [
    # (lr=1 without a line search and 20 iterations a call is chaotic on Rosenbrock: rounding
    # differences of the two autodiffs, 1e-16, grow to 1e-6 within 80 iterations; 5 a call is not)
    ("rosenbrock", dict(max_iter=5)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(lr=0.5, max_iter=7, history_size=3)),
    ("rosenbrock", dict(max_iter=10, history_size=4, line_search_fn="strong_wolfe")),
    ("regression", dict()),
    ("regression", dict(line_search_fn="strong_wolfe")),
    ("regression", dict(lr=0.8, max_iter=5, max_eval=9, history_size=2)),
    ("regression", dict(max_iter=6, history_size=3, tolerance_change=1e-12,
                        line_search_fn="strong_wolfe")),
]


@pytest.mark.parametrize("kind,kwargs", LBFGS_CASES, ids=lambda v: str(v))
def test_lbfgs_matches_pytorch(kind, kwargs):
    prob = _LBFGSProblem(kind)
    mine = optim.LBFGS(prob.mine, **kwargs)
    theirs = torch.optim.LBFGS(prob.theirs, **kwargs)
    for call in range(4):
        if call == 2:                                        # state_dict round trip midway
            saved = mine.state_dict()
            t_state = theirs.state_dict()["state"][0]
            assert set(saved["state"][0]) == set(t_state)
            assert saved["state"][0]["n_iter"] == t_state["n_iter"]
            assert saved["state"][0]["func_evals"] == t_state["func_evals"]
            mine = optim.LBFGS(prob.mine, **kwargs)
            mine.load_state_dict(saved)
        a = mine.step(prob.closure(cr, mine, prob.mine))
        b = theirs.step(prob.closure(torch, theirs, prob.theirs))
        # the loss near the minimum (1e-4) carries the 1e-11 parameter difference as ~1e-13 absolute
        np.testing.assert_allclose(float(a.detach()), float(b.detach()), rtol=1e-10, atol=1e-12)
        for p, q in zip(prob.mine, prob.theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=f"after step {call}")
    state, t_state = mine.state_dict()["state"][0], theirs.state_dict()["state"][0]
    assert state["func_evals"] == t_state["func_evals"] and state["n_iter"] == t_state["n_iter"]
    assert len(state["old_dirs"]) == len(t_state["old_dirs"])


def test_lbfgs_converges_on_rosenbrock():
    x = cr.tensor([-1.2, 1.0], dtype=cr.float64, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(cr, x)
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-4)   # as torch


# ------------------------------------------------------------------ parameter-vector utilities
def test_parameters_to_vector_and_back_match_torch():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal(4), rng.standard_normal(())]
    mine = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    v = nn.utils.parameters_to_vector(mine)
    tv = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v.detach().numpy(), tv.detach().numpy())
    w = rng.standard_normal(v.shape[0])
    (v * cr.tensor(w)).sum().backward()
    (tv * torch.tensor(w)).sum().backward()
    for m, t in zip(mine, theirs):
        np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())

    new = rng.standard_normal(11)
    vec, tvec = cr.tensor(new.copy()), torch.tensor(new.copy())
    nn.utils.vector_to_parameters(vec, mine)
    torch.nn.utils.vector_to_parameters(tvec, theirs)
    for m, t in zip(mine, theirs):
        assert tuple(m.shape) == tuple(t.shape)
        np.testing.assert_array_equal(m.detach().numpy(), t.detach().numpy())
    with cr.no_grad():                   # the parameters are views of vec, as in PyTorch
        vec.mul_(2.0)
    with torch.no_grad():
        tvec.mul_(2.0)
    for m, t in zip(mine, theirs):
        np.testing.assert_array_equal(m.detach().numpy(), t.detach().numpy())


def test_vector_to_parameters_errors():
    p = [cr.zeros(3, requires_grad=True)]
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(3), p)
    with pytest.raises(RuntimeError, match="elements"):
        nn.utils.vector_to_parameters(cr.zeros(2), p)
