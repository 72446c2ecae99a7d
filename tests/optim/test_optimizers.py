"""Every optimizer and option set against PyTorch 2.13's ``torch.optim``.

The harness: one small MLP (5-8-3, tanh) in chainrule and the same weights in PyTorch. At each of 50
steps chainrule computes the gradient of a squared-error loss by its own autodiff at its current
parameters, and the *same* gradient arrays are given to both optimizers, so the comparison isolates
the update rule. After 50 steps the parameters must agree (float64: relative 1e-10; float32:
relative 1e-5). The same run is repeated with two parameter groups of different hyperparameters,
and with the state saved halfway (``state_dict``) and loaded into a fresh optimizer.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim

STEPS = 50

# (optimizer name, keyword arguments): every option of every optimizer, alone and combined.
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.5, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True,
                  maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.95, centered=True, momentum=0.5, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.01,
                     eps=1e-8, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, rho=0.95, eps=1e-5, weight_decay=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.9))),       # ρₜ > 5 from the first steps
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.95), maximize=True)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), maximize=True)),
]

# The second parameter group's different hyperparameters, per optimizer.
SECOND_GROUP = {
    "SGD": dict(lr=0.02, momentum=0.5, weight_decay=0.1),
    "Adam": dict(lr=0.003, betas=(0.5, 0.9), weight_decay=0.02),
    "AdamW": dict(lr=0.003, weight_decay=0.3),
    "RMSprop": dict(lr=0.002, alpha=0.8, momentum=0.3),
    "Adagrad": dict(lr=0.03, lr_decay=0.1),
    "Adadelta": dict(lr=0.3, rho=0.5),
    "NAdam": dict(lr=0.004, momentum_decay=0.02, weight_decay=0.01),
    "RAdam": dict(lr=0.004, betas=(0.6, 0.9), weight_decay=0.01),
}

TOL = {np.float64: dict(rtol=1e-10, atol=1e-13), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _case_id(case) -> str:
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@pytest.fixture
def torch_dtype(request):
    """PyTorch keeps some optimizer scalars (step counts, NAdam's μ product) in its default dtype,
    and so does chainrule: the float64 comparison runs with both libraries' default dtype float64;
    restored afterwards."""
    previous, previous_cr = torch.get_default_dtype(), cr.get_default_dtype()
    wide = request.param == np.float64
    torch.set_default_dtype(torch.float64 if wide else torch.float32)
    cr.set_default_dtype(cr.float64 if wide else cr.float32)
    yield request.param
    torch.set_default_dtype(previous)
    cr.set_default_dtype(previous_cr)


DTYPES = pytest.mark.parametrize("torch_dtype", [np.float64, np.float32], indirect=True,
                                 ids=["float64", "float32"])


class Problem:
    """A 5-8-3 tanh MLP, its data, and the same weights as PyTorch leaves."""

    def __init__(self, dtype, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.x = cr.tensor(rng.standard_normal((16, 5)).astype(dtype))
        self.y = cr.tensor(rng.standard_normal((16, 3)).astype(dtype))
        self.model = nn.Sequential(nn.Linear(5, 8, dtype=dtype), nn.Tanh(),
                                   nn.Linear(8, 3, dtype=dtype))
        for p in self.model.parameters():
            p.numpy()[...] = rng.standard_normal(p.shape).astype(dtype) * 0.5
        self.params = list(self.model.parameters())
        self.torch_params = [torch.tensor(p.numpy().copy(), requires_grad=True)
                             for p in self.params]

    def compute_grads(self) -> None:
        """Gradients by chainrule's autodiff; the same arrays become PyTorch's ``.grad``."""
        for p in self.params:
            p.grad = None
        loss = ((self.model(self.x) - self.y) ** 2).mean()
        loss.backward()
        for p, t in zip(self.params, self.torch_params):
            t.grad = torch.from_numpy(p.grad.numpy().copy())

    def assert_equal(self, dtype) -> None:
        for i, (p, t) in enumerate(zip(self.params, self.torch_params)):
            np.testing.assert_allclose(p.numpy(), t.detach().numpy(), **TOL[dtype],
                                       err_msg=f"parameter {i}")


def _groups(problem: Problem, name: str, two: bool, torch_side: bool):
    params = problem.torch_params if torch_side else problem.params
    if not two:
        return params
    return [{"params": params[:2]}, {"params": params[2:], **SECOND_GROUP[name]}]


def _run(name: str, kwargs: dict, dtype, two_groups: bool = False, reload_at: int | None = None):
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
    return mine, theirs


def _check_state_layout(mine: dict, theirs: dict, dtype) -> None:
    """Our state_dict has PyTorch's keys, and the same values."""
    assert sorted(mine["state"]) == sorted(theirs["state"])
    for i, state in theirs["state"].items():
        assert set(mine["state"][i]) == set(state), f"state keys of parameter {i}"
        for key, value in state.items():
            expected = value.numpy() if isinstance(value, torch.Tensor) else value
            np.testing.assert_allclose(np.asarray(mine["state"][i][key], dtype=np.float64),
                                       np.asarray(expected, dtype=np.float64), **TOL[dtype],
                                       err_msg=f"state {key!r} of parameter {i}")
    for g_mine, g_theirs in zip(mine["param_groups"], theirs["param_groups"]):
        assert g_mine["params"] == g_theirs["params"]
        for key in g_mine:
            if key in g_theirs and key != "params":
                assert g_mine[key] == pytest.approx(g_theirs[key]), key


@DTYPES
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_pytorch(case, torch_dtype):
    _run(*case, torch_dtype)


@DTYPES
@pytest.mark.parametrize("name", sorted(SECOND_GROUP))
def test_two_param_groups_match_pytorch(name, torch_dtype):
    kwargs = next(k for n, k in CASES if n == name and len(k) >= 2) or {}
    _run(name, kwargs, torch_dtype, two_groups=True)


@DTYPES
@pytest.mark.parametrize("case", [c for c in CASES if len(c[1]) >= 2] +
                         [("SGD", dict(lr=0.1, momentum=0.9))], ids=_case_id)
def test_state_dict_halfway_into_fresh_optimizer(case, torch_dtype):
    _run(*case, torch_dtype, two_groups=case[0] in ("Adam", "RMSprop"), reload_at=STEPS // 2)


@pytest.mark.parametrize("torch_dtype", [np.float64], indirect=True)
def test_step_with_closure_returns_the_loss(torch_dtype):
    problem = Problem(np.float64)
    opt = optim.SGD(problem.params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = ((problem.model(problem.x) - problem.y) ** 2).mean()
        loss.backward()
        return loss

    before = closure().item()
    loss = opt.step(closure)
    assert loss.item() == pytest.approx(before)
    assert opt.step(closure).item() < before


def test_zero_grad():
    problem = Problem(np.float64)
    opt = optim.Adam(problem.params)
    problem.compute_grads()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in problem.params)
    opt.zero_grad()
    assert all(p.grad is None for p in problem.params)


def test_add_param_group_and_skipped_parameters():
    problem = Problem(np.float64)
    opt = optim.SGD(problem.params[:2], lr=0.1)
    opt.add_param_group({"params": problem.params[2:], "lr": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    before = problem.params[0].numpy().copy()
    opt.step()  # no gradients yet: nothing moves
    np.testing.assert_array_equal(problem.params[0].numpy(), before)


# --------------------------------------------------------------------------- bad hyperparameters
def _one_param():
    return [nn.Parameter(np.zeros(3))]


@pytest.mark.parametrize("make, message", [
    (lambda: optim.SGD(_one_param(), lr=-0.1), "Invalid learning rate"),
    (lambda: optim.Adam(_one_param(), lr=-1e-3), "Invalid learning rate"),
    (lambda: optim.Adam(_one_param(), betas=(1.0, 0.999)), "beta parameter at index 0"),
    (lambda: optim.Adam(_one_param(), betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda: optim.AdamW(_one_param(), betas=(0.9, 1.5)), "beta parameter at index 1"),
    (lambda: optim.NAdam(_one_param(), betas=(-0.5, 0.9)), "beta parameter at index 0"),
    (lambda: optim.Adam(_one_param(), eps=-1.0), "Invalid eps"),
    (lambda: optim.SGD(_one_param(), lr=0.1, momentum=-0.5), "Invalid momentum"),
    (lambda: optim.SGD(_one_param(), lr=0.1, weight_decay=-1), "Invalid weight_decay"),
    (lambda: optim.SGD(_one_param(), lr=0.1, nesterov=True), "Nesterov"),
    (lambda: optim.RMSprop(_one_param(), alpha=-0.1), "Invalid alpha"),
    (lambda: optim.Adadelta(_one_param(), rho=1.5), "Invalid rho"),
    (lambda: optim.Adagrad(_one_param(), lr_decay=-1), "Invalid lr_decay"),
    (lambda: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda: optim.Adam([]), "empty parameter list"),
])
def test_bad_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_parameter_given_twice_raises():
    p = nn.Parameter(np.zeros(3))
    q = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p, q]}], lr=0.1)
    with pytest.raises(ValueError, match="same parameter twice"):
        optim.Adam([p, q, p])
    # PyTorch agrees on the first (its error) and warns on the second.
    tp = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        torch.optim.SGD([{"params": [tp]}, {"params": [tp]}], lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.optim.Adam([tp, tp])
    assert any("duplicate parameters" in str(w.message) for w in caught)


def test_single_tensor_and_non_tensors_are_type_errors():
    p = nn.Parameter(np.zeros(3))
    with pytest.raises(TypeError, match="not a single tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)


def test_every_optimizer_states_its_mathematics():
    for name in sorted(SECOND_GROUP):
        f = getattr(optim, name).formula()
        assert f.name == name and f.equations and f.explanation
        assert "θ" in str(f) and f.to_latex()
